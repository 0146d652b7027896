"""Home Office police workforce open data table, 31 March 2007 to 31 March 2023 (sex, rank, worker type).

Dataset ``workforce_open_data_ho``
    ``data/raw/ho-police-workforce-open-data-2007-2023/open-data-table-police-workforce-260723.ods``
    (Home Office, "Police workforce, England and Wales, as at 31 March 2007 to 31 March 2023:
    Workforce Open Data Table", release of 26 July 2023), sheet ``Data``: one row per force,
    as-at date, sex, rank and worker type, with the headcount (``count``) and the full-time
    equivalent (``fte``). 43 territorial forces and British Transport Police (geo code ``N/A``,
    area ``BTP``); no national rows (the 43-force total is the sum of the forces). No ethnicity
    (the Home Office publishes it in a separate table).

Columns of the tidy frame (besides the common ones, :mod:`eqlib.schemas`): ``sex`` (Female,
Male, and from 2021 Not stated, Prefer not to say, Prefer to self-describe; ``group`` is the
sex), ``rank`` (the rank description, normalised for case), ``worker_type`` (normalised: Police
officers, Police staff, Designated officers, PCSOs, Special constables, Police support
volunteers, the labels of ``workforce_totals_ho``), ``worker_type_label`` and ``rank_label`` (as
the file spells them), ``fte`` and ``fte_symbol`` (special constables and police support
volunteers are counted by headcount only: their FTE is ``N/A`` in the file, kept as NaN with
``[z]``), ``region``, ``unit`` (``headcount``) and ``release`` (2023-07-26).

From 2021 the file spells some labels in sentence case ("Police staff", "Special constable",
"Police support volunteer" instead of "Police Staff", "Special Constable", "Police Support
Volunteer"); both spellings are the same category, so the series continues. Note F of the file:
in 2021 many officers' sex was "unknown" while forces implemented the Police Workforce Data
Standards (gender used where sex was not known), so 2021 has more not stated.

Every data row becomes one tidy row; headcount and FTE totals are reconciled in against out.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from eqlib import areas, periods
from eqlib.errors import DataError
from eqlib.sources import register
from eqlib.sources._common import finalise, log_rows, parse_count
from eqlib.sources.ods import clean_label, period_fields, read_sheet, resolve_area, sheet_names, trim

log = logging.getLogger(__name__)

DATASET = "workforce_open_data_ho"
FILES = ("ho-police-workforce-open-data-2007-2023/open-data-table-police-workforce-*.ods",)
SHEET = "Data"
RELEASE = "2023-07-26"  # the file name's date (260723) and the ODS creation metadata

COLUMNS = (
    "As at 31 March...",
    "Geo code",
    "Force Name",
    "Region",
    "Sex",
    "Rank description",
    "Worker type",
    "Total (headcount)",
    "Total (FTE)",
)

#: worker type as the file spells it (any case) -> the label eqlib uses (as workforce_totals_ho)
WORKER_TYPES: dict[str, str] = {
    "police officer": "Police officers",
    "police staff": "Police staff",
    "designated officer": "Designated officers",
    "police community support officer": "PCSOs",
    "special constable": "Special constables",
    "police support volunteer": "Police support volunteers",
}

#: police officer ranks, most junior first
OFFICER_RANKS: tuple[str, ...] = (
    "Constable",
    "Sergeant",
    "Inspector",
    "Chief Inspector",
    "Superintendent",
    "Chief Superintendent",
    "Chief Officer",
)
#: every rank description, by its case-folded spelling -> the spelling eqlib uses
RANKS: dict[str, str] = {
    r.casefold(): r
    for r in (
        *OFFICER_RANKS,
        "Police Staff",
        "Community Support Officer",
        "Special Constable",
        "Police Support Volunteer",
        "Designated Detention Officer (S.38)",
        "Designated Detention Officer (S.39)",
        "Designated Escort Officer (S.38)",
        "Designated Escort Officer (S.39)",
        "Designated Investigation Officer (S.38)",
    )
}

SEXES: tuple[str, ...] = ("Female", "Male", "Not stated", "Prefer not to say", "Prefer to self-describe")
#: worker types the file gives by headcount only (note C): their FTE is N/A
HEADCOUNT_ONLY = ("Special constables", "Police support volunteers")

SCHEMA = pa.DataFrameSchema(
    {
        "sex": pa.Column(str, pa.Check.isin(SEXES)),
        "rank": pa.Column(str, pa.Check.isin(tuple(RANKS.values()))),
        "worker_type": pa.Column(str, pa.Check.isin(tuple(WORKER_TYPES.values()))),
        "count": pa.Column(float, pa.Check.ge(0), nullable=False),
        "fte": pa.Column(float, pa.Check.ge(0), nullable=True),
        "fte_symbol": pa.Column(str, pa.Check.isin(("", "[z]", "[x]", "[c]", "[u]"))),
        "unit": pa.Column(str, pa.Check.eq("headcount")),
    },
    checks=[
        pa.Check(
            lambda df: (df["fte"].notna() | (df["fte_symbol"] != "")).all(),
            error="a missing FTE must carry a GSS symbol",
        ),
        pa.Check(
            lambda df: ~df.duplicated(["area_code", "period", "sex", "rank", "worker_type"]).any(),
            error="one row per force, date, sex, rank and worker type",
        ),
    ],
    strict=False,
    coerce=True,
)


def _year(value: object, *, path: Path, row: int) -> int:
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if number is None:
        text = str(value).strip()
        number = float(text) if text.isdigit() else None
    if number is None or math.isnan(number) or not float(number).is_integer() or not 1990 <= number <= 2100:
        raise DataError(
            "not a year",
            file=str(path),
            row=row,
            column="As at 31 March...",
            value=value,
            expected="a year such as 2023",
        )
    return int(number)


def _label(value: object, known: dict[str, str], *, path: Path, row: int, column: str, what: str) -> str:
    text = clean_label(value)
    try:
        return known[text.casefold()]
    except KeyError:
        raise DataError(
            f"unknown {what}",
            file=str(path),
            row=row,
            column=column,
            value=text,
            expected=f"one of {', '.join(sorted(set(known.values())))}",
        ) from None


def read_open_data_table(path: str | Path) -> pd.DataFrame:
    """The ``Data`` sheet of the workforce open data table as tidy rows (see the module docstring).

    Raises :class:`DataError` (file, row, column, value, expected) for a missing sheet or column, a
    year that is not a year, an unknown force, a geo code that does not match the force name, an
    unknown sex, rank or worker type, a count that is not a count, or one force, date, sex, rank and
    worker type listed twice.
    """
    path = Path(path)
    if SHEET not in sheet_names(path):
        raise DataError(
            f"the workbook has no sheet {SHEET!r}",
            file=str(path),
            expected="the sheets Notes and Data of the workforce open data table",
        )
    rows = read_sheet(path, SHEET)
    if not rows:
        raise DataError("the Data sheet is empty", file=str(path), expected="a header row and data rows")
    header = [clean_label(c) for c in trim(rows[0])]
    if tuple(header) != COLUMNS:
        missing = [c for c in COLUMNS if c not in header]
        raise DataError(
            "the header row is not the open data table's",
            file=str(path),
            row=1,
            column=missing[0] if missing else None,
            value=", ".join(header),
            expected=f"the columns {', '.join(COLUMNS)} in that order",
        )
    records: list[dict] = []
    area_cache: dict[tuple[str, str], areas.Area] = {}
    period_cache: dict[int, dict] = {}
    headcount_in = fte_in = 0.0
    rows_in = 0
    blank_rows = 0
    for index in range(1, len(rows)):
        cells = trim(rows[index])
        row = index + 1  # spreadsheet row
        if not cells:
            blank_rows += 1
            continue
        rows_in += 1
        cells = list(rows[index]) + [""] * (len(COLUMNS) - len(rows[index]))
        year = _year(cells[0], path=path, row=row)
        code, name = clean_label(cells[1]), str(cells[2]).strip()
        if (code, name) not in area_cache:
            area = resolve_area(name if code in {"", "N/A"} else code, file=path, row=row, column="Geo code")
            named = resolve_area(name, file=path, row=row, column="Force Name")
            if named.code != area.code:
                raise DataError(
                    "the force name does not match the geo code",
                    file=str(path),
                    row=row,
                    column="Force Name",
                    value=f"{name} / {code}",
                    expected=f"{area.name} for {code}",
                )
            if area.code == areas.ENGLAND_AND_WALES_CODE:
                raise DataError(
                    "a national row in a table of forces",
                    file=str(path),
                    row=row,
                    column="Geo code",
                    value=code,
                    expected="a police force",
                )
            area_cache[(code, name)] = area
        area = area_cache[(code, name)]
        sex = clean_label(cells[4])
        if sex not in SEXES:
            raise DataError(
                "unknown sex",
                file=str(path),
                row=row,
                column="Sex",
                value=sex,
                expected=f"one of {', '.join(SEXES)}",
            )
        rank = _label(cells[5], RANKS, path=path, row=row, column="Rank description", what="rank")
        worker = _label(cells[6], WORKER_TYPES, path=path, row=row, column="Worker type", what="worker type")
        headcount, symbol = parse_count(cells[7], file=path, row=row, column="Total (headcount)")
        if symbol:
            raise DataError(
                "no headcount",
                file=str(path),
                row=row,
                column="Total (headcount)",
                value=cells[7],
                expected="a headcount (0 or more)",
            )
        fte, fte_symbol = parse_count(cells[8], file=path, row=row, column="Total (FTE)")
        if fte_symbol and worker not in HEADCOUNT_ONLY:
            raise DataError(
                f"no FTE for {worker.lower()}",
                file=str(path),
                row=row,
                column="Total (FTE)",
                value=cells[8],
                expected="an FTE (N/A only for special constables and volunteers)",
            )
        headcount_in += headcount
        fte_in += 0.0 if math.isnan(fte) else fte
        if year not in period_cache:
            period_cache[year] = period_fields(periods.as_at(dt.date(year, 3, 31)))
        records.append(
            {
                "area_code": area.code,
                "area_name": area.name,
                **period_cache[year],
                "group": sex,
                "source_label": sex,
                "count": headcount,
                "symbol": "",
                "sex": sex,
                "rank": rank,
                "worker_type": worker,
                "rank_label": clean_label(cells[5]),
                "worker_type_label": clean_label(cells[6]),
                "fte": fte,
                "fte_symbol": fte_symbol,
                "region": str(cells[3]).strip(),
                "unit": "headcount",
                "release": RELEASE,
                "row": row,
            }
        )
    if not records:
        raise DataError(
            "the Data sheet has no data rows", file=str(path), expected="29,304 rows of the 2023 table"
        )
    frame = pd.DataFrame.from_records(records)
    dup = frame.duplicated(["area_code", "period", "sex", "rank", "worker_type"], keep=False)
    if dup.any():
        first = frame.loc[dup].iloc[1]
        raise DataError(
            "the same force, date, sex, rank and worker type appears more than once",
            file=str(path),
            row=int(first["row"]),
            column="Rank description",
            value=f"{first['area_name']} {first['period']} {first['sex']} {first['rank']}",
            expected="one row for each",
        )
    frame = frame.drop(columns="row")
    log_rows(
        DATASET,
        rows_in=rows_in,
        rows_out=len(frame),
        dropped={"blank rows": blank_rows},
        records_in=headcount_in,
        records_out=float(frame["count"].sum()),
    )
    log_rows(
        f"{DATASET} (FTE)",
        rows_in=rows_in,
        rows_out=len(frame),
        records_in=fte_in,
        records_out=float(frame["fte"].sum()),
    )
    out = finalise(frame, dataset=DATASET)
    try:
        out = SCHEMA.validate(out, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise ValueError(
            f"{DATASET}: the tidy frame fails its schema:\n{exc.failure_cases.head(10)}"
        ) from None
    return out


@register(
    DATASET,
    "Police workforce by force, sex, rank and worker type, 31 March 2007-2023 "
    "(Home Office workforce open data table)",
    files=FILES,
    description="Home Office workforce open data table (26 July 2023 release): 43 forces and BTP x sex x "
    "rank x worker type, headcount and FTE, as at 31 March 2007 to 2023. No ethnicity.",
)
def load_open_data_table(raw_dir: Path) -> pd.DataFrame:
    """Dataset ``workforce_open_data_ho`` (see the module docstring)."""
    files = sorted(Path(raw_dir).glob(FILES[0]))
    if len(files) != 1:
        raise DataError(
            f"expected exactly one workforce open data table, found {len(files)}",
            file=str(Path(raw_dir) / FILES[0]),
            expected="open-data-table-police-workforce-260723.ods",
        )
    return read_open_data_table(files[0])


def totals_by_worker_type(frame: pd.DataFrame) -> pd.DataFrame:
    """Headcount and FTE by area, as-at date and worker type, with the 43 territorial forces summed as
    England and Wales (``K04000001``, as the Home Office's "Total 43 forces"; BTP is not in it).

    Columns: area_code, area_name, period, period_start, period_end, worker_type, group (= worker_type),
    headcount, fte (NaN with ``fte_symbol`` [z] for special constables and police support volunteers),
    release. The 43-force total of officer FTE as at 31 March 2023 is 147,429.6 (published 147,430).
    """
    keys = ["area_code", "area_name", "period", "period_start", "period_end", "worker_type", "release"]
    grouped = frame.groupby(keys, as_index=False, sort=True).agg(
        headcount=("count", "sum"), fte=("fte", lambda s: s.sum(min_count=1))
    )
    territorial = {a.code for a in areas.all_areas()}
    forces = grouped.loc[grouped["area_code"].isin(territorial)]
    national = forces.groupby(
        ["period", "period_start", "period_end", "worker_type", "release"], as_index=False, sort=True
    ).agg(
        headcount=("headcount", "sum"),
        fte=("fte", lambda s: s.sum(min_count=1)),
        forces=("area_code", "nunique"),
    )
    incomplete = national.loc[national["forces"] != len(territorial)]
    if len(incomplete):
        raise DataError(
            "the 43-force total is incomplete",
            file=DATASET,
            value=incomplete.iloc[0].to_dict(),
            expected="every territorial force for every date and worker type",
        )
    national = national.drop(columns="forces").assign(
        area_code=areas.ENGLAND_AND_WALES_CODE, area_name=areas.get(areas.ENGLAND_AND_WALES_CODE).name
    )
    out = pd.concat([grouped, national[grouped.columns]], ignore_index=True)
    out["group"] = out["worker_type"]
    out["fte_symbol"] = out["fte"].isna().map({True: "[z]", False: ""})
    return out
