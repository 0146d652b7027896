"""What every report section shares: the context, the blocks, data access, the period and measure status,
the default display of a measure and the section's data status and evidence gaps.

A notebook cell calls one builder and displays what it returns::

    #| echo: false
    emit(sections.population_profile(ctx))

The builders of each framework section are in the modules beside this one (:mod:`.overview`,
:mod:`.communities`, :mod:`.leadership`, :mod:`.services`, :mod:`.workforce`, :mod:`.objectives`,
:mod:`.appendix`); the chart kinds of :mod:`.charts` and :mod:`.characteristics`; a section's measures,
and the cell of its notebook that shows each, are the catalogue's (:func:`measure_cell`).

Each builder takes a :class:`Context` (area, year, params, data folder, suppression threshold)
and returns a list of blocks: :class:`Markdown` (prose generated from the data),
:class:`Chart` (a figure with caption and alt text) and :class:`Table` (a captioned table).
:func:`emit` displays them through :mod:`eqlib.report.figures` (markdown, ``figures/<label>.png``,
pipe tables). Builders never print and never display by themselves, so tests can call them.

Periods: a report for year Y shows each dataset for Y where it exists, else its latest
earlier period, labelled plainly ("latest available: 2019/20"); a dataset with nothing for the
area says so, and the measures that need it are listed as evidence gaps.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eqlib import analysis, config, paths, sources, store
from eqlib import areas as areas_mod
from eqlib import periods as periods_mod
from eqlib.framework import params as fw_params
from eqlib.framework.evidence import evidence_gaps as fw_gaps
from eqlib.framework.model import load_framework
from eqlib.measures import catalogue
from eqlib.measures.model import COMPANIONS
from eqlib.measures.selection import Selection, one_source
from eqlib.metrics import caveats as cv
from eqlib.metrics._frame import FIGURE_COLUMNS
from eqlib.report import escape, narrative, wording
from eqlib.report import figures as fg
from eqlib.sources import local as local_source

log = logging.getLogger(__name__)


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
        """The tidy frame behind a measure's chart and table (see :func:`frame`)."""
        return frame(self, measure_id, every_period=every_period, every_area=every_area)


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

    if dataset_id not in sources.datasets():
        log.info("dataset %s has no loader yet", dataset_id)
        ctx._frames[dataset_id] = None
        return None

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
    frame = local_source.read_local(path, template=name)
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


def _remembered(store: OrderedDict, key: tuple, compute: Callable[[], Any], kept: int) -> Any:
    """``store[key]``, computed by ``compute()`` the first time; the ``kept`` most recently used are kept."""
    if key in store:
        store.move_to_end(key)
    else:
        store[key] = compute()
        while len(store) > kept:
            store.popitem(last=False)
    return store[key]


#: the area-year publications this process computed, most recent last (the seven notebooks of an
#: area-year share one kernel, so six of them reuse the first one's): key -> (result, data notes)
_PUBLICATIONS: OrderedDict[tuple, tuple[analysis.AreaResult, tuple[str, ...]]] = OrderedDict()
_PUBLICATIONS_KEPT = 4


def _files_signature(folder: str | Path | None) -> tuple:
    """(name, size, modification time) of every file under an analyst's local folder: an edited file
    gives a new publication, as a changed national file does through the inputs key."""
    if folder is None:
        return ()
    base = Path(folder)
    if not base.is_dir():
        return (str(base),)
    return tuple(
        (f.relative_to(base).as_posix(), s.st_size, s.st_mtime_ns)
        for f in sorted(base.rglob("*"))
        if f.is_file() and (s := f.stat())
    )


def publication(ctx: Context) -> analysis.AreaResult:
    """The area-year's publication: every measure selected for the year, suppressed, the analyst's local
    measures added, and disclosure control across all of them (:func:`eqlib.analysis.compute`). It is
    exactly what ``eqlib tables`` writes, so the report and the tables never differ.

    Computed once per process for the same area, year, threshold, national inputs (their content key,
    :func:`eqlib.analysis.inputs_key`) and local files: the notebooks of an area-year share it, and the
    data notes its computation logged are given to each notebook's context again."""
    if "_publication" not in ctx._frames:
        local_dir = getattr(framework_params(ctx), "local_data_dir", None)
        key = (
            ctx.area.code,
            ctx.period.label,
            ctx.threshold,
            str(ctx.root),
            str(local_dir),
            analysis.inputs_key(str(ctx.root)),
            _files_signature(local_dir),
        )

        def computed() -> tuple[analysis.AreaResult, tuple[str, ...]]:
            before = len(ctx.data_notes)
            with _capture_data_notes(ctx):
                result = analysis.compute(
                    ctx.area.code, ctx.year, threshold=ctx.threshold, root=ctx.root, local_dir=local_dir
                )
            return result, tuple(ctx.data_notes[before:])

        result, notes = _remembered(_PUBLICATIONS, key, computed, _PUBLICATIONS_KEPT)
        ctx.data_notes.extend(n for n in notes if n not in ctx.data_notes)
        ctx._frames["_publication"] = result
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


# --------------------------------------------------------------------------- the tidy frames (explore)
#: columns an analyst reads first (the others follow)
_FIRST = [
    "area_name",
    "period",
    "measure",
    "group",
    "reference_group",
    "value",
    "ci_low",
    "ci_high",
    "count",
    "denominator",
    "symbol",
]


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    first = [c for c in _FIRST if c in frame.columns]
    return frame[first + [c for c in frame.columns if c not in first]].reset_index(drop=True)


def frame(
    ctx: Context, measure_id: str, *, every_period: bool = False, every_area: bool = False
) -> pd.DataFrame:
    """The tidy frame behind a measure's chart for ``ctx`` (a :class:`Context`; also ``ctx.frame``).

    Default: exactly the rows the report charts (the area, the report's period or the latest
    earlier one), suppressed as published. ``every_period``: the area's rows for every period;
    ``every_area``: every area's rows for the charted period; both: everything. Suppression at
    ``ctx.threshold`` is applied in every case (a notebook's ``threshold`` parameter changes it).
    An unknown measure id raises ``KeyError`` naming the section measures.
    """
    known = {m for ids in catalogue.sections().values() for m in ids}
    if measure_id not in known and measure_id not in catalogue.national_ids():
        raise KeyError(f"unknown measure {measure_id!r}; the measures are: {', '.join(sorted(known))}")
    status = measure_status(ctx, measure_id)
    if not (every_period or every_area) or measure_id not in catalogue.national_ids():
        return _tidy(status.frame)
    shown = frozenset(status.frame["period"]) if not status.frame.empty else frozenset()
    if every_area and not every_period:
        # every area's rows for the shown periods do not depend on the area: a batch's area-years
        # share them (a shallow copy each: with copy-on-write a caller's change stays its own)
        key = (measure_id, shown, ctx.threshold, str(ctx.root), analysis.inputs_key(str(ctx.root)))
        rows = _remembered(
            _EVERY_AREA, key, lambda: _every_rows(ctx, measure_id, shown, False, True), _EVERY_AREA_KEPT
        )
        return rows.copy(deep=False)
    return _every_rows(ctx, measure_id, shown, every_period, every_area)


#: (measure, shown periods, threshold, root, inputs key) -> every area's published rows for those periods
_EVERY_AREA: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_EVERY_AREA_KEPT = 64


def _every_rows(
    ctx: Context, measure_id: str, shown: frozenset, every_period: bool, every_area: bool
) -> pd.DataFrame:
    """The rows of :func:`frame` with ``every_period`` or ``every_area``: one source, then suppressed."""
    everything = compute_measure(ctx, measure_id)
    rows = everything[everything["measure"] == measure_id] if "measure" in everything else everything
    if not every_area:
        rows = rows[rows["area_code"] == ctx.area.code]
    if not every_period:
        rows = rows[rows["period"].isin(shown)]
    return _tidy(analysis.suppress(one_source(rows), threshold=ctx.threshold))


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
            f"{ctx.name}, {ctx.year_display}",
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
            f"Framework criteria in this section not (fully) supported by the data, {ctx.name}, "
            f"{ctx.year_display}",
            f"{notebook.split('_', 1)[1]}-criteria-gaps",
        ),
    ]


# --------------------------------------------------------------------------- builders: population
def _population_dataset(ctx: Context) -> str:
    """Census 2021 for periods from April 2021, Census 2011 before (as the Home Office does)."""
    return "population_census2021" if ctx.period.start >= date(2021, 4, 1) else "population_census2011"


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


def measure_cell(ctx: Context, notebook: str, cell: str) -> list[Block]:
    """The blocks of one cell of a section's notebook: the measures the catalogue puts in that ``cell`` of
    that section (``section`` and ``cell`` of their :class:`eqlib.measures.Measure` entries), in order."""
    return measure_blocks(ctx, catalogue.cell_measures(notebook, cell))


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
    """The caveats of a frame's figures as sentences; one that holds for some rows only names them
    ("For Not recorded: this figure is based on fewer than 10 events ..."), so a note about one small
    group is not read as a note about the whole table."""
    rows_of: dict[str, list[str]] = {}
    labels = frame["group"].astype(str).tolist() if "group" in frame else [""] * len(frame)
    for label, value in zip(labels, frame.get("caveats", pd.Series([None] * len(frame))), strict=True):
        if isinstance(value, (tuple, list, set, frozenset)):
            for code in {str(v) for v in value} - {"suppressed"}:
                rows_of.setdefault(code, []).append(label)
    texts = []
    for code in sorted(rows_of):
        try:
            text = cv.text(code)
        except KeyError:
            text = code.replace("_", " ")
        groups = list(dict.fromkeys(g for g in rows_of[code] if g))
        if len(rows_of[code]) < len(frame) and groups:
            text = f"For {', '.join(groups)}: {_lower_first(text)}"
        texts.append(text)
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
    """:func:`eqlib.report.narrative.sentence` for a figure; a ratio of zero (no events in the group) is said plainly,
    since "X times as likely" has no meaning there."""

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


def analysis_period_end(label: str):
    return analysis.period_end(label)


# --------------------------------------------------------------------------- builders: framework
def framework_params(ctx: Context):
    """The validated framework params (self-assessment, objectives) for the area and year.

    The params file named in the context if it is an area-year file, else the defaults for this
    area and year (no self-assessment, no objectives).
    """
    if "_fw" in ctx._frames:
        return ctx._frames["_fw"]

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


def area_figures(ctx: Context) -> pd.DataFrame:
    """Every figure published for the area and year (each measure's selected period, suppressed)."""
    if "_figures" in ctx._frames:
        return ctx._frames["_figures"]

    frames = [measure_status(ctx, m).frame for m in catalogue.national_ids()]
    frames = [f for f in frames if len(f)]
    result = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame({c: pd.Series(dtype=object) for c in FIGURE_COLUMNS})
    )
    ctx._frames["_figures"] = result
    return result


def _available_measures(ctx: Context) -> list[str]:
    return [m for m in catalogue.measure_ids() if measure_status(ctx, m).available]
