"""Property tests (hypothesis): scale invariance of the ratio, intervals contain their estimates,
secondary suppression never lets a suppressed value be recovered from published totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.linalg import null_space

from eqlib import metrics as M

AREA = "W15000002"
GROUPS = ("Asian", "Black", "Mixed", "White", "Other")

counts_st = st.lists(st.integers(0, 5000), min_size=5, max_size=5)
pops_st = st.lists(st.integers(1, 3_000_000), min_size=5, max_size=5)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _frames(counts, pops, scale=1.0):
    c = pd.DataFrame(
        {"area_code": AREA, "period": "2021-22", "group": GROUPS, "count": [float(x) for x in counts]}
    )
    p = pd.DataFrame({"area_code": AREA, "group": GROUPS, "population": [float(x) * scale for x in pops]})
    return c, p


@SETTINGS
@given(counts=counts_st, pops=pops_st, scale=st.floats(0.01, 100.0))
def test_ratio_unchanged_when_both_populations_scale_together(counts, pops, scale):
    c, p = _frames(counts, pops)
    c2, p2 = _frames(counts, pops, scale)
    a = M.disparity(c, p)
    b = M.disparity(c2, p2)
    assert list(a["symbol"]) == list(b["symbol"])
    ok = a["symbol"] == ""
    np.testing.assert_allclose(a.loc[ok, "value"], b.loc[ok, "value"], rtol=1e-9)
    np.testing.assert_allclose(a.loc[ok, "ci_low"], b.loc[ok, "ci_low"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(a.loc[ok, "ci_high"], b.loc[ok, "ci_high"], rtol=1e-6)
    np.testing.assert_allclose(a.loc[ok, "p_value"], b.loc[ok, "p_value"], rtol=1e-6, atol=1e-12)


def _contains(frame: pd.DataFrame) -> None:
    ok = frame["value"].notna()
    # a value that cannot be computed carries a symbol and a reason instead
    assert (frame.loc[~ok, "symbol"] != "").all() and frame.loc[~ok, "caveats"].map(len).gt(0).all()
    v, lo, hi = (frame.loc[ok, c].to_numpy(dtype=float) for c in ("value", "ci_low", "ci_high"))
    tol = 1e-9 * np.maximum(1.0, np.abs(v))
    assert (lo <= v + tol).all() and (v <= hi + tol).all(), frame.loc[
        ok & ~((lo <= v + tol) & (v <= hi + tol))
    ]


@SETTINGS
@given(counts=counts_st, pops=pops_st, not_stated=st.integers(0, 3000))
def test_every_rate_and_ratio_interval_contains_its_estimate(counts, pops, not_stated):
    c, p = _frames(counts, pops)
    c = pd.concat(
        [
            c,
            pd.DataFrame(
                {
                    "area_code": [AREA],
                    "period": ["2021-22"],
                    "group": ["Not stated"],
                    "count": [float(not_stated)],
                }
            ),
        ],
        ignore_index=True,
    )
    for frame in (M.rates(c, p), M.disparity(c, p), M.not_stated_bounds(c, p), M.not_stated_share(c)):
        _contains(frame)


@SETTINGS
@given(data=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400)), min_size=5, max_size=5))
def test_every_share_interval_contains_its_estimate(data):
    events = pd.DataFrame(
        {
            "area_code": AREA,
            "period": "2021-22",
            "group": GROUPS,
            "count": [float(min(a, b)) for a, b in data],
            "denominator": [float(max(a, b)) for a, b in data],
        }
    )
    _contains(M.proportions(events, measure="stop_search_arrest_rate"))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pops=pops_st, searches=counts_st, arrest_share=st.floats(0.0, 1.0), staff=counts_st)
def test_rri_and_representation_intervals_contain_their_estimates(pops, searches, arrest_share, staff):
    c, p = _frames(searches, pops)
    arrests = c.assign(count=(c["count"] * arrest_share).round())
    _contains(M.relative_rate_index([p, c, arrests], stage_names=["population", "search", "arrest"]))
    workforce = c.assign(count=[float(x) for x in staff], period="2023-03-31")
    _contains(M.representation(workforce, p))


def _recoverable(values: np.ndarray, published: np.ndarray) -> list[tuple[int, int]]:
    """Suppressed cells of a table with a total row and column whose value the published cells and the
    row and column equations determine (solved independently of the suppression code)."""
    n_rows, n_cols = values.shape
    unknown = [(r, c) for r in range(n_rows) for c in range(n_cols) if not published[r, c]]
    if not unknown:
        return []
    index = {cell: i for i, cell in enumerate(unknown)}
    equations = []
    for r in range(n_rows):  # sum of the row's cells minus its total (last column) = 0
        row = np.zeros(len(unknown))
        for c in range(n_cols):
            if (r, c) in index:
                row[index[(r, c)]] += -1.0 if c == n_cols - 1 else 1.0
        equations.append(row)
    for c in range(n_cols):
        row = np.zeros(len(unknown))
        for r in range(n_rows):
            if (r, c) in index:
                row[index[(r, c)]] += -1.0 if r == n_rows - 1 else 1.0
        equations.append(row)
    basis = null_space(np.vstack(equations))
    determined = np.all(np.abs(basis) < 1e-9, axis=1) if basis.size else np.ones(len(unknown), dtype=bool)
    return [cell for cell, d in zip(unknown, determined, strict=True) if d]


@settings(max_examples=80, deadline=None)
@given(
    cells=st.lists(st.lists(st.integers(0, 30), min_size=2, max_size=5), min_size=2, max_size=5),
    threshold=st.integers(2, 10),
)
def test_secondary_suppression_never_reveals_a_suppressed_cell(cells, threshold):
    width = min(len(r) for r in cells)
    body = np.array([r[:width] for r in cells], dtype=float)
    table = np.zeros((body.shape[0] + 1, width + 1))
    table[:-1, :-1] = body
    table[:-1, -1] = body.sum(axis=1)
    table[-1, :] = table[:-1, :].sum(axis=0)
    frame = pd.DataFrame(
        table,
        index=[*(f"r{i}" for i in range(body.shape[0])), "Total"],
        columns=[*(f"c{j}" for j in range(width)), "Total"],
    )
    published, audit = M.suppress_table(frame, threshold=threshold)
    shown = (published != "[c]").to_numpy()
    # every primary cell is suppressed
    primary = (table > 0) & (table < threshold)
    assert not (primary & shown).any()
    # nothing suppressed can be solved for from what is published
    assert _recoverable(table, shown) == []
    # the audit lists every suppressed cell once
    assert len(audit) == int((~shown).sum())
    assert set(audit["stage"]) <= {"primary", "secondary"}


@SETTINGS
@given(
    white=st.lists(st.integers(50, 20_000), min_size=3, max_size=6),
    multiple=st.integers(1, 5),
    pops=st.lists(st.integers(1_000, 3_000_000), min_size=2, max_size=2),
)
def test_trend_with_the_same_ratio_every_year_reports_no_clear_change(white, multiple, pops):
    """Issue 9: counts whose ratio is the same every year (the volume may swing) show no significant
    change in the disparity, whatever the (single) population base of the model."""
    from eqlib.report import narrative

    rows = []
    for i, w in enumerate(white):
        period = f"{2015 + i}-{(2016 + i) % 100:02d}"
        rows += [(AREA, period, "White", float(w)), (AREA, period, "Black", float(w * multiple))]
    counts = pd.DataFrame(rows, columns=["area_code", "period", "group", "count"])
    population = pd.DataFrame(
        {
            "area_code": AREA,
            "group": ["Black", "White"],
            "population": [float(p) for p in pops],
            "census": "Census 2021",
        }
    )
    row = M.disparity_trend(counts, population, include_minority=False, population_base="Census 2021").iloc[0]
    assert abs(row["value"] - 1) < 1e-6
    assert row["ci_low"] <= 1 <= row["ci_high"] and not row["p_value"] < 0.05
    assert row["dispersion"] >= 1 and "population base: Census 2021" in row["method"]
    assert "no clear change" in narrative.sentence(row.to_dict())


def test_trend_refuses_two_censuses_in_one_model():
    import pytest

    from eqlib.errors import DataError

    counts = pd.DataFrame(
        [
            (AREA, f"{y}-{(y + 1) % 100:02d}", g, 100.0)
            for y in (2019, 2020, 2021)
            for g in ("Black", "White")
        ],
        columns=["area_code", "period", "group", "count"],
    )
    population = pd.DataFrame(
        {
            "area_code": AREA,
            "group": ["Black", "White"] * 2,
            "population": 1e5,
            "census": ["Census 2011"] * 2 + ["Census 2021"] * 2,
            "period": ["2019-20"] * 2 + ["2021-22"] * 2,
        }
    )
    with pytest.raises(DataError, match="one population base"):
        M.disparity_trend(counts, population)
