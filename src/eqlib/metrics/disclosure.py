"""Statistical disclosure control for published tables: primary and secondary suppression with GSS symbols
and an audit of what was suppressed and why.

Rules (GSS / ONS practice for published counts; the police precedent in METHODS.md):

1. Primary suppression: a count below ``threshold`` (default 5; zeros only if ``suppress_zeros``) is
   replaced by ``[c]``; so is any figure computed from it. In a figure frame a rate or share whose
   denominator is below ``min_denominator`` (default 100) is also hidden (``[c]``, reason
   ``small_denominator``).
2. Secondary suppression: where a published total would reveal a suppressed cell (a row or column of
   the table -- a "line": components plus their total -- with exactly one suppressed entry), the next
   smallest published component of that line is suppressed too. This repeats until stable, and then a
   linear-algebra check confirms that no suppressed cell is determined by the published cells and
   the line equations (sum of components = total); if one is, the smallest published cell in its line
   is suppressed and the loop repeats.

The result cannot be solved for any suppressed cell from the published values and totals (bounds
from non-negativity are not considered: that is the usual "no exact recovery" standard).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.linalg import null_space

from eqlib.ethnicity import ETHNIC_MINORITY, POPULATION_GROUPS
from eqlib.metrics import caveats as cv

DEFAULT_THRESHOLD = 5
DEFAULT_MIN_DENOMINATOR = 100
SUPPRESSED = "[c]"

#: lines of a figure frame: (components, total); a line counts only where all its groups are present
FIGURE_LINES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("Asian", "Black", "Mixed", "Other"), ETHNIC_MINORITY),
    (("Asian", "Black", "Mixed", "White", "Other", "Not stated"), "All"),
    (("White", ETHNIC_MINORITY, "Not stated"), "All"),
    # searches by sex and by age group (eqlib.metrics.characteristics): the categories, Not recorded, All
    (("Male", "Female", "Other", "Not recorded"), "All"),
    (("under 10", "10-17", "18-24", "25-34", "over 34", "Not recorded"), "All"),
)

Line = tuple[Sequence[int], int | None]


def _recoverable(values: np.ndarray, mask: np.ndarray, lines: Sequence[Line]) -> np.ndarray:
    """Indices of suppressed cells whose value the line equations determine exactly."""
    unknown = np.flatnonzero(mask)
    if unknown.size == 0:
        return unknown
    position = {int(u): i for i, u in enumerate(unknown)}
    rows = []
    for components, total in lines:
        row = np.zeros(unknown.size)
        members = [(int(c), 1.0) for c in components] + ([(int(total), -1.0)] if total is not None else [])
        touched = False
        for index, sign in members:
            if index in position:
                row[position[index]] += sign
                touched = True
        if touched and total is not None:
            rows.append(row)
    if not rows:
        return unknown[:0]
    basis = null_space(np.vstack(rows))
    if basis.size == 0:
        return unknown
    determined = np.all(np.abs(basis) < 1e-9, axis=1)
    return unknown[determined]


def secondary_suppression(
    values: np.ndarray,
    mask: np.ndarray,
    lines: Sequence[Line],
    labels: Sequence[str] | None = None,
    *,
    fixed: np.ndarray | None = None,
    min_hidden_sum: float | None = None,
) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Extend ``mask`` (primary suppression) so no suppressed value can be recovered from the lines.

    ``values`` is a flat array of cells, ``lines`` a list of (component indices, total index or None).
    ``fixed`` marks cells that are known and cannot be hidden (a group with no records, which a
    reader reads as 0). With ``min_hidden_sum``, the hidden components of a line whose total is
    published must add up to at least that much (else their sum, total minus the published
    components, is itself a small number): the smallest non-zero published component is hidden
    until they do, then the total.
    Returns the new mask and a list of (index, reason) for each secondary suppression.
    """
    values = np.asarray(values, dtype=float)
    mask = np.asarray(mask, dtype=bool).copy()
    fixed = np.zeros(values.size, dtype=bool) if fixed is None else np.asarray(fixed, dtype=bool)
    name = (lambda i: labels[i]) if labels is not None else (lambda i: f"cell {i}")
    audit: list[tuple[int, str]] = []

    def protect(line: Line, because: int) -> bool:
        components, total = line
        candidates = [int(c) for c in components if not mask[c] and not fixed[c]]
        if not candidates and total is not None and not mask[total] and not fixed[total]:
            candidates = [int(total)]
        if not candidates:
            return False
        if min_hidden_sum is None:
            chosen = min(candidates, key=lambda i: (np.nan_to_num(values[i], nan=np.inf), i))
        else:  # a zero adds nothing to the hidden sum: the smallest non-zero component first
            chosen = min(candidates, key=lambda i: (values[i] == 0, np.nan_to_num(values[i], nan=np.inf), i))
        mask[chosen] = True
        audit.append(
            (
                chosen,
                f"secondary: the total {name(total) if total is not None else ''} would reveal "
                f"{name(because)}",
            )
        )
        return True

    for _ in range(values.size + 1):
        changed = False
        for line in lines:
            components, total = line
            if total is None or mask[total]:
                continue
            hidden = [int(c) for c in components if mask[c]]
            if len(hidden) == 1:
                changed |= protect(line, hidden[0])
            elif (
                hidden
                and min_hidden_sum is not None
                and np.nansum(values[hidden]) < min_hidden_sum
                and protect(line, hidden[0])
            ):
                audit[-1] = (
                    audit[-1][0],
                    f"secondary: the hidden cells of {name(total)} would add up to "
                    f"{np.nansum(values[hidden]):g}",
                )
                changed = True
        if changed:
            continue
        exposed = _recoverable(values, mask, lines)
        if exposed.size == 0:
            break
        cell = int(exposed[0])
        for line in lines:
            if cell in [int(c) for c in line[0]] or cell == line[1]:
                if protect(line, cell):
                    changed = True
                    break
        if not changed:  # nothing left to suppress in any line of this cell: hide the totals too
            for line in lines:
                if (
                    line[1] is not None
                    and not mask[line[1]]
                    and not fixed[line[1]]
                    and (cell in [int(c) for c in line[0]])
                ):
                    mask[line[1]] = True
                    audit.append((int(line[1]), f"secondary: total hidden to protect {name(cell)}"))
                    changed = True
        if not changed:
            break
    return mask, audit


def suppress_table(
    table: pd.DataFrame,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    row_total: str | None = "Total",
    column_total: str | None = "Total",
    suppress_zeros: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Suppress a wide table of counts with a total row and/or column.

    Parameters
    ----------
    table
        Numeric table; the row labelled ``row_total`` (index) and column ``column_total`` hold totals
        (None where the table has no such total).

    Returns
    -------
    (published, audit)
        ``published``: the table as objects with suppressed cells replaced by ``[c]``; ``audit``:
        row, column, value, stage (primary/secondary) and reason for every suppressed cell.
    """
    values = table.to_numpy(dtype=float)
    n_rows, n_cols = values.shape
    rows, cols = list(table.index), list(table.columns)
    r_total = rows.index(row_total) if row_total is not None and row_total in rows else None
    c_total = cols.index(column_total) if column_total is not None and column_total in cols else None
    flat = values.ravel()
    small = flat < threshold
    if not suppress_zeros:
        small &= flat > 0
    mask = small.copy()
    labels = [f"{rows[i // n_cols]!s} / {cols[i % n_cols]!s}" for i in range(flat.size)]
    lines: list[Line] = []
    for r in range(n_rows):
        comps = [r * n_cols + c for c in range(n_cols) if c != c_total]
        lines.append((comps, r * n_cols + c_total if c_total is not None else None))
    for c in range(n_cols):
        comps = [r * n_cols + c for r in range(n_rows) if r != r_total]
        lines.append((comps, r_total * n_cols + c if r_total is not None else None))
    mask, secondary = secondary_suppression(flat, mask, lines, labels)
    audit = [
        dict(
            row=rows[i // n_cols],
            column=cols[i % n_cols],
            value=flat[i],
            stage="primary",
            reason=f"primary: count {flat[i]:g} below {threshold}",
        )
        for i in np.flatnonzero(small)
    ]
    audit += [
        dict(row=rows[i // n_cols], column=cols[i % n_cols], value=flat[i], stage="secondary", reason=why)
        for i, why in secondary
    ]
    published = table.astype(object).copy()
    grid = mask.reshape(n_rows, n_cols)
    for r, c in zip(*np.nonzero(grid), strict=True):
        published.iat[r, c] = SUPPRESSED
    return published, pd.DataFrame(audit, columns=["row", "column", "value", "stage", "reason"])


def suppress_figures(
    figure: pd.DataFrame,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    min_denominator: float = DEFAULT_MIN_DENOMINATOR,
    suppress_zeros: bool = False,
    lines: Sequence[tuple[Sequence[str], str]] = FIGURE_LINES,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Suppress a figure frame (:data:`FIGURE_COLUMNS`) for publication.

    Primary: ``count`` below ``threshold`` -> count, value, interval and p-value blanked, symbol [c],
    caveat ``suppressed``; ``denominator`` below ``min_denominator`` -> value, interval and p-value
    blanked, [c], caveat ``small_denominator``. Secondary: within each area, period and measure the
    group counts form lines (:data:`FIGURE_LINES`: Asian + Black + Mixed + Other = All ethnic minority
    groups, ...); a line whose total is published cannot have exactly one suppressed count.

    Rows marked :func:`mark_published` (caveat ``published_nationally``: a national count the source
    already publishes) are never suppressed.

    Returns ``(published, audit)``; audit has area_code, period, measure, group, count, stage, reason.
    """
    out = figure.copy().reset_index(drop=True)
    count = out["count"].to_numpy(dtype=float)
    den = out["denominator"].to_numpy(dtype=float)
    public = published_nationally(out)
    primary = np.isfinite(count) & (count < threshold) & ~public
    if not suppress_zeros:
        primary &= count > 0
    small_den = (
        ~primary & ~public & np.isfinite(den) & (den < min_denominator) & out["value"].notna().to_numpy()
    )
    audit_rows: list[dict] = []
    for i in np.flatnonzero(primary):
        audit_rows.append(_audit(out, i, "primary", f"primary: count {count[i]:g} below {threshold}"))
    for i in np.flatnonzero(small_den):
        audit_rows.append(
            _audit(out, i, "primary", f"primary: denominator {den[i]:g} below {min_denominator:g}")
        )
    mask = primary.copy()
    block_keys = [k for k in ("area_code", "period", "measure", "stage") if k in out.columns]
    if mask.any():
        # the rows of each block (area, period, measure, stage) with a primary suppression, in the order
        # of the blocks' first suppressed row: integer block codes, one stable sort, a slice per block
        codes = np.zeros(len(out), dtype=np.int64)
        null = np.zeros(len(out), dtype=bool)
        for k in block_keys:
            key_codes, uniques = pd.factorize(out[k])
            null |= key_codes < 0
            codes = codes * (len(uniques) + 1) + (key_codes + 1)
        hit_rows = np.flatnonzero(mask)
        _, first = np.unique(codes[hit_rows], return_index=True)
        order = np.argsort(codes, kind="stable")
        sorted_codes = codes[order]
        for row in hit_rows[np.sort(first)]:
            if null[row]:  # a missing key matches no row (as ``==`` on the key columns)
                continue
            lo, hi = (
                np.searchsorted(sorted_codes, codes[row], "left"),
                np.searchsorted(sorted_codes, codes[row], "right"),
            )
            idx = order[lo:hi]
            groups = list(out.loc[idx, "group"])
            # a broad ethnic group with no records is often left out of a frame: a reader takes it as
            # 0, so it stays in the line as a published zero that cannot be hidden
            absent = [
                g
                for components, total in lines
                if total in groups and any(g2 in groups for g2 in components)
                for g in components
                if g not in groups and g in POPULATION_GROUPS
            ]
            absent = list(dict.fromkeys(absent))
            cells = groups + absent
            local_lines: list[Line] = []
            for components, total in lines:
                if (
                    total in groups
                    and all(g in cells for g in components)
                    and any(g in groups for g in components)
                ):
                    local_lines.append(([cells.index(g) for g in components], cells.index(total)))
            if not local_lines:
                continue
            values = np.concatenate([count[idx], np.zeros(len(absent))])
            start = np.concatenate([mask[idx], np.zeros(len(absent), dtype=bool)])
            fixed = np.concatenate([np.zeros(len(idx), dtype=bool), np.ones(len(absent), dtype=bool)])
            new_mask, secondary = secondary_suppression(
                values, start, local_lines, cells, fixed=fixed, min_hidden_sum=max(threshold, 1)
            )
            for j, why in secondary:
                audit_rows.append(_audit(out, idx[j], "secondary", why))
            mask[idx] = new_mask[: len(idx)]
    mask &= ~public  # a count the source already publishes is never hidden (nor used to hide another)
    hide = mask | small_den | _computed_from_hidden(out, mask)
    # a denominator from 1 to threshold - 1 is itself a small count (the total of a share): hidden
    tiny_den = np.isfinite(den) & (den > 0) & (den < threshold) & ~public
    for i in np.flatnonzero(tiny_den & ~hide):
        audit_rows.append(_audit(out, i, "primary", f"primary: denominator {den[i]:g} below {threshold}"))
    hide |= tiny_den
    out.loc[tiny_den, "denominator"] = np.nan
    out.loc[mask, "count"] = np.nan
    for column in ("value", "ci_low", "ci_high", "p_value"):
        out.loc[hide, column] = np.nan
    out.loc[hide, "symbol"] = SUPPRESSED
    out = cv.add(out, hide & ~small_den | mask, "suppressed")
    out = cv.add(out, small_den, "small_denominator")
    audit = pd.DataFrame(
        audit_rows, columns=["area_code", "period", "measure", "group", "count", "stage", "reason"]
    )
    return out, audit


BOUNDS_METHOD = "not-stated sensitivity bounds"


def _computed_from_hidden(frame: pd.DataFrame, mask: np.ndarray) -> np.ndarray:
    """Rows whose figures are computed from a hidden count of the same area and period: a ratio (or a
    p-value) whose reference group is hidden, and the not-stated bounds of a hidden group (the bounds
    row repeats the group's ratio, and each bound inverts to the group's count)."""
    out = np.zeros(len(frame), dtype=bool)
    if not mask.any():
        return out
    keys = [k for k in ("area_code", "period") if k in frame.columns]
    method = frame["method"].astype(str) if "method" in frame.columns else pd.Series("", index=frame.index)
    bounds = method.str.startswith(BOUNDS_METHOD).to_numpy()
    reference = (
        frame["reference_group"].fillna("").astype(str).to_numpy()
        if "reference_group" in frame
        else np.full(len(frame), "")
    )
    group = frame["group"].astype(str).to_numpy()
    for _, idx in (
        frame.groupby(keys, sort=False).indices.items() if keys else [(None, np.arange(len(frame)))]
    ):
        hidden = {group[i] for i in idx if mask[i] and not bounds[i]}
        if not hidden:
            continue
        for i in idx:
            if (reference[i] and reference[i] in hidden) or (bounds[i] and group[i] in hidden):
                out[i] = True
    return out & ~mask


PUBLISHED = "published_nationally"


def mark_published(figure: pd.DataFrame, mask: pd.Series | np.ndarray | bool = True) -> pd.DataFrame:
    """Mark rows (all, or where ``mask``) as counts the source already publishes nationally (e.g. the IOPC's
    national deaths by category): :func:`suppress_figures` leaves them as published, since suppression
    protects small local counts, not figures anyone can read in the source. The mark is the caveat code
    ``published_nationally``, so it travels with the figure to the tables."""
    return cv.add(figure, mask, PUBLISHED)


def published_nationally(figure: pd.DataFrame) -> np.ndarray:
    """Boolean array: the rows marked by :func:`mark_published`."""
    if "caveats" not in figure.columns:
        return np.zeros(len(figure), dtype=bool)
    return np.array(
        [isinstance(c, (tuple, list, np.ndarray)) and PUBLISHED in list(c) for c in figure["caveats"]],
        dtype=bool,
    )


def _audit(frame: pd.DataFrame, i: int, stage: str, reason: str) -> dict:
    row = frame.iloc[int(i)]
    return dict(
        area_code=row["area_code"],
        period=row["period"],
        measure=row["measure"],
        group=row["group"],
        count=row["count"],
        stage=stage,
        reason=reason,
    )
