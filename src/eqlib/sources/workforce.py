"""Home Office police workforce: totals by force, and officers by sex, rank and ethnicity.

Datasets
--------
``workforce_totals_ho``
    "Police workforce, England and Wales" September releases 2015-2019
    (``data/raw/ho-police-workforce``): police officers, police staff, designated officers
    (s.38/s.39), police community support officers (PCSOs), special constables and police
    support volunteers by police force area, as at 30 September and 31 March. ``unit`` is
    ``FTE`` (full-time equivalent) or ``headcount`` as the table says. No ethnicity, sex or
    rank: ``group`` is the worker type. The combined "police staff and designated
    officers" tables and the national time series are not loaded (they repeat the others).
    An as-at date that appears in several releases is taken from the latest release (the
    Home Office revises earlier figures). Region subtotals, "Central Service Secondments"
    and the grand "Total" (43 forces + secondments + BTP) are set aside (logged); "Total 43
    forces" is area ``K04000001``; British Transport Police is area ``BTP``.

``workforce_chief_officers``
    Extract of the Home Office police workforce open data table (ethnicity):
    ``chief-officer-latest.csv``, chief officers (ACC and above) by force, sex and ethnicity
    as at 31 March 2003-2021, headcount (``count``) and FTE (``fte``). ``-`` is nil.

``workforce_officer_ranks_2003_2006``
    The same open data table for all police officer ranks (Constable to Chief Officer) by
    force, sex and ethnicity, but only 31 March 2003-2006 (a truncated extract).

Ethnicity labels (:mod:`eqlib.ethnicity`, classification ``ho``): the Home Office's category
"Chinese or Other Ethnic Group (pre 2021 category)" was used until 2020 (Chinese counted
with Other); from 31 March 2021 Chinese officers are in "Asian or Asian British" and the
remainder in "Other ethnic group". Both map to the broad group Other, so the Asian and
Other series have a break at 2021.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from pathlib import Path

import pandas as pd

from eqlib import areas, periods
from eqlib.errors import DataError
from eqlib.ethnicity import add_broad_group
from eqlib.sources import register
from eqlib.sources._common import finalise, latest_edition, log_rows, parse_count, read_csv_text
from eqlib.sources.ods import (
    check_unique,
    clean_label,
    period_fields,
    read_sheet,
    resolve_area,
    sheet_names,
    trim,
)

log = logging.getLogger(__name__)

TOTALS_FILES = ("ho-police-workforce/*.ods",)
CHIEF_FILES = ("ho-workforce-ethnicity-extracts/chief-officer-latest.csv",)
RANK_FILES = ("ho-workforce-ethnicity-extracts/officer-rank-from-2003.csv",)

CATEGORY_BREAK_NOTE = (
    "Until 31 March 2020 the Home Office category 'Chinese or Other Ethnic Group (pre 2021 "
    "category)' counted Chinese officers with Other; from 31 March 2021 they are in 'Asian or "
    "Asian British' and the rest in 'Other ethnic group'. Asian and Other have a series break."
)

# Worker types, recognised from the table title (the first that matches wins).
_WORKER_TYPES: tuple[tuple[str, str | None], ...] = (
    (r"police staff and designated officers", None),  # combined: repeats two other tables
    (r"^police officers\d*,", None),  # the national time series of every worker type
    (r"police officers", "Police officers"),
    (r"police staff", "Police staff"),
    (r"designated officers", "Designated officers"),
    (r"police community support officers", "PCSOs"),
    (r"special constables", "Special constables"),
    (r"police support volunteers", "Police support volunteers"),
)

_REGIONS = {
    "north east",
    "north west",
    "yorkshire and the humber",
    "east midlands",
    "west midlands",
    "eastern",
    "east of england",
    "london",
    "south east",
    "south west",
    "wales",
}
_SET_ASIDE = {
    "central service secondments": "central service secondments (not a force area)",
    "total": "grand total (43 forces, secondments and BTP)",
}


def _worker_type(title: str) -> str | None | bool:
    """The worker type of a table from its title; None for a table to skip, False if unknown."""
    text = re.sub(r"^table \d+:\s*", "", title.strip(), flags=re.I).casefold()
    for pattern, worker in _WORKER_TYPES:
        if re.search(pattern, text):
            return worker
    return False


def _unit(rows: list[list], title: str) -> str | None:
    low = title.casefold()
    if "(fte)" in low:
        return "FTE"
    if "(headcount)" in low:
        return "headcount"
    for row in rows[1:6]:
        for cell in row:
            text = str(cell).casefold()
            if "full-time equivalent" in text:
                return "FTE"
            if "headcount" in text:
                return "headcount"
    return None


def read_workforce_table(path: str | Path, sheet: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """One workforce table (worker type by force, as at two or three dates) as tidy rows.

    Returns the frame (not yet validated) and counts of the rows set aside by reason. A
    table that is not by force (a national series) or that combines two worker types gives
    an empty frame.
    """
    path = Path(path)
    rows = read_sheet(path, sheet)
    title = clean_label(rows[0][0]) if rows and rows[0] else ""
    worker = _worker_type(title)
    if worker is False:
        raise DataError(
            f"sheet {sheet!r}: cannot tell the worker type from the title",
            file=str(path),
            row=1,
            value=title,
            expected="a title such as 'Table 1: Police officers by police force area'",
        )
    if worker is None:
        log.info("%s %s: not loaded (%s)", path.name, sheet, title[:90])
        return pd.DataFrame(), {}
    unit = _unit(rows, title)
    if unit is None:
        raise DataError(
            f"sheet {sheet!r}: no unit (FTE or headcount)",
            file=str(path),
            expected="'Full-time equivalents' or 'Headcount' above the table",
        )
    header_index = next(
        (i for i, r in enumerate(rows[:12]) if any(isinstance(c, (dt.datetime, dt.date)) for c in r)), None
    )
    if header_index is None:
        raise DataError(
            f"sheet {sheet!r}: no row of 'as at' dates",
            file=str(path),
            expected="a header row of dates (30 September ...)",
        )
    dates = [(j, c) for j, c in enumerate(rows[header_index]) if isinstance(c, (dt.datetime, dt.date))]
    release = max(c for _, c in dates)
    records: list[dict] = []
    set_aside: dict[str, int] = {}
    seen_regions: set[str] = set()
    for i in range(header_index + 1, len(rows)):
        row = trim(rows[i])
        if not row:
            continue
        name = clean_label(row[0])
        low = name.casefold()
        if low in {"notes", ""} or low.startswith("source"):
            break
        # Region subtotals come before their forces; "West Midlands" is first the region,
        # then the force.
        if low in _REGIONS and low not in seen_regions:
            seen_regions.add(low)
            set_aside["region subtotal rows"] = set_aside.get("region subtotal rows", 0) + 1
            continue
        if low in _SET_ASIDE:
            set_aside[_SET_ASIDE[low]] = set_aside.get(_SET_ASIDE[low], 0) + 1
            if low == "total":
                break
            continue
        label = "England and Wales" if low == "total 43 forces" else name
        area = resolve_area(label, file=path, row=i + 1, column="Police force area")
        for j, day in dates:
            value = rows[i][j] if j < len(rows[i]) else ""
            count, symbol = parse_count(value, file=path, row=i + 1, column=f"as at {day:%d %B %Y}")
            period = periods.as_at(day.date() if isinstance(day, dt.datetime) else day)
            records.append(
                {
                    "area_code": area.code,
                    "area_name": area.name,
                    **period_fields(period),
                    "group": worker,
                    "source_label": name,
                    "count": count,
                    "symbol": symbol,
                    "worker_type": worker,
                    "unit": unit,
                    "release": f"{release:%Y-%m-%d}",
                    "table": sheet,
                }
            )
    frame = pd.DataFrame.from_records(records)
    check_unique(frame, ["area_code", "period"], file=path, what=f"sheet {sheet!r}")
    return frame, set_aside


def read_workforce(path: str | Path) -> pd.DataFrame:
    """Every force-level table of one September workforce release, as tidy rows."""
    path = Path(path)
    parts: list[pd.DataFrame] = []
    for sheet in sheet_names(path):
        if not sheet.startswith("Table"):
            continue
        frame, set_aside = read_workforce_table(path, sheet)
        if set_aside:
            log.info(
                "%s %s: set aside %s",
                path.name,
                sheet,
                "; ".join(f"{n} {why}" for why, n in set_aside.items()),
            )
        if not frame.empty:
            parts.append(frame)
    if not parts:
        raise DataError(
            "no force-level workforce table found",
            file=str(path),
            expected="tables of workers by police force area",
        )
    return pd.concat(parts, ignore_index=True)


@register(
    "workforce_totals_ho",
    "Police workforce by force: officers, staff, PCSOs, specials (Home Office, September releases)",
    files=TOTALS_FILES,
    description="Home Office police workforce September releases 2015-2019 (FTE and "
    "headcount, as at 30 September and 31 March). No ethnicity.",
)
def load_workforce_totals(raw_dir: Path) -> pd.DataFrame:
    """Dataset ``workforce_totals_ho`` (see the module docstring)."""
    files = sorted(Path(raw_dir).glob(TOTALS_FILES[0]))
    if not files:
        raise DataError(
            "no workforce workbook found",
            file=str(Path(raw_dir) / TOTALS_FILES[0]),
            expected="the Home Office police workforce tables (.ods)",
        )
    frame = pd.concat([read_workforce(f) for f in files], ignore_index=True)
    out = latest_edition(
        frame,
        key=["area_code", "period", "worker_type", "unit"],
        edition="release",
        dataset="workforce_totals_ho",
        reason="rows for an as-at date a later release revises",
    )
    return finalise(out, dataset="workforce_totals_ho")


# --------------------------------------------------------------------------------------
# Open data table extracts (chief officers; all ranks 2003-2006)
# --------------------------------------------------------------------------------------

_OPEN_DATA_COLUMNS = (
    "As at 31 March...",
    "Geo code",
    "Force Name",
    "Region",
    "Gender",
    "Rank description",
    "Worker type",
    "Ethnicity",
    "Ethnic group",
    "Total (headcount)",
    "Total (FTE)",
)


def read_open_data_extract(path: str | Path, *, dataset: str) -> pd.DataFrame:
    """Read an extract of the Home Office workforce open data table (ethnicity) as tidy rows.

    ``count`` is the headcount and ``fte`` the full-time equivalent; ``sex`` and ``rank``
    are dimensions; the period is "as at 31 March" of the year. ``-`` is nil. Empty columns
    (the chief-officer extract has three) are ignored.

    Raises :class:`DataError` for a missing column, an unknown force or ethnicity label, a
    year that is not a year, or a count that is not a count (naming file, row and column).
    """
    path = Path(path)
    text = read_csv_text(path)
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in _OPEN_DATA_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(
            "missing columns",
            file=str(path),
            row=1,
            value=", ".join(missing),
            expected=f"the columns {', '.join(_OPEN_DATA_COLUMNS)}",
        )
    extra = [c for c in raw.columns if c not in _OPEN_DATA_COLUMNS]
    for column in extra:
        if (raw[column].str.strip() != "").any():
            raise DataError(
                "an unexpected column holds values",
                file=str(path),
                row=1,
                column=column,
                expected="only the open data table's columns",
            )
    records: list[dict] = []
    area_cache: dict[tuple[str, str], areas.Area] = {}
    for position, rec in enumerate(raw.to_dict("records")):
        row = position + 2  # the header is row 1
        year_text = rec["As at 31 March..."].strip()
        if not re.fullmatch(r"(19|20)\d\d", year_text):
            raise DataError(
                "not a year",
                file=str(path),
                row=row,
                column="As at 31 March...",
                value=year_text,
                expected="a year such as 2021",
            )
        key = (rec["Geo code"].strip(), rec["Force Name"].strip())
        if key not in area_cache:
            code, name = key
            label = name if code in {"", "N/A"} else code
            area = resolve_area(label, file=path, row=row, column="Geo code")
            if code not in {"", "N/A"} and not areas.is_area_name(name):
                raise DataError(
                    "force name not recognised",
                    file=str(path),
                    row=row,
                    column="Force Name",
                    value=name,
                    expected="a police force area name",
                )
            if code not in {"", "N/A"} and areas.resolve(name).code != area.code:
                raise DataError(
                    "the force name does not match the geo code",
                    file=str(path),
                    row=row,
                    column="Force Name",
                    value=f"{name} / {code}",
                    expected=f"{area.name} for {code}",
                )
            area_cache[key] = area
        area = area_cache[key]
        headcount, symbol = parse_count(
            rec["Total (headcount)"], file=path, row=row, column="Total (headcount)"
        )
        fte, _ = parse_count(rec["Total (FTE)"], file=path, row=row, column="Total (FTE)")
        period = periods.as_at(dt.date(int(year_text), 3, 31))
        records.append(
            {
                "area_code": area.code,
                "area_name": area.name,
                **period_fields(period),
                "source_label": rec["Ethnicity"].strip(),
                "count": headcount,
                "symbol": symbol,
                "fte": fte,
                "sex": rec["Gender"].strip(),
                "rank": rec["Rank description"].strip(),
                "worker_type": rec["Worker type"].strip(),
                "ethnic_group_ho": rec["Ethnic group"].strip(),
                "region": rec["Region"].strip(),
                "unit": "headcount",
            }
        )
    frame = pd.DataFrame.from_records(records)
    check_unique(
        frame, ["area_code", "period", "sex", "rank", "source_label"], file=path, what="open data extract"
    )
    frame = add_broad_group(frame, label_column="source_label", classification="ho", source=str(path))
    frame["fte"] = frame["fte"].astype(float)
    log_rows(
        dataset,
        rows_in=len(raw),
        rows_out=len(frame),
        records_in=float(
            pd.to_numeric(raw["Total (headcount)"].str.strip().str.replace(",", "").replace("-", "0")).sum()
        ),
        records_out=float(frame["count"].sum()),
    )
    return finalise(frame, dataset=dataset)


def read_chief_officers(path: str | Path) -> pd.DataFrame:
    """Read ``chief-officer-latest.csv`` (chief officers by force, sex, ethnicity, 2003-2021)."""
    return read_open_data_extract(path, dataset="workforce_chief_officers")


def read_officer_ranks(path: str | Path) -> pd.DataFrame:
    """Read ``officer-rank-from-2003.csv`` (officers by rank, force, sex, ethnicity, 2003-2006)."""
    return read_open_data_extract(path, dataset="workforce_officer_ranks_2003_2006")


def _one_file(raw_dir: Path, pattern: str, what: str) -> Path:
    files = sorted(Path(raw_dir).glob(pattern))
    if len(files) != 1:
        raise DataError(
            f"expected exactly one {what} file, found {len(files)}",
            file=str(Path(raw_dir) / pattern),
            expected=f"the {what} CSV",
        )
    return files[0]


@register(
    "workforce_chief_officers",
    "Chief officers by force, sex and ethnicity, 2003-2021 (Home Office open data, extract)",
    files=CHIEF_FILES,
    description="Chief officers (ACC and above) as at 31 March 2003-2021, headcount and "
    "FTE. " + CATEGORY_BREAK_NOTE,
)
def load_chief_officers(raw_dir: Path) -> pd.DataFrame:
    """Dataset ``workforce_chief_officers``."""
    return read_chief_officers(_one_file(raw_dir, CHIEF_FILES[0], "chief officer"))


@register(
    "workforce_officer_ranks_2003_2006",
    "Police officers by rank, force, sex and ethnicity, 2003-2006 (Home Office open data, extract)",
    files=RANK_FILES,
    description="All officer ranks as at 31 March 2003-2006 only (a truncated extract).",
)
def load_officer_ranks(raw_dir: Path) -> pd.DataFrame:
    """Dataset ``workforce_officer_ranks_2003_2006``."""
    return read_officer_ranks(_one_file(raw_dir, RANK_FILES[0], "officer rank"))
