"""How the report shows stop and search by sex and age group, strip search by ethnic group, and which of
the nine protected characteristics (Equality Act 2010) the data cover.

The builders are registered with :func:`eqlib.report.sections.common.chart_kind` (the package imports this module at
its end) and follow the section builders' contract: a list of blocks (prose from the data, a chart
with alt text that gives the finding first, a captioned table), never printing. Figures are the
suppressed ones :func:`eqlib.report.sections.measure_status` gives.
"""

from __future__ import annotations

import pandas as pd

from eqlib.framework.evidence import characteristic_coverage
from eqlib.measures import catalogue
from eqlib.metrics.characteristics import AGE_GROUPS, NOT_RECORDED, SEX_GROUPS, TOTAL
from eqlib.report import figures as fg
from eqlib.report import narrative
from eqlib.report.sections import common as sx

#: measure -> (characteristic noun, column heading, categories, noun for a category in sentences)
_CHARACTERISTICS = {
    "stop_search_by_sex": ("sex", "Sex", SEX_GROUPS),
    "stop_search_by_age": ("age range", "Age group", AGE_GROUPS),
}
_SEX_NOUN = {"Male": "males", "Female": "females", "Other": "people of another sex or gender"}
_SEX_SINGULAR = {"Male": "a male", "Female": "a female", "Other": "a person of another sex or gender"}

NO_DENOMINATOR = (
    "eqlib ships no resident population by age or sex for force areas (the Census files it "
    "holds are by ethnic group only), so these are shares of searches, not rates per 1,000 "
    "people: they do not say how likely a person of a given {what} is to be searched."
)


def _noun(measure: str, category: str) -> str:
    if measure == "stop_search_by_sex":
        return _SEX_NOUN.get(category, category)
    return {"under 10": "children under 10", "over 34": "people over 34"}.get(
        category, f"people aged {category}"
    )


def _singular(measure: str, category: str) -> str:
    if measure == "stop_search_by_sex":
        return _SEX_SINGULAR.get(category, category)
    return {"under 10": "a child under 10", "over 34": "a person over 34"}.get(
        category, f"a person aged {category}"
    )


def _has(codes, code: str) -> bool:
    return isinstance(codes, (tuple, list, set, frozenset)) and code in codes


def not_recorded_at_all(frame: pd.DataFrame, measure: str) -> bool:
    """Whether no search in the period recorded the characteristic (every figure is ``[x]`` for that reason)."""
    main = frame[frame["measure"] == measure]
    main = main[~main["group"].isin([NOT_RECORDED, TOTAL])]
    return (
        bool(len(main))
        and main["value"].isna().all()
        and all(_has(c, "characteristic_not_recorded") for c in main["caveats"])
    )


def has_figures(ctx: sx.Context, measure: str) -> bool:
    """The measure is available for the area and year and gives at least one figure (a force that records
    nothing for a characteristic has rows, all ``[x]``, and no figures)."""
    st = sx.measure_status(ctx, measure)
    return st.available and not not_recorded_at_all(st.frame, measure)


def _share(value: float) -> str:
    """A per cent to 1 decimal place; a share under 0.1% to 2, so 63 of 147,203 is not '0.0'."""
    digits = 2 if pd.notna(value) and 0 < abs(float(value)) < 0.095 else 1
    return fg.fmt_number(value, digits=digits)


def _pct(value: float) -> str:
    return _share(value) + "%"


def _share_table(rows: pd.DataFrame, heading: str) -> pd.DataFrame:
    out = pd.DataFrame({heading: ["All searches" if g == TOTAL else str(g) for g in rows["group"]]})
    symbols = rows["symbol"].fillna("").astype(str).tolist()
    out["Searches"] = [
        s if pd.isna(v) else fg.fmt_number(v, digits=0) for v, s in zip(rows["count"], symbols, strict=True)
    ]
    out["Per cent of searches"] = [
        s or "[x]" if pd.isna(v) else _share(v) for v, s in zip(rows["value"], symbols, strict=True)
    ]
    out["95% CI (per cent)"] = [
        ""
        if g == TOTAL
        else (f"{_share(lo)} to {_share(hi)}" if pd.notna(lo) and pd.notna(hi) else (s or "[x]"))
        for g, lo, hi, s in zip(rows["group"], rows["ci_low"], rows["ci_high"], symbols, strict=True)
    ]
    return out


def _ratio_table(rows: pd.DataFrame, heading: str, reference_noun: str) -> pd.DataFrame:
    symbols = rows["symbol"].fillna("").astype(str).tolist()
    return pd.DataFrame(
        {
            heading: rows["group"].astype(str).tolist(),
            "Searches": [
                s if pd.isna(v) else fg.fmt_number(v, digits=0)
                for v, s in zip(rows["count"], symbols, strict=True)
            ],
            f"Searches of {reference_noun}": [
                s if pd.isna(v) else fg.fmt_number(v, digits=0)
                for v, s in zip(rows["denominator"], symbols, strict=True)
            ],
            "Ratio": [
                s or "[x]" if pd.isna(v) else fg.fmt_number(v, digits=2)
                for v, s in zip(rows["value"], symbols, strict=True)
            ],
            "95% CI": [
                f"{fg.fmt_number(lo, digits=2)} to {fg.fmt_number(hi, digits=2)}"
                if pd.notna(lo) and pd.notna(hi)
                else (s or "[x]")
                for lo, hi, s in zip(rows["ci_low"], rows["ci_high"], symbols, strict=True)
            ],
        }
    )


def _ordered(frame: pd.DataFrame, categories) -> pd.DataFrame:
    order = {g: i for i, g in enumerate((*categories, NOT_RECORDED, TOTAL))}
    return frame.assign(_o=frame["group"].map(order).fillna(99)).sort_values("_o").drop(columns="_o")


@sx.chart_kind("characteristic")
def show_characteristic(ctx: sx.Context, st: sx.MeasureStatus) -> list[sx.Block]:
    """Searches by sex or age group: the finding, a dot chart of shares with 95% intervals, the shares and
    the ratios of shares as tables, and why there is no rate (no population denominator)."""
    what, heading, categories = _CHARACTERISTICS[st.measure]
    period = sx._period_words(st)
    frame = st.frame
    main = _ordered(frame[frame["measure"] == st.measure], categories).reset_index(drop=True)
    total = main.loc[main["group"] == TOTAL, "count"]
    n = float(total.iloc[0]) if len(total) and pd.notna(total.iloc[0]) else float("nan")
    title = f"**{sx._sentence_case(st.title)}**, {ctx.name}, {st.label}.{sx._latest_note(ctx, st)}"
    if not_recorded_at_all(frame, st.measure):
        return [
            sx.Markdown(
                f"{title} {ctx.name} did not record the {what} of the person searched in any of its "
                f"{fg.fmt_number(n, digits=0)} police.uk search records for {period}, so searches by {what} "
                f"cannot be shown. This is an evidence gap (see the protected characteristics below)."
            )
        ]
    shown = main[main["group"].isin(categories) & main["value"].notna()].sort_values("value", ascending=False)
    blocks: list[sx.Block] = [sx.Markdown(title)]
    finding = ""
    if len(shown):
        top = shown.iloc[0]
        finding = (
            f"In {period}, {_pct(top['value'])} of the {fg.fmt_number(n, digits=0)} searches of people in "
            f"{ctx.name} were of {_noun(st.measure, top['group'])} (95% CI {_pct(top['ci_low'])} to "
            f"{_pct(top['ci_high'])})"
        )
        rest = [
            f"{_pct(r['value'])} of {_noun(st.measure, r['group'])}"
            for r in shown.iloc[1:].to_dict("records")
            if r["count"] > 0
        ]
        finding += ("; " + ", ".join(rest) if rest else "") + "."
        nr = main[main["group"] == NOT_RECORDED]
        if len(nr):
            r = nr.iloc[0]
            finding += (
                f" The {what} was not recorded for {_pct(r['value'])} of searches."
                if pd.notna(r["value"])
                else f" The number of searches with the {what} not recorded is suppressed ({r['symbol']})."
            )
    ratios = frame[frame["measure"] == f"{st.measure}_ratio"]
    ratios = _ordered(ratios, categories).reset_index(drop=True)
    reference = str(ratios["reference_group"].iloc[0]) if len(ratios) else ""
    text = [finding] if finding else []
    if st.measure == "stop_search_by_sex":
        male = ratios[(ratios["group"] == "Male") & ratios["value"].notna()]
        if len(male):
            r = male.iloc[0]
            text.append(
                f"There were {narrative.format_ratio(r['value'])} searches of males for every search of "
                f"a female (95% CI {narrative.format_ratio(r['ci_low'])} to "
                f"{narrative.format_ratio(r['ci_high'])})."
            )
    text.append(NO_DENOMINATOR.format(what=what))
    blocks.append(sx.Markdown(" ".join(text)))
    plot = main[main["group"].isin([*categories, NOT_RECORDED])].reset_index(drop=True)
    if plot["value"].notna().any():
        fig, alt = fg.interval_chart(
            plot,
            measure=f"share of searches of people by {what}",
            unit="per cent",
            area_name=ctx.name,
            period_label=period,
            digits=1,
        )
        fig.axes[0].set_xlim(0, 100)  # shares of all searches: the whole scale, so no dot sits on an edge
        label = sx._label(st.measure)
        blocks.append(
            sx.Chart(
                fig,
                label,
                f"Share of searches of people by {what}, with 95% confidence intervals, {ctx.name}, {period}",
                f"{finding} {alt}".strip(),
            )
        )
    blocks.append(
        sx.Table(
            _share_table(main, heading),
            f"Searches of people by {what}: number and per cent of all searches, {ctx.name}, "
            f"{period}. Source: {st.source}",
            sx._label(st.measure),
        )
    )
    if len(ratios):
        ref_words = _singular(st.measure, reference)
        blocks.append(
            sx.Table(
                _ratio_table(ratios, heading, _noun(st.measure, reference)),
                f"Searches of each {heading.lower()} for every search of {ref_words} (ratio of shares of searches, "
                f"not of rates), {ctx.name}, {period}. Source: {st.source}",
                sx._label(st.measure) + "-ratio",
            )
        )
    caveats = sx._caveat_text(frame)
    if caveats:
        blocks.append(sx.Markdown(f"*Notes:* {caveats}"))
    return blocks


@sx.chart_kind("strip_search")
def show_strip_search(ctx: sx.Context, st: sx.MeasureStatus) -> list[sx.Block]:
    """Strip search (removal of more than just outer clothing) by ethnic group: the finding first, then the
    standard display (shares with Wilson intervals, ratio to White), or a plain statement where the force
    did not record the field."""
    period = sx._period_words(st)
    title = f"**{sx._sentence_case(st.title)}**, {ctx.name}, {st.label}.{sx._latest_note(ctx, st)}"
    if not_recorded_at_all(st.frame, st.measure):
        return [
            sx.Markdown(
                f'{title} {ctx.name} left the police.uk field "removal of more than just outer clothing" blank '
                f"on every search record for {period}, so strip searches cannot be counted from these data. "
                "This is an evidence gap (see the protected characteristics below)."
            )
        ]
    main = st.frame[st.frame["measure"] == st.measure]
    white = main[(main["group"] == "White") & main["value"].notna()]
    shown = main[main["value"].notna() & ~main["group"].isin(["White", "Not stated"])]
    parts = []
    if len(white):
        w = white.iloc[0]
        parts.append(
            f"In {period}, {_pct(w['value'])} of searches of White people in {ctx.name} involved the "
            f"removal of more than outer clothing ({fg.fmt_number(w['count'], digits=0)} of "
            f"{fg.fmt_number(w['denominator'], digits=0)} searches where this was recorded; 95% CI "
            f"{_pct(w['ci_low'])} to {_pct(w['ci_high'])})."
        )
    for r in shown.to_dict("records"):
        parts.append(
            f"For {narrative.group_noun(r['group'])}: {_pct(r['value'])} (95% CI {_pct(r['ci_low'])} to "
            f"{_pct(r['ci_high'])})."
        )
    hidden = main[main["value"].isna() & ~main["group"].isin(["White"])]
    if len(hidden):
        parts.append(
            "Figures for "
            + ", ".join(narrative.group_noun(g) for g in hidden["group"])
            + " are not shown: suppressed because the numbers are small ([c]) or not available."
        )
    finding = " ".join(parts)
    blocks = sx.show_measure(ctx, st)
    out: list[sx.Block] = [sx.Markdown(title), sx.Markdown(finding)] if finding else [sx.Markdown(title)]
    for block in blocks[1:]:
        if isinstance(block, sx.Chart):
            block = sx.Chart(
                block.fig, block.label, block.caption, f"{parts[0] if parts else ''} {block.alt}".strip()
            )
        out.append(block)
    return out


def _listed(titles: list[str], most: int = 3) -> str:
    """Measure titles for a table cell: all of them up to ``most``, else the first ones and how many more."""
    shown = "; ".join(sx._sentence_case(t) for t in titles[:most])
    return shown if len(titles) <= most else f"{shown}; and {len(titles) - most} more"


def protected_characteristics(ctx: sx.Context) -> list[sx.Block]:
    """The nine protected characteristics of the Equality Act 2010: which have figures in this report for the
    area and year, and which are evidence gaps (:func:`eqlib.framework.evidence.characteristic_coverage`)."""

    available = [m for m in catalogue.measure_ids() if has_figures(ctx, m)]
    coverage = characteristic_coverage(available)
    titles = {m.id: m.title for m in catalogue.MEASURES}
    gaps = coverage.loc[coverage["status"] == "gap", "characteristic"].tolist()
    with_data = coverage.loc[coverage["status"] == "data", "characteristic"].tolist()
    table = pd.DataFrame(
        {
            "Protected characteristic": coverage["characteristic"],
            "Figures in this report": [
                _listed([titles.get(m, m) for m in a.split("; ")]) if a else "none"
                for a in coverage["available"]
            ],
            "Status": ["Has data" if s == "data" else "Evidence gap: no data" for s in coverage["status"]],
        }
    )
    text = (
        f"The Equality Act 2010 names nine protected characteristics. The data in this report give figures "
        f"for {len(with_data)} of them for {ctx.name} in {ctx.year_display}"
        + (f" ({', '.join(c.lower() for c in with_data)})" if with_data else "")
        + f". For the other {len(gaps)} ({', '.join(c.lower() for c in gaps)}) there are no data here, so "
        "they are listed as evidence gaps rather than left out. The national data eqlib holds do not record "
        "disability, religion, sexual orientation or gender identity for people stopped and searched, "
        "arrested or subject to force."
    )
    return [
        sx.Markdown(text),
        sx.Table(
            table,
            f"Protected characteristics (Equality Act 2010) and the figures for them in this "
            f"report, {ctx.name}, {ctx.year_display}",
            "protected-characteristics",
        ),
    ]
