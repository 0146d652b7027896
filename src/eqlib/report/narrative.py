"""Plain-English sentences for figures, in the style of the Race Disparity Unit and GSS guidance.

Rules
-----
- Rounding (GSS "Rounding" guidance; half away from zero, not to even):
  ratios to 1 decimal place ("3.2 times"); percentages to whole numbers ("12%"; "less than 1%" for
  a share above 0 that rounds to 0); rates per 1,000 to 1 decimal place, as the Ethnicity facts and
  figures tables give them ("24.5 per 1,000"), and to whole numbers from 100 (City of London, where
  a decimal adds nothing) -- the rounded rates are for reading only: ratios are always computed from
  unrounded rates (EFF 2019/20: 54.1 and 6.1 per 1,000 give 8.9, not 8.8 or 9.0);
  counts with thousands separators ("1,234").
- Wording (RDU style guide, "Writing about ethnicity"): "disparity", never "discrimination"; "X times
  as likely as"; a ratio below 1 is said the other way round with 1/ratio ("White people were 1.4
  times as likely as Asian people ...") rather than "times less likely"; group names "Black people",
  "people from Mixed ethnic groups", "people from all ethnic minority groups combined".
- Each sentence gives the 95% confidence interval and ends with the figure's caveats
  (:mod:`eqlib.metrics.caveats`), and with "N% of records did not record ethnicity" when the
  not-stated share is known.
- A suppressed or missing figure gets a sentence saying so and why; never a number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from eqlib.metrics import caveats as cv

_GROUP_NOUN = {
    "Asian": "Asian people",
    "Black": "Black people",
    "Mixed": "people from Mixed ethnic groups",
    "White": "White people",
    "Other": "people from Other ethnic groups",
    "All ethnic minority groups": "people from all ethnic minority groups combined",
    "Not stated": "people whose ethnicity was not stated",
    "All": "people",
}

#: what happens to people, by measure prefix
_ACTIVITY = (
    ("stop_search", "to be stopped and searched", "stop and searches", "searches"),
    ("arrest", "to be arrested", "arrests", "arrests"),
    ("use_of_force", "to have force used on them", "use of force incidents", "incidents"),
    ("rri_prosecution_conviction", "to be convicted when prosecuted", "convictions", "prosecutions"),
    ("rri_stop_arrest", "to be arrested", "arrests", "records"),
    ("custody", "to be detained in custody", "custody detentions", "detentions"),
)

#: measure -> (what is counted, what happened)
_SHARE_PHRASE = {
    "stop_search_arrest_rate": ("searches", "led to arrest"),
    "stop_search_no_further_action": ("searches", "led to no further action"),
    "stop_search_outcome_linked": ("searches", "had an outcome linked to the object of the search"),
    "stop_search_s60_share": ("searches", "were under section 60 (no suspicion required)"),
    "stop_search_ethnicity_agreement": (
        "searches",
        "recorded an officer-defined ethnicity different from the person's own",
    ),
    "stop_search_not_stated_share": ("searches", "did not record ethnicity"),
    "conviction_ratio": ("prosecutions", "led to conviction"),
}
_SINGULAR = {
    "searches": "search",
    "arrests": "arrest",
    "incidents": "incident",
    "records": "record",
    "prosecutions": "prosecution",
    "detentions": "detention",
}


def round_half_up(value: float, places: int = 0) -> Decimal:
    """Round half away from zero (GSS practice), returning a Decimal (so 2.25 -> 2.3, not 2.2)."""
    quantum = Decimal(1).scaleb(-places)
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)


def format_ratio(value: float) -> str:
    """A ratio to 1 decimal place: 8.86 -> '8.9'."""
    return f"{round_half_up(value, 1):,.1f}"


def format_rate(value: float) -> str:
    """A rate per 1,000: 1 decimal place below 100, whole numbers from 100 ('6.1', '54.1', '1,234')."""
    if abs(value) >= 99.95:
        return f"{round_half_up(value, 0):,.0f}"
    return f"{round_half_up(value, 1):,.1f}"


def format_percent(value: float) -> str:
    """A percentage (0-100) as a whole number: 12.4 -> '12%'; 0.3 -> 'less than 1%'."""
    if 0 < value < 0.5:
        return "less than 1%"
    if 99.5 <= value < 100:
        return "more than 99%"
    return f"{round_half_up(value, 0):,.0f}%"


def format_count(value: float) -> str:
    """A count with thousands separators: 96905 -> '96,905'."""
    return f"{round_half_up(value, 0):,.0f}"


def place(area_name: str) -> str:
    """How an area is named after "in": 'South Wales', 'the Metropolitan Police area', 'England and Wales'."""
    if area_name.endswith(" Police") and area_name != "British Transport Police":
        return f"the {area_name} area"
    return area_name


def group_noun(group: str) -> str:
    return _GROUP_NOUN.get(group, f"people in the {group} group")


def _activity(measure: str) -> tuple[str, str, str]:
    for prefix, verb, plural, unit in _ACTIVITY:
        if measure.startswith(prefix):
            return verb, plural, unit
    return "to be counted", "events", "records"


def _period_text(period: str) -> str:
    from eqlib.periods import parse

    if " to " in period:
        first, last = period.split(" to ", 1)
        return f"From {_period_text(first)[3:]} to {_period_text(last)[3:]}"
    try:
        parsed = parse(period)
        if parsed.kind == "as_at":
            return f"At {parsed.start.day} {parsed.start.strftime('%B %Y')}"
        return f"In {parsed.display}"
    except Exception:  # noqa: BLE001 - not a reporting period label
        pass
    try:
        day = pd.Timestamp(period)
        return f"At {day.day} {day.strftime('%B %Y')}"  # a snapshot (workforce "as at 31 March")
    except (ValueError, TypeError):
        return f"In {period}"


def _value(row: Mapping, key: str) -> float:
    value = row.get(key)
    return (
        float(value)
        if value is not None and not (isinstance(value, float) and math.isnan(value))
        else math.nan
    )


def caveat_sentences(
    codes: Iterable[str], *, not_stated_share: float | None = None, measure: str = ""
) -> list[str]:
    """The caveat sentences for a figure, with the not-stated share in words when it is known."""
    _, _, unit = _activity(measure)
    out = []
    codes = list(codes)
    if not_stated_share is not None and not math.isnan(not_stated_share):
        share = format_percent(not_stated_share)
        out.append(f"{share[0].upper()}{share[1:]} of {unit} did not record ethnicity.")
    for code in codes:
        if code == "not_stated_high" and out and not_stated_share is not None:
            continue
        out.append(cv.text(code))
    return out


def sentence(
    row: Mapping | pd.Series, *, not_stated_share: float | None = None, with_caveats: bool = True
) -> str:
    """The sentence for one figure row (:data:`eqlib.metrics.FIGURE_COLUMNS`).

    Examples
    --------
    >>> row = dict(area_name="South Wales", period="2021-22", measure="stop_search_disparity",
    ...            group="Black", reference_group="White", value=3.21, ci_low=2.94, ci_high=3.52,
    ...            symbol="", caveats=())
    >>> sentence(row, not_stated_share=12.3)
    'In 2021/22 Black people were 3.2 times (95% CI 2.9 to 3.5) as likely as White people to be stopped and searched in South Wales. 12% of searches did not record ethnicity.'
    """
    row = dict(row)
    measure = str(row.get("measure", ""))
    group = str(row.get("group", ""))
    reference = str(row.get("reference_group", "") or "")
    area = place(str(row.get("area_name", "") or row.get("area_code", "")))
    when = _period_text(str(row.get("period", "")))
    verb, plural, unit = _activity(measure)
    symbol = str(row.get("symbol", "") or "")
    codes = tuple(row.get("caveats", ()) or ())
    value, low, high = _value(row, "value"), _value(row, "ci_low"), _value(row, "ci_high")

    if math.isnan(value):
        reasons = [cv.text(c) for c in codes if c in cv.REASONS]
        why = " ".join(reasons) if reasons else "It is not available."
        text = f"{when} the figure for {group_noun(group)} in {area} is not shown ({symbol or '[x]'}). {why}"
        return text

    ci = "(95% CI {lo} to {hi})" if not (math.isnan(low) or math.isnan(high)) else ""
    if measure.endswith("_not_stated_bounds"):
        text = (
            f"{when}, if every {_SINGULAR.get(unit, unit)} without a recorded ethnicity in "
            f"{area} had been of {group_noun(reference)}, the ratio for {group_noun(group)} would be "
            f"{format_ratio(low)}; if every one had been of {group_noun(group)}, {format_ratio(high)} "
            f"(published: {format_ratio(value)})."
        )
    elif measure.endswith("_trend"):
        if not (math.isnan(low) or math.isnan(high)) and low <= 1 <= high:
            pct = lambda v: f"{round_half_up((v - 1) * 100, 1):+.1f}%"  # noqa: E731
            text = (
                f"{when} the disparity between {group_noun(group)} and {group_noun(reference)} in {area} "
                f"changed by {pct(value)} a year (95% CI {pct(low)} to {pct(high)}): no clear change "
                f"(the interval includes no change)."
            )
        elif value > 1:
            text = (
                f"{when} the disparity between {group_noun(group)} and {group_noun(reference)} in {area} "
                f"grew by {format_percent((value - 1) * 100)} a year (95% CI {format_percent((low - 1) * 100)} "
                f"to {format_percent((high - 1) * 100)})."
            )
        else:
            text = (
                f"{when} the disparity between {group_noun(group)} and {group_noun(reference)} in {area} "
                f"narrowed by {format_percent((1 - value) * 100)} a year (95% CI "
                f"{format_percent((1 - high) * 100)} to {format_percent((1 - low) * 100)})."
            )
    elif reference and measure.startswith("rri") and row.get("stage"):
        stage = str(row["stage"])
        index = format_ratio(value)
        interval = ci.format(lo=format_ratio(low), hi=format_ratio(high))
        if value == 0:
            reading = (
                f"no {group_noun(group)} reached this stage from the one before, so the index is 0 "
                f"and its inverse cannot be given"
            )
        elif value >= 1 or index == "1.0":
            reading = (
                f"{group_noun(group)} were {index} times as likely as {group_noun(reference)} to reach this "
                f"stage from the one before"
            )
        else:
            reading = (
                f"{group_noun(reference)} were {format_ratio(1 / value)} times as likely as "
                f"{group_noun(group)} to reach this stage from the one before"
            )
        text = (
            f"{when} the relative rate index at the {stage} stage for {group_noun(group)} in {area} was "
            f"{index} {interval}: {reading}."
        ).replace("  ", " ")
        if not (math.isnan(low) or math.isnan(high)) and low <= 1 <= high:
            text += " The interval includes 1, so the data are consistent with no difference."
    elif reference and (
        measure.endswith("disparity") or measure.startswith("rri") or measure.endswith("_ratio")
    ):
        phrase = _ratio_phrase(measure, verb)
        if format_ratio(value) == "1.0":
            text = (
                f"{when} {group_noun(group)} were about as likely as {group_noun(reference)} {phrase} in "
                f"{area} (ratio {format_ratio(value)}, "
                f"{ci.format(lo=format_ratio(low), hi=format_ratio(high))[1:-1]})."
            )
        elif value == 0:
            # no events in the group: a ratio of 0 has no "times as likely" reading
            text = (
                f"{when} no {group_noun(group)} were recorded {phrase} in {area}, so the ratio to "
                f"{group_noun(reference)} is 0 "
                f"{ci.format(lo=format_ratio(low), hi=format_ratio(high))}."
            )
        elif value >= 1:
            text = (
                f"{when} {group_noun(group)} were {format_ratio(value)} times "
                f"{ci.format(lo=format_ratio(low), hi=format_ratio(high))} as likely as "
                f"{group_noun(reference)} {phrase} in {area}."
            )
        else:
            inv_low = 1 / high if high > 0 else math.nan
            inv_high = 1 / low if low > 0 else math.inf
            hi_text = format_ratio(inv_high) if math.isfinite(inv_high) else "more"
            text = (
                f"{when} {group_noun(group)} were less likely than {group_noun(reference)} {phrase} in "
                f"{area}: {group_noun(reference)} were {format_ratio(1 / value)} times "
                f"{ci.format(lo=format_ratio(inv_low), hi=hi_text)} as likely."
            )
        if not (math.isnan(low) or math.isnan(high)) and low <= 1 <= high:
            text += " The interval includes 1, so the data are consistent with no difference."
        text = text.replace("  ", " ")
    elif measure.endswith("_rate") and measure not in _SHARE_PHRASE or measure.endswith("rate_per_1000"):
        text = (
            f"{when} there were {format_rate(value)} {plural} per 1,000 {group_noun(group)} "
            f"{ci.format(lo=format_rate(low), hi=format_rate(high))} in {area}."
        ).replace("  ", " ")
    elif measure.endswith("_workforce_share"):
        text = (
            f"{when} {group_noun(group)} made up {format_percent(value)} of the staff of {area} who stated "
            f"their ethnicity {ci.format(lo=format_percent(low), hi=format_percent(high))}."
        ).replace("  ", " ")
    elif measure.endswith("_population_share"):
        text = f"{when} {group_noun(group)} made up {format_percent(value)} of the population of {area}."
    elif measure.endswith("_headcount_gap"):
        people = format_count(abs(value))
        if round(value) > 0:
            text = (
                f"{when} the workforce of {area} would need {people} more staff from the "
                f"{group} group to match the group's share of the population."
            )
        elif round(value) < 0:
            text = (
                f"{when} the workforce of {area} had {people} more staff from the {group} group than "
                f"the group's share of the population would give."
            )
        else:
            text = f"{when} the workforce of {area} matched the {group} group's share of the population."
    elif measure.startswith(("workforce", "opcc_workforce", "chief_officer")) and measure.endswith(
        "_not_stated_share"
    ):
        text = (
            f"{when} {format_percent(value)} of the staff of {area} did not state their ethnicity "
            f"{ci.format(lo=format_percent(low), hi=format_percent(high))}."
        ).replace("  ", " ")
    elif measure in _SHARE_PHRASE or measure.endswith("_share"):
        counted, happened = _SHARE_PHRASE.get(measure, (unit, f"were in this category ({measure})"))
        who = (
            "" if measure == "stop_search_not_stated_share" or group == "All" else f" of {group_noun(group)}"
        )
        text = (
            f"{when} {format_percent(value)} of {counted}{who} in {area} {happened} "
            f"{ci.format(lo=format_percent(low), hi=format_percent(high))}."
        )
        text = text.replace(" .", ".").replace("  ", " ")
    elif measure.endswith("representation"):
        text = (
            f"{when} {group_noun(group)} were represented in the workforce of {area} at "
            f"{format_ratio(value)} times their share of the population "
            f"{ci.format(lo=format_ratio(low), hi=format_ratio(high))} (1 would be proportional)."
        )
        text = text.replace("  ", " ")
    else:
        text = f"{when} the value for {group_noun(group)} in {area} was {value:,.1f} {ci.format(lo=f'{low:,.1f}', hi=f'{high:,.1f}')}."
        text = text.replace(" .", ".").replace("  ", " ")
    if with_caveats:
        shown = [
            c
            for c in codes
            if c not in cv.REASONS and not (c == "not_stated_high" and measure.endswith("not_stated_share"))
        ]
        extra = caveat_sentences(shown, not_stated_share=not_stated_share, measure=measure)
        if extra:
            text += " " + " ".join(extra)
    return text


def _ratio_phrase(measure: str, verb: str) -> str:
    if measure.endswith("_ratio"):
        if measure[: -len("_ratio")] in _SHARE_PHRASE:
            return "to have a search that " + {
                "stop_search_arrest_rate": "led to arrest",
                "stop_search_no_further_action": "led to no further action",
                "stop_search_outcome_linked": "had an outcome linked to its object",
                "stop_search_s60_share": "was under section 60",
            }.get(measure[: -len("_ratio")], _SHARE_PHRASE[measure[: -len("_ratio")]][1])
    return verb


def _significance(row: Mapping) -> str:
    p = _value(row, "p_value")
    if math.isnan(p):
        return ""
    return (
        "; this change is statistically significant"
        if p < 0.05
        else "; this change is not statistically significant"
    )


def figure_sentences(
    figure: pd.DataFrame, *, not_stated_measure: str = "stop_search_not_stated_share"
) -> list[str]:
    """A sentence for every row of a figure frame, adding each area-period's not-stated share (from the
    rows of ``not_stated_measure`` in the same frame, if any) to the other rows' caveats."""
    shares = {}
    if "measure" in figure.columns:
        ns = figure.loc[figure["measure"] == not_stated_measure]
        shares = {(r.area_code, r.period): r.value for r in ns.itertuples()}
    out = []
    for row in figure.to_dict("records"):
        share = (
            None
            if row.get("measure") == not_stated_measure
            else shares.get((row["area_code"], row["period"]))
        )
        out.append(sentence(row, not_stated_share=share))
    return out
