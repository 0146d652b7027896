"""The national index page for a year: ``_site/<year>/index.html``.

Lists every police force area with a link to its report (HTML and PDF) where one has been
rendered, says plainly where none exists yet, and shows the funnel plot of all areas when one is
given (PNG + alt text, from :func:`eqlib.report.figures.funnel_plot`). Same template and CSS as the
reports; self-contained.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pypandoc

from eqlib import __version__, paths
from eqlib import areas as areas_mod
from eqlib import periods as periods_mod
from eqlib.report import escape
from eqlib.report.fallback import resource
from eqlib.report.notebook import RenderError


def _escape(text: str) -> str:
    return escape.markdown_text(text)


def national_markdown(
    period: periods_mod.Period,
    site: Path,
    *,
    funnel: str | None,
    funnel_alt: str | None,
    funnel_caption: str | None,
    funnel_text: str | None = None,
) -> tuple[str, int]:
    """The page as pandoc markdown, and how many areas have a report."""
    rows = []
    found = 0
    for area in sorted(areas_mod.all_areas(), key=lambda a: a.name):
        folder = site / area.slug / period.label
        html = folder / "index.html"
        pdf = folder / f"{area.slug}-{period.label}-equality-information.pdf"
        if html.is_file():
            found += 1
            report = f"[{_escape(area.name)} report (HTML)](../{area.slug}/{period.label}/index.html)"
            pdf_link = (
                f"[{_escape(area.name)} report (PDF)](../{area.slug}/{period.label}/{pdf.name})"
                if pdf.is_file()
                else "not rendered"
            )
        else:
            report, pdf_link = "no report rendered yet", "none"
        rows.append(f"| {_escape(area.name)} | {_escape(area.region)} | {report} | {pdf_link} |")
    lines = [
        "# Reports by police force area {#reports}",
        "",
        f"{found} of {len(rows)} police force areas have a rendered report for {period.display}.",
        "",
        "| Police force area | Region | Report | PDF |",
        "|:---|:---|:---|:---|",
        *rows,
        "",
        f": Equality information reports for {period.display}, by police force area {{#tbl-reports}}",
        "",
        "# Comparing force areas {#comparing}",
        "",
    ]
    if funnel:
        if not funnel_alt or not funnel_alt.strip():
            raise RenderError(f"funnel plot {funnel}: alt text is required")
        caption = funnel_caption or f"Funnel plot of all police force areas, {period.display}"
        alt = " ".join(funnel_alt.split()).replace("\\", "\\\\").replace('"', '\\"')
        if funnel_text:
            lines += [funnel_text, ""]
        lines.append(f'![{_escape(caption)}]({funnel}){{#fig-funnel fig-alt="{alt}"}}')
    else:
        lines.append(
            "No funnel plot was supplied for this page: each area's report compares it with "
            "all force areas in its benchmarking section."
        )
    return "\n".join(lines) + "\n", found


def write_national_index(
    period: periods_mod.Period,
    *,
    root: Path,
    funnel_png: Path | None = None,
    funnel_alt: str | None = None,
    funnel_caption: str | None = None,
    funnel_text: str | None = None,
) -> Path:
    """Write ``_site/<year>/index.html`` and return its path."""
    site = paths.site_dir(root)
    out_dir = site / period.label
    out_dir.mkdir(parents=True, exist_ok=True)
    funnel = None
    if funnel_png is not None:
        funnel_png = Path(funnel_png)
        if not funnel_png.is_file():
            raise RenderError(f"funnel plot {funnel_png} not found")
        if funnel_png.resolve() != (out_dir / "funnel.png").resolve():
            shutil.copyfile(funnel_png, out_dir / "funnel.png")
        funnel = "funnel.png"
    markdown, _ = national_markdown(
        period,
        site,
        funnel=funnel,
        funnel_alt=funnel_alt,
        funnel_caption=funnel_caption,
        funnel_text=funnel_text,
    )
    title = f"Equality information {period.display}: all police force areas"
    meta = {
        "title": title,
        "pagetitle": title,
        "lang": "en-GB",
        "eqlib-version": __version__,
        "subtitle": "Reports published under the Public Sector Equality Duty, by police force area",
        "period": f"{period.start.day} {period.start:%B %Y} to {period.end.day} {period.end:%B %Y}",
        "footer": (
            "Contains public sector information licensed under the Open Government Licence v3.0. "
            f"Produced with eqlib {__version__}."
        ),
    }
    args = [
        "--standalone",
        "--embed-resources",
        f"--template={resource('template.html')}",
        f"--resource-path={out_dir}",
        "--lua-filter",
        str(resource("filters/alt-text.lua")),
        "--lua-filter",
        str(resource("filters/html-tables.lua")),
        "--shift-heading-level-by=1",
        "--section-divs",
        "--wrap=none",
    ]
    args += [f"--metadata={key}:{value}" for key, value in meta.items()]
    html = pypandoc.convert_text(
        markdown, "html5", format="markdown-raw_tex-tex_math_dollars", extra_args=args, cworkdir=str(out_dir)
    )
    path = out_dir / "index.html"
    path.write_text(html, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- the national funnel
#: the benchmark measures tried, in order, and what they show
FUNNEL_MEASURES = (
    ("stop_search_benchmark", "Black/White stop and search disparity ratio"),
    ("arrest_benchmark", "Black/White arrest disparity ratio"),
)


def _period_end(label: str):
    return periods_mod.parse(str(label).split(" to ")[-1]).end


def national_funnel(period: periods_mod.Period, *, root: Path):
    """The funnel plot of every force area for the national page, from eqlib's benchmark measures.

    Takes the first of :data:`FUNNEL_MEASURES` with figures for ``period`` or an earlier period
    (latest available, stated plainly), computed for all areas by :func:`eqlib.report.sections.compute_measure`
    (Spiegelhalter funnel limits from :mod:`eqlib.metrics.benchmark`). Every area is drawn the same;
    areas outside the 99.8% limits are named on the chart and in the alt text.

    Returns ``(figure, caption, alt, sentence)`` or None when no measure has figures.
    """
    import numpy as np

    from eqlib.metrics.benchmark import funnel_curve
    from eqlib.report import figures as fg
    from eqlib.report import sections

    ctx = sections.context(areas_mod.all_areas()[0].slug, period.label)
    for measure_id, what in FUNNEL_MEASURES:  # noqa: B007 - `what` is used after the break
        frame = sections.compute_measure(ctx, measure_id)
        frame = frame[frame["value"].notna() & frame["precision"].notna()]
        frame = frame[frame["area_code"].isin({a.code for a in areas_mod.all_areas()})]
        usable = sorted(
            {p for p in frame["period"].unique() if _period_end(p) <= period.end}, key=_period_end
        )
        if usable:
            break
    else:
        return None
    shown = usable[-1]
    data = frame[frame["period"] == shown]
    label = periods_mod.parse(str(shown).split(" to ")[-1]).display
    when = label if shown == period.label else f"latest available: {label}"
    target = float(data["target"].iloc[0])
    tau2 = float(data["tau2"].iloc[0]) if "tau2" in data and np.isfinite(data["tau2"].iloc[0]) else 0.0
    grid = np.geomspace(
        max(float(data["precision"].min()) * 0.8, 1e-3), float(data["precision"].max()) * 1.25, 120
    )
    limits = funnel_curve(target, grid, kind="ratio", tau2=tau2)

    fig, ax = fg.new_figure(height=4.4)
    ax.plot(
        limits["precision"],
        limits["upper_95"],
        color=fg.TEXT,
        linestyle="--",
        linewidth=1,
        label="95% limits",
    )
    ax.plot(limits["precision"], limits["lower_95"], color=fg.TEXT, linestyle="--", linewidth=1)
    ax.plot(
        limits["precision"],
        limits["upper_998"],
        color=fg.TEXT,
        linestyle=":",
        linewidth=1.2,
        label="99.8% limits",
    )
    ax.plot(limits["precision"], limits["lower_998"], color=fg.TEXT, linestyle=":", linewidth=1.2)
    ax.axhline(target, color=fg.TEXT, linewidth=1, label=f"All force areas: {fg.fmt_number(target)}")
    position = data["position"].astype(str)
    outside = data[position.str.contains("99.8")]
    inside = data[~position.str.contains("99.8")]
    ax.scatter(
        inside["precision"], inside["value"], s=24, color=fg.OKABE_ITO["blue"], label="Force area", zorder=3
    )
    ax.scatter(
        outside["precision"],
        outside["value"],
        s=48,
        marker="D",
        color=fg.OKABE_ITO["vermillion"],
        edgecolor=fg.TEXT,
        linewidth=0.8,
        label="Outside the 99.8% limits",
        zorder=4,
    )
    for _, row in outside.sort_values("area_name").iterrows():
        ax.annotate(
            str(row["area_name"]),
            (row["precision"], row["value"]),
            xytext=(6, 4),
            textcoords="offset points",
            fontsize=8.5,
            color=fg.TEXT,
        )
    ax.set_xscale("log")
    ax.set_xlabel("How precise the area's ratio is: further right = based on more people (the limits narrow)")
    ax.set_ylabel(what[0].upper() + what[1:])
    ax.legend(loc="upper right", fontsize=8.5)

    counts = {
        key: int((position == key).sum())
        for key in ("above 99.8%", "above 95%", "within", "below 95%", "below 99.8%")
    }
    names = lambda frame: ", ".join(sorted(frame["area_name"].astype(str)))  # noqa: E731
    high, low = data.loc[data["value"].idxmax()], data.loc[data["value"].idxmin()]
    alt = (
        f"Funnel plot: {what} for {len(data)} police force areas, {when}, against the precision of each "
        f"area's ratio, with 95% and 99.8% limits around {fg.fmt_number(target)} for all force areas together. "
        f"{counts['within']} areas are within the 95% limits; {counts['above 95%'] + counts['above 99.8%']} "
        f"above them ({counts['above 99.8%']} above the 99.8% limit"
        f"{': ' + names(data[position == 'above 99.8%']) if counts['above 99.8%'] else ''}); "
        f"{counts['below 95%'] + counts['below 99.8%']} below them ({counts['below 99.8%']} below the 99.8% "
        f"limit{': ' + names(data[position == 'below 99.8%']) if counts['below 99.8%'] else ''}). "
        f"The highest is {high['area_name']} ({fg.fmt_number(high['value'])}), the lowest {low['area_name']} "
        f"({fg.fmt_number(low['value'])})."
    )
    caption = f"{what[0].upper() + what[1:]} in every police force area, {when}"
    sentence = (
        f"The funnel plot compares the {what} of every force area ({when}) with the ratio for all "
        "force areas together. Areas outside the 99.8% limits differ by more than chance and the "
        "variation between areas would explain; each area's report puts its own figure in context."
    )
    return fig, caption, alt, sentence
