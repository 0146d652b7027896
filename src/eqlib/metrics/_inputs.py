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
from eqlib.metrics._frame import area_name_of, check_non_negative, require_columns

log = logging.getLogger(__name__)

NOT_STATED = "Not stated"
#: total rows some sources carry; metrics recompute totals, so these rows are set aside (logged)
TOTAL_LABELS = ("All", "Total")
KNOWN_GROUPS = (*BROAD_GROUPS, ETHNIC_MINORITY, *TOTAL_LABELS)


def prepare_counts(
    counts: pd.DataFrame,
    *,
    name: str = "counts",
    value: str = "count",
    groups: tuple[str, ...] | None = KNOWN_GROUPS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
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
    # columns as arrays (the frame itself is not copied)
    raw = pd.to_numeric(counts[value]).astype(float).to_numpy()
    area_code = counts["area_code"].astype(str)
    period = counts["period"].astype(str)
    group = counts["group"].astype(str)
    keep = None
    if groups is not None:
        unknown = ~group.isin(groups)
        if unknown.any():
            row = int(np.flatnonzero(unknown.to_numpy())[0])
            raise DataError(
                f"{name}: unknown group",
                row=row + 1,
                column="group",
                value=group.iloc[row],
                expected=f"one of {list(groups)}",
            )
        totals = group.isin(TOTAL_LABELS).to_numpy()
        if totals.any():
            log.info(
                "%s: %d total rows set aside (totals are recomputed from the groups)", name, totals.sum()
            )
            keep = ~totals
    symbols = (
        counts["symbol"].fillna("").astype(str).to_numpy(dtype=object)
        if "symbol" in counts.columns
        else np.full(len(counts), "", dtype=object)
    )
    names_in = counts["area_name"].to_numpy(dtype=object) if "area_name" in counts.columns else None
    flag_in = {
        c: (
            counts[c].fillna(False).astype(bool).to_numpy()
            if c in counts.columns
            else np.zeros(len(counts), dtype=bool)
        )
        for c in ("derived", "partial")
    }
    if "dataset" in counts.columns:
        dataset_code, dataset_names = pd.factorize(counts["dataset"].astype(str))
        is_policeuk = np.array([str(d).startswith("stop_search_policeuk") for d in dataset_names], dtype=bool)
        flag_in["police_uk"] = (
            is_policeuk[dataset_code] if len(dataset_names) else np.zeros(len(counts), bool)
        )
    else:
        flag_in["police_uk"] = np.zeros(len(counts), dtype=bool)
    if keep is not None:
        raw, symbols = raw[keep], symbols[keep]
        area_code, period, group = area_code[keep], period[keep], group[keep]
        names_in = names_in[keep] if names_in is not None else None
        flag_in = {c: v[keep] for c, v in flag_in.items()}
    bad = np.isnan(raw) & (symbols == "")
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{name}: missing {value} without a GSS symbol giving the reason",
            row=row + 1,
            column=value,
            expected="a number, or a symbol [c] [x] [z] [u]",
        )

    # Aggregate to area x period x group on integer keys (the same groups, order and sums as
    # ``frame.groupby(keys, sort=True)``; see :func:`_group_sum`).
    a_code, areas = pd.factorize(area_code, sort=True)
    p_code, periods = pd.factorize(period, sort=True)
    g_code, groups_found = pd.factorize(group, sort=True)
    n_p, n_g = len(periods), len(groups_found)
    key = (a_code.astype(np.int64) * n_p + p_code) * n_g + g_code
    cells, first, cell_of = np.unique(key, return_index=True, return_inverse=True)
    cell_of = cell_of.reshape(-1)
    n_cells = len(cells)
    count = _group_sum(raw, cell_of, n_cells)
    missing = np.bincount(cell_of, weights=np.isnan(raw), minlength=n_cells) > 0
    count[missing] = np.nan
    symbol = np.full(n_cells, "", dtype=object)
    if missing.any():
        for row in np.flatnonzero(np.isnan(raw)):
            cell = cell_of[row]
            symbol[cell] = max(symbol[cell], symbols[row])
        symbol[missing & (symbol == "")] = "[x]"
    cell_area, cell_period, cell_group = cells // (n_p * n_g), (cells // n_g) % n_p, cells % n_g
    # the area name of each cell: its first row's, or the name of the area code (with_area_names)
    area_names = np.array([area_name_of(c) for c in areas], dtype=object)
    if names_in is None:
        names = area_names[cell_area]
    else:
        names = names_in[first]
        absent = pd.isna(names) | (names.astype(str) == "")
        names[absent] = area_names[cell_area[absent]]

    # complete the grid: every group the area reports (in order of first appearance), in every
    # period it reports; a group absent in a period is missing ([x], group_missing_in_period)
    pair = cell_area * n_g + cell_group
    pairs, pair_first = np.unique(pair, return_index=True)
    order = np.lexsort((pair_first, pairs // n_g))  # by area, then first appearance
    pair_area, pair_group = (pairs // n_g)[order], (pairs % n_g)[order]
    area_start = np.searchsorted(pair_area, np.arange(len(areas)))
    area_size = np.bincount(pair_area, minlength=len(areas))
    ap = cell_area * n_p + cell_period
    ap_cells, ap_first = np.unique(ap, return_index=True)
    sizes = area_size[ap_cells // n_p]
    grid_ap = np.repeat(ap_cells, sizes)
    offsets = np.arange(len(grid_ap)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    grid_group = pair_group[np.repeat(area_start[ap_cells // n_p], sizes) + offsets]
    grid_key = grid_ap * n_g + grid_group
    position = np.searchsorted(cells, grid_key)
    found = (
        (position < n_cells) & (cells[np.minimum(position, max(n_cells - 1, 0))] == grid_key)
        if n_cells
        else np.zeros(len(grid_key), dtype=bool)
    )
    position = np.where(found, position, 0)
    grid_count = np.where(found, count[position] if n_cells else np.nan, np.nan)
    grid_symbol = np.where(found, symbol[position] if n_cells else "", "[x]").astype(object)
    reason = np.where(np.isnan(grid_count), "missing_count", "").astype(object)
    reason[~found] = "group_missing_in_period"
    if (~found).any():
        log.info("%s: %d group-period rows missing in the input; marked [x]", name, int((~found).sum()))
    ap_index = np.searchsorted(ap_cells, grid_ap)
    out = pd.DataFrame(
        {
            "area_code": areas.array.take(grid_ap // n_p),
            "period": periods.array.take(grid_ap % n_p),
            "area_name": names[ap_first][ap_index],
            "group": groups_found.array.take(grid_group),
            "count": grid_count,
            "symbol": grid_symbol,
            "missing_reason": reason,
        }
    )

    # flags per area and period (every area-period has at least one grid row)
    n_ap = len(ap_cells)
    row_ap = np.searchsorted(ap_cells, a_code.astype(np.int64) * n_p + p_code)
    flag_values = {
        c: np.bincount(row_ap, weights=flag_in[c], minlength=n_ap) > 0
        for c in ("derived", "partial", "police_uk")
    }
    total = _group_sum(grid_count, ap_index, n_ap, min_count=1)
    ns_code = np.flatnonzero(groups_found == NOT_STATED)
    ns = np.full(n_ap, np.nan)
    if ns_code.size:
        is_ns = grid_group == ns_code[0]
        ns[ap_index[is_ns]] = grid_count[is_ns]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, np.nan_to_num(ns, nan=0.0) / total, 0.0)
    flags = pd.DataFrame(
        {
            "area_code": areas.array.take(ap_cells // n_p),
            "period": periods.array.take(ap_cells % n_p),
            **flag_values,
            "not_stated_share": share,
        }
    )
    if not len(raw):  # no rows to infer the string columns' dtype from
        out = out.astype(
            {c: "str" for c in ("area_code", "period", "area_name", "group", "symbol", "missing_reason")}
        )
        flags = flags.astype({"area_code": "str", "period": "str"})
    return out, flags


def _group_sum(values: np.ndarray, codes: np.ndarray, n_groups: int, *, min_count: int = 0) -> np.ndarray:
    """Sum of ``values`` by integer ``codes`` (NaN skipped), exactly as pandas' groupby ``sum``.

    When every value is a whole number and the total is below 2**53 every partial sum is exact,
    so a plain ``np.bincount`` gives pandas' (compensated) sum bit for bit; otherwise the sum is
    pandas' own ``Series.groupby(codes).sum()`` over the rows in the same order.
    """
    values = np.asarray(values, dtype=float)
    present = ~np.isnan(values)
    clean = np.where(present, values, 0.0)
    if np.all(clean == np.rint(clean)) and np.abs(clean).sum() < 2.0**53:
        out = np.bincount(codes, weights=clean, minlength=n_groups).astype(float)
    else:
        out = (
            pd.Series(values)
            .groupby(codes, sort=True)
            .sum()
            .reindex(range(n_groups), fill_value=0.0)
            .to_numpy(dtype=float, copy=True)
        )
    if min_count:
        out[np.bincount(codes, weights=present, minlength=n_groups) < min_count] = np.nan
    return out


def population_frame(loaded: pd.DataFrame, *, name: str = "population") -> pd.DataFrame:
    """A metrics population frame from a population loader's tidy frame (``population_census2021``,
    ``population_census2011_pfa``): sums ``count`` over detailed categories to area_code, group ->
    population, keeps ``census`` as the Census year (2021 from "Census 2021").

    The loader's ``period`` is the Census day, not a reporting period, so it is dropped.
    """
    require_columns(loaded, ("area_code", "group", "count"), name=name)
    check_non_negative(loaded, "count", name=name)
    frame = loaded.loc[loaded["group"].isin(POPULATION_GROUPS)]
    out = (
        frame.groupby(["area_code", "group"], sort=True)["count"]
        .sum(min_count=1)
        .rename("population")
        .reset_index()
    )
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
        frame["census"] = pd.to_numeric(
            frame["census"].astype(str).str.extract(r"(\d{4})")[0], errors="coerce"
        )
    keys = ["area_code", "group"] + (["period"] if "period" in frame.columns else [])
    if "period" in frame.columns:
        frame["period"] = frame["period"].astype(str)
    combined = np.zeros(len(frame), dtype=np.int64)
    for key in keys:  # frame.duplicated(keys, keep=False) on integer codes (missing keys alike)
        codes, uniques = pd.factorize(frame[key])
        combined = combined * (len(uniques) + 1) + (codes + 1)
    _, key_of_row, times = np.unique(combined, return_inverse=True, return_counts=True)
    duplicated = times[key_of_row.reshape(-1)] > 1
    if duplicated.any():
        row = int(np.flatnonzero(duplicated)[0])
        raise DataError(
            f"{name}: more than one population for the same {'/'.join(keys)}",
            row=row + 1,
            column="population",
            value=tuple(frame.iloc[row][keys]),
            expected="one row per area, group (and period)",
        )
    return frame


def join_population(counts: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Add ``population`` (NaN where there is none) to a prepared count frame."""
    keys = ["area_code", "group"] + (["period"] if "period" in population.columns else [])
    cols = keys + ["population"] + (["census"] if "census" in population.columns else [])
    return counts.merge(population[cols], on=keys, how="left")


def add_aggregates(
    frame: pd.DataFrame, *, minority: bool, all_groups: bool, components: tuple[str, ...] = POPULATION_GROUPS
) -> pd.DataFrame:
    """Append ETHNIC_MINORITY (every population group but White) and/or "All" (every group, including
    Not stated, over the population of all groups) rows to a frame with count and population.

    An aggregate whose component count is missing is missing ([x], ``missing_count``).
    """
    parts = [frame]
    keys = ["area_code", "area_name", "period"]
    group = frame["group"].to_numpy(dtype=object)
    if minority:
        members = [g for g in components if g != "White"]
        sub = frame.loc[np.isin(group, members)]
        parts.append(_aggregate(sub, keys, ETHNIC_MINORITY))
    if all_groups:
        sub = frame.loc[np.isin(group, (*components, NOT_STATED))]
        agg = _aggregate(sub, keys, "All")
        components_only = frame.loc[np.isin(group, components)]
        codes, first, n = _key_codes(components_only, ["area_code", "period"])
        pops = _group_sum(components_only["population"].to_numpy(dtype=float), codes, n, min_count=1)
        pop_of = dict(
            zip(
                zip(
                    components_only["area_code"].to_numpy(dtype=object)[first],
                    components_only["period"].to_numpy(dtype=object)[first],
                    strict=True,
                ),
                pops.tolist(),
                strict=True,
            )
        )
        agg = agg.drop(columns="population")
        agg["population"] = np.array(
            [pop_of.get(k, np.nan) for k in zip(agg["area_code"], agg["period"], strict=True)], dtype=float
        )
        parts.append(agg)
    return pd.concat(parts, ignore_index=True)


def _key_codes(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer codes of the distinct ``keys`` of ``frame`` in order of first appearance (as
    ``groupby(keys, sort=False)``), the row of each key's first appearance and the number of keys.
    Rows with a missing key get code -1 (groupby leaves them out)."""
    combined = np.zeros(len(frame), dtype=np.int64)
    null = np.zeros(len(frame), dtype=bool)
    for key in keys:
        codes, uniques = pd.factorize(frame[key], sort=False)
        null |= codes < 0
        combined = combined * (len(uniques) + 1) + codes
    cells, first, inverse = np.unique(np.where(null, -1, combined), return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    valid = np.ones(len(cells), dtype=bool)
    if null.any():  # -1 (a row with a missing key) sorts first: not a key
        valid[0] = False
    order = np.flatnonzero(valid)[np.argsort(first[valid], kind="stable")]
    rank = np.full(len(cells), -1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[inverse], first[order], len(order)


def _aggregate(sub: pd.DataFrame, keys: list[str], label: str) -> pd.DataFrame:
    if sub.empty:
        return sub.iloc[0:0]
    columns = ["count"] + (["population"] if "population" in sub.columns else [])
    codes, first, n = _key_codes(sub, keys)
    use = codes >= 0
    data: dict[str, object] = {k: sub[k].array.take(first) for k in keys}
    for column in columns:
        values = sub[column].to_numpy(dtype=float)[use]
        total = _group_sum(values, codes[use], n)
        total[np.bincount(codes[use], weights=np.isnan(values), minlength=n) > 0] = np.nan
        data[column] = total
    if "census" in sub.columns:
        census = sub["census"]
        known = census.notna().to_numpy() & use
        rows = np.flatnonzero(known)
        first_known = np.full(n, -1, dtype=np.int64)
        # the first row of each key with a census (rows are in order, so the last write per key
        # from the reversed rows is the first)
        first_known[codes[rows][::-1]] = rows[::-1]
        if (first_known >= 0).all():
            data["census"] = census.array.take(first_known)
        else:
            values = census.to_numpy(dtype=float)[np.maximum(first_known, 0)]
            values[first_known < 0] = np.nan
            data["census"] = values
    missing = np.isnan(data["count"])
    data["group"] = np.full(n, label, dtype=object)
    data["symbol"] = np.where(missing, "[x]", "")
    data["missing_reason"] = np.where(missing, "missing_count", "")
    return pd.DataFrame(data)


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
            raise DataError(
                "monthly counts: period is not a month",
                column="period",
                value=label,
                expected="a month such as 2021-04",
            )
        lookup[label] = financial_year_of(period.start).label
    frame["month"] = months
    frame["period"] = months.map(lookup)
    if coverage is not None:
        present = (
            coverage.loc[
                coverage.get("status", pd.Series("present", index=coverage.index)) == "present",
                ["area_code", "period"],
            ]
            .astype(str)
            .drop_duplicates()
        )
        present = present.assign(fy=present["period"].map(lambda p: financial_year_of(parse(p).start).label))
        n_months = (
            present.groupby(["area_code", "fy"])["period"]
            .nunique()
            .rename("months")
            .reset_index()
            .rename(columns={"fy": "period"})
        )
    else:
        n_months = frame.groupby(["area_code", "period"])["month"].nunique().rename("months").reset_index()
    keys = ["area_code", "period", "group", *keep]
    extra = {c: (c, "first") for c in ("area_name", "dataset") if c in frame.columns}
    out = frame.groupby(keys, sort=True, dropna=False).agg(count=("count", "sum"), **extra).reset_index()
    missing = (
        frame["count"].isna().groupby([frame[k] for k in keys], sort=True, dropna=False).any().to_numpy()
    )
    out.loc[missing, "count"] = np.nan
    out["symbol"] = np.where(out["count"].isna(), "[x]", "")
    out = out.merge(n_months, on=["area_code", "period"], how="left")
    out["partial"] = out["months"].fillna(0) < 12
    log.info(
        "by_financial_year: %d monthly rows in, %d yearly rows out; %d area-years partial",
        len(monthly),
        len(out),
        int(out.drop_duplicates(["area_code", "period"])["partial"].sum()),
    )
    assert np.isclose(out["count"].sum(), frame["count"].sum()) or frame["count"].isna().any()
    return out.drop(columns="months")
