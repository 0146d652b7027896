"""Equality objectives and self-assessment (notebook 05_objectives; the overview shows them briefly):
maturity grid, objectives and their status, framework gaps, year on year.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from eqlib import analysis, paths
from eqlib import periods as periods_mod
from eqlib.framework import STATUS_RULE, load_framework, load_params, objective_status
from eqlib.framework import summaries as fw_summaries
from eqlib.framework.compare import compare_self_assessments
from eqlib.framework.evidence import evidence_gaps as fw_gaps
from eqlib.framework.evidence import evidence_status
from eqlib.measures import catalogue
from eqlib.report import wording
from eqlib.report.sections.common import (
    Block,
    Chart,
    Context,
    Markdown,
    Table,
    _available_measures,
    _example_warning,
    _params_name,
    area_figures,
    compute_measure,
    framework_params,
    note_for_analyst,
)


def maturity_grid(ctx: Context, *, brief: bool = False) -> list[Block]:
    """The self-assessment: the maturity grid chart (16 themes x 3 levels, by section) and its table
    (``brief``: the overview's chart alone, with labels of its own)."""

    fw = framework_params(ctx)
    framework = load_framework()
    assessment = fw.self_assessment
    if not assessment.themes:
        note_for_analyst(
            ctx,
            f"No self-assessment in {_params_name(ctx)}: add a `self_assessment` section to "
            f"`params/{ctx.area.slug}-{ctx.year}.yml` (see `params/south-wales-2021-22.yml`).",
        )
        return [
            Markdown(
                f"**No self-assessment.** No self-assessment against the APCC Equality Framework is "
                f"recorded for {ctx.name} for {ctx.year_display}, so no maturity grid can be shown."
            )
        ]
    table = fw_summaries.maturity_table(assessment, framework=framework)
    text = maturity_summary(table, len(framework.themes))
    fig, alt = fw_summaries.maturity_chart(
        assessment, framework=framework, area_name=ctx.name, year=ctx.year_display
    )
    chart = Chart(
        fig,
        "overview-maturity-grid" if brief else "maturity-grid",
        f"Maturity grid: descriptors met in each theme and level of the APCC Equality Framework, "
        f"{ctx.name}, {ctx.year_display}",
        alt,
    )
    if brief:
        return [*_example_warning(ctx), Markdown(text), chart]
    return [
        *_example_warning(ctx),
        Markdown(text),
        chart,
        Table(
            table,
            f"Self-assessment against the APCC Equality Framework, {ctx.name}, {ctx.year_display}",
            "maturity-grid",
        ),
    ]


def maturity_summary(table: pd.DataFrame, n_themes: int) -> str:
    """ "16 of the 16 themes have been self-assessed: 1 at Advancing, 5 at Achieving, 9 at Developing and 1 below
    Developing (16 Wellbeing)": every assessed theme counted once, so the parts add up to the whole, and a theme
    below Developing or not assessed named. ``table`` is :func:`eqlib.framework.summaries.maturity_table`."""
    levels = table["Level reached"]
    assessed = table[levels != "Not assessed"]
    parts = [
        f"{int((levels == lv).sum())} at {lv}"
        for lv in ("Advancing", "Achieving", "Developing")
        if (levels == lv).any()
    ]
    below = table.loc[levels == "Below Developing", "Theme"].tolist()
    if below:
        parts.append(f"{len(below)} below Developing ({'; '.join(below)})")
    summary = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else ""
    text = (
        f"{len(assessed)} of the {n_themes} themes have been self-assessed"
        + (f": {summary}" if summary else "")
        + "."
    )
    missing = table.loc[levels == "Not assessed", "Theme"].tolist()
    if missing and len(missing) <= 5:
        text += f" Not assessed: {'; '.join(missing)}."
    return text


def latest_values(ctx: Context) -> pd.DataFrame:
    """The values of each measure for the area (columns measure, group, period, value), for objectives."""
    figures = area_figures(ctx)
    return figures[["measure", "group", "period", "value"]].dropna(subset=["value"]).reset_index(drop=True)


def _baseline_figure(ctx: Context, objective) -> float | None:
    """The published figure of the objective's measure and group for its baseline period, if the data have one."""
    if objective.measure not in catalogue.national_ids():
        return None
    # the figure the report would show for that period: one source, by the selection rule (analysis.select)
    sel = analysis.select(
        compute_measure(ctx, objective.measure),
        ctx.area.code,
        objective.baseline_period,
        measure=objective.measure,
    )
    if sel.status != "current" or sel.frame.empty or str(sel.period) != objective.baseline_period.label:
        return None
    published = analysis.suppress(sel.frame, threshold=ctx.threshold)
    rows = published[published["measure"] == objective.measure]
    if objective.group is not None:
        rows = rows[rows["group"] == objective.group]
    if len(rows) != 1:
        return None
    value = rows["value"].iloc[0]
    return float(value) if pd.notna(value) else None


def objectives_with_data_baselines(ctx: Context, objectives: Sequence[Any]) -> list[Any]:
    """The objectives with each baseline set to the figure the data give for its period, where they give one.

    An objective's baseline must agree with the figures the report shows (e.g. the trend chart's value for the
    baseline year): where the params file says otherwise, the data's figure is used, and the analyst is told
    (a baseline computed with other denominators is re-based this way, not compared like with unlike).
    Where the data have no figure for the baseline period (local data not supplied), the params' value stands.
    """
    import dataclasses

    out = []
    for objective in objectives:
        figure = _baseline_figure(ctx, objective)
        if figure is not None and wording.number(figure) != wording.number(objective.baseline_value):
            note_for_analyst(
                ctx,
                f"Objective {objective.id}: the params give a baseline of "
                f"{wording.number(objective.baseline_value)} for "
                f"{objective.baseline_period.display}, but the data give "
                f"{wording.number(figure)} for that period; the report uses the data's figure. "
                "Correct the baseline in the params file.",
            )
            objective = dataclasses.replace(objective, baseline_value=figure)
        out.append(objective)
    return out


def objectives_status(ctx: Context, *, brief: bool = False) -> list[Block]:
    """The equality objectives with their status computed from the data, and the rule used."""

    fw = framework_params(ctx)
    if not fw.objectives:
        note_for_analyst(
            ctx,
            f"No equality objectives in {_params_name(ctx)}: add them under `objectives` "
            "(see `params/south-wales-2021-22.yml`).",
        )
        return [
            Markdown(
                f"**No equality objectives.** No equality objectives are recorded for {ctx.name} for "
                f"{ctx.year_display}."
            )
        ]
    status = objective_status(objectives_with_data_baselines(ctx, fw.objectives), latest_values(ctx))
    counts = status["status"].value_counts()
    text = (
        f"{ctx.name} has {len(status)} equality objective(s): "
        + ", ".join(
            f"{int(counts[s])} {s}" for s in ("achieved", "on track", "off track", "no data") if s in counts
        )
        + "."
    )
    table = fw_summaries.objectives_table(status)
    blocks: list[Block] = [*_example_warning(ctx), Markdown(text)]
    if brief:
        blocks.append(
            Table(
                table[["Objective", "Status"]],
                f"Equality objectives and their status, {ctx.name}, {ctx.year_display}",
                "objectives-brief",
            )
        )
        return blocks
    if (status["status"] != "no data").any():
        fig, alt = fw_summaries.objectives_chart(status)
        blocks.append(
            Chart(
                fig,
                "objectives",
                f"Progress towards each equality objective's target against the "
                f"time elapsed, {ctx.name}, {ctx.year_display}",
                alt,
            )
        )
    blocks.append(
        Table(
            table,
            f"Equality objectives, their targets and status, {ctx.name}, {ctx.year_display}",
            "objectives",
        )
    )
    blocks.append(Markdown(f"How the status is decided: {STATUS_RULE}."))
    return blocks


def framework_gaps(ctx: Context) -> list[Block]:
    """Criteria across the framework that need data the area does not have (chart by section and table)."""

    available = _available_measures(ctx)
    status = evidence_status(available)
    gaps = fw_gaps(available)
    counts = status["status"].value_counts()
    text = (
        f"Of the {len(status)} framework criteria that need data, "
        f"{int(counts.get('supported', 0))} are supported by the data for {ctx.name}, "
        f"{int(counts.get('partly supported', 0))} partly and {int(counts.get('gap', 0))} not at all."
    )
    fig, alt = fw_summaries.evidence_chart(status)
    blocks: list[Block] = [
        Markdown(text),
        Chart(
            fig,
            "evidence-by-section",
            f"Framework criteria that need data, "
            f"by section: supported, partly supported and gaps, {ctx.name}, "
            f"{ctx.year_display}",
            alt,
        ),
    ]
    if not gaps.empty:
        blocks.append(
            Table(
                fw_summaries.evidence_gap_table(gaps),
                f"Evidence gaps: framework criteria the data "
                f"for {ctx.name} do not (fully) support, {ctx.year_display}",
                "framework-gaps",
            )
        )
    return blocks


def year_on_year(ctx: Context) -> list[Block]:
    """Themes that moved since the previous year's self-assessment."""
    previous = periods_mod.financial_year(ctx.period.start.year - 1)
    path = paths.params_dir(ctx.root) / f"{ctx.area.slug}-{previous.label}.yml"
    if not path.is_file():
        note_for_analyst(
            ctx,
            f"No params file `params/{path.name}` for {previous.display}: the year-on-year "
            "comparison needs the previous year's self-assessment.",
        )
        return [
            Markdown(
                f"There is no self-assessment for {ctx.name} for {previous.display}, so no change can "
                "be shown."
            )
        ]

    frame = compare_self_assessments(load_params(path).self_assessment, framework_params(ctx).self_assessment)
    frame = frame[frame["change"] != "not assessed"]
    if frame.empty:
        return [Markdown(f"Neither {previous.display} nor {ctx.year_display} has any theme self-assessed.")]
    counts = frame["change"].value_counts()
    text = (
        f"Since {previous.display}: " + ", ".join(f"{int(n)} theme(s) {c}" for c, n in counts.items()) + "."
    )
    shown = pd.DataFrame(
        {
            "Theme": "Theme " + frame["theme"].astype(str) + ": " + frame["theme_name"],
            previous.display: frame["previous_level"].fillna("not assessed"),
            ctx.year_display: frame["current_level"].fillna("not assessed"),
            "Change": frame["change"],
            "Criteria gained": frame["criteria_gained"],
            "Criteria lost": frame["criteria_lost"],
        }
    )
    return [
        Markdown(text),
        Table(
            shown,
            f"Self-assessed level by theme, {previous.display} and {ctx.year_display}, {ctx.name}",
            "year-on-year",
        ),
    ]
