"""Section 2 of the APCC Equality Framework, *Leadership and organisational commitment* (notebook
02_leadership): questions for the Chief Constable; its measures are the catalogue's.
"""

from __future__ import annotations

import pandas as pd

from eqlib.report import escape
from eqlib.report.sections.common import (
    Block,
    Context,
    Markdown,
    area_figures,
)


def holding_to_account(ctx: Context) -> list[Block]:
    """Questions for the Chief Constable where a disparity is significant and not narrowing."""
    import importlib

    try:
        module = importlib.import_module("eqlib.framework.accountability")
    except ImportError:
        module = None
    func = getattr(module, "questions", None) if module else None
    if func is None:
        return [
            Markdown(
                "Questions for the Chief Constable are drawn from each disparity that is statistically "
                "significant and not narrowing; eqlib does not yet compute them for this report."
            )
        ]
    figures = area_figures(ctx)
    if not figures["measure"].astype(str).str.endswith("_disparity").any():
        return [
            Markdown(
                f"No disparity figures are available for {ctx.name} for {ctx.year_display}, so no "
                "question for the Chief Constable can be drawn from the data."
            )
        ]
    usable = figures[
        ~(
            figures["measure"].astype(str).str.endswith("_disparity")
            & (pd.to_numeric(figures["value"], errors="coerce") <= 0)
        )
    ]
    frame = func(usable, area_name=ctx.name)
    if frame is None or len(frame) == 0:
        return [
            Markdown(
                f"No disparity in the data for {ctx.name} is both statistically significant and "
                "not narrowing, so no question is raised from the data."
            )
        ]
    lines = [
        f"- {escape.markdown_text(row['evidence'])} **Question for the Chief Constable:** "
        f"{escape.markdown_text(row['question'])}"
        for row in frame.to_dict("records")
    ]
    return [
        Markdown(
            f"{len(lines)} disparit{'y is' if len(lines) == 1 else 'ies are'} statistically significant "
            f"and not narrowing in the data for {ctx.name}:\n\n" + "\n".join(lines)
        )
    ]
