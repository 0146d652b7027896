"""Reading and checking the tidy input frames the metrics take.

Counts: ``area_code``, ``period``, ``group``, ``count`` (NaN only with a GSS ``symbol``), optional
``area_name``, ``symbol``, ``dataset`` and flag columns ``derived`` (count derived from a rate),
``partial`` (months missing). Further dimension columns (legislation, outcome ...) are summed over:
filter before calling a metric if you want one of them.

Population: ``area_code``, ``group``, ``population``, optional ``period`` (one population per period)
and ``census`` (the Census year the population comes from).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from eqlib.errors import DataError
from eqlib.ethnicity import BROAD_GROUPS, ETHNIC_MINORITY, POPULATION_GROUPS
from eqlib.metrics._frame import check_non_negative, require_columns, with_area_names

log = logging.getLogger(__name__)

NOT_STATED = "Not stated"
#: total rows some sources carry; metrics recompute totals, so these rows are set aside (logged)
TOTAL_LABELS = ("All", "Total")
KNOWN_GROUPS = (*BROAD_GROUPS, ETHNIC_MINORITY, *TOTAL_LABELS)


def prepare_counts(counts: pd.DataFrame, *, name: str = "counts", value: str = "count",
                   groups: tuple[str, ...] | None = KNOWN_GROUPS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Aggregate a tidy count frame to one row per area_code, period and group, and its flags.

    Returns ``(counts, flags)``: counts has area_code, area_name, period, group, count, symbol (a
    missing count keeps its symbol, or ``[x]``); flags has one row per area_code and period with
    ``not_stated_share`` (over every group including Not stated), ``derived``, ``partial`` and
    ``police_uk``. Groups absent in a period in which the area has other groups are added with a
    missing count, symbol ``[x]`` and ``missing_reason`` ``group_missing_in_period``.

    Raises
    ------
    DataError
        Missing columns, negative or non-numeric counts, groups outside the broad groups.
    """
    require_columns(counts, ("area_code", "period", "group", value), name=name)
    check_non_negative(counts, value, name=name)
    frame = counts.copy()
    frame[value] = pd.to_numeric(frame[value]).astype(float)
    frame["period"] = frame["period"].astype(str)
    frame["area_code"] = frame["area_code"].astype(str)
    frame["group"] = frame["group"].astype(str)
    if groups is not None:
        unknown = ~frame["group"].isin(groups)
        if unknown.any():
            row = int(np.flatnonzero(unknown.to_numpy())[0])
            raise DataError(f"{name}: unknown group", row=row + 1, column="group",
                            value=frame["group"].iloc[row], expected=f"one of {list(groups)}")
        totals = frame["group"].isin(TOTAL_LABELS)
        if totals.any():
            log.info("%s: %d total rows set aside (totals are recomputed from the groups)", name, totals.sum())
            frame = frame.loc[~totals]
    if "symbol" not in frame.columns:
        frame["symbol"] = ""
    frame["symbol"] = frame["symbol"].fillna("").astype(str)
    bad = frame[value].isna() & (frame["symbol"] == "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{name}: missing {value} without a GSS symbol giving the reason", row=row + 1,
                        column=value, expected="a number, or a symbol [c] [x] [z] [u]")
    frame = with_area_names(frame)
    for column in ("derived", "partial"):
        if column not in frame.columns:
            frame[column] = False
        frame[column] = frame[column].fillna(False).astype(bool)
    if "dataset" in frame.columns:
        frame["police_uk"] = frame["dataset"].astype(str).str.startswith("stop_search_policeuk")
    else:
        frame["police_uk"] = False

    keys = ["area_code", "period", "group"]
    grouped = frame.groupby(keys, sort=True, observed=True)
    out = grouped.agg(area_name=("area_name", "first"), count=(value, "sum")).reset_index()
    out["symbol"] = ""
    if frame[value].isna().any():
        symbols = frame.loc[frame[value].isna()].groupby(keys, sort=True)["symbol"].max()
        out = out.merge(symbols.rename("_symbol").reset_index(), on=keys, how="left")
        out["symbol"] = out["_symbol"].fillna("")
        out = out.drop(columns="_symbol")
    any_missing = frame[value].isna().groupby([frame[k] for k in keys], sort=True).any().to_numpy()
    out.loc[any_missing, "count"] = np.nan
    out.loc[out["count"].notna(), "symbol"] = ""
    out.loc[out["count"].isna() & (out["symbol"] == ""), "symbol"] = "[x]"
    out["missing_reason"] = np.where(out["count"].isna(), "missing_count", "")

    # complete the grid: every group the area reports, in every period it reports
    present = out[["area_code", "group"]].drop_duplicates()
    periods = out[["area_code", "period", "area_name"]].drop_duplicates(["area_code", "period"])
    grid = periods.merge(present, on="area_code")
    out = grid.merge(out.drop(columns="area_name"), on=["area_code", "period", "group"], how="left")
    gap = out["count"].isna() & out["symbol"].isna()
    if gap.any():
        log.info("%s: %d group-period rows missing in the input; marked [x]", name, int(gap.sum()))
    out.loc[gap, "symbol"] = "[x]"
    out.loc[gap, "missing_reason"] = "group_missing_in_period"

    by_period = frame.groupby(["area_code", "period"], sort=True)
    flags = by_period.agg(derived=("derived", "any"), partial=("partial", "any"),
                          police_uk=("police_uk", "any")).reset_index()
    totals = out.groupby(["area_code", "period"])["count"].sum(min_count=1).rename("total")
    stated_ns = out.loc[out["group"] == NOT_STATED].set_index(["area_code", "period"])["count"].rename("ns")
    shares = pd.concat([totals, stated_ns], axis=1).reset_index()
    shares["not_stated_share"] = np.where(shares["total"] > 0, shares["ns"].fillna(0) / shares["total"], 0.0)
    flags = flags.merge(shares[["area_code", "period", "not_stated_share"]], on=["area_code", "period"],
                        how="left")
    return out.reset_index(drop=True), flags


def population_frame(loaded: pd.DataFrame, *, name: str = "population") -> pd.DataFrame:
    """A metrics population frame from a population loader's tidy frame (``population_census2021``,
    ``population_census2011_pfa``): sums ``count`` over detailed categories to area_code, group ->
    population, keeps ``census`` as the Census year (2021 from "Census 2021").

    The loader's ``period`` is the Census day, not a reporting period, so it is dropped.
    """
    require_columns(loaded, ("area_code", "group", "count"), name=name)
    check_non_negative(loaded, "count", name=name)
    frame = loaded.loc[loaded["group"].isin(POPULATION_GROUPS)]
    out = frame.groupby(["area_code", "group"], sort=True)["count"].sum(min_count=1).rename(
        "population").reset_index()
    if "census" in frame.columns:
        years = frame["census"].astype(str).str.extract(r"(\d{4})")[0]
        out["census"] = int(pd.to_numeric(years, errors="coerce").min())
    return out


def prepare_population(population: pd.DataFrame, *, name: str = "population") -> pd.DataFrame:
    """Check a population frame: area_code, group, population (+ period, census).

    A loader's frame (``count`` instead of ``population``) is first summed with
    :func:`population_frame`.

    Raises
    ------
    DataError
        Missing columns, negative populations, duplicate keys.
    """
    if "population" not in population.columns and "count" in population.columns:
        population = population_frame(population, name=name)
    require_columns(population, ("area_code", "group", "population"), name=name)
    check_non_negative(population, "population", name=name)
    frame = population.copy()
    frame["area_code"] = frame["area_code"].astype(str)
    frame["group"] = frame["group"].astype(str)
    frame["population"] = pd.to_numeric(frame["population"]).astype(float)
    if "census" in frame.columns and not pd.api.types.is_numeric_dtype(frame["census"]):
        frame["census"] = pd.to_numeric(frame["census"].astype(str).str.extract(r"(\d{4})")[0], errors="coerce")
    keys = ["area_code", "group"] + (["period"] if "period" in frame.columns else [])
    if "period" in frame.columns:
        frame["period"] = frame["period"].astype(str)
    duplicated = frame.duplicated(keys, keep=False)
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise DataError(f"{name}: more than one population for the same {'/'.join(keys)}", row=row + 1,
                        column="population", value=tuple(frame.iloc[row][keys]),
                        expected="one row per area, group (and period)")
    return frame


def join_population(counts: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Add ``population`` (NaN where there is none) to a prepared count frame."""
    keys = ["area_code", "group"] + (["period"] if "period" in population.columns else [])
    cols = keys + ["population"] + (["census"] if "census" in population.columns else [])
    return counts.merge(population[cols], on=keys, how="left")


def add_aggregates(frame: pd.DataFrame, *, minority: bool, all_groups: bool,
                   components: tuple[str, ...] = POPULATION_GROUPS) -> pd.DataFrame:
    """Append ETHNIC_MINORITY (every population group but White) and/or "All" (every group, including
    Not stated, over the population of all groups) rows to a frame with count and population.

    An aggregate whose component count is missing is missing ([x], ``missing_count``).
    """
    parts = [frame]
    keys = ["area_code", "area_name", "period"]
    if minority:
        members = [g for g in components if g != "White"]
        sub = frame.loc[frame["group"].isin(members)]
        parts.append(_aggregate(sub, keys, ETHNIC_MINORITY))
    if all_groups:
        sub = frame.loc[frame["group"].isin((*components, NOT_STATED))]
        agg = _aggregate(sub, keys, "All")
        pops = frame.loc[frame["group"].isin(components)].groupby(["area_code", "period"])["population"]
        agg = agg.drop(columns="population").merge(
            pops.sum(min_count=1).rename("population").reset_index(), on=["area_code", "period"], how="left")
        parts.append(agg)
    return pd.concat(parts, ignore_index=True)


def _aggregate(sub: pd.DataFrame, keys: list[str], label: str) -> pd.DataFrame:
    if sub.empty:
        return sub.iloc[0:0]
    columns = ["count"] + (["population"] if "population" in sub.columns else [])
    grouped = sub.groupby(keys, sort=False)
    agg = grouped[columns].sum().reset_index()
    missing = sub[columns].isna().groupby([sub[k] for k in keys], sort=False).any().reset_index(drop=True)
    for column in columns:
        agg.loc[missing[column].to_numpy(), column] = np.nan
    if "census" in sub.columns:
        agg = agg.merge(grouped["census"].first().reset_index(), on=keys, how="left")
    agg["group"] = label
    agg["symbol"] = np.where(agg["count"].isna(), "[x]", "")
    agg["missing_reason"] = np.where(agg["count"].isna(), "missing_count", "")
    return agg


def by_financial_year(
    monthly: pd.DataFrame,
    *,
    coverage: pd.DataFrame | None = None,
    keep: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Sum monthly counts (police.uk periods ``2021-04``) to financial years (``2021-22``).

    ``partial`` is set where an area has fewer than 12 months in the year: months named with status
    ``present`` in ``coverage`` (the ``stop_search_policeuk_coverage`` frame: area_code, period, status),
    or else months that appear in ``monthly`` for that area. Figures built on a partial year carry the
    ``partial_period`` caveat. ``keep`` names extra dimension columns to keep (e.g. ``outcome_group``);
    all others are summed over. A count missing in any month makes the year's count missing.
    """
    from eqlib.periods import financial_year_of, parse

    require_columns(monthly, ("area_code", "period", "group", "count"), name="monthly counts")
    check_non_negative(monthly, "count", name="monthly counts")
    frame = monthly.copy()
    months = frame["period"].astype(str)
    lookup = {}
    for label in months.unique():
        period = parse(label)
        if period.kind != "month":
            raise DataError("monthly counts: period is not a month", column="period", value=label,
                            expected="a month such as 2021-04")
        lookup[label] = financial_year_of(period.start).label
    frame["month"] = months
    frame["period"] = months.map(lookup)
    if coverage is not None:
        present = coverage.loc[coverage.get("status", pd.Series("present", index=coverage.index)) == "present",
                               ["area_code", "period"]].astype(str).drop_duplicates()
        present = present.assign(fy=present["period"].map(lambda p: financial_year_of(parse(p).start).label))
        n_months = present.groupby(["area_code", "fy"])["period"].nunique().rename("months").reset_index().rename(
            columns={"fy": "period"})
    else:
        n_months = frame.groupby(["area_code", "period"])["month"].nunique().rename("months").reset_index()
    keys = ["area_code", "period", "group", *keep]
    extra = {c: (c, "first") for c in ("area_name", "dataset") if c in frame.columns}
    out = frame.groupby(keys, sort=True, dropna=False).agg(count=("count", "sum"), **extra).reset_index()
    missing = frame["count"].isna().groupby([frame[k] for k in keys], sort=True, dropna=False).any().to_numpy()
    out.loc[missing, "count"] = np.nan
    out["symbol"] = np.where(out["count"].isna(), "[x]", "")
    out = out.merge(n_months, on=["area_code", "period"], how="left")
    out["partial"] = out["months"].fillna(0) < 12
    log.info("by_financial_year: %d monthly rows in, %d yearly rows out; %d area-years partial", len(monthly),
             len(out), int(out.drop_duplicates(["area_code", "period"])["partial"].sum()))
    assert np.isclose(out["count"].sum(), frame["count"].sum()) or frame["count"].isna().any()
    return out.drop(columns="months")
