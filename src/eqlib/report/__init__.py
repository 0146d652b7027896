"""The report's fallback render path (pandoc + Typst) and its pieces.

* :mod:`eqlib.report.notebook` -- executed notebook -> pandoc markdown (the Quarto subset);
* :mod:`eqlib.report.document` -- chapters parsed, checked for accessibility, numbered, joined;
* :mod:`eqlib.report.fallback` -- the document -> self-contained HTML and tagged PDF;
* :mod:`eqlib.report.national` -- the national index page for a year.

Shipped files: ``template.html`` + ``report.css`` (HTML), ``report.typ`` (Typst template),
``filters/alt-text.lua`` (alt text for HTML and Typst images; also used by the Quarto path).
:mod:`eqlib.render` is the entry point.
"""


def __getattr__(name: str):
    # RenderError is imported on first use: importing eqlib.report.notebook imports nbformat and so
    # jsonschema, whose format checkers compile an RFC 3987 grammar (2-9 s), which every notebook
    # kernel would pay just to reach eqlib.report.escape (speed, issue 11)
    if name == "RenderError":
        from eqlib.report.notebook import RenderError

        return RenderError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["RenderError"]
