"""eqlib.report.narrative: rounding rules, RDU wording, intervals and caveats in the sentence."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from eqlib import metrics as M
from eqlib.report import narrative as N


def _row(**kw):
    base = dict(
        area_code="W15000002",
        area_name="South Wales",
        period="2021-22",
        measure="stop_search_disparity",
        group="Black",
        reference_group="White",
        count=500.0,
        denominator=20_000.0,
        value=3.21,
        ci_low=2.94,
        ci_high=3.52,
        p_value=1e-9,
        method="",
        symbol="",
        caveats=(),
    )
    base.update(kw)
    return base


def test_the_issue_example_sentence():
    text = N.sentence(_row(), not_stated_share=12.3)
    assert text == (
        "In 2021/22 Black people were 3.2 times (95% CI 2.9 to 3.5) as likely as White people to be "
        "stopped and searched in South Wales. 12% of searches did not record ethnicity."
    )


@pytest.mark.parametrize(
    "value,expected", [(8.86, "8.9"), (2.25, "2.3"), (2.35, "2.4"), (1234.56, "1,234.6"), (0.05, "0.1")]
)
def test_ratios_round_half_up_to_one_decimal(value, expected):
    assert N.format_ratio(value) == expected


@pytest.mark.parametrize(
    "value,expected",
    [
        (12.4, "12%"),
        (12.5, "13%"),
        (0.3, "less than 1%"),
        (0.0, "0%"),
        (99.7, "more than 99%"),
        (100.0, "100%"),
    ],
)
def test_percentages_whole_numbers(value, expected):
    assert N.format_percent(value) == expected


@pytest.mark.parametrize(
    "value,expected",
    [(54.1129, "54.1"), (6.1065, "6.1"), (24.45, "24.5"), (156.96, "157"), (1234.4, "1,234")],
)
def test_rates_one_decimal_whole_from_100(value, expected):
    assert N.format_rate(value) == expected


def test_counts_have_thousands_separators():
    assert N.format_count(96905) == "96,905"


def test_ratio_below_one_is_said_the_other_way_round():
    text = N.sentence(_row(group="Asian", value=0.5, ci_low=0.4, ci_high=0.625))
    assert "Asian people were less likely than White people to be stopped and searched" in text
    assert "White people were 2.0 times (95% CI 1.6 to 2.5) as likely" in text
    assert "times less likely" not in text


def test_interval_including_one_is_said():
    text = N.sentence(_row(value=1.3, ci_low=0.9, ci_high=1.8))
    assert "consistent with no difference" in text


def test_no_discrimination_wording_anywhere():
    rows = [
        _row(),
        _row(value=0.4, ci_low=0.3, ci_high=0.5),
        _row(measure="stop_search_rate", value=12.0),
        _row(measure="stop_search_trend", value=0.9, ci_low=0.85, ci_high=0.95, period="2017-18 to 2021-22"),
    ]
    for row in rows:
        assert "discriminat" not in N.sentence(row).lower()


def test_rate_sentence_and_use_of_force_caveats():
    counts = pd.DataFrame(
        {"area_code": "W15000002", "period": "2021-22", "group": ["Black", "White"], "count": [30.0, 200.0]}
    )
    pop = pd.DataFrame(
        {"area_code": "W15000002", "group": ["Black", "White"], "population": [10_000.0, 500_000.0]}
    )
    row = M.rates(counts, pop, measure="use_of_force_rate").set_index("group").loc["Black"]
    text = N.sentence(row.to_dict() | {"group": "Black"})
    assert text.startswith("In 2021/22 there were 3.0 use of force incidents per 1,000 Black people (95% CI")
    assert "perceived by the officer" in text and "not people" in text


def test_trend_sentence():
    text = N.sentence(
        _row(measure="stop_search_trend", period="2017-18 to 2021-22", value=0.9, ci_low=0.85, ci_high=0.95)
    )
    assert text.startswith(
        "From 2017/18 to 2021/22 the disparity between Black people and White people in "
        "South Wales narrowed by 10% a year (95% CI 5% to 15%)"
    )


def test_missing_value_gives_reason_not_number():
    text = N.sentence(
        _row(value=math.nan, ci_low=math.nan, ci_high=math.nan, symbol="[x]", caveats=("zero_reference",))
    )
    assert "[x]" in text and "no events" in text
    assert "times" not in text


def test_small_count_caveat_sentence():
    text = N.sentence(_row(caveats=("small_count",)))
    assert text.endswith("fewer than 10 events, so it is unreliable and can change a lot from year to year.")


def test_metropolitan_police_place_name():
    assert "in the Metropolitan Police area" in N.sentence(_row(area_name="Metropolitan Police"))


def test_figure_sentences_attach_the_not_stated_share():
    counts = pd.DataFrame(
        {
            "area_code": "W15000002",
            "period": "2021-22",
            "group": ["Black", "White", "Not stated"],
            "count": [120.0, 900.0, 140.0],
        }
    )
    pop = pd.DataFrame(
        {"area_code": "W15000002", "group": ["Black", "White"], "population": [25_000.0, 1.1e6]}
    )
    figure = pd.concat([M.disparity(counts, pop, include_minority=False), M.not_stated_share(counts)])
    sentences = N.figure_sentences(figure)
    assert len(sentences) == 2
    share = round(100 * 140 / 1160)
    assert f"{share}% of searches did not record ethnicity." in sentences[0]
    # not_stated_high's generic text is replaced by the actual share
    assert "More than 10% of records" not in sentences[0]


def test_rri_sentence_reads_below_one_the_other_way():
    text = N.sentence(_row(measure="rri_stop_arrest", stage="arrest", value=0.8, ci_low=0.7, ci_high=0.9))
    assert "relative rate index at the arrest stage for Black people" in text
    assert "was 0.8 (95% CI 0.7 to 0.9)" in text
    assert "White people were 1.3 times as likely as Black people to reach this stage" in text


def test_share_sentence():
    text = N.sentence(
        _row(
            measure="stop_search_arrest_rate", reference_group="White", value=13.4, ci_low=11.0, ci_high=16.2
        )
    )
    assert text.startswith(
        "In 2021/22 13% of searches of Black people in South Wales led to arrest (95% CI 11% to 16%)."
    )


def test_representation_sentences_from_the_metric():
    workforce = pd.DataFrame(
        {
            "area_code": "W15000003",
            "period": "2023-03-31",
            "group": ["White", "Black", "Asian", "Not stated"],
            "count": [950.0, 10.0, 20.0, 20.0],
        }
    )
    population = pd.DataFrame(
        {
            "area_code": "W15000003",
            "group": ["White", "Black", "Asian"],
            "population": [900_000.0, 30_000.0, 70_000.0],
        }
    )
    figure = M.representation(workforce, population, include_minority=False)
    by = {(r["measure"], r["group"]): N.sentence(r) for r in figure.to_dict("records")}
    assert by[("workforce_representation_workforce_share", "Black")].startswith(
        "At 31 March 2023 Black people made up 1% of the staff of South Wales who stated their ethnicity (95% CI"
    )
    assert by[("workforce_representation_headcount_gap", "Black")] == (
        "At 31 March 2023 the workforce of South Wales would need 19 more staff from the Black group to match "
        "the group's share of the population."
    )
    assert by[("workforce_representation_not_stated_share", "Not stated")].startswith(
        "At 31 March 2023 2% of the staff of South Wales did not state their ethnicity"
    )
    assert (
        "represented in the workforce of South Wales at 0.3 times"
        in by[("workforce_representation", "Black")]
    )


def test_zero_ratio_has_a_sentence_not_a_division_by_zero():
    from eqlib.report import narrative

    row = dict(
        area_code="W15000003",
        area_name="South Wales",
        period="2021-22",
        measure="stop_search_disparity",
        group="Black",
        reference_group="White",
        count=0.0,
        denominator=100.0,
        value=0.0,
        ci_low=0.0,
        ci_high=2.5,
        p_value=0.3,
        symbol="",
        caveats=(),
    )
    text = narrative.sentence(row)
    assert "no Black people were recorded" in text and "ratio to White people is 0" in text
    text = narrative.sentence({**row, "measure": "rri_stop_arrest", "stage": "arrest"})
    assert "index is 0" in text
