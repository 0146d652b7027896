"""A stand-in ``quarto`` for machines without Quarto (tests/test_render.py puts it on PATH).

It is not Quarto, but it behaves like Quarto 1.9 on the points eqlib.report.render depends on, so a
render that would fail with the real one fails with this one too:

* ``quarto --version`` prints a version (``FAKE_QUARTO_VERSION``, default 1.9.12);
* ``quarto render <project dir> [--to F[,G]|all] [--no-clean]`` reads ``_quarto.yml``; a project
  render first CLEANS the project's output dir unless ``--no-clean`` is given (so rendering a
  second format after the first, without it, loses the first format's output, as Quarto does);
* output goes where Quarto puts it: a book to ``output-dir`` (default ``_book``), one page per
  chapter (``index.html`` for the first) and one PDF named after ``book.output-file``; a default
  project to ``output-dir`` (else next to the input) as ``<stem>.html`` / ``<stem>.pdf``;
* every path in ``_quarto.yml`` (``css``, ``template``, ``template-partials``, ``filters``) is
  project-relative, an absolute one too (Quarto reads ``/x/report.css`` as ``./x/report.css``),
  and a missing one fails with "Could not fetch resource" (css) or "not found";
* HTML through pandoc (``--embed-resources`` when ``embed-resources: true``; pandoc's default
  template when none is given), PDF through pandoc's Typst writer and Typst: a Quarto-like main
  template with the user's ``template-partials`` replacing the default ``typst-template.typ`` /
  ``typst-show.typ`` (the default ignores ``mainfont`` and ``fontsize``, as Quarto's book
  template does), ``pdf-standard``, ``font-paths``, the project dir as Typst root, and the
  creation date from ``SOURCE_DATE_EPOCH``, else the current time (as Typst's CLI does).

* shortcodes are expanded in the document's source text before pandoc reads it, inside code and
  raw blocks too (Quarto does this in its own markdown pass): ``{{< include F >}}`` (the file's
  text), ``{{< env NAME >}}``, ``{{< meta key >}}``; the escaped form ``{{{< x >}}}`` prints as
  ``{{< x >}}``; ``{{\\< x \\>}}`` (pandoc's escape in text) is not a shortcode;
* the HTML reads the files named by ``include-in-header`` / ``include-before-body`` /
  ``include-after-body`` (front matter or _quarto.yml), absolute paths too.

Notebooks are read with pandoc's ipynb reader. The real Quarto does much more (its own HTML
template and scripts, crossref, book navigation); see README, "Which path ran here".
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pypandoc
import typst
import yaml

VERSION = os.environ.get("FAKE_QUARTO_VERSION", "1.9.12")

MAIN_TYPST = """$definitions.typ()$

$typst-template.typ()$

$typst-show.typ()$

$body$
"""
DEFAULT_PARTIALS = {
    "definitions.typ": "// quarto definitions (stand-in)\n",
    # like Quarto's book template: mainfont and fontsize are not used
    "typst-template.typ": "#let article(title: none, doc) = { set document(title: title); doc }\n",
    "typst-show.typ": "#show: doc => article($if(title)$title: [$title$],$endif$ doc)\n",
}
# keys of _quarto.yml / a format that are Quarto's, not document metadata for pandoc
NOT_METADATA = {
    "project",
    "book",
    "format",
    "execute",
    "filters",
    "css",
    "template",
    "template-partials",
    "embed-resources",
    "minimal",
    "theme",
    "font-paths",
    "pdf-standard",
    "keep-typ",
    "number-sections",
    "toc",
    "toc-depth",
    "shift-heading-level-by",
    "section-divs",
    "wrap",
    "anchor-sections",
    "smooth-scroll",
    "output-file",
    "include-in-header",
    "include-before-body",
    "include-after-body",
}


class QuartoError(Exception):
    pass


def project_path(project: Path, value: str, what: str) -> Path:
    """A path from _quarto.yml as Quarto resolves it: relative to the project, absolute or not."""
    relative = str(value).lstrip("/")
    path = project / relative
    if not path.exists():
        if what == "css":
            raise QuartoError(f"ERROR: Could not fetch resource ./{relative}")
        raise QuartoError(f"ERROR: {what} file ./{relative} not found")
    return path


SHORTCODE = re.compile(r"\{\{\{<(.*?)>\}\}\}|\{\{<(.*?)>\}\}", re.S)


def expand_shortcodes(text: str, project: Path, meta: dict) -> str:
    """Quarto's shortcodes in the source text (code and raw blocks included), as Quarto expands them."""

    def one(match: re.Match) -> str:
        if match.group(1) is not None:  # {{{< x >}}}: printed as {{< x >}}
            return "{{<" + match.group(1) + ">}}"
        name, *args = match.group(2).split()
        if name == "include" and args:
            path = Path(args[0]) if Path(args[0]).is_absolute() else project / args[0]
            if not path.is_file():
                raise QuartoError(f"ERROR: include file {args[0]} not found")
            return path.read_text(encoding="utf-8", errors="replace")
        if name == "env" and args:
            return os.environ.get(args[0], "")
        if name == "meta" and args:
            return str(meta.get(args[0], "?meta:" + args[0]))
        raise QuartoError(f"ERROR: unknown shortcode {name} (stand-in: include, env, meta)")

    return SHORTCODE.sub(one, text)


def front_matter(path: Path) -> dict:
    if path.suffix not in (".qmd", ".md"):
        return {}
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return {}
    return yaml.safe_load(text[4 : text.index("\n---", 4)]) or {}


def format_options(config: dict, name: str, doc_meta: dict) -> dict:
    options = {k: v for k, v in config.items() if k not in ("project", "book", "format", "execute")}
    fmt = (config.get("format") or {}).get(name)
    if isinstance(fmt, dict):
        options.update(fmt)
    doc_fmt = (doc_meta.get("format") or {}).get(name) if isinstance(doc_meta.get("format"), dict) else None
    options.update({k: v for k, v in doc_meta.items() if k != "format"})
    if isinstance(doc_fmt, dict):
        options.update(doc_fmt)
    return options


def pandoc_common(project: Path, options: dict, inputs: list[Path]) -> tuple[list[str], str]:
    """Arguments for pandoc and the input format ('ipynb' or 'markdown')."""
    args = ["--standalone", f"--resource-path={project}"]
    for key, value in options.items():
        if key in NOT_METADATA or isinstance(value, (dict, list)):
            continue
        args.append(
            f"--metadata={key}:{value}"
            if not isinstance(value, bool)
            else f"--metadata={key}:{'true' if value else 'false'}"
        )
    for f in options.get("filters") or []:
        if f == "quarto":
            continue
        args += ["--lua-filter", str(project_path(project, f, "filter"))]
    if options.get("toc"):
        args += ["--toc", f"--toc-depth={options.get('toc-depth', 3)}"]
    if options.get("number-sections"):
        args.append("--number-sections")
    if options.get("shift-heading-level-by"):
        args.append(f"--shift-heading-level-by={options['shift-heading-level-by']}")
    if options.get("section-divs"):
        args.append("--section-divs")
    if options.get("wrap"):
        args.append(f"--wrap={options['wrap']}")
    source = "ipynb" if all(p.suffix == ".ipynb" for p in inputs) else "markdown"
    return args, source


def convert(inputs: list[Path], to: str, source: str, args: list[str], cwd: Path) -> str:
    if len(inputs) == 1 and source == "markdown":  # Quarto's own pass over the source first
        text = expand_shortcodes(inputs[0].read_text(encoding="utf-8"), cwd, front_matter(inputs[0]))
        return pypandoc.convert_text(text, to, format=source, extra_args=args, cworkdir=str(cwd))
    if len(inputs) == 1:
        return pypandoc.convert_file(str(inputs[0]), to, format=source, extra_args=args, cworkdir=str(cwd))
    # a book's PDF: all chapters in one document (pandoc reads one notebook at a time)
    import json

    docs = [
        json.loads(pypandoc.convert_file(str(p), "json", format=source, cworkdir=str(cwd))) for p in inputs
    ]
    merged = {**docs[0], "blocks": [block for doc in docs for block in doc["blocks"]]}
    return pypandoc.convert_text(json.dumps(merged), to, format="json", extra_args=args, cworkdir=str(cwd))


def render_html(project: Path, inputs: list[Path], options: dict, out: Path, names: list[str]) -> None:
    args, source = pandoc_common(project, options, inputs)
    if options.get("embed-resources"):
        args.append("--embed-resources")
    for css in [options["css"]] if isinstance(options.get("css"), str) else options.get("css") or []:
        args.append(f"--css={project_path(project, css, 'css')}")
    if options.get("template"):
        args.append(f"--template={project_path(project, options['template'], 'template')}")
    for key in ("include-in-header", "include-before-body", "include-after-body"):
        named = options.get(key) or []
        for name in [named] if isinstance(named, str) else named:
            path = Path(name) if Path(name).is_absolute() else project / name
            if not path.is_file():
                raise QuartoError(f"ERROR: {key} file {name} not found")
            args.append(f"--{key}={path}")
    out.mkdir(parents=True, exist_ok=True)
    for path, name in zip(inputs, names, strict=True):
        html = convert([path], "html5", source, args, project)
        (out / f"{name}.html").write_text(html, encoding="utf-8")


def render_pdf(project: Path, inputs: list[Path], options: dict, out: Path, name: str) -> None:
    args, source = pandoc_common(project, options, inputs)
    for key in ("mainfont", "fontsize", "papersize"):
        if options.get(key):
            args.append(f"--variable={key}:{options[key]}")
    with tempfile.TemporaryDirectory() as tmp:
        templates = Path(tmp)
        for partial, text in DEFAULT_PARTIALS.items():
            (templates / partial).write_text(text, encoding="utf-8")
        partials = options.get("template-partials") or []
        for partial in [partials] if isinstance(partials, str) else partials:
            shutil.copyfile(
                project_path(project, partial, "template-partials"), templates / Path(partial).name
            )
        (templates / "template.typ").write_text(MAIN_TYPST, encoding="utf-8")
        args.append(f"--template={templates / 'template.typ'}")
        source_typ = convert(inputs, "typst", source, args, project)
    typ = project / f"{name}.typ"
    typ.write_text(source_typ, encoding="utf-8")
    standards = options.get("pdf-standard") or []
    standards = [standards] if isinstance(standards, str) else list(standards)
    fonts = [str(p if Path(p).is_absolute() else project / p) for p in options.get("font-paths") or []]
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    out.mkdir(parents=True, exist_ok=True)
    kwargs = {"pdf_standards": standards} if standards else {}
    try:
        typst.compile(
            str(typ),
            output=str(out / f"{name}.pdf"),
            root=str(project),
            font_paths=fonts,
            timestamp=int(epoch) if epoch else int(time.time()),
            **kwargs,
        )
    except typst.TypstError as exc:
        raise QuartoError(f"ERROR: Typst compilation failed: {exc.message}") from exc
    finally:
        if not options.get("keep-typ"):
            typ.unlink(missing_ok=True)


def render(argv: list[str]) -> None:
    target = Path(argv[0]).resolve() if argv and not argv[0].startswith("-") else Path.cwd()
    to = argv[argv.index("--to") + 1] if "--to" in argv else None
    clean = "--no-clean" not in argv
    project = target if target.is_dir() else target.parent
    config_file = project / "_quarto.yml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
    kind = (config.get("project") or {}).get("type", "default")
    output_dir = (config.get("project") or {}).get("output-dir") or ("_book" if kind == "book" else None)
    if kind == "book":
        book = config.get("book") or {}
        inputs = [project / c for c in (book.get("chapters") or []) + (book.get("appendices") or [])]
    elif target.is_file():
        inputs = [target]
    else:
        listed = (config.get("project") or {}).get("render")
        inputs = (
            [project / p for p in listed]
            if listed
            else sorted(
                p
                for p in project.iterdir()
                if p.suffix in (".qmd", ".ipynb", ".md") and not p.name.startswith(("_", "."))
            )
        )
    for path in inputs:
        if not path.is_file():
            raise QuartoError(f"ERROR: {path} not found")
    out = project / output_dir if output_dir else project
    if clean and target.is_dir() and output_dir:
        shutil.rmtree(out, ignore_errors=True)  # a project render cleans its output dir first
    formats = list((config.get("format") or {"html": {}}).keys())
    wanted = formats if to == "all" else (to.split(",") if to else formats[:1])
    doc_meta = front_matter(inputs[0])
    for name in wanted:
        options = format_options(config, name, doc_meta)
        if name == "html":
            names = ["index", *(p.stem for p in inputs[1:])] if kind == "book" else [p.stem for p in inputs]
            render_html(project, inputs, options, out, names)
        elif name == "typst":
            if kind == "book":
                render_pdf(
                    project, inputs, options, out, str((config.get("book") or {}).get("output-file", "book"))
                )
            else:
                for path in inputs:
                    render_pdf(project, [path], options, out, path.stem)
        else:
            raise QuartoError(f"ERROR: format {name} is not known to the stand-in quarto")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--version"]:
        print(VERSION)
        return 0
    if argv[:1] != ["render"]:
        print(f"stand-in quarto: only --version and render, not {argv}", file=sys.stderr)
        return 1
    try:
        render(argv[1:])
    except QuartoError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def install(bin_dir: Path) -> Path:
    """Write ``bin_dir/quarto``, a shell wrapper running this stand-in with this Python."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    wrapper = bin_dir / "quarto"
    wrapper.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" "$@"\n', encoding="utf-8"
    )
    wrapper.chmod(0o755)
    return wrapper


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
