"""Agreement, relative rate index, representation, trend, funnel limits, disclosure on figures, caveats,
and the common output shape, on small hand-made and synthetic frames."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy.stats.mstats import winsorize
from statsmodels.stats.proportion import proportion_confint

from eqlib import metrics as M
from eqlib.measures import measure_ids
from eqlib.metrics import caveats as cv
from eqlib.metrics._synthetic import synthetic

AREA = "W15000002"


@pytest.fixture(scope="module")
def synth():
    return synthetic(6, 5, seed=3)


def test_every_output_has_the_figure_columns_and_known_measures(synth):
    counts, population, outcomes = synth
    events = M.outcome_counts(outcomes, column="outcome", events={"Arrest"})
    frames = [
        M.rates(counts, population),
        M.disparity(counts, population),
        M.not_stated_share(counts),
        M.not_stated_bounds(counts, population),
        M.proportions(events, measure="stop_search_arrest_rate"),
        M.disparity_trend(counts, population),
    ]
    known = set(measure_ids())
    for frame in frames:
        assert tuple(frame.columns[: len(M.FIGURE_COLUMNS)]) == M.FIGURE_COLUMNS
        assert len(frame)
        # a measure id from eqlib.measures, or one suffixed for a companion statistic
        assert all(any(m == k or m.startswith(k + "_") for k in known) for m in frame["measure"].unique()), (
            frame["measure"].unique()
        )
        assert frame["caveats"].map(lambda c: isinstance(c, tuple) and all(x in cv.CAVEATS for x in c)).all()
    csv = M.to_csv_ready(frames[0])
    assert csv["caveats"].map(lambda c: isinstance(c, str)).all()


def test_rates_are_vectorised_over_areas_and_periods(synth):
    counts, population, _ = synth
    out = M.rates(counts, population)
    assert out["area_code"].nunique() == 6 and out["period"].nunique() == 5
    # 5 groups + minority + All for each area and period
    assert len(out) == 6 * 5 * 7
    # minority aggregate = sum of the four groups' counts over their populations
    one = out.loc[(out["area_code"] == out["area_code"].iloc[0]) & (out["period"] == out["period"].iloc[0])]
    one = one.set_index("group")
    members = ["Asian", "Black", "Mixed", "Other"]
    assert one.loc["All ethnic minority groups", "count"] == one.loc[members, "count"].sum()
    assert one.loc["All ethnic minority groups", "denominator"] == one.loc[members, "denominator"].sum()


def test_not_stated_share_and_flag():
    counts = pd.DataFrame(
        {
            "area_code": AREA,
            "period": "2021-22",
            "group": ["Black", "White", "Not stated"],
            "count": [20.0, 70.0, 15.0],
        }
    )
    pop = pd.DataFrame({"area_code": AREA, "group": ["Black", "White"], "population": [10_000.0, 500_000.0]})
    share = M.not_stated_share(counts).iloc[0]
    assert share["value"] == pytest.approx(100 * 15 / 105)
    assert share["count"] == 15 and share["denominator"] == 105
    rates = M.rates(counts, pop)
    assert rates["caveats"].map(lambda c: "not_stated_high" in c).all()
    bounds = M.not_stated_bounds(counts, pop, include_minority=False).iloc[0]
    assert bounds["ci_low"] == pytest.approx((20 / 10_000) / ((70 + 15) / 500_000))
    assert bounds["ci_high"] == pytest.approx(((20 + 15) / 10_000) / (70 / 500_000))
    assert bounds["ci_low"] < bounds["value"] < bounds["ci_high"]


def test_small_population_and_old_census_and_police_uk_caveats():
    city = "E23000034"  # City of London
    counts = pd.DataFrame(
        {
            "area_code": city,
            "period": "2021-22",
            "group": ["Black", "White"],
            "count": [300.0, 900.0],
            "dataset": "stop_search_policeuk",
        }
    )
    pop = pd.DataFrame(
        {"area_code": city, "group": ["Black", "White"], "population": [300.0, 6000.0], "census": 2011}
    )
    out = M.disparity(counts, pop)
    codes = out["caveats"].iloc[0]
    assert {"small_population", "old_census_denominator", "police_uk_not_official"} <= set(codes)
    before = M.rates(counts.assign(period="2019-20"), pop)
    assert not before["caveats"].map(lambda c: "old_census_denominator" in c).any()


def test_use_of_force_caveats():
    counts = pd.DataFrame(
        {"area_code": AREA, "period": "2021-22", "group": ["Black", "White"], "count": [30.0, 200.0]}
    )
    pop = pd.DataFrame({"area_code": AREA, "group": ["Black", "White"], "population": [10_000.0, 500_000.0]})
    out = M.rates(counts, pop, measure="use_of_force_rate")
    assert out["caveats"].map(lambda c: {"perceived_ethnicity", "incident_not_person"} <= set(c)).all()


def test_proportions_compare_with_reference():
    events = pd.DataFrame(
        {
            "area_code": AREA,
            "period": "2021-22",
            "group": ["Black", "White", "Not stated"],
            "count": [30.0, 40.0, 5.0],
            "denominator": [100.0, 400.0, 50.0],
        }
    )
    out = M.proportions(events, measure="stop_search_arrest_rate", include_minority=False)
    shares = out.loc[out["measure"] == "stop_search_arrest_rate"].set_index("group")
    assert shares.loc["Black", "value"] == pytest.approx(30.0)
    assert shares.loc["White", "reference_group"] == "" and np.isnan(shares.loc["White", "p_value"])
    assert shares.loc["Black", "p_value"] < 0.001  # 30% vs 10%
    ratios = out.loc[out["measure"] == "stop_search_arrest_rate_ratio"].set_index("group")
    assert ratios.loc["Black", "value"] == pytest.approx(3.0)
    assert ratios.loc["Black", "ci_low"] > 1
    assert "White" not in ratios.index


def test_outcome_counts_from_records():
    records = pd.DataFrame(
        {
            "area_code": AREA,
            "period": "2021-22",
            "group": ["Black", "Black", "White", "White", "White"],
            "outcome": ["Arrest", "A no further action disposal", "Arrest", "Arrest", "Community resolution"],
        }
    )
    events = M.outcome_counts(records, column="outcome", events={"Arrest"}).set_index("group")
    assert events.loc["Black", "count"] == 1 and events.loc["Black", "denominator"] == 2
    assert events.loc["White", "count"] == 2 and events.loc["White", "denominator"] == 3


def test_self_vs_officer_disagreement():
    records = pd.DataFrame(
        {
            "area_code": AREA,
            "period": "2021-22",
            "self_group": ["White"] * 10 + ["Black"] * 5 + ["Mixed"] * 4 + ["Not stated"] * 3,
            "officer_group": ["White"] * 9
            + ["Black"]
            + ["Black"] * 5
            + ["Black", "Black", "White", "Mixed"]
            + ["White"] * 3,
        }
    )
    table = M.cross_table(records)
    assert table["count"].sum() == len(records)
    out = M.disagreement(records).set_index("group")
    assert out.loc["White", "count"] == 1 and out.loc["White", "denominator"] == 10
    assert out.loc["Black", "value"] == 0
    assert out.loc["Mixed", "count"] == 3 and out.loc["Mixed", "denominator"] == 4
    assert "Not stated" not in out.index
    assert out.loc["All", "denominator"] == 19 and out.loc["All", "count"] == 4
    lo, hi = proportion_confint(1, 10, method="wilson")
    assert out.loc["White", "ci_low"] == pytest.approx(100 * lo) and out.loc[
        "White", "ci_high"
    ] == pytest.approx(100 * hi)


def test_relative_rate_index_by_hand():
    population = pd.DataFrame(
        {
            "area_code": AREA,
            "group": ["Black", "White", "Asian"],
            "population": [20_000.0, 1_000_000.0, 5_000.0],
        }
    )
    searches = pd.DataFrame(
        {
            "area_code": AREA,
            "period": "2021-22",
            "group": ["Black", "White", "Asian"],
            "count": [400.0, 4000.0, 30.0],
        }
    )
    arrests = pd.DataFrame(
        {
            "area_code": AREA,
            "period": "2021-22",
            "group": ["Black", "White", "Asian"],
            "count": [40.0, 600.0, 3.0],
        }
    )
    out = M.relative_rate_index(
        [population, searches, arrests],
        stage_names=["population", "stop and search", "arrest"],
        include_minority=False,
    )
    assert list(out["stage"].unique()) == ["stop and search", "arrest"]
    table = out.set_index(["stage", "group"])
    assert table.loc[("stop and search", "Black"), "value"] == pytest.approx(
        (400 / 20_000) / (4000 / 1_000_000)
    )
    arrest_black = table.loc[("arrest", "Black")]
    assert arrest_black["value"] == pytest.approx((40 / 400) / (600 / 4000))
    assert arrest_black["denominator"] == 400
    assert arrest_black["ci_low"] < arrest_black["value"] < arrest_black["ci_high"]
    # Asian people are 0.5% of this population and the arrest count is 3: insufficient
    asian = table.loc[("arrest", "Asian")]
    assert asian["symbol"] == "[u]" and "rri_insufficient" in asian["caveats"]
    assert table.loc[("stop and search", "Black"), "symbol"] == ""


def test_representation_by_hand():
    workforce = pd.DataFrame(
        {
            "area_code": AREA,
            "period": "2023-03-31",
            "group": ["White", "Black", "Asian", "Not stated"],
            "count": [950.0, 10.0, 20.0, 20.0],
        }
    )
    population = pd.DataFrame(
        {
            "area_code": AREA,
            "group": ["White", "Black", "Asian"],
            "population": [900_000.0, 30_000.0, 70_000.0],
        }
    )
    out = M.representation(
        workforce,
        population,
        include_minority=False,
        population_base="Census 2021 usual residents aged 16 to 64",
    )
    by = out.set_index(["measure", "group"])
    stated = 980
    assert by.loc[("workforce_representation_workforce_share", "Black"), "value"] == pytest.approx(
        100 * 10 / stated
    )
    assert by.loc[("workforce_representation_population_share", "Black"), "value"] == pytest.approx(3.0)
    ratio = by.loc[("workforce_representation", "Black")]
    assert ratio["value"] == pytest.approx((10 / stated) / 0.03)
    lo, hi = proportion_confint(10, stated, method="wilson")
    assert ratio["ci_low"] == pytest.approx(lo / 0.03) and ratio["ci_high"] == pytest.approx(hi / 0.03)
    assert "aged 16 to 64" in ratio["method"]
    gap = by.loc[("workforce_representation_headcount_gap", "Black"), "value"]
    assert gap == pytest.approx(0.03 * stated - 10)
    ns = by.loc[("workforce_representation_not_stated_share", "Not stated")]
    assert ns["value"] == pytest.approx(2.0) and ns["denominator"] == 1000


def test_trend_matches_the_statsmodels_formula(synth):
    counts, population, _ = synth
    out = M.disparity_trend(counts, population, include_minority=False)
    area = counts["area_code"].iloc[0]
    data = counts.loc[(counts["area_code"] == area) & (counts["group"] != "Not stated")].merge(
        population, on=["area_code", "group"]
    )
    data["year"] = data["period"].str[:4].astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # issue 9: period effects and quasi-Poisson standard errors (Pearson chi2 / df, at least 1)
        for g in ("Asian", "Black", "Mixed", "Other"):
            data[f"{g}_year"] = (data["group"] == g) * data["year"]
        formula = "count ~ C(group, Treatment('White')) + C(period) + Asian_year + Black_year + Mixed_year + Other_year"
        model = smf.glm(
            formula,
            data=data,
            family=__import__("statsmodels.api").api.families.Poisson(),
            offset=np.log(data["population"]),
        )
        fit = model.fit(scale="X2")
        estimated = fit.scale
        if fit.scale < 1:
            fit = model.fit(scale=1.0)
    ours = out.loc[out["area_code"] == area].set_index("group")
    for group in ("Asian", "Black", "Mixed", "Other"):
        term = f"{group}_year"
        assert ours.loc[group, "value"] == pytest.approx(np.exp(fit.params[term]), rel=1e-6)
        assert ours.loc[group, "p_value"] == pytest.approx(fit.pvalues[term], rel=1e-4, abs=1e-12)
        ci = np.exp(fit.conf_int().loc[term])
        assert ours.loc[group, "ci_low"] == pytest.approx(ci[0], rel=1e-6)
        assert ours.loc[group, "ci_high"] == pytest.approx(ci[1], rel=1e-6)
    assert ours.loc["Black", "dispersion"] == pytest.approx(max(estimated, 1.0), rel=1e-6)
    assert f"dispersion {estimated:.2f}" in ours.loc["Black", "method"]
    assert (ours["period"] == "2012-13 to 2016-17").all()
    black = data.loc[data["group"] == "Black"]
    assert ours.loc["Black", "count"] == black["count"].sum()
    assert ours.loc["Black", "denominator"] == black["population"].sum()


def test_trend_detects_a_narrowing_disparity():
    rows = []
    for t, year in enumerate(range(2015, 2022)):
        period = f"{year}-{(year + 1) % 100:02d}"
        rows += [(AREA, period, "Black", 2000.0 * 0.8**t), (AREA, period, "White", 5000.0)]
    counts = pd.DataFrame(rows, columns=["area_code", "period", "group", "count"])
    population = pd.DataFrame({"area_code": AREA, "group": ["Black", "White"], "population": [40_000.0, 1e6]})
    row = M.disparity_trend(counts, population, include_minority=False).iloc[0]
    assert row["value"] == pytest.approx(0.8, rel=1e-6)
    assert row["ci_high"] < 1 and row["p_value"] < 1e-6


def test_funnel_limits_rates_and_overdispersion(synth):
    counts, population, _ = synth
    rates = M.rates(counts, population)
    plain = M.funnel_limits(rates)
    assert set(M.BENCHMARK_COLUMNS) <= set(plain.columns)
    one = plain.loc[(plain["period"] == "2012-13") & (plain["group"] == "Black")]
    theta = one["count"].sum() / one["denominator"].sum()
    assert one["target"].iloc[0] == pytest.approx(1000 * theta)
    expected_upper = 1000 * (theta + 1.959964 * np.sqrt(theta / one["denominator"]))
    np.testing.assert_allclose(one["upper_95"], expected_upper, rtol=1e-6)
    assert (one["lower_998"] < one["lower_95"]).all() and (one["upper_95"] < one["upper_998"]).all()
    assert set(plain["position"]) <= {"within", "above 95%", "above 99.8%", "below 95%", "below 99.8%"}
    above = one["value"] > one["upper_998"]
    assert (one.loc[above, "position"] == "above 99.8%").all()
    # overdispersion: phi from winsorised z-scores, tau^2 from the formula
    wide = M.funnel_limits(rates, overdispersion=True)
    w1 = wide.loc[(wide["period"] == "2012-13") & (wide["group"] == "Black")]
    s = np.sqrt(theta / one["denominator"].to_numpy())
    z = (one["count"].to_numpy() / one["denominator"].to_numpy() - theta) / s
    phi = np.mean(np.asarray(winsorize(z, limits=(0.1, 0.1))) ** 2)
    assert w1["phi"].iloc[0] == pytest.approx(phi)
    k = len(z)
    weights = 1 / s**2
    tau2 = max(0.0, (k * phi - (k - 1)) / (weights.sum() - (weights**2).sum() / weights.sum()))
    assert w1["tau2"].iloc[0] == pytest.approx(tau2)
    assert (w1["upper_95"].to_numpy() >= one["upper_95"].to_numpy() - 1e-12).all()


def test_funnel_limits_for_ratios(synth):
    counts, population, _ = synth
    rates = M.rates(counts, population)
    ratio = M.ratio_funnel_inputs(M.disparity(counts, population), rates)
    out = M.funnel_limits(ratio, kind="ratio")
    one = out.loc[(out["period"] == "2013-14") & (out["group"] == "Black")]
    black = ratio.loc[
        (ratio["period"] == "2013-14") & (ratio["group"] == "Black") & (ratio["area_code"] != "K04000001")
    ]
    pooled = (black["count"].sum() / black["denominator"].sum()) / (
        black["ref_count"].sum() / black["ref_denominator"].sum()
    )
    assert one["target"].iloc[0] == pytest.approx(pooled)
    s = np.sqrt(
        1 / one["count"] + 1 / black.set_index("area_code").loc[one["area_code"], "ref_count"].to_numpy()
    )
    np.testing.assert_allclose(one["upper_998"], pooled * np.exp(3.090232 * s), rtol=1e-6)
    assert (one["lower_95"] < one["target"]).all() and (one["target"] < one["upper_95"]).all()
    curve = M.funnel_curve(one["target"].iloc[0], np.array([10.0, 100.0, 1000.0]), kind="ratio")
    assert (np.diff(curve["upper_95"]) < 0).all()  # limits narrow as precision grows


def test_suppress_figures_primary_secondary_and_audit():
    counts = pd.DataFrame(
        {
            "area_code": AREA,
            "period": "2021-22",
            "group": ["Asian", "Black", "Mixed", "White", "Other"],
            "count": [3.0, 40.0, 12.0, 900.0, 25.0],
        }
    )
    pop = pd.DataFrame(
        {
            "area_code": AREA,
            "group": ["Asian", "Black", "Mixed", "White", "Other"],
            "population": [20_000.0, 9_000.0, 80.0, 1e6, 7_000.0],
        }
    )
    rates = M.rates(counts, pop, include_all=False)
    published, audit = M.suppress_figures(rates)
    by = published.set_index("group")
    assert by.loc["Asian", "symbol"] == "[c]" and np.isnan(by.loc["Asian", "count"])
    # Asian could be recovered from the minority total: the next smallest component (Mixed, 12) goes too
    assert by.loc["Mixed", "symbol"] == "[c]" and np.isnan(by.loc["Mixed", "value"])
    assert "All ethnic minority groups" in by.index and by.loc["All ethnic minority groups", "symbol"] == ""
    assert by.loc["Black", "symbol"] == ""
    stages = audit.set_index("group")["stage"]
    assert stages.loc["Asian"] == "primary"
    assert "secondary" in set(audit.loc[audit["group"] == "Mixed", "stage"])
    # Mixed's population is 80 (< 100): its rate is hidden for that reason too (audited as primary)
    assert (audit.loc[audit["group"] == "Mixed", "reason"].str.contains("denominator")).any()


def test_suppress_table_simple_case():
    table = pd.DataFrame(
        [[3.0, 10.0, 13.0], [20.0, 30.0, 50.0], [23.0, 40.0, 63.0]],
        index=["a", "b", "Total"],
        columns=["x", "y", "Total"],
    )
    published, audit = M.suppress_table(table)
    assert published.loc["a", "x"] == "[c]"
    hidden = {(r, c) for r in published.index for c in published.columns if published.loc[r, c] == "[c]"}
    # a 2x2 core: all four cells must go
    assert {("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")} <= hidden
    assert published.loc["Total", "Total"] == 63.0
    assert len(audit) == len(hidden)


def test_caveat_text_and_add():
    frame = pd.DataFrame({"caveats": [(), ("small_count",)]})
    out = cv.add(frame, np.array([True, True]), "small_count")
    assert list(out["caveats"]) == [("small_count",), ("small_count",)]
    assert "fewer than 10" in cv.text("small_count")
    with pytest.raises(KeyError, match="Unknown caveat"):
        cv.text("nope")
    for code in (
        "small_count",
        "small_population",
        "not_stated_high",
        "old_census_denominator",
        "partial_period",
        "derived_count",
        "perceived_ethnicity",
        "incident_not_person",
        "police_uk_not_official",
    ):
        assert cv.text(code)
    assert set(cv.caveats_frame()["code"]) == set(cv.CAVEATS)


def test_partial_and_derived_flags_travel_with_figures():
    counts = pd.DataFrame(
        {
            "area_code": AREA,
            "period": "2021-22",
            "group": ["Black", "White"],
            "count": [30.0, 200.0],
            "partial": [True, False],
            "derived": [False, True],
        }
    )
    pop = pd.DataFrame({"area_code": AREA, "group": ["Black", "White"], "population": [10_000.0, 500_000.0]})
    out = M.disparity(counts, pop)
    assert out["caveats"].map(lambda c: {"partial_period", "derived_count"} <= set(c)).all()


@pytest.mark.parametrize(
    "module", ["eqlib.metrics.rates", "eqlib.metrics.disparity", "eqlib.report.narrative"]
)
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
