"""Charts and tables for the notebooks and the report: one look, accessible, alt text from the data.

Every chart function takes a tidy frame and returns ``(fig, alt_text)``; :func:`show` saves the
figure as ``figures/<label>.png`` (relative to the kernel's working directory, which
:mod:`eqlib.batch` sets to the output folder) and displays the markdown image that Quarto and
the pandoc fallback both understand::

    ![Caption](figures/<label>.png){#fig-<label> fig-alt="..."}

:func:`table` displays a markdown pipe table followed by ``: Caption {#tbl-<label>}``.

Design choices
--------------
- matplotlib's object API (:class:`matplotlib.figure.Figure`) only: no pyplot state, nothing
  displayed by accident, and no seaborn import (1.6 s in every kernel) -- the seaborn "whitegrid"
  look is reproduced with the rc settings in :data:`STYLE`.
- Colours: the Okabe-Ito palette (Okabe and Ito 2008, "Color Universal Design"), safe for the
  common forms of colour-blindness. Groups always get the same colour. Text is near-black
  (:data:`TEXT`, contrast 16:1 on white) and every colour used for text or a line marking a value
  has at least 3:1 contrast on white (WCAG 2.2 SC 1.4.11); :func:`contrast_ratio` checks it.
- Deterministic PNGs: fixed size and dpi, no "Software" or date metadata.
- Point + interval, never bars, for rates and ratios: the interval is part of the figure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from eqlib.report import escape

__all__ = [
    "OKABE_ITO",
    "GROUP_COLOURS",
    "TEXT",
    "MUTED",
    "HIGHLIGHT",
    "STYLE",
    "DPI",
    "contrast_ratio",
    "group_colour",
    "new_figure",
    "fmt_number",
    "interval_chart",
    "ratio_chart",
    "trend_chart",
    "funnel_plot",
    "bar_chart",
    "share_chart",
    "save",
    "figure_markdown",
    "show",
    "table_markdown",
    "table",
    "markdown",
]

# Okabe-Ito, in their published order
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
TEXT = "#1a1a1a"  # near-black: 17:1 on white
MUTED = "#707070"  # mid grey for other areas, grid labels: 4.95:1 on white
GRID = "#d9d9d9"  # decorative only
HIGHLIGHT = OKABE_ITO["vermillion"]  # this area in a funnel plot

# Fixed colours per broad ethnic group (the same in every chart). Colours that fall below 3:1 on
# white (orange, sky blue, reddish purple) are drawn with a dark edge so the mark itself passes.
GROUP_COLOURS: dict[str, str] = {
    "Asian": OKABE_ITO["orange"],
    "Black": OKABE_ITO["blue"],
    "Mixed": OKABE_ITO["reddish purple"],
    "White": OKABE_ITO["bluish green"],
    "Other": OKABE_ITO["sky blue"],
    "Not stated": MUTED,
    "All ethnic minority groups": OKABE_ITO["vermillion"],
    "All": TEXT,
}
_FALLBACK_CYCLE = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish green"],
    OKABE_ITO["reddish purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky blue"],
    TEXT,
)

DPI = 150
WIDTH_IN = 7.0  # inches; 1050 px at 150 dpi

STYLE: dict[str, Any] = {
    "font.family": ["DejaVu Sans"],
    "font.size": 10,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": TEXT,
    "axes.titlecolor": TEXT,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "xtick.color": TEXT,
    "ytick.color": TEXT,
    "legend.frameon": False,
    "savefig.dpi": DPI,
    "svg.hashsalt": "eqlib",
}


# --------------------------------------------------------------------------- colour utilities
def _relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour given as ``#rrggbb``."""
    value = hex_colour.lstrip("#")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str = "#ffffff") -> float:
    """WCAG contrast ratio ``(L1 + 0.05) / (L2 + 0.05)`` between two ``#rrggbb`` colours.

    Text needs 4.5:1 (SC 1.4.3), graphical objects 3:1 (SC 1.4.11).

    >>> round(contrast_ratio("#000000"), 1)
    21.0
    """
    a, b = _relative_luminance(foreground), _relative_luminance(background)
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def group_colour(group: str, index: int = 0) -> str:
    """The fixed colour of a broad ethnic group (or a palette colour by position for others)."""
    return GROUP_COLOURS.get(str(group), _FALLBACK_CYCLE[index % len(_FALLBACK_CYCLE)])


def _edge(colour: str) -> str:
    """A dark edge for marks whose fill has under 3:1 contrast on white."""
    return TEXT if contrast_ratio(colour) < 3 else colour


# --------------------------------------------------------------------------- number formatting
def fmt_number(value: Any, *, digits: int | None = None, symbol: str = "") -> str:
    """Format a number for display the GSS way: thousands separators; a symbol for missing.

    ``digits=None`` chooses: integers without decimals, values under 10 with two significant
    decimals, others with one.

    >>> fmt_number(12345.0)
    '12,345'
    >>> fmt_number(3.14159)
    '3.1'
    >>> fmt_number(0.456)
    '0.46'
    >>> fmt_number(float("nan"), symbol="[c]")
    '[c]'
    """
    if symbol:
        return symbol
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "[x]"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "[x]"
    if digits is None:
        if number.is_integer() and abs(number) >= 10:
            digits = 0
        elif abs(number) < 1:
            digits = 2
        else:
            digits = 1
    return f"{number:,.{digits}f}"


def _interval_text(value: float, low: float, high: float, digits: int | None) -> str:
    if any(pd.isna(v) for v in (low, high)):
        return fmt_number(value, digits=digits)
    return (
        f"{fmt_number(value, digits=digits)} (95% CI {fmt_number(low, digits=digits)} to "
        f"{fmt_number(high, digits=digits)})"
    )


def _where(area_name: str | None, period_label: str | None) -> str:
    bits = []
    if area_name:
        bits.append(f"in {area_name}")
    if period_label:
        bits.append(period_label)
    return (" " + " ".join(bits)) if bits else ""


# --------------------------------------------------------------------------- figures
def new_figure(height: float = 3.5, *, width: float = WIDTH_IN) -> tuple[Figure, Any]:
    """A new figure and axes in the house style (object API, no pyplot state)."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
        ax = fig.add_subplot()
    _apply_style(ax)
    return fig, ax


def _apply_style(ax) -> None:
    ax.set_facecolor("white")
    ax.figure.set_facecolor("white")
    ax.grid(True, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(MUTED)
    ax.tick_params(colors=TEXT, labelsize=9)
    ax.title.set_color(TEXT)
    ax.xaxis.label.set_color(TEXT)
    ax.yaxis.label.set_color(TEXT)


def _check_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: the frame has no column(s) {missing}; it has {list(frame.columns)}")


def interval_chart(
    frame: pd.DataFrame,
    *,
    measure: str,
    unit: str = "",
    group: str = "group",
    value: str = "value",
    low: str = "ci_low",
    high: str = "ci_high",
    area_name: str | None = None,
    period_label: str | None = None,
    reference_line: float | None = None,
    log_scale: bool = False,
    digits: int | None = None,
    chart_type: str = "Dot chart with 95% confidence intervals",
    colour_column: str | None = None,
) -> tuple[Figure, str]:
    """Point and interval per group (rates, ratios, proportions), groups down the side.

    Rows whose ``value`` is missing (suppressed or not available) are listed in the alt text
    as such and drawn as a labelled gap, never as zero.

    Returns
    -------
    (fig, alt_text)
    """
    _check_columns(frame, [group, value], "interval_chart")
    data = frame.reset_index(drop=True)
    has_ci = low in data.columns and high in data.columns
    n = len(data)
    fig, ax = new_figure(height=max(1.6, 0.45 * n + 1.0))
    labels = [str(g) for g in data[group]]
    ypos = np.arange(n)[::-1]
    parts = []
    for i, row in data.iterrows():
        y = ypos[i]
        colour = group_colour(row[colour_column] if colour_column else row[group], i)
        val = row[value]
        symbol = str(row.get("symbol", "") or "")
        if pd.isna(val):
            ax.text(
                0.01,
                y,
                "not shown " + (symbol or "[x]"),
                transform=ax.get_yaxis_transform(),
                va="center",
                ha="left",
                fontsize=8.5,
                color=TEXT,
            )
            parts.append(f"{row[group]} {symbol or 'not available'}")
            continue
        if has_ci and not (pd.isna(row[low]) or pd.isna(row[high])):
            ax.hlines(y, row[low], row[high], color=_edge(colour), linewidth=2.2)
            parts.append(f"{row[group]} {_interval_text(val, row[low], row[high], digits)}")
        else:
            parts.append(f"{row[group]} {fmt_number(val, digits=digits)}")
        ax.plot(
            [val],
            [y],
            marker="o",
            markersize=7,
            color=colour,
            markeredgecolor=_edge(colour),
            linestyle="none",
        )
    ax.set_yticks(ypos, labels)
    ax.grid(False, axis="y")
    if reference_line is not None:
        ax.axvline(reference_line, color=TEXT, linewidth=1, linestyle="--")
    if log_scale:
        _log_ticks(ax, data, value, low if has_ci else value, high if has_ci else value, reference_line)
    ax.set_xlabel(
        f"{measure[0].upper()}{measure[1:]}" + (f" ({unit})" if unit and unit not in measure else "")
    )
    if not parts:
        parts.append("no values to show")
    finding = _interval_finding(
        data, group, value, low if has_ci else None, high if has_ci else None, reference_line, digits
    )
    alt = finding + f"{chart_type}: {measure}{_where(area_name, period_label)}. " + "; ".join(parts) + "."
    return fig, alt


#: caveats that make a value an artefact of the recording categories, not a finding about people
#: (a self-defined Mixed person always "disagrees" with an officer's record, which has no Mixed)
NOT_A_FINDING = frozenset({"mixed_officer_defined_structural"})


def _not_a_finding(caveats: Any) -> bool:
    codes = caveats.split(";") if isinstance(caveats, str) else (caveats if caveats is not None else ())
    return bool(NOT_A_FINDING.intersection(codes))


def _interval_finding(
    data: pd.DataFrame,
    group: str,
    value: str,
    low: str | None,
    high: str | None,
    reference: float | None,
    digits: int | None,
) -> str:
    """The finding an alt text opens with: highest and lowest value, and (with a reference line, e.g. a ratio
    of 1) which groups' whole interval lies above or below it. '' when there is nothing to compare.

    Rows whose caveats say their value is built into the recording categories (:data:`NOT_A_FINDING`)
    are left out of the comparison and named after it; their values are still listed in the alt text."""
    shown = data[data[value].notna()]
    left_out: list[str] = []
    if "caveats" in shown.columns:
        artefact = shown["caveats"].map(_not_a_finding).to_numpy(dtype=bool)
        left_out = [str(g) for g in shown.loc[artefact, group]]
        shown = shown.loc[~artefact]
    note = (
        f" Not compared: {', '.join(left_out)} (a result of how ethnicity is recorded, see the notes)."
        if left_out
        else ""
    )
    if shown.empty:
        return note.lstrip() + (" " if note else "")
    top, bottom = shown.loc[shown[value].idxmax()], shown.loc[shown[value].idxmin()]
    if len(shown) == 1:
        text = f"{top[group]}: {fmt_number(top[value], digits=digits)}."
    else:
        text = (
            f"Highest: {top[group]} ({fmt_number(top[value], digits=digits)}); lowest: {bottom[group]} "
            f"({fmt_number(bottom[value], digits=digits)})."
        )
    if reference is not None:
        lo = shown[low] if low else shown[value]
        hi = shown[high] if high else shown[value]
        above = [str(g) for g, v in zip(shown[group], lo, strict=True) if pd.notna(v) and v > reference]
        below = [str(g) for g, v in zip(shown[group], hi, strict=True) if pd.notna(v) and v < reference]
        ref = fmt_number(reference, digits=0 if float(reference).is_integer() else digits)
        bits = []
        if above:
            bits.append(f"clearly above {ref} (the whole interval) for {', '.join(above)}")
        if below:
            bits.append(f"clearly below {ref} for {', '.join(below)}")
        if bits:
            text += " " + _sentence_start("; ".join(bits)) + "."
        else:
            text += f" No group is clearly above or below {ref}."
    return text + note + " "


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


_NICE_RATIOS = (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 3, 4, 5, 8, 10, 20, 50, 100)


def _log_ticks(ax, data: pd.DataFrame, value: str, low: str, high: str, reference: float | None) -> None:
    """A log x axis labelled with plain numbers (0.5, 1, 2, 4), not powers of ten."""
    ax.set_xscale("log")
    values = pd.concat([data[c] for c in (value, low, high) if c in data.columns]).dropna()
    values = values[values > 0]
    lo = float(values.min()) if len(values) else 0.5
    hi = float(values.max()) if len(values) else 2.0
    if reference is not None:
        lo, hi = min(lo, reference), max(hi, reference)
    ticks = [t for t in _NICE_RATIOS if lo / 1.5 <= t <= hi * 1.5]
    if len(ticks) > 8:
        ticks = ticks[::2] if 1 not in ticks[1::2] else ticks[1::2]
    ax.set_xlim(lo / 1.25, hi * 1.25)
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def ratio_chart(
    frame: pd.DataFrame,
    *,
    measure: str = "disparity ratio to White",
    reference_group: str = "White",
    reference_text: str | None = None,
    **kwargs: Any,
) -> tuple[Figure, str]:
    """Disparity ratios with intervals on a log scale, a dashed line at 1 (parity with the reference).

    A ratio of 2 and of 1/2 are the same distance from the line. The alt text says what 1 means.
    """
    fig, alt = interval_chart(frame, measure=measure, unit="", reference_line=1.0, log_scale=True, **kwargs)
    meaning = reference_text or f"the same rate as {reference_group} people"
    alt += f" A ratio of 1 means {meaning}; the x axis is logarithmic."
    return fig, alt


def trend_chart(
    frame: pd.DataFrame,
    *,
    measure: str,
    x: str = "period",
    group: str = "group",
    value: str = "value",
    low: str = "ci_low",
    high: str = "ci_high",
    area_name: str | None = None,
    unit: str = "",
    digits: int | None = None,
) -> tuple[Figure, str]:
    """A line per group over periods with shaded 95% intervals; direct labels at the line ends."""
    _check_columns(frame, [x, group, value], "trend_chart")
    data = frame.sort_values([group, x]).reset_index(drop=True)
    periods = sorted(data[x].astype(str).unique())
    pos = {p: i for i, p in enumerate(periods)}
    fig, ax = new_figure(height=3.8)
    has_ci = low in data.columns and high in data.columns
    parts = []
    markers = ("o", "s", "^", "D", "v", "P", "X")
    for i, (name, sub) in enumerate(data.groupby(group, sort=False)):
        colour = group_colour(name, i)
        xs = [pos[str(p)] for p in sub[x]]
        ax.plot(
            xs,
            sub[value],
            color=_edge(colour) if contrast_ratio(colour) < 3 else colour,
            marker=markers[i % len(markers)],
            markerfacecolor=colour,
            linewidth=1.8,
            label=str(name),
        )
        if has_ci:
            ax.fill_between(xs, sub[low], sub[high], color=colour, alpha=0.18, linewidth=0)
        valid = sub.dropna(subset=[value])
        if not valid.empty:
            first, last = valid.iloc[0], valid.iloc[-1]
            parts.append(
                f"{name} from {fmt_number(first[value], digits=digits)} in {_display(first[x])} "
                f"to {fmt_number(last[value], digits=digits)} in {_display(last[x])}"
            )
    ax.set_xticks(range(len(periods)), [_display(p) for p in periods])
    ax.set_xlim(-0.3, len(periods) - 0.7)
    ax.set_ylabel(unit or measure)
    if len(periods) > 6:
        for label in ax.get_xticklabels():
            label.set_rotation(45)
            label.set_ha("right")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8.5)
    span = f" from {_display(periods[0])} to {_display(periods[-1])}" if periods else ""
    finding = (_sentence_start("; ".join(parts)) + ". ") if parts else ""
    alt = (
        f"{finding}Line chart: {measure}{_where(area_name, None)}{span}, one line per group with shaded 95% "
        f"confidence intervals."
    )
    return fig, alt


def _display(period: Any) -> str:
    text = str(period)
    m = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if m and int(m.group(2)) == (int(m.group(1)) + 1) % 100:
        return f"{m.group(1)}/{m.group(2)}"
    return text


def funnel_plot(
    frame: pd.DataFrame,
    limits: pd.DataFrame,
    *,
    measure: str,
    highlight: str,
    x: str = "denominator",
    y: str = "value",
    label: str = "area_name",
    code: str = "area_code",
    target: float | None = None,
    x_label: str = "Population (denominator)",
    period_label: str | None = None,
    log_x: bool = True,
) -> tuple[Figure, str]:
    """Funnel plot: every area as a grey point, this area highlighted, 95% and 99.8% limits.

    Parameters
    ----------
    frame
        One row per area: ``x`` (the denominator, e.g. population), ``y`` (the rate or ratio),
        ``label`` and ``code``.
    limits
        The control limits computed by :mod:`eqlib.metrics` (columns ``x``, ``lower_95``,
        ``upper_95``, ``lower_998``, ``upper_998``; ``target`` optional), evaluated along the x axis.
    highlight
        The ONS code of the area to highlight.
    """
    _check_columns(frame, [x, y, label, code], "funnel_plot")
    _check_columns(limits, ["x", "lower_95", "upper_95", "lower_998", "upper_998"], "funnel_plot limits")
    data = frame.dropna(subset=[x, y])
    lim = limits.sort_values("x")
    fig, ax = new_figure(height=4.2)
    ax.plot(lim["x"], lim["upper_95"], color=TEXT, linestyle="--", linewidth=1, label="95% limits")
    ax.plot(lim["x"], lim["lower_95"], color=TEXT, linestyle="--", linewidth=1)
    ax.plot(lim["x"], lim["upper_998"], color=TEXT, linestyle=":", linewidth=1.2, label="99.8% limits")
    ax.plot(lim["x"], lim["lower_998"], color=TEXT, linestyle=":", linewidth=1.2)
    if target is None and "target" in lim.columns:
        target = float(lim["target"].iloc[0])
    if target is not None:
        ax.axhline(target, color=TEXT, linewidth=1, label=f"All areas: {fmt_number(target)}")
    others = data[data[code] != highlight]
    ax.scatter(others[x], others[y], s=22, color=MUTED, label="Other force areas", zorder=3)
    mine = data[data[code] == highlight]
    ax.scatter(
        mine[x],
        mine[y],
        s=70,
        color=HIGHLIGHT,
        edgecolor=TEXT,
        linewidth=1,
        label=str(mine[label].iloc[0]) if not mine.empty else "This area",
        zorder=4,
    )
    for _, row in mine.iterrows():
        ax.annotate(
            str(row[label]),
            (row[x], row[y]),
            xytext=(7, 5),
            textcoords="offset points",
            fontsize=9,
            color=TEXT,
            fontweight="bold",
        )
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(x_label)
    ax.set_ylabel(measure[0].upper() + measure[1:])
    ax.legend(loc="upper right", fontsize=8.5)
    # where the highlighted area falls
    position = "is not shown (no value)"
    if not mine.empty:
        row = mine.iloc[0]
        names = ("upper_95", "lower_95", "upper_998", "lower_998")
        if all(n in mine.columns and pd.notna(row[n]) for n in names):  # the metrics' own limits for the area
            up95, lo95, up998, lo998 = (float(row[n]) for n in names)
        else:
            up95, lo95, up998, lo998 = (float(np.interp(row[x], lim["x"], lim[n])) for n in names)
        if row[y] > up998:
            where = "above the 99.8% limit"
        elif row[y] > up95:
            where = "above the 95% limit but within the 99.8% limit"
        elif row[y] < lo998:
            where = "below the 99.8% limit"
        elif row[y] < lo95:
            where = "below the 95% limit but within the 99.8% limit"
        else:
            where = "within the 95% limits"
        position = f"is {fmt_number(row[y])}, {where}"
    high = data.nlargest(1, y)
    low = data.nsmallest(1, y)
    extremes = ""
    if not high.empty:
        extremes = (
            f" The highest is {high[label].iloc[0]} ({fmt_number(high[y].iloc[0])}), the lowest "
            f"{low[label].iloc[0]} ({fmt_number(low[y].iloc[0])})."
        )
    name = str(mine[label].iloc[0]) if not mine.empty else highlight
    alt = (
        f"{name} {position}. Funnel plot: {measure} for {len(data)} police force areas"
        f"{(' ' + period_label) if period_label else ''}, against {x_label.lower()}, with 95% and 99.8% "
        f"control limits{(' around ' + fmt_number(target)) if target is not None else ''}.{extremes}"
    )
    return fig, alt


def bar_chart(
    frame: pd.DataFrame,
    *,
    category: str,
    value: str = "count",
    measure: str,
    area_name: str | None = None,
    period_label: str | None = None,
    unit: str = "",
    colour: str = OKABE_ITO["blue"],
    digits: int | None = None,
) -> tuple[Figure, str]:
    """Horizontal bars for counts (e.g. workforce by role, hate crime by strand); missing shown as a gap."""
    _check_columns(frame, [category, value], "bar_chart")
    data = frame.reset_index(drop=True)
    n = len(data)
    fig, ax = new_figure(height=max(1.6, 0.42 * n + 1.0))
    ypos = np.arange(n)[::-1]
    parts = []
    for i, row in data.iterrows():
        val = row[value]
        symbol = str(row.get("symbol", "") or "")
        if pd.isna(val):
            ax.text(
                0.01,
                ypos[i],
                "not shown " + (symbol or "[x]"),
                transform=ax.get_yaxis_transform(),
                va="center",
                fontsize=8.5,
                color=TEXT,
            )
            parts.append(f"{row[category]} {symbol or 'not available'}")
            continue
        ax.barh(ypos[i], val, color=colour, edgecolor=_edge(colour), height=0.65)
        ax.annotate(
            fmt_number(val, digits=digits),
            (val, ypos[i]),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8.5,
            color=TEXT,
        )
        parts.append(f"{row[category]} {fmt_number(val, digits=digits)}")
    ax.set_yticks(ypos, [str(c) for c in data[category]])
    ax.grid(False, axis="y")
    ax.set_xlabel(unit or measure)
    ax.margins(x=0.12)
    finding = _interval_finding(data, category, value, None, None, None, digits) if n > 1 else ""
    finding = finding.replace("Highest:", "Largest:").replace("; lowest:", "; smallest:")
    alt = finding + f"Bar chart: {measure}{_where(area_name, period_label)}. " + "; ".join(parts) + "."
    return fig, alt


def share_chart(
    frame: pd.DataFrame,
    *,
    group: str = "group",
    share: str = "share",
    population_share: str = "population_share",
    measure: str,
    area_name: str | None = None,
    period_label: str | None = None,
) -> tuple[Figure, str]:
    """Dumbbell chart: a group's share of a workforce (dot) against its share of the population (ring)."""
    _check_columns(frame, [group, share, population_share], "share_chart")
    data = frame.reset_index(drop=True)
    n = len(data)
    fig, ax = new_figure(height=max(1.6, 0.45 * n + 1.2))
    ypos = np.arange(n)[::-1]
    parts = []
    for i, row in data.iterrows():
        colour = group_colour(row[group], i)
        s, p = row[share], row[population_share]
        if not (pd.isna(s) or pd.isna(p)):
            ax.hlines(ypos[i], min(s, p), max(s, p), color=GRID, linewidth=3)
        if not pd.isna(p):
            ax.plot(
                [p],
                [ypos[i]],
                marker="o",
                markersize=8,
                markerfacecolor="white",
                markeredgecolor=TEXT,
                linestyle="none",
            )
        if not pd.isna(s):
            ax.plot(
                [s],
                [ypos[i]],
                marker="o",
                markersize=8,
                color=colour,
                markeredgecolor=_edge(colour),
                linestyle="none",
            )
        parts.append(
            f"{row[group]} {fmt_number(s, digits=1)}% of the workforce against "
            f"{fmt_number(p, digits=1)}% of the population"
        )
    ax.set_yticks(ypos, [str(g) for g in data[group]])
    ax.grid(False, axis="y")
    ax.set_xlabel("Per cent")
    handles = [
        Line2D([], [], marker="o", color=TEXT, markerfacecolor=TEXT, linestyle="none", label="Workforce"),
        Line2D([], [], marker="o", color=TEXT, markerfacecolor="white", linestyle="none", label="Population"),
    ]
    ax.legend(handles=handles, loc="lower right", fontsize=8.5)
    gaps = data.assign(_gap=data[share] - data[population_share]).dropna(subset=["_gap"])
    finding = ""
    if not gaps.empty:
        worst = gaps.loc[gaps["_gap"].idxmin()]
        finding = (
            f"Largest shortfall against the population: {worst[group]} ({fmt_number(worst[share], digits=1)}% "
            f"of the workforce, {fmt_number(worst[population_share], digits=1)}% of the population). "
        )
    alt = finding + f"Dot chart: {measure}{_where(area_name, period_label)}. " + "; ".join(parts) + "."
    return fig, alt


# --------------------------------------------------------------------------- output
_LABEL = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _check_label(label: str) -> str:
    if not _LABEL.match(label):
        raise ValueError(
            f"figure/table label {label!r}: expected lower-case letters, digits and hyphens "
            "(it becomes a file name and a cross-reference id)"
        )
    return label


#: where :func:`show` saves charts (relative to the kernel's working directory); set per area and
#: year by :func:`eqlib.report.sections.context`, so two areas run in one folder never share a chart file
_FOLDER = "figures"


def figure_folder(area_slug: str, year: str) -> str:
    """The charts' folder for one area and year: ``figures/<area>/<year>``."""
    return f"figures/{_check_label(area_slug)}/{_check_label(year)}"


def set_figure_folder(folder: str) -> None:
    """Make ``folder`` (relative, forward slashes) where :func:`show` saves and links charts."""
    global _FOLDER
    _FOLDER = folder


def current_figure_folder() -> str:
    return _FOLDER


def save(fig: Figure, label: str, *, folder: Path | str = "figures") -> Path:
    """Save ``fig`` as ``<folder>/<label>.png`` deterministically (fixed dpi, no metadata)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_check_label(label)}.png"
    fig.savefig(path, dpi=DPI, format="png", facecolor="white", metadata={"Software": None})
    return path


def _escape_attr(text: str) -> str:
    return escape.markdown_attr(text)


def _escape_inline(text: str) -> str:
    return escape.markdown_text(text)


def figure_markdown(label: str, caption: str, alt: str, *, folder: str | None = None) -> str:
    """The markdown that shows a saved figure: ``![Caption](figures/x.png){#fig-x fig-alt="..."}``.

    ``folder`` defaults to the current figure folder (``figures/<area>/<year>`` in a notebook)."""
    _check_label(label)
    folder = folder if folder is not None else _FOLDER
    return f'![{_escape_inline(caption)}]({folder}/{label}.png){{#fig-{label} fig-alt="{_escape_attr(alt)}"}}'


def _display_markdown(text: str) -> None:
    from IPython.display import Markdown, display

    display(Markdown(text))


def markdown(text: str) -> None:
    """Display generated prose as ``text/markdown``."""
    _display_markdown(text)


def show(fig: Figure, label: str, caption: str, alt: str, *, folder: str | None = None) -> str:
    """Save ``fig`` to ``<folder>/<label>.png`` and display it as markdown with caption and alt text.

    ``folder`` defaults to the current figure folder (``figures/<area>/<year>`` once a notebook's
    :func:`eqlib.report.sections.context` has run, else ``figures``). Returns the markdown (also displayed
    as ``text/markdown``).
    """
    if not alt or not str(alt).strip():
        raise ValueError(f"figure {label!r} has no alt text")
    folder = folder if folder is not None else _FOLDER
    save(fig, label, folder=folder)
    fig.clear()
    text = figure_markdown(label, caption, alt, folder=folder)
    _display_markdown(text)
    return text


def _cell(value: Any, symbol: str = "") -> str:
    if symbol:
        return symbol
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return fmt_number(value)
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "[x]"
    text = str(value)
    if _FORMATTED.match(text):  # a number already formatted, or a GSS symbol: shown as it is
        return text
    return escape.markdown_text(text)


_FORMATTED = re.compile(r"^(-?[\d,]+(\.\d+)?( to -?[\d,]+(\.\d+)?)?|\[[cxzu]\])$")


def _formatted_numbers(column: pd.Series) -> bool:
    """True for a column of numbers already formatted as text ("1,234", "2.9 to 3.5", "[c]"): right-aligned."""
    values = column.dropna().astype(str)
    return bool(len(values)) and bool(values.map(lambda v: bool(_FORMATTED.match(v))).all())


#: the width of the page's text (PDF: A4 less margins, 9.5 pt table text; HTML: the 52rem column) in average
#: characters (digits and bold headers are wider than the average letter, hence the slack); each column's
#: padding takes about two more
TEXT_WIDTH_CHARS = 88
_MARKUP = re.compile(r"\\(.)|\*\*?|`|\[([^\]]*)\]\([^)]*\)")


#: where a line may break inside a cell: spaces, and after a hyphen, slash, underscore or zero-width space
_BREAKS = re.compile(r"\s+|(?<=[/_\u200b])|(?<=-)(?=[^\W\d_])")  # not "-2019": no break before a number


def _plain(cell: str) -> str:
    return _MARKUP.sub(lambda m: m.group(1) or m.group(2) or "", cell)


def column_widths(
    header: Sequence[str],
    body: Sequence[Sequence[str]],
    numeric: Sequence[bool],
    *,
    available: int = TEXT_WIDTH_CHARS,
) -> list[int]:
    """Relative column widths for a pipe table, in characters, the way a browser lays out an automatic table.

    Each column needs at least its longest word (a number column: its longest cell, which is never wrapped)
    and at most its longest cell. If the longest cells fit in the text width, each column gets that;
    otherwise each column gets its minimum plus a share of the width left over, in proportion to how much
    more it could use (``max - min``). The widths become the dashes of the table's separator line, from which
    pandoc sets the column widths of a table wider than a line (HTML ``<col>`` widths, Typst ``columns``), so
    that long words are not cut and no column runs into the next.

    >>> column_widths(["Group", "Note"], [["Black", "a long note that needs wrapping " * 4]], [False, False])
    [6, 78]
    """
    n = len(header)
    room = max(available - 2 * n, 3 * n)
    cells = [[_plain(str(h))] + [_plain(str(r[i])) for r in body] for i, h in enumerate(header)]
    longest = [max(len(c) for c in column) for column in cells]
    word = [max((len(w) for c in column for w in _BREAKS.split(c)), default=1) for column in cells]
    # one character of slack on the longest word: digits and capitals are wider than the average character
    mins = [max(3, (lng if isnum else w) + 1) for lng, w, isnum in zip(longest, word, numeric, strict=True)]
    maxs = [max(lo, lng) for lo, lng in zip(mins, longest, strict=True)]
    if sum(maxs) <= room:
        widths = maxs
    elif sum(mins) >= room:
        widths = mins
    else:
        spare = (room - sum(mins)) / (sum(maxs) - sum(mins))
        widths = [lo + (hi - lo) * spare for lo, hi in zip(mins, maxs, strict=True)]
    return [max(3, round(w)) for w in widths]


def table_markdown(
    frame: pd.DataFrame,
    caption: str,
    label: str,
    *,
    symbols: dict[str, str] | None = None,
    align: Sequence[str] | None = None,
) -> str:
    """A markdown pipe table followed by ``: Caption {#tbl-<label>}``.

    Numbers are formatted with :func:`fmt_number`; a missing value shows its GSS symbol if the
    frame has a ``symbol`` column (or ``symbols`` maps a value column to its symbol column), else
    ``[x]``. Numeric columns are right-aligned.
    """
    _check_label(label)
    if frame.empty:
        raise ValueError(f"table {label!r} is empty: say there is no data in prose instead")
    symbols = symbols or {}
    columns = [c for c in frame.columns if c not in set(symbols.values()) and c != "symbol"]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) or _formatted_numbers(frame[c]) for c in columns]
    if align is None:
        align = ["right" if isnum else "left" for isnum in numeric]
    header = "| " + " | ".join(escape.markdown_text(c) for c in columns) + " |"
    rows = []
    body: list[list[str]] = []
    for _, row in frame.iterrows():
        cells = []
        for c in columns:
            symbol = ""
            if c in symbols:
                symbol = str(row[symbols[c]] or "")
            elif "symbol" in frame.columns and pd.api.types.is_numeric_dtype(frame[c]) and pd.isna(row[c]):
                symbol = str(row["symbol"] or "")
            cells.append(_cell(row[c], symbol))
        rows.append("| " + " | ".join(cells) + " |")
        body.append(cells)
    widths = column_widths([str(c) for c in columns], body, numeric)
    rule = (
        "|"
        + "|".join(
            ("-" * w + ":") if a == "right" else (":" + "-" * w) for a, w in zip(align, widths, strict=True)
        )
        + "|"
    )
    return "\n".join([header, rule, *rows, "", f": {_escape_inline(caption)} {{#tbl-{label}}}"])


def table(frame: pd.DataFrame, caption: str, label: str, **kwargs: Any) -> str:
    """Display ``frame`` as a captioned markdown table (``text/markdown``); returns the markdown."""
    text = table_markdown(frame, caption, label, **kwargs)
    _display_markdown(text)
    return text
