"""The report as one pandoc document: chapters parsed, checked, numbered and joined.

Works on pandoc's JSON AST (pandoc-types 1.23) so the checks see exactly what pandoc will
write. Each chapter is checked for accessibility before anything is written:

* headings in order: the chapter opens with its only level-1 heading and never skips a level;
* every image has alt text (``fig-alt``), every figure a caption;
* every table has a caption and a header row.

Then, as Quarto does for a book: the overview's headings are unnumbered, sections are
numbered 1, 2, ..., the data and methods chapter is "Appendix A"; figures and tables are
numbered per chapter ("Figure 2.1", "Table A.1") with the number in the caption, and
cross-references ``@fig-x``, ``@tbl-x``, ``@sec-x`` become links with that text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import pypandoc

from eqlib.report.notebook import ChapterSource, RenderError

MARKDOWN_FORMAT = "markdown-raw_tex-tex_math_dollars-yaml_metadata_block"
Role = Literal["summary", "section", "appendix"]
Node = dict[str, Any]


@dataclass
class Chapter:
    """A chapter of the report: its notebook, role and parsed blocks."""

    source: ChapterSource
    role: Role
    blocks: list[Node]
    label: str = ""  # "", "1".."n", "A".. (set by :func:`assemble`)

    @property
    def name(self) -> str:
        return self.source.notebook.name


def parse_markdown(markdown: str) -> list[Node]:
    """Parse pandoc markdown into a list of AST blocks."""
    doc = json.loads(pypandoc.convert_text(markdown, "json", format=MARKDOWN_FORMAT))
    return doc["blocks"]


def iter_nodes(node: Any) -> Iterator[Node]:
    """Every AST element (dict with ``t``) under ``node``, in document order."""
    if isinstance(node, dict):
        if "t" in node:
            yield node
        for value in node.values():
            if isinstance(value, (list, dict)):
                yield from iter_nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from iter_nodes(item)


def stringify(node: Any) -> str:
    """Plain text of inlines or blocks (like ``pandoc.utils.stringify``)."""
    out: list[str] = []
    for element in iter_nodes(node):
        kind = element["t"]
        if kind == "Str":
            out.append(element["c"])
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in ("Code", "Math"):
            out.append(element["c"][-1])
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _str_inlines(text: str) -> list[Node]:
    inlines: list[Node] = []
    for index, word in enumerate(text.split(" ")):
        if index:
            inlines.append({"t": "Space"})
        if word:
            inlines.append({"t": "Str", "c": word})
    return inlines


# -- checks -------------------------------------------------------------------------------


def _attr(node: Node) -> list[Any]:
    kind = node["t"]
    if kind in ("Header",):
        return node["c"][1]
    if kind in ("Figure", "Table", "Div", "Image", "Span", "Link", "CodeBlock", "Code"):
        return node["c"][0]
    return ["", [], []]


def _kv(attr: list[Any]) -> dict[str, str]:
    return {key: value for key, value in attr[2]}


def check_chapter(chapter: Chapter) -> None:
    """Raise :class:`RenderError` if the chapter breaks an accessibility rule of the report."""
    where = chapter.name
    headings = [(n["c"][0], stringify(n["c"][2])) for n in iter_nodes(chapter.blocks) if n["t"] == "Header"]
    if not headings or headings[0][0] != 1:
        first = f"'{headings[0][1]}' (level {headings[0][0]})" if headings else "no heading"
        raise RenderError(f"{where}: a chapter must open with one level-1 heading ('# Title'); found {first}")
    if sum(1 for level, _ in headings if level == 1) > 1:
        extra = [text for level, text in headings[1:] if level == 1]
        raise RenderError(f"{where}: a chapter has exactly one level-1 heading; extra: {extra}")
    for (previous, _), (level, text) in zip(headings, headings[1:], strict=False):
        if level > previous + 1:
            raise RenderError(
                f"{where}: heading '{text}' is level {level} straight after level {previous}; "
                "headings must not skip a level (WCAG 1.3.1)"
            )
    for node in iter_nodes(chapter.blocks):
        kind = node["t"]
        if kind == "Image":
            alt = _kv(node["c"][0]).get("fig-alt", "").strip()
            src = node["c"][2][0]
            if not alt:
                raise RenderError(
                    f"{where}: image '{src}' has no alt text. Write it as "
                    '![Caption](path){#fig-label fig-alt="what the chart shows"}'
                )
        elif kind == "Figure":
            if not stringify(node["c"][1][1]):
                raise RenderError(f"{where}: figure '{node['c'][0][0]}' has no caption")
        elif kind == "Table":
            label = node["c"][0][0] or "(no label)"
            if not stringify(node["c"][1][1]):
                raise RenderError(
                    f"{where}: table {label} has no caption; add a line ': Caption {{#tbl-label}}' "
                    "after the table"
                )
            head_rows = node["c"][3][1]
            if not head_rows or not any(stringify(cell[4]) for row in head_rows for cell in row[1]):
                raise RenderError(f"{where}: table {label} has no header row")


# -- assembly -----------------------------------------------------------------------------


def _appendix_letter(index: int) -> str:
    return chr(ord("A") + index)


def _prefix_caption(caption_blocks: list[Node], prefix: str) -> None:
    """Put ``prefix`` (e.g. 'Figure 2.1: ') in front of a caption's first paragraph."""
    lead = _str_inlines(prefix.rstrip()) + [{"t": "Space"}]
    if caption_blocks and caption_blocks[0]["t"] in ("Plain", "Para"):
        caption_blocks[0]["c"][:0] = lead
    else:
        caption_blocks.insert(0, {"t": "Plain", "c": lead})


def _signature(node: Node) -> str:
    """What a figure or table shows: the image file, or the table's caption and cells."""
    if node["t"] == "Figure":
        return next((n["c"][2][0] for n in iter_nodes(node["c"][2]) if n["t"] == "Image"), "")
    if node["t"] == "Table":
        return json.dumps(node["c"][1:], sort_keys=True)
    return ""


def assemble(chapters: list[Chapter], warnings: list[str] | None = None) -> tuple[list[Node], dict[str, str]]:
    """Number, label and join the chapters; return the blocks and the cross-reference table.

    The returned mapping is label -> display text ("Figure 2.1", "Table A.1", "Section 3.2").
    Labels must be unique across the report, with one exception: the same figure (same image
    file, or the same table) shown again in a later chapter keeps its own number under ``<label>-2`` (references go
    to the first), and a warning is added to ``warnings``.
    """
    references: dict[str, str] = {}
    seen_ids: set[str] = set()
    signatures: dict[str, str] = {}
    section_count = 0
    appendix_count = 0
    blocks: list[Node] = []
    for chapter in chapters:
        check_chapter(chapter)
        if chapter.role == "section":
            section_count += 1
            chapter.label = str(section_count)
        elif chapter.role == "appendix":
            chapter.label = _appendix_letter(appendix_count)
            appendix_count += 1
        counters = {"fig": 0, "tbl": 0}
        for node in iter_nodes(chapter.blocks):
            kind = node["t"]
            attr = _attr(node)
            ident = attr[0]
            if kind == "Header":
                level = node["c"][0]
                if chapter.role in ("summary", "appendix"):
                    attr[1].append("unnumbered")
                if chapter.role == "appendix" and level == 1:
                    node["c"][2][:0] = _str_inlines(f"Appendix {chapter.label}:") + [{"t": "Space"}]
            if ident:
                if ident in seen_ids:
                    repeated = kind in ("Figure", "Table") and signatures.get(ident) == _signature(node)
                    if re.match(r"^(fig|tbl|sec)-", ident) and not repeated:
                        raise RenderError(
                            f"{chapter.name}: the label '{ident}' is used twice in the report "
                            "for different content; labels must be unique"
                        )
                    if repeated and warnings is not None:
                        warnings.append(
                            f"{chapter.name}: '{ident}' is shown again; the repeat is numbered "
                            "separately and @-references go to the first"
                        )
                    suffix = 2
                    while f"{ident}-{suffix}" in seen_ids:
                        suffix += 1
                    attr[0] = ident = f"{ident}-{suffix}"
                seen_ids.add(ident)
                if kind in ("Figure", "Table"):
                    signatures.setdefault(ident, _signature(node))
            if kind == "Figure" or (kind == "Table" and ident.startswith("tbl-")):
                prefix = "fig" if kind == "Figure" and not ident.startswith("tbl-") else "tbl"
                counters[prefix] += 1
                number = f"{chapter.label}.{counters[prefix]}" if chapter.label else str(counters[prefix])
                word = "Figure" if prefix == "fig" else "Table"
                _prefix_caption(node["c"][1][1], f"{word} {number}:")
                if ident:
                    references.setdefault(ident, f"{word} {number}")
        # section numbers for @sec- references (headings numbered as pandoc --number-sections does)
        _number_sections(chapter, references)
        blocks.extend(chapter.blocks)
    _resolve_references(blocks, references)
    return blocks, references


def _number_sections(chapter: Chapter, references: dict[str, str], *, depth: int = 3) -> None:
    """Number the headings of a section or appendix chapter in their text ("2", "2.1", "A.1").

    The numbers are written into the headings themselves (a ``section-number`` span) so HTML
    and PDF show the same numbers; ``@sec-`` labels get "Chapter 2" / "Section 2.1".
    """
    counts: list[int] = []
    for node in iter_nodes(chapter.blocks):
        if node["t"] != "Header":
            continue
        level, attr = node["c"][0], node["c"][1]
        counts = counts[:level]
        while len(counts) < level:
            counts.append(0)
        counts[level - 1] += 1
        ident = attr[0]
        if chapter.role == "summary":
            if ident.startswith("sec-"):
                references[ident] = stringify(node["c"][2])
            continue
        number = ".".join([chapter.label, *(str(c) for c in counts[1:])])
        if ident.startswith("sec-"):
            kind = (
                "Appendix"
                if level == 1 and chapter.role == "appendix"
                else ("Chapter" if level == 1 else "Section")
            )
            references[ident] = f"{kind} {number}"
        if level <= depth and not (level == 1 and chapter.role == "appendix"):
            span = {"t": "Span", "c": [["", ["section-number"], []], [{"t": "Str", "c": number}]]}
            node["c"][2][:0] = [span, {"t": "Space"}]


def _resolve_references(blocks: list[Node], references: dict[str, str]) -> None:
    for node in iter_nodes(blocks):
        if node["t"] != "Cite":
            continue
        citations = node["c"][0]
        if not all(re.match(r"^(fig|tbl|sec)-", c["citationId"]) for c in citations):
            # not a cross-reference (e.g. "@SWPolice" in prose): keep the text as written
            node["t"] = "Span"
            node["c"] = [["", [], []], node["c"][1]]
            continue
        inlines: list[Node] = []
        for index, citation in enumerate(citations):
            key = citation["citationId"]
            if key not in references:
                raise RenderError(
                    f"cross-reference @{key} does not match any figure, table or section label in the "
                    f"report (known: {sorted(references)[:12]})"
                )
            if index:
                inlines.extend([{"t": "Str", "c": ","}, {"t": "Space"}])
            inlines.extend(citation.get("citationPrefix") or [])
            if citation.get("citationPrefix"):
                inlines.append({"t": "Space"})
            inlines.append(
                {"t": "Link", "c": [["", ["xref"], []], _str_inlines(references[key]), [f"#{key}", ""]]}
            )
            inlines.extend(citation.get("citationSuffix") or [])
        node["t"] = "Span"
        node["c"] = [["", [], []], inlines]


def walk_replace(blocks: list[Node], kind: str, fn: Callable[[Node], None]) -> None:
    """Call ``fn`` on every element of type ``kind`` (in place)."""
    for node in iter_nodes(blocks):
        if node["t"] == kind:
            fn(node)


def to_json(blocks: list[Node], meta: dict[str, str]) -> str:
    """A pandoc JSON document from blocks and plain-string metadata."""
    return json.dumps(
        {
            "pandoc-api-version": [1, 23, 1, 1],
            "meta": {key: {"t": "MetaString", "c": value} for key, value in meta.items()},
            "blocks": blocks,
        },
        ensure_ascii=False,
    )
