"""The default report end to end, as CI builds it: the real notebooks executed for South Wales
2021/22 (eqlib.batch, papermill), then rendered through the fallback path (pandoc + Typst), then
read back as a reader gets it: the HTML in headless Chromium (with axe-core) and the PDF as text.

The key number checked is the Census 2021 usual resident population of the South Wales police
force area, computed here from the population dataset (eqlib.store) independently of the
notebooks, which must show the same number in the HTML and in the PDF.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nbformat
import pytest

from conftest import axe_core_js, chromium, poppler
from eqlib import paths
from eqlib.report import render as render_mod

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
AREA, YEAR, CODE = "south-wales", "2021-22", "W15000003"


def _population_total() -> str:
    from eqlib import store

    frame = store.load("population_census2021")
    return f"{frame.loc[frame['area_code'] == CODE, 'count'].sum():,.0f}"


def _chapter_titles(folder: Path) -> list[str]:
    """The level-1 heading of each executed notebook, as the notebooks wrote it."""
    titles = []
    for stem, _ in render_mod.CHAPTERS:
        nb = nbformat.read(folder / f"{stem}.ipynb", as_version=4)
        text = "\n".join("".join(c.source) for c in nb.cells if c.cell_type == "markdown")
        text += "\n".join(
            str(o.get("data", {}).get("text/markdown", ""))
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.get("outputs", [])
        )
        match = re.search(r"^# (.+?)\s*(\{.*\})?$", text, re.M)
        assert match, f"{stem}: no level-1 heading"
        titles.append(match.group(1).strip())
    return titles


def test_default_report_html_in_chromium(default_report):
    result, folder = default_report
    assert result.engine_used == "fallback"
    from playwright.sync_api import sync_playwright

    population = _population_total()
    titles = _chapter_titles(folder)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium(),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        page = browser.new_page()
        page.goto(result.html.as_uri())
        assert page.title() == "Equality information 2021/22: South Wales"
        chapters = page.evaluate("[...document.querySelectorAll('main h2')].map(h => h.innerText.trim())")
        for title in titles:
            assert any(c.endswith(title) for c in chapters), (title, chapters)
        images = page.evaluate("[...document.querySelectorAll('main img')].map(i => [i.alt, i.naturalWidth])")
        assert images, "the report has figures"
        assert all(alt.strip() and width > 0 for alt, width in images), images
        assert population in page.locator("main").inner_text()
        page.add_script_tag(path=str(axe_core_js()))
        violations = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']}))"
            ".violations.map(v => [v.id, v.impact])"
        )
        browser.close()
    assert not [v for v in violations if v[1] in ("serious", "critical")], violations


def test_default_report_pdf(default_report, tmp_path):
    result, folder = default_report
    text = subprocess.run(
        [poppler("pdftotext"), str(result.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = " ".join(text.split())
    assert "Equality information 2021/22: South Wales" in text
    assert _population_total() in text
    assert "Appendix A" in text and "Contents" in text
    subprocess.run(
        [poppler("pdftoppm"), "-r", "20", "-png", "-f", "1", "-l", "3", str(result.pdf), str(tmp_path / "p")],
        check=True,
    )
    assert len(list(tmp_path.glob("p-*.png"))) == 3
    info = subprocess.run([poppler("pdfinfo"), str(result.pdf)], capture_output=True, text=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) > 1


def test_default_report_renders_byte_identically(default_report):
    result, _ = default_report
    html, pdf = result.html.read_bytes(), result.pdf.read_bytes()
    again = render_mod.render(AREA, YEAR, engine="fallback", root=paths.project_root())
    assert again.html.read_bytes() == html
    assert again.pdf.read_bytes() == pdf


def test_readme_main_command_builds_the_default_report(default_report, capsys):
    """`eqlib build --area south-wales --year 2021-22 --allow-example`, the README's main command: notebooks
    (skipped: unchanged since the fixture ran them), report, data tables, national index with the funnel plot."""
    from eqlib.cli import main

    code = main(["build", "--area", AREA, "--year", YEAR, "--jobs", "1", "--allow-example"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    site = paths.site_dir(paths.project_root()) / AREA / YEAR  # the throwaway project's, not the user's
    assert paths.project_root() != ROOT
    assert f"The report: {site / 'index.html'}" in captured.out
    assert (site / f"{AREA}-{YEAR}-equality-information.pdf").is_file()
    tables = site / "tables"
    assert list(tables.glob("*.csv")) and list(tables.glob("*.ods")), "data tables beside the report"
    index = (paths.site_dir(paths.project_root()) / YEAR / "index.html").read_text(encoding="utf-8")
    assert f'href="../{AREA}/{YEAR}/index.html"' in index
    assert re.search(
        r'<img [^>]*src="data:image/png;base64,[^"]+" alt="Funnel plot: [^"]+ police force areas', index
    )


def test_national_funnel_names_the_areas_outside_the_limits():
    from eqlib import periods
    from eqlib.report import sections
    from eqlib.report.national import FUNNEL_MEASURES, national_funnel

    period = periods.financial_year(2021)
    fig, caption, alt, text = national_funnel(period, root=ROOT)
    measure = next(m for m, what in FUNNEL_MEASURES if what in caption.lower() or what in alt)
    frame = sections.compute_measure(sections.context(AREA, YEAR), measure)
    shown = frame[
        frame["value"].notna() & frame["precision"].notna() & frame["area_code"].str.match(r"^[EW]23|^W15")
    ]
    latest = sorted(p for p in shown["period"].unique() if periods.parse(p).end <= period.end)[-1]
    data = shown[shown["period"] == latest]
    assert f"for {len(data)} police force areas" in alt
    for name in data.loc[data["position"] == "above 99.8%", "area_name"]:
        assert name in alt
    assert periods.parse(latest).display in caption
