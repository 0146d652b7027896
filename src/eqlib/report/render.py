"""Render the published report: ``eqlib render``, and the rendering half of ``eqlib build`` (:mod:`eqlib.batch`).

Input: the executed notebooks of one area and year, ``_build/<area-slug>/<year>/*.ipynb``
(written by :mod:`eqlib.batch`). Output::

    _site/<area-slug>/<year>/index.html                                  self-contained HTML
    _site/<area-slug>/<year>/<area-slug>-<year>-equality-information.pdf tagged PDF (PDF/UA-1)
    _site/<area-slug>/<year>/render.json                                 which engine ran, checksums
    _site/<area-slug>/<year>/tables/                                     CSV + ODS (eqlib build)
    _site/<year>/index.html                                              national index (eqlib build)

Two paths, one result
---------------------
* **Quarto** (``engine="quarto"``, or ``"auto"`` with a Quarto 1.9+ on PATH): eqlib reads and
  checks the notebooks as for the fallback, writes the whole report as one document
  (``report.qmd``) next to them with ``_quarto.yml`` (a default project, not a book: a book
  with ``embed-resources`` embeds every earlier page into the next) and eqlib's HTML template,
  stylesheet, Typst partials and Lua filters, all project-relative, and runs one
  ``quarto render <folder> --to all --no-clean`` (HTML and Typst PDF/UA-1, ``SOURCE_DATE_EPOCH``
  set), one area-year per folder. An older Quarto is refused (``--engine quarto``, exit 2) or,
  with ``auto``, the fallback runs and ``render.json`` says why.
* **Fallback** (``engine="fallback"``, or ``"auto"`` without quarto): :mod:`eqlib.report` reads the
  same notebooks, honours the Quarto subset they use, checks accessibility (headings in order,
  alt text on every image, a caption and header row on every table), numbers sections, figures
  and tables like a Quarto book, and writes the HTML with pandoc (``pypandoc-binary``) and the
  PDF with Typst (``typst`` from PyPI) -- the engines Quarto itself uses.

Contract with the notebooks (full text: ``docs/notebook-contract.md``)
---------------------------------------------------------------------
* Chapters, in order: ``00_overview`` (executive summary, unnumbered), ``01_communities``,
  ``02_leadership``, ``03_services``, ``04_workforce``, ``05_objectives`` (numbered 1-5) and
  ``99_data_and_methods`` (Appendix A). Each opens with exactly one level-1 heading and never
  skips a heading level.
* Cells tagged ``remove-cell``, ``parameters`` or ``injected-parameters`` are not shown; code is
  never shown (``echo: false``) unless a cell says ``#| echo: true``; ``#| include: false`` and
  ``#| output: false|asis`` are honoured.
* Prose from data: ``text/markdown`` display outputs. Figures: a PNG saved in ``figures/`` next to
  the notebook, shown as ``![Caption](figures/x.png){#fig-x fig-alt="..."}`` (alt text required).
  Tables: markdown pipe tables with a header row and a caption line ``: Caption {#tbl-x}``.
  (:func:`eqlib.report.figures.show` and :func:`eqlib.report.figures.table` write exactly these.)
* The title page (title, subtitle, publisher, reporting period, language en-GB) is built here
  from the area, the year and ``params/<area>-<year>.yml`` (key ``publisher``);
  notebooks need no front matter (a raw YAML cell may add ``author``, ``date``, ``keywords`` or
  ``subject`` as text, never override these; any other key -- ``css``, ``include-in-header``,
  ``bibliography`` ... which pandoc or Quarto would read as files -- is refused and listed in
  ``render.json`` warnings, on both paths).
* Both paths refuse the same content before pandoc, Typst or Quarto see it
  (:func:`eqlib.report.fallback.refuse_resources`): links other than ``https://``, ``#...`` and the
  report's own PDF and ``tables/``; raw HTML/Typst that reads a file or runs code. On the Quarto
  path a shortcode (``{{< include ... >}}``) in code or raw content is written in Quarto's escaped
  form, so it is printed, never run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from eqlib import __version__, paths
from eqlib import areas as areas_mod
from eqlib import periods as periods_mod
from eqlib.errors import UsageError
from eqlib.report import escape
from eqlib.report.document import Role
from eqlib.report.notebook import RenderError

log = logging.getLogger(__name__)

Engine = Literal["auto", "quarto", "fallback"]

#: The report's chapters: notebook stem and role, in reading order (``_quarto.yml`` lists the same).
CHAPTERS: tuple[tuple[str, Role], ...] = (
    ("00_overview", "summary"),
    ("01_communities", "section"),
    ("02_leadership", "section"),
    ("03_services", "section"),
    ("04_workforce", "section"),
    ("05_objectives", "section"),
    ("99_data_and_methods", "appendix"),
)

LANG = "en-GB"
OGL = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Figures are computed from official statistics by eqlib; counts under the suppression "
    "threshold are not shown."
)

#: Who publishes the equality information where it is not a Police and Crime Commissioner, and the
#: first financial year (starting April of) it applies to. Any area can set ``publisher:`` in its
#: params file instead.
_PUBLISHERS: dict[str, tuple[str, int]] = {
    "metropolitan": ("Mayor's Office for Policing and Crime", 2012),
    "greater-manchester": ("Mayor of Greater Manchester", 2017),
    "west-yorkshire": ("Mayor of West Yorkshire", 2021),
    "north-yorkshire": ("Mayor of York and North Yorkshire", 2024),
    "essex": ("Office of the Police, Fire and Crime Commissioner for Essex", 2017),
    "city-of-london": ("City of London Police Authority", 2000),
    "british-transport-police": ("British Transport Police Authority", 2004),
}

__all__ = [
    "CHAPTERS",
    "RenderResult",
    "RenderError",
    "BuildOutcome",
    "render",
    "build_one",
    "build_many",
    "render_national_index",
    "national_funnel_png",
    "cmd_render",
    "area_names",
    "check_engine",
    "pdf_name",
    "report_metadata",
    "quarto_config",
    "quarto_path",
    "quarto_version",
    "check_quarto",
    "quarto_document",
]


@dataclass(frozen=True)
class RenderResult:
    """What :func:`render` wrote and how."""

    html: Path
    pdf: Path
    engine_used: str  # "quarto" or "fallback"
    warnings: tuple[str, ...] = field(default_factory=tuple)


# ----------------------------------------------------------------------------- helpers
def _period(year: str | int) -> periods_mod.Period:
    """A financial year from ``2021``, ``2021-22``, ``2021/22`` (as ``eqlib run`` reads it)."""
    # the same checks (and messages) as eqlib run, range of years included
    return periods_mod.normalise_year(year)


def _area(name: str | areas_mod.Area) -> areas_mod.Area:
    if isinstance(name, areas_mod.Area):
        return name
    try:
        return areas_mod.resolve(name)
    except areas_mod.UnknownAreaError as exc:
        raise UsageError(str(exc)) from None


def pdf_name(area: areas_mod.Area, period: periods_mod.Period) -> str:
    """``<area-slug>-<year>-equality-information.pdf``."""
    return f"{area.slug}-{period.label}-equality-information.pdf"


def quarto_path() -> str | None:
    """``quarto`` on PATH, or None."""
    return shutil.which("quarto")


def _long_date(day) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"


def _params(area: areas_mod.Area, period: periods_mod.Period, root: Path) -> dict:
    """The area-year's params (``params/<slug>-<year>.yml``, else ``params/defaults.yml``), as batch reads them."""
    from eqlib.config import read_params, resolve_params_file

    return read_params(resolve_params_file(area, period, None, root))


def _publisher(area: areas_mod.Area, period: periods_mod.Period, root: Path, params: dict) -> str:
    """Who publishes the report: the area-year params file's ``publisher``, else the known publisher
    where it is not a PCC (mayors, police authorities), else ``params/defaults.yml``'s (``{area}``
    replaced by the area's name), else the Office of the PCC."""
    given = params.get("publisher")
    own_file = (paths.params_dir(root) / f"{area.slug}-{period.label}.yml").is_file()
    if given and own_file:
        return str(given).replace("{area}", area.name)
    if area.slug in _PUBLISHERS and period.start.year >= _PUBLISHERS[area.slug][1]:
        return _PUBLISHERS[area.slug][0]
    if given:
        return str(given).replace("{area}", area.name)
    return f"Office of the Police and Crime Commissioner for {area.name}"


def report_metadata(
    area: areas_mod.Area, period: periods_mod.Period, *, root: Path | None = None, params: dict | None = None
) -> dict[str, str]:
    """Title page metadata for an area and year (strings only; deterministic: no 'today')."""
    root = root or paths.project_root()
    params = _params(area, period, root) if params is None else params
    publisher = _publisher(area, period, root, params)
    meta = {
        "title": f"Equality information {period.display}: {area.name}",
        "pagetitle": f"Equality information {period.display}: {area.name}",
        "subtitle": "Annual equality information under the Public Sector Equality Duty "
        "(Equality Act 2010, section 149)",
        "publisher": publisher,
        "period": f"{_long_date(period.start)} to {_long_date(period.end)}",
        "lang": LANG,
        "area-name": area.name,
        "area-code": area.code,
        "year": period.display,
        "eqlib-version": __version__,
        "description": f"Equality information for {area.name}, {period.display}: use of police powers, "
        "workforce, complaints and services by protected characteristic.",
        "footer": f"{OGL} {publisher}. Produced with eqlib {__version__}.",
    }
    return meta


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_record(site: Path, result: RenderResult, extra: dict) -> Path:
    record = {
        "engine_used": result.engine_used,
        "eqlib_version": __version__,
        "html": result.html.name,
        "html_sha256": _sha256(result.html),
        "pdf": result.pdf.name,
        "pdf_sha256": _sha256(result.pdf),
        "warnings": list(result.warnings),
        **extra,
    }
    path = site / "render.json"
    path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- render
def render(
    area: str | areas_mod.Area, year: str | int, *, engine: Engine = "auto", root: Path | str | None = None
) -> RenderResult:
    """Render one area-year's executed notebooks to ``_site/<area>/<year>/`` (HTML and PDF).

    Parameters
    ----------
    area
        Slug, ONS code or name (or an :class:`~eqlib.areas.Area`).
    year
        Financial year: ``2021-22``, ``2021/22`` or ``2021``.
    engine
        ``"quarto"`` (fails if quarto is not on PATH), ``"fallback"`` (pandoc + Typst from PyPI)
        or ``"auto"`` (quarto when on PATH, else the fallback).
    root
        Project root (default: :func:`eqlib.paths.project_root`).

    Raises
    ------
    RenderError
        Missing notebooks, or a report that breaks an accessibility rule (the message names the
        notebook and cell).
    """
    root = Path(root) if root is not None else paths.project_root()
    area = _area(area)
    period = _period(year)
    folder = paths.build_dir(root) / area.slug / period.label
    site = paths.site_dir(root) / area.slug / period.label
    meta = report_metadata(area, period, root=root)
    quarto = quarto_path()
    if engine == "quarto" and not quarto:
        raise UsageError(
            "--engine quarto: quarto is not on PATH (install it, e.g. from conda-forge, "
            "or use --engine fallback)"
        )
    if engine not in ("auto", "quarto", "fallback"):
        raise UsageError(f"engine {engine!r}: expected auto, quarto or fallback")
    site.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    version = ""
    if quarto and engine in ("auto", "quarto"):
        try:
            version = check_quarto(quarto)
        except UsageError as exc:
            if engine == "quarto":
                raise
            notes.append(f"fallback used: {exc}")
            log.warning("%s", notes[-1])
    if version:
        result = _render_quarto(quarto, folder, site, meta, pdf_name(area, period), root)
        extra = {"quarto_version": version}
    else:
        result = _render_fallback(folder, site, meta, pdf_name(area, period))
        if notes:
            result = RenderResult(result.html, result.pdf, result.engine_used, (*notes, *result.warnings))
        import pypandoc
        import typst

        extra = {
            "pandoc_version": pypandoc.get_pandoc_version(),
            "typst_python_version": getattr(typst, "__version__", ""),
        }
    _write_record(site, result, extra)
    return result


def _render_fallback(folder: Path, site: Path, meta: dict[str, str], pdf: str) -> RenderResult:
    from concurrent.futures import ThreadPoolExecutor

    from eqlib.report.fallback import build_document, write_html, write_pdf

    doc = build_document(folder, CHAPTERS, {**meta, "pdf-name": pdf})
    with ThreadPoolExecutor(max_workers=2) as pool:  # pandoc (HTML) and pandoc + Typst (PDF) side by side
        html_job = pool.submit(write_html, doc, site / "index.html")
        pdf_job = pool.submit(write_pdf, doc, site / pdf)
        html, pdf_path = html_job.result(), pdf_job.result()
    return RenderResult(html=html, pdf=pdf_path, engine_used="fallback", warnings=tuple(doc.warnings))


def _run(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        raise RenderError(f"{' '.join(command)} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc.stdout


#: The oldest Quarto the Quarto path supports: a Typst PDF/UA-1 export (``pdf-standard``) and
#: typst ``template-partials`` as used here arrived in 1.9.
QUARTO_MIN_VERSION = (1, 9)
#: The one document Quarto renders (both formats), written by :func:`quarto_document`.
QUARTO_INPUT = "report.qmd"
#: Files copied from :mod:`eqlib.report` into the Quarto project folder; ``_quarto.yml`` names
#: them project-relative, as Quarto reads every path in it.
QUARTO_RESOURCES = (
    "report.css",
    "template.html",
    "typst-template.typ",
    "typst-show.typ",
    "filters/alt-text.lua",
    "filters/html-tables.lua",
)
#: Cross-reference prefixes Quarto reserves (its crossref filter would number these again):
#: eqlib has numbered them already, so the Quarto input uses these instead.
_QUARTO_IDS = {"fig-": "figure-", "tbl-": "table-", "sec-": "section-"}


def quarto_version(quarto: str) -> tuple[str, tuple[int, ...]]:
    """``quarto --version`` as text and as numbers, e.g. ``("1.9.12", (1, 9, 12))``."""
    text = _run([quarto, "--version"]).strip()
    match = re.match(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not match:
        raise RenderError(f"{quarto} --version printed {text!r}, not a version number")
    return text, tuple(int(part) for part in match.groups() if part is not None)


def check_quarto(quarto: str) -> str:
    """The Quarto version, or :class:`UsageError` (exit 2) for one older than 1.9."""
    text, numbers = quarto_version(quarto)
    if numbers[:2] < QUARTO_MIN_VERSION:
        need = ".".join(map(str, QUARTO_MIN_VERSION))
        raise UsageError(
            f"{quarto} is Quarto {text}; eqlib's Quarto path needs Quarto {need} or later "
            "(Typst PDF/UA-1 and template partials). Install a newer Quarto, or use "
            "--engine fallback"
        )
    return text


def quarto_config(meta: dict[str, str], root: Path) -> dict:
    """The project's ``_quarto.yml`` as Quarto gets it for one area-year (paths project-relative).

    The title page travels in the document's front matter (:func:`quarto_document`); here only
    the Debian font folders are filled in, so the PDF uses Liberation Sans wherever it is.
    """
    from eqlib.report.fallback import font_paths

    config = yaml.safe_load((root / "_quarto.yml").read_text(encoding="utf-8"))
    typst_format = config.get("format", {}).get("typst")
    if isinstance(typst_format, dict):
        typst_format["font-paths"] = font_paths() or typst_format.get("font-paths", [])
    return config


def _quarto_ids(blocks: list[dict]) -> None:
    """Rename fig-/tbl-/sec- identifiers (and the links to them) to prefixes Quarto leaves alone."""
    from eqlib.report.document import iter_nodes

    def renamed(ident: str) -> str:
        for old, new in _QUARTO_IDS.items():
            if ident.startswith(old):
                return new + ident[len(old) :]
        return ident

    for node in iter_nodes(blocks):
        kind = node["t"]
        if kind == "Header":
            node["c"][1][0] = renamed(node["c"][1][0])
        elif kind in ("Figure", "Table", "Div", "Image", "Span", "CodeBlock", "Code") and node["c"][0][0]:
            node["c"][0][0] = renamed(node["c"][0][0])
        if kind == "Link":
            node["c"][0][0] = renamed(node["c"][0][0])
            target = node["c"][2][0]
            if target.startswith("#"):
                node["c"][2][0] = "#" + renamed(target[1:])


#: front-matter keys whose values are text for the reader (escaped as markdown for Quarto)
_QUARTO_TEXT_KEYS = frozenset(
    {"title", "subtitle", "publisher", "author", "period", "date", "footer", "example-banner"}
    | {"keywords", "subject"}
)
#: a Quarto shortcode (``{{< include file >}}``, ``{{< env NAME >}}``, ``{{< meta key >}}`` ...), not
#: already escaped: Quarto expands these in the document's source text before pandoc reads it,
#: inside code and raw blocks too (where pandoc's markdown writer escapes nothing)
_SHORTCODE = re.compile(r"(?<!\{)\{\{<(.*?)>\}\}(?!\})", re.S)


def _quarto_literal_shortcodes(blocks: list[dict]) -> None:
    """Make every shortcode in code and raw content Quarto's escaped form ``{{{< ... >}}}``, which
    Quarto prints as ``{{< ... >}}`` and never runs (in text, pandoc's writer already escapes ``<``).

    So ``{{< include /etc/passwd >}}`` in a notebook reads no file on the Quarto path either: the
    reader sees the characters, as in the fallback.
    """
    from eqlib.report.document import iter_nodes

    for node in iter_nodes(blocks):
        if node["t"] in ("Code", "CodeBlock", "RawInline", "RawBlock") and "{{<" in node["c"][1]:
            node["c"][1] = _SHORTCODE.sub(r"{{{<\1>}}}", node["c"][1])


#: pandoc's markdown writer for the Quarto input: every table as a pipe table
_QUARTO_MARKDOWN = "markdown-multiline_tables-grid_tables-simple_tables"
#: a pipe table's header separator line: ``|:----|-----:|``
_PIPE_SEPARATOR = re.compile(r"^\|(?:\s*:?-{3,}:?\s*\|)+$")
#: dashes per table width in the separator lines written: widths exact to 0.1%
_WIDTH_DASHES = 1000


def _pipe_table_widths(markdown: str, blocks: list[dict]) -> str | None:
    """Write each table's column widths into its pipe table's separator line, exactly.

    Pandoc reads a pipe table whose separator line is longer than the line width (72) with each
    column's width proportional to its dashes; its writer draws them rounded to whole characters
    of a 72-column line. The tables of ``blocks`` (document order, as written) give the widths;
    a table with default widths keeps its line. None when the pipe tables do not match the tables
    one to one (pandoc wrote one as raw HTML): never a table with another's widths.
    """
    from eqlib.report.document import iter_nodes

    tables = [node for node in iter_nodes(blocks) if node["t"] == "Table"]
    lines = markdown.split("\n")
    separators = [i for i, line in enumerate(lines) if _PIPE_SEPARATOR.match(line.strip())]
    if len(separators) != len(tables):
        return None
    for index, table in zip(separators, tables, strict=True):
        specs = table["c"][2]
        cells = lines[index].strip().strip("|").split("|")
        if len(cells) != len(specs) or any(spec[1]["t"] != "ColWidth" for spec in specs):
            continue
        total = sum(spec[1]["c"] for spec in specs) or 1.0
        out = []
        for cell, spec in zip(cells, specs, strict=True):
            dashes = "-" * max(3, round(_WIDTH_DASHES * spec[1]["c"] / total))
            cell = cell.strip()
            out.append((":" if cell.startswith(":") else "") + dashes + (":" if cell.endswith(":") else ""))
        lines[index] = "|" + "|".join(out) + "|"
    return "\n".join(lines)


def quarto_document(doc) -> str:
    """The whole report as one Quarto markdown document: YAML front matter (title page) + body.

    The body is the fallback's checked, numbered document (:func:`eqlib.report.fallback.build_document`)
    written back as pandoc markdown, so both paths show the same chapters, numbers and captions.
    """
    import copy

    import pypandoc

    from eqlib.report.document import to_json

    blocks = copy.deepcopy(doc.blocks)
    _quarto_ids(blocks)
    _quarto_literal_shortcodes(blocks)
    # pipe tables only (multiline and grid tables round their column widths to whole characters of a
    # 72-column line: 13% became 6% and the PDF's narrow columns overprinted), then the exact widths
    source = to_json(blocks, {})
    body = _pipe_table_widths(
        pypandoc.convert_text(source, _QUARTO_MARKDOWN, format="json", extra_args=["--wrap=none"]), blocks
    )
    if body is None:  # a table a pipe table cannot hold (pandoc wrote it as raw HTML: not in the PDF)
        body = pypandoc.convert_text(source, "markdown", format="json", extra_args=["--wrap=none"])
        message = (
            "Quarto input: a table has block content (a list or paragraphs) in a cell, so the tables "
            "are written as grid tables, with column widths rounded (the notebook contract asks for "
            "pipe tables)"
        )
        log.warning(message)
        doc.warnings.append(message)
    # Quarto reads front-matter strings as markdown: the title page's text is escaped, never markup
    front = {
        key: escape.markdown_text(value) if key in _QUARTO_TEXT_KEYS and isinstance(value, str) else value
        for key, value in doc.meta.items()
    }
    return "---\n" + yaml.safe_dump(front, sort_keys=True, allow_unicode=True) + "---\n\n" + body


def _render_quarto(
    quarto: str, folder: Path, site: Path, meta: dict[str, str], pdf: str, root: Path
) -> RenderResult:
    """One ``quarto render <folder> --to all --no-clean`` of one document (HTML and Typst PDF).

    Not a Quarto book: a book embeds every earlier page into the next with ``embed-resources``
    and numbers the overview as chapter 1. eqlib assembles and checks the report as for the
    fallback, Quarto renders it with eqlib's HTML template and Typst partials.
    """
    import os

    from eqlib.report.fallback import build_document, resource, source_date_epoch

    doc = build_document(folder, CHAPTERS, {**meta, "pdf-name": pdf, "render-engine": "Quarto"})
    for name in QUARTO_RESOURCES:
        shutil.copyfile(resource(name), folder / Path(name).name)
    config = quarto_config(meta, root)
    (folder / "_quarto.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    (folder / QUARTO_INPUT).write_text(quarto_document(doc), encoding="utf-8")
    stale = folder / "index.ipynb"  # the book layout of earlier eqlib versions
    if stale.is_file():
        stale.unlink()
    out = folder / config.get("project", {}).get("output-dir", "_quarto")
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(source_date_epoch())}  # the PDF's date (Typst)
    _run([quarto, "render", str(folder), "--to", "all", "--no-clean"], cwd=folder, env=env)
    stem = Path(QUARTO_INPUT).stem
    html_out, pdf_out = out / f"{stem}.html", out / f"{stem}.pdf"
    for path in (html_out, pdf_out):
        if not path.is_file():
            found = sorted(p.name for p in out.rglob("*")) if out.is_dir() else []
            raise RenderError(f"quarto render wrote no {path.name} into {out} (found: {found})")
    shutil.copyfile(html_out, site / "index.html")
    shutil.copyfile(pdf_out, site / pdf)
    warnings = list(doc.warnings)
    html = html_out.read_text(encoding="utf-8")
    if "<script" in html:
        warnings.append(f"{html_out}: Quarto added scripts to the HTML (the report needs none)")
    return RenderResult(
        html=site / "index.html", pdf=site / pdf, engine_used="quarto", warnings=tuple(warnings)
    )


# ----------------------------------------------------------------------------- national index
def render_national_index(
    year: str | int,
    *,
    root: Path | str | None = None,
    funnel_png: Path | None = None,
    funnel_alt: str | None = None,
    funnel_caption: str | None = None,
    funnel_text: str | None = None,
) -> Path:
    """``_site/<year>/index.html``: every area's report that exists for the year, and a funnel plot.

    ``funnel_png`` / ``funnel_alt`` give the funnel plot of all areas (``eqlib build`` draws it with
    :func:`national_funnel_png`); without them the page lists the reports only and says so.
    """
    from eqlib.report.national import write_national_index

    root = Path(root) if root is not None else paths.project_root()
    period = _period(year)
    return write_national_index(
        period,
        root=root,
        funnel_png=funnel_png,
        funnel_alt=funnel_alt,
        funnel_caption=funnel_caption,
        funnel_text=funnel_text,
    )


# ----------------------------------------------------------------------------- CLI
def area_names(args: argparse.Namespace) -> list[str]:
    if getattr(args, "all", False):
        return [a.slug for a in areas_mod.all_areas()]
    return list(args.area or [])


def check_engine(engine: str) -> None:
    """``--engine quarto`` needs a Quarto 1.9+ on PATH: refused before any work (exit 2)."""
    if engine != "quarto":
        return
    quarto = quarto_path()
    if not quarto:
        raise UsageError(
            "--engine quarto: quarto is not on PATH (install it, e.g. from conda-forge, "
            "or use --engine fallback)"
        )
    check_quarto(quarto)


def cmd_render(args: argparse.Namespace) -> int:
    """``eqlib render --area A [--area B] | --all --year Y [--engine auto|quarto|fallback]``.

    Several areas render in parallel (one process per core), each in its own folder.
    """
    names = area_names(args)
    period = _period(args.year)
    check_engine(getattr(args, "engine", "auto"))
    outcomes = build_many(
        names,
        period.label,
        engine=getattr(args, "engine", "auto"),
        jobs=getattr(args, "jobs", None),
        tables=False,
    )
    for outcome in outcomes:
        if outcome.error:
            print(f"eqlib render {outcome.area} {outcome.year}: {outcome.error}", file=sys.stderr)
        else:
            print(f"{outcome.html}\n{outcome.pdf}\n(engine: {outcome.engine_used})")
    return 1 if any(o.error for o in outcomes) else 0


def _write_tables(
    area: areas_mod.Area, period: periods_mod.Period, out: Path, threshold: int | None
) -> tuple[str, str]:
    """The data tables (CSV + ODS) beside the report, through ``eqlib tables`` (the metrics issue).

    Returns (where they are, error); a tables module that is not there yet is noted, not an error.
    """
    import contextlib
    import io

    from eqlib.errors import EqlibError

    try:
        from eqlib.report.tables import cmd_tables
    except ImportError as exc:  # pragma: no cover - the tables module is part of the package
        return f"not written ({exc})", ""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            code = cmd_tables(
                argparse.Namespace(area=area.slug, year=period.label, out=str(out), threshold=threshold)
            )
    except (EqlibError, ImportError) as exc:
        return "", f"tables failed: {exc}"
    return (str(out), "") if code == 0 else ("", f"tables failed (exit {code})")


@dataclass(frozen=True)
class BuildOutcome:
    """One area-year of ``eqlib build`` after its notebooks ran: rendered (and tables) or the error."""

    area: str
    year: str
    html: str = ""
    pdf: str = ""
    engine_used: str = ""
    tables: str = ""
    error: str = ""


def build_one(
    area: str,
    year: str,
    *,
    engine: Engine = "auto",
    root: str | None = None,
    threshold: int | None = None,
    tables: bool = True,
) -> BuildOutcome:
    """Render one area-year and write its tables; errors are returned, not raised (for a batch)."""
    resolved = _area(area)
    period = _period(year)
    try:
        result = render(resolved, period.label, engine=engine, root=root)
    except (RenderError, UsageError) as exc:
        return BuildOutcome(resolved.slug, period.label, error=f"render failed: {exc}")
    table_note, error = (
        _write_tables(resolved, period, result.html.parent / "tables", threshold)
        if tables
        else ("skipped", "")
    )
    return BuildOutcome(
        resolved.slug,
        period.label,
        html=str(result.html),
        pdf=str(result.pdf),
        engine_used=result.engine_used,
        tables=table_note,
        error=error,
    )


def build_many(
    areas: list[str],
    year: str,
    *,
    engine: Engine = "auto",
    root: Path | str | None = None,
    jobs: int | None = None,
    threshold: int | None = None,
    tables: bool = True,
) -> list[BuildOutcome]:
    """:func:`build_one` for many areas, in ``jobs`` processes (one render per area-year folder)."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    root_text = str(root) if root is not None else None
    workers = max(1, min(jobs or os.cpu_count() or 1, len(areas)))
    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(areas), desc=f"eqlib render {year}", unit="area", disable=len(areas) < 2, leave=False
    )
    if workers == 1:
        out = []
        for a in areas:
            out.append(build_one(a, year, engine=engine, root=root_text, threshold=threshold, tables=tables))
            bar.update()
        bar.close()
        return out
    import multiprocessing

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [
            pool.submit(build_one, a, year, engine=engine, root=root_text, threshold=threshold, tables=tables)
            for a in areas
        ]
        for future in futures:
            future.add_done_callback(lambda _f: bar.update())
        results = [f.result() for f in futures]
    bar.close()
    return results


def national_funnel_png(period: periods_mod.Period, root: Path) -> tuple[Path, str, str, str] | None:
    """The national page's funnel plot saved as ``_site/<year>/funnel.png``: (png, alt, caption, text).

    From :func:`eqlib.report.national.national_funnel` (eqlib's benchmark measures for all areas).
    None, with a warning logged, when no benchmark has figures or they cannot be computed here.
    """
    from eqlib.errors import EqlibError
    from eqlib.report.national import national_funnel

    try:
        made = national_funnel(period, root=root)
    except (EqlibError, ImportError, KeyError, ValueError) as exc:
        log.warning("national funnel plot not drawn: %s", exc)
        return None
    if made is None:
        log.warning("national funnel plot not drawn: no benchmark figures for %s or earlier", period.display)
        return None
    from eqlib.report import figures

    fig, caption, alt, text = made
    png = figures.save(fig, "funnel", folder=paths.site_dir(root) / period.label)
    return png, alt, caption, text
