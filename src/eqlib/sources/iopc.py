"""IOPC deaths during or following police contact, by force and financial year.

Dataset ``iopc_deaths``
    The IOPC annual statistics' time-series tables (``Time_series_tables_2018-19.ods`` and
    ``Time_series_tables_2019-20.ods`` in ``data/raw/iopc-deaths-following-police-contact``):
    deaths and incidents by "appropriate authority" (force) and financial year, 2004/05 to
    2019/20, for five categories, which are the ``group``:

    - ``Road traffic`` (road traffic fatalities and incidents, tables 1.7 and 1.8),
    - ``Fatal shooting`` (fatalities, table 2.5; only forces that recorded one are listed:
      a force not listed is given 0 with ``source_label = "not listed"``),
    - ``In or following custody`` (fatalities, table 3.5),
    - ``Apparent suicide following custody`` (fatalities, table 4.5),
    - ``Other death following contact`` (fatalities and incidents, tables 5.5 and 5.6; the
      definition changed in 2010/11, and 2015/16 follows an expansion of IOPC capacity).

    ``measure`` is ``fatalities`` or ``incidents`` (one incident can cause several deaths).
    The table's "Total" row is area ``K04000001``; it covers every appropriate authority,
    including British Transport Police (area ``BTP``), HMRC, the Ministry of Defence,
    SOCA/NCA, Home Office immigration enforcement and deaths involving two forces ("Surrey &
    Sussex"), which are set aside (logged) since they belong to no one force area.
    Footnote marks on counts (``2*``, ``17~`` revised, ``3^``) are removed and kept in
    ``footnote``. A year in both workbooks is taken from the later one (IOPC revises
    earlier years as investigations conclude).

    **No ethnicity by force**: the workbooks give ethnicity only nationally, by year (tables
    1.6, 2.4, 3.4, 4.4, 5.4), loaded as dataset ``iopc_deaths_ethnicity`` (area
    ``K04000001``, ``group`` = broad ethnic group, ``category`` = the category). Before
    2015/16 the IOPC counted Chinese in Other, from 2015/16 in Asian.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from eqlib import areas, periods
from eqlib.errors import DataError
from eqlib.ethnicity import add_broad_group
from eqlib.sources import register
from eqlib.sources._common import finalise, latest_edition, parse_count
from eqlib.sources.ods import (
    check_unique,
    clean_label,
    period_fields,
    read_sheet,
    resolve_area,
    trim,
)

log = logging.getLogger(__name__)

FILES = ("iopc-deaths-following-police-contact/Time_series_tables_*.ods",)

#: sheet -> category (the group)
BY_FORCE_SHEETS: dict[str, str] = {
    "RTI_By_Force": "Road traffic",
    "Shootings_By_Force": "Fatal shooting",
    "Custody_By_Force": "In or following custody",
    "Apparent_suicides_By_Force": "Apparent suicide following custody",
    "Other_contact_by_force": "Other death following contact",
}
#: sheet -> category, for the national ethnicity tables
NATIONAL_SHEETS: dict[str, str] = {
    "RTI": "Road traffic",
    "Shootings": "Fatal shooting",
    "Custody": "In or following custody",
    "Apparent_suicides": "Apparent suicide following custody",
    "Other_contact": "Other death following contact",
}
#: appropriate authorities that are not police force areas
NON_FORCE_AUTHORITIES = {
    "hmrc",
    "ministry of defence",
    "soca / nca",
    "soca",
    "nca",
    "home office",
    "civil nuclear constabulary",
}

_YEAR = re.compile(r"^(\d{2})/(\d{2})")
_MARKS = re.compile(r"[*^~\"]+")
NOTE = "No ethnicity breakdown by force in the IOPC tables (ethnicity is national only)."


def _year(label: object) -> periods.Period | None:
    m = _YEAR.match(str(label).strip())
    if not m:
        return None
    first, second = int(m.group(1)), int(m.group(2))
    if (first + 1) % 100 != second:
        return None
    return periods.financial_year(2000 + first if first < 90 else 1900 + first)


def _count(value: object, *, file: Path, row: int, column: str) -> tuple[float, str, str]:
    """A count with its footnote marks removed: ``"17~"`` -> ``(17.0, "", "~")``."""
    if isinstance(value, str):
        text = value.strip()
        marks = "".join(_MARKS.findall(text))
        stripped = _MARKS.sub("", text).strip()
        if marks and stripped:
            count, symbol = parse_count(stripped, file=file, row=row, column=column)
            return count, symbol, marks
    count, symbol = parse_count(value, file=file, row=row, column=column)
    return count, symbol, ""


def _blocks(rows: list[list], *, path: Path, sheet: str) -> list[tuple[str, int, list]]:
    """Each table of a sheet: (measure, index of its year row, [(col, Period)])."""
    out = []
    for i, row in enumerate(rows):
        title = clean_label(row[0]) if row else ""
        if not title.startswith("Table"):
            continue
        low = title.casefold()
        measure = "incidents" if "incidents" in low else "fatalities" if "fatalities" in low else None
        if measure is None:
            continue
        # the year labels are on the first row below the title that has at least 5 of them
        for k in range(i + 1, min(i + 5, len(rows))):
            years = [(j, _year(c)) for j, c in enumerate(rows[k]) if j > 0 and _year(c)]
            if len(years) >= 5:
                out.append((measure, k, years))
                break
        else:
            raise DataError(
                f"sheet {sheet!r}: no row of financial years under {title!r}",
                file=str(path),
                row=i + 1,
                expected="year labels such as 04/05",
            )
    return out


def _authority(name: str, *, path: Path, row: int) -> tuple[areas.Area | None, str]:
    """(area, '') for a force; (None, reason) for an authority set aside; raise otherwise."""
    text = re.sub(r"[\^*~]+$", "", name).strip()
    if areas.is_area_name(text):
        return areas.resolve(text), ""
    if text.casefold() in NON_FORCE_AUTHORITIES:
        return None, "authorities that are not police force areas (HMRC, MoD, NCA, Home Office)"
    parts = [p.strip() for p in text.split("&")]
    if len(parts) > 1 and all(areas.is_area_name(p) for p in parts):
        return None, "deaths involving more than one force"
    return resolve_area(text, file=path, row=row, column="Appropriate authority"), ""


def read_deaths_by_force(path: str | Path) -> pd.DataFrame:
    """Every by-force table of one IOPC time-series workbook, as tidy rows (not validated)."""
    path = Path(path)
    edition = path.stem.split("_")[-1]
    records: list[dict] = []
    set_aside: dict[str, int] = {}
    set_aside_counts: dict[tuple, float] = {}
    for sheet, category in BY_FORCE_SHEETS.items():
        rows = read_sheet(path, sheet)
        for measure, year_row, years in _blocks(rows, path=path, sheet=sheet):
            listed: set[str] = set()
            for i in range(year_row + 1, len(rows)):
                row = trim(rows[i])
                if not row:
                    continue
                name = clean_label(row[0])
                low = name.casefold()
                total = low.startswith("total")
                if total:
                    area = areas.get(areas.ENGLAND_AND_WALES_CODE)
                else:
                    area, reason = _authority(name, path=path, row=i + 1)
                for j, period in years:
                    count, symbol, marks = _count(
                        rows[i][j] if j < len(rows[i]) else "", file=path, row=i + 1, column=period.display
                    )
                    if area is None:
                        key = (category, measure, period.label)
                        set_aside_counts[key] = set_aside_counts.get(key, 0.0) + count
                        continue
                    records.append(
                        {
                            "area_code": area.code,
                            "area_name": area.name,
                            **period_fields(period),
                            "group": category,
                            "source_label": name,
                            "count": count,
                            "symbol": symbol,
                            "footnote": marks,
                            "measure": measure,
                            "category": category,
                            "edition": edition,
                            "table_sheet": sheet,
                        }
                    )
                if area is None:
                    set_aside[reason] = set_aside.get(reason, 0) + 1
                else:
                    listed.add(area.code)
                if total:
                    break
            else:
                raise DataError(
                    f"sheet {sheet!r}: a table has no Total row",
                    file=str(path),
                    expected="a 'Total FATALITIES' or 'Total INCIDENTS' row",
                )
            if sheet == "Shootings_By_Force":
                for area in areas.all_areas(territorial_only=False):
                    if area.code in listed:
                        continue
                    for _, period in years:
                        records.append(
                            {
                                "area_code": area.code,
                                "area_name": area.name,
                                **period_fields(period),
                                "group": category,
                                "source_label": "not listed",
                                "count": 0.0,
                                "symbol": "",
                                "footnote": "",
                                "measure": measure,
                                "category": category,
                                "edition": edition,
                                "table_sheet": sheet,
                            }
                        )
    for reason, n in set_aside.items():
        log.info("%s: %d rows set aside: %s", path.name, n, reason)
    frame = pd.DataFrame.from_records(records)
    check_unique(frame, ["area_code", "period", "category", "measure"], file=path, what="by-force tables")
    frame.attrs["set_aside_counts"] = set_aside_counts
    return frame


@register(
    "iopc_deaths",
    "Deaths during or following police contact, by force (IOPC)",
    files=FILES,
    description="IOPC time-series tables 2018/19 and 2019/20: fatalities and incidents by "
    "force, category and financial year 2004/05-2019/20. " + NOTE,
)
def load_deaths(raw_dir: Path) -> pd.DataFrame:
    """Dataset ``iopc_deaths`` (see the module docstring)."""
    files = sorted(Path(raw_dir).glob(FILES[0]))
    if not files:
        raise DataError(
            "no IOPC workbook found",
            file=str(Path(raw_dir) / FILES[0]),
            expected="Time_series_tables_YYYY-YY.ods",
        )
    frame = pd.concat([read_deaths_by_force(f) for f in files], ignore_index=True)
    out = latest_edition(
        frame,
        key=["area_code", "period", "category", "measure"],
        edition="edition",
        dataset="iopc_deaths",
        reason="rows for a year a later workbook revises",
    )
    out["note"] = NOTE
    return finalise(out, dataset="iopc_deaths")


def read_deaths_by_ethnicity(path: str | Path) -> pd.DataFrame:
    """The national "Ethnicity by financial year" tables of one workbook, as tidy rows."""
    path = Path(path)
    edition = path.stem.split("_")[-1]
    national = areas.get(areas.ENGLAND_AND_WALES_CODE)
    records: list[dict] = []
    for sheet, category in NATIONAL_SHEETS.items():
        rows = read_sheet(path, sheet)
        start = next(
            (
                i
                for i, r in enumerate(rows)
                if r and clean_label(r[0]).startswith("Table") and "ethnicity" in str(r[0]).casefold()
            ),
            None,
        )
        if start is None:
            raise DataError(
                f"sheet {sheet!r} has no ethnicity table",
                file=str(path),
                expected="a table 'Ethnicity by financial year'",
            )
        k = next(k for k in range(start + 1, start + 5) if clean_label(rows[k][0]) == "Ethnic group")
        years = [(j, _year(c)) for j, c in enumerate(rows[k]) if j > 0 and _year(c)]
        for i in range(k + 1, len(rows)):
            row = trim(rows[i])
            if not row:
                break
            label = re.sub(r"[\^*~]+$", "", clean_label(row[0])).strip()
            if label.casefold().startswith("total"):
                break
            for j, period in years:
                count, symbol, marks = _count(
                    rows[i][j] if j < len(rows[i]) else "", file=path, row=i + 1, column=period.display
                )
                records.append(
                    {
                        "area_code": national.code,
                        "area_name": national.name,
                        **period_fields(period),
                        "source_label": label,
                        "count": count,
                        "symbol": symbol,
                        "footnote": marks,
                        "measure": "fatalities",
                        "category": category,
                        "edition": edition,
                        "table_sheet": sheet,
                    }
                )
    frame = pd.DataFrame.from_records(records)
    return add_broad_group(frame, label_column="source_label", classification="ho", source=str(path))


@register(
    "iopc_deaths_ethnicity",
    "Deaths during or following police contact by ethnicity, England and Wales (IOPC)",
    files=FILES,
    description="National only: the IOPC publishes no ethnicity breakdown by force.",
)
def load_deaths_by_ethnicity(raw_dir: Path) -> pd.DataFrame:
    """Dataset ``iopc_deaths_ethnicity``: national fatalities by ethnicity, category and year."""
    files = sorted(Path(raw_dir).glob(FILES[0]))
    if not files:
        raise DataError(
            "no IOPC workbook found",
            file=str(Path(raw_dir) / FILES[0]),
            expected="Time_series_tables_YYYY-YY.ods",
        )
    frame = pd.concat([read_deaths_by_ethnicity(f) for f in files], ignore_index=True)
    out = latest_edition(
        frame,
        key=["period", "category", "group"],
        edition="edition",
        dataset="iopc_deaths_ethnicity",
        reason="rows for a year a later workbook revises",
        reconcile=False,
    )
    return finalise(out, dataset="iopc_deaths_ethnicity")
