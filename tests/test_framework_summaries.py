"""Year on year comparison, the maturity grid, objectives and evidence summaries and their charts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from eqlib.framework import load_params, objective_status
from eqlib.framework.compare import compare_objectives, compare_self_assessments
from eqlib.framework.evidence import evidence_gaps, evidence_status
from eqlib.framework.summaries import (
    MET,
    OKABE_ITO,
    STATUS_COLOURS,
    evidence_chart,
    evidence_gap_table,
    maturity_chart,
    maturity_grid,
    maturity_table,
    objectives_chart,
    objectives_table,
)

PARAMS = Path(__file__).resolve().parents[1] / "params"
CURRENT = load_params(PARAMS / "south-wales-2021-22.yml")
PREVIOUS = load_params(PARAMS / "south-wales-2020-21.yml")


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# --------------------------------------------------------------------------- year on year
def test_compare_self_assessments_example_years():
    cmp = compare_self_assessments(PREVIOUS.self_assessment, CURRENT.self_assessment).set_index("theme")
    assert len(cmp) == 16
    assert cmp.loc[1, "change"] == "up" and cmp.loc[1, "criteria_gained"] == "1.2.2; 1.2.7"
    assert cmp.loc[3, "change"] == "down" and cmp.loc[3, "criteria_lost"] == "3.2.1"
    assert cmp.loc[9, "change"] == "up" and cmp.loc[9, "current_level"] == "Advancing"
    assert cmp.loc[16, "current_level"] == "below Developing"
    assert (cmp.drop(index=[1, 3, 9])["change"] == "same").all()


def test_compare_self_assessments_new_and_dropped_themes():
    from eqlib.framework.self_assessment import SelfAssessment

    cmp = compare_self_assessments(
        SelfAssessment(themes=CURRENT.self_assessment.themes[:2]),
        SelfAssessment(themes=CURRENT.self_assessment.themes[1:3]),
    ).set_index("theme")
    assert cmp.loc[1, "change"] == "no longer assessed"
    assert cmp.loc[2, "change"] == "same"
    assert cmp.loc[3, "change"] == "newly assessed"
    assert cmp.loc[4, "change"] == "not assessed"


def test_compare_objectives_across_years():
    prev_data = pd.DataFrame(
        {
            "measure": ["stop_search_disparity", "use_of_force_disparity"],
            "group": ["Black", "Black"],
            "period": ["2020-21", "2020-21"],
            "value": [6.0, 2.5],
        }
    )
    curr_data = pd.DataFrame(
        {
            "measure": ["stop_search_disparity", "use_of_force_disparity"],
            "group": ["Black", "Black"],
            "period": ["2021-22", "2021-22"],
            "value": [3.0, 2.9],
        }
    )
    prev = objective_status(PREVIOUS.objectives, prev_data)
    curr = objective_status(CURRENT.objectives, curr_data)
    out = compare_objectives(prev, curr).set_index("id")
    # EO1 in 2020-21: baseline 6.8 (2019-20), target 3.5: 6.0 is 24% of the way with 20% of the time gone;
    # in 2021-22, re-based: baseline 3.9 (2020-21), target 2.5: 3.0 is 64% of the way with 25% of the time
    assert out.loc["EO1", "previous_progress"] == pytest.approx(0.8 / 3.3)
    assert out.loc["EO1", "current_progress"] == pytest.approx(0.9 / 1.4)
    assert out.loc["EO1", "previous_status"] == "on track" and out.loc["EO1", "current_status"] == "on track"
    assert out.loc["EO1", "change"] == "improved"
    assert "baseline period" in out.loc["EO1", "note"] and "baseline value" in out.loc["EO1", "note"]
    # EO2: 3.0 -> 2.5 (50% of the way at 20% of time: on track) -> 2.9 (10% at 40%: off track)
    assert out.loc["EO2", "previous_status"] == "on track" and out.loc["EO2", "change"] == "worsened"
    assert out.loc["EO2", "note"] == ""
    assert out.loc["EO4", "change"] == "no data"
    assert out.loc["EO5", "change"] == "new"  # set in 2021-22 only
    dropped = compare_objectives(curr, prev).set_index("id")
    assert dropped.loc["EO5", "change"] == "dropped"


# --------------------------------------------------------------------------- maturity grid
def test_maturity_grid_frame():
    grid = maturity_grid(CURRENT.self_assessment)
    assert len(grid) == 48 and grid.groupby("theme").size().eq(3).all()
    assert grid["criteria_total"].sum() == 254
    assert grid["criteria_met"].sum() == len(CURRENT.self_assessment.criteria_met_ids())
    theme9 = grid[grid["theme"] == 9]
    assert theme9["met"].all() and (theme9["theme_level"] == "Advancing").all()
    theme16 = grid[grid["theme"] == 16]
    assert not theme16["met"].any() and theme16["assessed"].all()
    # the met cells are exactly the descriptors the self-assessment claims
    claimed = {d for t in CURRENT.self_assessment.themes for d in t.descriptors_met}
    assert set(grid.loc[grid["met"], "descriptor"]) == claimed


def test_maturity_table_and_chart():
    table = maturity_table(CURRENT.self_assessment)
    assert len(table) == 16
    assert list(table.columns) == [
        "Section",
        "Theme",
        "Level reached",
        "Developing",
        "Achieving",
        "Advancing",
    ]
    row9 = table[table["Theme"].str.startswith("Theme 9:")].iloc[0]
    assert row9["Level reached"] == "Advancing" and row9["Advancing"].startswith("Met")
    fig, alt = maturity_chart(CURRENT.self_assessment, area_name="South Wales", year="2021/22")
    assert isinstance(fig, Figure)
    assert "South Wales, 2021/22" in alt
    assert "Advancing reached in 1 theme: 9 Equality Objectives and Annual Reporting" in alt
    assert f"{len(CURRENT.self_assessment.criteria_met_ids())} of 254 criteria met" in alt
    assert "Below Developing in 1: 16 Health and Wellbeing" in alt


def test_maturity_alt_text_follows_the_data():
    _, alt_prev = maturity_chart(PREVIOUS.self_assessment)
    _, alt_curr = maturity_chart(CURRENT.self_assessment)
    assert alt_prev != alt_curr
    assert "Advancing reached" not in alt_prev  # no theme at Advancing in 2020-21
    # 2020-21: themes 2, 3, 6, 8, 9 and 14 at Achieving (3 fell back, 9 went up, 1 went up in 2021-22)
    assert "Achieving reached in 6 themes: 2 Analysing" in alt_prev


# --------------------------------------------------------------------------- objectives and evidence
def test_objectives_table_and_chart():
    data = pd.DataFrame(
        {"measure": ["stop_search_disparity"], "group": ["Black"], "period": ["2021-22"], "value": [3.0]}
    )
    status = objective_status(CURRENT.objectives, data)
    table = objectives_table(status)
    assert len(table) == len(CURRENT.objectives)
    assert set(table["Status"]) == {"on track", "no data"}
    assert "How the status was decided" in table.columns
    fig, alt = objectives_chart(status)
    assert isinstance(fig, Figure)
    assert f"Progress of {len(status)} equality objectives" in alt
    assert "0 achieved; 1 on track; 0 off track; 4 no data." in alt
    assert "EO1: 64% of the way to the target with 25% of the time elapsed, on track." in alt


def test_evidence_gap_table_and_chart():
    available = {"stop_search_rate", "stop_search_disparity"}
    status = evidence_status(available)
    table = evidence_gap_table(evidence_gaps(available))
    assert len(table) == (status["status"] != "supported").sum()
    assert {"Criterion", "Missing measures", "Data needed"} <= set(table.columns)
    fig, alt = evidence_chart(status)
    assert isinstance(fig, Figure)
    counts = status["status"].value_counts()
    assert (
        f"Of the {len(status)} framework criteria that need data, {counts.get('supported', 0)} are supported"
        in alt
    )
    assert f"{counts['gap']} are evidence gaps" in alt


def test_palette_is_okabe_ito_and_text_contrast():
    assert set(STATUS_COLOURS.values()) - {"#707070"} <= set(OKABE_ITO.values())
    assert contrast(MET, "#ffffff") >= 4.5  # white labels on met cells
    assert contrast("#1a1a1a", OKABE_ITO["vermillion"]) >= 4.5  # dark labels on gap bars
    assert contrast("#1a1a1a", OKABE_ITO["sky blue"]) >= 4.5


def test_level_change_chart():
    from eqlib.framework.summaries import level_change_chart

    cmp = compare_self_assessments(PREVIOUS.self_assessment, CURRENT.self_assessment)
    fig, alt = level_change_chart(cmp, previous="2020/21", current="2021/22")
    assert isinstance(fig, Figure)
    assert alt.startswith("Level reached in each of the 16 framework themes, 2020/21 and 2021/22.")
    assert "Moved up in 2: 1 Collecting and Sharing Information (Developing to Achieving)" in alt
    assert "Moved down in 1: 3 Effective Community Engagement (Achieving to Developing)." in alt
    assert "13 themes stayed at the same level." in alt
