"""Outcome proportions by group (the "outcome test"), with Wilson intervals and a test against a reference.

Measures: share of searches leading to arrest (``stop_search_arrest_rate``), with no further action
(``stop_search_no_further_action``), whose outcome was linked to the object of search
(``stop_search_outcome_linked``), made under section 60 (``stop_search_s60_share``); also conviction
ratios and any other "k of n" share.

Definitions (Home Office *Police powers and procedures*: arrest rate = arrests following a search /
searches; EFF "arrests following stop and search"):

    share_g = 100 x events_g / records_g

Interval: Wilson score, ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.
Comparison with the reference group: ratio p_g / p_r with the score interval
``confint_proportions_2indep(compare="ratio", method="score")`` (Koopman, with the Miettinen-Nurminen
correction; computed for all rows at once by inverting ``test_proportions_2indep``, see
:mod:`eqlib.metrics._stats`) and the p-value of ``test_proportions_2indep(compare="ratio",
method="score")``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Literal

import numpy as np
import pandas as pd

from eqlib.errors import DataError
from eqlib.metrics import caveats as cv
from eqlib.metrics._frame import check_non_negative, finalise, require_columns
from eqlib.metrics._inputs import _group_sum, add_aggregates, prepare_counts
from eqlib.metrics._stats import (
    proportion_ratio_pvalue,
    proportion_ratio_score_ci,
    risk_ratio_katz_ci,
)
from eqlib.metrics.rates import share_with_wilson

log = logging.getLogger(__name__)

SHARE_METHOD = (
    "Wilson score (statsmodels proportion_confint wilson); p-value vs reference: "
    "test_proportions_2indep ratio score"
)
RATIO_METHOD = (
    "ratio of proportions, score interval (statsmodels confint_proportions_2indep ratio score); "
    "test_proportions_2indep ratio score"
)
KATZ_METHOD = (
    "ratio of proportions, Katz log interval (statsmodels confint_proportions_2indep ratio log); "
    "test_proportions_2indep ratio score"
)


def outcome_counts(
    records: pd.DataFrame,
    *,
    column: str,
    events: Iterable[object] | Callable[[pd.Series], pd.Series],
    count: str = "count",
    exclude: Iterable[object] = (),
) -> pd.DataFrame:
    """Events and totals by area, period and group from a tidy frame with an outcome dimension.

    ``events`` is a set of values of ``column`` counted as events (e.g. ``{"Arrest"}``) or a function
    of the column returning a boolean mask. Returns area_code, period, group, count (events) and
    denominator (all records), plus area_name/dataset/derived/partial where present. A frame without
    a ``count`` column counts one per row (record-level police.uk data). Rows whose ``column`` value is
    in ``exclude`` (e.g. "Not recorded") are left out of both (logged).
    """
    require_columns(records, ("area_code", "period", "group", column), name="records")
    frame = records.copy()
    if count not in frame.columns:
        frame[count] = 1.0
    check_non_negative(frame, count, name="records")
    excluded = frame[column].isin(list(exclude)).to_numpy()
    if excluded.any():
        log.info(
            "outcome_counts: %d rows with %s in %s left out of the denominator",
            int(excluded.sum()),
            column,
            list(exclude),
        )
    mask = events(frame[column]) if callable(events) else frame[column].isin(list(events))
    weight = frame[count].astype(float).to_numpy()
    frame["_event"] = np.where(np.asarray(mask, dtype=bool) & ~excluded, weight, 0.0)
    frame["_recorded"] = np.where(~excluded, weight, 0.0)
    keys = ["area_code", "period", "group"]
    extra = {c: (c, "first") for c in ("area_name", "dataset") if c in frame.columns}
    extra.update({c: (c, "any") for c in ("derived", "partial") if c in frame.columns})
    out = (
        frame.groupby(keys, sort=True)
        .agg(count=("_event", "sum"), denominator=("_recorded", "sum"), **extra)
        .reset_index()
    )
    # nothing recorded (every record "Not recorded"): not available, not zero
    all_rows = frame.groupby(keys, sort=True)[count].sum().reset_index(drop=True)
    unrecorded = (out["denominator"] == 0) & (all_rows > 0)
    out["symbol"] = np.where(unrecorded, "[x]", "")
    out.loc[unrecorded, ["count", "denominator"]] = np.nan
    return out


def _prepare(events: pd.DataFrame, include_minority: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    require_columns(events, ("area_code", "period", "group", "count", "denominator"), name="events")
    check_non_negative(events, "denominator", name="events")
    over = pd.to_numeric(events["count"], errors="coerce") > pd.to_numeric(
        events["denominator"], errors="coerce"
    )
    if over.any():
        row = int(np.flatnonzero(over.to_numpy())[0])
        raise DataError(
            "events: count is larger than its denominator",
            row=row + 1,
            column="count",
            value=events["count"].iloc[row],
            expected=f"at most {events['denominator'].iloc[row]}",
        )
    counted, flags = prepare_counts(events)
    # records per area, period and group (missing if any is missing), joined to the counted grid
    keys = ["area_code", "period", "group"]
    denominator = pd.to_numeric(events["denominator"]).astype(float).to_numpy()
    key_of_row = np.zeros(len(events), dtype=np.int64)
    key_of_cell = np.zeros(len(counted), dtype=np.int64)
    for k in keys:
        codes, uniques = pd.factorize(events[k].astype(str))
        key_of_row = key_of_row * (len(uniques) + 1) + codes
        key_of_cell = key_of_cell * (len(uniques) + 1) + pd.Index(uniques).get_indexer(counted[k])
    cells, row_cell = np.unique(key_of_row, return_inverse=True)
    row_cell = row_cell.reshape(-1)
    dens = _group_sum(denominator, row_cell, len(cells))
    dens[np.bincount(row_cell, weights=np.isnan(denominator), minlength=len(cells)) > 0] = np.nan
    position = np.searchsorted(cells, key_of_cell)
    found = (
        (position < len(cells)) & (cells[np.minimum(position, max(len(cells) - 1, 0))] == key_of_cell)
        if len(cells)
        else np.zeros(len(counted), dtype=bool)
    )
    found &= key_of_cell >= 0
    frame = counted.assign(
        population=np.where(found, dens[np.where(found, position, 0)] if len(cells) else np.nan, np.nan)
    )
    frame = add_aggregates(frame, minority=include_minority, all_groups=False)
    return frame.rename(columns={"population": "denominator"}), flags


def proportions(
    events: pd.DataFrame,
    *,
    measure: str,
    reference: str = "White",
    include_minority: bool = True,
    alpha: float = 0.05,
    small_count: int = cv.SMALL_COUNT,
    compare: bool = True,
    ratio_interval: Literal["score", "katz"] = "score",
) -> pd.DataFrame:
    """Share (%) of records with the event, by group, with Wilson intervals and a test against ``reference``.

    Parameters
    ----------
    events
        area_code, period, group, count (events), denominator (records); see :func:`outcome_counts`.
        Not stated is kept as a group (its outcomes are known even if its ethnicity is not).
    measure
        Measure id, e.g. ``stop_search_arrest_rate``.
    compare
        Also return rows ``<measure>_ratio``: p_g / p_r with the score interval and test.
    ratio_interval
        ``"score"`` (default; Koopman score with the Miettinen-Nurminen correction) or ``"katz"`` (the
        log interval of Katz et al. 1978, as ``scipy.stats.contingency.relative_risk``).

    Returns
    -------
    pandas.DataFrame
        :data:`FIGURE_COLUMNS`; share rows have p_value = test of p_g = p_r (NaN for the reference).
    """
    frame, flags = _prepare(events, include_minority)
    frame, ok = share_with_wilson(frame, alpha=alpha)
    count = frame["count"].to_numpy(dtype=float)
    den = frame["denominator"].to_numpy(dtype=float)
    frame["measure"] = measure
    frame["method"] = SHARE_METHOD

    ref = frame.loc[frame["group"] == reference, ["area_code", "period", "count", "denominator"]].rename(
        columns={"count": "ref_count", "denominator": "ref_denominator"}
    )
    frame = frame.merge(ref, on=["area_code", "period"], how="left")
    rc = frame["ref_count"].to_numpy(dtype=float)
    rn = frame["ref_denominator"].to_numpy(dtype=float)
    is_ref = (frame["group"] == reference).to_numpy()
    testable = ok & ~is_ref & np.isfinite(rc) & np.isfinite(rn) & (rn > 0)
    p = np.full(len(frame), np.nan)
    if testable.any():
        p[testable] = proportion_ratio_pvalue(count[testable], den[testable], rc[testable], rn[testable])
    frame["p_value"] = p
    frame["reference_group"] = np.where(is_ref, "", reference)
    shares = cv.standard(frame, small_count=small_count, flags=flags)
    parts = [shares]
    if compare:
        parts.append(
            _ratios(
                frame.loc[~is_ref].copy(),
                ok[~is_ref],
                measure,
                reference,
                alpha,
                small_count,
                flags,
                ratio_interval,
            )
        )
    return finalise(pd.concat(parts, ignore_index=True))


def _ratios(
    frame: pd.DataFrame,
    ok: np.ndarray,
    measure: str,
    reference: str,
    alpha: float,
    small_count: int,
    flags: pd.DataFrame,
    ratio_interval: str = "score",
) -> pd.DataFrame:
    count = frame["count"].to_numpy(dtype=float)
    den = frame["denominator"].to_numpy(dtype=float)
    rc = frame["ref_count"].to_numpy(dtype=float)
    rn = frame["ref_denominator"].to_numpy(dtype=float)
    frame["caveats"] = [tuple(c) for c in frame["caveats"]]
    ref_missing = ok & (np.isnan(rc) | np.isnan(rn))
    zero_den = ok & ~ref_missing & (rn == 0)
    zero_ref = ok & ~ref_missing & ~zero_den & (rc == 0)
    frame = cv.add(frame, ref_missing, "missing_count")
    frame = cv.add(frame, zero_den, "zero_denominator")
    frame = cv.add(frame, zero_ref, "zero_reference")
    frame.loc[ref_missing | zero_ref, "symbol"] = "[x]"
    frame.loc[zero_den, "symbol"] = "[z]"
    ok = ok & ~ref_missing & ~zero_den & ~zero_ref
    value = np.full(len(frame), np.nan)
    low = np.full(len(frame), np.nan)
    high = np.full(len(frame), np.nan)
    if ok.any():
        value[ok] = (count[ok] / den[ok]) / (rc[ok] / rn[ok])
        if ratio_interval == "katz":
            low[ok], high[ok] = risk_ratio_katz_ci(count[ok], den[ok], rc[ok], rn[ok], alpha)
        else:
            low[ok], high[ok] = proportion_ratio_score_ci(count[ok], den[ok], rc[ok], rn[ok], alpha)
    undefined = ok & ~(np.isfinite(low) & np.isfinite(high))
    frame = cv.add(frame, undefined, "interval_undefined")
    frame.loc[undefined, "symbol"] = "[x]"
    value[undefined] = low[undefined] = high[undefined] = np.nan
    frame["value"], frame["ci_low"], frame["ci_high"] = value, low, high
    frame["measure"] = f"{measure}_ratio"
    frame["method"] = KATZ_METHOD if ratio_interval == "katz" else RATIO_METHOD
    frame["reference_group"] = reference
    return cv.standard(frame.assign(count=np.fmin(count, rc)), small_count=small_count, flags=flags).assign(
        count=frame["count"].to_numpy()
    )


#: the four stop and search outcome measures from police.uk columns: (measure, column, events, exclude)
POLICEUK_OUTCOMES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("stop_search_arrest_rate", "outcome_group", ("arrest",), ("Not recorded",)),
    ("stop_search_no_further_action", "outcome_group", ("no further action",), ("Not recorded",)),
    ("stop_search_outcome_linked", "outcome_linked", ("Yes",), ("Not recorded",)),
    (
        "stop_search_s60_share",
        "legislation",
        ("Criminal Justice and Public Order Act 1994 (section 60)",),
        ("Not recorded",),
    ),
)


def policeuk_outcome_shares(
    years: pd.DataFrame, *, reference: str = "White", alpha: float = 0.05, include_minority: bool = True
) -> pd.DataFrame:
    """Arrest, no further action, outcome linked and section 60 shares by group from police.uk counts
    summed to financial years (:func:`eqlib.metrics.by_financial_year` with ``keep=("outcome_group",
    "outcome_linked", "legislation")``). "Not recorded" is left out of each denominator.
    """
    parts = []
    for measure, column, events, exclude in POLICEUK_OUTCOMES:
        if column not in years.columns:
            raise DataError(
                f"police.uk counts lack the {column!r} column needed for {measure}",
                column=column,
                expected="by_financial_year(..., keep=('outcome_group', 'outcome_linked', 'legislation'))",
            )
        counted = outcome_counts(years, column=column, events=set(events), exclude=exclude)
        parts.append(
            proportions(
                counted, measure=measure, reference=reference, alpha=alpha, include_minority=include_minority
            )
        )
    return pd.concat(parts, ignore_index=True)


__all__ = ["POLICEUK_OUTCOMES", "outcome_counts", "policeuk_outcome_shares", "proportions"]
