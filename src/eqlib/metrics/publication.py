"""Disclosure control across a whole publication: can any suppressed cell be worked out from what an
area-year publishes?

:func:`eqlib.metrics.suppress_figures` protects one table at a time. A publication holds many tables
of the same people: searches by group appear as the counts of the stop and search rates, the
denominators of the arrest shares and the inputs of the not-stated bounds; complaints by ethnicity
and by sex share one total of all records. :func:`find_disclosures` takes every table an area-year
publishes (the :class:`eqlib.analysis.AreaResult` tables, i.e. what ``eqlib tables`` writes, national
and local measures together), names the quantity behind every published number (its *key*: period,
what is counted, group), and attacks the publication as a reader could:

``published_elsewhere``
    a cell hidden in one table is printed in another (the same key);
``derived_figure``
    a rate, share, ratio, interval or p-value is printed although a cell it is computed from is
    hidden (a hidden rate's count and denominator, a ratio whose reference group is hidden, the
    not-stated bounds of a hidden group: each figure inverts to its inputs);
``solvable``
    the line equations of all tables together (groups = their total, for every breakdown: the
    ethnic minority groups = their aggregate, White + ethnic minority groups = those who stated,
    those who stated + not stated = all records; for another characteristic, its groups = those who
    stated; a worker type = its ranks) determine a hidden cell exactly (linear algebra: the cell's
    coordinate vanishes in the null space of the system, :func:`scipy.linalg.null_space`). A broad
    ethnic group missing from a breakdown whose other groups are shown is read as 0, as a reader
    would; a missing "Not stated" is read as unknown;
``small_sum``
    the sum of the hidden cells of one line is determined and below the threshold (a group of
    suppressed cells is itself a small number; a sum of 0 reveals each of them);
``small_published``
    a count or denominator from 1 to threshold - 1 is printed (population counts excepted).

Bounds from non-negativity other than a zero or small sum are not considered (the usual "no exact
recovery" standard of :mod:`eqlib.metrics.disclosure`). :func:`protect` hides more cells until
:func:`find_disclosures` finds nothing: a hidden cell is hidden in every table that shows it, a
figure computed from a hidden cell is hidden, and a line that would reveal one loses its smallest
non-zero published member (then a total).

Source of the rules: GSS, "Statistical disclosure control for tables produced from administrative
sources" (primary and secondary suppression, disclosure by differencing between linked tables).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.linalg import null_space

from eqlib.ethnicity import ETHNIC_MINORITY, POPULATION_GROUPS
from eqlib.metrics.disclosure import DEFAULT_THRESHOLD, SUPPRESSED

NOT_STATED = "Not stated"
ALL = "All"
STATED = "All who stated a group"
MINORITY_GROUPS = tuple(g for g in POPULATION_GROUPS if g != "White")
_SPECIAL = {ALL, NOT_STATED, ETHNIC_MINORITY, STATED}
_FIGURES = ("value", "ci_low", "ci_high", "p_value")

Key = tuple[str, str, str]  # (period, quantity, group)

#: national measure -> (quantity counted, quantity of the denominator; None = population, public)
NATIONAL: dict[str, tuple[str, str | None]] = {
    "stop_search_rate": ("searches", None),
    "stop_search_disparity": ("searches", None),
    "stop_search_not_stated_share": ("searches", "searches"),
    "stop_search_arrest_rate": ("searches_arrest", "searches"),
    "stop_search_no_further_action": ("searches_no_further_action", "searches"),
    "stop_search_outcome_linked": ("searches_outcome_linked", "searches_link_recorded"),
    "stop_search_s60_share": ("searches_s60", "searches"),
    "stop_search_ethnicity_agreement": ("searches_disagree", "searches"),
    "rri_stop_arrest": ("searches_arrest", "searches"),
    "stop_search_trend": ("searches", None),
    "stop_search_benchmark": ("eff_derived_searches", None),
    "arrest_rate": ("arrests", None),
    "arrest_disparity": ("arrests", None),
    "arrest_benchmark": ("arrests", None),
    "use_of_force_rate": ("use_of_force_tactics", None),
    "use_of_force_disparity": ("use_of_force_tactics", None),
    "taser_by_ethnicity": ("use_of_force_ced", None),
    "chief_officer_representation": ("chief_officers", "chief_officers"),
    "workforce_totals": ("workforce_fte", None),
    "conviction_ratio": ("convictions", "prosecutions"),
    "rri_prosecution_conviction": ("convictions", "prosecutions"),
    "deaths_following_contact": ("deaths", None),
    "hate_crime_by_strand": ("hate_crime_strand", None),
}
#: quantities whose groups do not add up to anything published (overlapping strands, categories)
NO_LINES = {"workforce_fte", "deaths", "hate_crime_strand"}
#: quantities whose "All" is the total of those who stated a group (Not stated is not in it)
ALL_IS_STATED = {"searches_disagree"}
#: local denominators taken from another measure of the same template (eqlib.measures.local)
_LOCAL_FILL = {
    "_take_up": "_referrals",
    "_strip_searches": "_detentions",
    "_intimate_searches": "_detentions",
    "_detainees_seen": "_detainees_in_custody",
    "_detainees_declined": "_detainees_in_custody",
}
_LOCAL_SUFFIXES = (
    "_not_stated_share",
    "_share_ratio",
    "_rate_ratio",
    "_distribution",
    "_workforce_share",
    "_population_share",
    "_headcount_gap",
    "_incidents_change",
    "_change",
    "_share",
    "_rate",
    "_ratio",
)
CHARACTERISTICS = (
    "sex",
    "age",
    "disability",
    "religion",
    "sexual_orientation",
    "gender_identity",
    "gender_reassignment",
    "pregnancy",
    "marriage",
)


@dataclass(frozen=True)
class Finding:
    """One way a reader could recover a suppressed cell (or a small number) from the publication."""

    kind: str  # published_elsewhere, derived_figure, solvable, small_sum, small_published
    table: str
    period: str
    quantity: str
    group: str
    value: float | None
    detail: str
    line: tuple = field(default=(), compare=False, repr=False)

    def __str__(self) -> str:
        shown = "" if self.value is None else f" = {self.value:g}"
        return f"{self.kind}: {self.table} {self.period} {self.quantity} / {self.group}{shown}: {self.detail}"


@dataclass
class _Row:
    table: int
    index: int
    count: Key | None
    den: Key | None
    inputs: tuple[Key, ...]
    shows_figure: bool


@dataclass
class _Model:
    rows: list[_Row] = field(default_factory=list)
    known: dict[Key, float] = field(default_factory=dict)
    confidential: set[Key] = field(default_factory=set)
    seen: dict[Key, list[tuple[int, int, str]]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # quantity -> ethnicity | characteristic | none
    alias: dict[Key, Key] = field(default_factory=dict)
    parents: dict[str, set[str]] = field(default_factory=dict)  # local workforce: child -> parents
    absent: set[Key] = field(default_factory=set)
    lines: list[tuple[list[Key], Key]] = field(default_factory=list)


def _tables(published) -> list[tuple[str, pd.DataFrame]]:
    """(name, frame) pairs from an AreaResult, a list of eqlib.report.tables.Table, or {name: frame}."""
    if hasattr(published, "selections"):
        return [(m, s.frame) for m, s in published.selections.items() if not s.frame.empty]
    if isinstance(published, Mapping):
        return [(str(k), getattr(v, "frame", v)) for k, v in published.items()]
    return [(str(t[0]), t[1]) if isinstance(t, tuple) else (str(t.name), t.frame) for t in published]


def _num(value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def _local_block(row: pd.Series) -> str:
    block = str(row.get("block", "") or "")
    if block and block != "nan":
        return block
    measure = str(row["measure"])
    for suffix in _LOCAL_SUFFIXES:
        if measure.endswith(suffix):
            return measure[: -len(suffix)]
    return measure


def _local_characteristic(row: pd.Series, block: str) -> str:
    value = str(row.get("characteristic", "") or "")
    if value and value != "nan":
        return value
    for c in CHARACTERISTICS:
        if block.endswith("_" + c):
            return c
    return "ethnicity"


def _strip_characteristic(block: str, characteristic: str) -> str:
    if characteristic != "ethnicity" and block.endswith("_" + characteristic):
        return block[: -len(characteristic) - 1]
    return block


class _Builder:
    def __init__(self, threshold: int):
        self.m = _Model()
        self.threshold = threshold

    def key(self, period: str, quantity: str, group: str) -> Key:
        k = (period, quantity, group)
        return self.m.alias.get(k, k)

    def interpret(self, name: str, row: pd.Series) -> tuple[Key | None, Key | None, tuple[Key, ...]] | None:
        """(count key, denominator key, the keys the row's figures are computed from), or None for a
        row of public figures (population shares)."""
        period, group = str(row["period"]), str(row["group"])
        method = str(row.get("method", "") or "")
        ref = str(row.get("reference_group", "") or "")
        ref = "" if ref == "nan" else ref
        sub = str(row.get("measure", name) or name)
        if method.startswith("share of the population") or sub.endswith("_population_share"):
            return None
        if name in NATIONAL:
            quantity, den_q = NATIONAL[name]
            self.m.kinds.setdefault(quantity, "none" if quantity in NO_LINES else "ethnicity")
            if den_q:
                self.m.kinds.setdefault(den_q, "ethnicity")
            if name == "rri_stop_arrest" and "Poisson rates" in method:
                quantity, den_q = "searches", None
        else:
            block = _local_block(row)
            characteristic = _local_characteristic(row, block)
            quantity = "L:" + block
            kind = {"ethnicity": "ethnicity", "hate_crime_strand": "none"}.get(
                characteristic, "characteristic"
            )
            self.m.kinds.setdefault(quantity, kind)
            whole = "L:" + _strip_characteristic(block, characteristic)
            self.m.alias[(period, quantity, ALL)] = (period, whole + "#all", ALL)
            self.m.kinds.setdefault(whole + "#all", "none")
            within = str(row.get("within", "") or "")
            for parent in filter(None, within.split(";")):
                if parent != "nan":
                    self.m.parents.setdefault(quantity, set()).add("L:" + parent)
            den_q = quantity
            fill = next((src for target, src in _LOCAL_FILL.items() if target in block), None)
            if method.startswith(("count / denominator", "satisfied / respondents", "ratio of proportions")):
                den_q = (
                    "L:" + block.replace(next(t for t in _LOCAL_FILL if t in block), fill)
                    if fill
                    else quantity + ":den"
                )
                self.m.kinds.setdefault(den_q, "none" if not fill else kind)
        if quantity in ALL_IS_STATED:
            self.m.alias[(period, quantity, STATED)] = (period, quantity, ALL)
        count = self.key(period, quantity, group)

        def den(g: str) -> Key | None:
            return None if den_q is None else self.key(period, den_q, g)

        inputs: list[Key] = [count]
        if method.startswith("not-stated sensitivity bounds"):
            count = self.key(period, quantity, NOT_STATED)
            inputs = [self.key(period, quantity, group), self.key(period, quantity, ref or "White"), count]
            return count, None, tuple(inputs)
        if method.startswith(("exact Poisson", "ratio of rates", "Poisson GLM", "funnel limits")) or (
            "Poisson rates" in method
        ):
            d = None
        elif method.startswith(
            (
                "workforce share / population share",
                "population share x staff who stated",
                "share of staff who stated",
                "share of those whose",
            )
        ):
            d = self.key(period, quantity, STATED)
        elif method.startswith(
            ("share of staff whose ethnicity is not stated", "share of all records whose")
        ):
            d = self.key(period, quantity, ALL)
        elif name == "stop_search_not_stated_share":
            d = den(ALL)
        elif name == "stop_search_ethnicity_agreement":
            d = den(STATED if group == ALL else group)
        elif (
            method.startswith(("count from", "percentage change"))
            or den_q is None
            or name in ("workforce_totals", "deaths_following_contact", "hate_crime_by_strand")
        ):
            d = None
        else:
            d = den(group)
        if d is not None:
            inputs.append(d)
        if ref and not method.startswith("funnel limits"):
            inputs.append(self.key(period, quantity, ref))
            if d is not None and d[2] == group:
                inputs.append(den(ref))
        elif ref and method.startswith("funnel limits"):
            inputs.append(self.key(period, quantity, ref))
        return count, d, tuple(k for k in inputs if k is not None)

    def add(self, t: int, name: str, frame: pd.DataFrame) -> None:
        for i, (_, row) in enumerate(frame.reset_index(drop=True).iterrows()):
            parsed = self.interpret(name, row)
            if parsed is None:
                continue
            count_key, den_key, inputs = parsed
            count, den = _num(row.get("count")), _num(row.get("denominator"))
            symbol = str(row.get("symbol", "") or "")
            shows = any(np.isfinite(_num(row.get(c))) for c in _FIGURES)
            self.m.rows.append(_Row(t, i, count_key, den_key, inputs, shows))
            bounds = str(row.get("method", "")).startswith("not-stated sensitivity bounds")
            for key, value, role in ((count_key, count, "count"), (den_key, den, "den")):
                if key is None:
                    continue
                self.m.seen.setdefault(key, []).append((t, i, role))
                if np.isfinite(value):
                    self.m.known.setdefault(key, value)
                elif symbol == SUPPRESSED and role == "count" and not bounds:
                    self.m.confidential.add(key)
            for key in inputs:
                self.m.seen.setdefault(key, [])

    def build_lines(self) -> None:
        m = self.m
        by_quantity: dict[tuple[str, str], set[str]] = {}
        for period, quantity, group in m.seen:
            by_quantity.setdefault((period, quantity), set()).add(group)
        for (period, quantity), groups in sorted(by_quantity.items()):
            kind = m.kinds.get(quantity, "none")
            k = lambda g, p=period, q=quantity: self.key(p, q, g)  # noqa: E731
            if kind == "ethnicity":
                if not groups & set(POPULATION_GROUPS):
                    continue
                for g in POPULATION_GROUPS:
                    if g not in groups:
                        m.absent.add(k(g))
                        m.known.setdefault(k(g), 0.0)
                m.lines.append(([k(g) for g in MINORITY_GROUPS], k(ETHNIC_MINORITY)))
                m.lines.append(([k("White"), k(ETHNIC_MINORITY)], k(STATED)))
            elif kind == "characteristic":
                stated = sorted(groups - _SPECIAL)
                if not stated:
                    continue
                m.lines.append(([k(g) for g in stated], k(STATED)))
            else:
                continue
            if k(STATED) != k(ALL):
                m.lines.append(([k(STATED), k(NOT_STATED)], k(ALL)))
        for _child, parents in m.parents.items():
            for parent in parents:
                siblings = [c for c, ps in m.parents.items() if parent in ps]
                for (period, quantity), groups in by_quantity.items():
                    if quantity != parent:
                        continue
                    for g in sorted(groups):
                        parts = [self.key(period, s, g) for s in siblings]
                        if all(p in m.seen for p in parts):
                            m.lines.append((parts, self.key(period, parent, g)))
        # drop duplicate lines
        unique, seen_lines = [], set()
        for comps, total in m.lines:
            sig = (tuple(sorted(comps)), total)
            if sig not in seen_lines:
                seen_lines.add(sig)
                unique.append((comps, total))
        m.lines = unique


def _model(published, threshold: int) -> tuple[_Model, list[tuple[str, pd.DataFrame]]]:
    tables = _tables(published)
    builder = _Builder(threshold)
    for t, (name, frame) in enumerate(tables):
        builder.add(t, name, frame)
    builder.build_lines()
    return builder.m, tables


def _finding(m: _Model, tables, kind: str, key: Key, value: float | None, detail: str) -> Finding:
    where = m.seen.get(key) or []
    table = tables[where[0][0]][0] if where else ""
    return Finding(kind, table, key[0], key[1], key[2], value, detail)


def find_disclosures(published, *, threshold: int = DEFAULT_THRESHOLD) -> list[Finding]:
    """Every way a suppressed cell (or a small number) can be recovered from ``published``: an
    :class:`eqlib.analysis.AreaResult`, a list of :class:`eqlib.report.tables.Table` or ``{name: frame}``,
    one area and year (see the module docstring). An empty list means none was found."""
    m, tables = _model(published, threshold)
    return _attack(m, tables, threshold)


def _attack(m: _Model, tables, threshold: int) -> list[Finding]:
    findings: list[Finding] = []
    hidden = m.confidential - set(m.known)
    for key in sorted(m.confidential & set(m.known)):
        if key in m.absent:
            continue
        shown_in = sorted({tables[t][0] for t, _, _ in m.seen[key]})
        findings.append(
            _finding(
                m,
                tables,
                "published_elsewhere",
                key,
                m.known[key],
                f"hidden in one table, shown in {', '.join(shown_in)}",
            )
        )
    for row in m.rows:
        if row.shows_figure:
            exposed = [k for k in row.inputs if k in hidden]
            if exposed:
                key = exposed[0]
                findings.append(
                    Finding(
                        "derived_figure",
                        tables[row.table][0],
                        key[0],
                        key[1],
                        key[2],
                        None,
                        f"row {row.index + 1} of {tables[row.table][0]} shows a figure computed "
                        f"from the hidden {key[2]} ({key[1]})",
                    )
                )
    for key, value in sorted(m.known.items()):
        if key in m.absent or key[1] in NO_LINES or key[1].startswith("eff_"):
            continue
        if 0 < value < threshold:
            findings.append(
                _finding(m, tables, "small_published", key, value, f"a count below {threshold} is shown")
            )
    findings += _linear(m, tables, threshold, hidden)
    return findings


def _linear(m: _Model, tables, threshold: int, hidden: set[Key]) -> list[Finding]:
    unknown = sorted({k for comps, total in m.lines for k in (*comps, total) if k not in m.known})
    if not unknown or not hidden:
        return []
    pos = {k: i for i, k in enumerate(unknown)}
    rows, rhs = [], []
    for comps, total in m.lines:
        members = [(c, 1.0) for c in comps] + [(total, -1.0)]
        if not any(k in pos for k, _ in members):
            continue
        vector = np.zeros(len(unknown))
        b = 0.0
        for k, sign in members:
            if k in pos:
                vector[pos[k]] += sign
            else:
                b -= sign * m.known[k]
        rows.append(vector)
        rhs.append(b)
    if not rows:
        return []
    matrix, b = np.vstack(rows), np.asarray(rhs)
    basis = null_space(matrix)
    solution = np.linalg.lstsq(matrix, b, rcond=None)[0]
    findings = []
    for k, i in pos.items():
        if k in hidden and (basis.size == 0 or np.all(np.abs(basis[i]) < 1e-9)):
            findings.append(
                _finding(
                    m,
                    tables,
                    "solvable",
                    k,
                    round(float(solution[i]), 6),
                    "the published totals and the other cells of its lines give it exactly",
                )
            )
    reported = {f.group for f in findings}
    for comps, total in m.lines:
        parts = [c for c in comps if c in pos]
        if len(parts) < 2 or not any(c in hidden for c in parts):
            continue
        vector = np.zeros(len(unknown))
        vector[[pos[c] for c in parts]] = 1.0
        if basis.size and np.any(np.abs(vector @ basis) > 1e-9):
            continue
        value = float(vector @ solution)
        if value < threshold - 1e-9 and not {c[2] for c in parts} <= reported:
            names = " + ".join(c[2] for c in parts)
            f = _finding(
                m,
                tables,
                "small_sum",
                parts[0],
                round(value, 6),
                f"the hidden cells {names} of {total[2]} add up to {value:g}, below {threshold}",
            )
            findings.append(Finding(**{**f.__dict__, "line": (tuple(comps), total)}))
    return findings


# ------------------------------------------------------------------------------------------ protect
def _hide(frames: list[pd.DataFrame], t: int, i: int, *, count: bool = False, den: bool = False) -> None:
    frame = frames[t]
    for column in _FIGURES:
        frame.iat[i, frame.columns.get_loc(column)] = np.nan
    if count:
        frame.iat[i, frame.columns.get_loc("count")] = np.nan
    if den:
        frame.iat[i, frame.columns.get_loc("denominator")] = np.nan
    frame.iat[i, frame.columns.get_loc("symbol")] = SUPPRESSED
    caveats = frame.iat[i, frame.columns.get_loc("caveats")]
    caveats = tuple(caveats) if isinstance(caveats, (tuple, list, np.ndarray)) else ()
    if "suppressed" not in caveats:
        frame.iat[i, frame.columns.get_loc("caveats")] = (*caveats, "suppressed")


def _hide_key(m: _Model, frames, key: Key) -> None:
    for t, i, role in m.seen.get(key, []):
        _hide(frames, t, i, count=role == "count", den=role == "den")
    for row in m.rows:
        if key in row.inputs and row.shows_figure:
            _hide(frames, row.table, row.index)


def _complement(
    m: _Model, key: Key, line: tuple[list[Key], Key] | None = None, *, anywhere: bool = False
) -> Key | None:
    """The published member to hide so that ``key`` (or ``line``'s hidden sum) is protected: the
    smallest non-zero component of a line holding it, else the line's total (``anywhere``: of any line
    of the same period and quantity that holds a hidden cell)."""
    if line is not None:
        lines = [line]
    elif anywhere:
        lines = [ln for ln in m.lines if any(k[:2] == key[:2] and k not in m.known for k in (*ln[0], ln[1]))]
    else:
        lines = [ln for ln in m.lines if key in ln[0] or key == ln[1]]
    candidates = []
    for comps, total in lines:
        for c in comps:
            if c in m.known and c not in m.absent and c != key:
                candidates.append((m.known[c] == 0, 0, m.known[c], c))
        if total in m.known and total not in m.absent and total != key:
            candidates.append((False, 1, m.known[total], total))
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c[1], c[0], c[2], c[3]))[3]


def protect(
    published, *, threshold: int = DEFAULT_THRESHOLD, max_rounds: int = 50
) -> dict[str, pd.DataFrame]:
    """Hide more cells until :func:`find_disclosures` finds nothing. Returns ``{name: frame}`` (copies;
    the frames keep their columns; a newly hidden figure has symbol [c] and caveat ``suppressed``)."""
    tables = _tables(published)
    names = [n for n, _ in tables]
    frames = [f.reset_index(drop=True).copy() for _, f in tables]
    for frame in frames:
        for column in ("count", "denominator", *_FIGURES):
            if column in frame.columns:
                frame[column] = frame[column].astype(float)
            else:
                frame[column] = np.nan
        if "caveats" not in frame.columns:
            frame["caveats"] = [() for _ in range(len(frame))]
        if "symbol" not in frame.columns:
            frame["symbol"] = ""
    for _ in range(max_rounds):
        current = list(zip(names, frames, strict=True))
        m, tabs = _model(current, threshold)
        findings = _attack(m, tabs, threshold)
        if not findings:
            break
        for f in findings:
            key = (f.period, f.quantity, f.group)
            if f.kind in ("published_elsewhere", "small_published"):
                _hide_key(m, frames, key)
            elif f.kind == "derived_figure":
                for row in m.rows:
                    if row.shows_figure and key in row.inputs:
                        _hide(frames, row.table, row.index)
            elif f.kind in ("solvable", "small_sum"):
                line = (list(f.line[0]), f.line[1]) if f.line else None
                chosen = _complement(m, key, line)
                if chosen is None:
                    chosen = _complement(m, key, None, anywhere=True)
                if chosen is not None:
                    _hide_key(m, frames, chosen)
    return dict(zip(names, frames, strict=True))


def summarise(findings: Iterable[Finding]) -> str:
    return "\n".join(str(f) for f in findings)


__all__ = ["Finding", "find_disclosures", "protect", "summarise"]
