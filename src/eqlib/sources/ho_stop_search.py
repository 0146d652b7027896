"""Home Office stop and search by police force area and self-defined ethnicity, 2020/21 to 2024/25.

``stop_search_ho_by_force``
    ``ho-stop-search-by-force-ethnicity-2020-2025/force_by_ethnicity.csv``: number of searches by
    financial year (2020/21 to 2024/25), police force area (the 43 territorial forces, Home Office
    names such as ``London, City of``) and five broad self-defined ethnic groups (Asian, Black,
    Mixed, Other, White). A documented derivative of the Home Office open data table
    ``stop-search-open-data-tables-mar21-mar25.ods`` (Police powers and procedures, year ending
    31 March 2025; see SOURCE.txt): vehicle-only searches, British Transport Police and
    "Not stated" self-defined ethnicity removed, every legislation, reason, outcome, sex and age
    summed.

    Handled explicitly:

    - a force-year-group cell absent from the file is nil: the file omits zero cells (Dyfed-Powys
      has no "Other" row in 2020/21 and 2021/22), so it is written as an explicit count of 0 with
      ``filled_zero`` True and ``source_row`` 0, never dropped;
    - a force with no row at all in a year is not a zero but missing data: :class:`DataError`;
    - rows in (plus the zeros written) reconcile with rows out, and searches in with searches out.

    Because "Not stated" is removed, an "All" rate from these counts would be understated; the
    loader gives the five groups only.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from eqlib import periods
from eqlib.areas import UnknownAreaError, all_areas, resolve
from eqlib.errors import DataError
from eqlib.sources import register
from eqlib.sources._common import CsvRows, finalise, log_rows, parse_count

log = logging.getLogger(__name__)

DATASET = "stop_search_ho_by_force"
FOLDER = "ho-stop-search-by-force-ethnicity-2020-2025"
FILE = f"{FOLDER}/force_by_ethnicity.csv"
COLUMNS = ("financial_year", "police_force", "ethnicity", "total_searches")
GROUPS = ("Asian", "Black", "Mixed", "Other", "White")
SOURCE_NOTE = (
    "Home Office, Police powers and procedures: stop and search open data table (year ending "
    "March 2025), aggregated by force and ethnicity (vehicle-only searches, BTP and not stated "
    "removed)"
)


#: the dataset's own schema, checked after the common COUNTS schema (eqlib.schemas)
SCHEMA = pa.DataFrameSchema(
    {
        "area_code": pa.Column(str, pa.Check.str_matches(r"^(E23\d{6}|W15\d{6})$")),
        "period": pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d{2}$")),
        "group": pa.Column(str, pa.Check.isin(GROUPS)),
        "count": pa.Column(
            float,
            [pa.Check.ge(0), pa.Check(lambda s: (s == s.round()).all(), error="a whole number of searches")],
        ),
        "symbol": pa.Column(str, pa.Check.eq("")),
        "source_row": pa.Column(int, pa.Check.ge(0)),
        "filled_zero": pa.Column(bool),
    },
    checks=[
        pa.Check(
            lambda df: ~df.duplicated(["period", "area_code", "group"]).any(),
            error="one row per year, force area and group",
        ),
        pa.Check(lambda df: (df.loc[df["filled_zero"], "count"] == 0).all(), error="a filled cell is 0"),
        pa.Check(
            lambda df: (df.groupby("period")["area_code"].nunique() == 43).all(),
            error="43 force areas in every year",
        ),
    ],
    strict=False,
)


def read_force_by_ethnicity(path: str | Path) -> pd.DataFrame:
    """Read the file into a COUNTS frame (one row per year x force area x group, zeros explicit).

    Extra columns: ``source_force`` (the name in the file), ``source_row`` (the file's line number,
    0 for a zero written for an absent cell) and ``filled_zero``.
    """
    path = Path(path)
    table = CsvRows(path)
    header = tuple(c.strip() for c in table.lines[0])
    if header != COLUMNS:
        raise DataError(
            f"wrong header {list(header)}",
            file=str(path),
            row=1,
            value=list(header),
            expected="the columns " + ", ".join(COLUMNS),
        )
    records: list[dict] = []
    expected = f"{len(COLUMNS)} fields: " + ", ".join(COLUMNS)
    rows = table.records(first_row=2, width=len(COLUMNS), expected=expected, show_fields=True)
    for number, (year, force, label, count_text) in rows:
        try:
            period = periods.parse(year)
        except periods.PeriodError:
            period = None
        if period is None or period.kind != "financial_year":
            raise DataError(
                "not a financial year",
                file=str(path),
                row=number,
                column="financial_year",
                value=year,
                expected="a financial year such as 2020/21",
            )
        try:
            area = resolve(force)
        except UnknownAreaError:
            area = None
        if area is None or not area.territorial:
            raise DataError(
                "not one of the 43 police force areas",
                file=str(path),
                row=number,
                column="police_force",
                value=force,
                expected="a Home Office police force area name such as 'London, City of' "
                "(British Transport Police is excluded from this file)",
            )
        if label not in GROUPS:
            raise DataError(
                "unknown ethnic group",
                file=str(path),
                row=number,
                column="ethnicity",
                value=label,
                expected="one of " + ", ".join(GROUPS) + " (not stated is excluded)",
            )
        table.once(
            (period.label, area.code, label),
            number,
            message=f"a second row for {year} {force} {label}",
            column="police_force",
            value=force,
            expected="one row per financial year, force and ethnic group",
        )
        count, symbol = parse_count(
            count_text, file=path, row=number, column="total_searches", dash_is_zero=False
        )
        if count != int(count):
            raise DataError(
                "not a whole number",
                file=str(path),
                row=number,
                column="total_searches",
                value=count_text,
                expected="a whole number of searches",
            )
        records.append(_record(period, area, label, count, symbol, force, number, filled=False))
    rows_in = len(records)
    frame = pd.DataFrame(records)
    frame = _fill_zeros(frame, path)
    filled = int(frame["filled_zero"].sum())
    log_rows(
        DATASET,
        rows_in=rows_in,
        rows_out=len(frame),
        dropped={"blank lines": table.blank},
        records_in=float(sum(r["count"] for r in records)),
        records_out=float(frame["count"].sum()),
    )
    if rows_in + filled != len(frame):
        raise AssertionError(
            f"{DATASET}: {rows_in} rows in + {filled} zeros written != {len(frame)} rows out"
        )
    if filled:
        log.info(
            "%s: %d absent cell(s) written as 0 (%s)",
            path,
            filled,
            "; ".join(
                f"{r.period} {r.area_name} {r.group}" for r in frame.loc[frame["filled_zero"]].itertuples()
            ),
        )
    return frame


def _record(
    period: periods.Period, area, group: str, count: float, symbol: str, force: str, row: int, *, filled: bool
) -> dict:
    return {
        "area_code": area.code,
        "area_name": area.name,
        "period": period.label,
        "period_start": pd.Timestamp(period.start),
        "period_end": pd.Timestamp(period.end),
        "group": group,
        "source_label": group,
        "count": count,
        "symbol": symbol,
        "source_force": force,
        "source_row": row,
        "filled_zero": filled,
    }


def _fill_zeros(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Every force and group for every year: an absent group is nil (0); an absent force is an error."""
    forces = {a.code: a for a in all_areas()}
    out = [frame]
    for label, rows in frame.groupby("period", sort=True):
        present = set(rows["area_code"])
        missing_forces = sorted(forces[c].name for c in set(forces) - present)
        if missing_forces:
            raise DataError(
                f"{label}: no row at all for {', '.join(missing_forces)}",
                file=str(path),
                column="police_force",
                expected="every one of the 43 police force areas in every year",
            )
        period = periods.parse(label)
        have = set(zip(rows["area_code"], rows["group"], strict=True))
        fills = [
            _record(period, forces[code], group, 0.0, "", "", 0, filled=True)
            for code in sorted(present)
            for group in GROUPS
            if (code, group) not in have
        ]
        if fills:
            out.append(pd.DataFrame(fills))
    result = pd.concat(out, ignore_index=True)
    return result.sort_values(["period", "area_code", "group"], kind="stable").reset_index(drop=True)


@register(
    DATASET,
    "Stop and search by police force area and self-defined ethnicity, 2020/21-2024/25 (Home Office open "
    "data, aggregated)",
    files=(FILE,),
    description=SOURCE_NOTE,
)
def load_force_by_ethnicity(raw_dir: Path) -> pd.DataFrame:
    """Searches by financial year, force area and five broad groups (zero cells explicit)."""
    frame = finalise(read_force_by_ethnicity(Path(raw_dir) / FILE), dataset=DATASET)
    try:
        return SCHEMA.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise ValueError(
            f"{DATASET}: the frame fails its schema:\n{exc.failure_cases.head(10).to_string()}"
        ) from None
