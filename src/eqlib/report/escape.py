"""Text from an analyst (params YAML, local CSV files) is data, never markup: one place escapes it.

Every free-text value that reaches the report goes through one of these before it is written into
pandoc markdown, HTML or Typst source:

* :func:`markdown_text` -- inline pandoc markdown that reads back as exactly the same characters
  (raw HTML, ``{=html}``/``{=typst}`` raw attributes, ``$`` math, ``@`` citations, links, images,
  emphasis, headings, list markers, fenced divs all become literal text). Pandoc itself then escapes
  the text for HTML (``&lt;``) and Typst (``\\#``), so both render paths print it as typed.
* :func:`code_span` -- text shown as inline code (file names), with a fence no backtick run can close.
* :func:`markdown_attr` -- a value inside a pandoc attribute (``fig-alt="..."``).
* :func:`html_text` / :func:`html_attr` -- text written straight into HTML (no pandoc in between).
* :func:`typst_string` / :func:`typst_markup` -- a Typst string literal / Typst markup content.
* :func:`safe_link` -- a URL for a field meant for links: only ``https://`` is allowed.

Whitespace runs (line breaks included) become one space: a value can never start a new block.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

__all__ = [
    "markdown_text",
    "code_span",
    "markdown_attr",
    "html_text",
    "html_attr",
    "typst_string",
    "typst_markup",
    "safe_link",
    "UnsafeLinkError",
    "MARKDOWN_SPECIAL",
]

#: Characters pandoc markdown gives a meaning inline (``all_symbols_escapable``: each may be
#: backslash-escaped to stand for itself).
MARKDOWN_SPECIAL = frozenset("\\`*_{}[]<>#$@|~^!&")
# what makes a line start a block: list markers, numbered lists, headings, rules, fences, tables
_LINE_START = re.compile(r"^([-+](?=\s|$)|[%:=]|\d+[.)](?=\s|$))")
_TYPST_SPECIAL = frozenset("\\#$*_`<>@[]~/=-+'\"")


class UnsafeLinkError(ValueError):
    """A link that is not an absolute ``https://`` URL."""


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def markdown_text(text: object) -> str:
    """``text`` as inline pandoc markdown that shows exactly these characters (and nothing else).

    >>> markdown_text("<img src=x onerror=alert(1)>")
    '\\\\<img src\\\\=x onerror\\\\=alert(1)\\\\>'
    >>> markdown_text("- item")
    '\\\\- item'
    """
    flat = _one_line(text)
    out = "".join(f"\\{ch}" if ch in MARKDOWN_SPECIAL else ch for ch in flat)
    out = re.sub(r"-(?=-)|(?<=-)-", r"\\-", out)  # "--" would become a dash (smart punctuation)
    match = _LINE_START.match(out)
    if match:  # a leading list marker, "1." or "1)": escape its punctuation
        end = match.end(1)
        out = out[: end - 1] + "\\" + out[end - 1 :]
    return out


def code_span(text: object) -> str:
    """``text`` as a pandoc inline code span (shown literally; a fence longer than any backtick run)."""
    flat = _one_line(text)
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def markdown_attr(text: object) -> str:
    """The inside of a double-quoted pandoc attribute value (``key="..."``)."""
    return _one_line(text).replace("\\", "\\\\").replace('"', '\\"')


def html_text(text: object) -> str:
    """Text for an HTML element's content."""
    return html.escape(str(text), quote=True)


def html_attr(text: object) -> str:
    """Text for a double-quoted HTML attribute value."""
    return html.escape(_one_line(text), quote=True)


def typst_string(text: object) -> str:
    """A Typst string literal (with quotes) holding ``text``."""
    body = _one_line(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{body}"'


def typst_markup(text: object) -> str:
    """Typst markup content showing ``text`` literally (``#``, ``$``, ``*``, ``[`` ... escaped)."""
    return "".join(f"\\{ch}" if ch in _TYPST_SPECIAL else ch for ch in _one_line(text))


def safe_link(url: object, *, field: str = "link") -> str:
    """``url`` if it is an absolute ``https://`` URL with a host; else :class:`UnsafeLinkError`."""
    text = str(url).strip()
    parts = urlsplit(text)
    if (
        parts.scheme != "https"
        or not parts.netloc
        or any(ch.isspace() or ord(ch) < 32 for ch in text)
        or any(ch in text for ch in '<>"`\\')
    ):
        shown = text if len(text) <= 80 else text[:77] + "..."
        raise UnsafeLinkError(
            f"{field}: {shown!r} is not an https:// link; only absolute https:// "
            "URLs are allowed in a link field"
        )
    return text
