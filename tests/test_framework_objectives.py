"""Equality objectives: the status rule, computed by hand for known cases, and its properties."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eqlib import periods
from eqlib.framework import STATUS_RULE, Objective, objective_status
from eqlib.framework.objectives import STATUS_COLUMNS


def objective(
    direction="decrease",
    baseline=4.0,
    target=2.0,
    group="Black",
    measure="stop_search_disparity",
    baseline_period="2019-20",
    target_date=dt.date(2024, 3, 31),
) -> Objective:
    return Objective(
        id="EO1",
        statement="Reduce the disparity.",
        owner="Chief Constable",
        measure=measure,
        baseline_period=periods.parse(baseline_period),
        baseline_value=baseline,
        target_value=target,
        target_date=target_date,
        direction=direction,
        group=group,
    )


def latest(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        [dict(zip(("measure", "group", "period", "value"), r, strict=True)) for r in rows],
        columns=["measure", "group", "period", "value"],
    )


# baseline period 2019-20 ends 2020-03-31; target 2024-03-31 is 1,461 days later; 2021-22 ends 730 days
# after the baseline: elapsed = 730 / 1461 = 0.49966
ELAPSED_2021_22 = 730 / 1461


@pytest.mark.parametrize(
    ("value", "status", "progress"),
    [
        (3.0, "on track", 0.5),  # half the distance in 49.97% of the time
        (3.01, "off track", 0.495),  # 49.5% of the distance: just short of the time share
        (2.0, "achieved", 1.0),
        (1.5, "achieved", 1.25),
        (4.5, "off track", -0.25),  # moved away from the target
    ],
)
def test_status_decrease_by_hand(value, status, progress):
    out = objective_status([objective()], latest(("stop_search_disparity", "Black", "2021-22", value)))
    row = out.iloc[0]
    assert row["status"] == status
    assert row["progress"] == pytest.approx(progress)
    assert row["elapsed"] == pytest.approx(ELAPSED_2021_22)
    assert row["latest_period"] == "2021-22" and row["latest_value"] == value
    assert list(out.columns) == STATUS_COLUMNS
    assert row["rule"]  # the rule applied is written out


def test_status_increase_by_hand():
    obj = objective(direction="increase", baseline=0.4, target=0.8, measure="workforce_representation")
    out = objective_status(
        [obj],
        latest(
            ("workforce_representation", "Black", "2021-22", 0.6),
            ("workforce_representation", "Black", "2020-21", 0.45),
        ),
    )
    row = out.iloc[0]
    assert row["latest_period"] == "2021-22"  # the latest period is used
    assert row["progress"] == pytest.approx(0.5)
    assert row["status"] == "on track"


def test_no_data_cases():
    obj = objective()
    no_rows = objective_status([obj], latest())
    only_baseline = objective_status([obj], latest(("stop_search_disparity", "Black", "2019-20", 3.0)))
    nan_value = objective_status([obj], latest(("stop_search_disparity", "Black", "2021-22", math.nan)))
    other_group = objective_status([obj], latest(("stop_search_disparity", "Asian", "2021-22", 1.0)))
    for out in (no_rows, only_baseline, nan_value, other_group):
        assert out.iloc[0]["status"] == "no data"
        assert math.isnan(out.iloc[0]["progress"])


def test_target_date_passed_without_reaching_target_is_off_track():
    out = objective_status([objective()], latest(("stop_search_disparity", "Black", "2024-25", 2.1)))
    assert out.iloc[0]["elapsed"] == 1.0
    assert out.iloc[0]["status"] == "off track"


def test_objective_without_group_uses_the_all_groups_row():
    obj = objective(group=None, measure="stop_search_not_stated_share", baseline=20, target=10)
    out = objective_status(
        [obj],
        latest(
            ("stop_search_not_stated_share", "All", "2021-22", 14),
            ("stop_search_not_stated_share", "Black", "2021-22", 30),
        ),
    )
    assert out.iloc[0]["latest_value"] == 14
    assert out.iloc[0]["progress"] == pytest.approx(0.6)


def test_missing_columns_raise():
    with pytest.raises(ValueError, match="measure, group, period, value"):
        objective_status([objective()], pd.DataFrame({"measure": [], "value": []}))


def test_rule_is_documented():
    assert "pro-rata" in STATUS_RULE
    import eqlib.framework.objectives as mod

    assert "progress >= elapsed" in mod.__doc__


@settings(max_examples=200, deadline=None)
@given(
    baseline=st.floats(0.5, 10),
    delta=st.floats(0.1, 5),
    latest_value=st.floats(0, 20),
    decrease=st.booleans(),
)
def test_status_properties(baseline, delta, latest_value, decrease):
    target = baseline - delta if decrease else baseline + delta
    obj = objective(direction="decrease" if decrease else "increase", baseline=baseline, target=target)
    row = objective_status([obj], latest(("stop_search_disparity", "Black", "2021-22", latest_value))).iloc[0]
    reached = latest_value <= target if decrease else latest_value >= target
    assert (row["status"] == "achieved") == reached
    assert row["status"] in ("achieved", "on track", "off track")
    moved_away = latest_value > baseline if decrease else latest_value < baseline
    if moved_away:
        assert row["status"] == "off track"
    if row["status"] == "on track":
        assert row["progress"] >= row["elapsed"]
