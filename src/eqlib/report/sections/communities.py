"""Section 1 of the APCC Equality Framework, *Understanding and working with your communities* (notebook
01_communities): the population profile; its measures are the catalogue's (cells of
:func:`eqlib.report.sections.common.measure_cell`).
"""

from __future__ import annotations

import pandas as pd

from eqlib.report import figures as fg
from eqlib.report.sections.common import (
    Block,
    Chart,
    Context,
    Markdown,
    Table,
    _population_dataset,
    load,
)

_GROUP_ORDER = ("Asian", "Black", "Mixed", "White", "Other", "Not stated")


def _order_groups(frame: pd.DataFrame, column: str = "group") -> pd.DataFrame:
    order = {g: i for i, g in enumerate(_GROUP_ORDER)}
    return (
        frame.assign(_o=frame[column].map(lambda g: order.get(g, 99)))
        .sort_values(["_o", column])
        .drop(columns="_o")
    )


def population_profile(ctx: Context) -> list[Block]:
    """The area's resident population by broad ethnic group (the denominators of every rate)."""
    dataset = _population_dataset(ctx)
    frame = load(ctx, dataset)
    census = "Census 2021" if dataset.endswith("2021") else "Census 2011"
    if frame is None or frame[frame["area_code"] == ctx.area.code].empty:
        return [
            Markdown(f"**No data.** The {census} population of {ctx.name} by ethnic group is not available.")
        ]
    rows = frame[frame["area_code"] == ctx.area.code]
    by_group = rows.groupby("group", as_index=False)["count"].sum()
    by_group = _order_groups(by_group)
    total = by_group["count"].sum()
    by_group["share"] = 100 * by_group["count"] / total
    minority = by_group.loc[by_group["group"] != "White", "count"].sum()
    largest = by_group[by_group["group"] != "White"].nlargest(1, "count")
    text = (
        f"At the {census}, {fg.fmt_number(total)} people lived in {ctx.name}. "
        f"{fg.fmt_number(100 * minority / total, digits=1)}% were from ethnic minority groups "
        f"(all groups other than White)"
    )
    if not largest.empty:
        text += (
            f"; the largest was {largest['group'].iloc[0]} "
            f"({fg.fmt_number(largest['share'].iloc[0], digits=1)}%)"
        )
    text += (
        f". These are the denominators of the rates in this report ({census} "
        f"{'for periods from April 2021' if census == 'Census 2021' else 'for periods before April 2021'})."
    )
    fig, alt = fg.bar_chart(
        by_group.assign(share=by_group["share"].round(1)),
        category="group",
        value="share",
        measure="share of usual residents by broad ethnic group (per cent)",
        area_name=ctx.name,
        period_label=census,
        unit="Per cent of usual residents",
    )
    table = by_group.rename(
        columns={"group": "Ethnic group", "count": "Usual residents", "share": "Per cent"}
    )
    table["Usual residents"] = table["Usual residents"].astype("int64")
    return [
        Markdown(text),
        Chart(
            fig,
            "population-by-ethnicity",
            f"Usual residents by broad ethnic group, {ctx.name}, {census}",
            alt,
        ),
        Table(
            table,
            f"Usual residents by broad ethnic group, {ctx.name}, {census} (ONS)",
            "population-by-ethnicity",
        ),
    ]
