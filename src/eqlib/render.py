"""Render the published report: ``eqlib render`` and ``eqlib build``.

Input: the executed notebooks of one area and year, ``_build/<area-slug>/<year>/*.ipynb``
(written by :mod:`eqlib.batch`). Output::

    _site/<area-slug>/<year>/index.html                                  self-contained HTML
    _site/<area-slug>/<year>/<area-slug>-<year>-equality-information.pdf tagged PDF (PDF/UA-1)
    _site/<area-slug>/<year>/render.json                                 which engine ran, checksums
    _site/<area-slug>/<year>/tables/                                     CSV + ODS (eqlib build)
    _site/<year>/index.html                                              national index (eqlib build)

Two paths, one result
---------------------
* **Quarto** (``engine="quarto"``, or ``"auto"`` with ``quarto`` on PATH): ``_quarto.yml`` at the
  project root is a book template; it is copied next to the executed notebooks with the title
  page filled in for the area and year, and ``quarto render`` runs there (HTML, then Typst PDF),
  one area-year per folder (Quarto reuses ``<stem>_files/``).
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
  (:func:`eqlib.figures.show` and :func:`eqlib.figures.table` write exactly these.)
* The title page (title, subtitle, publisher, reporting period, language en-GB) is built here
  from the area, the year and ``params/<area>-<year>.yml`` (key ``publisher``);
  notebooks need no front matter (a raw YAML cell may add keys, never override these).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
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
OGL = ("Contains public sector information licensed under the Open Government Licence v3.0. "
       "Figures are computed from official statistics by eqlib; counts under the suppression "
       "threshold are not shown.")

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

__all__ = ["CHAPTERS", "RenderResult", "RenderError", "BuildOutcome", "render", "build_one", "build_many",
           "render_national_index", "national_funnel_png", "cmd_render", "cmd_build", "pdf_name",
           "report_metadata", "quarto_config", "quarto_path"]


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
    text = str(year).strip()
    try:
        period = periods_mod.financial_year(int(text)) if text.isdigit() and len(text) == 4 \
            else periods_mod.parse(text)
    except periods_mod.PeriodError as exc:
        raise UsageError(f"--year {year!r}: {exc}") from None
    if period.kind != "financial_year":
        raise UsageError(f"--year {year!r}: expected a financial year such as 2021-22 (or 2021, 2021/22)")
    return period


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
    from eqlib.batch import read_params, resolve_params_file

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


def report_metadata(area: areas_mod.Area, period: periods_mod.Period, *, root: Path | None = None,
                    params: dict | None = None) -> dict[str, str]:
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
def render(area: str | areas_mod.Area, year: str | int, *, engine: Engine = "auto",
           root: Path | str | None = None) -> RenderResult:
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
        raise UsageError("--engine quarto: quarto is not on PATH (install it, e.g. from conda-forge, "
                         "or use --engine fallback)")
    if engine not in ("auto", "quarto", "fallback"):
        raise UsageError(f"engine {engine!r}: expected auto, quarto or fallback")
    site.mkdir(parents=True, exist_ok=True)
    if quarto and engine in ("auto", "quarto"):
        result = _render_quarto(quarto, folder, site, meta, pdf_name(area, period), root)
        extra = {"quarto_version": _run([quarto, "--version"]).strip()}
    else:
        result = _render_fallback(folder, site, meta, pdf_name(area, period))
        import pypandoc
        import typst

        extra = {"pandoc_version": pypandoc.get_pandoc_version(),
                 "typst_python_version": getattr(typst, "__version__", "")}
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


def _run(command: list[str], cwd: Path | None = None) -> str:
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RenderError(f"{' '.join(command)} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc.stdout


def quarto_config(meta: dict[str, str], root: Path) -> dict:
    """The project's ``_quarto.yml`` filled in for one area-year (title page, filter path)."""
    from eqlib.report.fallback import resource

    config = yaml.safe_load((root / "_quarto.yml").read_text(encoding="utf-8"))
    book = config.setdefault("book", {})
    book.update({"title": meta["title"], "subtitle": meta["subtitle"], "author": meta["publisher"]})
    if "date" in meta:
        book["date"] = meta["date"]
    formats = config.get("format", {})
    for fmt in formats.values():
        if isinstance(fmt, dict) and "filters" in fmt:
            fmt["filters"] = [str(resource("filters/alt-text.lua")) if str(f).endswith("alt-text.lua") else f
                              for f in fmt["filters"]]
        if isinstance(fmt, dict) and "css" in fmt:
            fmt["css"] = str(resource("report.css"))
    return config


def _render_quarto(quarto: str, folder: Path, site: Path, meta: dict[str, str], pdf: str,
                   root: Path) -> RenderResult:
    missing = [f"{stem}.ipynb" for stem, _ in CHAPTERS if not (folder / f"{stem}.ipynb").is_file()]
    if missing:
        raise RenderError(f"{folder}: executed notebooks missing: {', '.join(missing)}; run 'eqlib run' first")
    # A Quarto book opens with index: the overview, copied under that name.
    shutil.copyfile(folder / f"{CHAPTERS[0][0]}.ipynb", folder / "index.ipynb")
    config = quarto_config(meta, root)
    (folder / "_quarto.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    out = folder / config.get("project", {}).get("output-dir", "_quarto")
    shutil.rmtree(out, ignore_errors=True)
    _run([quarto, "render", str(folder), "--to", "html"], cwd=folder)
    _run([quarto, "render", str(folder), "--to", "typst"], cwd=folder)
    pdfs = sorted(out.glob("*.pdf"))
    # the book's pages and anything they need (site_libs/ if Quarto could not embed it)
    shutil.copytree(out, site, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.pdf", "*.typ"))
    if not pdfs:
        raise RenderError(f"quarto wrote no PDF into {out}")
    shutil.copyfile(pdfs[0], site / pdf)
    return RenderResult(html=site / "index.html", pdf=site / pdf, engine_used="quarto")


# ----------------------------------------------------------------------------- national index
def render_national_index(year: str | int, *, root: Path | str | None = None, funnel_png: Path | None = None,
                          funnel_alt: str | None = None, funnel_caption: str | None = None,
                          funnel_text: str | None = None) -> Path:
    """``_site/<year>/index.html``: every area's report that exists for the year, and a funnel plot.

    ``funnel_png`` / ``funnel_alt`` give the funnel plot of all areas (``eqlib build`` draws it with
    :func:`national_funnel_png`); without them the page lists the reports only and says so.
    """
    from eqlib.report.national import write_national_index

    root = Path(root) if root is not None else paths.project_root()
    period = _period(year)
    return write_national_index(period, root=root, funnel_png=funnel_png, funnel_alt=funnel_alt,
                                funnel_caption=funnel_caption, funnel_text=funnel_text)


# ----------------------------------------------------------------------------- CLI
def _area_names(args: argparse.Namespace) -> list[str]:
    if getattr(args, "all", False):
        return [a.slug for a in areas_mod.all_areas()]
    return list(args.area or [])


def cmd_render(args: argparse.Namespace) -> int:
    """``eqlib render --area A [--area B] | --all --year Y [--engine auto|quarto|fallback]``.

    Several areas render in parallel (one process per core), each in its own folder.
    """
    names = _area_names(args)
    period = _period(args.year)
    if getattr(args, "engine", "auto") == "quarto" and not quarto_path():
        raise UsageError("--engine quarto: quarto is not on PATH (install it, e.g. from conda-forge, "
                         "or use --engine fallback)")
    outcomes = build_many(names, period.label, engine=getattr(args, "engine", "auto"),
                          jobs=getattr(args, "jobs", None), tables=False)
    for outcome in outcomes:
        if outcome.error:
            print(f"eqlib render {outcome.area} {outcome.year}: {outcome.error}", file=sys.stderr)
        else:
            print(f"{outcome.html}\n{outcome.pdf}\n(engine: {outcome.engine_used})")
    return 1 if any(o.error for o in outcomes) else 0


def _write_tables(area: areas_mod.Area, period: periods_mod.Period, out: Path,
                  threshold: int | None) -> tuple[str, str]:
    """The data tables (CSV + ODS) beside the report, through ``eqlib tables`` (the metrics issue).

    Returns (where they are, error); a tables module that is not there yet is noted, not an error.
    """
    import contextlib
    import io

    from eqlib.errors import EqlibError

    try:
        from eqlib.tables import cmd_tables
    except ImportError as exc:  # pragma: no cover - the tables module is part of the package
        return f"not written ({exc})", ""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            code = cmd_tables(argparse.Namespace(area=area.slug, year=period.label, out=str(out),
                                                 threshold=threshold))
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


def build_one(area: str, year: str, *, engine: Engine = "auto", root: str | None = None,
              threshold: int | None = None, tables: bool = True) -> BuildOutcome:
    """Render one area-year and write its tables; errors are returned, not raised (for a batch)."""
    resolved = _area(area)
    period = _period(year)
    try:
        result = render(resolved, period.label, engine=engine, root=root)
    except (RenderError, UsageError) as exc:
        return BuildOutcome(resolved.slug, period.label, error=f"render failed: {exc}")
    table_note, error = (_write_tables(resolved, period, result.html.parent / "tables", threshold) if tables
                         else ("skipped", ""))
    return BuildOutcome(resolved.slug, period.label, html=str(result.html), pdf=str(result.pdf),
                        engine_used=result.engine_used, tables=table_note, error=error)


def build_many(areas: list[str], year: str, *, engine: Engine = "auto", root: Path | str | None = None,
               jobs: int | None = None, threshold: int | None = None, tables: bool = True) -> list[BuildOutcome]:
    """:func:`build_one` for many areas, in ``jobs`` processes (one render per area-year folder)."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    root_text = str(root) if root is not None else None
    workers = max(1, min(jobs or os.cpu_count() or 1, len(areas)))
    from tqdm.auto import tqdm

    bar = tqdm(total=len(areas), desc=f"eqlib render {year}", unit="area", disable=len(areas) < 2, leave=False)
    if workers == 1:
        out = []
        for a in areas:
            out.append(build_one(a, year, engine=engine, root=root_text, threshold=threshold, tables=tables))
            bar.update()
        bar.close()
        return out
    import multiprocessing

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(build_one, a, year, engine=engine, root=root_text, threshold=threshold,
                               tables=tables) for a in areas]
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
    from eqlib import figures

    fig, caption, alt, text = made
    png = figures.save(fig, "funnel", folder=paths.site_dir(root) / period.label)
    return png, alt, caption, text


def cmd_build(args: argparse.Namespace) -> int:
    """``eqlib build``: run the notebooks, render each area that ran, write its tables, index the year."""
    from eqlib.batch import run_many

    names = _area_names(args)
    period = _period(args.year)
    jobs = getattr(args, "jobs", None)
    threshold = getattr(args, "threshold", None)
    summary = run_many(names, period.label, jobs=jobs, force=getattr(args, "force", False), threshold=threshold)
    print(summary.table())
    for failed in summary.failed:
        print(f"{failed.area} {failed.year}: notebooks failed: {failed.error}", file=sys.stderr)
    root = paths.project_root()
    ran = [r.area for r in summary.results if r.ok]
    outcomes = build_many(ran, period.label, engine=getattr(args, "engine", "auto"), root=root, jobs=jobs,
                          threshold=threshold)
    for outcome in outcomes:
        if outcome.error:
            print(f"{outcome.area} {outcome.year}: {outcome.error}", file=sys.stderr)
        if outcome.html:
            print(f"{outcome.area} {outcome.year}: {outcome.html}\n  PDF: {outcome.pdf}\n"
                  f"  tables: {outcome.tables}\n  engine: {outcome.engine_used}")
    funnel = national_funnel_png(period, root)
    index = render_national_index(period.label, root=root, funnel_png=funnel[0] if funnel else None,
                                  funnel_alt=funnel[1] if funnel else None,
                                  funnel_caption=funnel[2] if funnel else None,
                                  funnel_text=funnel[3] if funnel else None)
    print(f"National index: {index}")
    if len(ran) == 1 and outcomes[0].html:
        print(f"\nThe report: {outcomes[0].html}")
    return 1 if summary.failed or any(o.error for o in outcomes) else 0
