"""The fast paths of the metrics give statsmodels' own numbers, bit for bit.

``eqlib.metrics._glm`` steps the trend's Poisson GLM without building a statsmodels model per fit,
and ``eqlib.metrics._stats`` evaluates the score statistics its interval root finder calls ~40
times without their p-values. Both copy statsmodels' arithmetic; these tests fail if a statsmodels
release changes it (then the fast path must follow, or go).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats import proportion as sm_proportion
from statsmodels.stats import rates as sm_rates

from eqlib.metrics import _glm, _stats


def _problem(rng: np.random.Generator, n_periods: int, n_groups: int):
    periods = np.repeat(np.arange(n_periods), n_groups)
    groups = np.tile(np.arange(n_groups), n_periods)
    population = rng.integers(2_000, 2_000_000, n_groups).astype(float)[groups]
    rate = rng.uniform(0.002, 0.05, n_groups)[groups] * np.exp(
        rng.normal(0, 0.05, n_groups)[groups] * periods
    )
    endog = rng.poisson(rate * population * rng.lognormal(0, 0.1, len(periods))).astype(float)
    year = periods - periods.mean()
    dummies = [(groups == g).astype(float) for g in range(1, n_groups)]
    period_dummies = [(periods == p).astype(float) for p in range(1, n_periods)]
    exog = np.column_stack([np.ones(len(endog)), *dummies, *period_dummies, *(d * year for d in dummies)])
    return endog, exog, np.log(population)


@pytest.mark.parametrize("seed", range(6))
def test_poisson_irls_is_statsmodels_glm_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    endog, exog, offset = _problem(rng, int(rng.integers(3, 11)), int(rng.integers(2, 6)))
    model = sm.GLM(endog, exog, family=sm.families.Poisson(), offset=offset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = model.fit(scale=1.0)
    path = _glm.PoissonIRLS(endog, exog, offset)
    ours = path.fit(1.0)
    assert np.array_equal(ours.params, np.asarray(reference.params))
    assert np.array_equal(ours.bse, np.asarray(reference.bse))
    assert ours.pearson_chi2 == reference.pearson_chi2 and ours.df_resid == reference.df_resid
    assert ours.iterations == reference.fit_history["iteration"]
    # the quasi-Poisson refit: statsmodels runs IRLS again; we read the same path to its stop
    scale = 1.0 + 3.0 * rng.random()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        refit = model.fit(scale=scale)
    quasi = path.fit(scale)
    assert np.array_equal(quasi.params, np.asarray(refit.params))
    assert np.array_equal(quasi.bse, np.asarray(refit.bse))
    assert quasi.scale == float(refit.scale)


def test_batched_steps_are_the_single_model_steps():
    rng = np.random.default_rng(11)
    problems = [_problem(rng, 8, 4) for _ in range(7)]
    alone = [_glm.PoissonIRLS(*p).fit(1.0) for p in problems]
    together = [_glm.PoissonIRLS(*p) for p in problems]
    _glm.step_many(together)
    for one, path in zip(alone, together, strict=True):
        fit = path.fit(1.0)
        assert np.array_equal(fit.params, one.params) and np.array_equal(fit.bse, one.bse)


def test_score_statistics_are_statsmodels_bit_for_bit():
    rng = np.random.default_rng(5)
    n = 500
    c1, c2 = rng.integers(0, 400, n).astype(float), rng.integers(1, 400, n).astype(float)
    e1, e2 = rng.uniform(1e3, 1e6, n), rng.uniform(1e3, 1e6, n)
    n1, n2 = c1 + rng.integers(1, 2000, n), c2 + rng.integers(1, 2000, n)
    v = np.exp(rng.normal(0, 1, n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        poisson = sm_rates.test_poisson_2indep(
            c1, e1, c2, e2, value=v, method="score", compare="ratio"
        ).statistic
        null = v.view(_stats._NullValues)
        props = sm_proportion.test_proportions_2indep(
            c1, n1, c2, n2, value=null, method="score", compare="ratio", correction=True
        ).statistic
        pooled = sm_proportion.test_proportions_2indep(
            c1, n1, c2, n2, method="score", compare="ratio"
        ).statistic
        assert np.array_equal(
            _stats._poisson_ratio_score_statistic(c1, e1, c2, e2)(v), poisson, equal_nan=True
        )
        ours = _stats._proportion_ratio_score_statistic(c1, n1, c2, n2)
        assert np.array_equal(ours(v), np.asarray(props), equal_nan=True)
        assert np.array_equal(ours(np.ones(n)), np.asarray(pooled), equal_nan=True)
