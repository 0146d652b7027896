"""Small-number suppression of the figures from an analyst's local files (:mod:`eqlib.measures.local`).

Disclosure control
------------------
:func:`suppress_local` first applies :func:`eqlib.analysis.suppress` (counts below the threshold,
rates on denominators under 100, the ethnic-group lines). Local tables publish more totals than
the national ones: a share's denominator is the total of those who stated a group, and the
not-stated share's denominator is the total of all records. So, for every block of counts, the
groups are also checked against the lines "stated groups = stated total", "stated total + Not
stated = All" (and "White + ethnic minority groups = stated total"), and a suppressed cell is
protected in every row computed from it: its counts, values, ratios that use it as the reference,
and denominators that would reveal it. Denominators between 1 and the threshold are hidden too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.linalg import null_space

from eqlib.ethnicity import ETHNIC_MINORITY, POPULATION_GROUPS
from eqlib.measures.local import _STATED, ALL, NOT_STATED
from eqlib.measures.selection import DEFAULT_THRESHOLD, suppress
from eqlib.metrics import caveats as cv

log = logging.getLogger("eqlib.local_measures")


def _block_cells(block: pd.DataFrame) -> tuple[list[str], np.ndarray, np.ndarray, list]:
    """The cells of one block and its lines: ``(names, values, unknown, lines)``.

    Cells: each group's count, Not stated, and the totals ``_STATED`` (stated groups), ``All``
    (stated + Not stated) and, for ethnicity, the ethnic minority groups. A total the block does
    not publish (as a count, or as a denominator) starts as unknown; so does a missing count.
    """
    rows = block.loc[
        ~block["measure"].str.endswith("_population_share") & ~block["measure"].str.endswith("_change")
    ]
    by_group = rows.groupby("group", sort=False)["count"].first()
    characteristic = str(block["characteristic"].iloc[0])
    groups = [g for g in by_group.index if g not in (ALL, ETHNIC_MINORITY, NOT_STATED)]
    if characteristic == "hate_crime_strand":  # strands overlap: no totals, no lines
        values = by_group.reindex(groups).to_numpy(dtype=float)
        return groups, values, np.isnan(values), []
    names = [*groups, NOT_STATED, _STATED, ALL]
    values = by_group.reindex(groups).to_numpy(dtype=float)
    ns = float(by_group.get(NOT_STATED, 0.0))
    stated = float(np.sum(values)) if np.isfinite(values).all() else np.nan
    values = np.concatenate([values, [ns, stated, stated + ns]])
    index = {n: i for i, n in enumerate(names)}
    lines: list = [
        ([index[g] for g in groups], index[_STATED]),
        ([index[_STATED], index[NOT_STATED]], index[ALL]),
    ]
    if characteristic == "ethnicity":
        minority = [g for g in groups if g in POPULATION_GROUPS and g != "White"]
        if minority and "White" in index:
            names.append(ETHNIC_MINORITY)
            values = np.append(values, np.sum(values[[index[g] for g in minority]]))
            index[ETHNIC_MINORITY] = len(names) - 1
            lines += [
                ([index[g] for g in minority], index[ETHNIC_MINORITY]),
                ([index["White"], index[ETHNIC_MINORITY]], index[_STATED]),
            ]
    dens = set(block["denominator"].dropna().to_numpy(dtype=float).tolist())
    published = {
        _STATED: np.isfinite(values[index[_STATED]]) and values[index[_STATED]] in dens,
        ALL: (ALL in by_group.index) or (np.isfinite(values[index[ALL]]) and values[index[ALL]] in dens),
        ETHNIC_MINORITY: ETHNIC_MINORITY in by_group.index,
    }
    unknown = np.array(
        [np.isnan(v) or not published.get(n, True) for n, v in zip(names, values, strict=True)]
    )
    return names, values, unknown, lines


class _Lines:
    """Lines (sum of components = total) over a flat vector of cells, with linear recovery checks.

    Masked cells form connected parts (two masked cells are connected when a line holds both);
    each part is solved on its own, so the checks stay small however many blocks there are.
    """

    def __init__(self, lines: list, size: int):
        self.lines = [([int(c) for c in comps], int(total)) for comps, total in lines]
        self.size = size
        self.of_cell: list[list[int]] = [[] for _ in range(size)]
        for j, (comps, total) in enumerate(self.lines):
            for cell in {*comps, total}:
                self.of_cell[cell].append(j)

    def part(self, cell: int, mask: np.ndarray) -> tuple[list[int], list[int]]:
        """The masked cells connected to ``cell`` and the lines that hold any of them."""
        cells, line_ids, todo = {cell}, set(), [cell]
        while todo:
            current = todo.pop()
            for j in self.of_cell[current]:
                if j in line_ids:
                    continue
                line_ids.add(j)
                comps, total = self.lines[j]
                for other in (*comps, total):
                    if mask[other] and other not in cells:
                        cells.add(other)
                        todo.append(other)
        return sorted(cells), sorted(line_ids)

    def solved(self, cells: list[int], line_ids: list[int]) -> set[int]:
        """Which of ``cells`` (the unknowns of one part) the lines ``line_ids`` determine."""
        if not line_ids:
            return set()
        position = {c: k for k, c in enumerate(cells)}
        matrix = np.zeros((len(line_ids), len(cells)))
        for r, j in enumerate(line_ids):
            comps, total = self.lines[j]
            for c in comps:
                if c in position:
                    matrix[r, position[c]] += 1.0
            if total in position:
                matrix[r, position[total]] -= 1.0
        basis = null_space(matrix)
        if basis.size == 0:
            return set(cells)
        return {cells[k] for k in np.flatnonzero(np.all(np.abs(basis) < 1e-9, axis=1))}

    def determined(self, mask: np.ndarray) -> list[int]:
        """Every masked cell whose value the published cells and the lines fix (sorted)."""
        out: set[int] = set()
        seen: set[int] = set()
        for cell in np.flatnonzero(mask):
            if int(cell) in seen:
                continue
            cells, line_ids = self.part(int(cell), mask)
            seen.update(cells)
            out |= self.solved(cells, line_ids)
        return sorted(out)

    def is_solved(self, cell: int, mask: np.ndarray) -> bool:
        cells, line_ids = self.part(cell, mask)
        return cell in self.solved(cells, line_ids)


def _secondary(
    values: np.ndarray,
    mask: np.ndarray,
    confidential: np.ndarray,
    lines: list,
    all_of: Mapping[int, int],
    penalty: np.ndarray,
) -> np.ndarray:
    """Extend ``mask`` until no confidential cell can be solved for from the published cells.

    Only the confidential cells (the primary suppressions) must stay unsolvable: a masked cell
    that is merely unpublished (a total a block does not show) or hidden to protect another may be
    solvable, since the check runs on the whole system of lines at once. To protect an exposed
    cell: a hidden Not stated count first hides the total of all records of its block
    (``all_of``); otherwise the cheapest published cell whose hiding leaves the exposed cell
    unsolvable is hidden, cheapest by (``penalty``, value) -- penalties keep stated totals and
    the aggregate workforces (a force's headline, a worker type) published where detail can be
    hidden instead. Linear recovery only (bounds from non-negativity are not considered), as
    :mod:`eqlib.metrics.disclosure`.
    """
    mask = mask.copy()
    system = _Lines(lines, values.size)
    order = np.nan_to_num(values, nan=np.inf)
    rank = np.lexsort((np.arange(values.size), order, penalty))
    for _ in range(values.size + 1):
        exposed = [c for c in system.determined(mask) if confidential[c]]
        if not exposed:
            return mask
        cell = exposed[0]
        choice = all_of.get(cell)
        chosen: list[int] = [choice] if choice is not None and not mask[choice] else []
        if not chosen:
            chosen = _cheapest_cover(cell, mask, system, rank, all_of)
        if not chosen:
            log.warning("local suppression: cell %d cannot be protected further", cell)
            return mask
        mask[chosen] = True
    return mask


def _cheapest_cover(
    cell: int,
    mask: np.ndarray,
    system: _Lines,
    rank: np.ndarray,
    all_of: Mapping[int, int],
    pairs_from: int = 30,
) -> list[int]:
    """The cheapest cells to hide so that ``cell`` can no longer be solved for.

    Only published cells of the lines that hold ``cell``'s connected part can change that. Tries,
    in order of cost: one cell (with its block's total of all records, for a Not stated cell);
    then two of the ``pairs_from`` cheapest; else the cheapest cell of a line holding ``cell``
    (progress towards a cover).
    """
    _, line_ids = system.part(cell, mask)
    near = {c for j in line_ids for c in (*system.lines[j][0], system.lines[j][1]) if not mask[c]}
    open_cells = [int(c) for c in rank if int(c) in near]

    def covers(extra: list[int]) -> bool:
        trial = mask.copy()
        trial[extra] = True
        return not system.is_solved(cell, trial)

    for candidate in open_cells:
        extra = [candidate] + (
            [all_of[candidate]] if candidate in all_of and not mask[all_of[candidate]] else []
        )
        if covers(extra):
            return extra
    top = open_cells[:pairs_from]
    for i, first in enumerate(top):
        for second in top[i + 1 :]:
            if covers([first, second]):
                return [first, second]
    member = {
        c for j in system.of_cell[cell] for c in (*system.lines[j][0], system.lines[j][1]) if not mask[c]
    }
    return [next(c for c in open_cells if c in member)] if member else []


def _protect(original: pd.DataFrame, suppressed: pd.DataFrame, threshold: int) -> dict[str, dict[str, float]]:
    """Cells to hide in one area and period: ``{block: {cell name: value}}``.

    Primary: counts below ``threshold`` (zeros are published) and cells
    :func:`eqlib.analysis.suppress` hid. Secondary: :func:`_secondary` over every block's lines and the lines between blocks (a workforce = the sum of its worker
    types, a worker type = the sum of its ranks, senior officers = the sum of the senior ranks).
    Where Not stated is hidden, the total of all records is hidden with it (rather than a
    cascade of stated groups).
    """
    names: list[tuple[str, str]] = []
    values: list[float] = []
    unknown: list[bool] = []
    primary: list[bool] = []
    lines: list = []
    index: dict[tuple[str, str], int] = {}
    parents: dict[str, list[str]] = {}
    for block_id, rows in original.groupby("block", sort=True):
        cell_names, cell_values, cell_unknown, cell_lines = _block_cells(rows)
        offset = len(names)
        hid = set(rows.loc[[("suppressed" in c) for c in suppressed.loc[rows.index, "caveats"]], "group"])
        for name, value, unk in zip(cell_names, cell_values, cell_unknown, strict=True):
            index[(block_id, name)] = len(names)
            names.append((block_id, name))
            values.append(value)
            unknown.append(bool(unk))
            primary.append(bool(np.isfinite(value) and 0 < value < threshold) or name in hid)
        lines += [([offset + c for c in comps], offset + total) for comps, total in cell_lines]
        within = str(rows["within"].iloc[0]) if "within" in rows.columns else ""
        for parent in filter(None, within.split(";")):
            parents.setdefault(parent, []).append(str(block_id))
    for parent, children in parents.items():
        for (block_id, name), total in list(index.items()):
            if block_id != parent:
                continue
            comps = [index[(c, name)] for c in children if (c, name) in index]
            if comps:
                lines.append((comps, total))
    value_array = np.asarray(values, dtype=float)
    confidential = np.asarray(primary, dtype=bool) | np.isnan(value_array)
    mask = np.asarray(unknown, dtype=bool) | confidential
    all_of = {i: index[(b, ALL)] for (b, n), i in index.items() if n == NOT_STATED and (b, ALL) in index}
    has_children = set(parents)
    cost = {NOT_STATED: 0.0, ALL: 0.0, ETHNIC_MINORITY: 1.0, _STATED: 2.0}
    penalty = np.array([cost.get(n, 0.0) + (3.0 if b in has_children else 0.0) for b, n in names])
    mask = _secondary(value_array, mask, confidential, lines, all_of, penalty)
    hidden: dict[str, dict[str, float]] = {}
    for (block_id, name), i in index.items():
        if mask[i] and not unknown[i]:
            hidden.setdefault(block_id, {})[name] = values[i]
    # the same total of all records appears in the blocks of each characteristic: hide it in all
    all_hidden = {
        (str(original.loc[original["block"] == b, "breakdown"].iloc[0]), v)
        for b, cells in hidden.items()
        for n, v in cells.items()
        if n == ALL
    }
    for (block_id, name), i in index.items():
        if name == ALL and not unknown[i] and np.isfinite(values[i]):
            breakdown = str(original.loc[original["block"] == block_id, "breakdown"].iloc[0])
            if (breakdown, values[i]) in all_hidden:
                hidden.setdefault(block_id, {})[ALL] = values[i]
    return hidden


def suppress_local(frame: pd.DataFrame, *, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Small-number suppression of a local figure frame (module docstring, "Disclosure control").

    :func:`eqlib.analysis.suppress` first; then every row computed from a hidden cell is hidden:
    its count (where it is the cell's), value, interval and p-value; ratios whose reference group is
    hidden; denominators equal to a hidden total; and denominators from 1 to ``threshold`` - 1.
    """
    if frame.empty:
        return frame
    original = frame.reset_index(drop=True)
    out = suppress(original, threshold=threshold).reset_index(drop=True)
    count0 = original["count"].to_numpy(dtype=float)
    den0 = original["denominator"].to_numpy(dtype=float)
    hide = np.zeros(len(out), dtype=bool)
    hide_count = np.zeros(len(out), dtype=bool)
    hide_den = np.zeros(len(out), dtype=bool)
    for _, idx in original.groupby(["area_code", "period"], sort=False).groups.items():
        part = original.loc[idx]
        hidden = _protect(part, out.loc[idx], threshold)
        for i in idx:
            row = original.loc[i]
            cells = hidden.get(str(row["block"]), {})
            if not cells:
                continue
            measure = str(row["measure"])
            group = str(row["group"])
            if group in cells and not measure.endswith("_population_share"):
                hide[i] = True
                if np.isnan(count0[i]) or count0[i] == cells[group] or measure.endswith("_change"):
                    hide_count[i] = True
            if row["reference_group"] and row["reference_group"] in cells:
                hide[i] = True
            totals = [v for n, v in cells.items() if n in (_STATED, ALL, ETHNIC_MINORITY)]
            if np.isfinite(den0[i]) and any(den0[i] == v for v in totals):
                hide[i] = hide_den[i] = True
    small_den = np.isfinite(den0) & (den0 > 0) & (den0 < threshold)
    hide |= small_den
    hide_den |= small_den
    new = (
        (hide & (out["symbol"] != "[c]").to_numpy())
        | (hide_count & out["count"].notna().to_numpy())
        | (hide_den & out["denominator"].notna().to_numpy())
    )
    if new.any():
        log.info("local suppression: %d more figures hidden to protect suppressed cells", int(new.sum()))
    for column in ("value", "ci_low", "ci_high", "p_value"):
        out.loc[hide, column] = np.nan
    out.loc[hide_count, "count"] = np.nan
    out.loc[hide_den, "denominator"] = np.nan
    out.loc[hide, "symbol"] = "[c]"
    return cv.add(out, hide, "suppressed")
