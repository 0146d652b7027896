"""police.uk stop and search records: the standard monthly CSV, one file per force and month.

Files are named ``<YYYY-MM>-<force-slug>-stop-and-search.csv`` (data.police.uk archive) and
carry the 15 standard columns (:data:`EXPECTED_COLUMNS`). Three folders are read:

- ``policeuk-stop-search-metropolitan-2018``: Metropolitan Police, January to December 2018;
- ``policeuk-stop-search-city-of-london``: City of London Police, December 2017 to November 2020;
- ``policeuk-stop-search-wales-4forces-2019-2022``: Dyfed-Powys, Gwent, North Wales and South
  Wales, April 2019 to March 2022 (files reconstructed from a concatenation; booleans written
  back as True/False; Gwent August 2019 missing at source, see :data:`KNOWN_MISSING`).

Rules (see each folder's ``SOURCE.txt``):

- the month comes from the FILE NAME, not the Date column (dates are UTC; the first rows of a
  month can carry the previous day at 23:00 in British Summer Time);
- the force comes from the file-name slug, resolved through :func:`eqlib.areas.resolve`;
- vehicle-only searches (``Type == "Vehicle search"``) have no person: they stay in the records
  with ``vehicle_only=True`` and are excluded from rates by ethnicity (Home Office rule), which
  :func:`aggregate` does by default.

Datasets: ``stop_search_policeuk_records`` (record level, internal, never published),
``stop_search_policeuk`` (tidy counts per force and month) and ``stop_search_policeuk_coverage``
(one row per expected force-month: records in the file, or ``[x]`` where the month is missing).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from eqlib import periods
from eqlib.areas import UnknownAreaError, resolve
from eqlib.errors import DataError
from eqlib.ethnicity import UnknownEthnicityError, broad_group
from eqlib.sources import register
from eqlib.sources._common import finalise, log_rows, read_csv_rows
from eqlib.sources.policeuk_reconstruct import POLICEUK_COLUMNS

log = logging.getLogger(__name__)

FOLDERS: tuple[str, ...] = (
    "policeuk-stop-search-metropolitan-2018",
    "policeuk-stop-search-city-of-london",
    "policeuk-stop-search-wales-4forces-2019-2022",
)
FILE_GLOBS: tuple[str, ...] = tuple(f"{folder}/*-stop-and-search.csv" for folder in FOLDERS)

#: the 15 columns police.uk writes, in its order (one list, shared with the fetch's rebuild)
EXPECTED_COLUMNS: tuple[str, ...] = POLICEUK_COLUMNS

#: force-months known to be missing at source: (slug, month label) -> reason
KNOWN_MISSING: dict[tuple[str, str], str] = {
    ("gwent", "2019-08"): "missing at source: the police.uk extract for Gwent, August 2019 was not "
    "in the concatenated Welsh files (policeuk-stop-search-wales-4forces-2019-2022/SOURCE.txt)",
}

#: the months each folder is meant to cover, per force slug (first month, last month)
EXPECTED_SPANS: dict[str, tuple[str, str]] = {
    "metropolitan": ("2018-01", "2018-12"),
    "city-of-london": ("2017-12", "2020-11"),
    "dyfed-powys": ("2019-04", "2022-03"),
    "gwent": ("2019-04", "2022-03"),
    "north-wales": ("2019-04", "2022-03"),
    "south-wales": ("2019-04", "2022-03"),
}

SEARCH_TYPES = ("Person search", "Person and Vehicle search", "Vehicle search")
VEHICLE_ONLY = "Vehicle search"

NOT_RECORDED = "Not recorded"

#: outcome labels (both vocabularies, before and after the 2018-19 change) -> outcome group
OUTCOME_GROUPS: dict[str, str] = {
    "Arrest": "arrest",
    "Suspect arrested": "arrest",
    "A no further action disposal": "no further action",
    "Nothing found - no further action": "no further action",
    "Suspected psychoactive substances seized - No further action": "no further action",
    "Community resolution": "community resolution",
    "Local resolution": "community resolution",
    "Caution (simple or conditional)": "caution",
    "Offender cautioned": "caution",
    "Penalty Notice for Disorder": "penalty notice",
    "Offender given penalty notice": "penalty notice",
    "Summons / charged by post": "summons",
    "Suspect summonsed to court": "summons",
    "Khat or Cannabis warning": "khat-cannabis warning",
    "Offender given drugs possession warning": "khat-cannabis warning",
    "Article found - Detailed outcome unavailable": "other",
    "": NOT_RECORDED,
}
OUTCOME_GROUP_ORDER: tuple[str, ...] = (
    "arrest",
    "no further action",
    "community resolution",
    "caution",
    "penalty notice",
    "summons",
    "khat-cannabis warning",
    "other",
    NOT_RECORDED,
)

_BOOLEANS = {"true": True, "false": False, "": pd.NA}

_FILE_NAME = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<slug>.+)-stop-and-search\.csv$")

#: dimensions of the tidy count frame (besides area, period, group and source_label)
COUNT_DIMENSIONS: tuple[str, ...] = (
    "officer_group",
    "legislation",
    "outcome_group",
    "outcome_linked",
    "object_of_search",
    "age_range",
    "gender",
    "vehicle_only",
)

RECORD_COLUMNS: tuple[str, ...] = (
    "area_code",
    "area_name",
    "month",
    "period_start",
    "period_end",
    "type",
    "date",
    "gender",
    "age_range",
    "self_defined_label",
    "self_group",
    "officer_defined_label",
    "officer_group",
    "legislation",
    "object_of_search",
    "outcome",
    "outcome_group",
    "outcome_linked",
    "removal_more_than_outer",
    "part_of_operation",
    "vehicle_only",
    "source_file",
    "source_row",
)

RECORDS = pa.DataFrameSchema(
    {
        "area_code": pa.Column(str, pa.Check.str_matches(r"^(E23\d{6}|W15\d{6})$")),
        "area_name": pa.Column(str),
        "month": pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d{2}$")),
        "period_start": pa.Column("datetime64[ns]"),
        "period_end": pa.Column("datetime64[ns]"),
        "type": pa.Column(str, pa.Check.isin(SEARCH_TYPES)),
        "date": pa.Column("datetime64[ns]", nullable=True),
        "self_group": pa.Column(str),
        "officer_group": pa.Column(str),
        "outcome_group": pa.Column(str, pa.Check.isin(OUTCOME_GROUP_ORDER)),
        "outcome_linked": pa.Column("boolean", nullable=True),
        "removal_more_than_outer": pa.Column("boolean", nullable=True),
        "part_of_operation": pa.Column("boolean", nullable=True),
        "vehicle_only": pa.Column(bool),
    },
    strict=False,
    coerce=True,
)


# --------------------------------------------------------------------------------------------
# One file
# --------------------------------------------------------------------------------------------


def parse_file_name(path: Path) -> tuple[periods.Period, str]:
    """Return ``(month period, force slug)`` from ``<YYYY-MM>-<slug>-stop-and-search.csv``."""
    match = _FILE_NAME.match(path.name)
    if not match:
        raise DataError(
            "cannot read the month and force from the file name",
            file=str(path),
            value=path.name,
            expected="a police.uk file name such as 2021-04-south-wales-stop-and-search.csv",
        )
    number = int(match["month"])
    if not 1 <= number <= 12:
        raise DataError(
            "the month in the file name is not 01-12",
            file=str(path),
            value=match["month"],
            expected="a month 01 to 12",
        )
    return periods.month(int(match["year"]), number), match["slug"]


def _check_header(header: list[str], path: Path) -> None:
    found = [c.strip() for c in header]
    if tuple(found) == EXPECTED_COLUMNS:
        return
    missing = [c for c in EXPECTED_COLUMNS if c not in found]
    unexpected = [c for c in found if c not in EXPECTED_COLUMNS]
    detail = []
    if missing:
        detail.append("missing columns: " + ", ".join(repr(c) for c in missing))
    if unexpected:
        detail.append("unexpected columns: " + ", ".join(repr(c) for c in unexpected))
    if not detail:
        detail.append("the columns are in a different order or repeated")
    raise DataError(
        "wrong header (" + "; ".join(detail) + ")",
        file=str(path),
        row=1,
        expected=f"the {len(EXPECTED_COLUMNS)} police.uk stop and search columns in this order: "
        + ", ".join(EXPECTED_COLUMNS),
    )


def _ethnic_expected(classification: str) -> str:
    from eqlib.ethnicity import labels

    return "blank or one of: " + "; ".join(repr(label) for label in labels(classification))


def _read_raw(path: Path) -> pd.DataFrame:
    """One file -> its 15 columns as stripped strings plus area, month and source file and line.

    Checks the file name, force slug, header and field counts; skips (and logs) blank lines and
    repeated header lines.
    """
    period, slug = parse_file_name(path)
    try:
        area = resolve(slug)
    except UnknownAreaError as exc:
        raise DataError(
            f"unknown police force in the file name ({exc})",
            file=str(path),
            value=slug,
            expected="a police.uk force slug such as south-wales or metropolitan",
        ) from None
    if area.code.startswith("K") or area.code == "BTP":
        raise DataError(
            "the file name does not name a territorial police force",
            file=str(path),
            value=slug,
            expected="a police.uk force slug such as south-wales",
        )

    lines = read_csv_rows(path)  # an unterminated quote is an error naming its row and column
    if not lines:
        raise DataError("the file is empty", file=str(path), expected="a header row and data rows")
    _check_header(lines[0], path)
    first_line = lines[0]
    header = [c.strip() for c in first_line]
    width = len(EXPECTED_COLUMNS)

    data: list[list[str]] = []
    line_numbers: list[int] = []
    repeated_headers: list[int] = []
    blank_lines: list[int] = []
    for number, fields in enumerate(lines[1:], start=2):
        if len(fields) != width:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                blank_lines.append(number)
                continue
            raise DataError(
                f"wrong number of fields ({len(fields)})",
                file=str(path),
                row=number,
                value=",".join(fields)[:120],
                expected=f"{width} comma-separated fields",
            )
        if fields == first_line or (fields[0].strip() == "Type" and [f.strip() for f in fields] == header):
            repeated_headers.append(number)
            continue
        data.append(fields)
        line_numbers.append(number)
    if repeated_headers:
        log.warning("%s: header repeated at line(s) %s; skipped", path, ", ".join(map(str, repeated_headers)))
    if blank_lines:
        log.info("%s: %d blank line(s) skipped", path, len(blank_lines))
    log_rows(
        f"police.uk {path.name}",
        rows_in=len(lines) - 1,
        rows_out=len(data),
        dropped={"repeated header lines": len(repeated_headers), "blank lines": len(blank_lines)},
    )

    raw = pd.DataFrame(data, columns=list(EXPECTED_COLUMNS), dtype="str")
    for column in EXPECTED_COLUMNS:
        raw[column] = raw[column].str.strip()
    raw["area_code"] = area.code
    raw["area_name"] = area.name
    raw["month"] = period.label
    raw["period_start"] = pd.Series(pd.Timestamp(period.start), index=raw.index, dtype="datetime64[ns]")
    raw["period_end"] = pd.Series(pd.Timestamp(period.end), index=raw.index, dtype="datetime64[ns]")
    raw["source_file"] = path.name
    raw["source_row"] = pd.Series(line_numbers, dtype="int64", index=raw.index)
    raw["_path"] = str(path)
    return raw


def _map_values(raw: pd.DataFrame, column: str, mapper, expected: str) -> pd.Series:
    """Map each distinct value of ``column`` through ``mapper``; a failure names the file, row,
    column and value of the first record holding it."""
    values = raw[column]
    out: dict[str, object] = {}
    for value in values.unique():
        try:
            out[value] = mapper(value)
        except (KeyError, UnknownEthnicityError):
            first = raw.loc[values == value].iloc[0]
            raise DataError(
                f"unknown value in {column}",
                file=first["_path"],
                row=int(first["source_row"]),
                column=column,
                value=value,
                expected=expected,
            ) from None
    return values.map(out)


def _check_type(value: str) -> str:
    if value not in SEARCH_TYPES:
        raise KeyError(value)
    return value


def _to_bool(value: str):
    return _BOOLEANS[value.lower()]


def _to_records(raw: pd.DataFrame) -> pd.DataFrame:
    """Raw string columns (from :func:`_read_raw`) -> typed records with groups (see RECORD_COLUMNS)."""
    bool_expected = "True, False or blank"
    out = pd.DataFrame(
        {
            "area_code": raw["area_code"],
            "area_name": raw["area_name"],
            "month": raw["month"],
            "period_start": raw["period_start"],
            "period_end": raw["period_end"],
            "type": _map_values(raw, "Type", _check_type, "one of " + ", ".join(map(repr, SEARCH_TYPES))),
            "date": _parse_dates(raw),
            "gender": raw["Gender"].replace("", NOT_RECORDED),
            "age_range": raw["Age range"].replace("", NOT_RECORDED),
            "self_defined_label": raw["Self-defined ethnicity"],
            "self_group": _map_values(
                raw,
                "Self-defined ethnicity",
                lambda v: broad_group(v, "policeuk_self"),
                _ethnic_expected("policeuk_self"),
            ),
            "officer_defined_label": raw["Officer-defined ethnicity"],
            "officer_group": _map_values(
                raw,
                "Officer-defined ethnicity",
                lambda v: broad_group(v, "officer"),
                _ethnic_expected("officer"),
            ),
            "legislation": raw["Legislation"].replace("", NOT_RECORDED),
            "object_of_search": raw["Object of search"].replace("", NOT_RECORDED),
            "outcome": raw["Outcome"],
            "outcome_group": _map_values(
                raw,
                "Outcome",
                lambda v: OUTCOME_GROUPS[v],
                "blank or one of: " + "; ".join(repr(k) for k in OUTCOME_GROUPS if k),
            ),
            "outcome_linked": _map_values(raw, "Outcome linked to object of search", _to_bool, bool_expected),
            "removal_more_than_outer": _map_values(
                raw, "Removal of more than just outer clothing", _to_bool, bool_expected
            ),
            "part_of_operation": _map_values(raw, "Part of a policing operation", _to_bool, bool_expected),
            "source_file": raw["source_file"],
            "source_row": raw["source_row"],
        },
        index=raw.index,
    )
    for column in ("outcome_linked", "removal_more_than_outer", "part_of_operation"):
        out[column] = out[column].astype("boolean")
    out["vehicle_only"] = out["type"].eq(VEHICLE_ONLY).astype(bool)
    return out[list(RECORD_COLUMNS)].reset_index(drop=True)


def read_month_file(path: str | Path) -> pd.DataFrame:
    """Read one police.uk monthly stop and search file into records.

    Parameters
    ----------
    path
        A file named ``<YYYY-MM>-<force-slug>-stop-and-search.csv``.

    Returns
    -------
    DataFrame
        One row per search with the columns in :data:`RECORD_COLUMNS`. ``source_row`` is the
        line number in the file (the header is line 1).

    Raises
    ------
    DataError
        Naming the file (and row, column, value, expected) for a bad file name or unknown force
        slug, an empty file, a wrong or missing header, a row with the wrong number of fields, an
        unknown search type, ethnicity or outcome label, a bad boolean or an unreadable date.

    Notes
    -----
    A header line repeated inside the file (as when files are concatenated) is skipped with a
    warning naming its line; blank lines are skipped and logged. Encoding: UTF-8 with or
    without BOM, else Windows-1252 (:func:`eqlib.sources._common.read_csv_text`).
    """
    return _to_records(_read_raw(Path(path)))


def _parse_dates(raw: pd.DataFrame) -> pd.Series:
    """ISO datetimes (UTC offsets) -> naive UTC timestamps; a bad or blank date is an error."""
    values = raw["Date"]
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
    bad = parsed.isna()
    if bad.any():
        first = raw.loc[bad].iloc[0]
        raise DataError(
            "not a date and time",
            file=first["_path"],
            row=int(first["source_row"]),
            column="Date",
            value=first["Date"],
            expected="an ISO 8601 date-time such as 2021-04-01T10:30:00+00:00",
        )
    return parsed.dt.tz_convert(None).astype("datetime64[ns]")


# --------------------------------------------------------------------------------------------
# All files
# --------------------------------------------------------------------------------------------


def month_files(raw_dir: Path) -> list[Path]:
    """Every police.uk monthly stop and search file in the three folders, sorted."""
    found: list[Path] = []
    for pattern in FILE_GLOBS:
        found.extend(sorted(Path(raw_dir).glob(pattern)))
    return found


def read_records(files: list[Path]) -> pd.DataFrame:
    """Read and concatenate monthly files; a force-month given twice is an error."""
    seen: dict[tuple[str, str], Path] = {}
    frames = []
    for path in files:
        period, slug = parse_file_name(path)
        key = (resolve(slug).code, period.label)
        if key in seen:
            raise DataError(
                f"a second file for the same force and month (first: {seen[key]})",
                file=str(path),
                expected="one file per force and month",
            )
        seen[key] = path
        frames.append(_read_raw(path))
    if not frames:
        raise DataError(
            "no police.uk stop and search files found",
            expected="files named <YYYY-MM>-<force>-stop-and-search.csv in " + ", ".join(FOLDERS),
        )
    raw = pd.concat(frames, ignore_index=True)
    records = RECORDS.validate(_to_records(raw))
    log_rows(
        "stop_search_policeuk_records",
        rows_in=len(raw),
        rows_out=len(records),
        records_in=float(len(raw)),
        records_out=float(len(records)),
    )
    log.info("police.uk stop and search: %d files, %d records", len(files), len(records))
    return records


@register(
    "stop_search_policeuk_records",
    "police.uk stop and search records (record level, internal: never published)",
    files=FILE_GLOBS,
    description="One row per search, Metropolitan Police 2018, City of London Dec 2017-Nov 2020, "
    "four Welsh forces Apr 2019-Mar 2022. Month from the file name.",
)
def load_records(raw_dir: Path) -> pd.DataFrame:
    """All police.uk stop and search records (internal; record level, never published)."""
    return read_records(month_files(raw_dir))


def count_records(records: pd.DataFrame, *, dataset: str = "stop_search_policeuk") -> pd.DataFrame:
    """Tidy counts (schemas.COUNTS) per force, month, self-defined group and label and the
    dimensions in :data:`COUNT_DIMENSIONS`. Missing dimension values are ``Not recorded`` (or
    ``Not stated`` for ethnicity), never NaN, so that no record is dropped by a groupby.

    ``outcome_linked`` becomes ``Yes``/``No``/``Not recorded``. The sum of ``count`` equals the
    number of records (checked).
    """
    frame = records.copy()
    frame["group"] = frame["self_group"]
    frame["source_label"] = frame["self_defined_label"].fillna("")
    linked = frame["outcome_linked"].astype("boolean")
    frame["outcome_linked"] = (
        linked.map({True: "Yes", False: "No"}).astype(object).where(linked.notna(), NOT_RECORDED)
    )
    keys = [
        "area_code",
        "area_name",
        "month",
        "period_start",
        "period_end",
        "group",
        "source_label",
        *COUNT_DIMENSIONS,
    ]
    for column in keys:
        if frame[column].isna().any():
            raise AssertionError(f"{dataset}: missing values in dimension {column!r}")
    counts = frame.groupby(keys, sort=True, dropna=False, observed=True).size().rename("count").reset_index()
    counts = counts.rename(columns={"month": "period"})
    counts["count"] = counts["count"].astype(float)
    counts["symbol"] = ""
    counts = finalise(counts, dataset=dataset)
    log_rows(
        dataset,
        rows_in=len(records),
        rows_out=len(counts),
        records_in=float(len(records)),
        records_out=float(counts["count"].sum()),
    )
    assert counts["count"].sum() == len(records), "counts do not reconcile with records"
    return counts


@register(
    "stop_search_policeuk",
    "police.uk stop and search: counts by force, month, ethnicity, legislation, outcome, age, gender",
    files=FILE_GLOBS,
    description="Tidy counts from the police.uk records. group = self-defined broad group; "
    "vehicle-only searches flagged (vehicle_only) and excluded from rates by aggregate().",
)
def load_counts(raw_dir: Path) -> pd.DataFrame:
    """Tidy counts per force and month from every police.uk file (see :func:`count_records`).

    The records come from the cached ``stop_search_policeuk_records`` dataset when ``raw_dir`` is
    a project's ``data/raw`` (see :func:`records_for`), so the 191 files are parsed once for all
    three police.uk datasets.
    """
    return count_records(records_for(raw_dir))


def records_for(raw_dir: Path) -> pd.DataFrame:
    """The records of every police.uk file under ``raw_dir``, parsed once.

    When ``raw_dir`` is the data folder (:func:`eqlib.paths.raw_dir`, e.g. ``EQLIB_DATA_DIR``) or a
    project's ``data/raw`` folder, this is
    ``eqlib.store.load("stop_search_policeuk_records", root=<project>)``: the records' parquet
    cache, built first if it is missing or stale. The counts and coverage datasets read the same
    files (:data:`FILE_GLOBS`) with the same loader module, so their cache keys change whenever
    the records' key does (a changed police.uk file or a changed line of this module). For any
    other folder (test fixtures, ``load_uncached`` on a copy) the files are parsed directly.
    """
    raw_dir = Path(raw_dir)
    root = raw_dir.parent.parent
    from eqlib import paths, store

    if (
        raw_dir.name == "raw"
        and raw_dir.parent.name == "data"
        and paths.raw_dir(root).resolve() == raw_dir.resolve()
    ):
        return store.load("stop_search_policeuk_records", root=root)
    if paths.raw_dir().resolve() == raw_dir.resolve():
        return store.load("stop_search_policeuk_records")
    return load_records(raw_dir)


# --------------------------------------------------------------------------------------------
# Coverage
# --------------------------------------------------------------------------------------------


def _month_range(first: str, last: str) -> list[periods.Period]:
    start, end = periods.parse(first), periods.parse(last)
    out, year, number = [], start.start.year, start.start.month
    while (year, number) <= (end.start.year, end.start.month):
        out.append(periods.month(year, number))
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return out


def coverage_from_files(
    files: list[Path],
    *,
    dataset: str = "stop_search_policeuk_coverage",
    expected_spans: dict[str, tuple[str, str]] | None = None,
    known_missing: dict[tuple[str, str], str] | None = None,
    rows_per_file: dict[str, int] | None = None,
) -> pd.DataFrame:
    """One row per expected force-month: ``count`` = data rows in the file, or NaN with symbol
    ``[x]`` and a ``status`` saying why where there is no file.

    ``rows_per_file`` gives the data rows of each file by file name (the records per
    ``source_file``, as :func:`load_coverage` passes them); a file it does not name has none.
    Without it, each file's rows are counted with the csv module.

    Expected months per force are :data:`EXPECTED_SPANS` (or, for a force not listed, the span
    from its first to its last file). A month inside the span with no file is ``missing``;
    a month in :data:`KNOWN_MISSING` is ``missing at source``.
    """
    spans = dict(EXPECTED_SPANS if expected_spans is None else expected_spans)
    known = dict(KNOWN_MISSING if known_missing is None else known_missing)
    present: dict[tuple[str, str], tuple[Path, int]] = {}
    by_slug: dict[str, list[str]] = {}
    for path in files:
        period, slug = parse_file_name(path)
        n = _data_row_count(path) if rows_per_file is None else int(rows_per_file.get(path.name, 0))
        present[(slug, period.label)] = (path, n)
        by_slug.setdefault(slug, []).append(period.label)
    rows = []
    for slug, labels in sorted(by_slug.items()):
        first, last = spans.get(slug, (min(labels), max(labels)))
        area = resolve(slug)
        for period in _month_range(min(first, min(labels)), max(last, max(labels))):
            key = (slug, period.label)
            if key in present:
                path, n = present[key]
                status, count, symbol, note, source_file = "present", float(n), "", "", path.name
            else:
                status = "missing at source" if key in known else "missing"
                count, symbol, source_file = float("nan"), "[x]", ""
                note = known.get(key, "no file for this month")
                log.warning("police.uk stop and search: %s %s %s", area.name, period.label, status)
            rows.append(
                {
                    "area_code": area.code,
                    "area_name": area.name,
                    "period": period.label,
                    "period_start": pd.Timestamp(period.start),
                    "period_end": pd.Timestamp(period.end),
                    "group": "All",
                    "source_label": "",
                    "count": count,
                    "symbol": symbol,
                    "status": status,
                    "note": note,
                    "source_file": source_file,
                }
            )
    return finalise(pd.DataFrame(rows), dataset=dataset)


def _data_row_count(path: Path) -> int:
    """Data rows in one file: lines after the header that are neither blank nor a repeated header."""
    lines = read_csv_rows(path)
    header = [c.strip() for c in lines[0]] if lines else []
    return sum(
        1 for fields in lines[1:] if any(f.strip() for f in fields) and [f.strip() for f in fields] != header
    )


@register(
    "stop_search_policeuk_coverage",
    "police.uk stop and search: which force-months exist (records per file, missing months)",
    files=FILE_GLOBS,
)
def load_coverage(raw_dir: Path) -> pd.DataFrame:
    """Coverage of the police.uk files: one row per expected force and month.

    The rows per file are the records per ``source_file`` (:func:`records_for`: the cached
    records, parsed once); every record is counted in exactly one present month (checked).
    """
    files = month_files(raw_dir)
    records = records_for(raw_dir)
    per_file = records.groupby("source_file", sort=True).size()
    names = {path.name for path in files}
    stray = sorted(set(per_file.index) - names)
    if stray:
        raise AssertionError(f"records from files outside the coverage: {stray[:5]}")
    coverage = coverage_from_files(files, rows_per_file={str(k): int(v) for k, v in per_file.items()})
    counted = float(coverage["count"].sum())
    log_rows(
        "stop_search_policeuk_coverage",
        rows_in=len(records),
        rows_out=len(coverage),
        records_in=float(len(records)),
        records_out=counted,
    )
    assert counted == len(records), "coverage does not reconcile with records"
    return coverage


def coverage_months(raw_dir: Path | None = None) -> pd.DataFrame:
    """Which force-months exist (``status`` present / missing / missing at source), with the
    number of records in each file. Reads ``data/raw`` unless ``raw_dir`` is given."""
    from eqlib.paths import raw_dir as default_raw_dir

    return load_coverage(Path(raw_dir) if raw_dir is not None else default_raw_dir())


# --------------------------------------------------------------------------------------------
# Aggregation
# --------------------------------------------------------------------------------------------


def _period_of(month_start: pd.Timestamp, kind: str) -> periods.Period:
    day = month_start.date()
    if kind == "financial_year":
        return periods.financial_year_of(day)
    if kind == "calendar_year":
        return periods.calendar_year(day.year)
    if kind == "month":
        return periods.month(day.year, day.month)
    raise ValueError(f"period must be 'financial_year', 'calendar_year' or 'month', not {kind!r}")


def _months_in(period: periods.Period) -> int:
    return (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1


def aggregate(
    counts: pd.DataFrame,
    *,
    by: list[str] | tuple[str, ...] = ("group",),
    period: str = "financial_year",
    include_vehicle_only: bool = False,
    coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Roll monthly police.uk counts up to financial years, calendar years or months.

    Parameters
    ----------
    counts
        The ``stop_search_policeuk`` frame (one row per force, month and dimensions).
    by
        Dimensions to keep besides area and period (e.g. ``["group"]``,
        ``["group", "outcome_group"]``); ``[]`` gives totals.
    period
        ``"financial_year"`` (April to March, the default), ``"calendar_year"`` or ``"month"``.
    include_vehicle_only
        Vehicle-only searches have no person and no ethnicity; the Home Office excludes them from
        rates by ethnicity. They are left out unless this is True (the number left out is logged).
    coverage
        Optional ``stop_search_policeuk_coverage`` frame. Without it, a month counts as present
        for an area when the counts have any row for it (a file with no records would then look
        missing).

    Returns
    -------
    DataFrame
        COUNTS-shaped (``group`` is ``All`` and ``source_label`` blank when not in ``by``) plus
        ``months_present``, ``months_expected`` (months in the period) and ``partial``
        (``months_present < months_expected``), so that a partial period is always visible.
    """
    by = list(by)
    unknown = [c for c in by if c not in counts.columns]
    if unknown:
        raise ValueError(f"aggregate: no such column(s) {unknown}; available: {list(counts.columns)}")
    _period_of(pd.Timestamp("2000-01-01"), period)  # validates ``period``
    frame = counts
    if not include_vehicle_only and "vehicle_only" in frame:
        vehicle = frame["vehicle_only"].astype(bool)
        log.info(
            "aggregate: %d vehicle-only searches excluded (no person searched)",
            int(frame.loc[vehicle, "count"].sum()),
        )
        frame = frame.loc[~vehicle]
    frame = frame.copy()
    found: dict[str, periods.Period] = {}

    def label_of(start) -> str:
        p = _period_of(pd.Timestamp(start), period)
        found[p.label] = p
        return p.label

    def labels_of(starts: pd.Series) -> pd.Series:
        mapping = {start: label_of(start) for start in starts.unique()}
        return starts.map(mapping).astype(str)

    frame["_period"] = labels_of(frame["period_start"])

    # months present per area and period
    if coverage is not None:
        coverage = coverage.loc[coverage["area_code"].isin(set(counts["area_code"]))]
        cov = coverage.loc[coverage["symbol"] == "", ["area_code", "period_start"]].drop_duplicates()
        months_all = coverage[["area_code", "area_name", "period_start"]].drop_duplicates()
    else:
        cov = frame[["area_code", "period_start"]].drop_duplicates()
        months_all = None
    cov = cov.assign(_period=labels_of(cov["period_start"]))
    present = cov.groupby(["area_code", "_period"]).size().rename("months_present")

    keys = ["area_code", "area_name", "_period", *by]
    out = frame.groupby(keys, dropna=False, observed=True, sort=True)["count"].sum().reset_index()
    out["symbol"] = ""
    if months_all is not None and not by:
        # area-periods in the coverage with no counts: 0 if some month's file exists (no records),
        # else missing with [x] (every month missing): never a silent gap and never a false zero
        expected = months_all.assign(_period=labels_of(months_all["period_start"]))
        expected = expected[["area_code", "area_name", "_period"]].drop_duplicates()
        done = set(zip(out["area_code"], out["_period"], strict=True))
        absent = expected[
            [(a, p) not in done for a, p in zip(expected["area_code"], expected["_period"], strict=True)]
        ]
        if len(absent):
            has_file = [
                (a, p) in present.index for a, p in zip(absent["area_code"], absent["_period"], strict=True)
            ]
            absent = absent.assign(
                count=[0.0 if f else float("nan") for f in has_file],
                symbol=["" if f else "[x]" for f in has_file],
            )
            out = pd.concat([out, absent], ignore_index=True)
    months = present.to_dict()
    out["months_present"] = [
        int(months.get((a, p), 0)) for a, p in zip(out["area_code"], out["_period"], strict=True)
    ]
    out["months_expected"] = out["_period"].map({k: _months_in(p) for k, p in found.items()}).astype(int)
    out["partial"] = out["months_present"] < out["months_expected"]
    out["period"] = out["_period"]
    out["period_start"] = (
        out["_period"].map({k: pd.Timestamp(p.start) for k, p in found.items()}).astype("datetime64[ns]")
    )
    out["period_end"] = (
        out["_period"].map({k: pd.Timestamp(p.end) for k, p in found.items()}).astype("datetime64[ns]")
    )
    out = out.drop(columns="_period")
    if "group" not in by:
        out["group"] = "All"
    if "source_label" not in by:
        out["source_label"] = ""
    dataset = (
        str(counts["dataset"].iloc[0]) if "dataset" in counts and len(counts) else "stop_search_policeuk"
    )
    out = finalise(out, dataset=dataset)
    total_in, total_out = float(frame["count"].sum()), float(out["count"].sum())
    log_rows(
        f"{dataset} aggregate({period}, by={by})",
        rows_in=len(frame),
        rows_out=len(out),
        records_in=total_in,
        records_out=total_out,
    )
    return out.sort_values(["area_code", "period_start", *by]).reset_index(drop=True)
