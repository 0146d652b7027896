"""Home Office police powers tables: arrests by force and ethnicity, use of force by force.

Datasets
--------
``arrests_ho``
    "Police powers and procedures, England and Wales, year ending 31 March 2019", arrests
    data tables (``data/raw/ho-arrests-ppp-2018-19``):

    - table A_08, persons arrested for notifiable offences by police force area and
      **self-defined** ethnicity, 2017/18 and 2018/19. Region, England and Wales country
      subtotals are recognised and set aside (logged); the ``ENGLAND AND WALES`` row is kept
      as area ``K04000001``. British Transport Police is not in this table. Lancashire did
      not supply complete data (``..``): its rows carry ``[x]``, and every national figure
      in the workbook excludes Lancashire.
    - table A_01c, the national series 2006/07 to 2018/19 by ethnic group, as area
      ``K04000001``. Its 2017/18 and 2018/19 values equal A_08's national row (checked at
      load time) and are not repeated.

    ``denominator`` is the row's published Total (all ethnic groups); ``count`` is the
    group's arrests. Unit: an arrest (a person arrested twice counts twice).

``use_of_force_ho``
    "Police use of force statistics, England and Wales" (``data/raw/ho-use-of-force``),
    the 2017/18, 2018/19 and 2019/20 workbooks:

    - Table_16 (2018/19 and 2019/20 only): tactics by police force and ethnicity **as
      perceived by the officer** (``measure = "tactic_uses"``). The unit is a *use of a
      tactic*, not a person and not an incident: one incident with one person can record
      several tactics. ``denominator`` is the published "Number of times tactic reported"
      (all groups, including Not reported and, in 2018/19, Chinese and Don't know).
      ``tactic_type`` is the "Type of force" and ``tactic`` the tactic; the rows marked
      ``*Total ...`` and "..., of which" are the publisher's subtotals and are kept (flag
      ``subtotal``): do not add tactics together. ``tactic_group`` is the tactic without the
      edition's "of which" wording (2019/20 labels Taser ``CED of which``, 2018/19 ``CED``): select
      tactics by ``tactic_group`` so that no year is lost to a label change.
    - Table_12: use of force incidents by force (``measure = "incidents"``, no ethnicity:
      ``group = "All"``).
    - Table_13: conducted energy device (CED, "Taser") use by type and force
      (``measure = "ced_uses"``, no ethnicity), taken from the latest workbook for each year.

    2017/18 has no force x ethnicity table (see :data:`USE_OF_FORCE_COVERAGE`).
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

import pandas as pd

from eqlib import areas, periods
from eqlib.errors import DataError
from eqlib.ethnicity import add_broad_group
from eqlib.sources import register
from eqlib.sources._common import finalise, log_rows, parse_count
from eqlib.sources.ods import (
    check_unique,
    clean_label,
    find_row,
    period_fields,
    read_sheet,
    resolve_area,
    trim,
)

log = logging.getLogger(__name__)

ALL = "All"

ARRESTS_FILES = ("ho-arrests-ppp-2018-19/*.ods",)
USE_OF_FORCE_FILES = ("ho-use-of-force/*.ods",)

#: What each use-of-force workbook covers (force x ethnicity is absent in 2017/18).
USE_OF_FORCE_COVERAGE: dict[str, str] = {
    "2017-18": "No table of tactics by force and perceived ethnicity in the first year's "
    "workbook (police-use-of-force-apr2017-mar2018-hosb3018-tables.ods): incidents "
    "by force (Table_12) and CED use by force (Table_13) only.",
    "2018-19": "Table_16 tactics by force and officer-perceived ethnicity (White, Black, Asian, "
    "Chinese, Mixed, Other, Don't know, Not reported); Table_12; Table_13.",
    "2019-20": "Table_16 tactics by force and officer-perceived ethnicity (White, Black, Asian "
    "incl. Chinese, Mixed, Other, Not reported); Table_12; Table_13.",
}

UNIT_TACTIC = "a use of a tactic (not a person, not an incident); ethnicity as perceived by the officer"
UNIT_INCIDENT = "an incident in which force was used (not a person)"
UNIT_CED = "a use of a conducted energy device (CED, Taser), by type of use"
UNIT_ARREST = "an arrest for a notifiable offence (a person arrested twice counts twice)"


def _is_subtotal_area(label: str) -> bool:
    """Region and country subtotal rows of the arrests and use-of-force tables."""
    text = label.strip().lstrip("*").strip()
    low = text.casefold()
    if low in {"england", "wales"} or low.endswith(" region"):
        return True
    if low.startswith("total "):
        rest = text[6:].strip()
        return not (areas.is_area_name(rest) and areas.resolve(rest).code == areas.ENGLAND_AND_WALES_CODE)
    return False


def _area_label(label: str) -> str:
    """``Total England and Wales`` / ``*Total England and Wales`` -> ``England and Wales``;
    ``Hampshire (R)`` (revised) -> ``Hampshire``."""
    text = clean_label(label).lstrip("*").strip()
    text = re.sub(r"\s*\(R\)$", "", text)
    if text.casefold().startswith("total "):
        text = text[6:].strip()
    return text


def _financial_year(label: object, *, file: Path, row: int, column: str) -> periods.Period:
    text = clean_label(label)
    try:
        period = periods.parse(text)
    except periods.PeriodError:
        period = None
    if period is None or period.kind != "financial_year":
        raise DataError(
            "not a financial year",
            file=str(file),
            row=row,
            column=column,
            value=label,
            expected="a financial year such as 2018/19",
        )
    return period


# --------------------------------------------------------------------------------------
# Arrests
# --------------------------------------------------------------------------------------


def _read_a08(path: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    sheet = "A_08"
    rows = read_sheet(path, sheet)
    h = find_row(rows, "Police Force Area", path=path, sheet=sheet)
    header = [clean_label(c) for c in rows[h]]
    years_row = rows[h - 1] if h > 0 else []
    # Each column belongs to the most recent year label to its left.
    columns: list[tuple[int, periods.Period, str]] = []
    current: periods.Period | None = None
    for j, label in enumerate(header):
        if j == 0:
            continue
        if j < len(years_row) and clean_label(years_row[j]):
            current = _financial_year(years_row[j], file=path, row=h, column=f"column {j + 1}")
        if label:
            if current is None:
                raise DataError(
                    "a column has no year above it",
                    file=str(path),
                    row=h + 1,
                    column=label,
                    expected="a year label (2017/18) over each block",
                )
            columns.append((j, current, label))
    if not columns:
        raise DataError(
            "no data columns", file=str(path), row=h + 1, expected="Total and ethnic group columns"
        )
    records: list[dict] = []
    set_aside = {"region and country subtotal rows": 0}
    subtotal_names: list[str] = []
    rows_in = 0
    for i in range(h + 1, len(rows)):
        row = trim(rows[i])
        if not row:
            continue
        name = clean_label(row[0])
        if name.startswith("Source") or name == "Notes":
            break
        rows_in += 1
        if _is_subtotal_area(name):
            set_aside["region and country subtotal rows"] += 1
            subtotal_names.append(name)
            log.debug(
                "%s %s row %d: %r is a region or country subtotal: set aside", path.name, sheet, i + 1, name
            )
            continue
        area = resolve_area(name, file=path, row=i + 1, column="Police Force Area")
        totals: dict[str, float] = {}
        row_records: list[dict] = []
        for j, period, label in columns:
            value = rows[i][j] if j < len(rows[i]) else ""
            count, symbol = parse_count(value, file=path, row=i + 1, column=f"{period.display} {label}")
            if label.casefold() == "total":
                totals[period.label] = count
                continue
            row_records.append(
                {
                    "area_code": area.code,
                    "area_name": area.name,
                    **period_fields(period),
                    "source_label": label,
                    "count": count,
                    "symbol": symbol,
                    "table": "A_08",
                }
            )
        for rec in row_records:
            rec["denominator"] = totals.get(rec["period"], math.nan)
        records.extend(row_records)
    frame = pd.DataFrame.from_records(records)
    check_unique(frame, ["area_code", "period", "source_label"], file=path, what=f"sheet {sheet!r}")
    set_aside["data rows read"] = rows_in
    log.info(
        "%s %s: region and country subtotals set aside (not force areas): %s",
        path.name,
        sheet,
        ", ".join(subtotal_names),
    )
    return frame, set_aside


def _read_a01c(path: Path) -> pd.DataFrame:
    sheet = "A_01c"
    rows = read_sheet(path, sheet)
    h = find_row(rows, "Year", path=path, sheet=sheet)
    # The group labels are on the row after "Year | Persons".
    labels_row = [clean_label(c) for c in rows[h + 1]]
    columns = [(j, lab) for j, lab in enumerate(labels_row) if j > 0 and lab]
    national = areas.get(areas.ENGLAND_AND_WALES_CODE)
    records: list[dict] = []
    for i in range(h + 2, len(rows)):
        row = trim(rows[i])
        if not row:
            continue
        if clean_label(row[0]).startswith("Source"):
            break
        period = _financial_year(row[0], file=path, row=i + 1, column="Year")
        total = math.nan
        row_records: list[dict] = []
        for j, label in columns:
            count, symbol = parse_count(
                rows[i][j] if j < len(rows[i]) else "", file=path, row=i + 1, column=label
            )
            if label.casefold() == "total":
                total = count
                continue
            row_records.append(
                {
                    "area_code": national.code,
                    "area_name": national.name,
                    **period_fields(period),
                    "source_label": label,
                    "count": count,
                    "symbol": symbol,
                    "table": "A_01c",
                }
            )
        for rec in row_records:
            rec["denominator"] = total
        records.extend(row_records)
    return pd.DataFrame.from_records(records)


def read_arrests(path: str | Path) -> pd.DataFrame:
    """Read the arrests workbook (A_08 by force, A_01c national series) into the tidy frame.

    Raises :class:`DataError` for a truncated or corrupt file, a missing sheet, an unknown
    force, an unknown ethnicity label or a cell that is not a count.
    """
    path = Path(path)
    a08, info = _read_a08(path)
    a01c = _read_a01c(path)
    # A_01c repeats A_08's national row for the years A_08 covers: check, then keep A_08's.
    national = a08[a08["area_code"] == areas.ENGLAND_AND_WALES_CODE]
    key = ["period", "source_label"]
    a01c_norm = a01c.assign(source_label=a01c["source_label"].str.strip())
    both = a01c_norm.merge(national[key + ["count"]], on=key, how="inner", suffixes=("", "_a08"))
    differ = both[both["count"] != both["count_a08"]]
    if not differ.empty:
        raise DataError(
            "table A_01c disagrees with table A_08's England and Wales row",
            file=str(path),
            value=differ[key + ["count", "count_a08"]].to_dict("records"),
            expected="the same national figures in both tables",
        )
    repeated = a01c["period"].isin(set(national["period"]))
    log.info(
        "%s A_01c: %d rows for years also in A_08 (identical, checked) not repeated",
        path.name,
        int(repeated.sum()),
    )
    frame = pd.concat([a08, a01c[~repeated]], ignore_index=True)
    frame = add_broad_group(
        frame, label_column="source_label", classification="ho", source=f"{path} (A_08/A_01c)"
    )
    frame["unit"] = UNIT_ARREST
    frame["ethnicity_basis"] = "self-defined"
    rows_out = len(frame)
    log_rows(
        "arrests_ho",
        rows_in=len(a08) + len(a01c),
        rows_out=rows_out,
        dropped={"A_01c rows repeating A_08 national figures": int(repeated.sum())},
        records_in=float(a08["count"].sum() + a01c["count"].sum()),
        records_out=float(frame["count"].sum() + a01c.loc[repeated, "count"].sum()),
    )
    log.info(
        "%s A_08: %d data rows read, %d region or country subtotal rows set aside",
        path.name,
        info["data rows read"],
        info["region and country subtotal rows"],
    )
    return finalise(frame, dataset="arrests_ho")


@register(
    "arrests_ho",
    "Arrests by police force area and self-defined ethnicity (Home Office)",
    files=ARRESTS_FILES,
    description="Home Office police powers and procedures 2018/19, tables A_08 and A_01c. "
    "Excludes Lancashire in every year.",
)
def load_arrests(raw_dir: Path) -> pd.DataFrame:
    """Dataset ``arrests_ho`` (see the module docstring)."""
    files = sorted(Path(raw_dir).glob(ARRESTS_FILES[0]))
    if not files:
        raise DataError(
            "no arrests workbook found",
            file=str(Path(raw_dir) / ARRESTS_FILES[0]),
            expected="the Home Office arrests tables (.ods)",
        )
    return pd.concat([read_arrests(f) for f in files], ignore_index=True)


# --------------------------------------------------------------------------------------
# Use of force
# --------------------------------------------------------------------------------------


def _workbook_year(path: Path) -> periods.Period:
    """The financial year a use-of-force workbook covers, from its Contents sheet (or name)."""
    names = read_sheet(path, "Contents")
    for row in names[:6]:
        m = re.search(r"1 April (\d{4}) to 31 March (\d{4})", " ".join(str(c) for c in row))
        if m and int(m.group(2)) == int(m.group(1)) + 1:
            return periods.financial_year(int(m.group(1)))
    m = re.search(r"apr(\d{4})-mar(\d{4})", path.name)
    if m:
        return periods.financial_year(int(m.group(1)))
    raise DataError(
        "cannot tell which year the workbook covers",
        file=str(path),
        expected="a Contents sheet titled '... 1 April YYYY to 31 March YYYY'",
    )


def tactic_group(tactic: str) -> str:
    """The tactic a Table_16 label names, whatever the edition's wording: the 2019/20 workbook labels
    Taser ``CED of which`` (2018/19: ``CED``) and other headings ``Baton, of which``; the ``of which``
    (a heading over its breakdown) is dropped, so ``CED of which`` -> ``CED``."""
    return re.sub(r",?\s*of which$", "", clean_label(tactic), flags=re.I).strip()


def _read_table16(path: Path, year: periods.Period) -> tuple[pd.DataFrame, int, int]:
    sheet = "Table_16"
    rows = read_sheet(path, sheet)
    h = find_row(rows, "Police force", path=path, sheet=sheet)
    header = [clean_label(c) for c in rows[h]]
    expected_start = ["Police force", "Type of force", "Tactic"]
    if [x.casefold() for x in header[:3]] != [x.casefold() for x in expected_start]:
        raise DataError(
            "unexpected header",
            file=str(path),
            row=h + 1,
            value=header[:3],
            expected=f"the columns {expected_start} then the ethnic groups",
        )
    try:
        total_col = [c.casefold() for c in header].index("number of times tactic reported")
    except ValueError:
        raise DataError(
            "no total column",
            file=str(path),
            row=h + 1,
            expected="a column 'Number of times tactic reported'",
        ) from None
    groups = [(j, header[j]) for j in range(3, total_col) if header[j]]
    records: list[dict] = []
    rows_in = set_aside = 0
    for i in range(h + 1, len(rows)):
        row = trim(rows[i])
        if not row:
            break  # the notes follow a blank row
        rows_in += 1
        force, tactic_type, tactic = (clean_label(row[k]) if k < len(row) else "" for k in range(3))
        if _is_subtotal_area(force):
            set_aside += 1
            continue
        area = resolve_area(_area_label(force), file=path, row=i + 1, column="Police force")
        total, _ = parse_count(
            rows[i][total_col], file=path, row=i + 1, column="Number of times tactic reported"
        )
        for j, label in groups:
            count, symbol = parse_count(rows[i][j], file=path, row=i + 1, column=label)
            records.append(
                {
                    "area_code": area.code,
                    "area_name": area.name,
                    **period_fields(year),
                    "source_label": label,
                    "count": count,
                    "symbol": symbol,
                    "denominator": total,
                    "measure": "tactic_uses",
                    "unit": UNIT_TACTIC,
                    "tactic_type": tactic_type,
                    "tactic": tactic,
                    "tactic_group": tactic_group(tactic),
                    "subtotal": tactic.startswith("*") or "of which" in tactic,
                    "table": sheet,
                }
            )
    return pd.DataFrame.from_records(records), rows_in, set_aside


def _read_table12(path: Path, year: periods.Period) -> tuple[pd.DataFrame, int, int]:
    sheet = "Table_12"
    rows = read_sheet(path, sheet)
    h = find_row(rows, "Region", path=path, sheet=sheet)
    records: list[dict] = []
    rows_in = set_aside = 0
    for i in range(h + 1, len(rows)):
        row = trim(rows[i])
        if not row:
            break
        rows_in += 1
        force = clean_label(row[1]) if len(row) > 1 else ""
        if _is_subtotal_area(force):
            set_aside += 1
            continue
        area = resolve_area(_area_label(force), file=path, row=i + 1, column="Police force")
        count, symbol = parse_count(row[2] if len(row) > 2 else "", file=path, row=i + 1, column="Total")
        records.append(
            {
                "area_code": area.code,
                "area_name": area.name,
                **period_fields(year),
                "source_label": "Total",
                "count": count,
                "symbol": symbol,
                "measure": "incidents",
                "unit": UNIT_INCIDENT,
                "tactic_type": "",
                "tactic": "",
                "subtotal": False,
                "table": sheet,
            }
        )
    return pd.DataFrame.from_records(records), rows_in, set_aside


def _read_table13(path: Path, year: periods.Period) -> tuple[pd.DataFrame, int, int]:
    """CED use by type and force. Later workbooks add a first column ``Financial year``
    (covering every year since 2017/18); the first workbook has one year, without it."""
    sheet = "Table_13"
    rows = read_sheet(path, sheet)
    try:
        h = find_row(rows, "Financial year", path=path, sheet=sheet)
        offset = 1
    except DataError:
        h = find_row(rows, "Region", path=path, sheet=sheet)
        offset = 0
    header = [clean_label(c) for c in rows[h]]
    if [x.casefold() for x in header[offset : offset + 2]] != ["region", "police force"]:
        raise DataError(
            "unexpected header",
            file=str(path),
            row=h + 1,
            value=header[:3],
            expected="[Financial year,] Region, Police force, then the CED uses",
        )
    types = [(j, header[j]) for j in range(offset + 2, len(header)) if header[j]]
    records: list[dict] = []
    rows_in = set_aside = 0
    for i in range(h + 1, len(rows)):
        row = trim(rows[i])
        if not row:
            break
        rows_in += 1
        row_year = _financial_year(row[0], file=path, row=i + 1, column="Financial year") if offset else year
        force = clean_label(row[offset + 1]) if len(row) > offset + 1 else ""
        if _is_subtotal_area(force):
            set_aside += 1
            continue
        area = resolve_area(_area_label(force), file=path, row=i + 1, column="Police force")
        for j, label in types:
            count, symbol = parse_count(
                rows[i][j] if j < len(rows[i]) else "", file=path, row=i + 1, column=label
            )
            records.append(
                {
                    "area_code": area.code,
                    "area_name": area.name,
                    **period_fields(row_year),
                    "source_label": "Total",
                    "count": count,
                    "symbol": symbol,
                    "measure": "ced_uses",
                    "unit": UNIT_CED,
                    "tactic_type": "CED",
                    "tactic": label,
                    "subtotal": label.casefold().startswith("total"),
                    "table": sheet,
                }
            )
    return pd.DataFrame.from_records(records), rows_in, set_aside


def read_use_of_force(path: str | Path) -> pd.DataFrame:
    """Read one use-of-force workbook: Table_16 (if present), Table_12 and Table_13.

    Returns the tidy frame (validated) with an ``edition`` column naming the workbook's
    year. Raises :class:`DataError` for a truncated or corrupt file, a missing sheet, an
    unknown force or ethnicity label, or a cell that is not a count.
    """
    from eqlib.sources.ods import sheet_names

    path = Path(path)
    year = _workbook_year(path)
    sheets = sheet_names(path)
    parts: list[pd.DataFrame] = []
    rows_in = set_aside = 0
    if "Table_16" in sheets and _is_force_ethnicity_table(path):
        frame, n_in, n_aside = _read_table16(path, year)
        frame = add_broad_group(
            frame, label_column="source_label", classification="ho", source=f"{path} (Table_16)"
        )
        parts.append(frame)
        rows_in, set_aside = rows_in + n_in, set_aside + n_aside
    else:
        log.info(
            "%s: no table of tactics by force and perceived ethnicity (%s)",
            path.name,
            USE_OF_FORCE_COVERAGE.get(year.label, "not in this workbook"),
        )
    for reader in (_read_table12, _read_table13):
        frame, n_in, n_aside = reader(path, year)
        frame["group"] = ALL
        parts.append(frame)
        rows_in, set_aside = rows_in + n_in, set_aside + n_aside
    out = pd.concat(parts, ignore_index=True)
    check_unique(
        out,
        ["area_code", "period", "measure", "tactic_type", "tactic", "source_label"],
        file=path,
        what="use of force tables",
    )
    out["edition"] = year.label
    log.info(
        "%s: %d table rows read, %d region subtotal rows set aside, %d tidy rows",
        path.name,
        rows_in,
        set_aside,
        len(out),
    )
    return finalise(out, dataset="use_of_force_ho")


def _is_force_ethnicity_table(path: Path) -> bool:
    rows = read_sheet(path, "Table_16")
    title = " ".join(str(c) for c in (rows[0] if rows else []))
    return "police force" in title.casefold() and "ethnicity" in title.casefold()


@register(
    "use_of_force_ho",
    "Use of force by police force and officer-perceived ethnicity (Home Office)",
    files=USE_OF_FORCE_FILES,
    description="Home Office police use of force statistics 2017/18-2019/20: tactics by "
    "force and perceived ethnicity (Table_16, 2018/19 and 2019/20 only: the "
    "2017/18 workbook has no force x ethnicity table), incidents by force "
    "(Table_12), CED use by force (Table_13). Unit: a tactic use or an "
    "incident, not a person.",
)
def load_use_of_force(raw_dir: Path) -> pd.DataFrame:
    """Dataset ``use_of_force_ho`` (see the module docstring).

    Table_13 repeats earlier years in later workbooks (with revisions, marked ``(R)``):
    each year's CED rows come from the latest workbook that has it.
    """
    files = sorted(Path(raw_dir).glob(USE_OF_FORCE_FILES[0]))
    if not files:
        raise DataError(
            "no use-of-force workbook found",
            file=str(Path(raw_dir) / USE_OF_FORCE_FILES[0]),
            expected="the Home Office use of force tables (.ods)",
        )
    frames = [read_use_of_force(f) for f in files]
    frame = pd.concat(frames, ignore_index=True)
    ced = frame["measure"] == "ced_uses"
    latest = frame[ced].groupby("period")["edition"].transform("max")
    superseded = ced & (frame["edition"] != latest.reindex(frame.index))
    n_superseded = int(superseded.sum())
    out = frame[~superseded].reset_index(drop=True)
    log_rows(
        "use_of_force_ho",
        rows_in=len(frame),
        rows_out=len(out),
        dropped={"CED rows superseded by a later workbook's figures for the same year": n_superseded},
        records_in=float(frame["count"].sum()),
        records_out=float(out["count"].sum() + frame.loc[superseded, "count"].sum()),
    )
    out.attrs["coverage"] = dict(USE_OF_FORCE_COVERAGE)
    return finalise(out, dataset="use_of_force_ho")
