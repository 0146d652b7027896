"""Executed notebook -> pandoc markdown, honouring the subset of Quarto the report notebooks use.

Plain ``pandoc -f ipynb`` echoes every code cell, ignores ``#|`` cell options, drops raw YAML
cells and prints ``text/markdown`` outputs as object reprs; this preprocessor does what Quarto
does with the same notebook (see ``docs/notebook-contract.md``):

* cells tagged ``remove-cell``, ``parameters`` or ``injected-parameters`` are dropped;
  ``remove-input`` hides the code, ``remove-output`` the outputs;
* ``#| include: false`` drops the cell; ``#| echo: true`` shows the code (the report default is
  ``echo: false``); ``#| output: false`` hides the outputs; ``#| output: asis`` inlines stream
  text as markdown;
* ``text/markdown`` outputs are inlined as markdown; ``image/png`` / ``image/svg+xml`` outputs
  become a figure from ``#| label``, ``#| fig-cap`` and ``#| fig-alt`` (alt text is required);
* a raw cell starting with ``---`` is YAML front matter (merged into the document metadata);
  other raw cells pass through as markdown, or as raw HTML/Typst by their ``raw_mimetype``;
* outputs whose metadata is ``{"eqlib": {"audience": "analyst"}}`` (eqlib.report.sections.AnalystNote) are left
  out: they are for the analyst in JupyterLab, not the reader;
* ``stderr`` streams (warnings) are left out, as with ``warning: false``; an ``error`` output
  stops the render: the notebook did not run cleanly.
"""

from __future__ import annotations

import base64
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml

from eqlib.errors import EqlibError

log = logging.getLogger(__name__)

REMOVE_TAGS = frozenset({"remove-cell", "parameters", "injected-parameters"})
_OPTION_LINE = re.compile(r"^#\|\s?(.*)$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n(?:---|\.\.\.)\s*(?:\n|\Z)", re.S)
_IMAGE_MIMES = {"image/png": "png", "image/svg+xml": "svg", "image/jpeg": "jpg"}


class RenderError(EqlibError):
    """A notebook or document the report cannot be rendered from, with where and why."""


@dataclass
class ChapterSource:
    """One notebook turned into markdown, with what the preprocessor found on the way."""

    notebook: Path
    markdown: str
    front_matter: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def cell_options(source: str) -> tuple[dict[str, Any], str]:
    """Split Quarto ``#|`` options off the top of a code cell.

    Returns the options (parsed as YAML) and the remaining code.

    >>> cell_options("#| echo: false\\n#| fig-cap: A chart\\nx = 1")
    ({'echo': False, 'fig-cap': 'A chart'}, 'x = 1')
    """
    lines = source.splitlines()
    option_lines: list[str] = []
    index = 0
    for index, line in enumerate(lines):  # noqa: B007 - index used after the loop
        match = _OPTION_LINE.match(line)
        if not match:
            break
        option_lines.append(match.group(1))
    else:
        index = len(lines)
    if not option_lines:
        return {}, source
    try:
        options = yaml.safe_load("\n".join(option_lines)) or {}
    except yaml.YAMLError as exc:
        raise RenderError(f"cell options are not valid YAML: {option_lines!r} ({exc})") from exc
    if not isinstance(options, dict):
        raise RenderError(f"cell options should be 'key: value' lines, got {option_lines!r}")
    return options, "\n".join(lines[index:])


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _attr_value(text: str) -> str:
    """Quote a value for a pandoc attribute: ``"..."`` with quotes and backslashes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _figure_markdown(path: str, options: dict[str, Any], *, where: str) -> str:
    alt = options.get("fig-alt")
    if not alt or not str(alt).strip():
        raise RenderError(
            f"{where}: the cell outputs an image but has no '#| fig-alt:' option. Every figure in "
            "the report needs alt text generated from its data (eqlib.report.figures gives one)."
        )
    caption = str(options.get("fig-cap") or "").strip()
    if not caption:
        raise RenderError(f"{where}: the cell outputs an image but has no '#| fig-cap:' caption.")
    attrs = []
    label = options.get("label")
    if label:
        attrs.append(f"#{label}")
    attrs.append(f"fig-alt={_attr_value(str(alt))}")
    return f"![{caption}]({path}){{{' '.join(attrs)}}}"


def _fenced(text: str, classes: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence} {{{classes}}}\n{text.rstrip()}\n{fence}"


def notebook_to_markdown(notebook: Path, *, media_dir: Path, media_prefix: str) -> ChapterSource:
    """Turn one executed notebook into a pandoc markdown chapter.

    Parameters
    ----------
    notebook
        The executed ``.ipynb`` (papermill output).
    media_dir
        Folder where images that come as notebook outputs (not as files) are written.
    media_prefix
        How the markdown refers to ``media_dir`` (relative to the notebook's folder).

    Raises
    ------
    RenderError
        For a cell that errored, an image without alt text or caption, an output the report
        cannot show (HTML only), or an attachment.
    """
    nb = nbformat.read(notebook, as_version=4)
    parts: list[str] = []
    front: dict[str, Any] = {}
    warnings: list[str] = []
    image_count = 0
    for number, cell in enumerate(nb.cells, start=1):
        where = f"{notebook.name}, cell {number}"
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & REMOVE_TAGS:
            continue
        source = _text(cell.get("source", ""))
        if cell.cell_type == "markdown":
            if "attachment:" in source:
                raise RenderError(
                    f"{where}: markdown cell attachments are not supported; save the "
                    "image as a file next to the notebook and link it."
                )
            parts.append(source)
            continue
        if cell.cell_type == "raw":
            match = _FRONT_MATTER.match(source)
            if match:
                data = yaml.safe_load(match.group(1)) or {}
                if not isinstance(data, dict):
                    raise RenderError(f"{where}: the raw YAML front matter is not a mapping")
                front.update(data)
                rest = source[match.end() :].strip()
                if rest:
                    parts.append(rest)
                continue
            mime = str(
                cell.get("metadata", {}).get("raw_mimetype") or cell.get("metadata", {}).get("format") or ""
            ).lower()
            if "html" in mime:
                parts.append(_fenced(source, "=html"))
            elif "typst" in mime:
                parts.append(_fenced(source, "=typst"))
            elif mime in ("", "text/markdown", "markdown"):
                parts.append(source)
            else:
                log.info("%s: raw cell of type %s left out (neither HTML nor Typst)", where, mime)
            continue
        # code cell
        options, code = cell_options(source)
        if options.get("include") is False:
            continue
        if options.get("echo") is True and "remove-input" not in tags:
            parts.append(_fenced(code, ".python .cell-code"))
        if options.get("output") is False or "remove-output" in tags:
            continue
        asis = options.get("output") == "asis"
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "error":
                raise RenderError(
                    f"{where}: the cell raised {output.get('ename')}: {output.get('evalue')}. "
                    "Re-run the notebooks (eqlib run) and fix the error first."
                )
            if kind == "stream":
                text = _text(output.get("text", ""))
                if output.get("name") == "stderr":
                    log.info("%s: stderr output left out of the report: %.200s", where, text)
                    continue
                parts.append(text if asis else _fenced(text, ".cell-output"))
                continue
            if (output.get("metadata") or {}).get("eqlib", {}).get("audience") == "analyst":
                log.info("%s: analyst note left out of the report", where)
                continue
            data = output.get("data", {})
            if "text/markdown" in data:
                parts.append(_text(data["text/markdown"]))
                continue
            image_mime = next((m for m in _IMAGE_MIMES if m in data), None)
            if image_mime:
                image_count += 1
                label = str(options.get("label") or f"{notebook.stem}-{number}")
                suffix = "" if image_count == 1 else f"-{image_count}"
                name = f"{re.sub(r'[^A-Za-z0-9_-]+', '-', label)}{suffix}.{_IMAGE_MIMES[image_mime]}"
                media_dir.mkdir(parents=True, exist_ok=True)
                raw = data[image_mime]
                payload = (
                    _text(raw).encode() if image_mime == "image/svg+xml" else base64.b64decode(_text(raw))
                )
                (media_dir / name).write_bytes(payload)
                parts.append(_figure_markdown(f"{media_prefix}/{name}", options, where=where))
                continue
            if "text/html" in data:
                raise RenderError(
                    f"{where}: the output is HTML only (e.g. a DataFrame). The report needs the "
                    "same content in both HTML and PDF: emit a markdown pipe table with a caption "
                    "line ': Caption {#tbl-label}' (display(Markdown(...)))."
                )
            if "text/plain" in data:
                text = _text(data["text/plain"])
                message = f"{where}: plain-text output shown as is: {text[:80]!r}"
                log.warning(message)
                warnings.append(message)
                parts.append(text if asis else _fenced(text, ".cell-output"))
                continue
            if data:
                raise RenderError(f"{where}: no output type the report can show in {sorted(data)}")
    markdown = "\n\n".join(part.strip("\n") for part in parts if part.strip()) + "\n"
    return ChapterSource(notebook=notebook, markdown=markdown, front_matter=front, warnings=warnings)
