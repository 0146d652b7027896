"""Resident population by ethnic group: Census 2021 and Census 2011, by police force area.

Datasets registered here
------------------------
``population_census2021``
    ONS Census 2021 TS021 "Ethnic group" (usual residents, 19 categories plus "Does not
    apply") for the 331 lower-tier local authorities, aggregated to the 43 police force
    areas through the ONS "LAD to CSP to PFA (December 2021)" lookup, plus England and
    Wales (``K04000001``, the sum of every authority). One row per area and detailed
    category: ``source_label`` is the ONS category, ``group`` its broad group,
    ``category_code`` the ONS code (1-19).
``population_census2011``
    ONS Census 2011 QS201EW "Ethnic group" (18 categories) for the 348 local
    authorities (Nomis download), aggregated to the 43 force areas through the ONS
    "LAD to CSP to PFA (December 2016)" lookup, plus England and Wales.
``population_census2011_pfa``
    The five broad groups by force area from the workbook StopWatch UK published
    (``PoliceForceAreas2009PopnCensus2011_new.xlsx``, sheet "CG-E&W standard ethnic
    categori"): the figures behind the Home Office and GOV.UK Ethnicity facts and
    figures stop and search rates. The LA aggregation above reproduces it exactly for
    every force and group (see ``tests/test_population.py``). England and Wales here is
    the sum of the 43 forces.

Periods
-------
A census is a snapshot: the period is :func:`eqlib.periods.as_at` the census day
(21 March 2021, label ``2021-03-21``; 27 March 2011, label ``2011-03-27``), so
``period_start == period_end``. The ``census`` column names the census ("Census 2021").

Denominators
------------
:func:`population_for` picks the census for a reporting period (DESIGN.md): Census
2021 for periods starting on or after 1 April 2021, Census 2011 before, and returns the
broad groups (Asian, Black, Mixed, White, Other) and "All" by area.

Sources: ONS, Census 2021 TS021 and Census 2011 QS201EW; ONS Open Geography lookups.
Source: Office for National Statistics licensed under the Open Government Licence v3.0.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pandas as pd

from eqlib import areas, ethnicity, periods
from eqlib.errors import DataError
from eqlib.sources import register
from eqlib.sources._common import finalise, log_rows, parse_count, read_csv_text

log = logging.getLogger(__name__)

CENSUS2021_DAY = date(2021, 3, 21)
CENSUS2011_DAY = date(2011, 3, 27)
#: periods starting on or after this day use Census 2021 populations (DESIGN.md)
CENSUS2021_FROM = date(2021, 4, 1)
CENSUS2021 = "Census 2021"
CENSUS2011 = "Census 2011"
#: the broad groups with a resident population, in report order, then the total
POPULATION_GROUPS: tuple[str, ...] = ethnicity.POPULATION_GROUPS
ALL = "All"

C21_FILE = "census2021-ts021-ltla/2021_census_la.csv"
LOOKUP21_FILE = "lookup-lad21-csp21-pfa21/la_pfa_lookup.csv"
C11_FILE = "census2011-qs201ew-la-nomis/2011_census_la.csv"
LOOKUP16_FILE = (
    "census2011-ethnicity-la-pfa/Local_Authority_District_to_Community_Safety_Partnerships_to_"
    "Police_Force_Areas__December_2016__Lookup_in_England_and_Wales.csv"
)
C11_RL_FILE = "census2011-ethnicity-la-pfa/la-ethnic-groups.csv"
C11_WORKBOOK = "census2011-ethnicity-pfa-stopwatch/PoliceForceAreas2009PopnCensus2011_new.xlsx"
C11_WORKBOOK_SHEET = "CG-E&W standard ethnic categori"

_C21_COLUMNS = (
    "Lower Tier Local Authorities Code",
    "Lower Tier Local Authorities",
    "Ethnic group (20 categories) Code",
    "Ethnic group (20 categories)",
    "Observation",
)
_DOES_NOT_APPLY_CODE = -8


# --------------------------------------------------------------------------- helpers


def _read_csv(path: Path, *, skiprows: int = 0) -> pd.DataFrame:
    text = read_csv_text(path)
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skiprows=skiprows)


def _require_columns(frame: pd.DataFrame, expected: Iterable[str], *, file: Path) -> None:
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise DataError(
            "missing column(s) " + ", ".join(repr(c) for c in missing),
            file=str(file),
            row=1,
            value=list(frame.columns),
            expected="the header " + ", ".join(expected),
        )


def _counts(frame: pd.DataFrame, column: str, *, file: Path, first_row: int) -> pd.Series:
    """Parse a column of counts; any symbol, blank or negative value is an error here."""
    values = []
    for offset, value in enumerate(frame[column].tolist()):
        number, symbol = parse_count(
            value, file=file, row=first_row + offset, column=column, dash_is_zero=False
        )
        if symbol:
            raise DataError(
                "a census count is missing",
                file=str(file),
                row=first_row + offset,
                column=column,
                value=value,
                expected="a whole number of usual residents",
            )
        values.append(number)
    return pd.Series(values, index=frame.index, dtype=float)


def _lad_to_pfa(lookup: pd.DataFrame, *, lad: str, pfa: str, pfa_name: str, file: Path) -> pd.DataFrame:
    """Deduplicate a LAD -> CSP -> PFA lookup to LAD -> PFA; one LAD in two PFAs is an error.

    Returns columns ``la_code``, ``area_code``, ``area_name`` (eqlib display name). The
    lookup's PFA code and name must both resolve to the same :class:`eqlib.areas.Area`.
    """
    _require_columns(lookup, (lad, pfa, pfa_name), file=file)
    pairs = lookup[[lad, pfa, pfa_name]].drop_duplicates()
    split = pairs.groupby(lad)[pfa].nunique()
    if (split > 1).any():
        code = split[split > 1].index[0]
        where = pairs[pairs[lad] == code]
        raise DataError(
            "a local authority maps to more than one police force area",
            file=str(file),
            row=int(where.index[0]) + 2,
            column=pfa,
            value=f"{code} -> {sorted(where[pfa])}",
            expected="each local authority in exactly one police force area",
        )
    rows = []
    for position, (la_code, pfa_code, name) in pairs.iterrows():
        try:
            by_code = areas.get(pfa_code)
            by_name = areas.resolve(name)
        except areas.UnknownAreaError as exc:
            raise DataError(
                str(exc),
                file=str(file),
                row=int(position) + 2,
                column=pfa,
                value=pfa_code,
                expected="one of the 43 police force areas",
            ) from None
        if by_code is not by_name or not by_code.territorial:
            raise DataError(
                "force area code and name disagree",
                file=str(file),
                row=int(position) + 2,
                column=pfa_name,
                value=f"{pfa_code} / {name}",
                expected=f"{by_code.name} for {pfa_code}",
            )
        rows.append((la_code, by_code.code, by_code.name))
    out = pd.DataFrame(rows, columns=["la_code", "area_code", "area_name"])
    log.info(
        "%s: %d lookup rows -> %d local authorities in %d force areas",
        file.name,
        len(lookup),
        len(out),
        out["area_code"].nunique(),
    )
    return out


def _aggregate(
    la_frame: pd.DataFrame, lookup: pd.DataFrame, *, file: Path, keys: tuple[str, ...]
) -> pd.DataFrame:
    """Sum LA rows to force areas and to England and Wales.

    ``la_frame`` has ``la_code`` plus ``keys`` and ``count``; every LA must be in ``lookup``.
    """
    merged = la_frame.merge(lookup, on="la_code", how="left", validate="many_to_one")
    unmapped = merged[merged["area_code"].isna()]
    if len(unmapped):
        raise DataError(
            "local authority not in the force area lookup",
            file=str(file),
            column="la_code",
            value=sorted(unmapped["la_code"].unique())[:5],
            expected="every local authority in the ONS LAD -> PFA lookup",
        )
    extra = sorted(set(lookup["la_code"]) - set(la_frame["la_code"]))
    if extra:
        raise DataError(
            "the lookup lists local authorities the census file does not have",
            file=str(file),
            column="la_code",
            value=extra[:5],
            expected="the same local authorities in the census file and the lookup",
        )
    by_area = merged.groupby(["area_code", "area_name", *keys], as_index=False, sort=True)["count"].sum()
    national = la_frame.groupby(list(keys), as_index=False, sort=True)["count"].sum()
    ew = areas.get(areas.ENGLAND_AND_WALES_CODE)
    national.insert(0, "area_code", ew.code)
    national.insert(1, "area_name", ew.name)
    return pd.concat([by_area, national], ignore_index=True)


def _with_period(frame: pd.DataFrame, day: date, census: str) -> pd.DataFrame:
    period = periods.as_at(day)
    out = frame.copy()
    out["period"] = period.label
    out["period_start"] = pd.Timestamp(period.start)
    out["period_end"] = pd.Timestamp(period.end)
    out["symbol"] = ""
    out["census"] = census
    return out


# --------------------------------------------------------------------------- Census 2021


def read_census2021_la(raw_dir: Path) -> pd.DataFrame:
    """Census 2021 TS021 by local authority: one row per LA and detailed category.

    Columns ``la_code``, ``la_name``, ``category_code`` (int), ``source_label``, ``group``,
    ``count``. The "Does not apply" category (code -8) is set aside explicitly: its rows
    must all be 0 (usual residents all have an ethnic group), else :class:`DataError`.
    """
    path = raw_dir / C21_FILE
    raw = _read_csv(path)
    _require_columns(raw, _C21_COLUMNS, file=path)
    code_col, name_col, cat_code_col, cat_col, obs_col = _C21_COLUMNS
    frame = pd.DataFrame(
        {
            "la_code": raw[code_col].str.strip(),
            "la_name": raw[name_col].str.strip(),
            "source_label": raw[cat_col].str.strip(),
            "count": _counts(raw, obs_col, file=path, first_row=2),
        }
    )
    try:
        frame["category_code"] = raw[cat_code_col].astype(int)
    except ValueError:
        bad = raw[~raw[cat_code_col].str.fullmatch(r"-?\d+")].index[0]
        raise DataError(
            "not a category code",
            file=str(path),
            row=int(bad) + 2,
            column=cat_code_col,
            value=raw.loc[bad, cat_code_col],
            expected="an ONS category code (-8, 1..19)",
        ) from None
    bad_code = ~frame["la_code"].str.fullmatch(r"[EW]0\d{7}")
    if bad_code.any():
        i = int(frame.index[bad_code][0])
        raise DataError(
            "not a local authority code",
            file=str(path),
            row=i + 2,
            column=code_col,
            value=frame.loc[i, "la_code"],
            expected="an ONS LAD code such as E06000001 or W06000015",
        )
    dup = frame.duplicated(["la_code", "category_code"])
    if dup.any():
        i = int(frame.index[dup][0])
        raise DataError(
            "duplicated row",
            file=str(path),
            row=i + 2,
            column=cat_code_col,
            value=f"{frame.loc[i, 'la_code']} / {frame.loc[i, 'source_label']}",
            expected="one row per local authority and category",
        )
    frame = ethnicity.add_broad_group(
        frame, label_column="source_label", classification="census2021", source=str(path)
    )
    dna = frame["category_code"].eq(_DOES_NOT_APPLY_CODE) | frame["group"].eq(ethnicity.DOES_NOT_APPLY)
    dna_total = float(frame.loc[dna, "count"].sum())
    if dna_total != 0:
        i = int(frame.index[dna & frame["count"].ne(0)][0])
        raise DataError(
            "'Does not apply' is not zero",
            file=str(path),
            row=i + 2,
            column=obs_col,
            value=frame.loc[i, "count"],
            expected="0 usual residents in 'Does not apply' (code -8) for TS021",
        )
    log.info(
        "%s: set aside %d 'Does not apply' (code -8) rows, total %d residents (checked 0)",
        path.name,
        int(dna.sum()),
        int(dna_total),
    )
    out = frame[~dna].reset_index(drop=True)
    per_la = out.groupby("la_code").size()
    if (per_la != 19).any():
        code = per_la[per_la != 19].index[0]
        raise DataError(
            "wrong number of ethnic group categories",
            file=str(path),
            column=cat_col,
            value=f"{code}: {int(per_la[code])}",
            expected="19 categories per local authority",
        )
    log_rows(
        "census2021 LA",
        rows_in=len(raw),
        rows_out=len(out),
        dropped={"'Does not apply' rows": int(dna.sum())},
        records_in=float(frame["count"].sum()),
        records_out=float(out["count"].sum()) + dna_total,
    )
    return out[["la_code", "la_name", "category_code", "source_label", "group", "count"]]


def _force_area_population(
    la: pd.DataFrame, lookup: pd.DataFrame, *, file: Path, day, census: str, dataset: str
) -> pd.DataFrame:
    """Local-authority rows summed to force areas and England and Wales, reconciled and validated."""
    agg = _aggregate(la, lookup, file=file, keys=("category_code", "source_label", "group"))
    out = _with_period(agg, day, census)
    out = out.sort_values(["area_code", "category_code"], kind="stable")
    ew = out[out["area_code"] == areas.ENGLAND_AND_WALES_CODE]["count"].sum()
    log_rows(
        dataset,
        rows_in=len(la),
        rows_out=len(out),
        records_in=float(la["count"].sum()),
        records_out=float(ew),
    )
    return finalise(out, dataset=dataset)


def read_lad21_lookup(raw_dir: Path) -> pd.DataFrame:
    """LAD 2021 -> police force area (deduplicated from the LAD -> CSP -> PFA lookup)."""
    path = raw_dir / LOOKUP21_FILE
    return _lad_to_pfa(_read_csv(path), lad="LAD21CD", pfa="PFA21CD", pfa_name="PFA21NM", file=path)


@register(
    "population_census2021",
    "Census 2021 usual residents by ethnic group (TS021), by police force area",
    files=(C21_FILE, LOOKUP21_FILE),
    description="ONS Census 2021 TS021, 331 local authorities aggregated to 43 force areas and England and Wales",
)
def load_census2021(raw_dir: Path) -> pd.DataFrame:
    """Census 2021 population by force area (and England and Wales) and detailed ethnic category."""
    return _force_area_population(
        read_census2021_la(raw_dir),
        read_lad21_lookup(raw_dir),
        file=raw_dir / C21_FILE,
        day=CENSUS2021_DAY,
        census=CENSUS2021,
        dataset="population_census2021",
    )


# --------------------------------------------------------------------------- Census 2011


def read_census2011_la(raw_dir: Path) -> pd.DataFrame:
    """Census 2011 QS201EW by local authority (Nomis CSV): one row per LA and category.

    The Nomis file has 7 title lines, a header, a blank line, one row per LA, then a
    footer (blank lines and a note on record swapping). Rows with a code in the
    ``mnemonic`` column are data; the title and footer lines are logged and set aside.
    """
    path = raw_dir / C11_FILE
    text = read_csv_text(path)
    lines = text.splitlines()
    header_at = next((i for i, line in enumerate(lines) if line.startswith("local authority:")), None)
    if header_at is None:
        raise DataError(
            "no header row",
            file=str(path),
            expected="a header row starting 'local authority: district / unitary'",
        )
    raw = pd.read_csv(io.StringIO("\n".join(lines[header_at:])), dtype=str, keep_default_na=False)
    name_col, code_col = raw.columns[0], "mnemonic"
    _require_columns(raw, (code_col,), file=path)
    categories = [c for c in raw.columns if c not in (name_col, code_col)]
    for label in categories:
        try:
            ethnicity.broad_group(label, "census2011")
        except ethnicity.UnknownEthnicityError as exc:
            raise DataError(
                str(exc),
                file=str(path),
                row=header_at + 1,
                column=label,
                expected="a Census 2011 QS201EW category",
            ) from None
    if len(categories) != 18:
        raise DataError(
            "wrong number of ethnic group columns",
            file=str(path),
            row=header_at + 1,
            value=len(categories),
            expected="18 QS201EW categories",
        )
    is_data = raw[code_col].str.fullmatch(r"[EW]0\d{7}")
    set_aside = raw[~is_data]
    nonblank = set_aside[(set_aside[categories] != "").any(axis=1)]
    if len(nonblank):
        i = int(nonblank.index[0])
        raise DataError(
            "a row with counts has no local authority code",
            file=str(path),
            row=header_at + i + 2,
            column=code_col,
            value=raw.loc[i, code_col],
            expected="an ONS LAD code such as E06000001",
        )
    data = raw[is_data]
    first_data_row = header_at + 2  # 1-based file row of raw.index 0
    long = data.melt(
        id_vars=[name_col, code_col],
        value_vars=categories,
        var_name="source_label",
        value_name="value",
        ignore_index=False,
    )
    counts = []
    for idx, label, value in zip(long.index, long["source_label"], long["value"], strict=True):
        number, symbol = parse_count(
            value, file=path, row=first_data_row + int(idx), column=label, dash_is_zero=False
        )
        if symbol:
            raise DataError(
                "a census count is missing",
                file=str(path),
                row=first_data_row + int(idx),
                column=label,
                value=value,
                expected="a whole number of usual residents",
            )
        counts.append(number)
    long["count"] = counts
    out = pd.DataFrame(
        {
            "la_code": long[code_col].str.strip().to_numpy(),
            "la_name": long[name_col].str.strip().to_numpy(),
            "category_code": [categories.index(c) + 1 for c in long["source_label"]],
            "source_label": long["source_label"].to_numpy(),
            "count": long["count"].to_numpy(dtype=float),
        }
    )
    if out.duplicated(["la_code", "category_code"]).any():
        code = out[out.duplicated(["la_code", "category_code"])]["la_code"].iloc[0]
        raise DataError(
            "duplicated local authority",
            file=str(path),
            column=code_col,
            value=code,
            expected="one row per local authority",
        )
    out = ethnicity.add_broad_group(
        out, label_column="source_label", classification="census2011", source=str(path)
    )
    log_rows(
        "census2011 LA",
        rows_in=len(raw),
        rows_out=len(out),
        dropped={"title/blank/footer lines without a code": len(set_aside)},
        records_in=float(long["count"].sum()),
        records_out=float(out["count"].sum()),
    )
    return out[["la_code", "la_name", "category_code", "source_label", "group", "count"]]


def read_lad16_lookup(raw_dir: Path) -> pd.DataFrame:
    """LAD 2016 -> police force area (Census 2011 LA codes as Nomis gives them)."""
    path = raw_dir / LOOKUP16_FILE
    return _lad_to_pfa(_read_csv(path), lad="LAD16CD", pfa="PFA16CD", pfa_name="PFA16NM", file=path)


@register(
    "population_census2011",
    "Census 2011 usual residents by ethnic group (QS201EW), by police force area",
    files=(C11_FILE, LOOKUP16_FILE),
    description="ONS Census 2011 QS201EW, 348 local authorities aggregated to 43 force areas and England and Wales",
)
def load_census2011(raw_dir: Path) -> pd.DataFrame:
    """Census 2011 population by force area (and England and Wales) and detailed ethnic category."""
    return _force_area_population(
        read_census2011_la(raw_dir),
        read_lad16_lookup(raw_dir),
        file=raw_dir / C11_FILE,
        day=CENSUS2011_DAY,
        census=CENSUS2011,
        dataset="population_census2011",
    )


def read_census2011_workbook(raw_dir: Path) -> pd.DataFrame:
    """The StopWatch/Home Office force-area workbook: 43 forces x 5 broad groups and All.

    Returns ``area_code``, ``area_name``, ``source_label`` (the column header), ``group`` and
    ``count``, including ``All`` rows. Each force's ``All`` must equal the sum of its groups.
    """
    from python_calamine import CalamineWorkbook

    path = raw_dir / C11_WORKBOOK
    try:
        book = CalamineWorkbook.from_path(str(path))
        rows = book.get_sheet_by_name(C11_WORKBOOK_SHEET).to_python()
    except Exception as exc:  # calamine raises its own error types for broken files
        raise DataError(
            f"cannot read the workbook sheet {C11_WORKBOOK_SHEET!r}: {exc}",
            file=str(path),
            expected="the StopWatch Census 2011 force-area workbook (.xlsx)",
        ) from None
    header_at = next((i for i, r in enumerate(rows) if r and str(r[0]).strip() == "police_force"), None)
    if header_at is None:
        raise DataError("no header row", file=str(path), column="A", expected="a row starting 'police_force'")
    header = [str(c).strip() for c in rows[header_at]]
    expected = ["police_force", "White", "Black", "Asian", "Other", "Mixed", "All"]
    if header[: len(expected)] != expected:
        raise DataError(
            "unexpected header", file=str(path), row=header_at + 1, value=header, expected=", ".join(expected)
        )
    records = []
    for i, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not row or all(str(c).strip() == "" for c in row):
            continue
        try:
            area = areas.resolve(str(row[0]))
        except areas.UnknownAreaError as exc:
            raise DataError(
                str(exc),
                file=str(path),
                row=i,
                column="police_force",
                value=row[0],
                expected="one of the 43 police force areas",
            ) from None
        values = {}
        for j, name in enumerate(expected[1:], start=1):
            number, symbol = parse_count(row[j], file=path, row=i, column=name, dash_is_zero=False)
            if symbol or number != int(number):
                raise DataError(
                    "not a whole count",
                    file=str(path),
                    row=i,
                    column=name,
                    value=row[j],
                    expected="a whole number of residents",
                )
            values[name] = number
        total = sum(v for k, v in values.items() if k != ALL)
        if total != values[ALL]:
            raise DataError(
                "the groups do not add up to All",
                file=str(path),
                row=i,
                column=ALL,
                value=values[ALL],
                expected=f"{total:,.0f} (White+Black+Asian+Other+Mixed)",
            )
        for name, number in values.items():
            records.append((area.code, area.name, name, name, number))
    out = pd.DataFrame(records, columns=["area_code", "area_name", "source_label", "group", "count"])
    per_area = out.groupby("area_code").size()
    if len(per_area) != 43 or (per_area != len(expected) - 1).any():
        raise DataError(
            "force areas missing or repeated",
            file=str(path),
            column="police_force",
            value=out["area_code"].nunique(),
            expected="each of the 43 force areas once",
        )
    return out


@register(
    "population_census2011_pfa",
    "Census 2011 usual residents by broad ethnic group, by police force area (Home Office denominators)",
    files=(C11_WORKBOOK,),
    description="Census 2011 KS201EW aggregated to force areas (StopWatch UK workbook); "
    "England and Wales is the sum of the 43 areas",
)
def load_census2011_pfa(raw_dir: Path) -> pd.DataFrame:
    """The workbook's five broad groups by force area, plus England and Wales (their sum)."""
    wb = read_census2011_workbook(raw_dir)
    groups = wb[wb["group"] != ALL]
    ew_area = areas.get(areas.ENGLAND_AND_WALES_CODE)
    national = groups.groupby(["source_label", "group"], as_index=False, sort=False)["count"].sum()
    national.insert(0, "area_code", ew_area.code)
    national.insert(1, "area_name", ew_area.name)
    out = _with_period(pd.concat([groups, national], ignore_index=True), CENSUS2011_DAY, CENSUS2011)
    out = out.sort_values("area_code", kind="stable")
    log_rows(
        "population_census2011_pfa",
        rows_in=len(wb),
        rows_out=len(out),
        dropped={"'All' rows (checked equal to the sum of groups)": int((wb["group"] == ALL).sum())},
        records_in=float(wb.loc[wb["group"] == ALL, "count"].sum()),
        records_out=float(national["count"].sum()),
    )
    return finalise(out, dataset="population_census2011_pfa")


# --------------------------------------------------------------------------- denominators


def census_for(period: periods.Period | str) -> str:
    """The census whose populations are the denominators for ``period``.

    Census 2021 for periods starting on or after 1 April 2021, Census 2011 before
    (DESIGN.md "Denominators"; the Home Office switched its stop and search rates to
    Census 2021 from the year ending March 2022).
    """
    p = periods.parse(period) if isinstance(period, str) else period
    return CENSUS2021 if p.start >= CENSUS2021_FROM else CENSUS2011


def _normalise_census(census: str | int) -> str:
    text = str(census).strip().lower().replace("census", "").strip()
    if text == "2021":
        return CENSUS2021
    if text == "2011":
        return CENSUS2011
    raise ValueError(f"Unknown census {census!r}: expected 'Census 2021' or 'Census 2011' (or 2021, 2011)")


_DATASET = {CENSUS2021: "population_census2021", CENSUS2011: "population_census2011"}


def broad_populations(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum a population dataset frame to broad groups and All, by area (pure).

    Input: a ``population_census*`` frame (one row per area and category, with ``group``
    and ``census``). Output columns ``area_code``, ``area_name``, ``group`` (Asian, Black,
    Mixed, White, Other, All), ``population``, ``census``; rows in area code then group order.
    """
    unknown = set(frame["group"]) - set(POPULATION_GROUPS)
    if unknown:
        raise ValueError(f"population frame has groups outside {POPULATION_GROUPS}: {sorted(unknown)}")
    keys = ["area_code", "area_name", "census"]
    by_group = frame.groupby([*keys, "group"], as_index=False, sort=False)["count"].sum()
    total = frame.groupby(keys, as_index=False, sort=False)["count"].sum()
    total["group"] = ALL
    out = pd.concat([by_group, total], ignore_index=True).rename(columns={"count": "population"})
    order = {g: i for i, g in enumerate((*POPULATION_GROUPS, ALL))}
    out = out.sort_values(
        ["area_code", "group"], key=lambda s: s.map(order) if s.name == "group" else s, kind="stable"
    ).reset_index(drop=True)
    return out[["area_code", "area_name", "group", "population", "census"]]


def population_for(
    period: periods.Period | str, *, census: str | int | None = None, root: Path | None = None
) -> pd.DataFrame:
    """Resident population by broad ethnic group for every force area and England and Wales.

    Parameters
    ----------
    period
        The reporting period (a :class:`eqlib.periods.Period` or a label such as ``2021-22``).
        It chooses the census (:func:`census_for`) unless ``census`` is given.
    census
        ``"Census 2021"`` or ``"Census 2011"`` (or ``2021``/``2011``) to override the choice.
    root
        Project root (default :func:`eqlib.paths.project_root`).

    Returns
    -------
    DataFrame
        ``area_code``, ``area_name``, ``group`` (Asian, Black, Mixed, White, Other, All),
        ``population`` (usual residents on census day), ``census`` ("Census 2021" /
        "Census 2011"): 44 areas x 6 groups. Say which census was used in every table.

    Examples
    --------
    >>> pop = population_for("2021-22")                          # doctest: +SKIP
    >>> pop[(pop.area_code == "W15000003") & (pop.group == "Black")].population  # doctest: +SKIP
    """
    from eqlib import store

    chosen = _normalise_census(census) if census is not None else census_for(period)
    return broad_populations(store.load(_DATASET[chosen], root=root))


def population_excluding(
    period: periods.Period | str,
    exclude: Iterable[str],
    *,
    census: str | int | None = None,
    root: Path | None = None,
) -> pd.DataFrame:
    """England and Wales population by broad group, excluding some force areas.

    The Home Office's national stop and search rates for 2019/20 exclude Greater
    Manchester (it could not supply data); the matching denominator is England and
    Wales minus that force area. ``exclude`` takes names, slugs or codes. Returns the
    columns of :func:`population_for` with ``area_code`` ``K04000001`` and an
    ``area_name`` such as "England and Wales excluding Greater Manchester".
    """
    excluded = [areas.resolve(a) for a in exclude]
    pop = population_for(period, census=census, root=root)
    return exclude_areas(pop, [a.code for a in excluded])


def exclude_areas(pop: pd.DataFrame, codes: Iterable[str]) -> pd.DataFrame:
    """Pure: from a :func:`population_for` frame, England and Wales minus the areas ``codes``."""
    codes = list(codes)
    if not codes:
        return pop[pop["area_code"] == areas.ENGLAND_AND_WALES_CODE].reset_index(drop=True)
    forces = pop[pop["area_code"].isin([a.code for a in areas.all_areas()])]
    missing = set(codes) - set(forces["area_code"])
    if missing:
        raise ValueError(f"cannot exclude {sorted(missing)}: not force areas in the population frame")
    kept = forces[~forces["area_code"].isin(codes)]
    out = kept.groupby(["group", "census"], as_index=False, sort=False)["population"].sum()
    out.insert(0, "area_code", areas.ENGLAND_AND_WALES_CODE)
    names = " and ".join(areas.get(c).name for c in codes)
    out.insert(1, "area_name", f"England and Wales excluding {names}")
    return out[["area_code", "area_name", "group", "population", "census"]]


def chinese_as_other(frame: pd.DataFrame) -> pd.DataFrame:
    """A detailed census frame regrouped to the 2001 classification some Home Office tables use (pure).

    The arrest tables (Police powers and procedures) group "Chinese or Other" together and their "Asian
    (or Asian British)" excludes Chinese: the census category Chinese (Census 2011 "Asian/Asian British:
    Chinese", Census 2021 "Asian, Asian British or Asian Welsh: Chinese") moves from Asian to Other, so
    the denominators match the counts. Every other category keeps its broad group.
    """
    chinese = frame["source_label"].astype(str).str.strip().str.endswith(": Chinese")
    if not chinese.any():
        raise ValueError("chinese_as_other: no Chinese category in the population frame")
    out = frame.copy()
    out.loc[chinese, "group"] = "Other"
    return out


def population_2001_classification(
    period: periods.Period | str, *, census: str | int | None = None, root: Path | None = None
) -> pd.DataFrame:
    """:func:`population_for`, with Chinese counted in Other, not Asian (:func:`chinese_as_other`)."""
    from eqlib import store

    chosen = _normalise_census(census) if census is not None else census_for(period)
    return broad_populations(chinese_as_other(store.load(_DATASET[chosen], root=root)))
