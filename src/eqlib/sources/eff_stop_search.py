"""GOV.UK Ethnicity facts and figures (Race Disparity Unit): stop and search by ethnicity.

Two datasets:

``stop_search_eff_national``
    ``eff-stop-search-rates-national-2006-2020/stop-and-search-data.csv``: number of searches,
    Census 2011 population and rate per 1,000 by ethnicity (All, 5 broad groups, detailed groups,
    Unreported) and financial year 2006/07 to 2019/20, England and Wales excluding Greater
    Manchester (the population 53,393,384 is England and Wales, 56,075,912, less Greater
    Manchester, 2,682,528, in every year). Quirks of this copy, handled explicitly:

    - 2006/07 to 2008/09 are blank: count and rate are missing with symbol ``[x]``, never zero;
    - every year's ``Unreported`` row appears twice (exact duplicates: one is kept and the
      duplicate logged; duplicates that disagree raise :class:`DataError`);
    - the ``Unreported`` count is twice ``All`` minus the five broad groups in every year (it
      looks like two Unreported rows of the original table summed). ``count`` is set to the
      residual, so that the groups add up to All; ``published_count`` keeps the figure in the
      file and ``note`` says so. Any other inconsistency raises :class:`DataError`.

``stop_search_eff_by_area``
    ``eff-stop-search-2022-23-by-area``: year ending March 2023 (April 2022 to March 2023,
    Census 2021 denominators). ``ethnicity-stop-search-by-area.csv`` gives the published rate
    per 1,000 by police force area and group (All, Asian, Black, Mixed, White, Other); counts are
    not published (``count`` missing with symbol ``[x]``, ``count_published`` False). British
    Transport Police and City of London are ``N/A`` (rate missing, ``rate_symbol`` ``[z]``).
    ``ethnicity-stop-search-by-ethnicity.csv`` gives national numbers and rates for All, 5 broad
    and 19 detailed groups and Unknown (England and Wales including BTP).

Rates are the publisher's, rounded as published (``rate``); compute disparity ratios from counts
and denominators where they exist (METHODS.md: ratios from unrounded rates).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pandas as pd

from eqlib import periods
from eqlib.areas import ENGLAND_AND_WALES_CODE, UnknownAreaError, resolve
from eqlib.errors import DataError
from eqlib.ethnicity import UnknownEthnicityError, broad_group
from eqlib.sources import register
from eqlib.sources._common import CsvRows, finalise, log_rows, parse_count

log = logging.getLogger(__name__)

NATIONAL_FILE = "eff-stop-search-rates-national-2006-2020/stop-and-search-data.csv"
BY_AREA_FILE = "eff-stop-search-2022-23-by-area/ethnicity-stop-search-by-area.csv"
BY_ETHNICITY_FILE = "eff-stop-search-2022-23-by-area/ethnicity-stop-search-by-ethnicity.csv"

NATIONAL_COLUMNS = (
    "Time",
    "Ethnicity",
    "Number of stop and searches",
    "Population",
    "Rate per 1,000 population",
)
BY_ETHNICITY_COLUMNS = ("Ethnicity", "Rate of stop and search", "Number of stop and searches")
BY_AREA_GROUPS = ("All", "Asian", "Black", "Mixed", "White", "Other")

ALL = "All"
BROAD_LABELS = {"Asian", "Black", "Mixed", "White", "Other", "Other inc Chinese"}
UNREPORTED_LABELS = {"Unreported", "Unknown"}
EXCLUDES_GREATER_MANCHESTER = "Greater Manchester"
EXCLUDES_BTP = "British Transport Police"
YEAR_2022_23 = "2022-23"


def _check_header(found: list[str], expected: tuple[str, ...], path: Path, row: int = 1) -> None:
    got = tuple(c.strip() for c in found)
    if got != expected:
        missing = [c for c in expected if c not in got]
        unexpected = [c for c in got if c not in expected]
        raise DataError(
            f"wrong header (missing: {missing or 'none'}; unexpected: {unexpected or 'none'})",
            file=str(path),
            row=row,
            value=list(got),
            expected="the columns " + ", ".join(repr(c) for c in expected),
        )


def _level(label: str) -> str:
    if label == ALL:
        return "total"
    if label in BROAD_LABELS or label in UNREPORTED_LABELS:
        return "broad"
    return "detailed"


def _group(label: str, *, path: Path, row: int, column: str) -> str:
    if label == ALL:
        return ALL
    try:
        return broad_group(label, "ho")
    except UnknownEthnicityError as exc:
        raise DataError(
            f"unknown ethnicity label ({exc})",
            file=str(path),
            row=row,
            column=column,
            value=label,
            expected="an Ethnicity facts and figures ethnicity label",
        ) from None


def _rate(value: str, *, path: Path, row: int, column: str) -> tuple[float, str]:
    """A published rate: a number, or a symbol/blank (missing with a reason, never zero)."""
    return parse_count(value, file=path, row=row, column=column, dash_is_zero=False, allow_blank=True)


# --------------------------------------------------------------------------------------------
# National series 2006/07 - 2019/20
# --------------------------------------------------------------------------------------------


def read_national(path: str | Path) -> pd.DataFrame:
    """Read the EFF national stop and search series (see the module docstring).

    Returns a COUNTS frame (area K04000001, ``excludes`` = Greater Manchester) with
    ``denominator`` (population), the published ``rate`` and ``rate_symbol``, ``level``
    (total/broad/detailed), ``published_count`` and ``note``.
    """
    path = Path(path)
    table = CsvRows(path)
    lines = table.lines
    _check_header(lines[0], NATIONAL_COLUMNS, path)
    records: list[dict] = []
    seen: dict[tuple[str, str], tuple[int, tuple[str, ...]]] = {}
    duplicates: list[tuple[int, int]] = []
    width = len(NATIONAL_COLUMNS)
    for number, values in table.records(first_row=2, width=width, expected=f"{width} fields"):
        time, label, number_text, population_text, rate_text = values
        key = (time, label)
        if key in seen:
            first_row, first_values = seen[key]
            if first_values != values:
                raise DataError(
                    f"duplicated row for {time} {label!r} disagrees with row {first_row} ({first_values!r})",
                    file=str(path),
                    row=number,
                    value=values,
                    expected="one row per year and ethnicity (or exact duplicates)",
                )
            duplicates.append((first_row, number))
            continue
        seen[key] = (number, values)
        try:
            period = periods.parse(time)
        except periods.PeriodError as exc:
            raise DataError(
                str(exc),
                file=str(path),
                row=number,
                column="Time",
                value=time,
                expected="a financial year such as 2019/20",
            ) from None
        if period.kind != "financial_year":
            raise DataError(
                "not a financial year",
                file=str(path),
                row=number,
                column="Time",
                value=time,
                expected="a financial year such as 2019/20",
            )
        count, symbol = parse_count(
            number_text, file=path, row=number, column=NATIONAL_COLUMNS[2], allow_blank=True
        )
        population, _ = parse_count(
            population_text, file=path, row=number, column=NATIONAL_COLUMNS[3], allow_blank=True
        )
        rate, rate_symbol = _rate(rate_text, path=path, row=number, column=NATIONAL_COLUMNS[4])
        if label in UNREPORTED_LABELS and math.isnan(rate) and not math.isnan(count):
            rate_symbol = "[z]"  # no population for people whose ethnicity was not reported
        records.append(
            {
                "area_code": ENGLAND_AND_WALES_CODE,
                "area_name": "England and Wales",
                "period": period.label,
                "period_start": pd.Timestamp(period.start),
                "period_end": pd.Timestamp(period.end),
                "group": _group(label, path=path, row=number, column="Ethnicity"),
                "source_label": label,
                "count": count,
                "symbol": symbol,
                "denominator": population,
                "rate": rate,
                "rate_symbol": rate_symbol,
                "level": _level(label),
                "published_count": count,
                "note": "",
                "excludes": EXCLUDES_GREATER_MANCHESTER,
                "source_row": number,
            }
        )
    if duplicates:
        log.warning(
            "%s: %d exact duplicate row(s) dropped, keeping the first of each (rows %s)",
            path,
            len(duplicates),
            ", ".join(f"{dup} = {first}" for first, dup in duplicates),
        )
    frame = _chinese_in_other(pd.DataFrame(records), path)
    frame = _reconcile_unreported(frame, path)
    _check_detailed_sum(frame, path)
    log_rows(
        "stop_search_eff_national",
        rows_in=len(lines) - 1,
        rows_out=len(frame),
        dropped={"exact duplicate rows": len(duplicates), "blank lines": table.blank},
    )
    return frame


def _chinese_in_other(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Before 2019/20 the broad group is "Other inc Chinese": Chinese is then Other, not Asian."""
    out = frame.copy()
    old_years = set(out.loc[out["source_label"] == "Other inc Chinese", "period"])
    moved = out["period"].isin(old_years) & out["source_label"].eq("Chinese")
    out.loc[moved, "group"] = "Other"
    out.loc[moved, "note"] = "Chinese is in the Other group in years whose broad group is 'Other inc Chinese'"
    if moved.any():
        log.info("%s: Chinese counted in Other in %d year(s) with 'Other inc Chinese'", path, len(old_years))
    return out


def _reconcile_unreported(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """All = five broad groups + Unreported, year by year; correct a doubled Unreported count
    (logged, with the published figure kept) and raise on any other mismatch."""
    out = frame.copy()
    corrected: list[str] = []
    for period, rows in out.groupby("period", sort=True):
        total = rows.loc[rows["level"] == "total", "count"]
        broad = rows.loc[(rows["level"] == "broad") & ~rows["source_label"].isin(UNREPORTED_LABELS), "count"]
        unreported = rows.loc[rows["source_label"].isin(UNREPORTED_LABELS)]
        if total.isna().all() or len(unreported) != 1:
            continue
        residual = float(total.iloc[0]) - float(broad.sum())
        index = unreported.index[0]
        published = float(unreported["count"].iloc[0])
        if math.isclose(published, residual):
            continue
        if math.isclose(published, 2 * residual):
            note = (
                f"published Unreported {published:,.0f} is twice All minus the five broad groups; "
                f"count set to {residual:,.0f} so that the groups add up to All"
            )
            corrected.append(f"{period} {published:,.0f} -> {residual:,.0f}")
            out.loc[index, "count"] = residual
            out.loc[index, "note"] = note
            continue
        raise DataError(
            f"{period}: All ({float(total.iloc[0]):,.0f}) is not the five broad groups "
            f"({float(broad.sum()):,.0f}) plus Unreported",
            file=str(path),
            row=int(unreported["source_row"].iloc[0]),
            column="Number of stop and searches",
            value=published,
            expected=f"{residual:,.0f} (All minus the broad groups)",
        )
    if corrected:
        log.warning(
            "%s: the Unreported count is twice All minus the five broad groups in %d year(s); "
            "count set to the residual, published figure kept in published_count (%s)",
            path,
            len(corrected),
            "; ".join(corrected),
        )
    return out


def _check_detailed_sum(frame: pd.DataFrame, path: Path) -> None:
    """The detailed groups add up to their broad group (year by year); raise if not."""
    detailed = frame.loc[frame["level"] == "detailed"].groupby(["period", "group"])["count"].sum(min_count=1)
    broad = frame.loc[(frame["level"] == "broad") & (frame["group"] != "Not stated")].set_index(
        ["period", "group"]
    )["count"]
    both = pd.concat([broad.rename("broad"), detailed.rename("detailed")], axis=1).dropna()
    bad = both.loc[(both["broad"] - both["detailed"]).abs() > 0.5]
    if len(bad):
        raise DataError(
            "detailed groups do not add up to their broad group",
            file=str(path),
            value=bad.head().to_dict("index"),
            expected="detailed sums equal to the broad group",
        )


@register(
    "stop_search_eff_national",
    "Stop and search by ethnicity, England and Wales excluding Greater Manchester, 2006/07-2019/20 "
    "(Ethnicity facts and figures)",
    files=(NATIONAL_FILE,),
)
def load_national(raw_dir: Path) -> pd.DataFrame:
    """Counts, Census 2011 populations and published rates by ethnicity and year."""
    frame = read_national(Path(raw_dir) / NATIONAL_FILE).drop(columns="source_row")
    return finalise(frame, dataset="stop_search_eff_national")


# --------------------------------------------------------------------------------------------
# 2022/23 by force area and national by ethnicity
# --------------------------------------------------------------------------------------------


def _year_2022_23() -> periods.Period:
    return periods.parse(YEAR_2022_23)


def read_by_area(path: str | Path) -> pd.DataFrame:
    """Published rates per 1,000 by police force area and group, year ending March 2023."""
    path = Path(path)
    table = CsvRows(path)
    lines = table.lines
    if len(lines) < 3:
        raise DataError("too few lines", file=str(path), expected="two header rows and data rows")
    first, second = [c.strip() for c in lines[0]], [c.strip() for c in lines[1]]
    if tuple(first[1:]) != BY_AREA_GROUPS or first[0] != "":
        raise DataError(
            "wrong first header row",
            file=str(path),
            row=1,
            value=first,
            expected="'', " + ", ".join(BY_AREA_GROUPS),
        )
    if (
        second[0] != "Police force area"
        or any(c != "Rate per 1,000" for c in second[1:])
        or len(second) != len(first)
    ):
        raise DataError(
            "wrong second header row",
            file=str(path),
            row=2,
            value=second,
            expected="'Police force area' then 'Rate per 1,000' for each group",
        )
    period = _year_2022_23()
    records = []
    for number, fields in table.records(first_row=3, width=len(first), expected=f"{len(first)} fields"):
        name = fields[0]
        if name in ("All - excluding BTP", "All - including BTP"):
            code, area_name = ENGLAND_AND_WALES_CODE, "England and Wales"
            excludes = EXCLUDES_BTP if "excluding" in name else ""
        else:
            try:
                area = resolve(name)
            except UnknownAreaError as exc:
                raise DataError(
                    f"unknown police force area ({exc})",
                    file=str(path),
                    row=number,
                    column="Police force area",
                    value=name,
                    expected="one of the 43 police force areas or British Transport Police",
                ) from None
            code, area_name, excludes = area.code, area.name, ""
        table.once(
            (code, excludes),
            number,
            message="a second row for the same area",
            column="Police force area",
            value=name,
            expected="one row per area",
        )
        for group, cell in zip(BY_AREA_GROUPS, fields[1:], strict=True):
            rate, rate_symbol = _rate(cell, path=path, row=number, column=f"{group} Rate per 1,000")
            records.append(
                {
                    "area_code": code,
                    "area_name": area_name,
                    "period": period.label,
                    "period_start": pd.Timestamp(period.start),
                    "period_end": pd.Timestamp(period.end),
                    "group": group,
                    "source_label": group,
                    "count": math.nan,
                    "symbol": "[x]",
                    "rate": rate,
                    "rate_symbol": rate_symbol,
                    "count_published": False,
                    "level": "total" if group == ALL else "broad",
                    "excludes": excludes,
                    "source_area": name,
                    "table": "by_area",
                }
            )
    log_rows("stop_search_eff_by_area (by area)", rows_in=len(lines) - 2, rows_out=len(records))
    return pd.DataFrame(records)


def read_by_ethnicity(path: str | Path) -> pd.DataFrame:
    """National numbers of searches and rates by ethnicity, year ending March 2023 (incl. BTP)."""
    path = Path(path)
    table = CsvRows(path)
    lines = table.lines
    _check_header(lines[0], BY_ETHNICITY_COLUMNS, path)
    period = _year_2022_23()
    records = []
    width = len(BY_ETHNICITY_COLUMNS)
    for number, (label, rate_text, count_text) in table.records(
        first_row=2, width=width, expected=f"{width} fields"
    ):
        table.once(
            label,
            number,
            message="a second row for the same ethnicity",
            column="Ethnicity",
            value=label,
            expected="one row per ethnicity",
        )
        count, symbol = parse_count(count_text, file=path, row=number, column=BY_ETHNICITY_COLUMNS[2])
        rate, rate_symbol = _rate(rate_text, path=path, row=number, column=BY_ETHNICITY_COLUMNS[1])
        records.append(
            {
                "area_code": ENGLAND_AND_WALES_CODE,
                "area_name": "England and Wales",
                "period": period.label,
                "period_start": pd.Timestamp(period.start),
                "period_end": pd.Timestamp(period.end),
                "group": _group(label, path=path, row=number, column="Ethnicity"),
                "source_label": label,
                "count": count,
                "symbol": symbol,
                "rate": rate,
                "rate_symbol": rate_symbol,
                "count_published": True,
                "level": _level(label),
                "excludes": "",
                "source_area": "England and Wales (including BTP)",
                "table": "by_ethnicity",
            }
        )
    frame = pd.DataFrame(records)
    _check_detailed_sum(frame, path)
    broad = frame.loc[frame["level"] == "broad", "count"].sum()
    total = frame.loc[frame["level"] == "total", "count"]
    if len(total) == 1 and not math.isclose(float(total.iloc[0]), float(broad)):
        raise DataError(
            "All is not the sum of the broad groups and Unknown",
            file=str(path),
            value=float(total.iloc[0]),
            expected=f"{broad:,.0f}",
        )
    log_rows("stop_search_eff_by_area (by ethnicity)", rows_in=len(lines) - 1, rows_out=len(frame))
    return frame


@register(
    "stop_search_eff_by_area",
    "Stop and search rate per 1,000 by police force area and ethnicity, and national numbers, "
    "year ending March 2023 (Ethnicity facts and figures)",
    files=(BY_AREA_FILE, BY_ETHNICITY_FILE),
)
def load_by_area(raw_dir: Path) -> pd.DataFrame:
    """Both 2022/23 tables in one tidy frame (``table`` = by_area or by_ethnicity)."""
    raw_dir = Path(raw_dir)
    frame = pd.concat(
        [read_by_area(raw_dir / BY_AREA_FILE), read_by_ethnicity(raw_dir / BY_ETHNICITY_FILE)],
        ignore_index=True,
    )
    return finalise(frame, dataset="stop_search_eff_by_area")
