"""The fallback render path: executed notebooks -> one pandoc document -> HTML and Typst -> PDF.

Used when ``quarto`` is not on PATH. The same engines Quarto uses (pandoc, from PyPI
``pypandoc-binary``; Typst, from PyPI ``typst``), the same notebooks, the same structure:
title page, contents, executive summary, numbered sections, appendix, page numbers (PDF).
Nothing is downloaded: the HTML embeds its images and CSS; the PDF uses Debian fonts
(``fonts-liberation2``) or Typst's embedded fonts.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pypandoc

from eqlib.report.document import (
    Chapter,
    Role,
    assemble,
    parse_markdown,
    to_json,
)
from eqlib.report.notebook import RenderError, notebook_to_markdown

log = logging.getLogger(__name__)

MEDIA_FOLDER = "_render_files"
FONT_DIRS = (
    "/usr/share/fonts/truetype/liberation2",
    "/usr/share/fonts/truetype/liberation",
    "/usr/share/fonts/truetype/dejavu",
)


#: The PDF's page and type settings; ``_quarto.yml`` gives Quarto the same (format.typst).
TYPST_VARIABLES = {
    "papersize": "a4",
    "mainfont": "Liberation Sans",
    "fontsize": "11pt",
    "toc": "true",
    "toc-depth": "2",
}


@dataclass
class ReportDocument:
    """The assembled report, ready to write as HTML or PDF."""

    folder: Path  # the executed notebooks' folder: relative image paths resolve here
    blocks: list[dict]
    meta: dict[str, str]
    references: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def resource(name: str) -> Path:
    """Path of a file shipped in ``eqlib.report`` (templates, CSS, Lua filters)."""
    return Path(str(resources.files("eqlib.report").joinpath(name)))


def build_document(
    folder: Path, chapters: Sequence[tuple[str, Role]], meta: dict[str, str]
) -> ReportDocument:
    """Read the executed notebooks in ``folder`` and assemble the report.

    Parameters
    ----------
    folder
        ``_build/<area>/<year>/`` holding ``<stem>.ipynb`` for each chapter.
    chapters
        ``(notebook stem, role)`` in reading order; role is summary, section or appendix.
    meta
        Title page metadata (title, subtitle, publisher, period, lang, ...). Raw YAML front
        matter in a notebook adds to it, without overriding what is given here.
    """
    missing = [f"{stem}.ipynb" for stem, _ in chapters if not (folder / f"{stem}.ipynb").is_file()]
    if missing:
        raise RenderError(
            f"{folder}: executed notebooks missing: {', '.join(missing)}. Run 'eqlib run' for this "
            "area and year first (or 'eqlib build', which runs and renders)."
        )
    parsed: list[Chapter] = []
    warnings: list[str] = []
    known = {f"{stem}.ipynb" for stem, _ in chapters} | {"index.ipynb"}
    for extra in sorted(p.name for p in folder.glob("*.ipynb") if p.name not in known):
        message = f"{folder / extra}: not a chapter of the report (add it to eqlib.report.render.CHAPTERS and _quarto.yml)"
        log.warning(message)
        warnings.append(message)
    merged = dict(meta)
    sources = [
        notebook_to_markdown(
            folder / f"{stem}.ipynb", media_dir=folder / MEDIA_FOLDER, media_prefix=MEDIA_FOLDER
        )
        for stem, _ in chapters
    ]
    # one pandoc process per chapter, a few at a time (each is mostly process start-up)
    with ThreadPoolExecutor(max_workers=4) as pool:
        chapter_blocks = list(pool.map(parse_markdown, [source.markdown for source in sources]))
    for (_, role), source, blocks in zip(chapters, sources, chapter_blocks, strict=True):
        warnings.extend(source.warnings)
        for key, value in refuse_front_matter(source.front_matter, source.notebook.name, warnings).items():
            merged.setdefault(key, value)
        parsed.append(Chapter(source=source, role=role, blocks=blocks))
    _check_image_files(folder, parsed)
    blocks, references = assemble(parsed, warnings)
    refuse_resources(blocks, warnings, own_files=own_site_files(meta.get("pdf-name", "")))
    banner = example_banner_text(blocks)
    if banner:
        merged["example-banner"] = banner
    return ReportDocument(folder=folder, blocks=blocks, meta=merged, references=references, warnings=warnings)


def example_banner_text(blocks: list[dict]) -> str:
    """The text of the first ``example-banner`` div (eqlib.report.sections.example_banner), or ''.

    A report built from example params opens each section with that banner; the templates then also put it
    at the top of the HTML page and in the header of every PDF page.
    """
    from eqlib.report.document import iter_nodes, stringify

    for node in iter_nodes(blocks):
        if node["t"] == "Div" and "example-banner" in node["c"][0][1]:
            return stringify(node["c"][1])
    return ""


def _check_image_files(folder: Path, chapters: list[Chapter]) -> None:
    from eqlib.report.document import iter_nodes

    for chapter in chapters:
        for node in iter_nodes(chapter.blocks):
            if node["t"] != "Image":
                continue
            src = node["c"][2][0]
            if "://" in src or src.startswith("data:"):
                raise RenderError(
                    f"{chapter.name}: image '{src}' is not a local file; the report "
                    "cannot fetch anything at render time"
                )
            path = (folder / src).resolve()
            if not path.is_file():
                raise RenderError(f"{chapter.name}: image file '{src}' not found (looked in {folder})")
            if folder.resolve() not in path.parents:
                raise RenderError(
                    f"{chapter.name}: image '{src}' is outside {folder}; keep figures "
                    "next to the executed notebook (figures/<label>.png)"
                )


#: raw HTML that would make pandoc (``--embed-resources``) or a browser fetch something
_HTML_RESOURCE = re.compile(
    r"\b(src|href|srcset|data|poster|background|action|formaction|xlink:href)\s*=|"
    r"url\s*\(|@import|<\s*(script|iframe|object|embed|link|meta|base|svg|style)\b|"
    r"\bon[a-z]+\s*=",
    re.I,
)
#: raw Typst that reads a file or runs code beyond markup
_TYPST_RESOURCE = re.compile(r"#|\b(image|read|include|import|json|csv|yaml|toml|xml|cbor|plugin)\s*\(", re.I)


#: Front-matter keys a notebook's raw YAML cell may add to the title page metadata: plain text the
#: templates print. Any other key is refused: pandoc and Quarto read options such as ``css``,
#: ``include-in-header``, ``bibliography``, ``template`` or ``resources`` as files to read (and
#: ``--embed-resources`` embeds them), and ``format``/``filters`` change how the report is made.
FRONT_MATTER_KEYS = frozenset({"author", "date", "keywords", "subject"})

#: The report's links to its own published files, beside ``index.html`` in ``_site/<area>/<year>/``
#: (written by eqlib.report.sections.other_formats): ``tables/<name>.csv|ods`` and the ``tables/`` folder.
_TABLE_LINK = re.compile(r"^tables/(?:[A-Za-z0-9][A-Za-z0-9_.-]*\.(?:csv|ods))?$")


def own_site_files(pdf_name: str) -> frozenset[str]:
    """Relative link targets that are the report's own published files: its PDF (``pdf_name``)."""
    safe = re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*\.pdf", pdf_name)
    return frozenset({pdf_name}) if safe else frozenset()


def refuse_front_matter(front: dict, where: str, warnings: list[str]) -> dict[str, str]:
    """The keys of a notebook's front matter the report may use (:data:`FRONT_MATTER_KEYS`, text
    values), as strings; every other key is refused and noted in ``warnings`` (so in render.json)."""
    kept: dict[str, str] = {}
    for key, value in front.items():
        name = str(key)
        if name in FRONT_MATTER_KEYS and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            kept[name] = str(value)
            continue
        message = (
            f"{where}: refused front matter key {_short(name, 40)!r}: a notebook may add only "
            f"{', '.join(sorted(FRONT_MATTER_KEYS))} (as text); other keys can make pandoc or Quarto "
            "read a file or change the render"
        )
        log.warning(message)
        warnings.append(message)
    return kept


def _link_allowed(target: str, own_files: frozenset[str] = frozenset()) -> bool:
    from eqlib.report.escape import UnsafeLinkError, safe_link

    if target.startswith("#") or target in own_files or _TABLE_LINK.match(target):
        return True
    try:
        safe_link(target)
    except UnsafeLinkError:
        return False
    return True


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def refuse_resources(
    blocks: list[dict], warnings: list[str], *, own_files: frozenset[str] = frozenset()
) -> list[str]:
    """Take out of the document anything that would read a file or fetch a URL at render time.

    Pandoc's ``--embed-resources`` reads every ``src``/``href`` it finds (from disk or the network)
    and embeds it; Typst reads files named in raw Typst. The report's own content never needs this
    (its images are checked by :func:`_check_image_files`), so in place (each noted in ``warnings``,
    and so in ``render.json``):

    * a link whose target is not ``#...`` (inside the report), an ``https://`` URL, one of
      ``own_files`` (the report's PDF) or the report's data tables (``tables/<name>.csv|ods``,
      ``tables/``) becomes its text (a link is never read at render time, but a relative one could
      point anywhere on the web server);
    * raw HTML naming a resource or carrying script/event attributes, and raw Typst with code
      (``#...``: ``image``, ``read``, ``include`` ...), are removed;
    * raw content for any other format (LaTeX ...) is removed.

    Returns what was refused (the same messages as added to ``warnings``).
    """
    from eqlib.report.document import iter_nodes

    refused: list[str] = []
    for node in iter_nodes(blocks):
        kind = node["t"]
        if kind == "Link":
            target = node["c"][2][0]
            if not _link_allowed(target, own_files):
                refused.append(
                    f"refused link to {_short(target)!r}: only https:// links and links inside the "
                    "report are kept (the link text is shown without it)"
                )
                node["t"], node["c"] = "Span", [["", [], []], node["c"][1]]
        elif kind in ("RawInline", "RawBlock"):
            fmt, text = node["c"][0].lower(), node["c"][1]
            bad = (
                (fmt == "html" and _HTML_RESOURCE.search(text))
                or (fmt == "typst" and _TYPST_RESOURCE.search(text))
                or fmt not in ("html", "typst")
            )
            if bad:
                refused.append(
                    f"refused raw {fmt} content {_short(text)!r}: it could read a file, fetch a URL or "
                    "run code at render time"
                )
                if kind == "RawInline":
                    node["t"], node["c"] = "Str", ""
                else:
                    node["t"], node["c"] = "Plain", []
    for message in refused:
        log.warning(message)
    warnings.extend(refused)
    return refused


def _pandoc(doc: ReportDocument, to: str, extra: list[str]) -> str:
    filters = ["--lua-filter", str(resource("filters/alt-text.lua"))]
    return pypandoc.convert_text(
        to_json(doc.blocks, doc.meta),
        to,
        format="json",
        extra_args=["--standalone", f"--resource-path={doc.folder}", *filters, *extra],
        cworkdir=str(doc.folder),
    )


def write_html(doc: ReportDocument, output: Path) -> Path:
    """Write the self-contained HTML report (images and CSS embedded, no scripts)."""
    html = _pandoc(
        doc,
        "html5",
        [
            "--lua-filter",
            str(resource("filters/html-tables.lua")),
            "--embed-resources",
            f"--template={resource('template.html')}",
            "--toc",
            "--toc-depth=3",
            "--shift-heading-level-by=1",
            "--section-divs",
            "--wrap=none",
        ],
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(html, encoding="utf-8")
    log.info("wrote %s (%d bytes)", output, output.stat().st_size)
    return output


def typst_source(doc: ReportDocument) -> str:
    """The Typst source of the PDF (pandoc's Typst writer + eqlib's template and alt-text filter)."""
    return _pandoc(
        doc,
        "typst",
        [
            f"--template={resource('report.typ')}",
            "--wrap=preserve",
            *(f"--variable={key}={value}" for key, value in TYPST_VARIABLES.items()),
        ],
    )


def font_paths() -> list[str]:
    """Debian font folders that exist here (nothing is downloaded; Typst's own fonts back them up)."""
    return [folder for folder in FONT_DIRS if Path(folder).is_dir()]


def source_date_epoch() -> int:
    """The PDF creation time: ``SOURCE_DATE_EPOCH`` if set, else 0, so the PDF is reproducible."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "0")
    try:
        return int(value)
    except ValueError as exc:
        raise RenderError(f"SOURCE_DATE_EPOCH={value!r} is not a whole number of seconds") from exc


def write_pdf(doc: ReportDocument, output: Path, *, tagged_standard: str | None = "ua-1") -> Path:
    """Write the PDF through Typst: tagged, PDF/UA-1 by default (which refuses images without alt)."""
    import typst

    source = typst_source(doc)
    typ_path = doc.folder / "_report.typ"
    typ_path.write_text(source, encoding="utf-8")
    output.parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict = {}
    if tagged_standard:
        kwargs["pdf_standards"] = tagged_standard
    try:
        typst.compile(
            str(typ_path),
            output=str(output),
            root=str(doc.folder),
            font_paths=font_paths(),
            ignore_system_fonts=True,
            sys_inputs={"publisher": doc.meta.get("publisher", "")},
            timestamp=source_date_epoch(),
            **kwargs,
        )
    except typst.TypstError as exc:
        raise RenderError(
            f"Typst could not make the PDF from {typ_path}: {exc.message}\n"
            f"{exc.diagnostic}\nhints: {exc.hints}"
        ) from exc
    log.info("wrote %s (%d bytes)", output, output.stat().st_size)
    return output
