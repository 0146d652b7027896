"""Measures from an analyst's local files: workforce, complaints, victims' services, satisfaction,
hate crime, custody, independent custody visits and local use-of-force returns.

The files are read by :mod:`eqlib.sources.local` (templates in ``data/templates/``) into tidy count
frames; this module turns them into figure frames (:data:`eqlib.metrics.FIGURE_COLUMNS`) with the
metrics of :mod:`eqlib.metrics`, selects the report year and suppresses small numbers.

Public API
----------
- :func:`local_figures` ``(frames, *, area_code, period, root=None) -> {measure_id: figure frame}``
  (every period in the files; pure apart from reading Census populations);
- :func:`compute_local` ``(area, year, local_dir, *, threshold=5, root=None, allow_examples=False)
  -> {measure_id: analysis.Selection}`` (read, compute, select the year, suppress);
- :func:`suppress_local` ``(frame, *, threshold=5) -> frame``: :func:`eqlib.analysis.suppress` plus
  the protections local tables need (see "Disclosure control" below).

Measure ids
-----------
Each template gives one measure of :mod:`eqlib.measures`; its frame holds sub-measures whose ids
start with the measure id. ``<c>`` is the characteristic, left out for ethnicity (so that the
ethnicity figures, the ones the Home Office and the APCC framework ask for, carry the shortest
id); ``<m>`` is the template's ``*_measure`` value or tactic; ``<b>`` is a slug of the service or
survey name, given only when the files hold more than one service (survey). Every frame also has
the columns ``characteristic``, ``breakdown`` (worker type and rank, service, survey or tactic, in
words), ``block`` (the sub-measure whose counts the row is computed from) and ``within`` (the
blocks whose counts this block's add up to, ``;``-separated: a rank's worker type, a worker type's
headline). The published tables keep only the figure columns, so the measure id alone names each
figure. :func:`compute_local` selects one period per measure (the report year, else the latest
earlier one): a sub-measure with figures only for an older period is not shown for that year.

===============================  =================================================================
template -> measure id           sub-measures (suffix: statistic)
===============================  =================================================================
workforce (force) ->             ``<s>``: representation ratio (workforce share of those who
``workforce_representation``     stated an ethnicity / population share), ``<s>_workforce_share``,
                                 ``<s>_population_share`` (Census named in ``method``),
                                 ``<s>_headcount_gap``, ``<s>_not_stated_share``; ``<s>_<c>_share``
                                 and ``<s>_<c>_not_stated_share`` for sex and other characteristics
                                 (share of those who stated, Wilson). Scopes ``<s>``: the measure id
                                 alone = officers, staff and PCSOs together (specials are volunteers
                                 and, as in the Home Office workforce statistics, not added in);
                                 ``_officer``, ``_staff``, ``_pcso``, ``_special``; ``_<type>_<rank>``
                                 for each rank or grade given; ``_officer_senior`` = Chief Inspector
                                 and above (the Home Office's "senior officers").
workforce (opcc) ->              the same for the OPCC's staff (scope: the id alone, or ``_<grade>``).
``opcc_workforce_representation``
complaints ->                    ``_<m>[_<c>]``: counts by group (with ``All``);
``complaints_by_characteristic`` ``_<m>[_<c>]_distribution``: share of those who stated (Wilson),
                                 ``_not_stated_share``; with denominators ``_share`` and
                                 ``_share_ratio`` (to the reference group); without, for ethnicity,
                                 ``_rate`` per 1,000 residents and ``_rate_ratio`` (to White).
victims_services ->              as complaints, ``[_<b>]_<m>[_<c>]``; a take-up row with no
``victims_services_by_           denominator takes the referrals of the same service, period and
characteristic``                 group as its denominator (take-up rate = take-up / referrals).
satisfaction ->                  ``[_<b>][_<c>]``: % satisfied (satisfied / respondents, Wilson) and
``satisfaction_by_               ``_ratio`` to the reference group.
characteristic``
custody -> ``custody_by_         ``_<m>[_<c>]`` counts, distribution; ``_rate``/``_rate_ratio`` per
ethnicity``                      1,000 residents for detentions and mental health (s136) detentions by
                                 ethnicity; ``_share``/``_share_ratio`` where there is a denominator
                                 (strip and intimate searches take the detentions of the same group
                                 when the denominator is blank).
custody_visits ->                as custody; ``detainees_seen`` and ``detainees_declined`` take
``independent_custody_visits``   ``detainees_in_custody`` of the same group as denominator when blank.
use_of_force -> ``use_of_force_  ``_<tactic>[_<c>]`` counts, distribution, and for ethnicity
local``                          ``_rate``/``_rate_ratio`` per 1,000 residents; caveats
                                 ``perceived_ethnicity`` and ``incident_not_person`` on every row.
hate_crime ->                    the measure id alone: recorded crimes by strand (as the national
``hate_crime_by_strand``         Metropolitan Police measure); ``_incidents``; ``_change`` and
                                 ``_incidents_change``: % change on the previous period (same
                                 kind: financial year, calendar year or month), with the score
                                 interval for the ratio of two Poisson counts. Strands overlap (a crime
                                 can carry several flags) and are never added together.
===============================  =================================================================

Reference groups: White for ethnicity (Home Office, GOV.UK Ethnicity facts and figures). For any
other characteristic, the stated group with the largest denominator (most respondents, referrals,
detentions) in that period, ties broken alphabetically; "Not stated" is never the reference.

Populations: :func:`eqlib.sources.population.population_for` (usual residents of all ages by broad
ethnic group and police force area; Census 2021 for periods from April 2021, Census 2011 before),
named in each figure's ``method``.

Disclosure control: :mod:`eqlib.measures.local_disclosure`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from eqlib import areas, metrics, periods
from eqlib.ethnicity import ETHNIC_MINORITY, POPULATION_GROUPS
from eqlib.measures.model import Measure
from eqlib.metrics import caveats as cv
from eqlib.metrics._frame import FIGURE_COLUMNS, finalise
from eqlib.metrics._stats import (
    proportion_ratio_pvalue,
    proportion_ratio_score_ci,
    rate_ratio_exact_ci,
    rate_ratio_pvalue,
    rate_ratio_score_ci,
)
from eqlib.metrics.rates import share_with_wilson
from eqlib.sources.local import TEMPLATES
from eqlib.sources.population import population_for

log = logging.getLogger(__name__)

NOT_STATED = "Not stated"
ALL = "All"
_STATED = "All who stated a group"  # the synthetic "stated total" cell of the disclosure lines
EXTRA: tuple[str, ...] = ("characteristic", "breakdown", "block", "within")
ALPHA = 0.05

#: template name -> measure id (eqlib.measures)
MEASURE_OF_TEMPLATE: dict[str, str] = {
    "complaints": "complaints_by_characteristic",
    "victims_services": "victims_services_by_characteristic",
    "satisfaction": "satisfaction_by_characteristic",
    "custody": "custody_by_ethnicity",
    "custody_visits": "independent_custody_visits",
    "use_of_force": "use_of_force_local",
    "hate_crime": "hate_crime_by_strand",
}
WORKFORCE = "workforce_representation"
OPCC_WORKFORCE = "opcc_workforce_representation"

#: officer ranks counted as senior (Home Office: "Chief Inspector and above")
SENIOR_RANKS: tuple[str, ...] = ("chief inspector", "superintendent", "chief superintendent", "chief officer")
#: worker types added up in the headline force workforce (specials are volunteers, not added in)
HEADLINE_WORKER_TYPES: tuple[str, ...] = ("officer", "staff", "pcso")
WORKER_TYPE_WORDS = {
    "officer": "police officers",
    "staff": "police staff",
    "pcso": "PCSOs",
    "special": "special constables",
}

#: template measures rated per 1,000 residents by ethnicity when they have no denominator
RATE_MEASURES: dict[str, tuple[str, ...]] = {
    "complaints": ("complaint_cases", "allegations", "complainants"),
    "victims_services": ("referrals", "take_up"),
    "custody": ("detentions", "mental_health_detentions"),
    "custody_visits": (),
    "use_of_force": None,  # type: ignore[dict-item]  # every tactic
}
#: blank denominators filled from another measure of the same template, period, breakdown and group
FILL_DENOMINATOR: dict[str, dict[str, str]] = {
    "victims_services": {"take_up": "referrals"},
    "custody": {"strip_searches": "detentions", "intimate_searches": "detentions"},
    "custody_visits": {
        "detainees_seen": "detainees_in_custody",
        "detainees_declined": "detainees_in_custody",
    },
}
#: measures published as counts only (no distribution or rate)
COUNT_ONLY: dict[str, tuple[str, ...]] = {
    "custody": ("children_detained_overnight",),
    "custody_visits": ("visits", "issues_raised"),
}

COUNT_METHOD = "count from the analyst's local file ({template} template)"
DISTRIBUTION_METHOD = (
    "share of those whose {characteristic} was stated; Wilson score (statsmodels proportion_confint wilson)"
)
NOT_STATED_METHOD = (
    "share of all records whose {characteristic} was not stated; Wilson score "
    "(statsmodels proportion_confint wilson)"
)
SHARE_METHOD = (
    "count / denominator; Wilson score (statsmodels proportion_confint wilson); p-value vs "
    "reference: test_proportions_2indep ratio score"
)
RATIO_METHOD = (
    "ratio of proportions, score interval (statsmodels confint_proportions_2indep ratio score); "
    "test_proportions_2indep ratio score"
)
CHANGE_METHOD = (
    "percentage change on the previous period, 100 x (count / previous count - 1); interval from "
    "the ratio of two Poisson counts ({kind}); test_poisson_2indep ({test})"
)


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).casefold()).strip("_")


def _join(*parts: str) -> str:
    return "_".join(p for p in parts if p)


def _char_part(characteristic: str) -> str:
    return "" if characteristic == "ethnicity" else characteristic


def _sum(frame: pd.DataFrame, keys: list[str], columns: Iterable[str] = ("count",)) -> pd.DataFrame:
    """Sum ``columns`` by ``keys``; a sum with any missing part is missing, keeping the part's symbol."""
    columns = [c for c in columns if c in frame.columns]
    grouped = frame.groupby(keys, sort=True, dropna=False)
    out = grouped[columns].sum(min_count=1)
    missing = frame[columns].isna().groupby([frame[k] for k in keys], sort=True, dropna=False).any()
    out = out.mask(missing.reindex(out.index).to_numpy())
    if "symbol" in frame.columns:
        sym = frame["symbol"].where(frame["count"].isna(), "").fillna("")
        out["symbol"] = (
            sym.groupby([frame[k] for k in keys], sort=True, dropna=False).max().reindex(out.index)
        )
    else:
        out["symbol"] = ""
    out["symbol"] = np.where(out["count"].isna(), out["symbol"].replace("", "[x]"), "")
    if "denominator" in columns:
        dsym = (
            frame["denominator_symbol"].fillna("")
            if "denominator_symbol" in frame.columns
            else pd.Series("", index=frame.index)
        ).where(frame["denominator"].isna(), "")
        dsym = dsym.groupby([frame[k] for k in keys], sort=True, dropna=False).max().reindex(out.index)
        out["denominator_symbol"] = np.where(out["denominator"].isna(), dsym.fillna(""), "")
    if "area_name" in frame.columns and "area_name" not in keys:
        out["area_name"] = grouped["area_name"].first()
    return out.reset_index()


def _frame(base: pd.DataFrame, **columns) -> pd.DataFrame:
    out = base[[c for c in ("area_code", "area_name", "period") if c in base.columns]].copy()
    for name, value in columns.items():
        out[name] = value
    return out


def _finish(
    frame: pd.DataFrame, *, characteristic: str, breakdown: str, block: str, within: Iterable[str] = ()
) -> pd.DataFrame:
    frame = frame.copy()
    frame["characteristic"] = characteristic
    frame["breakdown"] = breakdown
    frame["block"] = block
    frame["within"] = ";".join(within)
    return finalise(frame, extra=EXTRA)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in (*FIGURE_COLUMNS, *EXTRA)})


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return _empty()
    return pd.concat(frames, ignore_index=True)


def _population(period_label: str, root: Path | None) -> tuple[pd.DataFrame, int, str]:
    """Broad-group populations for a period: (frame with period, census year, base text)."""

    pop = population_for(periods.parse(period_label), root=root).copy()
    census_text = str(pop["census"].iloc[0]) if len(pop) else "Census"
    year = 2021 if "2021" in census_text else 2011
    pop = pop.loc[pop["group"].isin(POPULATION_GROUPS)].assign(period=period_label, census=year)
    return pop, year, f"{census_text} usual residents (all ages)"


def _reference(block: pd.DataFrame, characteristic: str, by: str) -> str:
    """White for ethnicity; else the stated group with the largest ``by`` (ties: alphabetical)."""
    if characteristic == "ethnicity":
        return "White"
    stated = block.loc[(block["group"] != NOT_STATED) & block[by].notna()]
    if stated.empty:
        return ""
    ordered = stated.sort_values([by, "group"], ascending=[False, True], kind="stable")
    return str(ordered["group"].iloc[0])


# --------------------------------------------------------------------------------------------
# figure builders (one block: one area, period, breakdown and characteristic)
# --------------------------------------------------------------------------------------------


def _counts(block: pd.DataFrame, measure: str, template: str, *, total: bool = True) -> pd.DataFrame:
    """value = the count; an ``All`` row (every group, including Not stated) when ``total``.

    A count is a recorded figure, not an estimate: ci_low and ci_high equal the value.
    """
    rows = block[["area_code", "area_name", "period", "group", "count", "symbol"]].copy()
    if total and len(rows) > 1:
        whole = _sum(rows.assign(group=ALL), ["area_code", "period", "group"])
        rows = pd.concat([rows, whole[rows.columns]], ignore_index=True)
    out = rows.assign(
        measure=measure,
        reference_group="",
        denominator=np.nan,
        value=rows["count"],
        ci_low=rows["count"],
        ci_high=rows["count"],
        p_value=np.nan,
        method=COUNT_METHOD.format(template=template),
    )
    out["caveats"] = [() for _ in range(len(out))]
    out = cv.add(out, out["count"].isna().to_numpy(), "missing_count")
    return cv.standard(out)


def _wilson_rows(base: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """value, ci_low, ci_high (per cent) for count/denominator rows, with symbols and reasons."""
    frame = base.copy()
    if "missing_reason" not in frame.columns:
        frame["missing_reason"] = np.where(frame["count"].isna(), "missing_count", "")
    frame, _ = share_with_wilson(frame, alpha=alpha)
    return frame


def _distribution(
    block: pd.DataFrame, measure: str, characteristic: str, *, alpha: float = ALPHA
) -> pd.DataFrame:
    """Share of those who stated a group (``<measure>_distribution``) and the not-stated share.

    share_g = 100 x count_g / sum of the stated groups' counts; not stated = 100 x NS / all records
    (only where the file has a Not stated row: an absent row is unknown, not zero). For ethnicity the "All ethnic minority groups" share (Asian, Black, Mixed, Other) is added.
    """
    rows = block[["area_code", "area_name", "period", "group", "count", "symbol"]].copy()
    stated = rows.loc[rows["group"] != NOT_STATED]
    if stated.empty:
        return _empty()
    stated_total = stated["count"].sum(min_count=1) if stated["count"].notna().all() else np.nan
    if characteristic == "ethnicity":
        minority = stated.loc[stated["group"].isin([g for g in POPULATION_GROUPS if g != "White"])]
        if len(minority):
            agg = _sum(minority.assign(group=ETHNIC_MINORITY), ["area_code", "period", "group"])
            stated = pd.concat([stated, agg[stated.columns]], ignore_index=True)
    shares = _wilson_rows(stated.assign(denominator=stated_total), alpha)
    shares = shares.assign(
        measure=f"{measure}_distribution",
        reference_group="",
        p_value=np.nan,
        method=DISTRIBUTION_METHOD.format(characteristic=characteristic.replace("_", " ")),
    )
    ns = rows.loc[rows["group"] == NOT_STATED]
    if ns.empty:  # the file gives no Not stated row: its share is unknown, not zero
        return cv.standard(shares)
    ns_count = float(ns["count"].sum(min_count=1)) if ns["count"].notna().all() else np.nan
    ns_symbol = str(ns["symbol"].max()) if np.isnan(ns_count) else ""
    all_total = stated_total + ns_count if np.isfinite(stated_total) else np.nan
    ns_row = rows.iloc[:1][["area_code", "area_name", "period"]].assign(
        group=NOT_STATED, count=ns_count, symbol=ns_symbol, denominator=all_total
    )
    ns_row = _wilson_rows(ns_row, alpha).assign(
        measure=f"{measure}_not_stated_share",
        reference_group="",
        p_value=np.nan,
        method=NOT_STATED_METHOD.format(characteristic=characteristic.replace("_", " ")),
    )
    out = pd.concat([shares, ns_row], ignore_index=True)
    return cv.standard(out)


def _shares(block: pd.DataFrame, measure: str, characteristic: str, *, alpha: float = ALPHA) -> pd.DataFrame:
    """count / denominator by group (``<measure>``) with Wilson intervals, and ``<measure>_ratio``.

    Ethnicity uses :func:`eqlib.metrics.proportions` (reference White, ethnic minority aggregate);
    other characteristics the same statistics with the largest stated group as reference.
    """
    events = block[["area_code", "area_name", "period", "group", "count", "denominator", "symbol"]].copy()
    den_symbol = block["denominator_symbol"] if "denominator_symbol" in block.columns else ""
    no_den = events["count"].notna() & events["denominator"].isna()
    # a missing denominator keeps its own symbol ([c] in the file), [x] if it has none
    events.loc[no_den, "symbol"] = pd.Series(den_symbol, index=events.index)[no_den].replace("", "[x]")
    if characteristic == "ethnicity":
        return metrics.proportions(events, measure=measure, reference="White", alpha=alpha)
    reference = _reference(events, characteristic, "denominator")
    frame = _wilson_rows(events, alpha)
    count = frame["count"].to_numpy(dtype=float)
    den = frame["denominator"].to_numpy(dtype=float)
    ok = np.isfinite(frame["value"].to_numpy(dtype=float))
    ref = frame.loc[frame["group"] == reference]
    rc = float(ref["count"].iloc[0]) if len(ref) else np.nan
    rn = float(ref["denominator"].iloc[0]) if len(ref) else np.nan
    is_ref = (frame["group"] == reference).to_numpy()
    testable = ok & ~is_ref & np.isfinite(rc) & np.isfinite(rn) & (rn > 0)
    p = np.full(len(frame), np.nan)
    if testable.any():
        p[testable] = proportion_ratio_pvalue(
            count[testable], den[testable], np.full(testable.sum(), rc), np.full(testable.sum(), rn)
        )
    shares = frame.assign(
        measure=measure, p_value=p, reference_group=np.where(is_ref, "", reference), method=SHARE_METHOD
    )
    parts = [cv.standard(shares)]
    others = frame.loc[~is_ref].copy()
    if len(others) and reference:
        oc = others["count"].to_numpy(dtype=float)
        on = others["denominator"].to_numpy(dtype=float)
        okr = np.isfinite(others["value"].to_numpy(dtype=float))
        bad_ref = okr & ~(np.isfinite(rc) & np.isfinite(rn) & (rn > 0))
        zero_ref = okr & ~bad_ref & (rc == 0)
        others = cv.add(others, bad_ref, "missing_count")
        others = cv.add(others, zero_ref, "zero_reference")
        others.loc[bad_ref | zero_ref, "symbol"] = "[x]"
        okr &= ~bad_ref & ~zero_ref
        value = np.full(len(others), np.nan)
        low = np.full(len(others), np.nan)
        high = np.full(len(others), np.nan)
        if okr.any():
            value[okr] = (oc[okr] / on[okr]) / (rc / rn)
            low[okr], high[okr] = proportion_ratio_score_ci(
                oc[okr], on[okr], np.full(okr.sum(), rc), np.full(okr.sum(), rn), alpha
            )
        undefined = okr & ~(np.isfinite(low) & np.isfinite(high))
        others = cv.add(others, undefined, "interval_undefined")
        others.loc[undefined, "symbol"] = "[x]"
        value[undefined] = low[undefined] = high[undefined] = np.nan
        others = others.assign(
            measure=f"{measure}_ratio",
            value=value,
            ci_low=low,
            ci_high=high,
            reference_group=reference,
            p_value=p[~is_ref],
            method=RATIO_METHOD,
        )
        small = np.fmin(oc, rc) if np.isfinite(rc) else oc
        parts.append(cv.standard(others.assign(count=small)).assign(count=oc))
    return pd.concat(parts, ignore_index=True)


def _rates(block: pd.DataFrame, measure: str, root: Path | None) -> pd.DataFrame:
    """Rate per 1,000 residents (``<measure>_rate``) and ratio to White (``<measure>_rate_ratio``)."""
    counts = block[["area_code", "area_name", "period", "group", "count", "symbol"]]
    if not counts["group"].eq("White").any():
        log.info("%s: no White row, so no rate ratio", measure)
    label = str(counts["period"].iloc[0])
    pop, census, base = _population(label, root)
    rate = metrics.rates(counts, pop, measure=f"{measure}_rate", census_year=census)
    parts = [rate]
    if counts["group"].eq("White").any():
        parts.append(metrics.disparity(counts, pop, measure=f"{measure}_rate_ratio", census_year=census))
    out = pd.concat(parts, ignore_index=True)
    out["method"] = out["method"] + f"; population base: {base}"
    return out


# --------------------------------------------------------------------------------------------
# templates
# --------------------------------------------------------------------------------------------


def _blocks(frame: pd.DataFrame, by: list[str]):
    """(key dict, block) for each combination of ``by`` (sorted), each summed to one row per group."""
    for key, part in frame.groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        keys = ["area_code", "period", "group"]
        cols = ["count"] + (["denominator"] if "denominator" in part.columns else [])
        summed = _sum(part, keys, cols)
        named = dict(zip(by, key, strict=True))
        if named.get("characteristic") == "ethnicity":
            summed = _complete_ethnic_groups(summed, " / ".join(str(v) for v in key))
        yield named, summed


def _complete_ethnic_groups(summed: pd.DataFrame, what: str) -> pd.DataFrame:
    """Add each broad ethnic group a file leaves out as a missing count ([x]), never as zero.

    Shares of the stated total, the ethnic minority aggregate and the population base all need
    every group; a group left out makes them unknown (write 0 in the file if there were none).
    """
    present = set(summed["group"])
    absent = [g for g in POPULATION_GROUPS if g not in present]
    if not absent or summed.empty:
        return summed
    log.warning("%s: no row for %s; counted as not available ([x]), not zero", what, ", ".join(absent))
    first = summed.iloc[0]
    extra = pd.DataFrame(
        {
            "area_code": first["area_code"],
            "period": first["period"],
            "group": absent,
            "count": np.nan,
            "symbol": "[x]",
        }
    )
    for column in summed.columns:
        if column not in extra.columns:
            extra[column] = (
                first[column]
                if column == "area_name"
                else (np.nan if pd.api.types.is_float_dtype(summed[column]) else "")
            )
    return pd.concat([summed, extra[summed.columns]], ignore_index=True)


def _fill_denominators(frame: pd.DataFrame, template: str) -> pd.DataFrame:
    rules = FILL_DENOMINATOR.get(template, {})
    if not rules or "denominator" not in frame.columns:
        return frame
    frame = frame.copy()
    dims = [c for c in ("area_code", "period", "service", "characteristic", "group") if c in frame.columns]
    for target, source in rules.items():
        src = _sum(frame.loc[frame["measure"] == source], dims, ["count"]).rename(
            columns={"count": "_fill", "symbol": "_fill_symbol"}
        )
        if src.empty:
            continue
        merged = frame[dims].merge(src[[*dims, "_fill"]], on=dims, how="left")
        blank = (
            (frame["measure"] == target)
            & frame["denominator"].isna()
            & (frame.get("denominator_symbol", pd.Series("", index=frame.index)).fillna("") == "")
        )
        fill = blank & merged["_fill"].notna().to_numpy()
        if fill.any():
            log.info("%s: %d blank %s denominators taken from %s", template, int(fill.sum()), target, source)
            frame.loc[fill, "denominator"] = merged.loc[fill.to_numpy(), "_fill"].to_numpy()
    return frame


def _counts_template(
    frame: pd.DataFrame, template: str, root: Path | None, breakdown_column: str | None
) -> pd.DataFrame:
    """complaints, victims_services, custody, custody_visits and use_of_force."""
    base = MEASURE_OF_TEMPLATE[template]
    measure_col = "tactic" if template == "use_of_force" else "measure"
    frame = _fill_denominators(frame, template)
    several = breakdown_column is not None and frame[breakdown_column].nunique() > 1
    by = [c for c in (breakdown_column, measure_col, "characteristic", "period") if c]
    out: list[pd.DataFrame] = []
    for key, block in _blocks(frame, by):
        m, characteristic = key[measure_col], key["characteristic"]
        label = key.get(breakdown_column, "") if breakdown_column else ""
        block_id = _join(base, _slug(label) if several else "", m, _char_part(characteristic))
        breakdown = "; ".join(x for x in (label, m.replace("_", " ")) if x)
        parts = [_counts(block, block_id, template)]
        if m not in COUNT_ONLY.get(template, ()):
            parts.append(_distribution(block, block_id, characteristic))
            has_den = "denominator" in block.columns and block["denominator"].notna().any()
            rate_measures = RATE_MEASURES.get(template)
            if has_den:
                parts.append(_shares(block, f"{block_id}_share", characteristic))
            elif characteristic == "ethnicity" and (rate_measures is None or m in rate_measures):
                parts.append(_rates(block, block_id, root))
        out.append(
            _finish(_concat(parts), characteristic=characteristic, breakdown=breakdown, block=block_id)
        )
    return _concat(out)


def _satisfaction(frame: pd.DataFrame) -> pd.DataFrame:
    base = MEASURE_OF_TEMPLATE["satisfaction"]
    several = frame["survey"].nunique() > 1
    out = []
    for key, block in _blocks(frame, ["survey", "characteristic", "period"]):
        block_id = _join(base, _slug(key["survey"]) if several else "", _char_part(key["characteristic"]))
        shares = _shares(block, block_id, key["characteristic"])
        shares["method"] = "satisfied / respondents; " + shares["method"]
        out.append(
            _finish(shares, characteristic=key["characteristic"], breakdown=key["survey"], block=block_id)
        )
    return _concat(out)


def _previous(label: str) -> str | None:
    p = periods.parse(label)
    if p.kind == "financial_year":
        return periods.financial_year(p.start.year - 1).label
    if p.kind == "calendar_year":
        return periods.calendar_year(p.start.year - 1).label
    if p.kind == "month":
        year, month = (p.start.year, p.start.month - 1) if p.start.month > 1 else (p.start.year - 1, 12)
        return periods.month(year, month).label
    return None


def _hate_crime(frame: pd.DataFrame, *, alpha: float = ALPHA) -> pd.DataFrame:
    """Counts by strand and the change on the previous period (strands never added)."""
    base = MEASURE_OF_TEMPLATE["hate_crime"]
    out = []
    for key, block in _blocks(frame, ["measure", "period"]):
        m = key["measure"]
        block_id = base if m == "crimes" else _join(base, m)
        parts = [_counts(block, block_id, "hate_crime", total=False)]
        prev_label = _previous(key["period"])
        prev = frame.loc[(frame["measure"] == m) & (frame["period"] == prev_label)]
        if prev_label and len(prev):
            prev_counts = _sum(prev, ["area_code", "group"], ["count"]).rename(
                columns={"count": "previous", "symbol": "previous_symbol"}
            )
            change = block.merge(
                prev_counts[["area_code", "group", "previous", "previous_symbol"]],
                on=["area_code", "group"],
                how="left",
            )
            parts.append(_change(change, f"{block_id}_change", prev_label, alpha))
        out.append(
            _finish(_concat(parts), characteristic="hate_crime_strand", breakdown=f"hate {m}", block=block_id)
        )
    return _concat(out)


def _change(frame: pd.DataFrame, measure: str, prev_label: str, alpha: float) -> pd.DataFrame:
    """% change of a count on the previous period's: 100 x (n1 / n0 - 1).

    Interval: the ratio n1/n0 of two Poisson counts with equal exposure, score interval
    (``confint_poisson_2indep`` score, vectorised) or, where either count is below 10, the exact
    conditional interval; test of no change ``test_poisson_2indep`` (score / exact-cond).
    """
    frame = frame.copy()
    frame["denominator"] = frame["previous"]
    n1 = frame["count"].to_numpy(dtype=float)
    n0 = frame["denominator"].to_numpy(dtype=float)
    frame["caveats"] = [() for _ in range(len(frame))]
    no_now = np.isnan(n1)
    no_prev = ~no_now & np.isnan(n0)
    zero_prev = ~no_now & ~no_prev & (n0 == 0)
    frame = cv.add(frame, no_now, "missing_count")
    frame = cv.add(frame, no_prev, "missing_denominator")
    frame = cv.add(frame, zero_prev, "zero_reference")
    frame["symbol"] = np.where(
        no_now, frame["symbol"].replace("", "[x]"), np.where(no_prev | zero_prev, "[x]", "")
    )
    ok = ~no_now & ~no_prev & ~zero_prev
    exact = ok & (np.fmin(n1, n0) < 10)
    score = ok & ~exact
    low = np.full(len(frame), np.nan)
    high = np.full(len(frame), np.nan)
    ones = np.ones(len(frame))
    if score.any():
        low[score], high[score] = rate_ratio_score_ci(n1[score], ones[score], n0[score], ones[score], alpha)
    if exact.any():
        low[exact], high[exact] = rate_ratio_exact_ci(n1[exact], ones[exact], n0[exact], ones[exact], alpha)
    p = np.full(len(frame), np.nan)
    if ok.any():
        p[ok] = rate_ratio_pvalue(n1[ok], ones[ok], n0[ok], ones[ok], exact=exact[ok])
    ratio = np.where(ok, n1 / np.where(ok, n0, 1), np.nan)
    frame["value"] = 100 * (ratio - 1)
    frame["ci_low"] = 100 * (low - 1)
    frame["ci_high"] = 100 * (high - 1)
    frame["p_value"] = p
    frame["measure"] = measure
    frame["reference_group"] = ""
    frame["method"] = (
        np.where(
            exact,
            CHANGE_METHOD.format(kind="exact conditional, Clopper-Pearson", test="exact-cond"),
            CHANGE_METHOD.format(kind="score, statsmodels confint_poisson_2indep", test="score"),
        )
        + f"; previous period {prev_label}"
    )
    return cv.standard(frame.assign(count=np.fmin(n1, n0)), small_count=cv.SMALL_COUNT).assign(count=n1)


# ----------------------------------------------------------------------------------- workforce


def _workforce_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """One count per organisation, worker type, rank, date, characteristic and group.

    For each group, a row with ``sex`` all is used where one exists; otherwise its Female/Male
    (ethnicity by sex) rows are added up. Sex counts missing for a workforce are taken from that cross-tabulation.
    """
    frame = frame.copy()
    frame["sex"] = frame["sex"].fillna("all").replace("", "all")
    unit = ["area_code", "organisation", "worker_type", "rank", "period", "characteristic"]
    has_all = frame.groupby([*unit, "group"], dropna=False)["sex"].transform(lambda s: (s == "all").any())
    direct = frame.loc[(frame["sex"] == "all") | ~has_all]
    dropped = len(frame) - len(direct)
    if dropped:
        log.info("workforce: %d ethnicity-by-sex rows not added (a both-sexes row exists for them)", dropped)
    keys = [*unit, "group"]
    cells = _sum(direct, keys, ["count"])
    crossed = frame.loc[(frame["characteristic"] != "sex") & (frame["sex"] != "all")]
    if len(crossed):
        from_cross = _sum(crossed.assign(characteristic="sex", group=crossed["sex"]), keys, ["count"])
        have_sex = cells.loc[cells["characteristic"] == "sex", unit].drop_duplicates()
        merged = from_cross.merge(have_sex.assign(_have=True), on=unit, how="left")
        add = merged.loc[merged["_have"].isna()].drop(columns="_have")
        if len(add):
            log.info(
                "workforce: sex counts for %d workforce groups taken from the ethnicity-by-sex rows",
                len(add[unit].drop_duplicates()),
            )
            cells = pd.concat([cells, add], ignore_index=True)
    return cells


Scope = tuple[str, str, pd.DataFrame, tuple[str, ...]]


def _workforce_scopes(cells: pd.DataFrame, organisation: str) -> list[Scope]:
    """(scope suffix, words, rows, parent scopes) for each workforce the figures cover.

    A parent scope's counts are the sum of its children's (worker types add up to the headline,
    ranks to their worker type, senior ranks to the senior officers): the disclosure control
    uses these lines.
    """
    org = cells.loc[cells["organisation"] == organisation]
    scopes: list[Scope] = []
    if org.empty:
        return scopes
    if organisation == "opcc":
        scopes.append(("", "OPCC staff", org, ()))
        for rank, part in org.loc[org["rank"].str.casefold() != "all"].groupby("rank", sort=True):
            scopes.append((_slug(rank), f"OPCC staff, {rank}", part, ("",)))
        return scopes
    headline = org.loc[org["worker_type"].isin(HEADLINE_WORKER_TYPES)]
    if len(headline):
        scopes.append(("", "force workforce", headline, ()))
    for wt, part in org.groupby("worker_type", sort=True):
        scopes.append((wt, WORKER_TYPE_WORDS.get(wt, wt), part, ("",) if wt in HEADLINE_WORKER_TYPES else ()))
        ranked = part.loc[part["rank"].str.casefold() != "all"]
        senior = (
            ranked.loc[ranked["rank"].str.casefold().isin(SENIOR_RANKS)]
            if wt == "officer"
            else ranked.iloc[0:0]
        )
        for rank, rpart in ranked.groupby("rank", sort=True):
            parents = (wt, "officer_senior") if rank.casefold() in SENIOR_RANKS and wt == "officer" else (wt,)
            scopes.append(
                (_join(wt, _slug(rank)), f"{WORKER_TYPE_WORDS.get(wt, wt)}, {rank}", rpart, parents)
            )
        if len(senior):
            scopes.append(("officer_senior", "police officers, Chief Inspector and above", senior, ()))
    return scopes


def _workforce(frame: pd.DataFrame, organisation: str, root: Path | None) -> pd.DataFrame:
    base = WORKFORCE if organisation == "force" else OPCC_WORKFORCE
    cells = _workforce_cells(frame)
    out = []
    for scope, words, rows, parent_scopes in _workforce_scopes(cells, organisation):
        measure = _join(base, scope)
        for (characteristic, label), part in rows.groupby(["characteristic", "period"], sort=True):
            if organisation == "force" and not scope:  # say which worker types this figure adds up
                present = [w for w in HEADLINE_WORKER_TYPES if (part["worker_type"] == w).any()]
                words = "force workforce: " + ", ".join(WORKER_TYPE_WORDS[w] for w in present)
            summed = _sum(part, ["area_code", "period", "group"], ["count"])
            if characteristic == "ethnicity":
                summed = _complete_ethnic_groups(summed, f"{measure} {label}")
            summed["area_name"] = areas.get(str(summed["area_code"].iloc[0])).name
            if characteristic == "ethnicity":
                pop, census, pop_base = _population(str(label), root)
                fig = metrics.representation(summed, pop, measure=measure, population_base=pop_base)
                out.append(
                    _finish(
                        fig,
                        characteristic="ethnicity",
                        breakdown=words,
                        block=measure,
                        within=[_join(base, p) for p in parent_scopes],
                    )
                )
            else:
                sub = _join(measure, characteristic)
                dist = _distribution(summed, sub, characteristic)
                dist["measure"] = dist["measure"].str.replace(
                    f"{sub}_distribution", f"{sub}_share", regex=False
                )
                out.append(
                    _finish(
                        dist,
                        characteristic=characteristic,
                        breakdown=words,
                        block=sub,
                        within=[_join(base, p, characteristic) for p in parent_scopes],
                    )
                )
    return _concat(out)


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


def local_figures(
    frames: Mapping[str, pd.DataFrame],
    *,
    area_code: str,
    period: str | periods.Period | None = None,
    root: Path | None = None,
) -> dict[str, pd.DataFrame]:
    """Figure frames for every template present: ``{measure_id: frame}`` (see the module docstring).

    Parameters
    ----------
    frames
        ``{template: tidy frame}`` as :func:`eqlib.sources.local.load_local_dir` returns.
    area_code
        The area the figures are for; rows of other areas are set aside (logged).
    period
        The report period: rows for periods starting after it are set aside (logged); every
        earlier period is computed, so that the caller can show the latest available.
    root
        Project root for the Census populations.

    A template absent from ``frames`` (or with no row left) gives no measure. Pure apart from
    reading populations.
    """
    report = periods.parse(period) if isinstance(period, (str, int)) else period
    out: dict[str, pd.DataFrame] = {}
    for template, frame in frames.items():
        if template not in (*MEASURE_OF_TEMPLATE, "workforce"):
            raise KeyError(f"unknown local template {template!r}")
        keep = frame["area_code"] == area_code
        if report is not None:
            keep &= frame["period_start"] <= pd.Timestamp(report.end)
        if (~keep).any():
            log.info(
                "local:%s: %d rows for other areas or later periods set aside", template, int((~keep).sum())
            )
        frame = frame.loc[keep].reset_index(drop=True)
        if frame.empty:
            continue
        if template == "workforce":
            for organisation, measure in (("force", WORKFORCE), ("opcc", OPCC_WORKFORCE)):
                fig = _workforce(frame, organisation, root)
                if not fig.empty:
                    out[measure] = fig
            continue
        if template == "satisfaction":
            fig = _satisfaction(frame)
        elif template == "hate_crime":
            fig = _hate_crime(frame)
        else:
            breakdown = {"victims_services": "service"}.get(template)
            fig = _counts_template(frame, template, root, breakdown)
        if not fig.empty:
            out[MEASURE_OF_TEMPLATE[template]] = fig
    for measure, fig in out.items():
        log.info("%s: %d figures from local files", measure, len(fig))
    return out


def source_text(measure_id: str) -> str:
    """The source line of a local measure's table: the template and where such figures come from."""
    names = [t for t, m in MEASURE_OF_TEMPLATE.items() if m == measure_id]
    if measure_id in (WORKFORCE, OPCC_WORKFORCE):
        names = ["workforce"]
    if not names:
        raise KeyError(f"{measure_id!r} is not a local measure; local measures: {', '.join(LOCAL_MEASURES)}")
    template = TEMPLATES[names[0]]
    return f"Local data supplied by the OPCC ({template.title.lower()}): {template.source}"


#: every measure id this module computes
LOCAL_MEASURES: tuple[str, ...] = (WORKFORCE, OPCC_WORKFORCE, *MEASURE_OF_TEMPLATE.values())


def _local(measure_id: str, title: str, unit: str, template: str, section: str, cell: str) -> Measure:
    return Measure(
        measure_id,
        title,
        unit,
        (f"local:{template}",),
        section=section,
        cell=cell,
        local_template=template,
    )


#: the measures only an analyst's local files give (hate crime, also national for the Metropolitan Police, is
#: declared in eqlib.measures.contact): the workforce's, then the services'
WORKFORCE_MEASURES: tuple[Measure, ...] = (
    _local(
        WORKFORCE,
        "Force workforce by ethnicity against the local population",
        "ratio",
        "workforce",
        "04_workforce",
        "workforce_local",
    ),
    _local(
        OPCC_WORKFORCE,
        "OPCC staff by ethnicity against the local population",
        "ratio",
        "workforce",
        "04_workforce",
        "workforce_local",
    ),
)
SERVICE_MEASURES: tuple[Measure, ...] = (
    _local(
        "complaints_by_characteristic",
        "Complaints by protected characteristic",
        "count",
        "complaints",
        "03_services",
        "local_services",
    ),
    _local(
        "victims_services_by_characteristic",
        "Victims' services take-up by protected characteristic",
        "count",
        "victims_services",
        "03_services",
        "local_services",
    ),
    _local(
        "satisfaction_by_characteristic",
        "Service user satisfaction by protected characteristic",
        "%",
        "satisfaction",
        "03_services",
        "local_services",
    ),
    _local(
        "custody_by_ethnicity",
        "Custody detentions by ethnicity",
        "per 1,000",
        "custody",
        "03_services",
        "local_custody",
    ),
    _local(
        "independent_custody_visits",
        "Independent custody visitors' findings by ethnicity",
        "count",
        "custody_visits",
        "03_services",
        "local_custody",
    ),
    _local(
        "use_of_force_local",
        "Taser and other use of force from local returns",
        "count",
        "use_of_force",
        "03_services",
        "local_custody",
    ),
)


__all__ = [
    "LOCAL_MEASURES",
    "MEASURE_OF_TEMPLATE",
    "SERVICE_MEASURES",
    "WORKFORCE_MEASURES",
    "local_figures",
    "source_text",
]
