"""The common output shape of every metric (the "figure" frame) and input checks shared by the metrics.

Every public metric takes tidy frames and returns one row per area x period x group (x stage) with
:data:`FIGURE_COLUMNS`:

``area_code``, ``area_name``, ``period``, ``measure`` (an id from :mod:`eqlib.measures` where one fits,
suffixed for companion statistics, e.g. ``stop_search_arrest_rate_ratio``), ``group``,
``reference_group`` ('' where there is no comparison), ``count`` (the numerator), ``denominator``
(population, total searches, ...), ``value`` (per 1,000 for rates, per cent for shares, a ratio for
ratios and indices), ``ci_low``/``ci_high`` (95% unless ``alpha`` says otherwise), ``p_value``
(NaN where no test applies), ``method`` (plain text naming the statsmodels/scipy function), ``symbol``
('' or a GSS symbol ``[c]`` ``[x]`` ``[z]`` ``[u]``) and ``caveats`` (a tuple of codes from
:mod:`eqlib.metrics.caveats`).

Invariant (checked by :func:`finalise`): ``value``, ``ci_low`` and ``ci_high`` are finite, or NaN
with a non-empty ``symbol`` and a caveat code giving the reason. Nothing is ever ``inf``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from eqlib import areas
from eqlib.errors import DataError

FIGURE_COLUMNS: tuple[str, ...] = (
    "area_code",
    "area_name",
    "period",
    "measure",
    "group",
    "reference_group",
    "count",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "p_value",
    "method",
    "symbol",
    "caveats",
)

#: the keys that identify one figure (plus ``stage`` for the relative rate index)
KEY_COLUMNS: tuple[str, ...] = ("area_code", "period", "measure", "group")

_FLOAT_COLUMNS = ("count", "denominator", "value", "ci_low", "ci_high", "p_value")


def area_name_of(code: str) -> str:
    """Display name of an ONS area code; the code itself when it is not a known area (synthetic data)."""
    try:
        return areas.get(code).name
    except Exception:  # noqa: BLE001 - unknown codes are allowed in synthetic frames
        return str(code)


def is_small_population(code: str) -> bool:
    try:
        return bool(areas.get(code).small_population)
    except Exception:  # noqa: BLE001
        return False


def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, name: str) -> None:
    """Raise :class:`DataError` naming the frame and the missing columns."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{name} lacks column(s) {missing}",
            column=missing[0],
            expected=f"columns {list(columns)} (found {list(frame.columns)})",
        )


def check_non_negative(frame: pd.DataFrame, column: str, *, name: str) -> None:
    """Raise :class:`DataError` for the first negative value, naming the row and column."""
    is_float = frame[column].dtype == np.float64  # every value a number (NaN: missing, not text)
    values = frame[column] if is_float else pd.to_numeric(frame[column], errors="coerce")
    bad = np.flatnonzero((values < 0).to_numpy())
    if bad.size:
        row = int(bad[0])
        raise DataError(
            f"{name}: negative {column}",
            row=row + 1,
            column=column,
            value=frame[column].iloc[row],
            expected="a count or population of 0 or more",
        )
    if is_float:
        return
    not_numeric = np.flatnonzero((values.isna() & frame[column].notna()).to_numpy())
    if not_numeric.size:
        row = int(not_numeric[0])
        raise DataError(
            f"{name}: {column} is not a number",
            row=row + 1,
            column=column,
            value=frame[column].iloc[row],
            expected="a number",
        )


def map_codes(codes: pd.Series, function) -> pd.Series:
    """Apply a function of an area code once per distinct code (fast on long frames)."""
    index, uniques = pd.factorize(codes)
    if (index < 0).any() or not len(uniques):  # missing codes (or none): as Series.map does
        lookup = {code: function(code) for code in pd.unique(codes)}
        return codes.map(lookup)
    values = pd.Series([function(code) for code in uniques])
    return pd.Series(values.array.take(index), index=codes.index, name=codes.name)


def with_area_names(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``area_name`` from :mod:`eqlib.areas` where it is missing."""
    out = frame
    if "area_name" not in out.columns:
        out = out.assign(area_name=map_codes(out["area_code"], area_name_of))
    else:
        missing = out["area_name"].isna() | (out["area_name"].astype(str) == "")
        if missing.any():
            out = out.copy()
            out.loc[missing, "area_name"] = map_codes(out.loc[missing, "area_code"], area_name_of)
    return out


def empty_figure() -> pd.DataFrame:
    """A figure frame with no rows and the right columns and dtypes."""
    frame = pd.DataFrame(
        {c: pd.Series(dtype=float if c in _FLOAT_COLUMNS else object) for c in FIGURE_COLUMNS}
    )
    return frame


def finalise(frame: pd.DataFrame, *, extra: Sequence[str] = ()) -> pd.DataFrame:
    """Order the columns, fix dtypes, sort rows and check the no-inf/no-unexplained-NaN invariant.

    Raises
    ------
    AssertionError
        If a metric produced ``inf``, or ``NaN`` without a symbol and caveat (a bug, not bad data).
    """
    out = frame.copy(deep=False)  # copy-on-write: nothing below changes ``frame``
    for column in FIGURE_COLUMNS:
        if column not in out.columns:
            out[column] = np.nan if column in _FLOAT_COLUMNS else ""
    for column in _FLOAT_COLUMNS:
        if out[column].dtype != np.float64:
            out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    for column in (
        "area_code",
        "area_name",
        "period",
        "measure",
        "group",
        "reference_group",
        "method",
        "symbol",
    ):
        out[column] = _as_text(out[column])
    caveat_list = out["caveats"].tolist()
    if out["caveats"].dtype != object or not all(type(c) is tuple for c in caveat_list):  # noqa: E721
        out["caveats"] = [
            c
            if type(c) is tuple
            # noqa: E721 - exact type: a subclass is converted
            else tuple(c)
            if isinstance(c, (tuple, list))
            else (() if not c else (str(c),))
            for c in caveat_list
        ]
        caveat_list = out["caveats"].tolist()
    values = np.column_stack([out[c].to_numpy(dtype=float) for c in ("value", "ci_low", "ci_high")])
    if np.isinf(values).any():
        raise AssertionError("a metric produced inf; it must give a symbol and a reason instead")
    nan_rows = np.isnan(values).any(axis=1)
    unexplained = nan_rows & (out["symbol"].to_numpy(dtype=object) == "")
    if unexplained.any():
        raise AssertionError(
            "a metric produced NaN without a GSS symbol:\n" + out.loc[unexplained].head().to_string()
        )
    no_reason = np.zeros(len(out), dtype=bool)
    for i in np.flatnonzero(nan_rows):
        no_reason[i] = len(caveat_list[i]) == 0
    if no_reason.any():
        raise AssertionError(
            "a metric produced NaN without a caveat giving the reason:\n"
            + out.loc[no_reason].head().to_string()
        )
    columns = list(FIGURE_COLUMNS) + [c for c in extra if c in out.columns]
    out = out[columns]
    sort = [c for c in ("area_code", "period", "measure", "stage") if c in out.columns]
    order = _stable_order(out, sort)
    if len(order) > 1 and not (order[1:] > order[:-1]).all():
        out = out.take(order)
    return out.reset_index(drop=True)


def _as_text(column: pd.Series) -> pd.Series:
    """``column.fillna("").astype(str).astype(object)``, without the two conversions when every
    value is already a ``str``."""
    values = column.to_numpy(dtype=object)
    missing = column.isna().to_numpy()
    if missing.any():
        values = values.copy()
        values[missing] = ""
    elif column.dtype == object and _all_str(values):
        return column  # already text: the conversions would change nothing
    if isinstance(column.dtype, pd.StringDtype) or _all_str(values):
        return pd.Series(values, index=column.index, dtype=object)
    return column.fillna("").astype(str).astype(object)


def _all_str(values: np.ndarray) -> bool:
    """Whether every value of an object array is a ``str`` (none missing)."""
    return pd.api.types.infer_dtype(values, skipna=False) in ("string", "empty")


def _stable_order(out: pd.DataFrame, sort: list[str]) -> np.ndarray:
    """Row order of ``out.sort_values([*sort, group order, "group"], kind="stable")`` (the sort
    columns hold strings), by ``np.lexsort`` on sorted codes."""
    keys = []
    for column in sort:
        values = out[column]
        if column == "stage" and not _all_str(values.to_numpy(dtype=object)):
            frame = out[sort + ["group"]].assign(
                _group_order=out["group"].map(_GROUP_ORDER).fillna(len(_GROUP_ORDER)).astype(int)
            )
            return frame.sort_values([*sort, "_group_order", "group"], kind="stable").index.to_numpy()
        keys.append(pd.factorize(values, sort=True)[0])
    group_codes, group_names = pd.factorize(out["group"], sort=True)
    rank = np.array([_GROUP_ORDER.get(g, len(_GROUP_ORDER)) for g in group_names], dtype=np.int64)
    keys += [rank[group_codes] if len(group_names) else group_codes, group_codes]
    return np.lexsort(keys[::-1]) if len(out) else np.arange(0)


#: conventional order of groups in outputs (the order of GOV.UK Ethnicity facts and figures tables)
_GROUP_ORDER = {
    g: i
    for i, g in enumerate(
        ("Asian", "Black", "Mixed", "White", "Other", "All ethnic minority groups", "Not stated", "All")
    )
}


def caveats_to_text(codes: Iterable[str]) -> str:
    """Join caveat codes for CSV output (``small_count;not_stated_high``)."""
    return ";".join(codes)


def to_csv_ready(figure: pd.DataFrame) -> pd.DataFrame:
    """A copy of a figure frame with caveats joined as text, for the tables writer."""
    out = figure.copy()
    out["caveats"] = out["caveats"].map(caveats_to_text)
    return out
