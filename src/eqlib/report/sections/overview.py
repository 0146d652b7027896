"""The overview (notebook 00_overview): key figures, the main disparities, the benchmark, other formats."""

from __future__ import annotations

import pandas as pd

from eqlib.measures import catalogue
from eqlib.report import figures as fg
from eqlib.report.sections.common import (
    NOTEBOOKS,
    SECTION_MEASURES,
    Block,
    Chart,
    Context,
    Markdown,
    MeasureStatus,
    Table,
    _caveat_text,
    _lower_first,
    _period_words,
    _sentence,
    analysis_period_end,
    measure_blocks,
    measure_status,
    note_for_analyst,
)
from eqlib.report.sections.communities import (
    population_profile,
)


def coverage_summary(ctx: Context) -> list[Block]:
    """How many of the measures the framework sections ask for have data; the gaps by section."""
    lines = []
    total = have = 0
    for notebook, measure_ids in SECTION_MEASURES.items():
        statuses = [measure_status(ctx, m) for m in measure_ids]
        ok = [s for s in statuses if s.available]
        total += len(statuses)
        have += len(ok)
        missing = [s.title for s in statuses if not s.available]
        line = f"- *{NOTEBOOKS[notebook][0]}*: {len(ok)} of {len(statuses)} measures have data"
        if missing:
            line += "; no data for " + "; ".join(_lower_first(m) for m in missing)
        lines.append(line + ".")
    head = (
        f"{have} of the {total} measures the framework sections ask for have data for {ctx.name} "
        f"(for {ctx.year_display} or the latest earlier year). Each section lists its evidence gaps."
    )
    return [Markdown(head + "\n\n" + "\n".join(lines))]


# --------------------------------------------------------------------------- builders: overview
def key_figures(ctx: Context) -> list[Block]:
    """The area's key figures as sentences: population, then the headline disparities."""

    blocks: list[Block] = []
    pop = population_profile(ctx)
    if pop and isinstance(pop[0], Markdown):
        blocks.append(Markdown(pop[0].text.split(" These are the denominators")[0]))
    items = []
    for measure_id in _HEADLINE_MEASURES:
        st = measure_status(ctx, measure_id)
        if not st.available:
            continue
        rows = st.frame[(st.frame["measure"] == measure_id) & st.frame["group"].isin(_HEADLINE_GROUPS)]
        # the source and period follow in the figure's context line, so not in each sentence
        sentences = [
            _sentence(row, with_source=False) for row in rows.to_dict("records") if pd.notna(row.get("value"))
        ]
        if sentences:
            items.append(
                f"- **{catalogue.get_measure(measure_id).headline}.** "
                + " ".join(sentences)
                + " "
                + _figure_context(ctx, st, rows)
            )
    if items:
        blocks.append(Markdown(CI_EXPLAINED + "\n\n" + "\n".join(items)))
    else:
        blocks.append(
            Markdown(
                f"No disparity figures are available for {ctx.name} for {ctx.year_display} or "
                "any earlier year."
            )
        )
    blocks.extend(coverage_summary(ctx))
    return blocks


#: the overview explains the interval once, in plain words, before the key figures
CI_EXPLAINED = (
    "Each figure below comes with a *95% confidence interval* (95% CI): the range the true value "
    "very probably lies in, given how many people the figure is based on. A ratio whose whole interval "
    "is above 1 is very unlikely to be down to chance."
)


def _figure_context(ctx: Context, st: MeasureStatus, rows: pd.DataFrame) -> str:
    """Source, period and caveat of a key figure, in plain words."""
    period = _period_words(st)
    when = (
        f"{period}"
        if st.status == "current"
        else f"{period}, the latest available (there are no figures for {ctx.year_display} yet)"
    )
    caveat = _caveat_text(rows) or "none beyond the interval itself."
    row_sources = rows["source"].dropna().astype(str) if "source" in rows else pd.Series(dtype=str)
    source = row_sources.iloc[0] if len(row_sources) and row_sources.iloc[0] else st.source
    if source.endswith("ONS Census"):  # the Census whose populations are the denominators for this period
        source += (
            " 2021"
            if pd.Timestamp(analysis_period_end(str(rows["period"].iloc[0]))).year >= 2022
            else " 2011"
        )
    source = source.replace("; ", " and ").replace("ONS Census", "population from the ONS Census")
    return f"*Source:* {source}. *Period:* {when}. *Caveat:* {caveat}"


#: the measures whose sentences the overview gives, in order (catalogue entries with a ``headline``), and for
#: which groups
_HEADLINE_MEASURES = catalogue.headline_measures()


_HEADLINE_GROUPS = ("Black", "All ethnic minority groups")


def main_disparities(ctx: Context) -> list[Block]:
    """The overview's chart of the main disparities: ratios to White with 95% intervals, by power."""
    frames = []
    for measure_id in _HEADLINE_MEASURES:
        st = measure_status(ctx, measure_id)
        if not st.available:
            continue
        rows = st.frame[
            (st.frame["measure"] == measure_id) & (st.frame["group"] != "All ethnic minority groups")
        ].copy()
        rows["colour_group"] = rows["group"]
        rows["group"] = f"{catalogue.get_measure(measure_id).headline} ({_period_words(st)}): " + rows[
            "group"
        ].astype(str)
        frames.append(rows)
    if not frames:
        return [
            Markdown(
                f"No disparity ratios can be computed for {ctx.name} for {ctx.year_display} or any "
                "earlier year."
            )
        ]
    data = pd.concat(frames, ignore_index=True)
    fig, alt = fg.ratio_chart(
        data,
        measure="disparity ratio to White by ethnic group and power",
        area_name=ctx.name,
        colour_column="colour_group",
    )
    return [
        Chart(
            fig,
            "main-disparities",
            f"Disparity ratios to White with 95% confidence intervals, "
            f"{ctx.name}, latest year of each source",
            alt,
        )
    ]


#: the force areas in Wales, whose reports say a Welsh version can be requested (Welsh Language Standards)
WELSH_AREAS = frozenset({"dyfed-powys", "gwent", "north-wales", "south-wales"})


def _escape_markdown(text: str) -> str:
    """An analyst's text (params) as literal markdown: every markdown, HTML and Typst special character escaped."""
    import re

    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~^$@&\"'=:;])", r"\\\1", " ".join(str(text).split()))


def other_formats(ctx: Context) -> list[Block]:
    """Links to the PDF and the data tables (CSV, ODS) with descriptive text, a contact line for other formats
    (``contact`` in the params file, escaped) and, for the Welsh force areas, that a Welsh version can be asked for."""
    stem = f"{ctx.area.slug}-{ctx.year}-equality-information"
    lines = [
        f"- [Download this report as a PDF (tagged for screen readers)]({stem}.pdf)",
        f"- [Download the data tables as a spreadsheet (ODS, one sheet per table)](tables/{stem}.ods)",
        "- [The data tables as CSV files, one per table (folder)](tables/)",
    ]
    contact = ctx.params.get("contact")
    text = "This report is also available in other formats:\n\n" + "\n".join(lines)
    if contact:
        text += (
            f"\n\nTo ask for this report in another format (for example large print, easy read or audio), "
            f"contact {_escape_markdown(contact)}."
        )
    else:
        text += "\n\nTo ask for this report in another format, contact the publisher named on the title page."
        note_for_analyst(
            ctx, "Add `contact:` (an email address or phone number for other formats) to the params file."
        )
    if ctx.area.slug in WELSH_AREAS:
        # the Welsh wording is the OPCC's to write (no machine translation): the offer is made in English
        text += "\n\nA Welsh language version of this report can be requested" + (
            f" from {_escape_markdown(contact)}." if contact else "."
        )
    return [Markdown(text)]


def relabel(blocks: list[Block], prefix: str) -> list[Block]:
    """The same blocks with ``prefix-`` on every chart and table label (the overview repeats figures that a
    section also shows; cross-reference ids must be unique in the report)."""
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Chart):
            block = Chart(block.fig, f"{prefix}-{block.label}", block.caption, block.alt)
        elif isinstance(block, Table):
            block = Table(block.frame, block.caption, f"{prefix}-{block.label}", block.options)
        out.append(block)
    return out


def benchmark(ctx: Context) -> list[Block]:
    """The area against all force areas (funnel plot): stop and search where it exists, else arrests."""
    for measure_id in catalogue.benchmark_measures():
        st = measure_status(ctx, measure_id)
        if st.available:
            return relabel(measure_blocks(ctx, [measure_id]), "overview")
    return [
        Markdown(
            f"No figures compare {ctx.name} with other force areas for {ctx.year_display} or any "
            "earlier year."
        )
    ]
