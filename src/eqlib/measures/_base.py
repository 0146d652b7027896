"""What every measure's computation shares: the cached datasets, populations by census, empty and count
figure frames, caveats, and each figure's source and its rank in the selection rule
(:func:`eqlib.measures.selection.select`)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from eqlib import periods, store
from eqlib.metrics import caveats as cv
from eqlib.metrics._frame import FIGURE_COLUMNS
from eqlib.sources.population import population_for

log = logging.getLogger("eqlib.analysis")

MIN_MONTHS_FOR_YEAR = 11


# --------------------------------------------------------------------------- helpers
def _load(dataset_id: str, root: Path | None) -> pd.DataFrame:
    return store.load(dataset_id, root=root)


def _census_year(label: str) -> int:
    return 2021 if "2021" in str(label) else 2011


def _population(period_labels: list[str], root: Path | None) -> pd.DataFrame:
    """Broad-group populations for each period label (Census 2021 from April 2021, else 2011)."""
    frames = []
    for label in sorted(set(period_labels)):
        pop = population_for(periods.parse(label), root=root).copy()
        pop["period"] = label
        pop["census"] = pop["census"].map(_census_year)
        frames.append(pop)
    if not frames:
        return pd.DataFrame(columns=["area_code", "area_name", "group", "population", "census", "period"])
    return pd.concat(frames, ignore_index=True)


def _by_census(func, counts: pd.DataFrame, pop: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """Run a metric separately for the periods of each census, so that each figure's
    ``old_census_denominator`` caveat follows its own period's denominator."""
    census_of = pop.drop_duplicates("period").set_index("period")["census"]
    frames = []
    for census, labels in census_of.groupby(census_of):
        keep = counts["period"].isin(labels.index)
        if keep.any():
            frames.append(
                func(
                    counts.loc[keep],
                    pop.loc[pop["period"].isin(labels.index)],
                    census_year=int(census),
                    **kwargs,
                )
            )
    return pd.concat(frames, ignore_index=True) if frames else _empty()


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=list(FIGURE_COLUMNS))


def _with_caveat(frame: pd.DataFrame, code: str, mask: pd.Series | np.ndarray | bool = True) -> pd.DataFrame:
    if frame.empty:
        return frame
    return cv.add(frame, mask, code)


def _count_figures(
    frame: pd.DataFrame, *, measure: str, method: str, value_column: str = "count"
) -> pd.DataFrame:
    """A figure frame for a plain count (no interval): value = the count."""
    if frame.empty:
        return _empty()
    out = pd.DataFrame(
        {
            "area_code": frame["area_code"].astype(str),
            "area_name": frame["area_name"].astype(str),
            "period": frame["period"].astype(str),
            "measure": measure,
            "group": frame["group"].astype(str),
            "reference_group": "",
            "count": frame[value_column].astype(float),
            "denominator": frame["denominator"].astype(float) if "denominator" in frame else np.nan,
            "value": frame[value_column].astype(float),
            "ci_low": np.nan,
            "ci_high": np.nan,
            "p_value": np.nan,
            "method": method,
            "symbol": frame["symbol"].fillna("").astype(str) if "symbol" in frame else "",
            "caveats": [() for _ in range(len(frame))],
        }
    )
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- sources of a figure
#: source_rank of a figure: which source a report shows first for a measure, area and period (see select)
RANK_PUBLISHED = 0  # the official publisher's own figure for the period (EFF published rates)
RANK_OFFICIAL_COUNTS = 1  # computed by eqlib from official counts (Home Office tables, EFF counts)
RANK_DERIVED = 2  # computed from counts derived from published rates x populations
RANK_POLICEUK = 3  # police.uk records: not official statistics
POLICEUK_SOURCE = "police.uk stop and search records (police.uk, not official statistics); ONS Census"
HO_SOURCE = (
    "Home Office, Police powers and procedures: stop and search open data (year ending March 2025), "
    "searches by force and self-defined ethnicity; ONS Census"
)
EFF_PUBLISHED_SOURCE = "GOV.UK Ethnicity facts and figures, stop and search 2022/23 (published rates)"
EFF_NATIONAL_SOURCE = "GOV.UK Ethnicity facts and figures, stop and search by ethnicity (national series)"


def _tag(frame: pd.DataFrame, source: str, rank: int) -> pd.DataFrame:
    """Record each figure's source (shown with it) and its rank in the rule of :func:`select`."""
    return frame.assign(source=source, source_rank=rank)
