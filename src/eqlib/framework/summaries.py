"""Summaries of the framework for the report: frames and charts.

- :func:`maturity_grid` / :func:`maturity_chart`: the 16 themes x 3 levels by section, from a self-assessment;
- :func:`objectives_table` / :func:`objectives_chart`: the equality objectives with their status;
- :func:`evidence_gap_table` / :func:`evidence_chart`: criteria the data support and the evidence gaps.

Every chart function returns ``(figure, alt_text)``: a :class:`matplotlib.figure.Figure` (object API, no
pyplot state) and alt text written from the same data. Colours come from the Okabe-Ito palette (safe for the
common forms of colour-blindness) and never carry meaning alone: every cell and bar is also labelled in text.
"""

from __future__ import annotations

import textwrap

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from eqlib.framework.model import LEVELS, Framework, load_framework
from eqlib.framework.objectives import STATUSES
from eqlib.framework.self_assessment import SelfAssessment
from eqlib.report.figures import MUTED, OKABE_ITO, TEXT  # one palette for every chart (colour-blind safe)

MET = OKABE_ITO["blue"]  # descriptor met: white text on it has contrast 5.3:1
STATUS_COLOURS: dict[str, str] = {
    "achieved": OKABE_ITO["bluish green"],
    "on track": OKABE_ITO["blue"],
    "off track": OKABE_ITO["vermillion"],
    "no data": MUTED,
}
EVIDENCE_COLOURS: dict[str, str] = {
    "supported": OKABE_ITO["blue"],
    "partly supported": OKABE_ITO["sky blue"],
    "gap": OKABE_ITO["vermillion"],
}
_RC = {"font.family": ["DejaVu Sans"], "font.size": 9, "svg.hashsalt": "eqlib"}
DPI = 150

GRID_COLUMNS = [
    "section",
    "section_name",
    "theme",
    "theme_name",
    "level",
    "level_number",
    "descriptor",
    "assessed",
    "met",
    "criteria_met",
    "criteria_total",
    "theme_level",
]


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _join(items: list[str]) -> str:
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --------------------------------------------------------------------------- maturity grid
def maturity_grid(assessment: SelfAssessment, *, framework: Framework | None = None) -> pd.DataFrame:
    """Long frame, one row per theme x level (48 rows), with :data:`GRID_COLUMNS`.

    ``met`` is True when the descriptor is met; ``assessed`` is False for themes the self-assessment does not
    cover; ``criteria_met`` / ``criteria_total`` count the level's criteria; ``theme_level`` is the level the
    theme reached ('' when assessed below Developing, None when not assessed).
    """
    framework = framework or load_framework()
    rows = []
    for t in framework.themes:
        ta = assessment.theme(t.id)
        met_criteria = {c.criterion for c in ta.criteria_met} if ta else set()
        for d in t.descriptors:
            rows.append(
                {
                    "section": t.section,
                    "section_name": framework.section(t.section).name,
                    "theme": t.id,
                    "theme_name": t.name,
                    "level": d.level,
                    "level_number": LEVELS.index(d.level) + 1,
                    "descriptor": d.id,
                    "assessed": ta is not None,
                    "met": bool(ta is not None and d.id in ta.descriptors_met),
                    "criteria_met": sum(c.id in met_criteria for c in d.criteria),
                    "criteria_total": len(d.criteria),
                    "theme_level": (ta.level or "") if ta else None,
                }
            )
    return pd.DataFrame(rows, columns=GRID_COLUMNS)


def maturity_table(assessment: SelfAssessment, *, framework: Framework | None = None) -> pd.DataFrame:
    """Wide display table: one row per theme (Section, Theme, Level reached, then a column per level saying
    "Met" or "Not met" with the criteria met out of the level's criteria)."""
    grid = maturity_grid(assessment, framework=framework)
    rows = []
    for (section_name, theme, theme_name), g in grid.groupby(
        ["section_name", "theme", "theme_name"], sort=False
    ):
        first = g.iloc[0]
        row = {
            "Section": section_name,
            "Theme": f"Theme {theme}: {theme_name}",
            "Level reached": (
                "Not assessed" if not first["assessed"] else first["theme_level"] or "Below Developing"
            ),
        }
        for _, cell in g.iterrows():
            state = "Met" if cell["met"] else ("Not met" if cell["assessed"] else "Not assessed")
            row[cell["level"]] = f"{state} ({cell['criteria_met']} of {cell['criteria_total']} criteria)"
        rows.append(row)
    return pd.DataFrame(rows)


def maturity_alt_text(grid: pd.DataFrame, *, area_name: str = "", year: str = "") -> str:
    """Alt text for the maturity grid, from the grid frame."""
    themes = grid.drop_duplicates("theme")
    where = f" for {area_name}" + (f", {year}" if year else "") if area_name else ""
    parts = [
        f"Maturity grid of the APCC Equality Framework{where}: {len(themes)} themes in "
        f"{themes['section'].nunique()} sections, each at three levels (Developing, Achieving, Advancing)."
    ]
    for level in reversed(LEVELS):
        names = [f"{r.theme} {r.theme_name}" for r in themes.itertuples() if r.theme_level == level]
        if names:
            parts.append(
                f"{level} reached in {len(names)} theme{'s' if len(names) != 1 else ''}: {_join(names)}."
            )
    below = [f"{r.theme} {r.theme_name}" for r in themes.itertuples() if r.assessed and not r.theme_level]
    if below:
        parts.append(f"Below Developing in {len(below)}: {_join(below)}.")
    unassessed = [f"{r.theme} {r.theme_name}" for r in themes.itertuples() if not r.assessed]
    if unassessed:
        parts.append(f"Not assessed: {_join(unassessed)}.")
    met = grid["criteria_met"].sum()
    parts.append(f"{met} of {grid['criteria_total'].sum()} criteria met in all.")
    return " ".join(parts)


def maturity_chart(
    assessment: SelfAssessment, *, framework: Framework | None = None, area_name: str = "", year: str = ""
) -> tuple[Figure, str]:
    """The maturity grid as a chart: one row per theme grouped by section, one column per level; a filled
    cell (with the word "Met") is a descriptor met; every cell shows criteria met out of the level's total."""
    framework = framework or load_framework()
    grid = maturity_grid(assessment, framework=framework)
    n = len(framework.themes)
    fig = _figure(7.5, 0.36 * (n + len(framework.sections)) + 1.0)
    ax = fig.add_subplot()
    y = 0.0
    yticks, ylabels = [], []
    for section in framework.sections:
        ax.text(
            -0.02,
            y + 0.5,
            section.name,
            transform=ax.get_yaxis_transform(),
            ha="right",
            va="center",
            fontweight="bold",
            color=TEXT,
            fontsize=8.5,
        )
        y += 1
        for theme in [t for t in framework.themes if t.section == section.id]:
            cells = grid[grid["theme"] == theme.id]
            for _, cell in cells.iterrows():
                x = cell["level_number"] - 1
                face = MET if cell["met"] else "white"
                ax.add_patch(
                    Rectangle(
                        (x + 0.04, y + 0.08),
                        0.92,
                        0.84,
                        facecolor=face,
                        edgecolor=MUTED,
                        linewidth=0.8,
                        hatch=None if cell["assessed"] else "//",
                    )
                )
                label = (
                    ("Met, " if cell["met"] else "") + f"{cell['criteria_met']}/{cell['criteria_total']}"
                    if cell["assessed"]
                    else "not assessed"
                )
                ax.text(
                    x + 0.5,
                    y + 0.5,
                    label,
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="white" if cell["met"] else TEXT,
                )
            yticks.append(y + 0.5)
            ylabels.append(textwrap.shorten(f"{theme.id}. {theme.name}", 48, placeholder="..."))
            y += 1
    ax.set_xlim(0, 3)
    ax.set_ylim(y, 0)
    ax.set_xticks([0.5, 1.5, 2.5], list(LEVELS))
    ax.xaxis.tick_top()
    ax.set_yticks(yticks, ylabels, fontsize=7.5)
    ax.tick_params(length=0, colors=TEXT)
    for side in ax.spines.values():
        side.set_visible(False)
    fig.suptitle(
        "Descriptors met, by theme and level (in each cell: criteria met / criteria in the level)",
        x=0.01,
        ha="left",
        fontsize=9,
        color=TEXT,
    )
    return fig, maturity_alt_text(grid, area_name=area_name, year=year)


# --------------------------------------------------------------------------- objectives
def objectives_table(status: pd.DataFrame) -> pd.DataFrame:
    """Display table of :func:`~eqlib.framework.objectives.objective_status`: objective, owner, measure (its
    title, :mod:`eqlib.measures`), baseline, target, latest, status and how the status was decided, in words:
    numbers as the report displays them (:func:`eqlib.report.wording.number`), periods as 2021/22, dates in full."""
    from eqlib.report import wording

    def period(label) -> str:
        words = wording.period_words(label)
        return f" ({words})" if words else ""

    rows = []
    for r in status.itertuples():
        if r.status == "no data":
            how = f"no figure for a period after the baseline{period(r.baseline_period)}"
        elif r.status == "achieved":
            how = "the target has been reached"
        else:
            how = (
                f"{r.progress:.0%} of the way from baseline to target, with {r.elapsed:.0%} of the time gone"
            )
        rows.append(
            {
                "Objective": f"{r.id}: {r.statement}",
                "Owner": r.owner,
                "Measure": wording.measure_title(r.measure)
                + (f" ({r.group})" if isinstance(r.group, str) and r.group else ""),
                "Baseline": f"{wording.number(r.baseline_value)}{period(r.baseline_period)}",
                "Target": f"{wording.number(r.target_value)} by {wording.date_words(r.target_date)}",
                "Latest": f"{wording.number(r.latest_value)}{period(r.latest_period)}",
                "Status": r.status,
                "How the status was decided": how,
            }
        )
    return pd.DataFrame(rows)


def objectives_alt_text(status: pd.DataFrame) -> str:
    counts = status["status"].value_counts()
    parts = [
        f"Progress of {len(status)} equality objective{'s' if len(status) != 1 else ''} towards their "
        "targets, against the share of time elapsed."
    ]
    parts.append("; ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES) + ".")
    for r in status.itertuples():
        if r.status == "no data":
            parts.append(f"{r.id}: no data since the baseline.")
        else:
            parts.append(
                f"{r.id}: {r.progress:.0%} of the way to the target with {r.elapsed:.0%} of the time "
                f"elapsed, {r.status}."
            )
    return " ".join(parts)


def objectives_chart(status: pd.DataFrame) -> tuple[Figure, str]:
    """Horizontal bars: the share of the distance to each target covered (capped to -50%..120% for display),
    with a black tick at the share of time elapsed; each bar is labelled with its status in words."""
    n = max(len(status), 1)
    fig = _figure(7.0, 0.5 * n + 1.2)
    ax = fig.add_subplot()
    for i, r in enumerate(status.itertuples()):
        if r.status == "no data":
            ax.text(0.01, i, f"{r.id}: no data", va="center", ha="left", color=TEXT, fontsize=8)
            continue
        shown = max(-0.5, min(1.2, float(r.progress)))
        ax.barh(i, shown, color=STATUS_COLOURS[r.status], edgecolor=TEXT, linewidth=0.5, height=0.6)
        ax.plot([r.elapsed, r.elapsed], [i - 0.38, i + 0.38], color=TEXT, linewidth=2)
        ax.text(
            max(shown, float(r.elapsed), 0) + 0.03,
            i,
            f"{r.progress:.0%}, {r.status}",
            va="center",
            ha="left",
            fontsize=8,
            color=TEXT,
        )
    ax.set_yticks(range(len(status)), list(status["id"]))
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(-0.5, 1.6)
    ax.axvline(0, color=MUTED, linewidth=0.8)
    ax.axvline(1, color=MUTED, linewidth=0.8, linestyle="--")
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel(
        "Share of the distance from baseline to target covered (tick: share of time elapsed)", color=TEXT
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, objectives_alt_text(status)


# --------------------------------------------------------------------------- evidence
def evidence_gap_table(gaps: pd.DataFrame) -> pd.DataFrame:
    """Display table of :func:`~eqlib.framework.evidence.evidence_gaps`, in words: the criterion and its level,
    the theme, what the criterion asks, the measures missing (titles) and the data they need (plain names,
    :func:`eqlib.report.wording.dataset_names`), and the status."""
    from eqlib.report import wording

    return pd.DataFrame(
        {
            "Criterion": gaps["criterion"].astype(str) + " (" + gaps["level"].astype(str) + ")",
            "Theme": "Theme " + gaps["theme"].astype(str) + ": " + gaps["theme_name"],
            "What the criterion asks": gaps["criterion_text"],
            "Missing measures": gaps["missing_titles"],
            "Data needed": gaps["needs"].map(
                lambda ids: wording.dataset_names(i for i in str(ids).split("; ") if i)
            ),
            "Status": gaps["status"],
        }
    )


def evidence_alt_text(status: pd.DataFrame) -> str:
    total = len(status)
    counts = status["status"].value_counts()
    parts = [
        f"Of the {total} framework criteria that need data, {counts.get('supported', 0)} are supported by "
        f"the data, {counts.get('partly supported', 0)} partly, and {counts.get('gap', 0)} are evidence gaps."
    ]
    by_section = status.groupby("section")["status"].value_counts().unstack(fill_value=0)
    fw = load_framework()
    for section, row in by_section.iterrows():
        parts.append(
            f"{fw.section(int(section)).name}: "
            + ", ".join(f"{int(row.get(s, 0))} {s}" for s in EVIDENCE_COLOURS)
            + "."
        )
    return " ".join(parts)


def evidence_chart(status: pd.DataFrame) -> tuple[Figure, str]:
    """Stacked horizontal bars per framework section: criteria supported, partly supported and gaps, each
    segment labelled with its count."""
    fw = load_framework()
    sections = [s.id for s in fw.sections]
    counts = (
        status.groupby("section")["status"]
        .value_counts()
        .unstack(fill_value=0)
        .reindex(sections, fill_value=0)
    )
    fig = _figure(7.0, 2.6)
    ax = fig.add_subplot()
    left = pd.Series(0, index=sections, dtype=float)
    for s, colour in EVIDENCE_COLOURS.items():
        values = counts[s] if s in counts else pd.Series(0, index=sections)
        ax.barh(range(len(sections)), values, left=left, color=colour, edgecolor=TEXT, linewidth=0.5, label=s)
        for i, (v, lft) in enumerate(zip(values, left, strict=True)):
            if v:
                ax.text(
                    lft + v / 2,
                    i,
                    str(int(v)),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if s == "supported" else TEXT,
                )  # contrast >= 4.5:1 either way
        left = left + values
    ax.set_yticks(range(len(sections)), [textwrap.fill(fw.section(s).name, 28) for s in sections])
    ax.invert_yaxis()
    ax.set_xlabel("Framework criteria that need data", color=TEXT)
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, evidence_alt_text(status)


# --------------------------------------------------------------------------- year on year
_LEVEL_RANK = {None: None, "below Developing": 0, "Developing": 1, "Achieving": 2, "Advancing": 3}


def level_change_alt_text(
    comparison: pd.DataFrame, *, previous: str = "previous year", current: str = "this year"
) -> str:
    """Alt text for :func:`level_change_chart`, from :func:`~eqlib.framework.compare.compare_self_assessments`."""
    parts = [f"Level reached in each of the {len(comparison)} framework themes, {previous} and {current}."]
    for change, word in (("up", "Moved up"), ("down", "Moved down")):
        rows = comparison[comparison["change"] == change]
        if not rows.empty:
            parts.append(
                f"{word} in {len(rows)}: "
                + _join(
                    [
                        f"{r.theme} {r.theme_name} ({r.previous_level} to {r.current_level})"
                        for r in rows.itertuples()
                    ]
                )
                + "."
            )
    same = int((comparison["change"] == "same").sum())
    parts.append(f"{same} theme{'s' if same != 1 else ''} stayed at the same level.")
    other = comparison[~comparison["change"].isin(["up", "down", "same"])]
    for change, rows in other.groupby("change", sort=False):
        parts.append(f"{change.capitalize()}: {_join([str(t) for t in rows['theme']])}.")
    return " ".join(parts)


def level_change_chart(
    comparison: pd.DataFrame, *, previous: str = "previous year", current: str = "this year"
) -> tuple[Figure, str]:
    """Dot plot of the level reached per theme in two years (hollow: previous, filled: current), with an
    arrow where it moved and the change written beside each theme."""
    n = len(comparison)
    fig = _figure(7.0, 0.3 * n + 1.2)
    ax = fig.add_subplot()
    for i, r in enumerate(comparison.itertuples()):
        p, c = _LEVEL_RANK.get(r.previous_level), _LEVEL_RANK.get(r.current_level)
        if p is not None:
            ax.plot(p, i, "o", markerfacecolor="white", markeredgecolor=TEXT, markersize=7)
        if c is not None:
            ax.plot(c, i, "o", color=MET, markeredgecolor=TEXT, markersize=7)
        if p is not None and c is not None and p != c:
            ax.annotate(
                "",
                xy=(c, i),
                xytext=(p, i),
                arrowprops={"arrowstyle": "->", "color": TEXT, "shrinkA": 5, "shrinkB": 5},
            )
        ax.text(3.25, i, r.change, va="center", fontsize=8, color=TEXT)
    ax.set_yticks(
        range(n),
        [
            textwrap.shorten(f"{r.theme}. {r.theme_name}", 45, placeholder="...")
            for r in comparison.itertuples()
        ],
        fontsize=8,
    )
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(-0.3, 3.9)
    ax.set_xticks([0, 1, 2, 3], ["Below\nDeveloping", *LEVELS], fontsize=8)
    ax.set_title(
        f"Level reached: {previous} (hollow) and {current} (filled)", fontsize=9, color=TEXT, loc="left"
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, level_change_alt_text(comparison, previous=previous, current=current)
