"""Relative rate index (RRI) across the stages of a process, as the Youth Justice Board's Summary
Disproportionality Tool and the US OJJDP "relative rate index matrix" compute it.

For stages s = 0 (population at entry, e.g. residents), 1 (stop and search), 2 (arrest) ...:

    rate_{s,g} = count_{s,g} / count_{s-1,g}
    RRI_{s,g}  = rate_{s,g} / rate_{s,White}

An RRI above 1 means group g moves on to stage s more often than White people at the previous
stage; below 1, less often (read it as 1/RRI: "White people were 1/RRI times as likely"). The
YJB tool marks a comparison "insufficient" where the group is under 1% of the population or the
counts are small: here such rows keep their value but get symbol ``[u]`` (low reliability) and the
caveat ``rri_insufficient``.

Intervals: stage 1 over a population is a ratio of Poisson rates (score interval, as
:mod:`eqlib.metrics.disparity`); later stages are ratios of proportions (score interval,
``confint_proportions_2indep(compare="ratio", method="score")``) unless a stage count exceeds the
previous one (e.g. several arrests per search), where the Poisson ratio is used.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from eqlib.errors import DataError
from eqlib.ethnicity import POPULATION_GROUPS
from eqlib.metrics import caveats as cv
from eqlib.metrics._frame import finalise
from eqlib.metrics._inputs import add_aggregates, prepare_counts, prepare_population
from eqlib.metrics._stats import (
    proportion_ratio_pvalue,
    proportion_ratio_score_ci,
    rate_ratio_pvalue,
    rate_ratio_score_ci,
)
from eqlib.metrics.rates import mark_missing

POISSON_METHOD = (
    "relative rate index; ratio of Poisson rates, score interval (statsmodels confint_poisson_2indep score)"
)
BINOMIAL_METHOD = (
    "relative rate index; ratio of proportions, score interval (statsmodels "
    "confint_proportions_2indep ratio score)"
)
#: a group under this share of the entry population is "insufficient" (YJB tool: 1%)
MIN_POPULATION_SHARE = 0.01
#: a stage count under this is "insufficient"
MIN_COUNT = 5


def relative_rate_index(
    stages: Sequence[pd.DataFrame],
    *,
    stage_names: Sequence[str],
    measure: str = "rri_stop_arrest",
    reference: str = "White",
    include_minority: bool = True,
    alpha: float = 0.05,
    min_population_share: float = MIN_POPULATION_SHARE,
    min_count: int = MIN_COUNT,
) -> pd.DataFrame:
    """RRI of every group against ``reference`` at every stage after the first.

    Parameters
    ----------
    stages
        Ordered frames. The first is the entry population: either a population frame (area_code,
        group, population, optional period) or a count frame (area_code, period, group, count, e.g.
        prosecutions). Each later frame is a count frame (area_code, period, group, count).
    stage_names
        One name per stage (e.g. ``["population", "stop and search", "arrest"]``).

    Returns
    -------
    pandas.DataFrame
        :data:`FIGURE_COLUMNS` plus ``stage`` (the name of stage s): count is the group's count at s,
        denominator its count at s - 1, value the RRI, ci_low/ci_high its 95% score interval and
        p_value the test of RRI = 1.
    """
    if len(stages) < 2 or len(stages) != len(stage_names):
        raise DataError(
            "relative_rate_index needs at least two stages and one name per stage",
            value=(len(stages), len(stage_names)),
            expected="len(stages) == len(stage_names) >= 2",
        )
    entry = stages[0]
    if "population" in entry.columns:
        pop = prepare_population(entry, name=f"stage {stage_names[0]!r}")
        first = pop.rename(columns={"population": "count"})
        first = first.loc[first["group"].isin(POPULATION_GROUPS)]
        entry_is_population = True
    else:
        first, _ = prepare_counts(entry, name=f"stage {stage_names[0]!r}")
        first = first.loc[first["group"].isin(POPULATION_GROUPS)]
        entry_is_population = False
    later = []
    for frame, name in zip(stages[1:], stage_names[1:], strict=True):
        prepared, flags = prepare_counts(frame, name=f"stage {name!r}")
        prepared = prepared.loc[prepared["group"].isin(POPULATION_GROUPS)]
        prepared = add_aggregates(
            prepared.assign(population=np.nan), minority=include_minority, all_groups=False
        ).drop(columns="population")
        later.append((name, prepared, flags))

    # entry-population share of each group (for "insufficient")
    first_keys = ["area_code", "group"] + (["period"] if "period" in first.columns else [])
    shares = first.copy()
    total_keys = [k for k in first_keys if k != "group"]
    shares["share"] = shares["count"] / shares.groupby(total_keys)["count"].transform("sum")
    if include_minority:
        minority = (
            shares.loc[shares["group"] != "White"]
            .groupby(total_keys)[["count", "share"]]
            .sum(min_count=1)
            .reset_index()
        )
        minority["group"] = "All ethnic minority groups"
        shares = pd.concat([shares, minority], ignore_index=True)

    parts = []
    previous = shares[first_keys + ["count"]].rename(columns={"count": "prev_count"})
    prev_keys = first_keys
    for index, (name, current, flags) in enumerate(later):
        frame = current.merge(previous, on=prev_keys, how="left")
        frame = frame.merge(shares[first_keys + ["share"]], on=first_keys, how="left")
        poisson = index == 0 and entry_is_population
        parts.append(
            _stage(frame, name, poisson, measure, reference, alpha, min_population_share, min_count, flags)
        )
        previous = current[["area_code", "period", "group", "count"]].rename(columns={"count": "prev_count"})
        prev_keys = ["area_code", "period", "group"]
    out = finalise(pd.concat(parts, ignore_index=True), extra=("stage",))
    order = {name: i for i, name in enumerate(stage_names)}
    stage_order = out["stage"].map(order)
    if stage_order.isna().any():  # pragma: no cover - every stage is named
        out = (
            out.assign(_order=stage_order)
            .sort_values(["area_code", "period", "_order"], kind="stable")
            .drop(columns="_order")
        )
        return out.reset_index(drop=True)
    # a stable sort by area, period and stage order (finalise left area_code and period as str)
    keys = [
        stage_order.to_numpy(dtype=np.int64),
        pd.factorize(out["period"], sort=True)[0],
        pd.factorize(out["area_code"], sort=True)[0],
    ]
    return out.take(np.lexsort(keys)).reset_index(drop=True)


def _stage(
    frame: pd.DataFrame,
    name: str,
    poisson: bool,
    measure: str,
    reference: str,
    alpha: float,
    min_share: float,
    min_count: int,
    flags: pd.DataFrame,
) -> pd.DataFrame:
    frame = frame.rename(columns={"prev_count": "denominator"})
    ref = frame.loc[frame["group"] == reference, ["area_code", "period", "count", "denominator"]].rename(
        columns={"count": "ref_count", "denominator": "ref_denominator"}
    )
    frame = frame.loc[frame["group"] != reference].merge(ref, on=["area_code", "period"], how="left")
    frame, ok = mark_missing(frame)
    c1 = frame["count"].to_numpy(dtype=float)
    n1 = frame["denominator"].to_numpy(dtype=float)
    c2 = frame["ref_count"].to_numpy(dtype=float)
    n2 = frame["ref_denominator"].to_numpy(dtype=float)
    ref_bad = ok & ~(np.isfinite(c2) & np.isfinite(n2) & (n2 > 0))
    zero_ref = ok & ~ref_bad & (c2 == 0)
    frame = cv.add(frame, ref_bad, "missing_denominator")
    frame = cv.add(frame, zero_ref, "zero_reference")
    frame.loc[ref_bad | zero_ref, "symbol"] = "[x]"
    ok &= ~ref_bad & ~zero_ref
    value = np.full(len(frame), np.nan)
    low = np.full(len(frame), np.nan)
    high = np.full(len(frame), np.nan)
    p = np.full(len(frame), np.nan)
    use_poisson = ok & (poisson | (c1 > n1) | (c2 > n2))
    binom = ok & ~use_poisson
    if ok.any():
        value[ok] = (c1[ok] / n1[ok]) / (c2[ok] / n2[ok])
    if use_poisson.any():
        m = use_poisson
        low[m], high[m] = rate_ratio_score_ci(c1[m], n1[m], c2[m], n2[m], alpha)
        p[m] = rate_ratio_pvalue(c1[m], n1[m], c2[m], n2[m], exact=np.zeros(m.sum(), dtype=bool))
    if binom.any():
        m = binom
        low[m], high[m] = proportion_ratio_score_ci(c1[m], n1[m], c2[m], n2[m], alpha)
        p[m] = proportion_ratio_pvalue(c1[m], n1[m], c2[m], n2[m])
    frame["value"], frame["ci_low"], frame["ci_high"], frame["p_value"] = value, low, high, p
    share = frame["share"].to_numpy(dtype=float)
    insufficient = ok & ((share < min_share) | (np.fmin(c1, c2) < min_count) | (np.fmin(n1, n2) < min_count))
    frame = cv.add(frame, insufficient, "rri_insufficient")
    frame.loc[insufficient, "symbol"] = "[u]"
    frame["stage"] = name
    frame["measure"] = measure
    frame["reference_group"] = reference
    frame["method"] = np.where(use_poisson, POISSON_METHOD, BINOMIAL_METHOD)
    return cv.standard(frame.assign(count=np.fmin(c1, c2)), flags=flags).assign(count=c1)
