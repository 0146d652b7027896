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

Nothing here computes a figure: every number comes from :mod:`eqlib.report.sections` / :mod:`eqlib.analysis`,
so the frames are the report's figures exactly.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from eqlib.measures import catalogue
from eqlib.report.sections import common as sections
from eqlib.report.sections.common import frame  # noqa: F401 - ctx.frame, also explore.frame


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
