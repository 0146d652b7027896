"""Holding the Chief Constable to account: for each disparity that is statistically significant and not
narrowing, the evidence and a plainly worded question.

The framework asks the PCC to use data on the use of powers and force to hold the Chief Constable to
account for addressing ethnic disparities (criteria 2.1.4, 2.2.1, 2.3.1). Wording follows the Race
Disparity Unit's style: "disparity", not "discrimination"; "X times as likely as".

Inputs are the metrics' figure frames (pure functions, no data loading):

- disparities: ``area_code, period, measure, group, reference_group, value, ci_low, ci_high, p_value``
  (a ratio of the group's rate to the reference group's; 1 = no disparity);
- trends (optional): ``area_code, measure, group, value, ci_low, ci_high, p_value``: the change in the
  disparity per year, as a multiplicative factor (``trend_scale="ratio"``: 1 = no change, 0.9 = falling
  10% a year) or as the change in the log ratio (``trend_scale="log"``: 0 = no change), e.g. the
  ``group:year`` term of the Poisson GLM in METHODS.md. A trend's ``measure`` may be the disparity's own id
  or one named in :data:`TREND_OF` (``stop_search_trend`` is the trend of ``stop_search_disparity``).

Rules (stated in the output's ``rule`` column):

- *significant*: ``p_value < alpha`` (default 0.05) and the 95% interval excludes 1 (when ``p_value`` is
  missing, the interval alone decides);
- *narrowing*: the trend is significant (``p < alpha``) and moves the ratio towards 1 (the interval of the
  yearly factor is wholly below 1 for a ratio above 1, wholly above 1 for a ratio below 1);
- otherwise the disparity is *not narrowing*: "widening" (significant, away from 1), "no significant
  change", or "no trend data" (fewer than three years, or none supplied). Not narrowing includes not
  known to be narrowing.

Only the latest period of each area, measure and group is considered.
"""

from __future__ import annotations

import math

import pandas as pd

from eqlib import areas, periods
from eqlib.errors import DataError
from eqlib.framework.evidence import criteria_for_measure
from eqlib.measures import get_measure, measure_ids

TREND_OF: dict[str, str] = {"stop_search_trend": "stop_search_disparity"}
"""Trend measure id -> the disparity measure it is the trend of."""

ACTIVITY: dict[str, str] = {
    "stop_search_disparity": "to be stopped and searched",
    "arrest_disparity": "to be arrested",
    "use_of_force_disparity": "to be subject to police use of force (incidents, by officer-perceived ethnicity)",
}
"""How to say what a disparity measures, for the sentence: '... times as likely as White people <activity>'."""

SUBJECT: dict[str, str] = {
    "stop_search_disparity": "stop and search",
    "arrest_disparity": "arrests",
    "use_of_force_disparity": "the use of force",
}

DISPARITY_COLUMNS = (
    "area_code",
    "period",
    "measure",
    "group",
    "reference_group",
    "value",
    "ci_low",
    "ci_high",
    "p_value",
)
TREND_COLUMNS = ("area_code", "measure", "group", "value", "ci_low", "ci_high", "p_value")
OUTPUT_COLUMNS = [
    "area_code",
    "area_name",
    "period",
    "measure",
    "group",
    "reference_group",
    "value",
    "ci_low",
    "ci_high",
    "p_value",
    "trend",
    "trend_value",
    "trend_ci_low",
    "trend_ci_high",
    "trend_p_value",
    "criteria",
    "evidence",
    "question",
    "rule",
]


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{name} frame lacks column(s) {missing}",
            column=missing[0],
            expected=f"columns {', '.join(columns)}",
        )


def _area_name(code: str) -> str:
    try:
        return areas.get(code).name
    except Exception:  # noqa: BLE001 - synthetic or national codes: show the code
        return str(code)


def _period_end(label) -> pd.Timestamp:
    return pd.Timestamp(periods.parse(label).end)


def _display_period(label) -> str:
    try:
        return periods.parse(label).display
    except Exception:  # noqa: BLE001
        return str(label)


def _ratio(value: float) -> str:
    return f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def _interval(low: float, high: float) -> str:
    """'2.9 to 3.5'; two decimals when one decimal would hide that the interval excludes 1 (1.03 -> '1.0')."""
    text = f"{_ratio(low)} to {_ratio(high)}"
    if "1.0 " in text + " " and (low > 1 or high < 1):
        text = f"{low:.2f} to {high:.2f}"
    return text


PEOPLE: dict[str, str] = {
    "Asian": "Asian people",
    "Black": "Black people",
    "White": "White people",
    "Mixed": "people of Mixed ethnicity",
    "Other": "people from other ethnic groups",
    "All ethnic minority groups": "people from ethnic minority groups (all groups other than White)",
}
"""How a broad group is named in a sentence (Race Disparity Unit style)."""


def _people(group: str) -> str:
    return PEOPLE.get(group, f"people in the {group} group")


def _significant(row, alpha: float) -> bool:
    value, low, high, p = row["value"], row["ci_low"], row["ci_high"], row["p_value"]
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (value, low, high)):
        return False
    excludes_one = low > 1 or high < 1
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return excludes_one
    return bool(p < alpha and excludes_one)


def _trend_factor(values: tuple[float, float, float], scale: str) -> tuple[float, float, float]:
    if scale == "ratio":
        return values
    if scale == "log":
        return tuple(math.exp(v) for v in values)  # type: ignore[return-value]
    raise ValueError(f"trend_scale {scale!r}; expected 'ratio' or 'log'")


def _classify_trend(ratio: float, trend, alpha: float, scale: str) -> tuple[str, tuple[float, ...]]:
    if trend is None:
        return "no trend data", (math.nan,) * 4
    factor, low, high = _trend_factor(
        (float(trend["value"]), float(trend["ci_low"]), float(trend["ci_high"])), scale
    )
    p = float(trend["p_value"])
    numbers = (factor, low, high, p)
    if any(math.isnan(v) for v in numbers):
        return "no trend data", numbers
    significant = p < alpha and (high < 1 or low > 1)
    if not significant:
        return "no significant change", numbers
    towards_one = (high < 1) if ratio > 1 else (low > 1)
    return ("narrowing" if towards_one else "widening"), numbers


def accountability_questions(
    disparities: pd.DataFrame,
    trends: pd.DataFrame | None = None,
    *,
    alpha: float = 0.05,
    trend_scale: str = "ratio",
) -> pd.DataFrame:
    """The disparities to raise with the Chief Constable: significant and not narrowing.

    Returns
    -------
    DataFrame with :data:`OUTPUT_COLUMNS`, one row per disparity to raise (largest ratio first within an
    area): the figure, the trend and its classification (``trend``), the framework criteria it evidences,
    an ``evidence`` sentence, the ``question`` for the Chief Constable and the ``rule`` applied.
    """
    _require(disparities, DISPARITY_COLUMNS, "disparity")
    if trends is not None:
        _require(trends, TREND_COLUMNS, "trend")
    known = set(measure_ids())
    frame = disparities[disparities["group"] != disparities["reference_group"]].copy()
    frame = frame[frame["reference_group"].astype(str) != ""]
    if frame.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    frame["_end"] = frame["period"].map(_period_end)
    latest = frame.sort_values("_end").groupby(["area_code", "measure", "group"], sort=False).tail(1)
    trend_index = {}
    if trends is not None:
        for _, t in trends.iterrows():
            measure = TREND_OF.get(t["measure"], t["measure"])
            trend_index[(t["area_code"], measure, t["group"])] = t
    rows = []
    rule = (
        f"significant: p < {alpha:g} and 95% CI excludes 1; not narrowing: no significant change towards 1 "
        "per year (includes widening and no trend data)"
    )
    for _, d in latest.iterrows():
        if not _significant(d, alpha):
            continue
        ratio = float(d["value"])
        trend_status, (tv, tl, th, tp) = _classify_trend(
            ratio, trend_index.get((d["area_code"], d["measure"], d["group"])), alpha, trend_scale
        )
        if trend_status == "narrowing":
            continue
        measure = d["measure"]
        title = get_measure(measure).title if measure in known else str(measure)
        activity = ACTIVITY.get(measure, f"on the measure '{title}'")
        subject = SUBJECT.get(measure, title[0].lower() + title[1:])
        name = _area_name(d["area_code"])
        when = _display_period(d["period"])
        group, ref = d["group"], d["reference_group"]
        evidence = (
            f"In {when} {_people(group)} were {_ratio(ratio)} times (95% CI "
            f"{_interval(d['ci_low'], d['ci_high'])}) as likely as {_people(ref)} {activity} in {name}."
        )
        if trend_status == "no trend data":
            evidence += " There are not enough years of data to tell whether the disparity is narrowing."
        else:
            change = (tv - 1) * 100
            evidence += (
                f" The disparity is {'widening' if trend_status == 'widening' else 'not narrowing'}: "
                f"it changes by {change:+.0f}% a year (95% CI {(tl - 1) * 100:+.0f}% to "
                f"{(th - 1) * 100:+.0f}%)."
            )
        direction = "higher" if ratio > 1 else "lower"
        question = (
            f"What is the force doing to understand and reduce the disparity in {subject} between "
            f"{_people(group)} and {_people(ref)} in {name}, where {_people(group)} were {_ratio(ratio)} "
            f"times as likely {activity} in {when}, and what will show the PCC that the {direction} rate "
            f"for {_people(group)} is moving towards parity?"
        )
        criteria = criteria_for_measure(measure) if measure in known else ()
        rows.append(
            {
                "area_code": d["area_code"],
                "area_name": name,
                "period": d["period"],
                "measure": measure,
                "group": group,
                "reference_group": ref,
                "value": ratio,
                "ci_low": float(d["ci_low"]),
                "ci_high": float(d["ci_high"]),
                "p_value": float(d["p_value"]),
                "trend": trend_status,
                "trend_value": tv,
                "trend_ci_low": tl,
                "trend_ci_high": th,
                "trend_p_value": tp,
                "criteria": "; ".join(criteria),
                "evidence": evidence,
                "question": question,
                "rule": rule,
            }
        )
    out = pd.DataFrame(rows, columns=OUTPUT_COLUMNS)
    if out.empty:
        return out
    # distance from parity on the log scale; a ratio of 0 (no events in the group) is furthest of all
    out["_dist"] = out["value"].map(lambda v: abs(math.log(v)) if v > 0 else math.inf)
    return (
        out.sort_values(["area_code", "_dist"], ascending=[True, False])
        .drop(columns="_dist")
        .reset_index(drop=True)
    )


def questions(figures: pd.DataFrame, *, area_name: str | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """:func:`accountability_questions` from one frame of the metrics' figures (e.g. all of an area's tables).

    Rows whose ``measure`` ends in ``_disparity`` are the disparities; rows whose measure ends in ``_trend``
    (``stop_search_trend``, the factor per year from :func:`eqlib.metrics.trend.disparity_trend`) are the
    trends. ``area_name`` (a name, code or slug) keeps one area's rows. The frame needs the columns of
    :data:`DISPARITY_COLUMNS`; a frame of bare values (no intervals or p-values) is a :class:`DataError`,
    since significance cannot be judged without them.
    """
    _require(figures, DISPARITY_COLUMNS, "figures")
    frame = figures
    if area_name is not None:
        frame = frame[frame["area_code"] == areas.resolve(area_name).code]
    measure = frame["measure"].astype(str)
    disparities = frame[measure.str.endswith("_disparity")]
    trends = frame[measure.str.endswith("_trend") | measure.isin(list(TREND_OF))]
    return accountability_questions(disparities, trends if not trends.empty else None, alpha=alpha)
