"""Vectorised wrappers around the statsmodels intervals and tests the metrics use.

statsmodels 0.15 computes the single-rate exact interval (``confint_poisson``), the Wilson interval
(``proportion_confint``), the Clopper-Pearson interval and the score tests (``test_poisson_2indep``,
``test_proportions_2indep``) on arrays. Its *score intervals* for two rates and for a ratio of two
proportions (``confint_poisson_2indep(method="score")``, ``confint_proportions_2indep(compare="ratio",
method="score")``) take one pair at a time: they find, with ``scipy.optimize.fmin``, the values of the
ratio at which the score test's p-value equals alpha. :func:`invert_score_test` finds the same points
for every row at once by bisection on the log ratio, calling the same statsmodels test on arrays; the
tests check that the results agree with the scalar statsmodels functions to 1e-6 (relative).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

# scipy.stats and statsmodels are imported inside each function: together 0.8-1 s at import, which
# the report's notebooks (they read the cached figures) and the command line would pay for nothing


class _NullValues(np.ndarray):
    """Null ratios, one per row, for ``score_test_proportions_2indep``.

    statsmodels 0.15 compares the null value with its default in ``if value == 1`` (and
    ``if ratio != 1``), which an ordinary array cannot answer. These comparisons with a scalar
    answer for all rows at once; the constrained estimate statsmodels then computes for ratio != 1
    also equals the pooled estimate it would use at exactly 1, so every row gets the right statistic.
    """

    def __eq__(self, other):  # type: ignore[override]
        if np.isscalar(other):
            return bool(np.all(np.asarray(self) == other))
        return np.asarray(self) == np.asarray(other)

    def __ne__(self, other):  # type: ignore[override]
        if np.isscalar(other):
            return not bool(np.all(np.asarray(self) == other))
        return np.asarray(self) != np.asarray(other)

    __hash__ = None  # type: ignore[assignment]


def poisson_rate_ci(
    count: np.ndarray, exposure: np.ndarray, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood, chi-square/gamma) interval for count/exposure: ``confint_poisson(method="exact-c")``."""
    from statsmodels.stats.rates import confint_poisson

    count = np.asarray(count, dtype=float)
    exposure = np.asarray(exposure, dtype=float)
    ok = (exposure > 0) & np.isfinite(count) & np.isfinite(exposure)
    low = np.full(count.shape, np.nan)
    high = np.full(count.shape, np.nan)
    if ok.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = confint_poisson(count[ok], exposure[ok], method="exact-c", alpha=alpha)
        low[ok] = np.nan_to_num(
            lo, nan=0.0
        )  # gamma.ppf(alpha, 0) is nan: the lower limit of a zero count is 0
        high[ok] = hi
    return low, high


def wilson_ci(count: np.ndarray, nobs: np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion: ``proportion_confint(method="wilson")``."""
    from statsmodels.stats.proportion import proportion_confint

    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    ok = (nobs > 0) & np.isfinite(count) & (count <= nobs)
    low = np.full(count.shape, np.nan)
    high = np.full(count.shape, np.nan)
    if ok.any():
        lo, hi = proportion_confint(count[ok], nobs[ok], alpha=alpha, method="wilson")
        low[ok], high[ok] = lo, hi
    return low, high


def invert_score_test(
    statistic: Callable[[np.ndarray], np.ndarray],
    estimate: np.ndarray,
    start_low: np.ndarray,
    start_high: np.ndarray,
    alpha: float = 0.05,
    iterations: int = 60,
    tolerance: float = 1e-11,
    stacked: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided interval {v : |z(v)| <= z_(1-alpha/2)} for a statistic decreasing in the null ratio v.

    ``statistic(v)`` returns the signed statsmodels test statistic for every row at null values ``v``.
    The lower limit solves z(v) = +crit, the upper z(v) = -crit. Both are found in one vectorised
    pass: brackets on log v are widened from ``start_low``/``start_high`` until they straddle the
    root, then narrowed by the Illinois variant of regula falsi (a safeguarded secant method) to
    ``tolerance`` on log v. Rows whose estimate is 0 get a lower limit of 0.

    ``stacked``, if given, is the same statistic for the rows twice over (arrays of length 2m: the
    rows, then the rows again): one statsmodels call per step instead of two, the same values.
    """
    from scipy import stats

    crit = stats.norm.isf(alpha / 2)
    estimate = np.asarray(estimate, dtype=float)
    positive = estimate > 0
    m = estimate.size
    est_safe = np.where(positive, estimate, 1.0)
    low_start = np.where(positive, np.minimum(start_low, est_safe), 1e-12)
    high_start = np.where(positive, np.maximum(start_high, est_safe), 1.0)
    # stack the two problems: rows [0, m) solve z = +crit, rows [m, 2m) solve z = -crit
    target = np.concatenate([np.full(m, crit), np.full(m, -crit)])
    a = np.log(np.concatenate([np.maximum(low_start, 1e-300) * 0.999, np.where(positive, est_safe, 1e-12)]))
    b = np.log(np.concatenate([est_safe, high_start * 1.001]))
    # a zero estimate has no lower root (the limit is 0): give that problem an empty bracket
    unused = np.concatenate([~positive, np.zeros(m, dtype=bool)])
    a = np.where(unused, 0.0, a)
    b = np.where(unused, 0.0, b)

    def f(x: np.ndarray) -> np.ndarray:
        v = np.exp(x)
        if stacked is not None:
            return stacked(v) - target
        return np.concatenate([statistic(v[:m]), statistic(v[m:])]) - target

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fa, fb = f(a), f(b)
        for _ in range(80):  # widen until f(a) >= 0 >= f(b) (z decreases in v)
            bad_a, bad_b = ~(fa >= 0) & ~unused, ~(fb <= 0) & ~unused
            if not (bad_a.any() or bad_b.any()):
                break
            a = np.where(bad_a, a - 2.0, a)
            b = np.where(bad_b, b + 2.0, b)
            fa, fb = f(a), f(b)
        side = np.zeros(2 * m)
        for _ in range(iterations):
            if np.all(np.abs(b - a) < tolerance):
                break
            denom = fa - fb
            c = np.where(np.abs(denom) > 0, b - fb * (b - a) / np.where(denom == 0, 1, denom), 0.5 * (a + b))
            c = np.where((c > a) & (c < b), c, 0.5 * (a + b))
            fc = f(c)
            fc = np.where(np.isfinite(fc), fc, 0.0)
            right = fc < 0  # root in [a, c]
            b = np.where(right, c, b)
            a = np.where(right, a, c)
            # Illinois: halve the stale end's value when the same side moves twice
            fb_new = np.where(right, fc, fb)
            fa_new = np.where(right, fa, fc)
            fa_new = np.where(right & (side == 1), fa_new / 2, fa_new)
            fb_new = np.where(~right & (side == -1), fb_new / 2, fb_new)
            side = np.where(right, 1, -1)
            fa, fb = fa_new, fb_new
            done = fc == 0
            a = np.where(done, c, a)
            b = np.where(done, c, b)
        root = np.exp(0.5 * (a + b))
    low, high = root[:m], root[m:]
    low = np.where(positive, low, 0.0)
    return low, high


def rate_ratio_score_ci(c1, e1, c2, e2, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Score interval for (c1/e1)/(c2/e2): ``confint_poisson_2indep(compare="ratio", method="score")``
    computed for all rows at once by inverting ``test_poisson_2indep(method="score")``.

    Rows need c2 > 0 and positive exposures.
    """
    from statsmodels.stats.rates import test_poisson_2indep

    c1, e1, c2, e2 = (np.asarray(x, dtype=float) for x in (c1, e1, c2, e2))
    estimate = (c1 / e1) / (c2 / e2)

    def z(v: np.ndarray) -> np.ndarray:
        return np.asarray(
            test_poisson_2indep(c1, e1, c2, e2, value=v, method="score", compare="ratio").statistic,
            dtype=float,
        )

    twice = [np.concatenate([x, x]) for x in (c1, e1, c2, e2)]

    def z2(v: np.ndarray) -> np.ndarray:
        return np.asarray(
            test_poisson_2indep(*twice, value=v, method="score", compare="ratio").statistic, dtype=float
        )

    # Wald (log) starting brackets with 0.5 added to the counts so they exist when c1 = 0
    se = np.sqrt(1 / (c1 + 0.5) + 1 / (c2 + 0.5))
    centre = ((c1 + 0.5) / e1) / ((c2 + 0.5) / e2)
    return invert_score_test(
        z, estimate, centre * np.exp(-3 * se), centre * np.exp(3 * se), alpha, stacked=z2
    )


def rate_ratio_exact_ci(c1, e1, c2, e2, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Exact conditional interval for a ratio of Poisson rates.

    Conditional on n = c1 + c2, c1 ~ Binomial(n, pi) with pi = RR e1 / (RR e1 + e2). The Clopper-Pearson
    interval for pi (``proportion_confint(method="beta")``) maps to RR = pi / (1 - pi) x e2 / e1.
    """
    from statsmodels.stats.proportion import proportion_confint

    c1, e1, c2, e2 = (np.asarray(x, dtype=float) for x in (c1, e1, c2, e2))
    n = c1 + c2
    lo, hi = proportion_confint(c1, n, alpha=alpha, method="beta")
    lo = np.nan_to_num(np.asarray(lo, dtype=float), nan=0.0)
    hi = np.nan_to_num(np.asarray(hi, dtype=float), nan=1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        low = lo / (1 - lo) * e2 / e1
        high = hi / (1 - hi) * e2 / e1
    return low, high


def rate_ratio_pvalue(c1, e1, c2, e2, *, exact: np.ndarray) -> np.ndarray:
    """Two-sided p-value for RR = 1: ``test_poisson_2indep`` with ``method="score"``, or
    ``method="exact-cond"`` (one call per row, statsmodels takes scalars there) where ``exact``."""
    from statsmodels.stats.rates import test_poisson_2indep

    c1, e1, c2, e2 = (np.asarray(x, dtype=float) for x in (c1, e1, c2, e2))
    exact = np.asarray(exact, dtype=bool)
    out = np.full(c1.shape, np.nan)
    score = ~exact
    if score.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out[score] = test_poisson_2indep(
                c1[score], e1[score], c2[score], e2[score], method="score", compare="ratio"
            ).pvalue
    for i in np.flatnonzero(exact):
        out[i] = test_poisson_2indep(
            int(round(c1[i])), e1[i], int(round(c2[i])), e2[i], method="exact-cond", compare="ratio"
        ).pvalue
    return np.clip(out, 0.0, 1.0)


def proportion_ratio_score_ci(c1, n1, c2, n2, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Score interval (Koopman; Miettinen-Nurminen variance correction) for (c1/n1)/(c2/n2):
    ``confint_proportions_2indep(compare="ratio", method="score")`` for all rows at once, by inverting
    ``test_proportions_2indep(compare="ratio", method="score")``. Rows need c2 > 0."""
    from statsmodels.stats.proportion import test_proportions_2indep

    c1, n1, c2, n2 = (np.asarray(x, dtype=float) for x in (c1, n1, c2, n2))
    estimate = (c1 / n1) / (c2 / n2)

    def z(v: np.ndarray) -> np.ndarray:
        null = np.asarray(v, dtype=float).view(_NullValues)
        return np.asarray(
            test_proportions_2indep(
                c1, n1, c2, n2, value=null, method="score", compare="ratio", correction=True
            ).statistic,
            dtype=float,
        )

    twice = [np.concatenate([x, x]) for x in (c1, n1, c2, n2)]

    def z2(v: np.ndarray) -> np.ndarray:
        null = np.asarray(v, dtype=float).view(_NullValues)
        return np.asarray(
            test_proportions_2indep(
                *twice, value=null, method="score", compare="ratio", correction=True
            ).statistic,
            dtype=float,
        )

    se = np.sqrt(np.abs(1 / (c1 + 0.5) - 1 / (n1 + 0.5) + 1 / (c2 + 0.5) - 1 / (n2 + 0.5))) + 1e-3
    centre = ((c1 + 0.5) / (n1 + 0.5)) / ((c2 + 0.5) / (n2 + 0.5))
    return invert_score_test(
        z, estimate, centre * np.exp(-3 * se), centre * np.exp(3 * se), alpha, stacked=z2
    )


def proportion_ratio_pvalue(c1, n1, c2, n2) -> np.ndarray:
    """Two-sided p-value for p1/p2 = 1: ``test_proportions_2indep(compare="ratio", method="score")``."""
    from statsmodels.stats.proportion import test_proportions_2indep

    c1, n1, c2, n2 = (np.asarray(x, dtype=float) for x in (c1, n1, c2, n2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p = test_proportions_2indep(c1, n1, c2, n2, method="score", compare="ratio", correction=True).pvalue
    return np.clip(np.nan_to_num(np.asarray(p, dtype=float), nan=1.0), 0.0, 1.0)


def rate_ratio_wald_log_ci(c1, e1, c2, e2, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wald interval on the log ratio: ``confint_poisson_2indep(compare="ratio", method="wald-log")``."""
    from statsmodels.stats.rates import confint_poisson_2indep

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = confint_poisson_2indep(c1, e1, c2, e2, compare="ratio", method="wald-log", alpha=alpha)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def risk_ratio_katz_ci(c1, n1, c2, n2, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Katz log interval for a risk ratio: ``confint_proportions_2indep(compare="ratio", method="log")``
    (the interval of ``scipy.stats.contingency.relative_risk`` and ``Table2x2.riskratio_confint``)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = confint_proportions_2indep(c1, n1, c2, n2, compare="ratio", method="log", alpha=alpha)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)
