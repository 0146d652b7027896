"""The content of each report section, as library functions, so that the notebooks stay thin.

A notebook cell calls one builder and displays what it returns::

    #| echo: false
    emit(sections.population_profile(ctx))

Each builder takes a :class:`Context` (area, year, params, data folder, suppression threshold)
and returns a list of blocks: :class:`Markdown` (prose generated from the data),
:class:`Chart` (a figure with caption and alt text) and :class:`Table` (a captioned table).
:func:`emit` displays them through :mod:`eqlib.figures` (markdown, ``figures/<label>.png``,
pipe tables). Builders never print and never display by themselves, so tests can call them.

Periods: a report for year Y shows each dataset for Y where it exists, else its latest
earlier period, labelled plainly ("latest available: 2019/20"); a dataset with nothing for the
area says so, and the measures that need it are listed as evidence gaps.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eqlib import __version__, analysis, config, paths
from eqlib import areas as areas_mod
from eqlib import figures as fg
from eqlib import periods as periods_mod
from eqlib.measures import catalogue
from eqlib.measures.model import COMPANIONS
from eqlib.measures.selection import Selection
from eqlib.report import escape

log = logging.getLogger(__name__)

__all__ = [
    "Context",
    "context",
    "Markdown",
    "Chart",
    "Table",
    "Block",
    "emit",
    "load",
    "select_period",
    "Selection",
    "dataset_status",
    "measure_status",
    "NOTEBOOKS",
    "SECTION_MEASURES",
    "intro",
    "section_data_status",
    "evidence_gaps",
    "population_profile",
    "measure_blocks",
    "data_sources",
    "methods",
    "parameters_summary",
]

#: notebook name -> (title, framework section id or None)
NOTEBOOKS: dict[str, tuple[str, int | None]] = {
    "00_overview": ("Overview", None),
    "01_communities": ("Understanding and working with your communities", 1),
    "02_leadership": ("Leadership and organisational commitment", 2),
    "03_services": ("Responsive services", 3),
    "04_workforce": ("Diverse and engaged workforce", 4),
    "05_objectives": ("Equality objectives and self-assessment", None),
    "99_data_and_methods": ("Data and methods", None),
}

#: which measures each section shows (each measure has one home section): from the catalogue
SECTION_MEASURES: dict[str, tuple[str, ...]] = catalogue.sections()


# --------------------------------------------------------------------------- context
@dataclass
class Context:
    """What every builder needs: the area, the reporting year, params, data folder, threshold."""

    area: areas_mod.Area
    period: periods_mod.Period
    root: Path
    data_dir: Path
    params_file: Path | None
    params: dict[str, Any]
    threshold: int
    data_notes: list[str] = field(default_factory=list, repr=False)
    #: instructions for the analyst (which file to add, which command to run): shown in the notebook's
    #: analyst cell and the run's log, never in the published report (:func:`analyst_notes`)
    analyst_notes: list[str] = field(default_factory=list, repr=False)
    _frames: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def year(self) -> str:
        return self.period.label

    @property
    def year_display(self) -> str:
        return self.period.display

    @property
    def name(self) -> str:
        return self.area.name

    def frame(self, measure_id: str, *, every_period: bool = False, every_area: bool = False) -> pd.DataFrame:
        """The tidy frame behind a measure's chart and table (see :func:`eqlib.explore.frame`)."""
        from eqlib import explore

        return explore.frame(self, measure_id, every_period=every_period, every_area=every_area)


def context(
    area: str = "south-wales",
    year: str | int = "2021-22",
    *,
    params_file: str | Path | None = None,
    data_dir: str | Path | None = None,
    threshold: int | None = 5,
    root: str | Path | None = None,
) -> Context:
    """Resolve a notebook's parameters into a :class:`Context` (the same checks as ``eqlib run``).

    ``data_dir`` defaults to the project's ``data/`` (found by :mod:`eqlib.paths`);
    ``params_file`` to ``params/<slug>-<year>.yml`` if it exists, else ``params/defaults.yml``.
    """
    if data_dir is not None:
        data_path = Path(data_dir).resolve()
        root = data_path.parent
    else:
        root = Path(root).resolve() if root is not None else paths.project_root()
        data_path = paths.data_dir(root)
    run = config.resolve(area, year, params_file, threshold, root)
    fg.set_figure_folder(fg.figure_folder(run.area.slug, run.period.label))  # charts per area and year
    return Context(run.area, run.period, root, data_path, run.params_file, run.params, run.threshold)


# --------------------------------------------------------------------------- blocks
@dataclass
class Markdown:
    text: str


@dataclass
class Chart:
    fig: Any
    label: str
    caption: str
    alt: str


@dataclass
class Table:
    frame: pd.DataFrame
    caption: str
    label: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class AnalystNote:
    """Text for the analyst only (JupyterLab and the run's log): the report renderers leave it out."""

    text: str


Block = Markdown | Chart | Table

#: display metadata that marks an output as the analyst's (eqlib.report.notebook leaves such outputs out)
ANALYST_METADATA = {"eqlib": {"audience": "analyst"}}


def note_for_analyst(ctx: Context, text: str) -> None:
    """Record an instruction for the analyst (shown by :func:`analyst_notes`, logged, never published)."""
    if text not in ctx.analyst_notes:
        ctx.analyst_notes.append(text)
        log.info("analyst note: %s", text)


def analyst_notes(ctx: Context) -> list[AnalystNote]:
    """Everything the builders asked the analyst to do, for the notebook's last cell (tagged ``remove-cell``,
    so neither Quarto nor the fallback renders it; papermill writes it to the notebook's log)."""
    if not ctx.analyst_notes:
        return [AnalystNote("Analyst notes: nothing to do for this section.")]
    return [
        AnalystNote(
            "Analyst notes (not in the published report):\n\n"
            + "\n".join(f"- {n}" for n in ctx.analyst_notes)
        )
    ]


def emit(blocks: Iterable[Block]) -> None:
    """Display blocks in a notebook: prose as markdown, charts saved and shown, tables as pipe tables."""
    for block in blocks:
        if isinstance(block, Markdown):
            fg.markdown(block.text)
        elif isinstance(block, Chart):
            fg.show(block.fig, block.label, block.caption, block.alt)
        elif isinstance(block, Table):
            fg.table(block.frame, block.caption, block.label, **block.options)
        elif isinstance(block, AnalystNote):
            _display_analyst_note(block.text)
        else:  # pragma: no cover - a programming error
            raise TypeError(f"not a block: {block!r}")


def _display_analyst_note(text: str) -> None:
    from IPython.display import display

    display({"text/markdown": text, "text/plain": text}, raw=True, metadata=ANALYST_METADATA)


def render_text(blocks: Iterable[Block]) -> str:
    """All blocks as one markdown string (for tests and for the log); charts as their markdown image."""
    out = []
    for block in blocks:
        if isinstance(block, Markdown):
            out.append(block.text)
        elif isinstance(block, Chart):
            out.append(fg.figure_markdown(block.label, block.caption, block.alt))
        elif isinstance(block, Table):
            out.append(fg.table_markdown(block.frame, block.caption, block.label, **block.options))
    return "\n\n".join(out)


# --------------------------------------------------------------------------- data access
def load(ctx: Context, dataset_id: str) -> pd.DataFrame | None:
    """A dataset's tidy frame (cached parquet via :mod:`eqlib.store`), or None if no loader is registered.

    A loader that fails raises: a broken data file must stop the run with its error, not vanish.
    """
    if dataset_id in ctx._frames:
        return ctx._frames[dataset_id]
    from eqlib import sources

    if dataset_id not in sources.datasets():
        log.info("dataset %s has no loader yet", dataset_id)
        ctx._frames[dataset_id] = None
        return None
    from eqlib import store

    with _capture_data_notes(ctx):
        frame = store.load(dataset_id, root=ctx.root)
    ctx._frames[dataset_id] = frame
    return frame


class _NoteHandler(logging.Handler):
    def __init__(self, notes: list[str]):
        super().__init__(level=logging.WARNING)
        self.notes = notes

    def emit(self, record: logging.LogRecord) -> None:
        self.notes.append(record.getMessage())


class _capture_data_notes:
    """Collect the loaders' warnings (data notes such as corrected totals) into ``ctx.data_notes``
    instead of letting them reach the notebook's stderr; :func:`data_notes` shows them."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.logger = logging.getLogger("eqlib")

    def __enter__(self) -> None:
        self.handler = _NoteHandler(self.ctx.data_notes)
        self.propagate = self.logger.propagate
        self.logger.addHandler(self.handler)
        self.logger.propagate = False

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.propagate = self.propagate


def _to_date(value: Any) -> date:
    return pd.Timestamp(value).date()


def financial_years_from_months(frame: pd.DataFrame, *, complete_only: bool = False) -> pd.DataFrame:
    """Sum monthly rows into financial years (April to March); adds ``months`` (how many were present).

    Every column other than the period columns and ``count`` is kept as a grouping key (so
    dimensions survive); ``count`` is summed with missing kept missing (``min_count=1``).
    """
    data = frame.copy()
    starts = pd.to_datetime(data["period_start"])
    fy = starts.dt.year.where(starts.dt.month >= 4, starts.dt.year - 1)
    years = {int(y): periods_mod.financial_year(int(y)) for y in fy.unique()}
    data["period"] = fy.map({y: p.label for y, p in years.items()})
    data["period_start"] = pd.to_datetime(fy.map({y: pd.Timestamp(p.start) for y, p in years.items()}))
    data["period_end"] = pd.to_datetime(fy.map({y: pd.Timestamp(p.end) for y, p in years.items()}))
    data["_month"] = starts.dt.to_period("M").astype(str)
    months = data.groupby(["area_code", "period"])["_month"].nunique().rename("months")
    keys = [c for c in data.columns if c not in {"count", "_month", "denominator"}]
    out = data.groupby(keys, dropna=False, sort=True)["count"].sum(min_count=1).reset_index()
    out = out.merge(months.reset_index(), on=["area_code", "period"], how="left")
    if complete_only:
        out = out[out["months"] == 12]
    return out


def _period_display(label: str, start: Any, end: Any) -> str:
    try:
        p = periods_mod.parse(label)
    except periods_mod.PeriodError:
        p = None
    if p is not None:
        if p.kind == "calendar_year":
            return f"calendar year {p.label}"
        return p.display
    s, e = _to_date(start), _to_date(end)
    if s == e:
        return f"as at {s.day} {s.strftime('%B %Y')}"
    return label


def select_period(
    ctx: Context, dataset_id: str, frame: pd.DataFrame | None = None, *, area_code: str | None = None
) -> Selection:
    """The period of ``dataset_id`` to show for ``ctx`` (Y where it exists, else the latest earlier one).

    Monthly data are summed into financial years first; a financial year with fewer than 12 months
    counts as the period only if it is the report year, and the note says how many months it has.
    A period "is" year Y when it ends within Y (a snapshot at 31 March, a calendar year ending in Y).
    """
    code = area_code or ctx.area.code
    cache_key = f"_sel:{dataset_id}:{code}"
    if frame is None and cache_key in ctx._frames:
        return ctx._frames[cache_key]  # type: ignore[return-value]
    if frame is None:
        selection = _select_period(ctx, dataset_id, load(ctx, dataset_id), code)
        ctx._frames[cache_key] = selection  # type: ignore[assignment]
        return selection
    return _select_period(ctx, dataset_id, frame, code)


def _select_period(ctx: Context, dataset_id: str, frame: pd.DataFrame | None, code: str) -> Selection:
    if frame is None:
        return _none(ctx, dataset_id, "no-loader", "no loader for this dataset yet")
    if "area_code" not in frame.columns or "period_end" not in frame.columns:
        return _none(ctx, dataset_id, "none", "the dataset has no area and period columns")
    rows = frame[frame["area_code"] == code]
    if rows.empty:
        return _none(ctx, dataset_id, "none", f"nothing for {areas_mod.get(code).name} in this dataset")
    note = ""
    kinds = rows["period"].astype(str).str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])")
    if bool(kinds.all()) and len(rows):
        rows = financial_years_from_months(rows)
    ends = pd.to_datetime(rows["period_end"]).dt.date
    year_end = ctx.period.end
    eligible = rows[ends <= year_end]
    if eligible.empty:
        first = rows.sort_values("period_start").iloc[0]
        return _none(
            ctx,
            dataset_id,
            "later-only",
            f"the first period for this area is {_period_display(first['period'], first['period_start'], first['period_end'])}, after {ctx.year_display}",
        )
    eligible_ends = pd.to_datetime(eligible["period_end"]).dt.date
    latest_end = eligible_ends.max()
    chosen = eligible[eligible_ends == latest_end]
    # a partial financial year before the report year is not a "latest available" year
    if "months" in chosen.columns:
        months = int(chosen["months"].max())
        if latest_end < ctx.period.start and months < 12:
            complete = eligible[eligible.get("months", 12) == 12]
            if complete.empty:
                return _none(ctx, dataset_id, "none", "no complete financial year of monthly data")
            latest_end = pd.to_datetime(complete["period_end"]).dt.date.max()
            chosen = complete[pd.to_datetime(complete["period_end"]).dt.date == latest_end]
            months = 12
        if months < 12:
            note = f"{months} of 12 months"
    first = chosen.iloc[0]
    label = str(first["period"])
    display = _period_display(label, first["period_start"], first["period_end"])
    status = "current" if latest_end >= ctx.period.start else "latest"
    return Selection(dataset_id, chosen.reset_index(drop=True), label, ctx.year, status, display, note)


def _none(ctx: Context, dataset_id: str, status: str, note: str) -> Selection:
    """A dataset with nothing to show for the report: ``status`` and why (``note``)."""
    return Selection(dataset_id, None, None, ctx.year, status, note=note)


def _dataset_title(dataset_id: str) -> str:
    from eqlib import wording

    return wording.dataset_name(dataset_id)


def dataset_status(ctx: Context, dataset_id: str) -> Selection:
    """Like :func:`select_period` but also for an analyst's local files (``local:<template>``)."""
    if dataset_id.startswith("local:"):
        return _local_status(ctx, dataset_id)
    return select_period(ctx, dataset_id)


def _local_status(ctx: Context, dataset_id: str) -> Selection:
    """Local files are named in the params file (``local_files: {workforce: path}``)."""
    name = dataset_id.removeprefix("local:")
    files = ctx.params.get("local_files") or ctx.params.get("local") or {}
    path = files.get(name) if isinstance(files, dict) else None
    if not path:
        return _none(ctx, dataset_id, "none", "no local file given in the params file")
    path = Path(path)
    if not path.is_absolute():
        path = (ctx.params_file.parent if ctx.params_file else ctx.root) / path
    if not path.is_file():
        return _none(ctx, dataset_id, "none", f"the local file {path} does not exist")
    try:
        from eqlib.sources import local
    except ImportError:  # pragma: no cover
        return _none(ctx, dataset_id, "no-loader", "no reader for local files yet")
    reader = getattr(local, "read", None) or getattr(local, "read_local", None)
    if reader is None:  # pragma: no cover
        return _none(ctx, dataset_id, "no-loader", "no reader for local files yet")
    frame = reader(path, template=name) if "template" in reader.__code__.co_varnames else reader(path)
    return select_period(ctx, dataset_id, frame)


#: measures an analyst supplies through a local file (template name in data/templates): from the catalogue
LOCAL_TEMPLATES: dict[str, str] = catalogue.local_templates()


@dataclass(frozen=True)
class MeasureStatus:
    """One measure for the area and year: its published (suppressed) figures and the period they are for."""

    measure: str
    title: str
    status: str  # "current", "latest" (an earlier period), "none"
    label: str  # "2021/22", "latest available: 2019/20", "no data"
    frame: pd.DataFrame
    source: str = ""
    reason: str = ""  # why there is no data
    selections: tuple[Selection, ...] = ()

    @property
    def available(self) -> bool:
        return self.status in ("current", "latest") and not self.frame.empty


_POPULATION_DATASETS = {"population_census2021", "population_census2011", "population_census2011_pfa"}


def _measure_title(measure_id: str) -> str:
    try:
        return catalogue.get_measure(measure_id).title
    except KeyError:
        return measure_id.replace("_", " ")


def _dataset_selections(ctx: Context, measure_id: str) -> tuple[Selection, ...]:
    try:
        datasets = catalogue.get_measure(measure_id).datasets
    except KeyError:
        return ()
    return tuple(dataset_status(ctx, d) for d in datasets if d not in _POPULATION_DATASETS)


def publication(ctx: Context) -> analysis.AreaResult:
    """The area-year's publication: every measure selected for the year, suppressed, the analyst's local
    measures added, and disclosure control across all of them (:func:`eqlib.analysis.compute`). It is
    exactly what ``eqlib tables`` writes, so the report and the tables never differ."""
    if "_publication" not in ctx._frames:
        with _capture_data_notes(ctx):
            ctx._frames["_publication"] = analysis.compute(
                ctx.area.code,
                ctx.year,
                threshold=ctx.threshold,
                root=ctx.root,
                local_dir=getattr(framework_params(ctx), "local_data_dir", None),
            )
    return ctx._frames["_publication"]


def measure_status(ctx: Context, measure_id: str) -> MeasureStatus:
    """The figures of a measure for the area and year, as published (:func:`publication`), or why none.

    National data first; a measure an analyst supplies locally (``local_data_dir`` in the params file)
    comes from their file.
    """
    key = f"_m:{measure_id}"
    if key in ctx._frames:
        return ctx._frames[key]
    title = _measure_title(measure_id)
    result = publication(ctx)
    sel = result.selections.get(measure_id)
    if sel is not None and sel.status != "none" and not sel.frame.empty:
        status = MeasureStatus(measure_id, title, sel.status, sel.label, sel.frame, result.source(measure_id))
    else:
        selections = _dataset_selections(ctx, measure_id)
        empty = pd.DataFrame(columns=["area_code", "period", "measure", "group", "value"])
        status = MeasureStatus(
            measure_id,
            title,
            "none",
            "no data",
            empty,
            reason=_why_none(ctx, selections),
            selections=selections,
        )
    ctx._frames[key] = status
    return status


def compute_measure(ctx: Context, measure_id: str) -> pd.DataFrame:
    """A measure's figures for every area and period, unsuppressed (:func:`eqlib.analysis.compute_measure`:
    the measures cache keyed by the input files' content), for charts that compare areas or years."""
    mem = f"_all:{measure_id}"
    if mem not in ctx._frames:
        with _capture_data_notes(ctx):
            ctx._frames[mem] = analysis.compute_measure(measure_id, root=ctx.root)
    return ctx._frames[mem]


def _why_none(ctx: Context, selections: Sequence[Selection]) -> str:
    """Why a measure has no figures, in words for the public report (the analyst's detail goes to the notes)."""
    reasons = []
    for s in selections:
        title = _dataset_title(s.dataset)
        if s.dataset.startswith("local:") and not s.available:
            reasons.append(
                "it needs the force's or OPCC's own figures, which were not supplied for this report"
            )
            template = s.dataset.removeprefix("local:")
            note_for_analyst(
                ctx,
                f"{title[:1].upper()}{title[1:]}: {s.note or 'no data'}. Add them with the "
                f"`{template}.csv` template in `data/templates/` (name the folder as "
                "`local_data_dir` in the params file; check the file with "
                f"`eqlib data validate`).",
            )
        elif s.status == "no-loader":
            reasons.append(f"{title}: not yet readable by eqlib")
        elif s.status in ("current", "latest"):
            reasons.append(f"{title}: has {s.label} but too little to compute the figure")
        else:
            reasons.append(f"{title}: {s.note or 'no data'}")
    return "; ".join(reasons) if reasons else "no dataset provides it"


# --------------------------------------------------------------------------- prose helpers
def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _no_data_sentence(ctx: Context, status: MeasureStatus) -> str:
    if status.measure in LOCAL_TEMPLATES:
        note_for_analyst(
            ctx,
            f"{_sentence_case(status.title)}: an analyst can add it from the force's or "
            f"OPCC's own records with the `{LOCAL_TEMPLATES[status.measure]}.csv` template in "
            "`data/templates/` (check the file with `eqlib data validate`).",
        )
    return (
        f"**No data.** {_sentence_case(status.title)} cannot be shown for {ctx.name} for "
        f"{ctx.year_display} or any earlier year ({status.reason or 'no dataset provides it'})."
    )


# --------------------------------------------------------------------------- builders: shared
def intro(ctx: Context, notebook: str) -> list[Block]:
    """The opening sentence of a section: what it covers, for which area and year."""
    title, section = NOTEBOOKS[notebook]
    text = f"This section covers **{ctx.name}** for the financial year **{ctx.year_display}**"
    if section is not None:
        text += (
            f": the framework section *{_framework_section_name(section) or title}* of the APCC "
            "Equality Framework"
        )
    text += "."
    return [*example_banner(ctx), Markdown(text)]


#: the class of the example banner's fenced div; the renderer puts its text in every page's header (PDF) and at
#: the top of the page (HTML) as well (eqlib.report.fallback)
EXAMPLE_BANNER_CLASS = "example-banner"
EXAMPLE_BANNER_TEXT = (
    "Example, not the OPCC's assessment: the self-assessment and equality objectives in this "
    "report are illustrative."
)


def example_banner(ctx: Context) -> list[Block]:
    """The banner every section of a report built from example params (``example: true``) opens with."""
    if not getattr(framework_params(ctx), "example", False):
        return []
    return [Markdown(f"::: {{.{EXAMPLE_BANNER_CLASS}}}\n**{EXAMPLE_BANNER_TEXT}**\n:::")]


def _framework_section_name(section: int) -> str | None:
    try:
        from eqlib.framework.model import load_framework
    except ImportError:
        return None
    for s in load_framework().sections:
        if s.id == section:
            return s.name
    return None


def section_data_status(ctx: Context, notebook: str) -> list[Block]:
    """A table: every measure this section shows, the data behind it and the period ("latest available")."""
    rows = []
    for measure_id in SECTION_MEASURES.get(notebook, ()):
        st = measure_status(ctx, measure_id)
        rows.append(
            {
                "Measure": _sentence_case(st.title),
                "Data": st.source if st.available else "none",
                "Period shown": st.label,
            }
        )
    if not rows:
        return []
    gaps = sum(r["Period shown"] == "no data" for r in rows)
    earlier = sum(r["Period shown"].startswith("latest available") for r in rows)
    text = (
        f"Of the {len(rows)} measures this section reports, {len(rows) - gaps} have data for {ctx.name}"
        + (f' ({earlier} only for an earlier year, labelled "latest available")' if earlier else "")
        + (f" and {gaps} have none (listed as evidence gaps below)." if gaps else ".")
    )
    return [
        Markdown(text),
        Table(
            pd.DataFrame(rows),
            f"Measures in this section, the data behind them and the period shown, "
            f"{ctx.name} {ctx.year_display}",
            f"{notebook.split('_', 1)[1]}-data",
        ),
    ]


def evidence_gaps(ctx: Context, notebook: str) -> list[Block]:
    """The section's evidence gaps: measures with no data, and the framework criteria they would evidence."""
    gaps = [measure_status(ctx, m) for m in SECTION_MEASURES.get(notebook, ())]
    gaps = [g for g in gaps if not g.available]
    if not gaps:
        return [
            Markdown(f"Every measure this section reports has data for {ctx.name}."),
            *_section_criteria_gaps(ctx, notebook),
        ]
    criteria = catalogue.criteria_by_measure()
    rows = []
    for g in gaps:
        try:
            needs = [d for d in catalogue.get_measure(g.measure).datasets if d not in _POPULATION_DATASETS]
        except KeyError:
            needs = []
        from eqlib import wording

        rows.append(
            {
                "Measure": _sentence_case(g.title),
                "Framework criteria it would evidence": ", ".join(criteria.get(g.measure, ()))
                or "none mapped",
                "Data needed": _sentence_case(wording.dataset_names(needs)) or "not specified",
            }
        )
    n = len(gaps)
    text = (
        f"{n} {'measure' if n == 1 else 'measures'} this section asks for {'has' if n == 1 else 'have'} no "
        f"data for {ctx.name}."
    )
    note_for_analyst(
        ctx,
        "Local figures fill these gaps: use the templates in `data/templates/` and check each "
        "file with `eqlib data validate FILE`.",
    )
    return [
        Markdown(text),
        Table(
            pd.DataFrame(rows),
            f"Evidence gaps: measures with no data for {ctx.name}, {ctx.year_display}",
            f"{notebook.split('_', 1)[1]}-gaps",
        ),
        *_section_criteria_gaps(ctx, notebook),
    ]


def _section_criteria_gaps(ctx: Context, notebook: str) -> list[Block]:
    """The framework criteria of this section that need data the area lacks (:mod:`eqlib.framework.evidence`)."""
    section = NOTEBOOKS[notebook][1]
    if section is None:
        return []
    from eqlib.framework.evidence import evidence_gaps as fw_gaps

    gaps = fw_gaps(_available_measures(ctx))
    gaps = gaps[gaps["section"] == section]
    if gaps.empty:
        return [
            Markdown("Every framework criterion in this section that needs data is supported by the data.")
        ]
    table = pd.DataFrame(
        {
            "Criterion": gaps["criterion"].values,
            "Theme": ("Theme " + gaps["theme"].astype(str) + ": " + gaps["theme_name"]).values,
            "Status": gaps["status"].values,
            "Missing measures": gaps["missing_titles"].values,
        }
    )
    n = len(gaps)
    return [
        Markdown(
            f"{n} framework {'criterion' if n == 1 else 'criteria'} in this section "
            f"{'needs' if n == 1 else 'need'} data that {ctx.name} does not have (in full or in part):"
        ),
        Table(
            table,
            f"Framework criteria in this section not (fully) supported by the data, {ctx.name} "
            f"{ctx.year_display}",
            f"{notebook.split('_', 1)[1]}-criteria-gaps",
        ),
    ]


# --------------------------------------------------------------------------- builders: population
def _population_dataset(ctx: Context) -> str:
    """Census 2021 for periods from April 2021, Census 2011 before (as the Home Office does)."""
    return "population_census2021" if ctx.period.start >= date(2021, 4, 1) else "population_census2011"


_GROUP_ORDER = ("Asian", "Black", "Mixed", "White", "Other", "Not stated")


def _order_groups(frame: pd.DataFrame, column: str = "group") -> pd.DataFrame:
    order = {g: i for i, g in enumerate(_GROUP_ORDER)}
    return (
        frame.assign(_o=frame[column].map(lambda g: order.get(g, 99)))
        .sort_values(["_o", column])
        .drop(columns="_o")
    )


def population_profile(ctx: Context) -> list[Block]:
    """The area's resident population by broad ethnic group (the denominators of every rate)."""
    dataset = _population_dataset(ctx)
    frame = load(ctx, dataset)
    census = "Census 2021" if dataset.endswith("2021") else "Census 2011"
    if frame is None or frame[frame["area_code"] == ctx.area.code].empty:
        return [
            Markdown(f"**No data.** The {census} population of {ctx.name} by ethnic group is not available.")
        ]
    rows = frame[frame["area_code"] == ctx.area.code]
    by_group = rows.groupby("group", as_index=False)["count"].sum()
    by_group = _order_groups(by_group)
    total = by_group["count"].sum()
    by_group["share"] = 100 * by_group["count"] / total
    minority = by_group.loc[by_group["group"] != "White", "count"].sum()
    largest = by_group[by_group["group"] != "White"].nlargest(1, "count")
    text = (
        f"At the {census}, {fg.fmt_number(total)} people lived in {ctx.name}. "
        f"{fg.fmt_number(100 * minority / total, digits=1)}% were from ethnic minority groups "
        f"(all groups other than White)"
    )
    if not largest.empty:
        text += (
            f"; the largest was {largest['group'].iloc[0]} "
            f"({fg.fmt_number(largest['share'].iloc[0], digits=1)}%)"
        )
    text += (
        f". These are the denominators of the rates in this report ({census} "
        f"{'for periods from April 2021' if census == 'Census 2021' else 'for periods before April 2021'})."
    )
    fig, alt = fg.bar_chart(
        by_group.assign(share=by_group["share"].round(1)),
        category="group",
        value="share",
        measure="share of usual residents by broad ethnic group (per cent)",
        area_name=ctx.name,
        period_label=census,
        unit="Per cent of usual residents",
    )
    table = by_group.rename(
        columns={"group": "Ethnic group", "count": "Usual residents", "share": "Per cent"}
    )
    table["Usual residents"] = table["Usual residents"].astype("int64")
    return [
        Markdown(text),
        Chart(
            fig,
            "population-by-ethnicity",
            f"Usual residents by broad ethnic group, {ctx.name}, {census}",
            alt,
        ),
        Table(
            table,
            f"Usual residents by broad ethnic group, {ctx.name}, {census} (ONS)",
            "population-by-ethnicity",
        ),
    ]


# --------------------------------------------------------------------------- builders: measures
MeasureBuilder = Callable[[Context, MeasureStatus], list[Block]]
#: chart kind (the ``chart`` of a catalogue entry, :data:`eqlib.measures.model.CHART_KINDS`) -> its builder
_CHARTS: dict[str, MeasureBuilder] = {}


def chart_kind(kind: str) -> Callable[[MeasureBuilder], MeasureBuilder]:
    """Register how a chart kind is shown (the default, ``"default"``, is :func:`show_measure`)."""

    def wrap(func: MeasureBuilder) -> MeasureBuilder:
        _CHARTS[kind] = func
        return func

    return wrap


def _builder_of(measure_id: str) -> MeasureBuilder:
    try:
        kind = catalogue.get_measure(measure_id).chart
    except KeyError:
        kind = "default"
    return _CHARTS.get(kind, show_measure)


def measure_blocks(ctx: Context, measure_ids: Sequence[str]) -> list[Block]:
    """Show each measure where data exist (chart, table, sentences); say plainly where they do not."""
    blocks: list[Block] = []
    for measure_id in measure_ids:
        st = measure_status(ctx, measure_id)
        if not st.available:
            blocks.append(Markdown(_no_data_sentence(ctx, st)))
            continue
        blocks.extend(_builder_of(measure_id)(ctx, st))
    return blocks


_UNITS = {"per 1,000": "per 1,000", "ratio": "ratio", "%": "%", "count": "count", "index": "index"}
_NOT_RATE_GROUPS = {"Not stated", "All"}


def _unit(measure_id: str, frame: pd.DataFrame | None = None) -> str:
    """The measure's unit from the registry; a "count" measure the analysis turned into a rate (e.g. Taser
    uses per 1,000 people, with a Poisson interval) is shown as the rate it is."""
    try:
        unit = catalogue.get_measure(measure_id).unit
    except KeyError:
        unit = "ratio" if measure_id.endswith(("_benchmark", "_disparity")) else "count"
    if unit == "count" and frame is not None and len(frame) and "method" in frame.columns:
        method = " ".join(frame["method"].dropna().astype(str).unique()).lower()
        if "poisson" in method or "per 1,000" in method:
            return "per 1,000"
    return unit


def _label(measure_id: str) -> str:
    return measure_id.replace("_", "-")


def _period_words(st: MeasureStatus) -> str:
    return st.label if st.status == "current" else st.label.replace("latest available: ", "")


def _caveat_text(frame: pd.DataFrame) -> str:
    from eqlib.metrics import caveats as cv

    codes: set[str] = set()
    for value in frame.get("caveats", pd.Series(dtype=object)):
        if isinstance(value, (tuple, list, set, frozenset)):
            codes.update(str(v) for v in value)
    codes.discard("suppressed")
    texts = []
    for code in sorted(codes):
        try:
            texts.append(cv.text(code))
        except KeyError:
            texts.append(code.replace("_", " "))
    return " ".join(texts)


def _latest_note(ctx: Context, st: MeasureStatus) -> str:
    if st.status == "current":
        return ""
    return f" There are no figures for {ctx.year_display}."


def _reference_of(frame: pd.DataFrame) -> str:
    refs = [
        r for r in frame.get("reference_group", pd.Series(dtype=object)).dropna().astype(str).unique() if r
    ]
    return refs[0] if len(refs) == 1 else "White"


def _sentence(row: dict[str, Any], *, with_source: bool = True) -> str:
    """:func:`eqlib.narrative.sentence` for a figure; a ratio of zero (no events in the group) is said plainly,
    since "X times as likely" has no meaning there."""
    from eqlib import narrative

    value = row.get("value")
    if value is not None and pd.notna(value) and float(value) <= 0 and row.get("reference_group"):
        when = analysis_period_words(str(row.get("period", "")))
        return escape.markdown_text(
            f"In {when} no {_lower_first(_measure_title(str(row.get('measure', ''))))} figure was recorded "
            f"for the {row.get('group')} group in {row.get('area_name')}, so no ratio to "
            f"{row.get('reference_group')} can be given."
        )
    # plain text built from data (group labels may come from an analyst's file): escaped as markdown
    return escape.markdown_text(
        narrative.sentence(row, with_caveats=False) + (_source_words(row) if with_source else "")
    )


def _source_words(row: dict[str, Any]) -> str:
    """Every headline sentence names its source and period (issue 9): " (Source: ..., 2022/23.)"."""
    source = str(row.get("source", "") or "")
    if not source or source == "nan":
        return ""
    return f" (Source: {source}; {analysis_period_words(str(row.get('period', '')))}.)"


def analysis_period_words(label: str) -> str:
    try:
        return analysis.display_period(label)
    except Exception:  # noqa: BLE001 - a label that does not parse is shown as it is
        return label


def figure_table(frame: pd.DataFrame, unit: str) -> pd.DataFrame:
    """A figure frame as a display table: group, stage, count, denominator, value, 95% interval.

    A suppressed figure ([c]) shows its symbol for the count and the value, never the number.
    """
    out = pd.DataFrame({"Group": frame["group"].astype(str).values})
    if "stage" in frame.columns and frame["stage"].notna().any():
        out.insert(0, "Stage", frame["stage"].astype(str).values)
    symbols = (
        frame["symbol"].fillna("").astype(str).values if "symbol" in frame.columns else [""] * len(frame)
    )
    if "count" in frame.columns and frame["count"].notna().any():
        out["Count"] = [
            sym if sym == "[c]" or (pd.isna(v) and sym) else fg.fmt_number(v, digits=0)
            for v, sym in zip(frame["count"], symbols, strict=True)
        ]
    if "denominator" in frame.columns and frame["denominator"].notna().any():
        out["Denominator"] = [
            fg.fmt_number(v, digits=0) if pd.notna(v) else "[x]" for v in frame["denominator"]
        ]
    heading = {
        "per 1,000": "Rate per 1,000",
        "ratio": "Ratio",
        "%": "Per cent",
        "index": "Index",
        "count": "Value",
        "bounds": "Ratio",
    }.get(unit, "Value")
    if (
        unit != "count"
        or "Count" not in out.columns
        or not np.allclose(
            frame["value"].fillna(-1).to_numpy(dtype=float), frame["count"].fillna(-1).to_numpy(dtype=float)
        )
    ):
        out[heading] = [
            fg.fmt_number(v, digits=None if unit != "count" else 0, symbol=sym if pd.isna(v) else "")
            for v, sym in zip(frame["value"], symbols, strict=True)
        ]
    if "ci_low" in frame.columns and frame["ci_low"].notna().any():
        name = "Lower to upper bound" if unit == "bounds" else "95% CI"
        out[name] = [
            f"{fg.fmt_number(lo)} to {fg.fmt_number(hi)}" if pd.notna(lo) and pd.notna(hi) else (sym or "[x]")
            for lo, hi, sym in zip(frame["ci_low"], frame["ci_high"], symbols, strict=True)
        ]
    return out


def _measure_tables(ctx: Context, st: MeasureStatus, unit: str, period: str) -> list[Block]:
    """One table per figure in the frame: the measure itself, then its companions (ratios, bounds, shares)."""
    blocks: list[Block] = []
    for measure_id, sub in st.frame.groupby("measure", sort=False):
        if measure_id == st.measure:
            what, sub_unit, label = _sentence_case(st.title), unit, _label(st.measure)
        else:
            suffix = (
                str(measure_id)[len(st.measure) :]
                if str(measure_id).startswith(st.measure)
                else str(measure_id)
            )
            name, sub_unit = COMPANIONS.get(suffix, (suffix.strip("_").replace("_", " "), "ratio"))
            what, label = f"{_sentence_case(st.title)}: {name}", _label(st.measure) + _label(suffix)
        blocks.append(
            Table(
                figure_table(sub.reset_index(drop=True), sub_unit),
                f"{what}, {ctx.name}, {period}. Source: {st.source}",
                label,
            )
        )
    return blocks


def show_measure(ctx: Context, st: MeasureStatus) -> list[Block]:
    """The default display: a sentence per key figure, a chart with intervals where it fits, a table."""

    frame = st.frame
    unit = _unit(st.measure, frame[frame["measure"] == st.measure])
    main = frame[frame["measure"] == st.measure].reset_index(drop=True)
    if main.empty:
        main = frame
    period = _period_words(st)
    blocks: list[Block] = [
        Markdown(f"**{_sentence_case(st.title)}**, {ctx.name}, {st.label}.{_latest_note(ctx, st)}")
    ]
    if st.measure.endswith(("_disparity", "_not_stated_share")) or unit == "ratio":
        rows = main[main["group"] != main.get("reference_group", "")]
        sentences = [_sentence(r) for r in rows.to_dict("records") if pd.notna(r.get("value"))]
        if sentences:
            blocks.append(Markdown("\n".join(f"- {t}" for t in sentences)))
    chart = None
    plot = main[~main["group"].isin(_NOT_RATE_GROUPS)] if unit == "per 1,000" else main
    if "stage" in plot.columns and plot["stage"].notna().any():
        plot = None  # indices across stages: the table says it better
    if plot is not None and len(plot) and plot["value"].notna().any() and plot["group"].is_unique:
        measure_words = _lower_first(st.title)
        if unit == "ratio":
            representation = "representation" in st.measure
            fig, alt = fg.ratio_chart(
                plot,
                measure=measure_words,
                area_name=ctx.name,
                period_label=period,
                reference_text="a share of the workforce equal to the group's share of the population"
                if representation
                else f"the same rate as {_reference_of(plot)} people",
            )
        elif unit in ("per 1,000", "%"):
            fig, alt = fg.interval_chart(
                plot, measure=measure_words, unit=unit, area_name=ctx.name, period_label=period
            )
        elif unit == "count":
            fig, alt = fg.bar_chart(
                plot,
                category="group",
                value="value",
                measure=measure_words,
                area_name=ctx.name,
                period_label=period,
                digits=0,
            )
        else:
            fig = None
        if fig is not None:
            chart = Chart(fig, _label(st.measure), f"{_sentence_case(st.title)}, {ctx.name}, {period}", alt)
    if chart is not None:
        blocks.append(chart)
    blocks.extend(_measure_tables(ctx, st, unit, period))
    caveats = _caveat_text(frame)
    if caveats:
        blocks.append(Markdown(f"*Notes:* {caveats}"))
    return blocks


@chart_kind("trend")
def _show_trend(ctx: Context, st: MeasureStatus) -> list[Block]:
    """The disparity over every year of data for the area, with the fitted change per year."""
    ratios = compute_measure(ctx, "stop_search_disparity")
    ratios = ratios[
        (ratios["area_code"] == ctx.area.code)
        & (ratios["measure"] == "stop_search_disparity")
        & (ratios["period"].map(analysis.period_end) <= pd.Timestamp(ctx.period.end))
    ]
    if "source" in ratios.columns and "source" in st.frame.columns and len(st.frame):
        same = ratios[ratios["source"] == st.frame["source"].iloc[0]]  # the trend's own source's ratios
        ratios = same if same["period"].nunique() >= 2 else ratios
    ratios = analysis.suppress(ratios.reset_index(drop=True), threshold=ctx.threshold)
    ratios = ratios[ratios["group"] != "All ethnic minority groups"]
    blocks: list[Block] = [Markdown(f"**{_sentence_case(st.title)}**, {ctx.name}, {st.label}.")]
    if ratios["period"].nunique() >= 2:
        fig, alt = fg.trend_chart(
            ratios,
            measure="stop and search disparity ratio to White",
            area_name=ctx.name,
            unit="Ratio to White (1 = same rate)",
        )
        blocks.append(
            Chart(
                fig,
                "stop-search-disparity-trend",
                f"Stop and search disparity ratio to White by year, {ctx.name}",
                alt,
            )
        )

    sentences = [_sentence(r) for r in st.frame.to_dict("records") if pd.notna(r.get("value"))]
    if sentences:
        blocks.append(Markdown("\n".join(f"- {t}" for t in sentences)))
    else:
        blocks.append(
            Markdown(
                "The change per year could not be estimated reliably for any group (see the table's symbols)."
            )
        )
    blocks.append(
        Table(
            figure_table(st.frame, "ratio"),
            f"Change in the stop and search disparity per year (factor), {ctx.name}, {st.label}",
            "stop-search-trend",
        )
    )
    return blocks


#: the funnel plot's x axis in plain English (it is the ratio's precision, 1 / variance of its log: the methods
#: appendix says so)
FUNNEL_X_LABEL = "How precise the area's ratio is: further right = based on more people (the limits narrow)"


def _funnel_blocks(ctx: Context, st: MeasureStatus, what: str) -> list[Block]:
    from eqlib.metrics.benchmark import funnel_curve

    allf = compute_measure(ctx, st.measure)
    period = st.frame["period"].iloc[0]
    allf = allf[(allf["period"] == period) & allf["value"].notna() & allf["precision"].notna()]
    if "source" in allf.columns and "source" in st.frame.columns:  # one source in one funnel
        allf = allf[allf["source"] == st.frame["source"].iloc[0]]
    mine = allf[allf["area_code"] == ctx.area.code]
    if allf.empty or mine.empty:
        return [Markdown(f"{_sentence_case(what)}: not enough data to compare {ctx.name} with other areas.")]
    target = float(allf["target"].iloc[0])
    tau2 = float(allf["tau2"].iloc[0]) if "tau2" in allf.columns and pd.notna(allf["tau2"].iloc[0]) else 0.0
    grid = np.geomspace(max(allf["precision"].min() * 0.8, 1e-3), allf["precision"].max() * 1.25, 120)
    limits = funnel_curve(target, grid, kind="ratio", tau2=tau2).rename(columns={"precision": "x"})
    plot = allf.drop(columns=["denominator"]).rename(columns={"precision": "denominator"})
    label = analysis.display_period(period)
    fig, alt = fg.funnel_plot(
        plot, limits, measure=what, highlight=ctx.area.code, period_label=label, x_label=FUNNEL_X_LABEL
    )
    row = mine.iloc[0]
    text = (
        f"In {label}, the {what} in {ctx.name} was {fg.fmt_number(row['value'])} against "
        f"{fg.fmt_number(target)} for all force areas together: {row.get('position', '')} the funnel's "
        f"limits (95% and 99.8%, widened for overdispersion between areas).{_latest_note(ctx, st)}"
    )
    caveats = _caveat_text(mine)
    return [
        Markdown(text + (f" *Notes:* {caveats}" if caveats else "")),
        Chart(
            fig,
            _label(st.measure),
            f"{_sentence_case(what)} in every police force area, {label}, with {ctx.name} highlighted",
            alt,
        ),
    ]


@chart_kind("funnel")
def _show_funnel(ctx: Context, st: MeasureStatus) -> list[Block]:
    """A funnel plot of the measure's ratio in every force area (what it compares: the entry's ``headline``)."""
    return _funnel_blocks(ctx, st, catalogue.get_measure(st.measure).headline)


# --------------------------------------------------------------------------- builders: data and methods
def _public_path(path: Path, root: Path) -> str:
    """A file as the published report names it: relative to the project (``params/x.yml``), never a folder
    of the machine that built the report."""
    path, root = Path(path).resolve(), Path(root).resolve()
    if path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    return f"{path.parent.name}/{path.name}" if path.parent.name == "params" else path.name


def parameters_summary(ctx: Context) -> list[Block]:
    """The run's parameters, stated for the record."""
    params = _public_path(ctx.params_file, ctx.root) if ctx.params_file else "none"
    text = (
        f"Area **{ctx.name}** (ONS code {ctx.area.code}); financial year **{ctx.year_display}** "
        f"(1 April {ctx.period.start.year} to 31 March {ctx.period.end.year}); params file {escape.code_span(params)}; "
        f"counts under **{ctx.threshold}** are suppressed in every table and chart; eqlib version "
        f"{__version__}."
    )
    return [Markdown(text)]


def _manifest(ctx: Context) -> dict[str, Any]:
    import yaml

    path = ctx.data_dir / "manifest.yml"
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _breakable(text: str, *, longer_than: int = 18) -> str:
    """Text whose long words (file names, paths, ``(see SOURCE.txt)``) may wrap after ``/ _ - .`` (a
    zero-width space there), so they stay inside a table column in the PDF and on a phone; the text reads and
    prints the same. Plain text: the table cell escapes it as markdown (``__December_2016__`` stays literal)."""

    def wrap(word: str) -> str:
        return re.sub(r"([/_\-.])(?=.)", "\\1\u200b", word) if len(word) > longer_than else word

    return " ".join(wrap(word) for word in str(text).split(" "))


def data_sources(ctx: Context) -> list[Block]:
    """Every source the report uses (publisher, title, period, licence) and every data file's checksum."""
    manifest = _manifest(ctx)
    sources = manifest.get("sources") or {}
    if not sources:
        note_for_analyst(ctx, "`data/manifest.yml` is missing: run `eqlib data check`.")
        return [Markdown("The data manifest is missing, so sources and checksums cannot be listed.")]
    rows, files = [], []
    n_files = 0
    for name, entry in sorted(sources.items()):
        entry = entry or {}
        rows.append(
            {
                "Source": _breakable(name),
                "Publisher": _breakable(str(entry.get("publisher", ""))),
                "Title": _breakable(str(entry.get("title", ""))),
                "Period": str(entry.get("period", "")),
                "Licence": _breakable(str(entry.get("licence", "")), longer_than=9),
            }
        )
        data_files = [
            f for f in entry.get("files") or [] if isinstance(f, dict) and f.get("kind", "data") == "data"
        ]
        n_files += len(data_files)
        if len(data_files) <= 5:
            files.extend(
                {
                    "File": _breakable(str(f.get("path", "")), longer_than=0),
                    "sha256 (first 16 characters)": str(f.get("sha256", ""))[:16],
                }
                for f in data_files
            )
        else:
            files.append(
                {
                    "File": f"{name}/ ({len(data_files)} files)",
                    "sha256 (first 16 characters)": "one per file in data/manifest.yml",
                }
            )
    attributions = sorted({str(v) for v in (manifest.get("attribution") or {}).values()})
    text = (
        f"The report draws on {len(rows)} sources ({n_files} data files), each file recorded in "
        "the project's data manifest with its SHA-256 checksum, so anyone can check that the figures come "
        "from the files as published. " + " ".join(attributions)
    )
    return [
        Markdown(text),
        Table(pd.DataFrame(rows), "Data sources: publisher, title, period and licence", "data-sources"),
        Table(
            pd.DataFrame(files),
            "Data files and their checksums (full values in data/manifest.yml)",
            "data-files",
        ),
    ]


def methods(ctx: Context) -> list[Block]:
    """The statistical methods in plain English (the methods reference is docs/METHODS)."""
    census = "Census 2021" if _population_dataset(ctx).endswith("2021") else "Census 2011"
    text = "\n".join(
        [
            f"- **Rates** are per 1,000 usual residents of each ethnic group ({census} populations for "
            f"{ctx.year_display}), with exact Poisson 95% confidence intervals.",
            "- **Disparity ratios** compare a group's rate with the White group's, computed from unrounded rates, "
            "with a 95% confidence interval (score method; exact conditional for small counts).",
            "- **Proportions** such as the share of searches leading to arrest have Wilson 95% intervals.",
            "- **Trends** in a disparity use a Poisson regression with a year-by-group term (at least three years).",
            "- **Funnel plots** compare the area with all force areas against 95% and 99.8% control limits "
            "(Spiegelhalter 2005). Across the chart is how precise each area's figure is (1 / variance of the log "
            "ratio): areas further right have figures based on more people, so their limits are narrower.",
            f"- **Small numbers**: counts under {ctx.threshold} are suppressed ([c]), with secondary suppression so "
            "they cannot be worked out from totals. [x] means not available, [z] not applicable, [u] low reliability.",
            "- A dataset without figures for the report year is shown for its latest earlier period, labelled "
            '"latest available"; a dataset with nothing for the area is listed as an evidence gap.',
        ]
    )
    return [Markdown(text)]


# --------------------------------------------------------------------------- builders: coverage
_INTERNAL_DATASETS = {"stop_search_policeuk_records", "stop_search_policeuk_coverage"}


def coverage_table(ctx: Context) -> list[Block]:
    """Every dataset eqlib reads: the period a report for this area and year uses, or that it has none."""
    from eqlib import sources

    rows = []
    for dataset_id, ds in sources.datasets().items():
        if dataset_id in _INTERNAL_DATASETS:
            continue
        sel = dataset_status(ctx, dataset_id)
        rows.append(
            {
                "Dataset": ds.title,
                "Period shown": sel.label + (f" ({sel.note})" if sel.note and sel.available else ""),
                "Note": "" if sel.available else sel.note,
            }
        )
    if not rows:
        return [Markdown("No dataset loaders are registered.")]
    frame = pd.DataFrame(rows)
    current = sum(r["Period shown"].startswith(ctx.year_display) for r in rows)
    earlier = sum(r["Period shown"].startswith("latest available") for r in rows)
    none = len(rows) - current - earlier
    text = (
        f"Of {len(rows)} datasets, {current} have figures for {ctx.name} for {ctx.year_display}, {earlier} "
        f'only for an earlier period (shown as "latest available") and {none} have nothing for '
        f"{ctx.name} up to {ctx.year_display}."
    )
    return [
        Markdown(text),
        Table(frame, f"Datasets and the period shown for {ctx.name}, {ctx.year_display}", "coverage"),
    ]


def coverage_summary(ctx: Context) -> list[Block]:
    """How many of the measures the framework sections ask for have data; the gaps by section."""
    lines = []
    total = have = 0
    for notebook, measure_ids in SECTION_MEASURES.items():
        statuses = [measure_status(ctx, m) for m in measure_ids]
        ok = [s for s in statuses if s.available]
        total += len(statuses)
        have += len(ok)
        missing = [s.title for s in statuses if not s.available]
        line = f"- *{NOTEBOOKS[notebook][0]}*: {len(ok)} of {len(statuses)} measures have data"
        if missing:
            line += "; no data for " + "; ".join(_lower_first(m) for m in missing)
        lines.append(line + ".")
    head = (
        f"{have} of the {total} measures the framework sections ask for have data for {ctx.name} "
        f"(for {ctx.year_display} or the latest earlier year). Each section lists its evidence gaps."
    )
    return [Markdown(head + "\n\n" + "\n".join(lines))]


# --------------------------------------------------------------------------- builders: overview
def key_figures(ctx: Context) -> list[Block]:
    """The area's key figures as sentences: population, then the headline disparities."""

    blocks: list[Block] = []
    pop = population_profile(ctx)
    if pop and isinstance(pop[0], Markdown):
        blocks.append(Markdown(pop[0].text.split(" These are the denominators")[0]))
    items = []
    for measure_id in _HEADLINE_MEASURES:
        st = measure_status(ctx, measure_id)
        if not st.available:
            continue
        rows = st.frame[(st.frame["measure"] == measure_id) & st.frame["group"].isin(_HEADLINE_GROUPS)]
        # the source and period follow in the figure's context line, so not in each sentence
        sentences = [
            _sentence(row, with_source=False) for row in rows.to_dict("records") if pd.notna(row.get("value"))
        ]
        if sentences:
            items.append(
                f"- **{catalogue.get_measure(measure_id).headline}.** "
                + " ".join(sentences)
                + " "
                + _figure_context(ctx, st, rows)
            )
    if items:
        blocks.append(Markdown(CI_EXPLAINED + "\n\n" + "\n".join(items)))
    else:
        blocks.append(
            Markdown(
                f"No disparity figures are available for {ctx.name} for {ctx.year_display} or "
                "any earlier year."
            )
        )
    blocks.extend(coverage_summary(ctx))
    return blocks


#: the overview explains the interval once, in plain words, before the key figures
CI_EXPLAINED = (
    "Each figure below comes with a *95% confidence interval* (95% CI): the range the true value "
    "very probably lies in, given how many people the figure is based on. A ratio whose whole interval "
    "is above 1 is very unlikely to be down to chance."
)


def _figure_context(ctx: Context, st: MeasureStatus, rows: pd.DataFrame) -> str:
    """Source, period and caveat of a key figure, in plain words."""
    period = _period_words(st)
    when = (
        f"{period}"
        if st.status == "current"
        else f"{period}, the latest available (there are no figures for {ctx.year_display} yet)"
    )
    caveat = _caveat_text(rows) or "none beyond the interval itself."
    row_sources = rows["source"].dropna().astype(str) if "source" in rows else pd.Series(dtype=str)
    source = row_sources.iloc[0] if len(row_sources) and row_sources.iloc[0] else st.source
    if source.endswith("ONS Census"):  # the Census whose populations are the denominators for this period
        source += (
            " 2021"
            if pd.Timestamp(analysis_period_end(str(rows["period"].iloc[0]))).year >= 2022
            else " 2011"
        )
    source = source.replace("; ", " and ").replace("ONS Census", "population from the ONS Census")
    return f"*Source:* {source}. *Period:* {when}. *Caveat:* {caveat}"


def analysis_period_end(label: str):
    return analysis.period_end(label)


#: the measures whose sentences the overview gives, in order (catalogue entries with a ``headline``), and for
#: which groups
_HEADLINE_MEASURES = catalogue.headline_measures()
_HEADLINE_GROUPS = ("Black", "All ethnic minority groups")


def main_disparities(ctx: Context) -> list[Block]:
    """The overview's chart of the main disparities: ratios to White with 95% intervals, by power."""
    frames = []
    for measure_id in _HEADLINE_MEASURES:
        st = measure_status(ctx, measure_id)
        if not st.available:
            continue
        rows = st.frame[
            (st.frame["measure"] == measure_id) & (st.frame["group"] != "All ethnic minority groups")
        ].copy()
        rows["colour_group"] = rows["group"]
        rows["group"] = f"{catalogue.get_measure(measure_id).headline} ({_period_words(st)}): " + rows["group"].astype(str)
        frames.append(rows)
    if not frames:
        return [
            Markdown(
                f"No disparity ratios can be computed for {ctx.name} for {ctx.year_display} or any "
                "earlier year."
            )
        ]
    data = pd.concat(frames, ignore_index=True)
    fig, alt = fg.ratio_chart(
        data,
        measure="disparity ratio to White by ethnic group and power",
        area_name=ctx.name,
        colour_column="colour_group",
    )
    return [
        Chart(
            fig,
            "main-disparities",
            f"Disparity ratios to White with 95% confidence intervals, "
            f"{ctx.name}, latest year of each source",
            alt,
        )
    ]


#: the force areas in Wales, whose reports say a Welsh version can be requested (Welsh Language Standards)
WELSH_AREAS = frozenset({"dyfed-powys", "gwent", "north-wales", "south-wales"})


def _escape_markdown(text: str) -> str:
    """An analyst's text (params) as literal markdown: every markdown, HTML and Typst special character escaped."""
    import re

    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~^$@&\"'=:;])", r"\\\1", " ".join(str(text).split()))


def other_formats(ctx: Context) -> list[Block]:
    """Links to the PDF and the data tables (CSV, ODS) with descriptive text, a contact line for other formats
    (``contact`` in the params file, escaped) and, for the Welsh force areas, that a Welsh version can be asked for."""
    stem = f"{ctx.area.slug}-{ctx.year}-equality-information"
    lines = [
        f"- [Download this report as a PDF (tagged for screen readers)]({stem}.pdf)",
        f"- [Download the data tables as a spreadsheet (ODS, one sheet per table)](tables/{stem}.ods)",
        "- [The data tables as CSV files, one per table (folder)](tables/)",
    ]
    contact = ctx.params.get("contact")
    text = "This report is also available in other formats:\n\n" + "\n".join(lines)
    if contact:
        text += (
            f"\n\nTo ask for this report in another format (for example large print, easy read or audio), "
            f"contact {_escape_markdown(contact)}."
        )
    else:
        text += "\n\nTo ask for this report in another format, contact the publisher named on the title page."
        note_for_analyst(
            ctx, "Add `contact:` (an email address or phone number for other formats) to the params file."
        )
    if ctx.area.slug in WELSH_AREAS:
        # the Welsh wording is the OPCC's to write (no machine translation): the offer is made in English
        text += "\n\nA Welsh language version of this report can be requested" + (
            f" from {_escape_markdown(contact)}." if contact else "."
        )
    return [Markdown(text)]


def relabel(blocks: list[Block], prefix: str) -> list[Block]:
    """The same blocks with ``prefix-`` on every chart and table label (the overview repeats figures that a
    section also shows; cross-reference ids must be unique in the report)."""
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Chart):
            block = Chart(block.fig, f"{prefix}-{block.label}", block.caption, block.alt)
        elif isinstance(block, Table):
            block = Table(block.frame, block.caption, f"{prefix}-{block.label}", block.options)
        out.append(block)
    return out


def benchmark(ctx: Context) -> list[Block]:
    """The area against all force areas (funnel plot): stop and search where it exists, else arrests."""
    for measure_id in catalogue.benchmark_measures():
        st = measure_status(ctx, measure_id)
        if st.available:
            return relabel(measure_blocks(ctx, [measure_id]), "overview")
    return [
        Markdown(
            f"No figures compare {ctx.name} with other force areas for {ctx.year_display} or any "
            "earlier year."
        )
    ]


# --------------------------------------------------------------------------- builders: framework
def framework_params(ctx: Context):
    """The validated framework params (self-assessment, objectives) for the area and year.

    The params file named in the context if it is an area-year file, else the defaults for this
    area and year (no self-assessment, no objectives).
    """
    if "_fw" in ctx._frames:
        return ctx._frames["_fw"]
    from eqlib.framework import params as fw_params

    if ctx.params_file is not None and ctx.params_file.name != "defaults.yml":
        result = fw_params.load_params(ctx.params_file)
    else:
        result = fw_params.params_for(ctx.area.slug, ctx.year, ctx.root)
    ctx._frames["_fw"] = result  # type: ignore[assignment]
    return result


def _params_name(ctx: Context) -> str:
    if ctx.params_file is None:
        return "no params file"
    try:
        return escape.code_span(ctx.params_file.relative_to(ctx.root))
    except ValueError:
        return escape.code_span(ctx.params_file)


def _example_warning(ctx: Context) -> list[Block]:
    """Where the params are marked ``example: true``: say so beside the self-assessment and objectives
    (every page carries the banner of :func:`example_banner` too); the analyst is told which file."""
    fw = framework_params(ctx)
    if getattr(fw, "example", False):
        note_for_analyst(
            ctx,
            f"The params file {_params_name(ctx)} is marked `example: true`: replace its "
            "self-assessment and objectives with the OPCC's own and remove the marker before "
            "publication (`eqlib build` refuses it without `--allow-example`).",
        )
        return [
            Markdown(
                "**Example content.** The self-assessment and objectives below are illustrative, not the "
                "OPCC's assessment."
            )
        ]
    return []


def maturity_grid(ctx: Context, *, brief: bool = False) -> list[Block]:
    """The self-assessment: the maturity grid chart (16 themes x 3 levels, by section) and its table
    (``brief``: the overview's chart alone, with labels of its own)."""
    from eqlib.framework import load_framework
    from eqlib.framework import summaries as fw_summaries

    fw = framework_params(ctx)
    framework = load_framework()
    assessment = fw.self_assessment
    if not assessment.themes:
        note_for_analyst(
            ctx,
            f"No self-assessment in {_params_name(ctx)}: add a `self_assessment` section to "
            f"`params/{ctx.area.slug}-{ctx.year}.yml` (see `params/south-wales-2021-22.yml`).",
        )
        return [
            Markdown(
                f"**No self-assessment.** No self-assessment against the APCC Equality Framework is "
                f"recorded for {ctx.name} for {ctx.year_display}, so no maturity grid can be shown."
            )
        ]
    table = fw_summaries.maturity_table(assessment, framework=framework)
    text = maturity_summary(table, len(framework.themes))
    fig, alt = fw_summaries.maturity_chart(
        assessment, framework=framework, area_name=ctx.name, year=ctx.year_display
    )
    chart = Chart(
        fig,
        "overview-maturity-grid" if brief else "maturity-grid",
        f"Maturity grid: descriptors met in each theme and level of the APCC Equality Framework, "
        f"{ctx.name} {ctx.year_display}",
        alt,
    )
    if brief:
        return [*_example_warning(ctx), Markdown(text), chart]
    return [
        *_example_warning(ctx),
        Markdown(text),
        chart,
        Table(
            table,
            f"Self-assessment against the APCC Equality Framework, {ctx.name} {ctx.year_display}",
            "maturity-grid",
        ),
    ]


def maturity_summary(table: pd.DataFrame, n_themes: int) -> str:
    """ "16 of the 16 themes have been self-assessed: 1 at Advancing, 5 at Achieving, 9 at Developing and 1 below
    Developing (16 Wellbeing)": every assessed theme counted once, so the parts add up to the whole, and a theme
    below Developing or not assessed named. ``table`` is :func:`eqlib.framework.summaries.maturity_table`."""
    levels = table["Level reached"]
    assessed = table[levels != "Not assessed"]
    parts = [
        f"{int((levels == lv).sum())} at {lv}"
        for lv in ("Advancing", "Achieving", "Developing")
        if (levels == lv).any()
    ]
    below = table.loc[levels == "Below Developing", "Theme"].tolist()
    if below:
        parts.append(f"{len(below)} below Developing ({'; '.join(below)})")
    summary = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else ""
    text = (
        f"{len(assessed)} of the {n_themes} themes have been self-assessed"
        + (f": {summary}" if summary else "")
        + "."
    )
    missing = table.loc[levels == "Not assessed", "Theme"].tolist()
    if missing and len(missing) <= 5:
        text += f" Not assessed: {'; '.join(missing)}."
    return text


def area_figures(ctx: Context) -> pd.DataFrame:
    """Every figure published for the area and year (each measure's selected period, suppressed)."""
    if "_figures" in ctx._frames:
        return ctx._frames["_figures"]
    from eqlib.metrics._frame import FIGURE_COLUMNS

    frames = [measure_status(ctx, m).frame for m in catalogue.national_ids()]
    frames = [f for f in frames if len(f)]
    result = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame({c: pd.Series(dtype=object) for c in FIGURE_COLUMNS})
    )
    ctx._frames["_figures"] = result
    return result


def latest_values(ctx: Context) -> pd.DataFrame:
    """The values of each measure for the area (columns measure, group, period, value), for objectives."""
    figures = area_figures(ctx)
    return figures[["measure", "group", "period", "value"]].dropna(subset=["value"]).reset_index(drop=True)


def _baseline_figure(ctx: Context, objective) -> float | None:
    """The published figure of the objective's measure and group for its baseline period, if the data have one."""
    if objective.measure not in catalogue.national_ids():
        return None
    # the figure the report would show for that period: one source, by the selection rule (analysis.select)
    sel = analysis.select(compute_measure(ctx, objective.measure), ctx.area.code, objective.baseline_period,
                          measure=objective.measure)
    if sel.status != "current" or sel.frame.empty or str(sel.period) != objective.baseline_period.label:
        return None
    published = analysis.suppress(sel.frame, threshold=ctx.threshold)
    rows = published[published["measure"] == objective.measure]
    if objective.group is not None:
        rows = rows[rows["group"] == objective.group]
    if len(rows) != 1:
        return None
    value = rows["value"].iloc[0]
    return float(value) if pd.notna(value) else None


def objectives_with_data_baselines(ctx: Context, objectives: Sequence[Any]) -> list[Any]:
    """The objectives with each baseline set to the figure the data give for its period, where they give one.

    An objective's baseline must agree with the figures the report shows (e.g. the trend chart's value for the
    baseline year): where the params file says otherwise, the data's figure is used, and the analyst is told
    (a baseline computed with other denominators is re-based this way, not compared like with unlike).
    Where the data have no figure for the baseline period (local data not supplied), the params' value stands.
    """
    import dataclasses

    from eqlib import wording

    out = []
    for objective in objectives:
        figure = _baseline_figure(ctx, objective)
        if figure is not None and wording.number(figure) != wording.number(objective.baseline_value):
            note_for_analyst(
                ctx,
                f"Objective {objective.id}: the params give a baseline of "
                f"{wording.number(objective.baseline_value)} for "
                f"{objective.baseline_period.display}, but the data give "
                f"{wording.number(figure)} for that period; the report uses the data's figure. "
                "Correct the baseline in the params file.",
            )
            objective = dataclasses.replace(objective, baseline_value=figure)
        out.append(objective)
    return out


def objectives_status(ctx: Context, *, brief: bool = False) -> list[Block]:
    """The equality objectives with their status computed from the data, and the rule used."""
    from eqlib.framework import STATUS_RULE, objective_status
    from eqlib.framework import summaries as fw_summaries

    fw = framework_params(ctx)
    if not fw.objectives:
        note_for_analyst(
            ctx,
            f"No equality objectives in {_params_name(ctx)}: add them under `objectives` "
            "(see `params/south-wales-2021-22.yml`).",
        )
        return [
            Markdown(
                f"**No equality objectives.** No equality objectives are recorded for {ctx.name} for "
                f"{ctx.year_display}."
            )
        ]
    status = objective_status(objectives_with_data_baselines(ctx, fw.objectives), latest_values(ctx))
    counts = status["status"].value_counts()
    text = (
        f"{ctx.name} has {len(status)} equality objective(s): "
        + ", ".join(
            f"{int(counts[s])} {s}" for s in ("achieved", "on track", "off track", "no data") if s in counts
        )
        + "."
    )
    table = fw_summaries.objectives_table(status)
    blocks: list[Block] = [*_example_warning(ctx), Markdown(text)]
    if brief:
        blocks.append(
            Table(
                table[["Objective", "Status"]],
                f"Equality objectives and their status, {ctx.name} {ctx.year_display}",
                "objectives-brief",
            )
        )
        return blocks
    if (status["status"] != "no data").any():
        fig, alt = fw_summaries.objectives_chart(status)
        blocks.append(
            Chart(
                fig,
                "objectives",
                f"Progress towards each equality objective's target against the "
                f"time elapsed, {ctx.name} {ctx.year_display}",
                alt,
            )
        )
    blocks.append(
        Table(
            table,
            f"Equality objectives, their targets and status, {ctx.name} {ctx.year_display}",
            "objectives",
        )
    )
    blocks.append(Markdown(f"How the status is decided: {STATUS_RULE}."))
    return blocks


def _available_measures(ctx: Context) -> list[str]:
    return [m for m in catalogue.measure_ids() if measure_status(ctx, m).available]


def framework_gaps(ctx: Context) -> list[Block]:
    """Criteria across the framework that need data the area does not have (chart by section and table)."""
    from eqlib.framework import summaries as fw_summaries
    from eqlib.framework.evidence import evidence_gaps as fw_gaps
    from eqlib.framework.evidence import evidence_status

    available = _available_measures(ctx)
    status = evidence_status(available)
    gaps = fw_gaps(available)
    counts = status["status"].value_counts()
    text = (
        f"Of the {len(status)} framework criteria that need data, "
        f"{int(counts.get('supported', 0))} are supported by the data for {ctx.name}, "
        f"{int(counts.get('partly supported', 0))} partly and {int(counts.get('gap', 0))} not at all."
    )
    fig, alt = fw_summaries.evidence_chart(status)
    blocks: list[Block] = [
        Markdown(text),
        Chart(
            fig,
            "evidence-by-section",
            f"Framework criteria that need data, "
            f"by section: supported, partly supported and gaps, {ctx.name} "
            f"{ctx.year_display}",
            alt,
        ),
    ]
    if not gaps.empty:
        blocks.append(
            Table(
                fw_summaries.evidence_gap_table(gaps),
                f"Evidence gaps: framework criteria the data "
                f"for {ctx.name} do not (fully) support, {ctx.year_display}",
                "framework-gaps",
            )
        )
    return blocks


def holding_to_account(ctx: Context) -> list[Block]:
    """Questions for the Chief Constable where a disparity is significant and not narrowing."""
    import importlib

    try:
        module = importlib.import_module("eqlib.framework.accountability")
    except ImportError:
        module = None
    func = getattr(module, "questions", None) if module else None
    if func is None:
        return [
            Markdown(
                "Questions for the Chief Constable are drawn from each disparity that is statistically "
                "significant and not narrowing; eqlib does not yet compute them for this report."
            )
        ]
    figures = area_figures(ctx)
    if not figures["measure"].astype(str).str.endswith("_disparity").any():
        return [
            Markdown(
                f"No disparity figures are available for {ctx.name} for {ctx.year_display}, so no "
                "question for the Chief Constable can be drawn from the data."
            )
        ]
    usable = figures[
        ~(
            figures["measure"].astype(str).str.endswith("_disparity")
            & (pd.to_numeric(figures["value"], errors="coerce") <= 0)
        )
    ]
    frame = func(usable, area_name=ctx.name)
    if frame is None or len(frame) == 0:
        return [
            Markdown(
                f"No disparity in the data for {ctx.name} is both statistically significant and "
                "not narrowing, so no question is raised from the data."
            )
        ]
    lines = [
        f"- {escape.markdown_text(row['evidence'])} **Question for the Chief Constable:** "
        f"{escape.markdown_text(row['question'])}"
        for row in frame.to_dict("records")
    ]
    return [
        Markdown(
            f"{len(lines)} disparit{'y is' if len(lines) == 1 else 'ies are'} statistically significant "
            f"and not narrowing in the data for {ctx.name}:\n\n" + "\n".join(lines)
        )
    ]


def year_on_year(ctx: Context) -> list[Block]:
    """Themes that moved since the previous year's self-assessment."""
    previous = periods_mod.financial_year(ctx.period.start.year - 1)
    path = paths.params_dir(ctx.root) / f"{ctx.area.slug}-{previous.label}.yml"
    if not path.is_file():
        note_for_analyst(
            ctx,
            f"No params file `params/{path.name}` for {previous.display}: the year-on-year "
            "comparison needs the previous year's self-assessment.",
        )
        return [
            Markdown(
                f"There is no self-assessment for {ctx.name} for {previous.display}, so no change can "
                "be shown."
            )
        ]
    from eqlib.framework import load_params
    from eqlib.framework.compare import compare_self_assessments

    frame = compare_self_assessments(load_params(path).self_assessment, framework_params(ctx).self_assessment)
    frame = frame[frame["change"] != "not assessed"]
    if frame.empty:
        return [Markdown(f"Neither {previous.display} nor {ctx.year_display} has any theme self-assessed.")]
    counts = frame["change"].value_counts()
    text = (
        f"Since {previous.display}: " + ", ".join(f"{int(n)} theme(s) {c}" for c, n in counts.items()) + "."
    )
    shown = pd.DataFrame(
        {
            "Theme": "Theme " + frame["theme"].astype(str) + ": " + frame["theme_name"],
            previous.display: frame["previous_level"].fillna("not assessed"),
            ctx.year_display: frame["current_level"].fillna("not assessed"),
            "Change": frame["change"],
            "Criteria gained": frame["criteria_gained"],
            "Criteria lost": frame["criteria_lost"],
        }
    )
    return [
        Markdown(text),
        Table(
            shown,
            f"Self-assessed level by theme, {previous.display} and {ctx.year_display}, {ctx.name}",
            "year-on-year",
        ),
    ]


# searches by sex and age group, strip search, protected characteristics: registers their builders
from eqlib.characteristics_report import protected_characteristics  # noqa: E402,F401
