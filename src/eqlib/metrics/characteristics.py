"""Stop and search by a protected characteristic other than ethnicity (age group, sex), where no
population denominator is shipped: shares of searches with Wilson intervals and ratios of shares.

police.uk records carry the person's sex (``Gender``: Male, Female, Other) and age range (under 10,
10-17, 18-24, 25-34, over 34). The Census files eqlib ships (TS021 2021, QS201EW/KS201EW 2011) are
by ethnic group only, so there is no resident population by age or sex for a force area here and
no rate per 1,000 by age or sex can be computed. What can be computed honestly:

- the share of searches in each category, "Not recorded" included, so that the shares add up to
  100% and a table of them reveals nothing its counts do not (Home Office *Police powers and
  procedures* gives searches by age group and sex with "not stated" as a category)::

      share_g = 100 x n_g / N      (N = every search of a person in the period)

  with the Wilson score interval, ``statsmodels.stats.proportion.proportion_confint(method="wilson")``;
- the ratio of a category's share to the reference category's (``<measure>_ratio``)::

      ratio_g = share_g / share_r = n_g / n_r

  Both shares have the same denominator, so the ratio is a ratio of counts: "searches of males per
  search of a female", NOT the likelihood of being searched (which needs the population). Interval:
  conditional on n_g + n_r, n_g is binomial; the score interval for a ratio of two Poisson counts
  with equal exposure, ``statsmodels.stats.rates.confint_poisson_2indep(compare="ratio",
  method="score")`` (vectorised in :mod:`eqlib.metrics._stats`), or, where either count is below 10,
  the exact conditional (Clopper-Pearson) interval, as :func:`eqlib.metrics.disparity` does. Test of
  ratio 1: ``test_poisson_2indep`` (score, or exact-cond for small counts).

A row ``All`` carries the number of searches (100%), so that small-number suppression can protect
the categories against recovery from the total.

Every figure carries the caveat ``no_population_denominator``; ``not_recorded_high`` where more than
10% of searches lack the characteristic; ``characteristic_not_recorded`` (with ``[x]``) where no
search in the period recorded it (South Wales Police publishes no age range on police.uk).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from eqlib.errors import DataError
from eqlib.metrics import caveats as cv
from eqlib.metrics._frame import finalise, require_columns
from eqlib.metrics._stats import rate_ratio_exact_ci, rate_ratio_pvalue, rate_ratio_score_ci, wilson_ci

NOT_RECORDED = "Not recorded"
TOTAL = "All"
SEX_GROUPS: tuple[str, ...] = ("Male", "Female", "Other")
AGE_GROUPS: tuple[str, ...] = ("under 10", "10-17", "18-24", "25-34", "over 34")
#: counts below this use the exact conditional interval and test (as eqlib.metrics.disparity)
EXACT_BELOW = 10

SHARE_METHOD = (
    "share of all searches of people; Wilson score interval (statsmodels proportion_confint wilson); "
    "no population denominator"
)
TOTAL_METHOD = "all searches (the total of the categories and Not recorded)"
SCORE_METHOD = (
    "ratio of shares (= ratio of counts, same denominator; not a rate ratio), score interval "
    "(statsmodels confint_poisson_2indep score, equal exposures); test_poisson_2indep score"
)
EXACT_METHOD = (
    "ratio of shares (= ratio of counts, same denominator; not a rate ratio), exact conditional "
    "interval (Clopper-Pearson, statsmodels proportion_confint beta); test_poisson_2indep exact-cond"
)


def _grid(counts: pd.DataFrame, column: str, categories: Sequence[str]) -> pd.DataFrame:
    """One row per area, period and category (every category, Not recorded included; absent = 0)."""
    require_columns(counts, ("area_code", "period", column, "count"), name="counts")
    allowed = (*categories, NOT_RECORDED)
    values = counts[column].astype(str)
    bad = ~values.isin(allowed)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"counts: unknown value in {column}",
            row=row + 1,
            column=column,
            value=values.iloc[row],
            expected=f"one of {list(allowed)}",
        )
    count = pd.to_numeric(counts["count"], errors="coerce")
    if count.isna().any() or (count < 0).any():
        row = int(np.flatnonzero((count.isna() | (count < 0)).to_numpy())[0])
        raise DataError(
            "counts: count is missing or negative",
            row=row + 1,
            column="count",
            value=counts["count"].iloc[row],
            expected="a count of 0 or more (police.uk records)",
        )
    frame = pd.DataFrame(
        {
            "area_code": counts["area_code"].astype(str),
            "period": counts["period"].astype(str),
            "category": values,
            "count": count.astype(float),
        }
    )
    summed = frame.groupby(["area_code", "period", "category"], sort=True)["count"].sum()
    keys = frame[["area_code", "period"]].drop_duplicates().sort_values(["area_code", "period"])
    index = pd.MultiIndex.from_tuples(
        [(a, p, c) for a, p in keys.itertuples(index=False) for c in allowed],
        names=["area_code", "period", "category"],
    )
    grid = summed.reindex(index, fill_value=0.0).reset_index()
    names = counts.groupby("area_code", sort=True)["area_name"].first() if "area_name" in counts else None
    grid["area_name"] = grid["area_code"].map(names) if names is not None else grid["area_code"]
    partial = (
        counts.assign(partial=counts["partial"].fillna(False).astype(bool))
        .groupby(["area_code", "period"])["partial"]
        .any()
        if "partial" in counts
        else None
    )
    grid["partial"] = (
        [bool(partial.get((a, p), False)) for a, p in zip(grid["area_code"], grid["period"], strict=True)]
        if partial is not None
        else False
    )
    return grid


def characteristic_shares(
    counts: pd.DataFrame,
    *,
    column: str,
    categories: Sequence[str],
    reference: str,
    measure: str,
    alpha: float = 0.05,
    small_count: int = cv.SMALL_COUNT,
    police_uk: bool = True,
) -> pd.DataFrame:
    """Shares of searches by ``column`` (Wilson) and ratios of shares to ``reference``, per area and period.

    Parameters
    ----------
    counts
        area_code, period, ``column``, count; optional area_name and partial (a period with months
        missing). Values of ``column`` are ``categories`` or "Not recorded". Other columns are summed over.
    categories
        The recorded categories, in display order (:data:`SEX_GROUPS`, :data:`AGE_GROUPS`).
    reference
        The category the ratios compare with (e.g. "Female", "over 34").
    police_uk
        Add the ``police_uk_not_official`` caveat (the counts are police.uk open data).

    Returns
    -------
    DataFrame
        :data:`eqlib.metrics.FIGURE_COLUMNS`: ``measure`` rows (each category, "Not recorded",
        "All") and ``<measure>_ratio`` rows (each category but the reference).
    """
    if reference not in categories:
        raise ValueError(f"reference {reference!r} is not one of the categories {list(categories)}")
    grid = _grid(counts, column, categories)
    keys = ["area_code", "period"]
    total = grid.groupby(keys)["count"].transform("sum").to_numpy(dtype=float)
    recorded_mask = grid["category"].isin(categories).to_numpy()
    recorded = total - grid.assign(_n=np.where(~recorded_mask, grid["count"], 0.0)).groupby(keys)[
        "_n"
    ].transform("sum").to_numpy(dtype=float)
    count = grid["count"].to_numpy(dtype=float)
    is_nr = grid["category"].eq(NOT_RECORDED).to_numpy()
    not_recorded = (
        grid.assign(_n=np.where(is_nr, grid["count"], 0.0))
        .groupby(keys)["_n"]
        .transform("sum")
        .to_numpy(dtype=float)
    )
    nr_share = np.divide(not_recorded, total, out=np.zeros_like(total), where=total > 0)

    den = total
    none_recorded = recorded_mask & (recorded == 0) & (total > 0)
    ok = (den > 0) & ~none_recorded
    low, high = wilson_ci(np.where(ok, count, 0), np.where(ok, den, 1), alpha)
    shares = pd.DataFrame(
        {
            "area_code": grid["area_code"],
            "area_name": grid["area_name"],
            "period": grid["period"],
            "measure": measure,
            "group": grid["category"],
            "reference_group": "",
            "count": count,
            "denominator": den,
            "value": np.where(ok, 100 * count / np.where(ok, den, 1), np.nan),
            "ci_low": np.where(ok, 100 * low, np.nan),
            "ci_high": np.where(ok, 100 * high, np.nan),
            "p_value": np.nan,
            "method": SHARE_METHOD,
            "symbol": np.where(none_recorded, "[x]", np.where(ok, "", "[z]")).astype(object),
            "caveats": [() for _ in range(len(grid))],
        }
    )
    shares.loc[none_recorded, "count"] = np.nan  # not recorded, not zero
    shares = cv.add_all(
        shares, [(none_recorded, "characteristic_not_recorded"), (~ok & ~none_recorded, "zero_denominator")]
    )
    totals = shares.loc[grid["category"].eq(NOT_RECORDED)].assign(
        group=TOTAL,
        count=total[is_nr],
        denominator=total[is_nr],
        method=TOTAL_METHOD,
        symbol="",
        caveats=[() for _ in range(int(is_nr.sum()))],
    )
    tok = totals["denominator"].to_numpy() > 0
    totals["value"] = np.where(tok, 100.0, np.nan)
    totals["ci_low"] = totals["ci_high"] = np.where(tok, 100.0, np.nan)
    totals.loc[~tok, "symbol"] = "[z]"
    totals = cv.add(totals, ~tok, "zero_denominator")

    ratios = _ratios(grid, recorded_mask, none_recorded, categories, reference, measure, alpha)
    out = pd.concat([shares, totals, ratios], ignore_index=True)
    flag = dict(zip(zip(grid["area_code"], grid["period"], strict=True), nr_share, strict=True))
    partial = dict(zip(zip(grid["area_code"], grid["period"], strict=True), grid["partial"], strict=True))
    where = list(zip(out["area_code"], out["period"], strict=True))
    nr_high = (
        np.array([0 < flag[k] < 1 and flag[k] > cv.NOT_STATED_HIGH for k in where])
        & (out["group"] != NOT_RECORDED).to_numpy()
    )
    small = (pd.to_numeric(out["count"], errors="coerce") < small_count).to_numpy() & (
        out["group"] != TOTAL
    ).to_numpy()
    out = cv.add_all(
        out,
        [
            (True, "no_population_denominator"),
            (nr_high, "not_recorded_high"),
            (np.array([bool(partial[k]) for k in where], dtype=bool), "partial_period"),
            (small, "small_count"),
            (police_uk, "police_uk_not_official"),
        ],
    )
    order = {g: i for i, g in enumerate((*categories, NOT_RECORDED, TOTAL))}
    out = (
        out.assign(_m=out["measure"].ne(measure).astype(int), _o=out["group"].map(order))
        .sort_values(["area_code", "period", "_m", "_o"], kind="stable")
        .drop(columns=["_m", "_o"])
    )
    return finalise(out.reset_index(drop=True))


def _ratios(
    grid: pd.DataFrame,
    recorded_mask: np.ndarray,
    none_recorded: np.ndarray,
    categories: Sequence[str],
    reference: str,
    measure: str,
    alpha: float,
) -> pd.DataFrame:
    keys = ["area_code", "period"]
    ref = grid.loc[grid["category"] == reference, [*keys, "count"]].rename(columns={"count": "ref_count"})
    rows = grid.loc[recorded_mask & (grid["category"] != reference).to_numpy()].assign(
        _none=none_recorded[recorded_mask & (grid["category"] != reference).to_numpy()]
    )
    rows = rows.merge(ref, on=keys, how="left")
    c1 = rows["count"].to_numpy(dtype=float)
    c2 = rows["ref_count"].to_numpy(dtype=float)
    none = rows["_none"].to_numpy(dtype=bool)
    zero_ref = ~none & (c2 == 0)
    ok = ~none & ~zero_ref
    exact = ok & ((c1 < EXACT_BELOW) | (c2 < EXACT_BELOW))
    score = ok & ~exact
    ones = np.ones(len(rows))
    value = np.full(len(rows), np.nan)
    low = np.full(len(rows), np.nan)
    high = np.full(len(rows), np.nan)
    p = np.full(len(rows), np.nan)
    value[ok] = c1[ok] / c2[ok]
    if score.any():
        low[score], high[score] = rate_ratio_score_ci(c1[score], ones[score], c2[score], ones[score], alpha)
    if exact.any():
        low[exact], high[exact] = rate_ratio_exact_ci(c1[exact], ones[exact], c2[exact], ones[exact], alpha)
    if ok.any():
        p[ok] = rate_ratio_pvalue(c1[ok], ones[ok], c2[ok], ones[ok], exact=exact[ok])
    undefined = ok & ~(np.isfinite(low) & np.isfinite(high))
    value[undefined] = low[undefined] = high[undefined] = np.nan
    out = pd.DataFrame(
        {
            "area_code": rows["area_code"],
            "area_name": rows["area_name"],
            "period": rows["period"],
            "measure": f"{measure}_ratio",
            "group": rows["category"],
            "reference_group": reference,
            "count": np.where(none, np.nan, c1),
            "denominator": np.where(none, np.nan, c2),
            "value": value,
            "ci_low": low,
            "ci_high": high,
            "p_value": p,
            "method": np.where(exact, EXACT_METHOD, SCORE_METHOD),
            "symbol": np.where(none | zero_ref | undefined, "[x]", ""),
            "caveats": [() for _ in range(len(rows))],
        }
    )
    return cv.add_all(
        out,
        [
            (none, "characteristic_not_recorded"),
            (zero_ref, "zero_reference"),
            (undefined, "interval_undefined"),
        ],
    )


def hide_suppressed_ratios(published: pd.DataFrame) -> pd.DataFrame:
    """After small-number suppression: hide a ratio row (``<measure>_ratio``) whose group or reference
    group is suppressed (``[c]``) among the ``<measure>`` share rows of the same area and period, since
    the ratio of two counts with one of them published would reveal the other. Only measures made by
    :func:`characteristic_shares` (their method says "ratio of shares") are touched."""
    if published.empty or "method" not in published:
        return published
    is_ratio = (
        published["measure"].astype(str).str.endswith("_ratio").to_numpy()
        & published["method"].astype(str).str.startswith("ratio of shares").to_numpy()
    )
    if not is_ratio.any():
        return published
    hidden = published.loc[published["symbol"].eq("[c]")]
    gone = set(
        zip(
            hidden["area_code"],
            hidden["period"],
            hidden["measure"].astype(str) + "_ratio",
            hidden["group"],
            strict=True,
        )
    )
    rows = published.loc[is_ratio]
    hit = np.zeros(len(published), dtype=bool)
    hit[np.flatnonzero(is_ratio)] = [
        (a, p, m, g) in gone or (a, p, m, r) in gone
        for a, p, m, g, r in zip(
            rows["area_code"],
            rows["period"],
            rows["measure"],
            rows["group"],
            rows["reference_group"],
            strict=True,
        )
    ]
    hit &= published["symbol"].ne("[c]").to_numpy()
    if not hit.any():
        return published
    out = published.copy()
    for column in ("count", "denominator", "value", "ci_low", "ci_high", "p_value"):
        out.loc[hit, column] = np.nan
    out.loc[hit, "symbol"] = "[c]"
    return cv.add(out, hit, "suppressed")


__all__ = [
    "AGE_GROUPS",
    "NOT_RECORDED",
    "SEX_GROUPS",
    "TOTAL",
    "characteristic_shares",
    "hide_suppressed_ratios",
]
