"""Metropolitan Police hate crime by borough, month and strand (MPS dashboard data).

Dataset ``hate_crime_mps``
    ``data/raw/mps-hate-crime-borough-monthly-2010-2021/Monthly Crime Other Crime Borough
    Level Off Type.csv``: one row per borough and MPS category, one column per month
    (``201004`` ... ``202105``). ONE FORCE ONLY: every row is area ``E23000001``
    (Metropolitan Police), with ``borough`` (32 London boroughs and "Aviation
    Security(SO18)"; the City of London is policed by its own force and is absent).

    Only the rows the MPS files under ``MajorText = "Hate"`` are loaded; ``strand`` (and
    ``group``) is the MPS ``MinorText``: Racist and Religious Hate Crime, Homophobic Hate
    Crime, Disability Hate Crime, Transgender Hate, Faith Hate Crime, Anti-Semitic,
    Islamophobic, and three domestic abuse categories the MPS also files under Hate
    (``hate_strand = False`` for those). The "Special" crime types (knife crime, gun crime,
    ...) are set aside (logged).

    **Strands do not add up**: Faith, Anti-Semitic and Islamophobic are sub-types of
    religious hate, and one offence can carry several flags. Never sum across strands.
    MPS counts are revised continually and differ from the Home Office hate crime tables.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pandas as pd

from eqlib import areas, periods
from eqlib.errors import DataError
from eqlib.sources import register
from eqlib.sources._common import finalise, log_rows, parse_count, read_csv_text
from eqlib.sources.ods import period_fields

log = logging.getLogger(__name__)

FILES = ("mps-hate-crime-borough-monthly-2010-2021/*.csv",)
ID_COLUMNS = ("Borough", "MajorText", "MinorText")
NOT_HATE_STRANDS = {"Domestic Abuse", "Domestic Abuse VWI", "Domestic Abuse Homicide"}


def read_hate_crime(path: str | Path) -> pd.DataFrame:
    """Read the MPS borough x month CSV into the tidy frame (hate rows only, validated).

    Raises :class:`DataError` for a missing identifier column, a month column that is not
    ``YYYYMM``, a duplicated borough and category, or a count that is not a count.
    """
    path = Path(path)
    raw = pd.read_csv(io.StringIO(read_csv_text(path)), dtype=str, keep_default_na=False)
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in ID_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(
            "missing columns",
            file=str(path),
            row=1,
            value=", ".join(missing),
            expected="Borough, MajorText, MinorText, then one column per month (YYYYMM)",
        )
    months: list[tuple[str, periods.Period]] = []
    for column in raw.columns:
        if column in ID_COLUMNS:
            continue
        m = re.fullmatch(r"(\d{4})(\d{2})", column)
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise DataError(
                "a column that is not a month",
                file=str(path),
                row=1,
                column=column,
                expected="a month as YYYYMM, such as 201904",
            )
        months.append((column, periods.month(int(m.group(1)), int(m.group(2)))))
    dup = raw.duplicated(list(ID_COLUMNS), keep="first")
    if dup.any():
        second = int(dup.to_numpy().nonzero()[0][0])
        ids = list(raw.loc[second, list(ID_COLUMNS)])
        same = (raw[list(ID_COLUMNS)] == ids).all(axis=1).to_numpy().nonzero()[0]
        raise DataError(
            f"a borough and category appear twice (first at row {int(same[0]) + 2})",
            file=str(path),
            row=second + 2,
            value=" / ".join(ids),
            expected="one row per borough, MajorText and MinorText",
        )
    met = areas.get("E23000001")
    hate = raw["MajorText"].str.strip().str.casefold() == "hate"
    rows = raw[hate]
    cache: dict[str, tuple[float, str]] = {}
    parts: list[pd.DataFrame] = []
    for column, period in months:
        counts, symbols = [], []
        for position, value in zip(rows.index, rows[column], strict=True):
            if value not in cache:  # the first row holding a bad value is the one named
                cache[value] = parse_count(value, file=path, row=int(position) + 2, column=column)
            count, symbol = cache[value]
            counts.append(count)
            symbols.append(symbol)
        strands = rows["MinorText"].str.strip()
        parts.append(
            pd.DataFrame(
                {
                    "area_code": met.code,
                    "area_name": met.name,
                    **period_fields(period),
                    "group": strands.to_numpy(),
                    "source_label": strands.to_numpy(),
                    "count": counts,
                    "symbol": symbols,
                    "strand": strands.to_numpy(),
                    "borough": rows["Borough"].str.strip().to_numpy(),
                    "hate_strand": (~strands.isin(NOT_HATE_STRANDS)).to_numpy(),
                }
            )
        )
    frame = (
        pd.concat(parts, ignore_index=True)
        .sort_values(["borough", "strand", "period"], kind="stable")
        .reset_index(drop=True)
    )
    n_special = int((~hate).sum())
    log.info(
        "%s: %d 'Special' (not hate) rows set aside: %s",
        path.name,
        n_special,
        ", ".join(sorted(raw.loc[~hate, "MinorText"].str.strip().unique())),
    )
    numbers = rows[[c for c, _ in months]].apply(
        lambda col: pd.to_numeric(col.str.replace(",", "", regex=False), errors="coerce")
    )
    log_rows(
        "hate_crime_mps",
        rows_in=int(hate.sum()) * len(months),
        rows_out=len(frame),
        records_in=float(numbers.sum().sum()),
        records_out=float(frame["count"].sum()),
    )
    log.info(
        "%s: %d of %d CSV rows loaded (the MPS 'Hate' rows), %d months each",
        path.name,
        int(hate.sum()),
        len(raw),
        len(months),
    )
    return finalise(frame, dataset="hate_crime_mps")


@register(
    "hate_crime_mps",
    "Hate crime by strand, borough and month, Metropolitan Police only (MPS dashboard data)",
    files=FILES,
    description="MPS hate crime dashboard data, April 2010 - May 2021. One force only; "
    "strands overlap and must not be added together.",
)
def load_hate_crime(raw_dir: Path) -> pd.DataFrame:
    """Dataset ``hate_crime_mps`` (see the module docstring)."""
    files = sorted(Path(raw_dir).glob(FILES[0]))
    if len(files) != 1:
        raise DataError(
            f"expected one MPS hate crime CSV, found {len(files)}",
            file=str(Path(raw_dir) / FILES[0]),
            expected="the MPS borough monthly CSV",
        )
    return read_hate_crime(files[0])


def financial_year_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum a ``hate_crime_mps`` frame over boroughs and months to financial years, by strand.

    Returns columns ``strand``, ``period`` (``2019-20``) and ``count``; only complete years
    (12 months) are kept. Strands are never added together.
    """
    months = frame.assign(fy=[periods.financial_year_of(d.date()).label for d in frame["period_start"]])
    n_months = months.groupby("fy")["period"].nunique()
    complete = n_months[n_months == 12].index
    out = (
        months[months["fy"].isin(complete)]
        .groupby(["strand", "fy"], as_index=False)["count"]
        .sum(min_count=1)
        .rename(columns={"fy": "period"})
    )
    return out
