"""The report renderer: the notebook preprocessor, the accessibility checks, the fallback render
(pandoc + Typst) of a fixture set of executed notebooks, the PDF as text, determinism, the
national index, the CLI and the Quarto path (when quarto is on PATH)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import catalog_lang, poppler
from eqlib.report import render as render_mod
from eqlib.report.document import Chapter, assemble, parse_markdown
from eqlib.report.notebook import ChapterSource, RenderError, cell_options, notebook_to_markdown

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "data" / "render" / "fixture.py"
AREA, YEAR = "south-wales", "2021-22"


def _load_fixture():
    spec = importlib.util.spec_from_file_location("render_fixture", FIXTURE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fixture_mod = _load_fixture()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One fallback render of the fixture notebooks (shared by the tests that only read it)."""
    root = tmp_path_factory.mktemp("project")
    facts = fixture_mod.write_fixture(root / "_build" / AREA / YEAR)
    result = render_mod.render(AREA, YEAR, engine="fallback", root=root)
    return root, facts, result


def _pdftotext(pdf: Path) -> str:
    """The PDF's text with runs of whitespace (line breaks in a wrapped title) as one space."""
    text = subprocess.run(
        [poppler("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())


def _chapter(markdown: str, role="section", name="x.ipynb") -> Chapter:
    return Chapter(
        source=ChapterSource(notebook=Path(name), markdown=markdown),
        role=role,
        blocks=parse_markdown(markdown),
    )


# ------------------------------------------------------------------ preprocessor
def test_cell_options_are_parsed_and_stripped():
    options, code = cell_options("#| echo: true\n#| fig-alt: 'A: b'\n#| label: fig-x\nprint(1)\n")
    assert options == {"echo": True, "fig-alt": "A: b", "label": "fig-x"}
    assert code.strip() == "print(1)"
    assert cell_options("x = 1") == ({}, "x = 1")


def test_preprocessor_honours_the_quarto_subset(tmp_path):
    fixture_mod.write_fixture(tmp_path)
    texts = [
        notebook_to_markdown(nb, media_dir=tmp_path / "m", media_prefix="m").markdown
        for nb in sorted(tmp_path.glob("*.ipynb"))
    ]
    joined = "\n".join(texts)
    for what, secret in fixture_mod.SECRETS.items():
        assert secret not in joined, f"{what} leaked into the report markdown"
    assert "print(summary_sentence)" not in joined  # code is never echoed by default
    assert "{#fig-rates fig-alt=" in joined
    assert ": Stop and search by ethnic group, 2021/22 {#tbl-searches}" in joined
    assert "Black people were stopped and searched" in joined  # output: asis stream inlined


def _write_nb(path: Path, cells) -> Path:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_echo_true_shows_code_and_front_matter_is_metadata(tmp_path):
    raw = nbformat.v4.new_raw_cell("---\nkeywords: policing\n---")
    nb = _write_nb(
        tmp_path / "a.ipynb",
        [raw, new_markdown_cell("# A"), new_code_cell("#| echo: true\nx = 41 + 1", outputs=[])],
    )
    out = notebook_to_markdown(nb, media_dir=tmp_path, media_prefix=".")
    assert out.front_matter == {"keywords": "policing"}
    assert "x = 41 + 1" in out.markdown and "#| echo" not in out.markdown
    assert "---" not in out.markdown


def test_inline_image_output_needs_alt_text(tmp_path):
    png = new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    bad = _write_nb(
        tmp_path / "bad.ipynb",
        [new_markdown_cell("# A"), new_code_cell("#| fig-cap: A chart\nplot()", outputs=[png])],
    )
    with pytest.raises(RenderError, match="fig-alt"):
        notebook_to_markdown(bad, media_dir=tmp_path / "m", media_prefix="m")
    good = _write_nb(
        tmp_path / "good.ipynb",
        [
            new_markdown_cell("# A"),
            new_code_cell(
                "#| label: fig-x\n#| fig-cap: A chart\n#| fig-alt: Bars rising from 1 to 3\nplot()",
                outputs=[png],
            ),
        ],
    )
    out = notebook_to_markdown(good, media_dir=tmp_path / "m", media_prefix="m")
    assert '![A chart](m/fig-x.png){#fig-x fig-alt="Bars rising from 1 to 3"}' in out.markdown
    assert (tmp_path / "m" / "fig-x.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "output, message",
    [
        (new_output("error", ename="KeyError", evalue="'Black'", traceback=[]), "KeyError"),
        (new_output("display_data", data={"text/html": "<table></table>"}), "HTML only"),
    ],
)
def test_outputs_the_report_cannot_show_stop_the_render(tmp_path, output, message):
    nb = _write_nb(tmp_path / "n.ipynb", [new_markdown_cell("# A"), new_code_cell("x", outputs=[output])])
    with pytest.raises(RenderError, match=message):
        notebook_to_markdown(nb, media_dir=tmp_path, media_prefix=".")


# ------------------------------------------------------------------ accessibility checks
@pytest.mark.parametrize(
    "markdown, message",
    [
        ("## Starts at two\n", "must open with one level-1 heading"),
        ("# One\n\n### Skips two\n", "must not skip a level"),
        ("# One\n\n# Two\n", "exactly one level-1 heading"),
        ("# One\n\n![Cap](f.png){#fig-a}\n", "no alt text"),
        ("# One\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", "no caption"),
        ("# One\n\nSee @fig-nowhere.\n", "does not match"),
    ],
)
def test_accessibility_rules_are_enforced(markdown, message):
    with pytest.raises(RenderError, match=message):
        assemble([_chapter(markdown)])


def test_at_handles_that_are_not_cross_references_stay_text():
    blocks, _ = assemble([_chapter("# A\n\nFollow @SWPolice or write to pcc@example.org.\n")])
    from eqlib.report.document import stringify

    assert "Follow @SWPolice or write to pcc@example.org." in stringify(blocks)


def test_numbering_and_cross_references():
    chapters = [
        _chapter("# Summary\n\nSee @fig-a and @tbl-b.\n", role="summary"),
        _chapter(
            '# Comms {#sec-comms}\n\n## Part\n\n![Cap](f.png){#fig-a fig-alt="alt"}\n\n'
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n: Table cap {#tbl-b}\n"
        ),
        _chapter(
            "# Data\n\n## Sources\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n: Sources {#tbl-s}\n", role="appendix"
        ),
    ]
    blocks, refs = assemble(chapters)
    assert refs == {
        "fig-a": "Figure 1.1",
        "tbl-b": "Table 1.1",
        "tbl-s": "Table A.1",
        "sec-comms": "Chapter 1",
    }
    text = json.dumps(blocks)
    assert '"Appendix"' in text and '"#fig-a"' in text and '"Cite"' not in text


def test_a_figure_repeated_in_a_later_chapter_is_renumbered_with_a_warning():
    fig = '![Cap](f.png){#fig-a fig-alt="alt"}\n'
    warnings: list[str] = []
    blocks, refs = assemble(
        [_chapter("# A\n\n" + fig, role="summary"), _chapter("# B\n\nSee @fig-a.\n\n" + fig)], warnings
    )
    assert refs["fig-a"] == "Figure 1" and refs["fig-a-2"] == "Figure 1.1"
    assert len(warnings) == 1 and "fig-a" in warnings[0]
    other = '![Cap](g.png){#fig-a fig-alt="alt"}\n'
    with pytest.raises(RenderError, match="used twice"):
        assemble([_chapter("# A\n\n" + fig), _chapter("# B\n\n" + other)])


def test_duplicate_heading_ids_across_chapters_are_made_unique():
    blocks, _ = assemble([_chapter("# A\n\n## Notes\n"), _chapter("# B\n\n## Notes\n")])
    ids = [b["c"][1][0] for b in blocks if b["t"] == "Header"]
    assert len(ids) == len(set(ids)) and "notes" in ids and "notes-2" in ids


# ------------------------------------------------------------------ the fallback render
def test_render_writes_html_pdf_and_record(rendered):
    root, facts, result = rendered
    site = root / "_site" / AREA / YEAR
    assert result.engine_used == "fallback"
    assert result.html == site / "index.html"
    assert result.pdf == site / f"{AREA}-{YEAR}-equality-information.pdf"
    record = json.loads((site / "render.json").read_text())
    assert record["engine_used"] == "fallback"
    assert record["pdf"] == result.pdf.name


def test_html_is_self_contained_accessible_markup(rendered):
    root, facts, result = rendered
    html = result.html.read_text(encoding="utf-8")
    assert '<html lang="en-GB"' in html
    assert 'class="skip-link" href="#main"' in html and '<main id="main"' in html
    assert '<nav id="TOC"' in html
    assert not re.search(r"""(src|href)=["']https?://""", html), "the HTML must not load anything remote"
    assert "<script" not in html
    assert 'src="data:image/png;base64,' in html
    assert f'alt="{facts["alt"]}"' in html
    assert "<caption>Table 1.1: Stop and search by ethnic group, 2021/22</caption>" in html
    assert f"<strong>{facts['key_number']}</strong>" in html
    for secret in fixture_mod.SECRETS.values():
        assert secret not in html


def test_pdf_has_title_pages_key_number_and_tags(rendered):
    root, facts, result = rendered
    text = _pdftotext(result.pdf)
    assert "Equality information 2021/22: South Wales" in text
    assert "Police and Crime Commissioner for South Wales" in text
    assert f"{facts['key_number']} per 1,000" in text
    for heading in facts["headings"]:
        assert heading in text
    assert "Appendix A: Data and methods" in text
    assert re.search(r"Page 2 of \d+", text), "page numbers in the footer"
    info = subprocess.run([poppler("pdfinfo"), str(result.pdf)], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages > 1
    assert re.search(r"Tagged:\s+yes", info)
    assert "Title:           Equality information 2021/22: South Wales" in info
    raw = result.pdf.read_bytes()
    assert b"pdfuaid" in raw, "PDF/UA-1 identification in the XMP metadata"
    assert catalog_lang(result.pdf) == "en-GB", "the catalog's /Lang names the region (British English)"
    assert facts["alt"].split(":")[0].encode() in raw or b"/Alt" in raw


def test_pdf_pages_render_as_images(rendered, tmp_path):
    root, facts, result = rendered
    subprocess.run(
        [poppler("pdftoppm"), "-r", "30", "-png", str(result.pdf), str(tmp_path / "page")], check=True
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) > 1
    assert all(p.stat().st_size > 1000 for p in pages)


def test_two_renders_are_byte_identical(rendered, tmp_path):
    root, facts, first = rendered
    html, pdf = first.html.read_bytes(), first.pdf.read_bytes()
    other = tmp_path / "again"
    shutil.copytree(root / "_build", other / "_build")
    second = render_mod.render(AREA, YEAR, engine="fallback", root=other)
    assert second.html.read_bytes() == html
    assert second.pdf.read_bytes() == pdf


def test_a_notebook_that_is_not_a_chapter_is_reported(tmp_path):
    folder = tmp_path / "_build" / AREA / YEAR
    fixture_mod.write_fixture(folder)
    shutil.copy(folder / "04_workforce.ipynb", folder / "06_extra.ipynb")
    result = render_mod.render(AREA, YEAR, engine="fallback", root=tmp_path)
    assert any("06_extra.ipynb: not a chapter" in w for w in result.warnings)
    record = json.loads((result.html.parent / "render.json").read_text())
    assert any("06_extra.ipynb" in w for w in record["warnings"])


def test_missing_notebooks_are_named(tmp_path):
    (tmp_path / "_build" / AREA / YEAR).mkdir(parents=True)
    with pytest.raises(RenderError, match="00_overview.ipynb.*eqlib run"):
        render_mod.render(AREA, YEAR, engine="fallback", root=tmp_path)


def test_image_without_alt_in_a_notebook_refuses_to_render(tmp_path):
    folder = tmp_path / "_build" / AREA / YEAR
    fixture_mod.write_fixture(folder)
    nb = nbformat.read(folder / "04_workforce.ipynb", as_version=4)
    nb.cells.append(
        new_code_cell(
            "show()",
            outputs=[
                new_output(
                    "display_data", data={"text/markdown": "![Officers](figures/rates.png){#fig-officers}"}
                )
            ],
        )
    )
    nbformat.write(nb, folder / "04_workforce.ipynb")
    with pytest.raises(RenderError, match="04_workforce.ipynb: image 'figures/rates.png' has no alt text"):
        render_mod.render(AREA, YEAR, engine="fallback", root=tmp_path)


def test_pdf_ua_export_is_a_second_check_on_alt_text(rendered, tmp_path):
    """Even past eqlib's own check, Typst's PDF/UA-1 export refuses an image without alt text."""
    from eqlib.report.fallback import ReportDocument, write_pdf

    root, facts, result = rendered
    folder = root / "_build" / AREA / YEAR
    blocks = parse_markdown("# A\n\n![](figures/rates.png)\n")
    doc = ReportDocument(folder=folder, blocks=blocks, meta={"title": "T", "lang": "en-GB"})
    with pytest.raises(RenderError, match="missing alt text"):
        write_pdf(doc, tmp_path / "x.pdf")


def test_metadata_title_and_publisher_override(tmp_path):
    from eqlib import areas, periods

    meta = render_mod.report_metadata(
        areas.resolve("south-wales"), periods.financial_year(2021), root=tmp_path
    )
    assert meta["title"] == "Equality information 2021/22: South Wales"
    assert meta["lang"] == "en-GB"
    assert meta["period"] == "1 April 2021 to 31 March 2022"
    assert meta["publisher"] == "Office of the Police and Crime Commissioner for South Wales"
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "defaults.yml").write_text('publisher: "Office of the PCC for {area}"\n')
    meta = render_mod.report_metadata(areas.resolve("gwent"), periods.financial_year(2021), root=tmp_path)
    assert meta["publisher"] == "Office of the PCC for Gwent"
    meta = render_mod.report_metadata(
        areas.resolve("city-of-london"), periods.financial_year(2021), root=tmp_path
    )
    assert meta["publisher"] == "City of London Police Authority"
    meta = render_mod.report_metadata(
        areas.resolve("west-yorkshire"), periods.financial_year(2021), root=tmp_path
    )
    assert meta["publisher"] == "Mayor of West Yorkshire"
    meta = render_mod.report_metadata(
        areas.resolve("west-yorkshire"), periods.financial_year(2019), root=tmp_path
    )
    assert meta["publisher"] == "Office of the PCC for West Yorkshire"  # before the mayor took on policing
    (tmp_path / "params" / "metropolitan-2021-22.yml").write_text(
        "area: metropolitan\nyear: 2021-22\npublisher: MOPAC test\n"
    )
    meta = render_mod.report_metadata(
        areas.resolve("metropolitan"), periods.financial_year(2021), root=tmp_path
    )
    assert meta["publisher"] == "MOPAC test"
    assert "MOPAC test" in meta["footer"]


def test_build_many_renders_areas_in_parallel_processes(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no quarto for the worker processes either
    for area in (AREA, "gwent"):
        fixture_mod.write_fixture(tmp_path / "_build" / area / YEAR)
    outcomes = render_mod.build_many(
        [AREA, "gwent", "dyfed-powys"], YEAR, root=tmp_path, jobs=2, tables=False
    )
    assert [o.area for o in outcomes] == [AREA, "gwent", "dyfed-powys"]
    assert outcomes[0].html.endswith(f"{AREA}/{YEAR}/index.html") and outcomes[0].engine_used == "fallback"
    assert "Gwent" in Path(outcomes[1].html).read_text(encoding="utf-8")
    assert "executed notebooks missing" in outcomes[2].error and not outcomes[2].html


# ------------------------------------------------------------------ national index
def test_national_index_links_rendered_reports_and_shows_the_funnel(rendered, tmp_path):
    root, facts, result = rendered
    png = root / "_build" / AREA / YEAR / "figures" / "rates.png"
    path = render_mod.render_national_index(
        YEAR, root=root, funnel_png=png, funnel_alt="Funnel plot of 43 areas: South Wales within limits"
    )
    assert path == root / "_site" / YEAR / "index.html"
    html = path.read_text(encoding="utf-8")
    assert f'href="../{AREA}/{YEAR}/index.html"' in html
    assert f'href="../{AREA}/{YEAR}/{AREA}-{YEAR}-equality-information.pdf"' in html
    assert "1 of 43 police force areas have a rendered report for 2021/22." in html
    assert 'alt="Funnel plot of 43 areas: South Wales within limits"' in html
    assert "<caption>" in html and '<html lang="en-GB"' in html
    with pytest.raises(RenderError, match="alt text"):
        render_mod.render_national_index(YEAR, root=root, funnel_png=png, funnel_alt=" ")


# ------------------------------------------------------------------ CLI
def test_cli_render(tmp_path, monkeypatch, capsys):
    from eqlib.cli import main

    fixture_mod.write_fixture(tmp_path / "_build" / AREA / YEAR)
    monkeypatch.setenv("EQLIB_ROOT", str(tmp_path))
    monkeypatch.setattr(render_mod, "quarto_path", lambda: None)
    assert main(["render", "--area", "South Wales", "--year", "2021"]) == 0
    out = capsys.readouterr().out
    assert "index.html" in out and "(engine: fallback)" in out
    assert (tmp_path / "_site" / AREA / YEAR / "index.html").is_file()
    assert main(["render", "--area", "gwent", "--year", "2021-22"]) == 1  # nothing executed for Gwent
    assert "eqlib run" in capsys.readouterr().err


def test_cli_build_runs_renders_and_indexes(tmp_path, monkeypatch, capsys):
    """eqlib build = batch.run_many (stubbed here: it writes the fixture as papermill would) + render
    + tables + the national index; exit 0 and the report's path printed."""
    from eqlib import batch
    from eqlib.cli import main

    calls = {}

    def fake_run_many(areas, year, **kwargs):
        calls["args"] = (list(areas), year, kwargs)
        fixture_mod.write_fixture(tmp_path / "_build" / AREA / YEAR)
        return batch.Summary([batch.Result(AREA, "South Wales", YEAR, "ok")])

    def fake_tables(args):
        calls["tables"] = args
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / "stop_search.csv").write_text("area_code\n")
        return 0

    monkeypatch.setenv("EQLIB_ROOT", str(tmp_path))
    monkeypatch.setattr(batch, "run_many", fake_run_many)
    monkeypatch.setattr(render_mod, "quarto_path", lambda: None)
    monkeypatch.setattr("eqlib.report.tables.cmd_tables", fake_tables)
    code = main(["build", "--area", AREA, "--year", YEAR, "--jobs", "1", "--threshold", "5"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert calls["args"][0] == [AREA] and calls["args"][2]["threshold"] == 5
    site = tmp_path / "_site" / AREA / YEAR
    assert (site / "index.html").is_file() and (site / f"{AREA}-{YEAR}-equality-information.pdf").is_file()
    assert f"The report: {site / 'index.html'}" in out
    assert (tmp_path / "_site" / YEAR / "index.html").is_file()
    assert (site / "tables" / "stop_search.csv").is_file()
    assert calls["tables"].area == AREA and calls["tables"].threshold == 5


# ------------------------------------------------------------------ _quarto.yml and the Quarto path
def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, FIXTURE.parent / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fake_quarto = _load("fake_quarto")


def test_quarto_yml_renders_one_document_in_both_formats():
    """Not a book (a book embeds each earlier page into the next and numbers the overview as
    chapter 1): one document, both formats, every path project-relative, PDF/UA-1, en-GB,
    Liberation Sans 11 pt through eqlib's Typst partials (the same the fallback uses)."""
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text())
    assert config["project"]["type"] == "default" and "book" not in config
    assert config["project"]["render"] == [render_mod.QUARTO_INPUT]
    assert config["execute"]["enabled"] is False and config["execute"]["echo"] is False
    html, pdf = config["format"]["html"], config["format"]["typst"]
    assert html["embed-resources"] is True and html["minimal"] is True
    assert html["lang"] == "en-GB" and pdf["lang"] == "en-GB" and config["lang"] == "en-GB"
    assert pdf["pdf-standard"] == "ua-1"
    assert pdf["mainfont"] == "Liberation Sans" and pdf["fontsize"] == "11pt"
    named = [html["css"], html["template"], *html["filters"], *pdf["template-partials"], *pdf["filters"]]
    shipped = {Path(name).name for name in render_mod.QUARTO_RESOURCES}
    for name in named:
        assert not Path(name).is_absolute() and name in shipped, name
    from eqlib.report.fallback import TYPST_VARIABLES

    assert (TYPST_VARIABLES["mainfont"], TYPST_VARIABLES["fontsize"]) == (pdf["mainfont"], pdf["fontsize"])
    filled = render_mod.quarto_config({"title": "T", "subtitle": "S", "publisher": "P"}, ROOT)
    assert all(Path(p).is_dir() for p in filled["format"]["typst"]["font-paths"])


def test_quarto_path(tmp_path):
    if render_mod.quarto_path() is None:
        pytest.skip(
            "quarto not on PATH: the Quarto render path cannot run here (the fallback is tested above)"
        )
    shutil.copy(ROOT / "_quarto.yml", tmp_path / "_quarto.yml")
    facts = fixture_mod.write_fixture(tmp_path / "_build" / AREA / YEAR)
    result = render_mod.render(AREA, YEAR, engine="quarto", root=tmp_path)
    assert result.engine_used == "quarto"
    html = result.html.read_text(encoding="utf-8")
    assert facts["key_number"] in html
    assert '<html lang="en-GB"' in html and 'class="skip-link" href="#main"' in html
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert result.html.stat().st_size < 5 * 1024 * 1024, "one page, not a book embedding every page"
    assert facts["key_number"] in _pdftotext(result.pdf)
    info = subprocess.run(["pdfinfo", str(result.pdf)], capture_output=True, text=True).stdout
    assert re.search(r"Tagged:\s+yes", info) and b"pdfuaid" in result.pdf.read_bytes()
    fonts = subprocess.run(["pdffonts", str(result.pdf)], capture_output=True, text=True).stdout
    assert "LiberationSans" in fonts


@pytest.fixture
def stand_in(tmp_path, monkeypatch):
    """A stand-in ``quarto`` 1.9 first on PATH (tests/data/render/fake_quarto.py: cleans the
    output dir on each project render unless --no-clean, reads css/template/filter paths as
    project-relative, renders through pandoc and Typst)."""
    fake_quarto.install(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.delenv("FAKE_QUARTO_VERSION", raising=False)
    return tmp_path


def _quarto_project(root: Path) -> dict:
    shutil.copy(ROOT / "_quarto.yml", root / "_quarto.yml")
    return fixture_mod.write_fixture(root / "_build" / AREA / YEAR)


def test_stand_in_quarto_behaves_like_quarto_on_clean_and_paths(stand_in, tmp_path):
    """What the stand-in must do for the Quarto tests to mean anything: a second project render
    without --no-clean removes the first one's output; an absolute css path is read as
    project-relative and fails; output lands in the book's or the project's output dir."""
    project = tmp_path / "p"
    project.mkdir()
    (project / "a.qmd").write_text("---\ntitle: A\n---\n\n# One\n\nText.\n")
    (project / "report.css").write_text("body { color: #0b0c0c; }\n")
    config = {
        "project": {"type": "default", "output-dir": "_out"},
        "format": {"html": {"css": "report.css"}, "typst": {}},
    }
    (project / "_quarto.yml").write_text(yaml.safe_dump(config))

    def quarto(*args):
        return subprocess.run(["quarto", *args], capture_output=True, text=True, cwd=project)

    assert quarto("--version").stdout.strip() == "1.9.12"
    assert quarto("render", str(project), "--to", "html").returncode == 0
    assert (project / "_out" / "a.html").is_file()
    assert quarto("render", str(project), "--to", "typst").returncode == 0
    assert (project / "_out" / "a.pdf").is_file() and not (project / "_out" / "a.html").is_file()
    assert quarto("render", str(project), "--to", "html", "--no-clean").returncode == 0
    assert (project / "_out" / "a.pdf").is_file() and (project / "_out" / "a.html").is_file()
    config["format"]["html"]["css"] = str(project / "report.css")
    (project / "_quarto.yml").write_text(yaml.safe_dump(config))
    failed = quarto("render", str(project), "--to", "html")
    assert failed.returncode != 0 and "Could not fetch resource ./" in failed.stderr


def test_quarto_path_with_a_stand_in_quarto(stand_in):
    """eqlib.report.render around Quarto, with the stand-in: one render of both formats that keeps both,
    the stylesheet inside the HTML, the README's promises (one self-contained page, lang en-GB,
    skip link, title block with the period and the PDF link, no scripts, chapter numbers as the
    fallback's), a tagged PDF/UA-1 in Liberation Sans, en-GB, and byte-identical renders."""
    root = stand_in
    facts = _quarto_project(root)
    folder = root / "_build" / AREA / YEAR
    result = render_mod.render(AREA, YEAR, engine="auto", root=root)
    assert result.engine_used == "quarto"
    record = json.loads((result.html.parent / "render.json").read_text())
    assert record["engine_used"] == "quarto" and record["quarto_version"] == "1.9.12"
    assert (folder / "report.css").is_file() and (folder / render_mod.QUARTO_INPUT).is_file()
    html = result.html.read_text(encoding="utf-8")
    assert '<html lang="en-GB"' in html
    assert 'class="skip-link" href="#main"' in html and '<main id="main"' in html and '<nav id="TOC"' in html
    assert ".skip-link" in html and 'rel="stylesheet"' not in html, "report.css embedded"
    assert "<script" not in html
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert 'src="data:image/png;base64,' in html and f'alt="{facts["alt"]}"' in html
    assert "<dt>Reporting period</dt><dd>1 April 2021 to 31 March 2022</dd>" in html
    assert f'href="{AREA}-{YEAR}-equality-information.pdf"' in html
    assert f"<strong>{facts['key_number']}</strong>" in html
    for secret in fixture_mod.SECRETS.values():
        assert secret not in html
    # the same chapters, numbers and captions as the fallback
    fallback = render_mod.render(AREA, YEAR, engine="fallback", root=root).html.read_text(encoding="utf-8")

    def outline(text: str) -> list[str]:
        found = re.findall(r"<(h[1-4]|caption|figcaption)[^>]*>(.*?)</\1>", text, re.S)
        return [" ".join(re.sub(r"<[^>]+>", " ", body).split()) for _, body in found]

    again = render_mod.render(AREA, YEAR, engine="quarto", root=root)
    quarto_html = again.html.read_text(encoding="utf-8")
    assert outline(quarto_html) == outline(fallback)
    headings = outline(quarto_html)
    summary = headings.index(facts["headings"][0])  # the overview: unnumbered, then sections from 1
    assert headings[summary + 1 :].index(f"1 {facts['headings'][1]}") >= 0
    assert len(quarto_html) < 2 * len(fallback), "one page, not a book embedding every page"
    assert quarto_html == html, "two Quarto renders give the same HTML"
    pdf = again.pdf.read_bytes()
    assert pdf == result.pdf.read_bytes(), "two Quarto renders give the same PDF (SOURCE_DATE_EPOCH)"
    text = _pdftotext(again.pdf)
    assert f"{facts['key_number']} per 1,000" in text and "Appendix A: Data and methods" in text
    assert "Reporting period 1 April 2021 to 31 March 2022" in text
    info = subprocess.run(["pdfinfo", str(again.pdf)], capture_output=True, text=True).stdout
    assert re.search(r"Tagged:\s+yes", info) and b"pdfuaid" in pdf
    assert "Title:           Equality information 2021/22: South Wales" in info
    assert catalog_lang(again.pdf) == "en-GB", "pandoc gives Typst lang en and region GB: both reach /Lang"
    fonts = subprocess.run(["pdffonts", str(again.pdf)], capture_output=True, text=True).stdout
    assert "LiberationSans" in fonts and "Libertinus" not in fonts


def test_quarto_input_keeps_every_table_column_width():
    """The Quarto input is the fallback's document written as markdown: each table's column widths
    read back as they were (pandoc's multiline tables rounded 13% to 6%, and the Quarto PDF's
    narrow columns overprinted), a table with default widths keeps them."""
    import json

    import pypandoc

    from eqlib.report.document import iter_nodes
    from eqlib.report.fallback import ReportDocument

    markdown = (
        "| Criterion | Theme | What the criterion asks | Status |\n"
        "|:-------|:--------------------|:----------------------------------------|:-----|\n"
        "| 1.2.7 | Theme 1: Collecting and Sharing Information | The PCC has challenged the force "
        "to build an evidence base on disparities impacting on Black communities locally. | partly |\n\n"
        ": Wide table {#tbl-wide}\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n: Narrow table {#tbl-narrow}\n"
    )
    blocks = parse_markdown(markdown)
    doc = ReportDocument(folder=Path("."), blocks=blocks, meta={"title": "T"})
    body = render_mod.quarto_document(doc).split("\n---\n", 1)[1]
    back = json.loads(pypandoc.convert_text(body, "json", format="markdown"))["blocks"]

    def widths(tree):
        return [
            [spec[1]["c"] if spec[1]["t"] == "ColWidth" else None for spec in node["c"][2]]
            for node in iter_nodes(tree)
            if node["t"] == "Table"
        ]

    before, after = widths(blocks), widths(back)
    assert before[1] == after[1] == [None, None]
    assert before[0][0] < 0.15 and all(abs(a - b) < 0.002 for a, b in zip(before[0], after[0], strict=True))
    assert doc.warnings == []
    # a cell holding a list cannot be a pipe table (pandoc would write raw HTML, which the PDF drops):
    # a grid table then, and a warning
    grid = (
        "+-----+-----+\n| a   | b   |\n+=====+=====+\n| - x | y   |\n| - z |     |\n+-----+-----+\n\n: Grid\n"
    )
    doc = ReportDocument(folder=Path("."), blocks=parse_markdown(markdown + "\n" + grid), meta={"title": "T"})
    body = render_mod.quarto_document(doc).split("\n---\n", 1)[1]
    assert "<table" not in body and re.search(r"^\+[=:+]+\+$", body, re.M), body
    assert len(widths(json.loads(pypandoc.convert_text(body, "json", format="markdown"))["blocks"])) == 3
    assert any("grid tables" in w for w in doc.warnings), doc.warnings


def _add_cells(notebook: Path, *cells) -> None:
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.extend(cells)
    nbformat.write(nb, notebook)


def _hostile_notebook(folder: Path, secret: Path) -> None:
    """03_services.ipynb with content that would read ``secret`` (outside the build folder) or an
    environment variable if pandoc or Quarto acted on it: front-matter options naming the file, raw
    HTML and a link to it, and Quarto shortcodes in text, in inline code and in a raw HTML cell."""
    raw_html = nbformat.v4.new_raw_cell("<p><b>{{< env EQLIB_TEST_SECRET >}}</b></p>")
    raw_html.metadata["raw_mimetype"] = "text/html"
    _add_cells(
        folder / "03_services.ipynb",
        nbformat.v4.new_raw_cell(
            f"---\ncss: {secret}\ninclude-in-header: {secret}\nbibliography: {secret}\n"
            "keywords: policing\n---"
        ),
        new_markdown_cell(
            f'## Hostile\n\nA picture <img src="{secret}"> and [a link]({secret}).\n\n'
            f"Text {{{{< include {secret} >}}}} and code `{{{{< include {secret} >}}}}` "
            "and `{{< env EQLIB_TEST_SECRET >}}`."
        ),
        raw_html,
    )


def _refused(warnings) -> list[str]:
    return sorted(w for w in warnings if "refused" in w)


def test_quarto_path_refuses_what_the_fallback_refuses(stand_in, tmp_path, monkeypatch):
    """Issue 10 item 1 on the Quarto path: the notebooks' content is checked before Quarto sees it,
    with the same refusals (listed in render.json) as the fallback; front-matter options that name
    files never reach report.qmd; a shortcode is printed, never run (the stand-in, like Quarto,
    expands shortcodes in code and raw blocks and reads include-in-header files). Nothing outside
    the build folder and no environment variable reaches the HTML or the PDF on either path."""
    root = stand_in
    _quarto_project(root)
    folder = root / "_build" / AREA / YEAR
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("OUTSIDE_SECRET_TEXT\n", encoding="utf-8")
    monkeypatch.setenv("EQLIB_TEST_SECRET", "ENV_SECRET_VALUE")
    _hostile_notebook(folder, secret)
    # the stand-in is worth testing with: given the same text unguarded, it reads the file
    probe = tmp_path / "probe" / "probe.qmd"
    probe.parent.mkdir()
    probe.write_text(f"Probe `{{{{< include {secret} >}}}}`, {{{{< env EQLIB_TEST_SECRET >}}}}\n")
    ran = subprocess.run(["quarto", "render", str(probe), "--to", "html"], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    probed = probe.with_suffix(".html").read_text(encoding="utf-8")
    assert "OUTSIDE_SECRET_TEXT" in probed and "ENV_SECRET_VALUE" in probed

    fallback = render_mod.render(AREA, YEAR, engine="fallback", root=root)
    fallback_html = fallback.html.read_text(encoding="utf-8")
    fallback_pdf = _pdftotext(fallback.pdf)
    quarto = render_mod.render(AREA, YEAR, engine="quarto", root=root)
    assert quarto.engine_used == "quarto"
    refused = _refused(quarto.warnings)
    assert refused == _refused(fallback.warnings)
    record = json.loads((quarto.html.parent / "render.json").read_text())
    assert _refused(record["warnings"]) == refused
    for key in ("css", "include-in-header", "bibliography"):
        assert any(f"refused front matter key '{key}'" in w for w in refused), (key, refused)
    assert any("refused raw html content '<img src=" in w for w in refused), refused
    assert any("refused link" in w and str(secret) in w for w in refused), refused
    qmd = (folder / render_mod.QUARTO_INPUT).read_text(encoding="utf-8")
    front = yaml.safe_load(qmd.split("\n---\n", 1)[0].removeprefix("---\n"))
    assert front["keywords"] == "policing" and not {"css", "include-in-header", "bibliography"} & set(front)
    assert "{{< include" not in qmd.replace("{{{< include", "") and "{{<" not in qmd.replace("{{{<", "")
    html = quarto.html.read_text(encoding="utf-8")
    pdf = _pdftotext(quarto.pdf)
    for page, where in (
        (html, "Quarto HTML"),
        (pdf, "Quarto PDF"),
        (fallback_html, "fallback HTML"),
        (fallback_pdf, "fallback PDF"),
    ):
        assert "OUTSIDE_SECRET_TEXT" not in page and "ENV_SECRET_VALUE" not in page, where
        assert "{{&lt; include" in page or "{{< include" in page, where  # shown as the characters typed
        assert "env EQLIB_TEST_SECRET" in page, where
    for page in (html, fallback_html):
        assert f'src="{secret}"' not in page and f'href="{secret}"' not in page


def test_quarto_path_puts_the_example_banner_on_every_page(stand_in):
    """A report built from example params: on the Quarto path too, the banner is atop the HTML page
    and in the header of every PDF page (eqlib's Typst partials, as the fallback's)."""
    from eqlib.report.sections import EXAMPLE_BANNER_CLASS, EXAMPLE_BANNER_TEXT

    root = stand_in
    _quarto_project(root)
    folder = root / "_build" / AREA / YEAR
    banner = f"::: {{.{EXAMPLE_BANNER_CLASS}}}\n**{EXAMPLE_BANNER_TEXT}**\n:::"
    for stem, _ in render_mod.CHAPTERS:
        nb = nbformat.read(folder / f"{stem}.ipynb", as_version=4)
        heading = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "# " in c.source)
        nb.cells.insert(heading + 1, new_markdown_cell(banner))
        nbformat.write(nb, folder / f"{stem}.ipynb")
    result = render_mod.render(AREA, YEAR, engine="quarto", root=root)
    assert result.engine_used == "quarto"
    front = yaml.safe_load(
        (folder / render_mod.QUARTO_INPUT).read_text(encoding="utf-8").split("\n---\n", 1)[0][4:]
    )
    assert front["example-banner"].replace("\\", "").replace("\u2019", "'") == EXAMPLE_BANNER_TEXT
    pages = subprocess.run(
        [poppler("pdftotext"), str(result.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    pages = [" ".join(p.split()).replace("\u2019", "'") for p in pages if p.strip()]
    assert len(pages) > 3 and all(p.startswith("Example, not the OPCC's assessment") for p in pages), [
        p[:60] for p in pages
    ]
    html = result.html.read_text(encoding="utf-8")
    # first in the title block (inside the banner landmark: axe's rule "region")
    banner = html.index('class="example-banner page-banner"')
    assert html.index('id="title-block"') < banner < html.index('id="report-title"')


@pytest.mark.parametrize("version", ["1.8.26", "1.4.550"])
def test_quarto_older_than_1_9_is_refused(stand_in, monkeypatch, capsys, version):
    from eqlib.cli import main
    from eqlib.errors import UsageError

    root = stand_in
    _quarto_project(root)
    monkeypatch.setenv("FAKE_QUARTO_VERSION", version)
    with pytest.raises(UsageError, match=rf"Quarto {re.escape(version)}; .*needs Quarto 1.9 or later"):
        render_mod.render(AREA, YEAR, engine="quarto", root=root)
    monkeypatch.setenv("EQLIB_ROOT", str(root))
    assert main(["render", "--area", AREA, "--year", YEAR, "--engine", "quarto"]) == 2
    assert "needs Quarto 1.9 or later" in capsys.readouterr().err
    result = render_mod.render(AREA, YEAR, engine="auto", root=root)  # auto: the fallback, and why
    assert result.engine_used == "fallback"
    assert any("fallback used" in w and version in w for w in result.warnings)


def test_engine_quarto_without_quarto_is_a_usage_error(tmp_path, monkeypatch):
    from eqlib.errors import UsageError

    monkeypatch.setattr(render_mod, "quarto_path", lambda: None)
    with pytest.raises(UsageError, match="quarto is not on PATH"):
        render_mod.render(AREA, YEAR, engine="quarto", root=tmp_path)


# ------------------------------------------------------------------ colours
def _luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance."""
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(
    "foreground, background",
    [
        ("#0b0c0c", "#ffffff"),  # body text
        ("#1d4f91", "#ffffff"),  # links, chapter headings in the PDF
        ("#4c2c92", "#ffffff"),  # visited links
        ("#0b0c0c", "#f3f2f1"),  # table headers, contents box
        ("#1d4f91", "#f3f2f1"),  # links in the contents box
        ("#0b0c0c", "#ffdd00"),  # focus
    ],
)
def test_report_colours_meet_wcag_aa_contrast(foreground, background):
    css = (ROOT / "src" / "eqlib" / "report" / "report.css").read_text()
    assert foreground in css and background in css
    assert _contrast(foreground, background) >= 4.5
