"""Benchmarking areas against each other: funnel plot limits (Spiegelhalter 2005), and per-force counts
derived from published rates.

Spiegelhalter DJ (2005) "Funnel plots for comparing institutional performance", *Statistics in
Medicine* 24:1185-1202; Public Health England's ``calculate_funnel_limits`` and the R package
FunnelPlotR are the reference implementations.

For each area i with estimate y_i and standard error s_i under the target theta_0:

- rates per 1,000 (Poisson): y_i = 1000 N_i / E_i, s_i = 1000 sqrt(theta_0 / E_i) (theta_0 per head);
- ratios (disparity): on the log scale, y_i = log RR_i, s_i = sqrt(1/N_g + 1/N_r) and
  theta_0 = log of the national ratio (pooled counts).

Limits: theta_0 +- z_p s_i for p = 95% (z = 1.960) and 99.8% (z = 3.090). With ``overdispersion``:
z_i = (y_i - theta_0) / s_i, winsorised at 10% each end; phi = mean(z_i^2); if k phi > k - 1,
tau^2 = (k phi - (k - 1)) / (sum w_i - sum w_i^2 / sum w_i), w_i = 1 / s_i^2, and the limits become
theta_0 +- z_p sqrt(s_i^2 + tau^2) (additive random effects). Each area is placed "within", "above
95%", "above 99.8%", "below 95%" or "below 99.8%".
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import ndtri

from eqlib.errors import DataError
from eqlib.metrics._frame import finalise, require_columns
from eqlib.metrics._inputs import prepare_population

LEVELS = {"95": 0.95, "99.8": 0.998}
BENCHMARK_COLUMNS: tuple[str, ...] = (
    "target",
    "precision",
    "z_score",
    "lower_95",
    "upper_95",
    "lower_998",
    "upper_998",
    "position",
    "phi",
    "tau2",
)


def _z(level: float) -> float:
    """The two-sided standard normal critical value for ``level`` (0.95 -> 1.96): scipy's normal quantile
    ``ndtri`` (what ``scipy.stats.norm.isf`` computes, without importing scipy.stats for a chart)."""
    return float(-ndtri((1 - level) / 2))


def funnel_limits(
    figure: pd.DataFrame,
    *,
    kind: Literal["rate", "ratio"] = "rate",
    overdispersion: bool = False,
    target: float | None = None,
    per: float = 1000.0,
    measure: str = "stop_search_benchmark",
    winsor: float = 0.10,
) -> pd.DataFrame:
    """Funnel plot limits and each area's position, for one period and group at a time (grouped).

    Parameters
    ----------
    figure
        Output of :func:`eqlib.metrics.rates.rates` (``kind="rate"``) or
        :func:`eqlib.metrics.disparity.disparity` (``kind="ratio"``), for many areas. Rows are grouped
        by period, measure and group; each group is one funnel. Rows with a symbol (missing values) are
        kept with position "" and the national area (K04000001) is left out of the funnel.
    target
        The value to compare with; default the pooled national value of the rows (sum of counts over
        sum of denominators; for ratios the ratio of the pooled rates).

    Returns
    -------
    pandas.DataFrame
        :data:`FIGURE_COLUMNS` (value, ci from the input; measure ``measure``) plus
        :data:`BENCHMARK_COLUMNS`, on the figure's scale (per 1,000 or ratio).
    """
    require_columns(figure, ("area_code", "period", "group", "count", "denominator", "value"), name="figure")
    if kind == "ratio":
        require_columns(
            figure,
            ("ref_count", "ref_denominator"),
            name="figure (ratio funnels need the reference counts: use ratio_funnel_inputs)",
        )
    frame = figure.loc[figure["area_code"] != "K04000001"].reset_index(drop=True)
    keys = ["period", "group"] + (["measure"] if "measure" in frame.columns else [])
    out = _funnel(frame, keys, kind, overdispersion, target, per, winsor)
    out["source_measure"] = out["measure"] if "measure" in out.columns else ""
    out["measure"] = measure
    over = (
        "overdispersion-adjusted (winsorised phi, additive tau^2)" if overdispersion else "no overdispersion"
    )
    out["method"] = f"funnel limits, Spiegelhalter (2005), {kind}, 95% and 99.8%, {over}"
    return finalise(out, extra=(*BENCHMARK_COLUMNS, "source_measure"))


def _funnel(
    frame: pd.DataFrame,
    keys: list[str],
    kind: str,
    overdispersion: bool,
    target: float | None,
    per: float,
    winsor: float,
) -> pd.DataFrame:
    """Limits for every funnel (one per period, group and measure) at once; only phi and tau^2 are
    computed block by block (on numpy arrays)."""
    symbol = frame["symbol"].fillna("").to_numpy() if "symbol" in frame.columns else np.full(len(frame), "")
    n = frame["count"].to_numpy(dtype=float)
    e = frame["denominator"].to_numpy(dtype=float)
    value = frame["value"].to_numpy(dtype=float)
    usable = (symbol == "") & np.isfinite(value) & (e > 0)
    if kind == "ratio":
        nr = frame["ref_count"].to_numpy(dtype=float)
        er = frame["ref_denominator"].to_numpy(dtype=float)
        usable &= (n > 0) & (nr > 0) & (er > 0)
    theta = np.full(len(frame), np.nan)
    phi = np.ones(len(frame))
    tau2 = np.zeros(len(frame))
    blocks = frame.groupby(keys, sort=False).indices if len(frame) else {}
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "rate":
            y = n / e
        else:
            y = np.log(value)
            s_ratio = np.sqrt(1 / n + 1 / nr)
        for idx in blocks.values():
            use = idx[usable[idx]]
            if kind == "rate":
                t = (
                    (target / per)
                    if target is not None
                    else n[use].sum() / e[use].sum()
                    if use.size
                    else np.nan
                )
            else:
                t = (
                    np.log(target)
                    if target is not None
                    else (
                        np.log((n[use].sum() / e[use].sum()) / (nr[use].sum() / er[use].sum()))
                        if use.size
                        else np.nan
                    )
                )
            theta[idx] = t
            if overdispersion and use.size > 2:
                s_use = np.sqrt(t / e[use]) if kind == "rate" else s_ratio[use]
                z = (y[use] - t) / s_use
                from scipy.stats.mstats import winsorize  # here: scipy.stats takes 0.3 s to import

                zw = np.asarray(winsorize(z, limits=(winsor, winsor)), dtype=float)
                block_phi = float(np.mean(zw**2))
                phi[idx] = block_phi
                k = use.size
                w = 1 / s_use**2
                if k * block_phi > k - 1:
                    tau2[idx] = (k * block_phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum())
        if kind == "rate":
            s = np.sqrt(theta / e)
            scale = lambda x: per * x  # noqa: E731
        else:
            s = s_ratio
            scale = np.exp
        spread = np.sqrt(s**2 + tau2)
        out = frame.copy()
        out["target"] = scale(theta)
        for name, level in LEVELS.items():
            zc = _z(level)
            suffix = name.replace(".", "")
            out[f"lower_{suffix}"] = np.where(usable, scale(theta - zc * spread), np.nan)
            out[f"upper_{suffix}"] = np.where(usable, scale(theta + zc * spread), np.nan)
        yv = scale(y)
        position = np.full(len(frame), "within", dtype=object)
        position[yv > out["upper_95"].to_numpy()] = "above 95%"
        position[yv > out["upper_998"].to_numpy()] = "above 99.8%"
        position[yv < out["lower_95"].to_numpy()] = "below 95%"
        position[yv < out["lower_998"].to_numpy()] = "below 99.8%"
        position[~usable] = ""
        out["precision"] = np.where(usable, 1 / s**2, np.nan)
        out["z_score"] = np.where(usable, (y - theta) / spread, np.nan)
    out["position"] = position
    out["phi"] = phi
    out["tau2"] = tau2
    return out


def ratio_funnel_inputs(disparity_figure: pd.DataFrame, rate_figure: pd.DataFrame) -> pd.DataFrame:
    """Add the reference group's count and population (``ref_count``, ``ref_denominator``) from a
    rates frame to a disparity frame, as :func:`funnel_limits` with ``kind="ratio"`` needs."""
    ref = rate_figure[["area_code", "period", "group", "count", "denominator"]].rename(
        columns={"group": "reference_group", "count": "ref_count", "denominator": "ref_denominator"}
    )
    return disparity_figure.merge(ref, on=["area_code", "period", "reference_group"], how="left")


def funnel_curve(
    target: float,
    precision: np.ndarray,
    *,
    kind: Literal["rate", "ratio"] = "rate",
    per: float = 1000.0,
    tau2: float = 0.0,
) -> pd.DataFrame:
    """Smooth funnel limits over a grid of denominators (rates: population; ratios: 1/s^2) for a chart."""
    precision = np.asarray(precision, dtype=float)
    if kind == "rate":
        theta = target / per
        s = np.sqrt(theta / precision)
        scale = lambda x: per * x  # noqa: E731
    else:
        theta = np.log(target)
        s = np.sqrt(1 / precision)
        scale = np.exp
    spread = np.sqrt(s**2 + tau2)
    out = {"precision": precision, "target": np.full(precision.shape, target)}
    for name, level in LEVELS.items():
        zc = _z(level)
        out[f"lower_{name.replace('.', '')}"] = scale(theta - zc * spread)
        out[f"upper_{name.replace('.', '')}"] = scale(theta + zc * spread)
    return pd.DataFrame(out)


def derive_counts(
    published_rates: pd.DataFrame,
    population: pd.DataFrame,
    *,
    per: float = 1000.0,
    rate_column: str = "rate",
    dataset: str = "stop_search_eff_by_area",
) -> pd.DataFrame:
    """Per-force counts from published rates x populations: count = rate x population / per.

    EFF publishes 2022/23 rates by force and group (to 1 decimal place) but not the counts; multiplied
    by the Census 2021 populations they give approximate counts (a rate rounded to 0.05 per 1,000
    leaves the count uncertain by up to 0.05 x population / 1,000). Every row is flagged ``derived``
    so the figures built on them carry the ``derived_count`` caveat. Rates that are missing (N/A)
    stay missing with symbol [x].

    Returns a tidy count frame: area_code, area_name, period, group, count, symbol, derived (True),
    dataset, and population.
    """
    require_columns(published_rates, ("area_code", "period", "group", rate_column), name="published rates")
    pop = prepare_population(population)
    rates = published_rates.copy()
    rates[rate_column] = pd.to_numeric(rates[rate_column], errors="coerce")
    if (rates[rate_column] < 0).any():
        row = int(np.flatnonzero((rates[rate_column] < 0).to_numpy())[0])
        raise DataError(
            "published rates: negative rate",
            row=row + 1,
            column=rate_column,
            value=rates[rate_column].iloc[row],
            expected="a rate of 0 or more",
        )
    keys = ["area_code", "group"] + (["period"] if "period" in pop.columns else [])
    merged = rates.merge(pop[keys + ["population"]], on=keys, how="left")
    merged["count"] = merged[rate_column] * merged["population"] / per
    merged["symbol"] = np.where(
        merged["count"].isna(),
        merged["symbol"].replace("", "[x]") if "symbol" in merged.columns else "[x]",
        "",
    )
    merged["derived"] = True
    merged["dataset"] = dataset
    if "area_name" not in merged.columns:
        from eqlib.metrics._frame import area_name_of

        merged["area_name"] = merged["area_code"].map(area_name_of)
    return merged[
        ["area_code", "area_name", "period", "group", "count", "symbol", "derived", "dataset", "population"]
    ].reset_index(drop=True)


__all__ = ["BENCHMARK_COLUMNS", "derive_counts", "funnel_curve", "funnel_limits", "ratio_funnel_inputs"]
