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
from pathlib import Path

import pytest

from conftest import axe_core_js, chromium
from eqlib import render as render_mod

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AREA, YEAR = "south-wales", "2021-22"


def _fixture_module():
    spec = importlib.util.spec_from_file_location("render_fixture", ROOT / "tests" / "data" / "render" / "fixture.py")
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


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    fixture = _fixture_module()
    root = tmp_path_factory.mktemp("browser")
    facts = fixture.write_fixture(root / "_build" / AREA / YEAR)
    result = render_mod.render(AREA, YEAR, engine="fallback", root=root)
    return root, facts, result


def _axe(page) -> list[dict]:
    page.add_script_tag(path=str(axe_core_js()))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}, resultTypes: ['violations']})")
    return result["violations"]


def _open(browser, path: Path):
    page = browser.new_page()
    # the report is self-contained: refuse every request that is not the file itself
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
               else route.abort())
    page.goto(path.as_uri())
    return page


def test_reader_sees_headings_figure_and_key_number(browser, report):
    root, facts, result = report
    page = _open(browser, result.html)
    assert page.evaluate("document.documentElement.lang") == "en-GB"
    assert page.title() == "Equality information 2021/22: South Wales"
    headings = page.evaluate("[...document.querySelectorAll('main h1, main h2, main h3, main h4')]"
                             ".map(h => [Number(h.tagName[1]), h.innerText.trim()])")
    chapter_titles = [text for level, text in headings if level == 2]
    for expected, seen in zip(facts["headings"], chapter_titles, strict=True):
        assert seen.endswith(expected), (seen, expected)
    levels = [1] + [level for level, _ in headings]  # the title is the page's h1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), f"skipped level: {headings}"
    assert page.locator("h1").count() == 1
    img = page.locator("figure#fig-rates img")
    assert img.get_attribute("alt") == facts["alt"]
    assert page.evaluate("document.querySelector('figure#fig-rates img').naturalWidth") > 100, "image embedded"
    caption = page.locator("figure#fig-rates figcaption").inner_text()
    assert caption.startswith("Figure 1.1:")
    body = page.locator("main").inner_text()
    key = facts["key_number"]
    assert f"{key} per 1,000" in body
    assert key == f"{facts['facts']['black']:.1f}"  # the number shown is the metric, rounded
    assert page.locator("table caption", has_text="Stop and search by ethnic group").count() == 1
    assert page.locator("table#tbl-searches thead th").count() == 3
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
    bad = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations
           if v["impact"] in ("serious", "critical")]
    assert not bad, bad
    assert not violations, f"minor/moderate axe findings: {[(v['id'], v['impact']) for v in violations]}"


def test_reflows_at_320_css_pixels(browser, report):
    """WCAG 1.4.10: at 320 px wide nothing makes the page scroll sideways; a wide table (the
    64-character checksums) scrolls in its own keyboard-focusable region instead."""
    root, facts, result = report
    page = browser.new_page(viewport={"width": 320, "height": 800})
    page.goto(result.html.as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    wrap = page.locator("div.table-wrap", has=page.locator("table#tbl-sources"))
    assert wrap.get_attribute("tabindex") == "0" and wrap.get_attribute("role") == "region"
    assert wrap.get_attribute("aria-label").startswith("Table A.1: Data sources and checksums")
    assert page.evaluate("(() => { const w = document.querySelector('#tbl-sources').parentElement; "
                         "return w.scrollWidth > w.clientWidth; })()"), "the wide table scrolls in its box"
    violations = _axe(page)
    page.close()
    assert not violations, [(v["id"], v["impact"]) for v in violations]


def test_national_index_in_the_browser(browser, report):
    root, facts, result = report
    png = root / "_build" / AREA / YEAR / "figures" / "rates.png"
    index = render_mod.render_national_index(YEAR, root=root, funnel_png=png, funnel_alt="Funnel plot alt text")
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
