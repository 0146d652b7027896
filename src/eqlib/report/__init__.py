"""The report's fallback render path (pandoc + Typst) and its pieces.

* :mod:`eqlib.report.notebook` -- executed notebook -> pandoc markdown (the Quarto subset);
* :mod:`eqlib.report.document` -- chapters parsed, checked for accessibility, numbered, joined;
* :mod:`eqlib.report.fallback` -- the document -> self-contained HTML and tagged PDF;
* :mod:`eqlib.report.national` -- the national index page for a year.

Shipped files: ``template.html`` + ``report.css`` (HTML), ``report.typ`` (Typst template),
``filters/alt-text.lua`` (alt text for HTML and Typst images; also used by the Quarto path).
:mod:`eqlib.report.render` is the entry point.
"""

from typing import Any

__all__ = ["RenderError"]


def __getattr__(name: str) -> Any:
    # lazy: eqlib.report.notebook pulls in nbformat and jsonschema (seconds to import), which the
    # escaping helpers used by the command line's parameter checks do not need
    if name == "RenderError":
        from eqlib.report.notebook import RenderError

        return RenderError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
