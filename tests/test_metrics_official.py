"""The metrics reproduce published official figures from the raw data, to the precision published.

- GOV.UK Ethnicity facts and figures (EFF) national stop and search rates by ethnic group, 2009/10 to
  2019/20, from the counts and the Census 2011 populations in the EFF file (England and Wales excluding
  Greater Manchester), and the 2019/20 Black/White disparity ratio of 8.9.
- EFF 2022/23 national rates (Black 24.5, White 5.9 per 1,000 ...) from the EFF counts and our
  Census 2021 aggregation (TS021 by local authority).
- EFF 2022/23 rates by force area: counts derived from the published rates and Census 2021
  populations give back the published "All - excluding BTP" rates.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from eqlib import metrics as M
from eqlib.paths import raw_dir
from eqlib.report.narrative import format_ratio, round_half_up
from eqlib.sources import load_uncached

warnings.filterwarnings("ignore", category=UserWarning)


@pytest.fixture(scope="module")
def eff_national() -> pd.DataFrame:
    return load_uncached("stop_search_eff_national", raw_dir())


@pytest.fixture(scope="module")
def eff_2022() -> pd.DataFrame:
    return load_uncached("stop_search_eff_by_area", raw_dir())


@pytest.fixture(scope="module")
def census2021() -> pd.DataFrame:
    return load_uncached("population_census2021", raw_dir())


def _published(frame: pd.DataFrame, level: str = "broad") -> pd.DataFrame:
    return frame.loc[frame["level"] == level]


def test_eff_national_rates_2009_to_2020(eff_national):
    broad = _published(eff_national)
    broad = broad.loc[broad["count"].notna()]
    counts = broad[["area_code", "period", "group", "count"]]
    population = broad.loc[broad["group"] != "Not stated"].rename(columns={"denominator": "population"})
    assert population["period"].nunique() >= 11
    result = M.rates(counts, population[["area_code", "period", "group", "population"]], census_year=2011)
    published = population.set_index(["period", "group"])["rate"]
    ours = result.loc[result["group"].isin(published.index.get_level_values("group").unique())].set_index(
        ["period", "group"]
    )["value"]
    joined = pd.concat([ours.rename("ours"), published.rename("published")], axis=1, join="inner")
    assert len(joined) == 5 * population["period"].nunique()
    # published to 2 decimal places
    rounded = joined["ours"].map(lambda v: float(round_half_up(v, 2)))
    assert (rounded == joined["published"]).all(), joined.loc[rounded != joined["published"]]


def test_eff_all_rate_and_black_white_ratio_2019_20(eff_national):
    year = eff_national.loc[eff_national["period"] == "2019-20"]
    broad = _published(year)
    counts = broad[["area_code", "period", "group", "count"]]
    population = broad.loc[broad["group"] != "Not stated", ["area_code", "group", "denominator"]].rename(
        columns={"denominator": "population"}
    )
    rates = M.rates(counts, population, census_year=2011)
    all_row = rates.loc[rates["group"] == "All"].iloc[0]
    published_all = _published(year, "total").iloc[0]
    assert all_row["count"] == published_all["count"]
    assert float(round_half_up(all_row["value"], 2)) == published_all["rate"]
    ratio = M.disparity(counts, population).set_index("group").loc["Black"]
    # Ethnicity facts and figures and StopWatch: 8.9 (from unrounded rates; 54 / 6 would be 9.0)
    assert format_ratio(ratio["value"]) == "8.9"
    assert ratio["ci_low"] < ratio["value"] < ratio["ci_high"]
    assert ratio["p_value"] < 1e-10
    # the figures carry the not-stated share (17% of all searches in 2019/20: over 10%)
    assert "not_stated_high" in ratio["caveats"]


def test_eff_2022_23_national_rates_from_census_2021(eff_2022, census2021):
    national = eff_2022.loc[(eff_2022["table"] == "by_ethnicity") & (eff_2022["level"] == "broad")]
    counts = national[["area_code", "period", "group", "count"]]
    assert counts["count"].notna().all()
    pop = M.population_frame(census2021.loc[census2021["area_code"] == "K04000001"])
    assert set(pop["group"]) == {"Asian", "Black", "Mixed", "White", "Other"}
    # the aggregation over the 43 force areas gives the same national populations
    forces = M.population_frame(census2021.loc[census2021["area_code"] != "K04000001"])
    assert np.allclose(
        forces.groupby("group")["population"].sum().sort_index().to_numpy(),
        pop.set_index("group")["population"].sort_index().to_numpy(),
    )
    result = M.rates(counts, pop).set_index("group")
    published = national.set_index("group")["rate"].dropna()
    assert {"Black", "White"} <= set(published.index)
    for group, rate in published.items():
        assert float(round_half_up(result.loc[group, "value"], 1)) == rate, (
            group,
            result.loc[group, "value"],
        )
    assert float(round_half_up(result.loc["Black", "value"], 1)) == 24.5
    assert float(round_half_up(result.loc["White", "value"], 1)) == 5.9
    total = eff_2022.loc[(eff_2022["table"] == "by_ethnicity") & (eff_2022["level"] == "total")].iloc[0]
    assert float(round_half_up(result.loc["All", "value"], 1)) == total["rate"]
    assert "old_census_denominator" not in result.loc["Black", "caveats"]


def test_eff_2022_23_derived_force_counts_give_back_national_rates(eff_2022, census2021):
    by_area = eff_2022.loc[(eff_2022["table"] == "by_area") & (eff_2022["level"] == "broad")]
    forces = by_area.loc[~by_area["area_code"].isin(["K04000001", "BTP"])]
    population = M.population_frame(census2021.loc[census2021["area_code"] != "K04000001"])
    derived = M.derive_counts(forces[["area_code", "period", "group", "rate"]], population)
    assert derived["derived"].all()
    missing = derived.loc[derived["count"].isna()]
    assert (missing["symbol"] == "[x]").all()
    # City of London has no published rates (N/A): nothing invented for it
    assert set(missing["area_code"]) <= {"E23000034"}
    rates = M.rates(derived.drop(columns="population"), population, include_all=False)
    assert rates["caveats"].map(lambda c: "derived_count" in c).all()
    # national rates from the derived counts: published "All - excluding BTP" to within the rounding
    usable = derived.dropna(subset=["count"])
    national = usable.groupby("group")["count"].sum() / usable.groupby("group")["population"].sum() * 1000
    published = by_area.loc[by_area["source_area"] == "All - excluding BTP"].set_index("group")["rate"]
    assert published.index.is_unique
    for group in ("Asian", "Black", "Mixed", "White", "Other"):
        assert abs(national[group] - published[group]) < 0.25, (group, national[group], published[group])
    # a force's own rate comes back to the published decimal
    own = rates.set_index(["area_code", "group"])["value"]
    sample = forces.dropna(subset=["rate"]).set_index(["area_code", "group"])["rate"]
    back = own.reindex(sample.index).map(lambda v: float(round_half_up(v, 1)))
    assert (back == sample).all()


def test_policeuk_months_to_financial_years_with_partial_flag():
    monthly = load_uncached("stop_search_policeuk", raw_dir())
    coverage = load_uncached("stop_search_policeuk_coverage", raw_dir())
    people = monthly.loc[~monthly["vehicle_only"].astype(bool)]
    years = M.by_financial_year(
        people, coverage=coverage, keep=("outcome_group", "outcome_linked", "legislation")
    )
    # every search is kept: the yearly counts add up to the monthly ones
    assert years["count"].sum() == people["count"].sum()
    flags = years.drop_duplicates(["area_code", "period"]).set_index(["area_code", "period"])["partial"]
    # Gwent August 2019 is missing at source: 2019-20 is partial; 2021-22 is complete
    assert flags.loc[("W15000002", "2019-20")]
    assert not flags.loc[("W15000002", "2021-22")]
    population = M.population_frame(load_uncached("population_census2021", raw_dir()))
    gwent = M.disparity(years.loc[years["area_code"] == "W15000002"], population)
    partial = gwent.loc[gwent["period"] == "2019-20", "caveats"]
    assert partial.map(lambda c: "partial_period" in c).all()
    full = gwent.loc[gwent["period"] == "2021-22"]
    assert not full["caveats"].map(lambda c: "partial_period" in c).any()
    assert full["caveats"].map(lambda c: "police_uk_not_official" in c).all()
    black = full.set_index("group").loc["Black"]
    assert black["symbol"] == "" and black["ci_low"] < black["value"] < black["ci_high"]
    # the four outcome shares from the same frame
    year = years.loc[(years["period"] == "2021-22") & (years["area_code"] == "W15000002")]
    shares = M.policeuk_outcome_shares(year)
    assert {
        "stop_search_arrest_rate",
        "stop_search_no_further_action",
        "stop_search_outcome_linked",
        "stop_search_s60_share",
    } <= set(shares["measure"])
    assert shares["value"].dropna().loc[~shares["measure"].str.endswith("_ratio")].between(0, 100).all()
    # Gwent recorded no "outcome linked" answers that year: not available ([x]), not 0%
    linked = shares.loc[shares["measure"] == "stop_search_outcome_linked"]
    if (year["outcome_linked"] == "Not recorded").all():
        assert (linked["symbol"] == "[x]").all() and linked["value"].isna().all()
    white = shares.loc[(shares["measure"] == "stop_search_arrest_rate") & (shares["group"] == "White")].iloc[
        0
    ]
    w = year.loc[year["group"] == "White"]
    assert white["count"] == w.loc[w["outcome_group"] == "arrest", "count"].sum()
    assert white["denominator"] == w.loc[w["outcome_group"] != "Not recorded", "count"].sum()
