"""Criminal justice outcomes by ethnicity: prosecutions and convictions (Ministry of Justice data
published on GOV.UK Ethnicity facts and figures).

Dataset ``cjs_prosecutions_convictions``
    ``data/raw/eff-cjs-prosecutions-convictions/prosecutions-and-convictions.csv``: the
    conviction ratio (convictions / prosecutions) by ethnicity (ONS 2001 5+1: Asian, Black,
    Mixed, Other inc Chinese, White), calendar year 2009-2017, sex, age group, offence group
    and police force area (43 areas and "All" = England and Wales).

    Tidy rows: ``denominator`` = defendants prosecuted at magistrates' courts,
    ``count`` = defendants convicted at magistrates' or Crown Court, ``value_pct`` = the
    published conviction ratio (%; missing where the publisher withheld it, flag
    ``value_withheld``). The ratio can exceed 100%: a conviction in one year can follow a
    prosecution in an earlier one. Dimensions ``sex``, ``age_group``, ``offence_group``;
    breakdowns other than area are published for England and Wales only.

    Coverage: City of London has rows for 2009-2011 only (from 2012 the publisher reports no
    City of London row). Prosecutions by force area sum exactly to "All"; convictions by
    force area sum to slightly less than "All" (by 0 to 37 a year and group): some
    convictions are not attributed to a force area in the published table.

    Court outcomes, not police actions: use them for the criminal justice context of a
    force area, not as a measure of the force.
"""

from __future__ import annotations

import io
import logging
import math
import re
from pathlib import Path

import pandas as pd

from eqlib import periods
from eqlib.errors import DataError
from eqlib.ethnicity import add_broad_group
from eqlib.sources import register
from eqlib.sources._common import finalise, log_rows, parse_count, read_csv_text
from eqlib.sources.ods import check_unique, period_fields, resolve_area

log = logging.getLogger(__name__)

FILES = ("eff-cjs-prosecutions-convictions/prosecutions-and-convictions.csv",)

DENOMINATOR_COLUMN = "Denominator (Prosecutions at Magistrates Court)"
NUMERATOR_COLUMN = "Numerator (Convictions and Magistrates Court and Crown Court)"
COLUMNS = (
    "Measure",
    "Ethnicity",
    "Ethnicity_type",
    "Time",
    "Time_type",
    "Sex",
    "Age group",
    "Offence group",
    "Police Force Area",
    "Value",
    "Value_type",
    DENOMINATOR_COLUMN,
    NUMERATOR_COLUMN,
)


def read_prosecutions(path: str | Path) -> pd.DataFrame:
    """Read ``prosecutions-and-convictions.csv`` into the tidy frame (validated).

    Raises :class:`DataError` (file, row, column, value, expected) for a missing column, a
    year that is not a calendar year, an unknown police force area or ethnicity label, or a
    count that is not a count.
    """
    path = Path(path)
    raw = pd.read_csv(io.StringIO(read_csv_text(path)), dtype=str, keep_default_na=False)
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(
            "missing columns",
            file=str(path),
            row=1,
            value=", ".join(missing),
            expected=f"the columns {', '.join(COLUMNS)}",
        )
    records: list[dict] = []
    area_cache: dict[str, object] = {}
    for position, rec in enumerate(raw.to_dict("records")):
        row = position + 2
        if all(not str(v).strip() for v in rec.values()):
            raise DataError(
                "an empty row", file=str(path), row=row, expected="a data row (empty rows are not allowed)"
            )
        time_type = rec["Time_type"].strip()
        year = rec["Time"].strip()
        if time_type.casefold() != "year" or not re.fullmatch(r"(19|20)\d\d", year):
            raise DataError(
                "not a calendar year",
                file=str(path),
                row=row,
                column="Time",
                value=f"{year} ({time_type})",
                expected="a year such as 2017 (Time_type Year)",
            )
        name = rec["Police Force Area"].strip()
        if name not in area_cache:
            area_cache[name] = resolve_area(name, file=path, row=row, column="Police Force Area")
        area = area_cache[name]
        prosecuted, symbol_d = parse_count(
            rec[DENOMINATOR_COLUMN], file=path, row=row, column=DENOMINATOR_COLUMN, dash_is_zero=False
        )
        convicted, symbol_n = parse_count(
            rec[NUMERATOR_COLUMN], file=path, row=row, column=NUMERATOR_COLUMN, dash_is_zero=False
        )
        value_text = rec["Value"].strip()
        if value_text:
            try:
                value = float(value_text.replace(",", ""))
            except ValueError:
                raise DataError(
                    "not a percentage",
                    file=str(path),
                    row=row,
                    column="Value",
                    value=value_text,
                    expected="a percentage such as 71.8, or blank",
                ) from None
        else:
            value = math.nan
        records.append(
            {
                "area_code": area.code,
                "area_name": area.name,
                **period_fields(periods.calendar_year(int(year))),
                "source_label": rec["Ethnicity"].strip(),
                "count": convicted,
                "symbol": symbol_n or symbol_d,
                "denominator": prosecuted,
                "value_pct": value,
                "value_withheld": not value_text,
                "sex": rec["Sex"].strip(),
                "age_group": rec["Age group"].strip(),
                "offence_group": rec["Offence group"].strip(),
                "measure": "conviction ratio (convictions / prosecutions)",
                "ethnicity_classification": rec["Ethnicity_type"].strip(),
            }
        )
    frame = pd.DataFrame.from_records(records)
    check_unique(
        frame,
        ["area_code", "period", "source_label", "sex", "age_group", "offence_group"],
        file=path,
        what="prosecutions and convictions",
    )
    frame = add_broad_group(frame, label_column="source_label", classification="ho", source=str(path))
    log_rows(
        "cjs_prosecutions_convictions",
        rows_in=len(raw),
        rows_out=len(frame),
        records_in=float(pd.to_numeric(raw[NUMERATOR_COLUMN], errors="coerce").sum()),
        records_out=float(frame["count"].sum()),
    )
    withheld = int(frame["value_withheld"].sum())
    log.info("%s: %d rows have no published conviction ratio (withheld); counts kept", path.name, withheld)
    return finalise(frame, dataset="cjs_prosecutions_convictions")


@register(
    "cjs_prosecutions_convictions",
    "Prosecutions and convictions by ethnicity and police force area (MoJ, Ethnicity facts and figures)",
    files=FILES,
    description="Conviction ratio by ethnicity, 2009-2017, by police force area, sex, age "
    "group and offence group. Court outcomes, not police actions.",
)
def load_prosecutions(raw_dir: Path) -> pd.DataFrame:
    """Dataset ``cjs_prosecutions_convictions`` (see the module docstring)."""
    path = Path(raw_dir) / FILES[0]
    return read_prosecutions(path)
