"""The rendered HTML report as a reader sees it: headless Chromium (Debian ``chromium``) driven by
Playwright for Python, with axe-core injected (``axe.min.js`` from the PyPI package
axe-playwright-python in the test extra, or npm's pinned copy in ``node_modules`` after ``npm ci``).

What is asserted: the headings in order (no skipped level), the figure and its alt text, the key
number (equal to the metric computed for it by eqlib.metrics.rates), the skip link works, and
axe-core finds zero serious or critical violations (WCAG 2.x A/AA rules) -- on the report and on
the national index page.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from conftest import axe_core_js, chromium
from eqlib.report import render as render_mod

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AREA, YEAR = "south-wales", "2021-22"


def _fixture_module():
    spec = importlib.util.spec_from_file_location(
        "render_fixture", ROOT / "tests" / "data" / "render" / "fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def browser():
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _fake_quarto_module():
    spec = importlib.util.spec_from_file_location(
        "fake_quarto", ROOT / "tests" / "data" / "render" / "fake_quarto.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _quarto_id(ident: str) -> str:
    """The id eqlib gives a label in the Quarto input (Quarto reserves fig-/tbl-/sec-)."""
    for old, new in render_mod._QUARTO_IDS.items():
        if ident.startswith(old):
            return new + ident[len(old) :]
    return ident


class Rendered(tuple):
    """(root, facts, result) and ``ids``: a label as it appears in this engine's HTML."""

    ids = staticmethod(lambda ident: ident)


@pytest.fixture(scope="module", params=["fallback", "quarto"])
def report(request, tmp_path_factory):
    """The fixture report through the fallback and through the Quarto path (a stand-in quarto,
    tests/data/render/fake_quarto.py, where no real one is on PATH): the same browser and axe tests."""
    fixture = _fixture_module()
    root = tmp_path_factory.mktemp(f"browser-{request.param}")
    facts = fixture.write_fixture(root / "_build" / AREA / YEAR)
    if request.param == "fallback":
        rendered = Rendered((root, facts, render_mod.render(AREA, YEAR, engine="fallback", root=root)))
        return rendered
    shutil.copy(ROOT / "_quarto.yml", root / "_quarto.yml")
    with pytest.MonkeyPatch.context() as mp:
        if render_mod.quarto_path() is None:
            _fake_quarto_module().install(root / "bin")
            mp.setenv("PATH", f"{root / 'bin'}:{os.environ['PATH']}")
        result = render_mod.render(AREA, YEAR, engine="quarto", root=root)
    rendered = Rendered((root, facts, result))
    rendered.ids = staticmethod(_quarto_id)
    return rendered


def _axe(page) -> list[dict]:
    page.add_script_tag(path=str(axe_core_js()))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}, resultTypes: ['violations']})"
    )
    return result["violations"]


def _open(browser, path: Path):
    page = browser.new_page()
    # the report is self-contained: refuse every request that is not the file itself
    page.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith("file://") else route.abort()
    )
    page.goto(path.as_uri())
    return page


def test_reader_sees_headings_figure_and_key_number(browser, report):
    root, facts, result = report
    fig, tbl = report.ids("fig-rates"), report.ids("tbl-searches")
    page = _open(browser, result.html)
    assert page.evaluate("document.documentElement.lang") == "en-GB"
    assert page.title() == "Equality information 2021/22: South Wales"
    headings = page.evaluate(
        "[...document.querySelectorAll('main h1, main h2, main h3, main h4')]"
        ".map(h => [Number(h.tagName[1]), h.innerText.trim()])"
    )
    chapter_titles = [text for level, text in headings if level == 2]
    for expected, seen in zip(facts["headings"], chapter_titles, strict=True):
        assert seen.endswith(expected), (seen, expected)
    levels = [1] + [level for level, _ in headings]  # the title is the page's h1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), f"skipped level: {headings}"
    assert page.locator("h1").count() == 1
    img = page.locator(f"figure#{fig} img")
    assert img.get_attribute("alt") == facts["alt"]
    assert page.evaluate(f"document.querySelector('figure#{fig} img').naturalWidth") > 100, "image embedded"
    caption = page.locator(f"figure#{fig} figcaption").inner_text()
    assert caption.startswith("Figure 1.1:")
    body = page.locator("main").inner_text()
    key = facts["key_number"]
    assert f"{key} per 1,000" in body
    assert key == f"{facts['facts']['black']:.1f}"  # the number shown is the metric, rounded
    assert page.locator("table caption", has_text="Stop and search by ethnic group").count() == 1
    assert page.locator(f"table#{tbl} thead th").count() == 3
    # skip link: first focusable element, and it moves focus to <main>
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.close()


def test_axe_finds_no_serious_or_critical_violations(browser, report):
    root, facts, result = report
    page = _open(browser, result.html)
    violations = _axe(page)
    page.close()
    bad = [
        (v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, bad
    assert not violations, f"minor/moderate axe findings: {[(v['id'], v['impact']) for v in violations]}"


def test_reflows_at_320_css_pixels(browser, report):
    """WCAG 1.4.10: at 320 px wide nothing makes the page scroll sideways; a wide table (the
    64-character checksums) scrolls in its own keyboard-focusable region instead."""
    root, facts, result = report
    sources = report.ids("tbl-sources")
    page = browser.new_page(viewport={"width": 320, "height": 800})
    page.goto(result.html.as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    wrap = page.locator("div.table-wrap", has=page.locator(f"table#{sources}"))
    assert wrap.get_attribute("tabindex") == "0" and wrap.get_attribute("role") == "region"
    assert wrap.get_attribute("aria-label").startswith("Table A.1: Data sources and checksums")
    assert page.evaluate(
        f"(() => {{ const w = document.querySelector('#{sources}').parentElement; "
        "return w.scrollWidth > w.clientWidth; })()"
    ), "the wide table scrolls in its box"
    violations = _axe(page)
    page.close()
    assert not violations, [(v["id"], v["impact"]) for v in violations]


def test_no_table_is_wider_than_320_px_unless_it_scrolls_with_its_caption_in_view(browser, report):
    """At 320 CSS px every table fits the viewport, or it scrolls sideways in its own labelled,
    focusable box and its caption stays readable in the viewport (wrapped, not cut off) before
    and after the box is scrolled to its end; no table is given a minimum width."""
    root, facts, result = report
    page = browser.new_page(viewport={"width": 320, "height": 800})
    page.goto(result.html.as_uri())
    tables = page.evaluate("""() => [...document.querySelectorAll('main table')].map(t => {
      const lines = () => { const c = t.querySelector('caption'); if (!c) return [];
        const r = document.createRange(); r.selectNodeContents(c);
        return [...r.getClientRects()].map(x => [x.left, x.right]); };
      const box = t.parentElement, rect = t.getBoundingClientRect();
      const before = lines();
      box.scrollLeft = box.scrollWidth;
      const after = lines();
      box.scrollLeft = 0;
      return {id: t.id, left: rect.left, right: rect.right, minWidth: getComputedStyle(t).minWidth,
              box: box.className, boxRight: box.getBoundingClientRect().right, role: box.getAttribute('role'),
              tabindex: box.getAttribute('tabindex'), scrolls: box.scrollWidth > box.clientWidth,
              before, after};
    })""")
    page.close()
    assert tables, "the fixture has tables"
    assert any(t["scrolls"] for t in tables), "the fixture's checksum table is wider than 320 px"
    for t in tables:
        assert t["minWidth"] in ("0px", "auto"), (t["id"], t["minWidth"])
        if t["right"] <= 320.5 and t["left"] >= 0:
            continue
        assert t["box"] == "table-wrap" and t["scrolls"] and t["boxRight"] <= 320.5, t
        assert t["role"] == "region" and t["tabindex"] == "0", t
        for when in ("before", "after"):
            assert t[when], f"{t['id']}: no caption"
            assert all(0 <= left and right <= 320.5 for left, right in t[when]), (t["id"], when, t[when])


def test_report_css_leaves_other_page_layouts_alone_at_1280_px(browser, tmp_path):
    """report.css's page width applies to eqlib's own template only: a page laid out by Quarto's
    template (side menus either side of the text) keeps its full width at 1280 px."""
    css = (ROOT / "src" / "eqlib" / "report" / "report.css").read_text(encoding="utf-8")
    page_html = tmp_path / "quarto-layout.html"
    page_html.write_text(
        f"<!DOCTYPE html><html lang='en-GB'><head><title>t</title><style>{css}</style></head><body>"
        "<div id='quarto-content' style='display:grid;grid-template-columns:250px 1fr 250px'>"
        "<nav id='quarto-sidebar'>Chapters</nav><main id='main'><p>Text</p></main>"
        "<nav id='quarto-margin-sidebar'>On this page</nav></div></body></html>",
        encoding="utf-8",
    )
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(page_html.as_uri())
    right = page.evaluate("document.querySelector('#quarto-margin-sidebar').getBoundingClientRect().right")
    width = page.evaluate("document.body.getBoundingClientRect().width")
    page.close()
    assert width >= 1250 and right >= 1250, (width, right)  # (was 832 px: body max-width 52rem)


def test_national_index_in_the_browser(browser, report):
    root, facts, result = report
    png = root / "_build" / AREA / YEAR / "figures" / "rates.png"
    index = render_mod.render_national_index(
        YEAR, root=root, funnel_png=png, funnel_alt="Funnel plot alt text"
    )
    page = _open(browser, index)
    link = page.locator(f'a[href="../{AREA}/{YEAR}/index.html"]')
    assert link.count() == 1
    link.click()
    page.wait_for_load_state()
    assert page.title() == "Equality information 2021/22: South Wales"
    page.go_back()
    violations = _axe(page)
    assert not [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
    page.close()
