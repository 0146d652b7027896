"""Holding to account: significant, not-narrowing disparities become questions for the Chief Constable."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from eqlib.errors import DataError
from eqlib.framework.accountability import OUTPUT_COLUMNS, accountability_questions

SW = "W15000003"


def disparity(group, value, low, high, p, period="2021-22", measure="stop_search_disparity", area=SW):
    return dict(
        area_code=area,
        period=period,
        measure=measure,
        group=group,
        reference_group="White",
        value=value,
        ci_low=low,
        ci_high=high,
        p_value=p,
    )


def trend(group, value, low, high, p, measure="stop_search_trend", area=SW):
    return dict(
        area_code=area, measure=measure, group=group, value=value, ci_low=low, ci_high=high, p_value=p
    )


DISPARITIES = pd.DataFrame(
    [
        disparity("Black", 3.2, 2.9, 3.5, 1e-12),  # significant; trend not significant -> raise
        disparity("Asian", 1.1, 0.9, 1.3, 0.30),  # not significant -> no question
        disparity("Mixed", 2.0, 1.6, 2.5, 1e-5),  # significant; narrowing -> no question
        disparity("Other", 1.8, 1.3, 2.4, 1e-3),  # significant; widening -> raise
        disparity("White", 1.0, 1.0, 1.0, math.nan),  # the reference group itself -> ignored
        disparity("Black", 9.9, 9.0, 11.0, 1e-12, period="2019-20"),  # an older period -> ignored
    ]
)
TRENDS = pd.DataFrame(
    [
        trend("Black", 0.98, 0.93, 1.03, 0.40),
        trend("Mixed", 0.85, 0.78, 0.93, 0.001),
        trend("Other", 1.12, 1.04, 1.21, 0.004),
    ]
)


def test_only_significant_not_narrowing_disparities():
    out = accountability_questions(DISPARITIES, TRENDS)
    assert list(out.columns) == OUTPUT_COLUMNS
    assert list(out["group"]) == ["Black", "Other"]  # largest disparity first
    by_group = out.set_index("group")
    assert by_group.loc["Black", "trend"] == "no significant change"
    assert by_group.loc["Other", "trend"] == "widening"
    assert by_group.loc["Black", "value"] == 3.2  # the latest period, not 2019-20
    assert by_group.loc["Black", "period"] == "2021-22"


def test_wording_evidence_and_question():
    out = accountability_questions(DISPARITIES, TRENDS).set_index("group")
    evidence = out.loc["Black", "evidence"]
    assert evidence.startswith(
        "In 2021/22 Black people were 3.2 times (95% CI 2.9 to 3.5) as likely as White "
        "people to be stopped and searched in South Wales."
    )
    assert "-2% a year" in evidence  # 0.98 per year
    question = out.loc["Black", "question"]
    assert question.endswith("?") and "disparity" in question and "South Wales" in question
    for text in list(out["evidence"]) + list(out["question"]):
        assert "discriminat" not in text.lower()  # RDU style: "disparity", not "discrimination"
    assert "2.2.1" in out.loc["Black", "criteria"]


def test_without_trends_every_significant_disparity_is_raised():
    out = accountability_questions(DISPARITIES)
    assert sorted(out["group"]) == ["Black", "Mixed", "Other"]
    assert set(out["trend"]) == {"no trend data"}
    assert "not enough years" in out.iloc[0]["evidence"]


def test_log_scale_trends():
    logs = TRENDS.assign(
        value=TRENDS["value"].map(math.log),
        ci_low=TRENDS["ci_low"].map(math.log),
        ci_high=TRENDS["ci_high"].map(math.log),
    )
    a = accountability_questions(DISPARITIES, logs, trend_scale="log")
    b = accountability_questions(DISPARITIES, TRENDS)
    assert list(a["group"]) == list(b["group"])
    assert a["trend_value"].tolist() == pytest.approx(b["trend_value"].tolist())


def test_ratio_below_one_narrows_upwards():
    d = pd.DataFrame([disparity("Asian", 0.5, 0.4, 0.6, 1e-6, measure="arrest_disparity")])
    rising = pd.DataFrame([trend("Asian", 1.1, 1.05, 1.15, 0.001, measure="arrest_disparity")])
    falling = pd.DataFrame([trend("Asian", 0.9, 0.85, 0.95, 0.001, measure="arrest_disparity")])
    assert accountability_questions(d, rising).empty  # moving towards 1: narrowing
    out = accountability_questions(d, falling)
    assert out.iloc[0]["trend"] == "widening"
    assert "0.50 times" in out.iloc[0]["evidence"] and "to be arrested" in out.iloc[0]["evidence"]


def test_significance_level_is_a_parameter():
    d = pd.DataFrame([disparity("Black", 1.5, 1.01, 2.1, 0.03)])
    assert len(accountability_questions(d, alpha=0.05)) == 1
    assert accountability_questions(d, alpha=0.01).empty


def test_missing_columns_are_a_data_error():
    with pytest.raises(DataError, match="p_value"):
        accountability_questions(DISPARITIES.drop(columns="p_value"))
    with pytest.raises(DataError, match="trend"):
        accountability_questions(DISPARITIES, TRENDS.drop(columns="ci_low"))


def test_interval_and_group_wording():
    d = pd.DataFrame([disparity("Other", 1.2, 1.03, 1.4, 0.02), disparity("Mixed", 1.5, 1.2, 1.9, 0.001)])
    out = accountability_questions(d).set_index("group")
    # one decimal would print "1.0 to 1.4", hiding that the interval excludes 1
    assert "(95% CI 1.03 to 1.40)" in out.loc["Other", "evidence"]
    assert out.loc["Other", "evidence"].startswith(
        "In 2021/22 people from other ethnic groups were 1.2 times"
    )
    assert "people of Mixed ethnicity" in out.loc["Mixed", "question"]
    assert "(95% CI 1.2 to 1.9)" in out.loc["Mixed", "evidence"]


# --------------------------------------------------------------------------- real data: South Wales
def _south_wales_stop_search():
    """Searches of people (vehicle-only excluded) by self-defined broad group and financial year, and the
    Census populations (2011 before 2021-22, 2021 from it), from the shipped police.uk and Census data."""
    from eqlib import periods, store

    ss = store.load("stop_search_policeuk")
    sw = ss[
        (ss["area_code"] == SW)
        & ~ss["vehicle_only"].fillna(False).astype(bool)
        & (ss["group"] != "Not stated")
    ].copy()
    sw["period"] = sw["period_start"].map(lambda d: periods.financial_year_of(d.date()).label)
    counts = sw.groupby(["area_code", "period", "group"], as_index=False)["count"].sum()
    pops = {}
    for census in ("population_census2011", "population_census2021"):
        p = store.load(census)
        pops[census] = (
            p[p["area_code"] == SW]
            .groupby(["area_code", "group"], as_index=False)["count"]
            .sum()
            .rename(columns={"count": "population"})
        )
    return counts, pops


def test_real_south_wales_questions_follow_the_rules():
    from eqlib.metrics import disparity as disparity_metric
    from eqlib.metrics.trend import disparity_trend

    counts, pops = _south_wales_stop_search()
    years = ["2019-20", "2020-21", "2021-22"]
    assert set(years) <= set(counts["period"])
    d = disparity_metric(counts[counts["period"] == "2021-22"], pops["population_census2021"])
    population = pd.concat(
        [
            pops["population_census2011" if y < "2021-22" else "population_census2021"].assign(period=y)
            for y in years
        ]
    )
    t = disparity_trend(counts[counts["period"].isin(years)], population)
    out = accountability_questions(d, t)
    black = d[d["group"] == "Black"].iloc[0]
    black_trend = t[t["group"] == "Black"].iloc[0]
    # Black people were about 3 times as likely as White people to be searched in 2021/22 (significant) ...
    assert 2.5 < black["value"] < 3.5 and black["p_value"] < 0.05 and black["ci_low"] > 1
    # ... and the disparity narrowed significantly from 2019-20, so it is not raised
    assert black_trend["ci_high"] < 1 and black_trend["p_value"] < 0.05
    assert "Black" not in set(out["group"])
    # every row raised is significant and not narrowing; every significant, not narrowing one is raised
    expected = set()
    for _, r in d.iterrows():
        tr = t[t["group"] == r["group"]]
        significant = r["p_value"] < 0.05 and (r["ci_low"] > 1 or r["ci_high"] < 1)
        narrowing = (
            not tr.empty
            and tr.iloc[0]["p_value"] < 0.05
            and (tr.iloc[0]["ci_high"] < 1 if r["value"] > 1 else tr.iloc[0]["ci_low"] > 1)
        )
        if significant and not narrowing:
            expected.add(r["group"])
    assert set(out["group"]) == expected


def test_real_south_wales_example_objective_status():
    """The example's EO1 (stop and search disparity, baseline 3.9 in 2020-21 on Census 2021 populations)
    against the 2021-22 figure computed from the shipped data."""
    from eqlib.framework import load_params, objective_status
    from eqlib.metrics import disparity as disparity_metric

    counts, pops = _south_wales_stop_search()
    base = disparity_metric(counts[counts["period"] == "2020-21"], pops["population_census2021"])
    assert base.loc[base["group"] == "Black", "value"].iloc[0] == pytest.approx(3.9, abs=0.05)
    d = disparity_metric(counts[counts["period"] == "2021-22"], pops["population_census2021"])
    params = load_params(Path(__file__).resolve().parents[1] / "params" / "south-wales-2021-22.yml")
    status = objective_status(params.objectives, d[["measure", "group", "period", "value"]]).set_index("id")
    assert status.loc["EO1", "latest_period"] == "2021-22"
    assert status.loc["EO1", "latest_value"] == pytest.approx(3.0, abs=0.1)
    assert status.loc["EO1", "status"] == "on track"
    assert status.loc["EO4", "status"] == "no data"


def test_questions_from_one_frame_of_figures():
    from eqlib.framework.accountability import questions

    trends = TRENDS.assign(period="2019-20 to 2021-22", reference_group="White")
    other_area = pd.DataFrame([disparity("Black", 5.0, 4.0, 6.0, 1e-9, area="W15000001")])
    figures = pd.concat([DISPARITIES, trends, other_area], ignore_index=True)
    out = questions(figures, area_name="South Wales")
    assert list(out["group"]) == ["Black", "Other"]
    assert set(questions(figures)["area_code"]) == {SW, "W15000001"}
    with pytest.raises(DataError, match="ci_low"):
        questions(
            pd.DataFrame(
                {
                    "area_code": [SW],
                    "measure": ["stop_search_disparity"],
                    "group": ["Black"],
                    "period": ["2021-22"],
                    "value": [3.0],
                }
            ),
            area_name="South Wales",
        )
