"""The test vectors of METHODS.md, through the public metric functions, and the vectorised score
intervals against the scalar statsmodels functions they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.rates import confint_poisson_2indep

from eqlib import metrics as M
from eqlib.metrics import _stats

AREA = "W15000004"


def _pair(n1, e1, n2, e2, groups=("Black", "White")):
    counts = pd.DataFrame(
        {"area_code": AREA, "period": "2021-22", "group": list(groups), "count": [float(n1), float(n2)]}
    )
    population = pd.DataFrame(
        {"area_code": AREA, "group": list(groups), "population": [float(e1), float(e2)]}
    )
    return counts, population


def _one(frame: pd.DataFrame, group: str = "Black") -> pd.Series:
    rows = frame.loc[frame["group"] == group]
    assert len(rows) == 1
    return rows.iloc[0]


def test_rate_ratio_score_interval():
    c, p = _pair(120, 25_000, 900, 1_500_000)
    row = _one(M.disparity(c, p, include_minority=False))
    assert row["value"] == pytest.approx(8.0)
    assert row["ci_low"] == pytest.approx(6.6144, abs=5e-5)
    assert row["ci_high"] == pytest.approx(9.6758, abs=5e-5)
    assert "score" in row["method"]


def test_rate_ratio_wald_log_interval():
    c, p = _pair(120, 25_000, 900, 1_500_000)
    row = _one(M.disparity(c, p, include_minority=False, interval="wald-log"))
    assert (round(row["ci_low"], 4), round(row["ci_high"], 4)) == (6.6125, 9.6786)


def test_rate_ratio_exact_conditional_interval():
    c, p = _pair(120, 25_000, 900, 1_500_000)
    row = _one(M.disparity(c, p, include_minority=False, interval="exact"))
    assert (round(row["ci_low"], 4), round(row["ci_high"], 4)) == (6.5565, 9.6881)


def test_small_count_uses_exact_conditional_automatically():
    c, p = _pair(4, 3_000, 900, 1_500_000)
    row = _one(M.disparity(c, p, include_minority=False))
    assert row["value"] == pytest.approx(2.2222, abs=5e-5)
    assert (round(row["ci_low"], 4), round(row["ci_high"], 4)) == (0.6042, 5.7095)
    assert "exact conditional" in row["method"]
    assert "small_count" in row["caveats"]
    # the exact conditional test (statsmodels test_poisson_2indep exact-cond), not the score test
    from statsmodels.stats.rates import test_poisson_2indep

    assert row["p_value"] == pytest.approx(
        test_poisson_2indep(4, 3000, 900, 1.5e6, method="exact-cond").pvalue
    )


def test_single_exact_rate():
    c, p = _pair(120, 25_000, 900, 1_500_000)
    row = _one(M.rates(c, p, include_minority=False, include_all=False))
    assert row["value"] == pytest.approx(4.8)
    assert (round(row["ci_low"], 4), round(row["ci_high"], 4)) == (3.9797, 5.7396)


def test_wilson_interval():
    events = pd.DataFrame(
        {
            "area_code": AREA,
            "period": "2021-22",
            "group": ["Black", "White"],
            "count": [14.0, 30.0],
            "denominator": [120.0, 400.0],
        }
    )
    share = _one(
        M.proportions(events, measure="stop_search_arrest_rate", include_minority=False, compare=False)
    )
    assert (round(share["ci_low"] / 100, 5), round(share["ci_high"] / 100, 5)) == (0.07078, 0.18633)


def test_katz_risk_ratio():
    events = pd.DataFrame(
        {
            "area_code": AREA,
            "period": "2021-22",
            "group": ["Black", "White"],
            "count": [10.0, 12.0],
            "denominator": [75.0, 225.0],
        }
    )
    out = M.proportions(
        events, measure="stop_search_arrest_rate", include_minority=False, ratio_interval="katz"
    )
    ratio = out.loc[out["measure"] == "stop_search_arrest_rate_ratio"].iloc[0]
    assert ratio["value"] == pytest.approx(2.5)
    assert ratio["ci_low"] == pytest.approx(1.1261564, abs=1e-7)
    assert ratio["ci_high"] == pytest.approx(5.5498508, abs=1e-7)
    # the same interval as scipy's relative_risk (Katz) documentation example
    from scipy.stats.contingency import relative_risk

    ci = relative_risk(10, 75, 12, 225).confidence_interval(0.95)
    assert ratio["ci_low"] == pytest.approx(ci.low) and ratio["ci_high"] == pytest.approx(ci.high)


@pytest.mark.parametrize("seed", [1, 2])
def test_vectorised_poisson_score_matches_statsmodels(seed):
    rng = np.random.default_rng(seed)
    n = 25
    c1 = rng.integers(1, 500, n).astype(float)
    c2 = rng.integers(1, 5000, n).astype(float)
    e1 = rng.integers(1_000, 200_000, n).astype(float)
    e2 = rng.integers(100_000, 3_000_000, n).astype(float)
    low, high = _stats.rate_ratio_score_ci(c1, e1, c2, e2)
    for i in range(n):
        ref = confint_poisson_2indep(c1[i], e1[i], c2[i], e2[i], compare="ratio", method="score")
        assert low[i] == pytest.approx(ref[0], rel=1e-6)
        assert high[i] == pytest.approx(ref[1], rel=1e-6)


@pytest.mark.parametrize("seed", [3, 4])
def test_vectorised_proportion_ratio_score_matches_statsmodels(seed):
    rng = np.random.default_rng(seed)
    n = 25
    n1 = rng.integers(20, 3000, n).astype(float)
    n2 = rng.integers(20, 3000, n).astype(float)
    c1 = np.minimum(rng.binomial(n1.astype(int), 0.2), n1 - 1).astype(float)
    c2 = np.maximum(rng.binomial(n2.astype(int), 0.15), 1).astype(float)
    low, high = _stats.proportion_ratio_score_ci(c1, n1, c2, n2)
    for i in range(n):
        ref = confint_proportions_2indep(c1[i], n1[i], c2[i], n2[i], compare="ratio", method="score")
        assert low[i] == pytest.approx(ref[0], rel=1e-6, abs=1e-9)
        assert high[i] == pytest.approx(ref[1], rel=1e-6)
