"""How the trend and funnel chart kinds of the catalogue (``chart`` of a measure entry) are shown."""

from __future__ import annotations

import numpy as np
import pandas as pd

from eqlib import analysis
from eqlib.measures import catalogue
from eqlib.metrics.benchmark import funnel_curve
from eqlib.report import figures as fg
from eqlib.report.sections.common import (
    Block,
    Chart,
    Context,
    Markdown,
    MeasureStatus,
    Table,
    _caveat_text,
    _label,
    _latest_note,
    _sentence,
    _sentence_case,
    chart_kind,
    compute_measure,
    figure_table,
)


@chart_kind("trend")
def _show_trend(ctx: Context, st: MeasureStatus) -> list[Block]:
    """The disparity over every year of data for the area, with the fitted change per year."""
    ratios = compute_measure(ctx, "stop_search_disparity")
    ratios = ratios[
        (ratios["area_code"] == ctx.area.code)
        & (ratios["measure"] == "stop_search_disparity")
        & (ratios["period"].map(analysis.period_end) <= pd.Timestamp(ctx.period.end))
    ]
    if "source" in ratios.columns and "source" in st.frame.columns and len(st.frame):
        same = ratios[ratios["source"] == st.frame["source"].iloc[0]]  # the trend's own source's ratios
        ratios = same if same["period"].nunique() >= 2 else ratios
    ratios = analysis.suppress(ratios.reset_index(drop=True), threshold=ctx.threshold)
    ratios = ratios[ratios["group"] != "All ethnic minority groups"]
    blocks: list[Block] = [Markdown(f"**{_sentence_case(st.title)}**, {ctx.name}, {st.label}.")]
    if ratios["period"].nunique() >= 2:
        fig, alt = fg.trend_chart(
            ratios,
            measure="stop and search disparity ratio to White",
            area_name=ctx.name,
            unit="Ratio to White (1 = same rate)",
        )
        blocks.append(
            Chart(
                fig,
                "stop-search-disparity-trend",
                f"Stop and search disparity ratio to White by year, {ctx.name}",
                alt,
            )
        )

    sentences = [_sentence(r) for r in st.frame.to_dict("records") if pd.notna(r.get("value"))]
    if sentences:
        blocks.append(Markdown("\n".join(f"- {t}" for t in sentences)))
    else:
        blocks.append(
            Markdown(
                "The change per year could not be estimated reliably for any group (see the table's symbols)."
            )
        )
    blocks.append(
        Table(
            figure_table(st.frame, "ratio"),
            f"Change in the stop and search disparity per year (factor), {ctx.name}, {st.label}",
            "stop-search-trend",
        )
    )
    return blocks


#: the funnel plot's x axis in plain English (it is the ratio's precision, 1 / variance of its log: the methods
#: appendix says so)
FUNNEL_X_LABEL = "How precise the area's ratio is: further right = based on more people (the limits narrow)"


def _funnel_blocks(ctx: Context, st: MeasureStatus, what: str) -> list[Block]:

    allf = compute_measure(ctx, st.measure)
    period = st.frame["period"].iloc[0]
    allf = allf[(allf["period"] == period) & allf["value"].notna() & allf["precision"].notna()]
    if "source" in allf.columns and "source" in st.frame.columns:  # one source in one funnel
        allf = allf[allf["source"] == st.frame["source"].iloc[0]]
    mine = allf[allf["area_code"] == ctx.area.code]
    if allf.empty or mine.empty:
        return [Markdown(f"{_sentence_case(what)}: not enough data to compare {ctx.name} with other areas.")]
    target = float(allf["target"].iloc[0])
    tau2 = float(allf["tau2"].iloc[0]) if "tau2" in allf.columns and pd.notna(allf["tau2"].iloc[0]) else 0.0
    grid = np.geomspace(max(allf["precision"].min() * 0.8, 1e-3), allf["precision"].max() * 1.25, 120)
    limits = funnel_curve(target, grid, kind="ratio", tau2=tau2).rename(columns={"precision": "x"})
    plot = allf.drop(columns=["denominator"]).rename(columns={"precision": "denominator"})
    label = analysis.display_period(period)
    fig, alt = fg.funnel_plot(
        plot, limits, measure=what, highlight=ctx.area.code, period_label=label, x_label=FUNNEL_X_LABEL
    )
    row = mine.iloc[0]
    text = (
        f"In {label}, the {what} in {ctx.name} was {fg.fmt_number(row['value'])} against "
        f"{fg.fmt_number(target)} for all force areas together: {row.get('position', '')} the funnel's "
        f"limits (95% and 99.8%, widened for overdispersion between areas).{_latest_note(ctx, st)}"
    )
    caveats = _caveat_text(mine)
    return [
        Markdown(text + (f" *Notes:* {caveats}" if caveats else "")),
        Chart(
            fig,
            _label(st.measure),
            f"{_sentence_case(what)} in every police force area, {label}, with {ctx.name} highlighted",
            alt,
        ),
    ]


@chart_kind("funnel")
def _show_funnel(ctx: Context, st: MeasureStatus) -> list[Block]:
    """A funnel plot of the measure's ratio in every force area (what it compares: the entry's ``headline``)."""
    return _funnel_blocks(ctx, st, catalogue.get_measure(st.measure).headline)
