"""Stop and search measures: police.uk records, Home Office open data, Ethnicity facts and figures."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from eqlib import areas, metrics, periods
from eqlib.measures._base import (
    EFF_NATIONAL_SOURCE,
    EFF_PUBLISHED_SOURCE,
    HO_SOURCE,
    MIN_MONTHS_FOR_YEAR,
    POLICEUK_SOURCE,
    RANK_DERIVED,
    RANK_OFFICIAL_COUNTS,
    RANK_POLICEUK,
    RANK_PUBLISHED,
    _by_census,
    _empty,
    _load,
    _population,
    _tag,
    _with_caveat,
)
from eqlib.measures.model import Measure
from eqlib.metrics import characteristics as ch
from eqlib.sources import policeuk
from eqlib.sources.population import population_for


# --------------------------------------------------------------------------- stop and search
@lru_cache(maxsize=4)
def _stop_search_counts(root_key: str, by: tuple[str, ...]) -> pd.DataFrame:
    """police.uk counts by area, reporting period and ``by``: complete-enough financial years, and a
    complete calendar year for an area with no usable financial year (the Metropolitan Police 2018)."""

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


#: the stop and search measures, in catalogue order
MEASURES: tuple[Measure, ...] = (
    Measure(
        "stop_search_rate",
        "Stop and search rate per 1,000 people, by ethnic group",
        "per 1,000",
        (
            "stop_search_ho_by_force",
            "stop_search_policeuk",
            "stop_search_eff_by_area",
            "population_census2021",
        ),
        compute=_stop_search_rates,
        source=HO_SOURCE,
        section="01_communities",
        cell="stop_search",
    ),
    Measure(
        "stop_search_disparity",
        "Stop and search disparity ratio to White",
        "ratio",
        (
            "stop_search_ho_by_force",
            "stop_search_policeuk",
            "stop_search_eff_by_area",
            "population_census2021",
        ),
        compute=_stop_search_disparity,
        source=HO_SOURCE,
        section="01_communities",
        cell="stop_search",
        headline="Stop and search",
    ),
    Measure(
        "stop_search_not_stated_share",
        "Share of searches with ethnicity not stated",
        "%",
        ("stop_search_policeuk",),
        compute=_stop_search_not_stated,
        source="police.uk stop and search records",
        section="01_communities",
        cell="stop_search",
    ),
    Measure(
        "stop_search_arrest_rate",
        "Share of searches leading to arrest, by ethnic group",
        "%",
        ("stop_search_policeuk",),
        compute=_stop_search_arrest,
        source="police.uk stop and search records",
        section="03_services",
        cell="stop_search_outcomes",
    ),
    Measure(
        "stop_search_no_further_action",
        "Share of searches with no further action, by ethnic group",
        "%",
        ("stop_search_policeuk",),
        compute=_stop_search_nfa,
        source="police.uk stop and search records",
        section="03_services",
        cell="stop_search_outcomes",
    ),
    Measure(
        "stop_search_outcome_linked",
        "Share of searches whose outcome was linked to the object of search",
        "%",
        ("stop_search_policeuk",),
        compute=_stop_search_linked,
        source="police.uk stop and search records",
        section="03_services",
        cell="stop_search_outcomes",
    ),
    Measure(
        "stop_search_s60_share",
        "Share of searches under section 60 (no suspicion required)",
        "%",
        ("stop_search_policeuk",),
        compute=_stop_search_s60,
        source="police.uk stop and search records",
        section="02_leadership",
        cell="powers",
    ),
    Measure(
        "stop_search_ethnicity_agreement",
        "Self-defined vs officer-defined ethnicity: disagreement",
        "%",
        ("stop_search_policeuk",),
        compute=_stop_search_agreement,
        source="police.uk stop and search records",
        section="01_communities",
        cell="stop_search",
    ),
    Measure(
        "stop_search_trend",
        "Change in the stop and search disparity per year",
        "ratio",
        ("stop_search_ho_by_force", "stop_search_policeuk", "stop_search_eff_national"),
        compute=_stop_search_trend,
        source=HO_SOURCE,
        section="01_communities",
        cell="stop_search_trend",
        chart="trend",
    ),
    Measure(
        "stop_search_benchmark",
        "Stop and search rates compared with all force areas (funnel plot)",
        "per 1,000",
        ("stop_search_ho_by_force", "stop_search_eff_by_area"),
        compute=_stop_search_benchmark,
        source=HO_SOURCE,
        section="01_communities",
        cell="stop_search_benchmark",
        chart="funnel",
        headline="Black/White stop and search disparity ratio",
    ),
    Measure(
        "stop_search_by_sex",
        "Searches of people by sex (share of searches)",
        "%",
        ("stop_search_policeuk",),
        "No population by sex is shipped: shares and ratios of shares.",
        compute=_stop_search_by_sex,
        source="police.uk stop and search records",
        section="01_communities",
        cell="stop_search_characteristics",
        chart="characteristic",
    ),
    Measure(
        "stop_search_by_age",
        "Searches of people by age group (share of searches)",
        "%",
        ("stop_search_policeuk",),
        "No population by age is shipped: shares and ratios of shares.",
        compute=_stop_search_by_age,
        source="police.uk stop and search records",
        section="01_communities",
        cell="stop_search_characteristics",
        chart="characteristic",
    ),
    Measure(
        "stop_search_strip_search",
        "Share of searches with removal of more than outer clothing, by ethnic group",
        "%",
        ("stop_search_policeuk",),
        compute=_stop_search_strip_search,
        source="police.uk stop and search records",
        section="01_communities",
        cell="stop_search_characteristics",
        chart="strip_search",
    ),
)
