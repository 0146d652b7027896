"""What an analyst opening a notebook in JupyterLab wants beyond the report: the tidy frames.

- :func:`frame` (also ``ctx.frame("stop_search_disparity")`` on a notebook's context) is the tidy
  frame behind a measure's chart and table: the published figures (small numbers suppressed at the
  context's threshold) for the area and the period the report shows; ``every_period=True`` gives the
  area's figures for every period, ``every_area=True`` every area's for that period.
- :func:`compare` is a section notebook's "explore" cell: for each measure of the section with
  figures, the group comparison (the chart's frame), the year comparison (value by period and
  group) and the area comparison (this area beside England and Wales and the other areas). The
  cell is tagged ``remove-cell`` (and starts ``#| include: false``), so neither render path puts
  it in the report.

Nothing here computes a figure: every number comes from :mod:`eqlib.sections` / :mod:`eqlib.analysis`,
so the frames are the report's figures exactly.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from eqlib.measures import catalogue

#: columns an analyst reads first (the others follow)
_FIRST = [
    "area_name",
    "period",
    "measure",
    "group",
    "reference_group",
    "value",
    "ci_low",
    "ci_high",
    "count",
    "denominator",
    "symbol",
]


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    first = [c for c in _FIRST if c in frame.columns]
    return frame[first + [c for c in frame.columns if c not in first]].reset_index(drop=True)


def frame(ctx: Any, measure_id: str, *, every_period: bool = False, every_area: bool = False) -> pd.DataFrame:
    """The tidy frame behind a measure's chart for ``ctx`` (an :class:`eqlib.sections.Context`).

    Default: exactly the rows the report charts (the area, the report's period or the latest
    earlier one), suppressed as published. ``every_period``: the area's rows for every period;
    ``every_area``: every area's rows for the charted period; both: everything. Suppression at
    ``ctx.threshold`` is applied in every case (a notebook's ``threshold`` parameter changes it).
    An unknown measure id raises ``KeyError`` naming the section measures.
    """
    from eqlib import analysis, sections

    known = {m for ids in catalogue.sections().values() for m in ids}
    if measure_id not in known and measure_id not in catalogue.national_ids():
        raise KeyError(f"unknown measure {measure_id!r}; the measures are: {', '.join(sorted(known))}")
    status = sections.measure_status(ctx, measure_id)
    if not (every_period or every_area) or measure_id not in catalogue.national_ids():
        return _tidy(status.frame)
    everything = sections.compute_measure(ctx, measure_id)
    rows = everything[everything["measure"] == measure_id] if "measure" in everything else everything
    if not every_area:
        rows = rows[rows["area_code"] == ctx.area.code]
    if not every_period:
        shown = set(status.frame["period"]) if not status.frame.empty else set()
        rows = rows[rows["period"].isin(shown)]
    return _tidy(analysis.suppress(_one_source(rows), threshold=ctx.threshold))


def _one_source(rows: pd.DataFrame) -> pd.DataFrame:
    """Per area and period, the rows of the source the report would show (the best ``source_rank`` with
    figures, as :func:`eqlib.analysis.select` chooses), so comparisons never mix two sources' figures."""
    if rows.empty or "source_rank" not in rows:
        return rows
    rank = rows["source_rank"].fillna(9)
    keys = [rows["area_code"], rows["period"]]
    best = rank.where(rows["value"].notna()).groupby(keys).transform("min")
    best = best.fillna(rank.groupby(keys).transform("min"))
    return rows[rank == best]


def _pivot(rows: pd.DataFrame, index: str) -> pd.DataFrame:
    """value by ``index`` x group (suppressed cells stay missing; their symbol is in the tidy frame)."""
    if rows.empty or "group" not in rows or "value" not in rows:
        return pd.DataFrame()
    if "method" in rows and rows["method"].nunique() > 1:  # e.g. score and exact intervals: the first
        rows = rows[rows["method"] == rows["method"].iloc[0]]
    table = rows.pivot_table(index=index, columns="group", values="value", aggfunc="first", sort=True)
    table.columns.name = None
    return table


def comparisons(ctx: Any, measure_id: str) -> dict[str, pd.DataFrame]:
    """The three comparisons for one measure: ``groups``, ``years`` and ``areas`` (empty if none)."""
    groups = frame(ctx, measure_id)
    if groups.empty:
        return {"groups": groups, "years": pd.DataFrame(), "areas": pd.DataFrame()}
    years = _pivot(frame(ctx, measure_id, every_period=True), "period")
    areas = _pivot(frame(ctx, measure_id, every_area=True), "area_name")
    if not areas.empty and ctx.area.name in areas.index:  # this area first, then the others by name
        areas = pd.concat([areas.loc[[ctx.area.name]], areas.drop(index=ctx.area.name)])
    return {"groups": groups, "years": years, "areas": areas}


def compare(ctx: Any, notebook: str, *, show: bool = True) -> dict[str, dict[str, pd.DataFrame]]:
    """A section notebook's explore cell: :func:`comparisons` for each of its measures with figures.

    Displays them (headed by the measure's title) when ``show``; returns measure id -> comparisons.
    """
    from eqlib import sections

    out: dict[str, dict[str, pd.DataFrame]] = {}
    for measure_id in catalogue.section_measures(notebook):
        status = sections.measure_status(ctx, measure_id)
        if not status.available:
            continue
        out[measure_id] = comparisons(ctx, measure_id)
        if show:
            _display(status.title, measure_id, status.label, out[measure_id])
    if show and not out:
        _display_text(f"No measure of {notebook} has figures for {ctx.name}, {ctx.year_display}.")
    return out


def _display_text(text: str) -> None:
    from IPython.display import Markdown, display

    display(Markdown(text))


def _display(title: str, measure_id: str, label: str, parts: dict[str, pd.DataFrame]) -> None:
    from IPython.display import display

    _display_text(f"**{title}** (`ctx.frame({measure_id!r})`, {label}): by group, by year, by area")
    for name in ("groups", "years", "areas"):
        if not parts[name].empty:
            display(parts[name])
