"""Text from an analyst is data, never markup; the render reads nothing outside the build folder.

A corpus of injection strings (HTML tags and event attributes, javascript: links, pandoc raw
attributes ``{=html}``/``{=typst}``, Typst ``#`` code and ``$`` math, Markdown links, images,
headings, fenced divs, LaTeX, path traversal) goes into every free-text field of a params file;
the report chapters are built from it with eqlib's own section builders and rendered once through
the fallback path (pandoc + Typst). The HTML must hold no element or attribute from the corpus,
the PDF must print the strings as text, and no file outside the build folder may be read.
"""

from __future__ import annotations

import base64
import html.parser
import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from eqlib.report import escape, sections
from eqlib.report import render as render_mod
from eqlib.report.document import iter_nodes, parse_markdown, stringify
from eqlib.report.fallback import refuse_resources

ROOT = Path(__file__).resolve().parents[1]
AREA, YEAR = "south-wales", "2021-22"
FIXTURE = Path(__file__).parent / "data" / "render" / "fixture.py"

#: hostile strings; each must come out of the report as exactly this text
INJECTIONS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert('xss')</script>",
    '<a href="javascript:alert(2)">click</a>',
    "[link](javascript:alert(3))",
    "<https://evil.example/auto>",
    "`<b id=rawhtml>raw</b>`{=html}",
    '`#panic("typst-ran")`{=typst}',
    '#panic("typst-code")',
    "#set page(fill: red)",
    "$x^2$ and $$y$$",
    "![pic](/etc/passwd)",
    '<img src="/etc/passwd">',
    "# Injected heading",
    "::: {.callout}",
    "\\input{/etc/passwd} \\textbf{bold}",
    "../../../../etc/passwd",
    "@fig-nowhere [@cite]",
    "<!-- hidden -->",
    "*em* **strong** ~~del~~ ^sup^",
    "{{< include /etc/passwd >}}",
    "| a | b |",
    "- list item",
    "1. numbered",
]
HOSTILE_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "b"}


def _load_fixture():
    spec = importlib.util.spec_from_file_location("render_fixture", FIXTURE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _field(name: str) -> str:
    """A field's value: a marker naming the field, then every injection string."""
    return f"FIELD{name} " + " ".join(INJECTIONS)


# ------------------------------------------------------------------ escaping, unit level
@pytest.mark.parametrize("text", INJECTIONS)
def test_escaped_markdown_reads_back_as_the_same_text_and_nothing_else(text):
    blocks = parse_markdown(escape.markdown_text(text))
    kinds = {node["t"] for node in iter_nodes(blocks)}
    # smart quotes ('x' -> Quoted) are typography, not markup: allowed, and left out of the comparison
    assert kinds <= {"Para", "Plain", "Str", "Space", "Quoted", "SingleQuote", "DoubleQuote"}, kinds
    unquoted = " ".join(text.split()).replace("'", "").replace('"', "")
    assert stringify(blocks).replace("'", "").replace('"', "") == unquoted


def test_code_span_and_attributes_cannot_be_closed():
    blocks = parse_markdown(escape.code_span("a`b``c") + " x")
    assert blocks[0]["c"][0]["t"] == "Code" and blocks[0]["c"][0]["c"][1] == "a`b``c"
    md = f'![c](figures/x.png){{#fig-x fig-alt="{escape.markdown_attr(chr(34) + "} <b>")}"}}'
    image = next(n for n in iter_nodes(parse_markdown(md)) if n["t"] == "Image")
    assert dict(image["c"][0][2])["fig-alt"] == '"} <b>'


def test_links_must_be_https():
    assert escape.safe_link("https://example.org/a?b=c") == "https://example.org/a?b=c"
    for bad in (
        "http://example.org",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "/etc/passwd",
        "https://",
        "https://a.b/<script>",
        "data:text/html,x",
    ):
        with pytest.raises(escape.UnsafeLinkError, match="not an https:// link"):
            escape.safe_link(bad)


def test_html_and_typst_helpers():
    assert escape.html_text("<a href='x'>&") == "&lt;a href=&#x27;x&#x27;&gt;&amp;"
    assert escape.typst_string('a"b\\c') == '"a\\"b\\\\c"'
    assert escape.typst_markup("#panic() $x$ [y]") == "\\#panic() \\$x\\$ \\[y\\]"


def test_table_cells_and_captions_from_analyst_files_are_escaped():
    from eqlib.report import figures

    frame = pd.DataFrame({"Service": ["<img src=x onerror=alert(1)> `x`{=html}"], "Count": [3]})
    md = figures.table_markdown(frame, "Caption <script>alert(1)</script> @fig-x", "t")
    blocks = parse_markdown(md)
    kinds = {node["t"] for node in iter_nodes(blocks)}
    assert not kinds & {"RawInline", "RawBlock", "Image", "Link", "Cite", "Code"}
    assert "<img src=x onerror=alert(1)> `x`{=html}" in stringify(blocks)


def test_evidence_links_that_are_not_https_are_refused(tmp_path):
    from eqlib.framework.params import ParamsError, load_params

    (tmp_path / "defaults.yml").write_text((ROOT / "params" / "defaults.yml").read_text())
    path = tmp_path / "south-wales-2021-22.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "area": "south-wales",
                "year": "2021-22",
                "self_assessment": {
                    "themes": [
                        {
                            "theme": 1,
                            "level": "Developing",
                            "criteria_met": [
                                {
                                    "criterion": "1.1.1",
                                    "evidence": [{"link": "javascript:alert(1)//https://x"}],
                                }
                            ],
                        }
                    ]
                },
            }
        )
    )
    with pytest.raises(ParamsError, match="a URL starting https://"):
        load_params(path)


def test_refuse_resources_lists_what_it_took_out():
    blocks = parse_markdown(
        '[a](/etc/passwd) [b](https://ok.example/) [c](#sec-x) <img src="/etc/passwd"> '
        '`#read("/etc/passwd")`{=typst} `\\input{x}`{=latex}'
    )
    warnings: list[str] = []
    refused = refuse_resources(blocks, warnings)
    assert refused == warnings and len(refused) == 4
    targets = [n["c"][2][0] for n in iter_nodes(blocks) if n["t"] == "Link"]
    assert targets == ["https://ok.example/", "#sec-x"]
    assert not [n for n in iter_nodes(blocks) if n["t"] in ("RawInline", "RawBlock")]


# ------------------------------------------------------------------ one render of a hostile params file
def _hostile_params(local_dir: Path) -> dict:
    return {
        "area": AREA,
        "year": YEAR,
        "example": False,
        "publisher": _field("publisher"),
        "contact": _field("contact"),
        "notes": _field("notes"),
        "self_assessment": {
            "assessed_on": "2022-06-30",
            "assessed_by": _field("assessed_by"),
            "themes": [
                {
                    "theme": 1,
                    "level": "Developing",
                    "next_steps": _field("next_steps"),
                    "notes": _field("theme_notes"),
                    "criteria_met": [
                        {
                            "criterion": "1.1.1",
                            "evidence": [
                                {"text": _field("evidence_text")},
                                {"link": "https://example.org/evidence", "title": _field("evidence_title")},
                            ],
                        }
                    ],
                }
            ],
        },
        "objectives": [
            {
                "id": "EO1",
                "statement": _field("statement"),
                "owner": _field("owner"),
                "measure": "stop_search_disparity",
                "group": "Black",
                "direction": "decrease",
                "baseline": {"period": "2020-21", "value": 3.9},
                "target": {"date": "2025-03-31", "value": 2.5},
                "notes": _field("objective_notes"),
            }
        ],
    }


def _md_output(text: str):
    return new_output("display_data", data={"text/markdown": text, "text/plain": "<Markdown>"})


def _hostile_chapter(folder: Path, params_file: Path, outside: Path) -> None:
    """05_objectives built by eqlib.report.sections from the hostile params, plus cells that try to read files."""
    ctx = sections.context(AREA, YEAR, params_file=params_file, root=ROOT)
    from eqlib.metrics._frame import FIGURE_COLUMNS

    ctx._frames["_figures"] = pd.DataFrame(
        {c: pd.Series(dtype=object) for c in FIGURE_COLUMNS}
    )  # no data needed
    blocks = [
        *sections.objectives_status(ctx),
        *sections.maturity_grid(ctx),
        *sections.parameters_summary(ctx),
    ]
    for block in blocks:
        if isinstance(block, sections.Chart):
            from eqlib.report import figures

            figures.save(block.fig, block.label, folder=folder / figures.current_figure_folder())
    fw = sections.framework_params(ctx)
    # the other free-text fields, shown the way any builder shows text (escaped prose)
    free = [
        fw.contact,
        fw.raw["notes"],
        fw.self_assessment.assessed_by,
        fw.self_assessment.themes[0].next_steps,
        *(
            e.value if e.kind == "text" else e.title
            for c in fw.self_assessment.themes[0].criteria_met
            for e in c.evidence
        ),
    ]
    prose = "\n\n".join(escape.markdown_text(text) for text in free)
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Objectives and self-assessment"),
            new_code_cell(
                "emit(blocks)", outputs=[_md_output(sections.render_text(blocks))], execution_count=1
            ),
            new_code_cell("emit(free)", outputs=[_md_output(prose)], execution_count=2),
            # a notebook that tries to read files: refused by the render, listed in render.json
            new_raw_cell(
                f'<img src="{outside}"><img src="/etc/passwd">', metadata={"raw_mimetype": "text/html"}
            ),
            new_markdown_cell(
                f"[outside]({outside}) [up](../../../outside/secret.txt) [mail](file:///etc/passwd)"
            ),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "05_objectives.ipynb")


class _Collect(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    outside = root / "outside" / "secret.txt"
    outside.parent.mkdir()
    outside.write_text("OUTSIDE-SECRET-7c1d\n")
    (root / "params").mkdir()
    shutil.copyfile(ROOT / "params" / "defaults.yml", root / "params" / "defaults.yml")
    params_file = root / "params" / f"{AREA}-{YEAR}.yml"
    params_file.write_text(yaml.safe_dump(_hostile_params(root / "local"), sort_keys=False), encoding="utf-8")
    folder = root / "_build" / AREA / YEAR
    _load_fixture().write_fixture(folder)
    _hostile_chapter(folder, params_file, outside)
    result = render_mod.render(AREA, YEAR, engine="fallback", root=root)
    return root, outside, result


def test_hostile_html_has_no_element_or_attribute_from_the_corpus(hostile):
    _, _, result = hostile
    page = result.html.read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(page)
    for tag, attrs in parser.tags:
        assert tag not in HOSTILE_TAGS, f"<{tag}> reached the HTML"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event attribute {name} on <{tag}>"
            if name in ("href", "src"):
                value = value or ""
                assert (
                    value.startswith(("#", "https://", "data:image/png;base64,")) or value == result.pdf.name
                ), f"<{tag} {name}={value[:60]!r}>"
        if tag == "img":
            assert (attrs.get("src") or "").startswith("data:image/png;base64,")
    text = " ".join(" ".join(parser.text).split())
    fields = [
        "publisher",
        "statement",
        "owner",
        "contact",
        "notes",
        "assessed_by",
        "next_steps",
        "evidence_text",
        "evidence_title",
    ]
    for name in fields:
        assert f"FIELD{name}" in text, f"{name} is not in the report"
    for injection in INJECTIONS:  # each printed as the text typed (quotes may be curled)
        shown = " ".join(injection.split())
        assert shown.replace("'", "’") in text or shown in text, injection
    assert not [a for _, a in parser.tags if a.get("id") == "rawhtml"]


def test_hostile_pdf_prints_the_strings_as_text(hostile):
    _, _, result = hostile
    text = subprocess.run(
        ["pdftotext", str(result.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(text.split())  # pdftotext wraps lines: compare without whitespace
    assert "FIELDowner" in flat and "FIELDstatement" in flat and "FIELDpublisher" in flat
    for injection in (
        '#panic("typst-code")',
        '`#panic("typst-ran")`{=typst}',
        "$x^2$",
        "<script>",
        "\\input{/etc/passwd}",
    ):
        assert "".join(injection.split()) in flat.replace("”", '"').replace("“", '"'), injection


def test_nothing_outside_the_build_folder_is_read(hostile):
    root, outside, result = hostile
    secret = outside.read_bytes()
    passwd = Path("/etc/passwd").read_bytes() if Path("/etc/passwd").is_file() else b"root:x:0:0"
    page = result.html.read_bytes()
    pdf_text = subprocess.run(["pdftotext", str(result.pdf), "-"], capture_output=True, check=True).stdout
    for content in (secret, passwd[:40]):
        assert content.strip() not in page and base64.b64encode(content) not in page
        assert base64.b64encode(content)[:24] not in page
        assert content.strip()[:20] not in pdf_text
    record = json.loads((result.html.parent / "render.json").read_text())
    refused = [w for w in record["warnings"] if w.startswith("refused")]
    assert any(str(outside) in w and "raw html" in w for w in refused), refused
    assert sum("refused link" in w for w in refused) == 3, refused
    assert "onerror" not in " ".join(refused)  # the params text was never markup, so nothing to refuse there
