"""The national index page for a year: ``_site/<year>/index.html``.

Lists every police force area with a link to its report (HTML and PDF) where one has been
rendered, says plainly where none exists yet, and shows the funnel plot of all areas when one is
given (PNG + alt text, from :func:`eqlib.figures.funnel_plot`). Same template and CSS as the
reports; self-contained.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pypandoc

from eqlib import __version__, paths
from eqlib import areas as areas_mod
from eqlib import periods as periods_mod
from eqlib.report.fallback import resource
from eqlib.report.notebook import RenderError


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")


def national_markdown(period: periods_mod.Period, site: Path, *, funnel: str | None, funnel_alt: str | None,
                      funnel_caption: str | None) -> tuple[str, int]:
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
            pdf_link = (f"[{_escape(area.name)} report (PDF)](../{area.slug}/{period.label}/{pdf.name})"
                        if pdf.is_file() else "not rendered")
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
        lines.append(f'![{_escape(caption)}]({funnel}){{#fig-funnel fig-alt="{alt}"}}')
    else:
        lines.append("No funnel plot was supplied for this page: each area's report compares it with "
                     "all force areas in its benchmarking section.")
    return "\n".join(lines) + "\n", found


def write_national_index(period: periods_mod.Period, *, root: Path, funnel_png: Path | None = None,
                         funnel_alt: str | None = None, funnel_caption: str | None = None) -> Path:
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
    markdown, _ = national_markdown(period, site, funnel=funnel, funnel_alt=funnel_alt,
                                    funnel_caption=funnel_caption)
    title = f"Equality information {period.display}: all police force areas"
    meta = {
        "title": title, "pagetitle": title, "lang": "en-GB", "eqlib-version": __version__,
        "subtitle": "Reports published under the Public Sector Equality Duty, by police force area",
        "period": f"{period.start.day} {period.start:%B %Y} to {period.end.day} {period.end:%B %Y}",
        "footer": ("Contains public sector information licensed under the Open Government Licence v3.0. "
                   f"Produced with eqlib {__version__}."),
    }
    args = ["--standalone", "--embed-resources", f"--template={resource('template.html')}",
            f"--resource-path={out_dir}", "--lua-filter", str(resource("filters/alt-text.lua")),
            "--lua-filter", str(resource("filters/html-tables.lua")),
            "--shift-heading-level-by=1", "--section-divs", "--wrap=none"]
    args += [f"--metadata={key}:{value}" for key, value in meta.items()]
    html = pypandoc.convert_text(markdown, "html5", format="markdown-raw_tex-tex_math_dollars",
                                 extra_args=args, cworkdir=str(out_dir))
    path = out_dir / "index.html"
    path.write_text(html, encoding="utf-8")
    return path
