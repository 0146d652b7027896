"""Every figure eqlib computes, for all areas at once, and the selection for one area and year.

:func:`compute_measure` runs the metrics of :mod:`eqlib.metrics` over the cached datasets for every
force area and period at once (one call covers all 43 areas; the result is memoised per process),
and returns the figure frame (:data:`eqlib.metrics.FIGURE_COLUMNS`). :func:`select` picks one area's
rows for the report year, or the latest earlier period, labelled plainly ("latest available:
2019/20"). :func:`compute` does that for every measure, applies small-number suppression, and gives
the published tables (:mod:`eqlib.tables`).

Which data serve which measure:

=================================  ================================================================
measure                            source and method
=================================  ================================================================
stop_search_* (rates, ratios,      police.uk records (Dyfed-Powys, Gwent, North Wales, South Wales
outcomes, agreement, RRI, trend)   2019/20-2021/22; City of London 2018/19-2019/20; Metropolitan
                                   calendar year 2018), self-defined ethnicity, vehicle-only searches
                                   excluded; Census 2021 populations from April 2021, Census 2011
                                   before. Financial years with at least 11 of 12 months are used
                                   (flagged partial); a complete calendar year where no financial
                                   year is complete.
stop_search_rate, _disparity,      Home Office stop and search open data by force and self-defined
_trend, _benchmark (official)      ethnicity, 2020/21-2024/25, all 43 areas and England and Wales (sum);
                                   EFF 2022/23 published rates; EFF national 2006/07-2019/20. Trend:
                                   quasi-Poisson, Census 2021 for every year. Which source a report
                                   shows: :func:`select` (official first; police.uk only where the
                                   official tables lack the measure or the year).
stop_search_benchmark              also EFF 2022/23 published rates by force x Census 2021 populations
                                   (derived counts, flagged), funnel of the Black/White ratio.
arrest_*                           Home Office arrests by force and self-defined ethnicity
                                   (2017/18, 2018/19), Census 2011 populations; arrest_benchmark is
                                   the funnel of the Black/White ratio across forces.
use_of_force_*, taser              Home Office use of force Table 16 (2018/19, 2019/20), tactic uses
                                   by officer-perceived ethnicity, Census 2011 populations (tactic
                                   uses: not people or incidents); use_of_force_incidents: Table 12
                                   incidents by force 2017/18-2019/20 (no ethnicity).
chief_officer_representation       Home Office workforce open data: chief officers as at 31 March.
conviction_ratio, rri_prosecution  EFF (MoJ) prosecutions and convictions by force, 2009-2017.
workforce_totals, deaths, hate     Home Office workforce; IOPC; Metropolitan Police hate crime.
workforce_women_representation     Home Office workforce open data table (sex x rank), 31 March 2007-2023.
=================================  ================================================================
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from eqlib import areas, metrics, periods, store
from eqlib.metrics import caveats as cv
from eqlib.metrics._frame import FIGURE_COLUMNS

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 5
MIN_MONTHS_FOR_YEAR = 11


# --------------------------------------------------------------------------- helpers
def _load(dataset_id: str, root: Path | None) -> pd.DataFrame:
    return store.load(dataset_id, root=root)


def _census_year(label: str) -> int:
    return 2021 if "2021" in str(label) else 2011


def _population(period_labels: list[str], root: Path | None) -> pd.DataFrame:
    """Broad-group populations for each period label (Census 2021 from April 2021, else 2011)."""
    from eqlib.sources.population import population_for

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


# --------------------------------------------------------------------------- stop and search
@lru_cache(maxsize=4)
def _stop_search_counts(root_key: str, by: tuple[str, ...]) -> pd.DataFrame:
    """police.uk counts by area, reporting period and ``by``: complete-enough financial years, and a
    complete calendar year for an area with no usable financial year (the Metropolitan Police 2018)."""
    from eqlib.sources import policeuk

    root = Path(root_key) if root_key else None
    counts = _load("stop_search_policeuk", root)
    coverage = _load("stop_search_policeuk_coverage", root)
    fy = policeuk.aggregate(counts, by=list(by), period="financial_year", coverage=coverage)
    fy = fy.loc[fy["months_present"] >= MIN_MONTHS_FOR_YEAR]
    cy = policeuk.aggregate(counts, by=list(by), period="calendar_year", coverage=coverage)
    cy = cy.loc[(cy["months_present"] == cy["months_expected"]) & ~cy["area_code"].isin(set(fy["area_code"]))]
    out = pd.concat([fy, cy], ignore_index=True)
    return out.reset_index(drop=True)


def _ss(root: Path | None, *by: str) -> pd.DataFrame:
    return _stop_search_counts(str(root or ""), tuple(by))


def _policeuk_caveats(frame: pd.DataFrame) -> pd.DataFrame:
    return _tag(_with_caveat(frame, "police_uk_not_official"), POLICEUK_SOURCE, RANK_POLICEUK)


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


@lru_cache(maxsize=2)
def _eff_national(root_key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """England and Wales searches by broad group with their own published Census 2011 denominators
    (Ethnicity facts and figures, excluding Greater Manchester as published): (counts, population)."""
    root = Path(root_key) if root_key else None
    eff = _load("stop_search_eff_national", root)
    broad = eff.loc[eff["level"] == "broad"]
    counts = broad.loc[broad["count"].notna() | (broad["symbol"] != "")]
    counts = counts.loc[counts["period"].isin(counts.loc[counts["count"].notna(), "period"])]
    counts = counts.assign(area_name="England and Wales (excluding Greater Manchester)")
    pop = broad.loc[
        broad["denominator"].notna() & (broad["group"] != "Not stated"),
        ["area_code", "period", "group", "denominator"],
    ].rename(columns={"denominator": "population"})
    pop = pop.assign(census=2011)
    return counts[["area_code", "area_name", "period", "group", "count", "symbol"]].reset_index(
        drop=True
    ), pop


def _eff_national_figures(root: Path | None, func, measure: str) -> pd.DataFrame:
    counts, pop = _eff_national(str(root or ""))
    if counts.empty:
        return _empty()
    return func(counts, pop, measure=measure, census_year=2011)


@lru_cache(maxsize=2)
def _ho_counts(root_key: str) -> pd.DataFrame:
    """Home Office searches by force area, financial year and five broad groups (2020/21-2024/25), and
    England and Wales as the sum of the 43 force areas (British Transport Police and not stated excluded)."""
    root = Path(root_key) if root_key else None
    ho = _load("stop_search_ho_by_force", root)
    keep = ["area_code", "area_name", "period", "group", "count", "symbol"]
    forces = ho[keep]
    national = (
        forces.groupby(["period", "group"], as_index=False)["count"]
        .sum()
        .assign(area_code=areas.ENGLAND_AND_WALES_CODE, area_name="England and Wales", symbol="")
    )
    return pd.concat([forces, national[keep]], ignore_index=True)


def _ho(root: Path | None) -> pd.DataFrame:
    return _ho_counts(str(root or ""))


def _eff_published_rates(root: Path | None) -> pd.DataFrame:
    """The 2022/23 Ethnicity facts and figures rates as published (value = the published rate, rounded as
    published): by force area (interval from the count derived from the rate and Census 2021, flagged),
    and England and Wales from the published numbers of searches (including BTP, as published)."""
    eff = _load("stop_search_eff_by_area", root)
    groups = ["Asian", "Black", "Mixed", "White", "Other"]
    by_area = eff.loc[
        (eff["table"] == "by_area")
        & (eff["area_code"] != areas.ENGLAND_AND_WALES_CODE)
        & eff["group"].isin(groups)
    ]
    pop = _population(list(by_area["period"].unique()), root)
    derived = metrics.derive_counts(by_area, pop)
    forces = _with_caveat(
        metrics.rates(derived, pop, measure="stop_search_rate", include_all=False), "derived_count"
    )
    national = eff.loc[
        (eff["table"] == "by_ethnicity") & (eff["level"] != "detailed") & eff["group"].isin([*groups, "All"])
    ]
    nat = metrics.rates(
        national.loc[national["group"] != "All"], pop, measure="stop_search_rate", include_all=False
    )
    out = pd.concat([forces, nat], ignore_index=True)
    published = pd.concat([by_area, national])[["area_code", "period", "group", "rate"]]
    out = out.merge(published, on=["area_code", "period", "group"], how="left")
    has = out["rate"].notna() & out["value"].notna()
    out.loc[has, "value"] = out.loc[has, "rate"]
    out["method"] = (
        out["method"]
        .astype(str)
        .where(
            ~has, out["method"].astype(str) + "; value: the rate as published by Ethnicity facts and figures"
        )
    )
    return _tag(out.drop(columns="rate"), EFF_PUBLISHED_SOURCE, RANK_PUBLISHED)


def _stop_search_rates(root: Path | None) -> pd.DataFrame:
    counts = _ss(root, "group")
    pop = _population(list(counts["period"].unique()), root)
    forces = _policeuk_caveats(_by_census(metrics.rates, counts, pop, measure="stop_search_rate"))
    national = _tag(
        _eff_national_figures(root, metrics.rates, "stop_search_rate"),
        EFF_NATIONAL_SOURCE,
        RANK_OFFICIAL_COUNTS,
    )
    ho = _ho(root)
    ho_pop = _population(list(ho["period"].unique()), root)
    official = _tag(
        _by_census(metrics.rates, ho, ho_pop, measure="stop_search_rate", include_all=False),
        HO_SOURCE,
        RANK_OFFICIAL_COUNTS,
    )
    return pd.concat([forces, national, official, _eff_published_rates(root)], ignore_index=True)


def _stop_search_disparity(root: Path | None) -> pd.DataFrame:
    counts = _ss(root, "group")
    pop = _population(list(counts["period"].unique()), root)
    ratios = _by_census(metrics.disparity, counts, pop, measure="stop_search_disparity")
    bounds = _by_census(metrics.not_stated_bounds, counts, pop, measure="stop_search_disparity_bounds")
    forces = _policeuk_caveats(pd.concat([ratios, bounds], ignore_index=True))
    national = _tag(
        _eff_national_figures(root, metrics.disparity, "stop_search_disparity"),
        EFF_NATIONAL_SOURCE,
        RANK_OFFICIAL_COUNTS,
    )
    ho = _ho(root)
    ho_pop = _population(list(ho["period"].unique()), root)
    official = _tag(
        _by_census(metrics.disparity, ho, ho_pop, measure="stop_search_disparity"),
        HO_SOURCE,
        RANK_OFFICIAL_COUNTS,
    )
    return pd.concat([forces, national, official], ignore_index=True)


def _stop_search_not_stated(root: Path | None) -> pd.DataFrame:
    return _policeuk_caveats(metrics.not_stated_share(_ss(root, "group")))


def _outcome(
    root: Path | None, column: str, events, measure: str, exclude_not_recorded: bool = False
) -> pd.DataFrame:
    frame = _ss(root, "group", column)
    if exclude_not_recorded:
        frame = frame.loc[frame[column] != "Not recorded"]
    event_counts = metrics.outcome_counts(frame, column=column, events=events)
    return _policeuk_caveats(metrics.proportions(event_counts, measure=measure))


def _stop_search_arrest(root):
    return _outcome(root, "outcome_group", {"arrest"}, "stop_search_arrest_rate")


def _stop_search_nfa(root):
    return _outcome(root, "outcome_group", {"no further action"}, "stop_search_no_further_action")


def _stop_search_linked(root):
    return _outcome(root, "outcome_linked", {"Yes"}, "stop_search_outcome_linked", exclude_not_recorded=True)


def _stop_search_s60(root):
    return _outcome(
        root, "legislation", lambda s: s.str.contains("section 60", regex=False), "stop_search_s60_share"
    )


def _stop_search_agreement(root):
    frame = _ss(root, "group", "officer_group").rename(columns={"group": "self_group"})
    return _policeuk_caveats(
        metrics.disagreement(frame, self_column="self_group", officer_column="officer_group")
    )


def _stop_search_rri(root):
    searches = _ss(root, "group")
    outcomes = _ss(root, "group", "outcome_group")
    arrests = (
        outcomes.loc[outcomes["outcome_group"] == "arrest"]
        .groupby(["area_code", "area_name", "period", "group"], as_index=False)["count"]
        .sum()
    )
    pop = _population(list(searches["period"].unique()), root)
    return _policeuk_caveats(
        metrics.relative_rate_index(
            [pop, searches, arrests],
            stage_names=["population", "stop and search", "arrest"],
            measure="rri_stop_arrest",
        )
    )


def _stop_search_trend(root):
    """The change in the disparity per year: Home Office counts 2020/21 to each later year (at least three
    years), Census 2021 populations for every year of a model; police.uk where no Home Office trend exists."""
    from eqlib.sources.population import population_for

    counts = _ss(root, "group")
    counts = counts.loc[counts["period"].str.contains("-")]  # financial years only
    frames = []
    for _code, part in counts.groupby("area_code"):
        # one population base per model: the census of the model's latest year, for every year
        last = max(part["period"], key=lambda label: periods.parse(label).start)
        pop = population_for(periods.parse(last), root=root)
        census = str(pop["census"].iloc[0])
        frames.append(
            _policeuk_caveats(
                metrics.disparity_trend(
                    part,
                    pop,
                    measure="stop_search_trend",
                    population_base=f"{census} usual residents, every year",
                )
            )
        )
    ho = _ho(root)
    pop21 = population_for("2021-22", census=2021, root=root)
    years = sorted(ho["period"].unique())
    for end in years[2:]:
        window = ho.loc[ho["period"].isin(years[: years.index(end) + 1])]
        frames.append(
            _tag(
                metrics.disparity_trend(
                    window,
                    pop21,
                    measure="stop_search_trend",
                    population_base="Census 2021 usual residents, every year",
                ),
                HO_SOURCE,
                RANK_OFFICIAL_COUNTS,
            )
        )
    return pd.concat(frames, ignore_index=True)


@lru_cache(maxsize=2)
def _eff_area_counts(root_key: str) -> pd.DataFrame:
    root = Path(root_key) if root_key else None
    eff = _load("stop_search_eff_by_area", root)
    by_area = eff.loc[(eff["table"] == "by_area") & (eff["area_code"] != areas.ENGLAND_AND_WALES_CODE)]
    by_area = by_area.loc[by_area["group"].isin(["Asian", "Black", "Mixed", "White", "Other"])]
    pop = _population(list(by_area["period"].unique()), root)
    return metrics.derive_counts(by_area, pop)


def _stop_search_benchmark(root):
    derived = _eff_area_counts(str(root or ""))
    pop = _population(list(derived["period"].unique()), root)
    rates = metrics.rates(derived, pop, measure="stop_search_rate", include_all=False)
    ratios = metrics.disparity(derived, pop, measure="stop_search_disparity")
    ratios = ratios.loc[ratios["group"] == "Black"]
    funnel = metrics.funnel_limits(
        metrics.ratio_funnel_inputs(ratios, rates),
        kind="ratio",
        overdispersion=True,
        measure="stop_search_benchmark",
    )
    derived_funnel = _tag(_with_caveat(funnel, "derived_count"), EFF_PUBLISHED_SOURCE, RANK_DERIVED)
    ho = _ho(root)
    ho = ho.loc[ho["area_code"] != areas.ENGLAND_AND_WALES_CODE]
    ho_pop = _population(list(ho["period"].unique()), root)
    frames = [derived_funnel]
    for census, labels in ho_pop.groupby("census")["period"]:
        part, part_pop = (
            ho.loc[ho["period"].isin(set(labels))],
            ho_pop.loc[ho_pop["period"].isin(set(labels))],
        )
        h_rates = metrics.rates(
            part, part_pop, measure="stop_search_rate", include_all=False, census_year=int(census)
        )
        h_ratios = metrics.disparity(part, part_pop, measure="stop_search_disparity", census_year=int(census))
        h_ratios = h_ratios.loc[h_ratios["group"] == "Black"]
        frames.append(
            _tag(
                metrics.funnel_limits(
                    metrics.ratio_funnel_inputs(h_ratios, h_rates),
                    kind="ratio",
                    overdispersion=True,
                    measure="stop_search_benchmark",
                ),
                HO_SOURCE,
                RANK_OFFICIAL_COUNTS,
            )
        )
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- stop and search: sex, age, strip search
def _stop_search_by_sex(root):
    """Searches of people by sex (police.uk ``Gender``): shares and ratios of shares to Female
    (:func:`eqlib.metrics.characteristics.characteristic_shares`; no population denominator)."""
    from eqlib.metrics import characteristics as ch

    return ch.characteristic_shares(
        _ss(root, "gender"),
        column="gender",
        categories=ch.SEX_GROUPS,
        reference="Female",
        measure="stop_search_by_sex",
    )


def _stop_search_by_age(root):
    """Searches of people by age range (police.uk ``Age range``): shares and ratios of shares to
    "over 34" (no population denominator)."""
    from eqlib.metrics import characteristics as ch

    return ch.characteristic_shares(
        _ss(root, "age_range"),
        column="age_range",
        categories=ch.AGE_GROUPS,
        reference="over 34",
        measure="stop_search_by_age",
    )


STRIP_SEARCH_COLUMN = "strip_search"


def policeuk_monthly_by(records: pd.DataFrame, column: str, name: str) -> pd.DataFrame:
    """police.uk records -> counts per force, month, self-defined group, vehicle_only and one record column
    (a boolean shown as ``Yes``/``No``/``Not recorded``), in the shape of ``stop_search_policeuk``
    (so that :func:`eqlib.sources.policeuk.aggregate` rolls it up). The counts add up to the records."""
    values = records[column]
    if str(values.dtype) in ("boolean", "bool"):
        flag = values.astype("boolean")
        values = flag.map({True: "Yes", False: "No"}).astype(object).where(flag.notna(), "Not recorded")
    frame = records.assign(group=records["self_group"], **{name: values.astype(str)})
    keys = ["area_code", "area_name", "month", "period_start", "period_end", "group", "vehicle_only", name]
    counts = frame.groupby(keys, sort=True, observed=True).size().rename("count").reset_index()
    counts = counts.rename(columns={"month": "period"})
    counts["count"] = counts["count"].astype(float)
    counts["source_label"] = ""
    counts["symbol"] = ""
    counts["dataset"] = "stop_search_policeuk"
    if counts["count"].sum() != len(records):
        raise AssertionError(f"police.uk counts by {column} do not reconcile with the records")
    return counts


def policeuk_years(counts: pd.DataFrame, coverage: pd.DataFrame, by: tuple[str, ...]) -> pd.DataFrame:
    """Monthly police.uk counts -> the reporting periods :func:`_stop_search_counts` uses: financial years
    with at least :data:`MIN_MONTHS_FOR_YEAR` months, else a complete calendar year."""
    from eqlib.sources import policeuk

    fy = policeuk.aggregate(counts, by=list(by), period="financial_year", coverage=coverage)
    fy = fy.loc[fy["months_present"] >= MIN_MONTHS_FOR_YEAR]
    cy = policeuk.aggregate(counts, by=list(by), period="calendar_year", coverage=coverage)
    cy = cy.loc[(cy["months_present"] == cy["months_expected"]) & ~cy["area_code"].isin(set(fy["area_code"]))]
    return pd.concat([fy, cy], ignore_index=True).reset_index(drop=True)


@lru_cache(maxsize=2)
def _strip_search_counts(root_key: str) -> pd.DataFrame:
    root = Path(root_key) if root_key else None
    records = _load("stop_search_policeuk_records", root)
    coverage = _load("stop_search_policeuk_coverage", root)
    monthly = policeuk_monthly_by(records, "removal_more_than_outer", STRIP_SEARCH_COLUMN)
    return policeuk_years(monthly, coverage, ("group", STRIP_SEARCH_COLUMN))


def _stop_search_strip_search(root):
    """Share of searches of people with removal of more than just outer clothing (police.uk field), by
    self-defined ethnic group, of the searches where the field was recorded; ratio to White (score
    interval), as the other outcome shares (:func:`eqlib.metrics.proportions`)."""
    frame = _strip_search_counts(str(root or ""))
    events = metrics.outcome_counts(
        frame, column=STRIP_SEARCH_COLUMN, events={"Yes"}, exclude={"Not recorded"}
    )
    out = metrics.proportions(events, measure="stop_search_strip_search")
    unrecorded = out["count"].isna().to_numpy() & np.array(["missing_count" in c for c in out["caveats"]])
    return _policeuk_caveats(_with_caveat(out, "characteristic_not_recorded", unrecorded))


# --------------------------------------------------------------------------- arrests
@lru_cache(maxsize=2)
def _arrest_counts(root_key: str) -> pd.DataFrame:
    root = Path(root_key) if root_key else None
    arrests = _load("arrests_ho", root)
    return arrests.loc[arrests["table"] == "A_08"].reset_index(drop=True)


def arrest_population(counts: pd.DataFrame, root: Path | None = None) -> pd.DataFrame:
    """Denominators that match the Home Office arrest tables (A_04, A_08).

    - 2001 classification: the tables' "Asian (or Asian British)" excludes Chinese and "Chinese or Other"
      includes it, so the census category Chinese is moved from Asian to Other
      (:func:`eqlib.sources.population.chinese_as_other`);
    - national counts exclude the forces that did not supply data (Lancashire in 2017/18 and 2018/19: its
      A_08 counts are ``..``), so the England and Wales population of each period is the sum of the forces
      whose counts that period are all present.

    Census 2021 from April 2021, Census 2011 before (as the Home Office does). Returns area_code,
    area_name, group, population, census (year), period, and ``excluded`` (names of the forces left out of
    the national population, '' for a force row)."""
    from eqlib.sources.population import population_2001_classification

    territorial = {a.code: a for a in areas.all_areas()}
    frames = []
    for label in sorted(set(counts["period"])):
        pop = population_2001_classification(periods.parse(label), root=root)
        pop = pop.loc[pop["area_code"] != areas.ENGLAND_AND_WALES_CODE].copy()
        rows = counts.loc[(counts["period"] == label) & counts["area_code"].isin(territorial)]
        missing = rows.loc[rows["count"].isna(), "area_code"].unique()
        supplied = set(rows["area_code"]) - set(missing)
        national = (
            pop.loc[pop["area_code"].isin(supplied)]
            .groupby(["group", "census"], as_index=False, sort=False)["population"]
            .sum()
        )
        excluded = sorted(territorial[c].name for c in set(territorial) - supplied)
        national = national.assign(
            area_code=areas.ENGLAND_AND_WALES_CODE,
            area_name="England and Wales" + (f" excluding {', '.join(excluded)}" if excluded else ""),
            excluded=", ".join(excluded),
        )
        pop = pd.concat(
            [pop.assign(excluded=""), national[pop.columns.tolist() + ["excluded"]]], ignore_index=True
        )
        pop["period"] = label
        pop["census"] = pop["census"].map(_census_year)
        frames.append(pop)
    return pd.concat(frames, ignore_index=True)


def _arrest_inputs(root):
    counts = _arrest_counts(str(root or ""))
    pop = arrest_population(counts, root)
    return counts, pop


def _arrest_caveats(frame: pd.DataFrame, pop: pd.DataFrame) -> pd.DataFrame:
    out = _with_caveat(frame, "arrest_classification_2001")
    excluded = set(
        pop.loc[(pop["area_code"] == areas.ENGLAND_AND_WALES_CODE) & (pop["excluded"] != ""), "period"]
    )
    mask = (out["area_code"] == areas.ENGLAND_AND_WALES_CODE) & out["period"].isin(excluded)
    return _with_caveat(out, "forces_excluded_national", mask.to_numpy())


def _arrest_rate(root):
    counts, pop = _arrest_inputs(root)
    return _arrest_caveats(metrics.rates(counts, pop, measure="arrest_rate"), pop)


def _arrest_disparity(root):
    counts, pop = _arrest_inputs(root)
    return _arrest_caveats(metrics.disparity(counts, pop, measure="arrest_disparity"), pop)


def _arrest_benchmark(root):
    counts, pop = _arrest_inputs(root)
    counts = counts.loc[counts["area_code"] != areas.ENGLAND_AND_WALES_CODE]
    rates = metrics.rates(counts, pop, measure="arrest_rate", include_all=False)
    ratios = metrics.disparity(counts, pop, measure="arrest_disparity")
    ratios = ratios.loc[ratios["group"] == "Black"]
    return metrics.funnel_limits(
        metrics.ratio_funnel_inputs(ratios, rates),
        kind="ratio",
        overdispersion=True,
        measure="arrest_benchmark",
    )


# --------------------------------------------------------------------------- use of force
def _use_of_force_counts(root, tactic: str) -> pd.DataFrame:
    """Table_16 tactic uses by force and perceived ethnicity for one tactic, every edition: matched on
    ``tactic_group`` (2019/20 writes Taser ``CED of which``, 2018/19 ``CED``)."""
    uof = _load("use_of_force_ho", root)
    rows = uof.loc[(uof["table"] == "Table_16") & (uof["tactic_group"] == tactic)]
    return rows.reset_index(drop=True)


def _uof_caveats(frame: pd.DataFrame) -> pd.DataFrame:
    """Table_16 counts are tactic uses (not people, not incidents, not independent): that caveat, not
    the incidents one the generic use-of-force caveats give."""
    out = _with_caveat(_with_caveat(frame, "perceived_ethnicity"), "tactic_uses_not_people")
    if len(out):
        out["caveats"] = [tuple(c for c in codes if c != "incident_not_person") for codes in out["caveats"]]
    return out


def _use_of_force_incidents(root):
    """Use of force incidents by force (Table_12: an incident, not a person or a tactic use; no
    ethnicity), every edition."""
    uof = _load("use_of_force_ho", root)
    rows = uof.loc[(uof["table"] == "Table_12") & (uof["measure"] == "incidents")]
    frame = _count_figures(
        rows,
        measure="use_of_force_incidents",
        method="Home Office police use of force statistics, Table 12: incidents (count)",
    )
    return _with_caveat(frame, "incident_not_person")


def _use_of_force_rate(root):
    counts = _use_of_force_counts(root, "*Total Tactics")
    pop = _population(list(counts["period"].unique()), root)
    return _uof_caveats(metrics.rates(counts, pop, measure="use_of_force_rate"))


def _use_of_force_disparity(root):
    counts = _use_of_force_counts(root, "*Total Tactics")
    pop = _population(list(counts["period"].unique()), root)
    return _uof_caveats(metrics.disparity(counts, pop, measure="use_of_force_disparity"))


def _taser(root):
    counts = _use_of_force_counts(root, "CED")
    pop = _population(list(counts["period"].unique()), root)
    return _uof_caveats(metrics.rates(counts, pop, measure="taser_by_ethnicity"))


# --------------------------------------------------------------------------- workforce
def _chief_officers(root):
    chiefs = _load("workforce_chief_officers", root)
    by_group = chiefs.groupby(["area_code", "area_name", "period", "group"], as_index=False).agg(
        count=("count", "sum")
    )
    by_group = by_group.loc[by_group["area_code"].isin([a.code for a in areas.all_areas()])]
    from eqlib.sources.population import population_for

    frames = []
    for label, part in by_group.groupby("period"):
        census = "Census 2021" if str(label) >= "2021-03-21" else "Census 2011"
        pop = population_for(periods.parse(str(label)), census=census, root=root)
        frames.append(
            metrics.representation(
                part,
                pop,
                measure="chief_officer_representation",
                population_base=f"{census} usual residents (all ages)",
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else _empty()


def _workforce_totals(root):
    """Workforce by area, date and worker type: ``workforce_totals`` (FTE: officers, staff, designated
    officers, PCSOs) and ``workforce_totals_headcount`` (headcount, also special constables and police
    support volunteers, who are counted by headcount only). Sources: the September workforce tables (as at
    30 September and 31 March 2014-2019) and the workforce open data table (31 March 2007-2023); where
    both give an area, date, worker type and unit, the newest edition wins (the Home Office revises)."""
    from eqlib.sources._common import latest_edition
    from eqlib.sources.workforce_open_data import totals_by_worker_type

    old = _load("workforce_totals_ho", root)
    old = old[["area_code", "area_name", "period", "worker_type", "unit", "count", "symbol", "release"]]
    old = old.assign(source="Home Office police workforce tables (September release)")
    new = totals_by_worker_type(_load("workforce_open_data_ho", root))
    new = new.assign(source="Home Office police workforce open data table (July 2023)", symbol="")
    keep = ["area_code", "area_name", "period", "worker_type", "release", "source", "symbol"]
    fte = new.loc[new["fte"].notna(), keep + ["fte"]].rename(columns={"fte": "count"}).assign(unit="FTE")
    heads = new[keep + ["headcount"]].rename(columns={"headcount": "count"}).assign(unit="headcount")
    both = pd.concat([old, fte, heads], ignore_index=True)
    both = latest_edition(
        both,
        key=["area_code", "period", "worker_type", "unit"],
        edition="release",
        dataset="workforce_totals",
        reason="figures a later edition revises",
    )
    both["group"] = both["worker_type"]
    frames = []
    for unit, measure, words in (
        ("FTE", "workforce_totals", "full-time equivalent"),
        ("headcount", "workforce_totals_headcount", "headcount"),
    ):
        part = both.loc[both["unit"] == unit]
        for source, rows in part.groupby("source", sort=True):
            frames.append(_count_figures(rows, measure=measure, method=f"{source}, {words}"))
    return pd.concat(frames, ignore_index=True) if frames else _empty()


def _women_groups(od: pd.DataFrame) -> pd.DataFrame:
    """Headcount by area, date, sex and workforce group (officers by rank and all ranks; staff, PCSOs,
    special constables, designated officers, police support volunteers), with the 43 forces summed as
    England and Wales."""
    keys = ["area_code", "area_name", "period", "sex"]
    officers = od.loc[od["worker_type"] == "Police officers"]
    by_rank = officers.assign(group="Police officers: " + officers["rank"].str.lower())
    all_ranks = officers.assign(group="Police officers: all ranks")
    others = od.loc[od["worker_type"] != "Police officers"]
    others = others.assign(group=others["worker_type"])
    parts = pd.concat([by_rank, all_ranks, others], ignore_index=True)
    counts = parts.groupby([*keys, "group"], as_index=False, sort=True)["count"].sum()
    territorial = {a.code for a in areas.all_areas()}
    national = (
        counts.loc[counts["area_code"].isin(territorial)]
        .groupby(["period", "sex", "group"], as_index=False, sort=True)["count"]
        .sum()
        .assign(area_code=areas.ENGLAND_AND_WALES_CODE, area_name="England and Wales")
    )
    return pd.concat([counts, national[counts.columns]], ignore_index=True)


def _women_representation(root):
    """Measure ``workforce_women_representation``: women's share of each workforce group by area (43
    forces, England and Wales = the 43 summed, BTP) as at 31 March 2007-2023, from the Home Office workforce
    open data table (headcount), via :func:`eqlib.metrics.sex_representation.women_representation`.

    Frame (:data:`eqlib.metrics.FIGURE_COLUMNS`), one row per area_code, period (``2023-03-31``), measure
    and group:

    - ``group``: "Police officers: constable", "... sergeant", "... inspector", "... chief inspector",
      "... superintendent", "... chief superintendent", "... chief officer", "Police officers: all ranks",
      "Police staff", "PCSOs", "Special constables", "Designated officers", "Police support volunteers";
    - ``workforce_women_representation``: value = women as % of those recorded female or male, Wilson 95%
      interval (ci_low, ci_high), count = women, denominator = women + men;
    - ``workforce_women_representation_ratio`` and ``..._population_share``: against the area's population
      share of women (Census 2021 from 31 March 2021, else 2011). No census file with sex ships with eqlib,
      so these are NaN with ``[x]`` and the caveat ``population_by_sex_unavailable``;
    - ``workforce_women_representation_not_recorded_share``: % of the headcount whose sex is not stated,
      prefer not to say or prefer to self-describe (from 2021), count and denominator as for a share.

    As at 31 March 2021 rows carry ``sex_recording_2021`` (note F of the table)."""
    from eqlib.metrics.sex_representation import women_representation

    counts = _women_groups(_load("workforce_open_data_ho", root))
    frame = women_representation(counts, None, measure="workforce_women_representation")
    return _with_caveat(frame, "sex_recording_2021", (frame["period"] == "2021-03-31").to_numpy())


# --------------------------------------------------------------------------- courts
def _cjs_all(root) -> pd.DataFrame:
    cjs = _load("cjs_prosecutions_convictions", root)
    return cjs.loc[(cjs["sex"] == "All") & (cjs["age_group"] == "All") & (cjs["offence_group"] == "All")]


def _conviction_ratio(root):
    cjs = _cjs_all(root)
    events = cjs[["area_code", "area_name", "period", "group", "count", "denominator", "symbol"]]
    events = events.loc[
        events["group"].isin(["Asian", "Black", "Mixed", "White", "Other"])
        & events["count"].notna()
        & events["denominator"].notna()
    ]
    # A conviction in a year can follow a prosecution begun in an earlier year, so in small cells
    # convictions can exceed prosecutions: no proportion exists there. Those rows are published as
    # [u] with the reason, never dropped.
    over = events["count"] > events["denominator"]
    if over.any():
        log.info(
            "conviction_ratio: %d area-year-group cells with more convictions than prosecutions shown as [u]",
            int(over.sum()),
        )
    ratios = metrics.proportions(events.loc[~over], measure="conviction_ratio", compare=True)
    odd = _count_figures(
        events.loc[over].assign(symbol="[u]"),
        measure="conviction_ratio",
        method="convictions exceed prosecutions in this cell: no ratio",
    )
    odd["value"] = np.nan
    odd = _with_caveat(odd, "missing_denominator")
    return pd.concat([ratios, odd], ignore_index=True)


def _rri_prosecution(root):
    cjs = _cjs_all(root)
    cjs = cjs.loc[
        cjs["group"].isin(["Asian", "Black", "Mixed", "White", "Other"])
        & cjs["count"].notna()
        & cjs["denominator"].notna()
    ]
    prosecutions = cjs.drop(columns=["count"]).rename(columns={"denominator": "count"})
    convictions = cjs.drop(columns=["denominator"])
    keep = ["area_code", "area_name", "period", "group", "count"]
    return metrics.relative_rate_index(
        [prosecutions[keep], convictions[keep]],
        stage_names=["prosecution", "conviction"],
        measure="rri_prosecution_conviction",
    )


# --------------------------------------------------------------------------- other
def _deaths(root):
    deaths = _load("iopc_deaths", root)
    deaths = deaths.loc[deaths["measure"] == "fatalities"]  # people who died, not incidents
    frame = _count_figures(
        deaths,
        measure="deaths_following_contact",
        method="IOPC deaths during or following police contact (count)",
    )
    if frame.empty:
        return frame
    from eqlib.metrics.disclosure import mark_published

    # the IOPC publishes the national deaths by category: not suppressed (suppression protects local counts)
    return mark_published(frame, (frame["area_code"] == areas.ENGLAND_AND_WALES_CODE).to_numpy())


def _hate_crime(root):
    from eqlib.sources.hate_crime import financial_year_totals

    met = areas.resolve("metropolitan")
    data = _load("hate_crime_mps", root)
    # the file also carries domestic abuse categories (not hate crime strands): hate crime strands only
    non_hate = sorted(set(data.loc[~data["hate_strand"].astype(bool), "strand"]))
    if non_hate:
        log.info(
            "hate_crime_by_strand: categories that are not hate crime strands left out: %s",
            ", ".join(non_hate),
        )
    totals = financial_year_totals(data.loc[data["hate_strand"].astype(bool)])
    # strands overlap (one offence can carry several flags): never added together
    totals = totals.assign(area_code=met.code, area_name=met.name, group=totals["strand"], symbol="")
    frame = _count_figures(
        totals, measure="hate_crime_by_strand", method="Metropolitan Police hate crime dashboard data (count)"
    )
    return _with_caveat(frame, "hate_strands_overlap")


MeasureFunc = Callable[[Path | None], pd.DataFrame]

#: measure id -> (function, source text for the tables)
MEASURE_FUNCTIONS: dict[str, tuple[MeasureFunc, str]] = {
    "stop_search_rate": (_stop_search_rates, HO_SOURCE),
    "stop_search_disparity": (_stop_search_disparity, HO_SOURCE),
    "stop_search_not_stated_share": (_stop_search_not_stated, "police.uk stop and search records"),
    "stop_search_arrest_rate": (_stop_search_arrest, "police.uk stop and search records"),
    "stop_search_no_further_action": (_stop_search_nfa, "police.uk stop and search records"),
    "stop_search_outcome_linked": (_stop_search_linked, "police.uk stop and search records"),
    "stop_search_s60_share": (_stop_search_s60, "police.uk stop and search records"),
    "stop_search_ethnicity_agreement": (_stop_search_agreement, "police.uk stop and search records"),
    "rri_stop_arrest": (_stop_search_rri, "police.uk stop and search records; ONS Census"),
    "stop_search_trend": (_stop_search_trend, HO_SOURCE),
    "stop_search_benchmark": (_stop_search_benchmark, HO_SOURCE),
    "stop_search_by_sex": (_stop_search_by_sex, "police.uk stop and search records"),
    "stop_search_by_age": (_stop_search_by_age, "police.uk stop and search records"),
    "stop_search_strip_search": (_stop_search_strip_search, "police.uk stop and search records"),
    "arrest_rate": (
        _arrest_rate,
        "Home Office, Police powers and procedures: arrests (table A_08); ONS Census 2011",
    ),
    "arrest_disparity": (
        _arrest_disparity,
        "Home Office, Police powers and procedures: arrests; ONS Census 2011",
    ),
    "arrest_benchmark": (
        _arrest_benchmark,
        "Home Office, Police powers and procedures: arrests; ONS Census 2011",
    ),
    "use_of_force_rate": (_use_of_force_rate, "Home Office, Police use of force statistics (Table 16)"),
    "use_of_force_disparity": (_use_of_force_disparity, "Home Office, Police use of force statistics"),
    "taser_by_ethnicity": (_taser, "Home Office, Police use of force statistics (CED)"),
    "use_of_force_incidents": (
        _use_of_force_incidents,
        "Home Office, Police use of force statistics (Table 12)",
    ),
    "chief_officer_representation": (_chief_officers, "Home Office police workforce open data; ONS Census"),
    "workforce_totals": (
        _workforce_totals,
        "Home Office, Police workforce, England and Wales; workforce open data table (31 March 2007-2023)",
    ),
    "workforce_women_representation": (
        _women_representation,
        "Home Office, Police workforce open data table (31 March 2007-2023)",
    ),
    "conviction_ratio": (_conviction_ratio, "GOV.UK Ethnicity facts and figures (Ministry of Justice)"),
    "rri_prosecution_conviction": (
        _rri_prosecution,
        "GOV.UK Ethnicity facts and figures (Ministry of Justice)",
    ),
    "deaths_following_contact": (_deaths, "IOPC, Deaths during or following police contact"),
    "hate_crime_by_strand": (_hate_crime, "Metropolitan Police Service hate crime dashboard data"),
}


@lru_cache(maxsize=4)
def inputs_key(root_key: str = "") -> str:
    """A key for everything a measure depends on: the cache keys of every registered dataset (the
    sha256 of their raw files and loader code) and the source of every eqlib module.

    Computed once per process; the measures' disk cache is keyed by it, so a changed raw file or a
    changed line of code recomputes the measures, and nothing else does.
    """
    import hashlib

    import eqlib
    from eqlib.sources import datasets

    root = Path(root_key) if root_key else None
    from eqlib import paths

    hashes = store.FileHashes(paths.cache_dir(root))
    raw = paths.raw_dir(root)
    digest = hashlib.sha256(f"eqlib {eqlib.__version__}".encode())
    for dataset in datasets().values():
        try:
            key, _files = store.dataset_key(dataset, raw, hashes)
        except Exception as exc:  # noqa: BLE001 - a dataset whose files are missing: its error is the key
            key = f"unavailable: {exc}"
        digest.update(f"{dataset.id}={key}\n".encode())
    hashes.save()
    package = Path(eqlib.__file__).parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _measure_cache_path(measure_id: str, root: Path | None) -> Path:
    from eqlib import paths

    return paths.cache_dir(root) / "measures" / measure_id / f"{inputs_key(str(root or ''))[:32]}.parquet"


def _from_parquet(frame: pd.DataFrame) -> pd.DataFrame:
    frame["caveats"] = [tuple(v) if v is not None else () for v in frame["caveats"]]
    return frame


@lru_cache(maxsize=64)
def _compute_cached(measure_id: str, root_key: str) -> pd.DataFrame:
    root = Path(root_key) if root_key else None
    target = _measure_cache_path(measure_id, root)
    if target.is_file():
        try:
            return _from_parquet(store._read_parquet(target))
        except Exception as exc:  # noqa: BLE001 - an unreadable cache file is rebuilt
            log.warning("%s: unreadable (%s); recomputing", target, exc)
    func, source = MEASURE_FUNCTIONS[measure_id]
    frame = func(root).reset_index(drop=True)
    if "source" not in frame.columns:
        frame = _tag(frame, source, RANK_OFFICIAL_COUNTS)
    else:  # rows of a measure not tagged by their function: the measure's source
        frame["source"] = frame["source"].fillna(source).astype(str)
        frame["source_rank"] = frame["source_rank"].fillna(RANK_OFFICIAL_COUNTS).astype(int)
    stored = frame.assign(caveats=[list(v) if isinstance(v, (tuple, list)) else [] for v in frame["caveats"]])
    try:
        store._write_parquet(stored, target, {"measure": measure_id})
        for stale in target.parent.glob("*.parquet"):
            if stale != target:
                stale.unlink(missing_ok=True)
        return _from_parquet(store._read_parquet(target))
    except PermissionError as exc:  # a read-only install works uncached
        log.warning("%s: cannot write the measures cache (%s)", measure_id, exc)
        return frame


def warm(root: Path | None = None) -> dict[str, int]:
    """Compute (or confirm) every measure's disk cache once, e.g. before a batch of notebooks, so
    that each notebook kernel only reads parquet. Returns rows per measure."""
    return {m: len(compute_measure(m, root=root)) for m in MEASURE_FUNCTIONS}


def compute_measure(measure_id: str, *, root: Path | None = None) -> pd.DataFrame:
    """The figure frame of one measure for every area and period (memoised per process; a copy)."""
    if measure_id not in MEASURE_FUNCTIONS:
        raise KeyError(
            f"eqlib computes no measure {measure_id!r} from national data; "
            f"known: {', '.join(MEASURE_FUNCTIONS)}"
        )
    return _compute_cached(measure_id, str(root or "")).copy()


# --------------------------------------------------------------------------- selection
def period_end(label: str) -> pd.Timestamp:
    """The end date of a figure's period label (``2021-22``, ``2018``, ``2021-03-31``, ``2019-20 to 2021-22``)."""
    last = str(label).split(" to ")[-1]
    return pd.Timestamp(periods.parse(last).end)


@dataclass(frozen=True)
class Selection:
    """One area's figures for one measure: the period used and whether it is the report year."""

    measure: str
    frame: pd.DataFrame
    period: str | None
    requested: str
    status: str  # "current", "latest" (an earlier period), "none"

    @property
    def label(self) -> str:
        if self.period is None:
            return "no data"
        shown = display_period(self.period)
        if periods.parse(self.period.split(" to ")[-1]).kind == "calendar_year":
            shown = f"calendar year {shown}"  # never read as a financial year
        return shown if self.status == "current" else f"latest available: {shown}"


def display_period(label: str) -> str:
    """GSS display of a period label: 2021/22, 2018, 31 March 2021."""
    parts = str(label).split(" to ")
    return " to ".join(periods.parse(p).display for p in parts)


def select(figures: pd.DataFrame, area_code: str, period: periods.Period, *, measure: str = "") -> Selection:
    """Which figure a report for ``period`` shows: THE rule (README "Which figure a report shows").

    1. Figures for exactly the requested period (a financial year's label; a trend ending in it) come
       first, and among them the official publisher's own figure (``source_rank`` 0: e.g. Ethnicity facts
       and figures' published rates), then figures computed from official counts (1: Home Office tables),
       then from counts derived from published rates (2), then police.uk records (3: labelled
       "police.uk, not official statistics"). A source whose figures for the period are all missing
       (e.g. "N/A" in the publisher's table) gives way to the next.
    2. A calendar year is never the figure of a financial year: it matches no financial-year label.
    3. Only when no source has the period: the latest period ending on or before its end, labelled
       "latest available", the best-ranked source for that period.
    """
    rows = figures.loc[figures["area_code"] == area_code]
    if rows.empty:
        return Selection(measure, rows, None, period.label, "none")
    ranks = rows["source_rank"] if "source_rank" in rows.columns else pd.Series(0, index=rows.index)
    has_value = rows["value"].notna() if "value" in rows.columns else pd.Series(True, index=rows.index)
    candidates = pd.DataFrame(
        {"period": rows["period"].astype(str), "rank": ranks.fillna(9).astype(int), "value": has_value}
    )
    usable = candidates.groupby(["period", "rank"])["value"].any().reset_index()
    usable = usable.loc[usable["value"]] if usable["value"].any() else usable
    usable = usable.assign(
        end=usable["period"].map(period_end),
        exact=usable["period"].map(lambda label: label.split(" to ")[-1] == period.label),
    )
    if usable["exact"].any():
        chosen = usable.loc[usable["exact"]].sort_values(["rank", "period"]).iloc[0]
        status = "current"
    else:
        earlier = usable.loc[usable["end"] <= pd.Timestamp(period.end)]
        if earlier.empty:
            return Selection(measure, rows.iloc[0:0], None, period.label, "none")
        chosen = earlier.sort_values(["end", "rank", "period"], ascending=[False, True, True]).iloc[0]
        # a snapshot taken within the year (workforce "as at 31 March 2022" for 2021/22) is that year's
        # figure; any other earlier period (a calendar year included) is "latest available"
        status = "current" if _snapshot_within(str(chosen["period"]), period) else "latest"
    keep = (candidates["period"] == chosen["period"]) & (candidates["rank"] == chosen["rank"])
    return Selection(
        measure, rows.loc[keep.to_numpy()].reset_index(drop=True), str(chosen["period"]), period.label, status
    )


def _snapshot_within(label: str, period: periods.Period) -> bool:
    """True for an "as at" date inside ``period`` (not a span: a calendar year never stands for a financial year)."""
    try:
        parsed = periods.parse(label)
    except periods.PeriodError:
        return False
    return parsed.kind == "as_at" and pd.Timestamp(period.start) <= pd.Timestamp(parsed.end) <= pd.Timestamp(period.end)


def figures_for(
    measure_id: str,
    area: str,
    year: str | int,
    *,
    root: Path | None = None,
    threshold: int | None = DEFAULT_THRESHOLD,
) -> Selection:
    """One area's published figures for a measure and year: selected, then suppressed.

    ``threshold`` None skips suppression (for analysts' own exploration; never for publication).
    """
    area_obj = areas.resolve(area)
    period = periods.parse(year)
    chosen = select(compute_measure(measure_id, root=root), area_obj.code, period, measure=measure_id)
    if threshold is None or chosen.frame.empty:
        return chosen
    published = suppress(chosen.frame, threshold=threshold)
    return Selection(chosen.measure, published, chosen.period, chosen.requested, chosen.status)


def suppress(frame: pd.DataFrame, *, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Primary and secondary small-number suppression (see :func:`eqlib.metrics.suppress_figures`)."""
    if frame.empty:
        return frame
    published, _audit = metrics.suppress_figures(frame, threshold=threshold)
    from eqlib.metrics.characteristics import hide_suppressed_ratios

    return hide_suppressed_ratios(published)


# --------------------------------------------------------------------------- all figures for an area
@dataclass
class AreaResult:
    area: areas.Area
    period: periods.Period
    threshold: int
    selections: dict[str, Selection] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    local: set[str] = field(default_factory=set)  # measures computed from the analyst's local files

    def source(self, measure_id: str) -> str:
        if measure_id in self.local:
            from eqlib import local_measures

            return local_measures.source_text(measure_id)
        sel = self.selections.get(measure_id)
        if sel is not None:
            return selection_source(sel.frame, MEASURE_FUNCTIONS[measure_id][1])
        return MEASURE_FUNCTIONS[measure_id][1]

    @property
    def stem(self) -> str:
        return f"{self.area.slug}-{self.period.label}-equality-information"

    @property
    def tables(self):
        from eqlib.tables import Table

        out = []
        for measure_id, sel in self.selections.items():
            if sel.frame.empty:
                continue
            from eqlib.measures import MEASURES

            title = next((m.title for m in MEASURES if m.id == measure_id), measure_id.replace("_", " "))
            notes = [cv.text(code) for code in sorted(_caveat_codes(sel.frame))]
            if sel.status == "latest":
                notes.insert(0, f"No figures for {self.period.display}: {sel.label}.")
            out.append(
                Table(
                    measure_id,
                    f"{title}: {self.area.name}, {display_period(sel.period)}",
                    sel.frame,
                    tuple(notes),
                    self.source(measure_id),
                )
            )
        return out

    @property
    def meta(self):
        from eqlib.tables import WorkbookMeta

        return WorkbookMeta(
            title=f"Equality information {self.period.display}: {self.area.name} (data tables)",
            area_name=self.area.name,
            period_display=self.period.display,
            publisher=f"Office of the Police and Crime Commissioner for {self.area.name}"
            if self.area.territorial
            else "eqlib",
            threshold=self.threshold,
            sources=tuple(
                sorted({self.source(m) for m in self.selections if not self.selections[m].frame.empty})
            ),
            extra_notes=tuple(f"{m}: not computed ({why})" for m, why in self.errors.items()),
        )


def selection_source(frame: pd.DataFrame, default: str = "") -> str:
    """The source of the figures a selection shows (one source per selection, see :func:`select`)."""
    if "source" in frame.columns and len(frame):
        names = [str(v) for v in frame["source"].dropna().unique() if str(v)]
        if names:
            return "; ".join(names)
    return default


def _caveat_codes(frame: pd.DataFrame) -> set[str]:
    codes: set[str] = set()
    for value in frame.get("caveats", pd.Series(dtype=object)):
        if isinstance(value, (tuple, list, set, frozenset, np.ndarray)):
            codes.update(str(v) for v in value)
        elif isinstance(value, str) and value:
            codes.update(v.strip() for v in value.split(";") if v.strip())
    return {c for c in codes if c in cv.CAVEATS}


def compute(
    area: str,
    year: str | int,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    root: Path | None = None,
    measures: list[str] | None = None,
    local_dir: str | Path | None = None,
) -> AreaResult:
    """Every measure for one area and year, selected and suppressed; with ``local_dir``, also the
    measures from the analyst's own files (which replace a national figure of the same measure)."""
    if threshold is None or threshold < 0 or (isinstance(threshold, float) and math.isnan(threshold)):
        from eqlib.errors import UsageError

        raise UsageError(f"suppression threshold must be a whole number of 0 or more (got {threshold!r})")
    area_obj = areas.resolve(area)
    period = periods.parse(year)
    result = AreaResult(area_obj, period, int(threshold))
    for measure_id in measures or list(MEASURE_FUNCTIONS):
        result.selections[measure_id] = figures_for(
            measure_id, area_obj.code, period.label, root=root, threshold=threshold
        )
    if local_dir is not None:
        from eqlib import local_measures

        for measure_id, sel in local_measures.compute_local(
            area_obj.code, period.label, local_dir, threshold=threshold, root=root
        ).items():
            if (measures is None or measure_id in measures) and not sel.frame.empty:
                result.selections[measure_id] = sel
                result.local.add(measure_id)
    if threshold:
        _protect_publication(result)
    return result


def _protect_publication(result: AreaResult) -> None:
    """Disclosure control across every table of the area-year (:func:`eqlib.metrics.publication.protect`):
    a cell hidden in one table is hidden in all, and no line of any table reveals it."""
    from eqlib.metrics import publication

    protected = publication.protect(result, threshold=result.threshold)
    for measure_id, frame in protected.items():
        sel = result.selections[measure_id]
        result.selections[measure_id] = Selection(sel.measure, frame, sel.period, sel.requested, sel.status)


def compute_for_cli(
    area: str, year: str | int, *, threshold: int | None = None, local_dir: str | Path | None = None
) -> AreaResult:
    """:func:`compute` with the CLI's checks: unknown area or year -> UsageError (exit 2).

    ``local_dir`` defaults to the ``local_data_dir`` of the area-year's params file, if any."""
    from eqlib.errors import UsageError

    try:
        area_obj = areas.resolve(area)
    except areas.UnknownAreaError as exc:
        raise UsageError(str(exc)) from None
    try:
        period = periods.parse(year)
        if period.kind == "calendar_year" and len(str(year)) == 4:
            period = periods.financial_year(int(year))
        if period.kind == "financial_year":
            periods.check_report_year(period, year)
    except (periods.PeriodError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    if local_dir is None or threshold is None:
        from eqlib.framework import params as fw_params

        params = fw_params.params_for(area_obj.slug, period.label)
        if params is not None:
            local_dir = local_dir if local_dir is not None else params.local_data_dir
            threshold = threshold if threshold is not None else params.suppression_threshold
    return compute(
        area_obj.code,
        period.label,
        threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
        local_dir=local_dir,
    )
