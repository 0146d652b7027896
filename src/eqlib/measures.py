"""The measures eqlib computes: stable ids shared by the metrics, the tables, the notebooks and the
framework's evidence map.

Each measure names the datasets it needs. A measure is *available* for an area and year when
those datasets have data for it (see :func:`eqlib.datacheck`); the framework lists criteria whose
measures are unavailable as evidence gaps.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    id: str
    title: str
    unit: str  # "per 1,000", "ratio", "%", "count", "index"
    datasets: tuple[str, ...]  # dataset ids (eqlib.sources) or local template names (local:<name>)
    description: str = ""


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
    ),
    Measure(
        "stop_search_not_stated_share",
        "Share of searches with ethnicity not stated",
        "%",
        ("stop_search_policeuk",),
    ),
    Measure(
        "stop_search_arrest_rate",
        "Share of searches leading to arrest, by ethnic group",
        "%",
        ("stop_search_policeuk",),
    ),
    Measure(
        "stop_search_no_further_action",
        "Share of searches with no further action, by ethnic group",
        "%",
        ("stop_search_policeuk",),
    ),
    Measure(
        "stop_search_outcome_linked",
        "Share of searches whose outcome was linked to the object of search",
        "%",
        ("stop_search_policeuk",),
    ),
    Measure(
        "stop_search_s60_share",
        "Share of searches under section 60 (no suspicion required)",
        "%",
        ("stop_search_policeuk",),
    ),
    Measure(
        "stop_search_ethnicity_agreement",
        "Self-defined vs officer-defined ethnicity: disagreement",
        "%",
        ("stop_search_policeuk",),
    ),
    Measure(
        "stop_search_trend",
        "Change in the stop and search disparity per year",
        "ratio",
        ("stop_search_ho_by_force", "stop_search_policeuk", "stop_search_eff_national"),
    ),
    Measure(
        "stop_search_benchmark",
        "Stop and search rates compared with all force areas (funnel plot)",
        "per 1,000",
        ("stop_search_ho_by_force", "stop_search_eff_by_area"),
    ),
    Measure(
        "stop_search_by_sex",
        "Searches of people by sex (share of searches)",
        "%",
        ("stop_search_policeuk",),
        "No population by sex is shipped: shares and ratios of shares.",
    ),
    Measure(
        "stop_search_by_age",
        "Searches of people by age group (share of searches)",
        "%",
        ("stop_search_policeuk",),
        "No population by age is shipped: shares and ratios of shares.",
    ),
    Measure(
        "stop_search_strip_search",
        "Share of searches with removal of more than outer clothing, by ethnic group",
        "%",
        ("stop_search_policeuk",),
    ),
    Measure(
        "arrest_rate",
        "Arrests per 1,000 people, by ethnic group",
        "per 1,000",
        ("arrests_ho", "population_census2011"),
    ),
    Measure("arrest_disparity", "Arrest disparity ratio to White", "ratio", ("arrests_ho",)),
    Measure(
        "rri_stop_arrest",
        "Relative rate index: population to stop and search to arrest",
        "index",
        ("stop_search_policeuk",),
    ),
    Measure(
        "use_of_force_rate",
        "Use of force tactic uses per 1,000 people, by perceived ethnic group",
        "per 1,000",
        ("use_of_force_ho",),
    ),
    Measure("use_of_force_disparity", "Use of force disparity ratio to White", "ratio", ("use_of_force_ho",)),
    Measure(
        "taser_by_ethnicity",
        "Taser (CED) tactic uses by perceived ethnic group",
        "count",
        ("use_of_force_ho",),
    ),
    Measure(
        "use_of_force_incidents",
        "Use of force incidents (all ethnic groups)",
        "count",
        ("use_of_force_ho",),
        "Incidents in which force was used (Home Office Table 12); not people, not tactic uses.",
    ),
    Measure(
        "conviction_ratio",
        "Conviction ratio (convictions per prosecution), by ethnic group",
        "%",
        ("cjs_prosecutions_convictions",),
    ),
    Measure(
        "rri_prosecution_conviction",
        "Relative rate index: prosecution to conviction",
        "index",
        ("cjs_prosecutions_convictions",),
    ),
    Measure(
        "workforce_totals",
        "Police workforce by force (officers, staff, PCSOs, specials)",
        "count",
        ("workforce_totals_ho", "workforce_open_data_ho"),
    ),
    Measure(
        "workforce_women_representation",
        "Women in the police workforce, by rank and worker type",
        "%",
        ("workforce_open_data_ho",),
        "Women's share of officers by rank, staff, PCSOs and special constables (headcount, Wilson "
        "interval); the population comparison is not available (no census by sex ships).",
    ),
    Measure(
        "chief_officer_representation",
        "Chief officers by ethnicity against the local population",
        "ratio",
        ("workforce_chief_officers",),
    ),
    Measure(
        "workforce_representation",
        "Force workforce by ethnicity against the local population",
        "ratio",
        ("local:workforce",),
    ),
    Measure(
        "opcc_workforce_representation",
        "OPCC staff by ethnicity against the local population",
        "ratio",
        ("local:workforce",),
    ),
    Measure(
        "deaths_following_contact", "Deaths during or following police contact", "count", ("iopc_deaths",)
    ),
    Measure(
        "hate_crime_by_strand",
        "Hate crime recorded, by strand",
        "count",
        ("hate_crime_mps", "local:hate_crime"),
    ),
    Measure(
        "complaints_by_characteristic",
        "Complaints by protected characteristic",
        "count",
        ("local:complaints",),
    ),
    Measure(
        "victims_services_by_characteristic",
        "Victims' services take-up by protected characteristic",
        "count",
        ("local:victims_services",),
    ),
    Measure(
        "satisfaction_by_characteristic",
        "Service user satisfaction by protected characteristic",
        "%",
        ("local:satisfaction",),
    ),
    Measure("custody_by_ethnicity", "Custody detentions by ethnicity", "per 1,000", ("local:custody",)),
    Measure(
        "independent_custody_visits",
        "Independent custody visitors' findings by ethnicity",
        "count",
        ("local:custody_visits",),
    ),
    Measure(
        "use_of_force_local",
        "Taser and other use of force from local returns",
        "count",
        ("local:use_of_force",),
    ),
)


def get_measure(measure_id: str) -> Measure:
    for m in MEASURES:
        if m.id == measure_id:
            return m
    raise KeyError(f"Unknown measure {measure_id!r}; known: {', '.join(m.id for m in MEASURES)}")


def measure_ids() -> tuple[str, ...]:
    return tuple(m.id for m in MEASURES)
