"""Bad input: zero or missing denominators, a zero reference count, negative counts, a group missing in
one period. Each gives a clear DataError or a GSS symbol with its reason; never inf or unexplained NaN."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eqlib import metrics as M
from eqlib.errors import DataError

AREA = "W15000002"  # Gwent


def _counts(rows):
    return pd.DataFrame(rows, columns=["area_code", "period", "group", "count"])


def _pop(rows):
    return pd.DataFrame(rows, columns=["area_code", "group", "population"])


def _no_inf(frame: pd.DataFrame) -> None:
    values = frame[["value", "ci_low", "ci_high"]].to_numpy(dtype=float)
    assert not np.isinf(values).any()
    nan_rows = np.isnan(values).any(axis=1)
    assert (frame.loc[nan_rows, "symbol"] != "").all()
    assert frame.loc[nan_rows, "caveats"].map(len).gt(0).all()


BASE_COUNTS = [
    (AREA, "2021-22", "Black", 120.0),
    (AREA, "2021-22", "White", 900.0),
    (AREA, "2021-22", "Asian", 50.0),
    (AREA, "2021-22", "Not stated", 30.0),
]
BASE_POP = [(AREA, "Black", 25_000.0), (AREA, "White", 1_100_000.0), (AREA, "Asian", 30_000.0)]


def test_negative_count_is_a_data_error_naming_row_and_column():
    rows = list(BASE_COUNTS)
    rows[2] = (AREA, "2021-22", "Asian", -3.0)
    with pytest.raises(DataError) as err:
        M.rates(_counts(rows), _pop(BASE_POP))
    message = str(err.value)
    assert "row 3" in message and "'count'" in message and "-3.0" in message


def test_negative_population_is_a_data_error():
    pop = list(BASE_POP)
    pop[0] = (AREA, "Black", -1.0)
    with pytest.raises(DataError, match="population"):
        M.disparity(_counts(BASE_COUNTS), _pop(pop))


def test_unknown_group_is_a_data_error():
    rows = [*BASE_COUNTS, (AREA, "2021-22", "Martian", 1.0)]
    with pytest.raises(DataError, match="unknown group"):
        M.rates(_counts(rows), _pop(BASE_POP))


def test_missing_count_without_symbol_is_a_data_error():
    rows = list(BASE_COUNTS)
    rows[0] = (AREA, "2021-22", "Black", np.nan)
    with pytest.raises(DataError, match="without a GSS symbol"):
        M.rates(_counts(rows), _pop(BASE_POP))


def test_zero_population_gives_z_with_reason():
    pop = [(AREA, "Black", 0.0), *BASE_POP[1:]]
    rates = M.rates(_counts(BASE_COUNTS), _pop(pop))
    black = rates.set_index("group").loc["Black"]
    assert np.isnan(black["value"]) and black["symbol"] == "[z]"
    assert "zero_denominator" in black["caveats"]
    _no_inf(rates)
    ratio = M.disparity(_counts(BASE_COUNTS), _pop(pop)).set_index("group").loc["Black"]
    assert ratio["symbol"] == "[z]" and "zero_denominator" in ratio["caveats"]


def test_missing_population_gives_x_with_reason():
    pop = BASE_POP[1:]  # no Black population
    rates = M.rates(_counts(BASE_COUNTS), _pop(pop))
    black = rates.set_index("group").loc["Black"]
    assert black["symbol"] == "[x]" and "missing_denominator" in black["caveats"]
    _no_inf(rates)
    # the minority aggregate cannot be computed without it either
    minority = rates.set_index("group").loc["All ethnic minority groups"]
    assert minority["symbol"] == "[x]"


def test_zero_reference_count_gives_x_not_inf():
    rows = [(AREA, "2021-22", "Black", 12.0), (AREA, "2021-22", "White", 0.0)]
    out = M.disparity(_counts(rows), _pop(BASE_POP[:2]))
    row = out.set_index("group").loc["Black"]
    assert np.isnan(row["value"]) and row["symbol"] == "[x]" and "zero_reference" in row["caveats"]
    _no_inf(out)
    bounds = M.not_stated_bounds(_counts(rows), _pop(BASE_POP[:2]))
    _no_inf(bounds)


def test_zero_group_count_gives_ratio_zero_with_finite_interval():
    rows = [(AREA, "2021-22", "Black", 0.0), (AREA, "2021-22", "White", 900.0)]
    row = M.disparity(_counts(rows), _pop(BASE_POP[:2]), include_minority=False).iloc[0]
    assert row["value"] == 0.0 and row["ci_low"] == 0.0 and np.isfinite(row["ci_high"]) and row["ci_high"] > 0


def test_missing_reference_group_everywhere_is_a_data_error():
    rows = [(AREA, "2021-22", "Black", 12.0)]
    with pytest.raises(DataError, match="White"):
        M.disparity(_counts(rows), _pop(BASE_POP))


def test_group_missing_in_one_period_is_marked_not_zero():
    rows = [*BASE_COUNTS, (AREA, "2022-23", "White", 800.0), (AREA, "2022-23", "Asian", 40.0)]
    rates = M.rates(_counts(rows), _pop(BASE_POP))
    black_2022 = rates.loc[(rates["group"] == "Black") & (rates["period"] == "2022-23")].iloc[0]
    assert black_2022["symbol"] == "[x]" and "group_missing_in_period" in black_2022["caveats"]
    assert np.isnan(black_2022["count"])
    _no_inf(rates)
    ratio = M.disparity(_counts(rows), _pop(BASE_POP))
    _no_inf(ratio)
    assert ratio.loc[(ratio["group"] == "Black") & (ratio["period"] == "2022-23"), "symbol"].iloc[0] == "[x]"


def test_suppressed_input_count_keeps_its_symbol():
    counts = _counts(BASE_COUNTS).assign(symbol="")
    counts.loc[0, "count"] = np.nan
    counts.loc[0, "symbol"] = "[c]"
    rates = M.rates(counts, _pop(BASE_POP))
    assert rates.set_index("group").loc["Black", "symbol"] == "[c]"
    _no_inf(rates)


def test_duplicate_population_rows_are_a_data_error():
    with pytest.raises(DataError, match="more than one population"):
        M.rates(_counts(BASE_COUNTS), _pop([*BASE_POP, (AREA, "Black", 1.0)]))


def test_missing_column_is_a_data_error():
    with pytest.raises(DataError, match="lacks column"):
        M.rates(_counts(BASE_COUNTS).drop(columns="period"), _pop(BASE_POP))


def test_events_larger_than_denominator_is_a_data_error():
    events = pd.DataFrame(
        {
            "area_code": AREA,
            "period": "2021-22",
            "group": ["Black", "White"],
            "count": [14.0, 500.0],
            "denominator": [120.0, 400.0],
        }
    )
    with pytest.raises(DataError, match="larger than its denominator"):
        M.proportions(events, measure="stop_search_arrest_rate")


def test_zero_denominator_share_gives_z():
    events = pd.DataFrame(
        {
            "area_code": AREA,
            "period": "2021-22",
            "group": ["Black", "White"],
            "count": [0.0, 30.0],
            "denominator": [0.0, 400.0],
        }
    )
    out = M.proportions(events, measure="stop_search_arrest_rate", include_minority=False)
    black = out.loc[(out["group"] == "Black") & (out["measure"] == "stop_search_arrest_rate")].iloc[0]
    assert black["symbol"] == "[z]"
    _no_inf(out)


def test_trend_refuses_fewer_than_three_periods_with_a_row():
    rows = [
        *BASE_COUNTS,
        (AREA, "2022-23", "Black", 100.0),
        (AREA, "2022-23", "White", 800.0),
        (AREA, "2022-23", "Asian", 40.0),
    ]
    out = M.disparity_trend(_counts(rows), _pop(BASE_POP))
    assert len(out) and (out["symbol"] == "[x]").all()
    assert out["caveats"].map(lambda c: "too_few_periods" in c).all()
    _no_inf(out)


def test_trend_all_zero_group_is_model_failed_not_inf():
    rows = []
    for year in range(2017, 2022):
        period = f"{year}-{(year + 1) % 100:02d}"
        rows += [
            (AREA, period, "Black", 0.0),
            (AREA, period, "White", 900.0 + year),
            (AREA, period, "Asian", 40.0 + year % 7),
        ]
    out = M.disparity_trend(_counts(rows), _pop(BASE_POP))
    black = out.set_index("group").loc["Black"]
    assert black["symbol"] == "[x]" and "model_failed" in black["caveats"]
    assert out.set_index("group").loc["Asian", "symbol"] == ""
    _no_inf(out)
