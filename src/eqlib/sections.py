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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from eqlib import __version__, measures, paths
from eqlib import areas as areas_mod
from eqlib import figures as fg
from eqlib import periods as periods_mod

log = logging.getLogger(__name__)

__all__ = [
    "Context", "context", "Markdown", "Chart", "Table", "Block", "emit",
    "load", "select_period", "Selection", "dataset_status", "measure_status",
    "NOTEBOOKS", "SECTION_MEASURES", "intro", "section_data_status", "evidence_gaps",
    "population_profile", "measure_blocks", "data_sources", "methods", "parameters_summary",
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

#: which measures each section shows (each measure has one home section)
SECTION_MEASURES: dict[str, tuple[str, ...]] = {
    "01_communities": (
        "stop_search_rate", "stop_search_disparity", "stop_search_not_stated_share",
        "stop_search_ethnicity_agreement", "stop_search_trend", "stop_search_benchmark",
        "hate_crime_by_strand",
    ),
    "02_leadership": (
        "stop_search_s60_share", "arrest_rate", "arrest_disparity", "rri_stop_arrest",
    ),
    "03_services": (
        "stop_search_arrest_rate", "stop_search_no_further_action", "stop_search_outcome_linked",
        "use_of_force_rate", "use_of_force_disparity", "taser_by_ethnicity", "conviction_ratio",
        "rri_prosecution_conviction", "deaths_following_contact", "complaints_by_characteristic",
        "victims_services_by_characteristic", "satisfaction_by_characteristic", "custody_by_ethnicity",
        "independent_custody_visits", "use_of_force_local",
    ),
    "04_workforce": (
        "workforce_totals", "chief_officer_representation", "workforce_representation",
        "opcc_workforce_representation",
    ),
}


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


def context(
    area: str = "south-wales",
    year: str | int = "2021-22",
    *,
    params_file: str | Path | None = None,
    data_dir: str | Path | None = None,
    threshold: int | None = 5,
) -> Context:
    """Resolve a notebook's parameters into a :class:`Context` (the same checks as ``eqlib run``).

    ``data_dir`` defaults to the project's ``data/`` (found by :mod:`eqlib.paths`);
    ``params_file`` to ``params/<slug>-<year>.yml`` if it exists, else ``params/defaults.yml``.
    """
    from eqlib import batch

    if data_dir is not None:
        data_path = Path(data_dir).resolve()
        root = data_path.parent
    else:
        root = paths.project_root()
        data_path = paths.data_dir(root)
    resolved_area = batch.resolve_area(area)
    period = batch.normalise_year(year)
    pfile = batch.resolve_params_file(resolved_area, period, params_file, root)
    params = batch.read_params(pfile)
    batch.check_threshold(threshold)
    if threshold is None:
        threshold = int(params.get("threshold", params.get("suppression_threshold", batch.DEFAULT_THRESHOLD)))
    return Context(resolved_area, period, root, data_path, pfile, params, int(threshold))


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


Block = Markdown | Chart | Table


def emit(blocks: Iterable[Block]) -> None:
    """Display blocks in a notebook: prose as markdown, charts saved and shown, tables as pipe tables."""
    for block in blocks:
        if isinstance(block, Markdown):
            fg.markdown(block.text)
        elif isinstance(block, Chart):
            fg.show(block.fig, block.label, block.caption, block.alt)
        elif isinstance(block, Table):
            fg.table(block.frame, block.caption, block.label, **block.options)
        else:  # pragma: no cover - a programming error
            raise TypeError(f"not a block: {block!r}")


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
    out = (data.groupby(keys, dropna=False, sort=True)["count"].sum(min_count=1).reset_index())
    out = out.merge(months.reset_index(), on=["area_code", "period"], how="left")
    if complete_only:
        out = out[out["months"] == 12]
    return out


@dataclass(frozen=True)
class Selection:
    """Which period of a dataset a report for year Y uses, and how to say so."""

    dataset: str
    status: str  # "current", "earlier", "none" (nothing for the area), "later-only", "no-loader"
    period: str = ""  # the period label used
    period_display: str = ""
    note: str = ""
    frame: pd.DataFrame | None = None

    @property
    def available(self) -> bool:
        return self.status in ("current", "earlier")

    @property
    def label(self) -> str:
        """"2021/22" or "latest available: 2019/20" or "no data"."""
        if self.status == "current":
            return self.period_display
        if self.status == "earlier":
            return f"latest available: {self.period_display}"
        return "no data"


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


def select_period(ctx: Context, dataset_id: str, frame: pd.DataFrame | None = None, *,
                  area_code: str | None = None) -> Selection:
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
        return Selection(dataset_id, "no-loader", note="no loader for this dataset yet")
    if "area_code" not in frame.columns or "period_end" not in frame.columns:
        return Selection(dataset_id, "none", note="the dataset has no area and period columns")
    rows = frame[frame["area_code"] == code]
    if rows.empty:
        return Selection(dataset_id, "none", note=f"nothing for {areas_mod.get(code).name} in this dataset")
    note = ""
    kinds = rows["period"].astype(str).str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])")
    if bool(kinds.all()) and len(rows):
        rows = financial_years_from_months(rows)
    ends = pd.to_datetime(rows["period_end"]).dt.date
    year_end = ctx.period.end
    eligible = rows[ends <= year_end]
    if eligible.empty:
        first = rows.sort_values("period_start").iloc[0]
        return Selection(dataset_id, "later-only",
                         note=f"the first period for this area is {_period_display(first['period'], first['period_start'], first['period_end'])}, after {ctx.year_display}")
    eligible_ends = pd.to_datetime(eligible["period_end"]).dt.date
    latest_end = eligible_ends.max()
    chosen = eligible[eligible_ends == latest_end]
    # a partial financial year before the report year is not a "latest available" year
    if "months" in chosen.columns:
        months = int(chosen["months"].max())
        if latest_end < ctx.period.start and months < 12:
            complete = eligible[eligible.get("months", 12) == 12]
            if complete.empty:
                return Selection(dataset_id, "none", note="no complete financial year of monthly data")
            latest_end = pd.to_datetime(complete["period_end"]).dt.date.max()
            chosen = complete[pd.to_datetime(complete["period_end"]).dt.date == latest_end]
            months = 12
        if months < 12:
            note = f"{months} of 12 months"
    first = chosen.iloc[0]
    label = str(first["period"])
    display = _period_display(label, first["period_start"], first["period_end"])
    status = "current" if latest_end >= ctx.period.start else "earlier"
    return Selection(dataset_id, status, label, display, note, chosen.reset_index(drop=True))


def _dataset_title(dataset_id: str) -> str:
    if dataset_id.startswith("local:"):
        return f"your own {dataset_id.removeprefix('local:').replace('_', ' ')} file (template in data/templates)"
    from eqlib import sources

    ds = sources.datasets().get(dataset_id)
    return ds.title if ds else dataset_id


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
        return Selection(dataset_id, "none", note="no local file given in the params file")
    path = Path(path)
    if not path.is_absolute():
        path = (ctx.params_file.parent if ctx.params_file else ctx.root) / path
    if not path.is_file():
        return Selection(dataset_id, "none", note=f"the local file {path} does not exist")
    try:
        from eqlib.sources import local
    except ImportError:  # pragma: no cover
        return Selection(dataset_id, "no-loader", note="no reader for local files yet")
    reader = getattr(local, "read", None) or getattr(local, "read_local", None)
    if reader is None:  # pragma: no cover
        return Selection(dataset_id, "no-loader", note="no reader for local files yet")
    frame = reader(path, template=name) if "template" in reader.__code__.co_varnames else reader(path)
    return select_period(ctx, dataset_id, frame)


@dataclass(frozen=True)
class MeasureStatus:
    measure: str
    title: str
    selections: tuple[Selection, ...]

    @property
    def available(self) -> bool:
        return any(s.available for s in self.selections)

    @property
    def best(self) -> Selection | None:
        """The selection to use: current before earlier, in the measure's dataset order."""
        for status in ("current", "earlier"):
            for s in self.selections:
                if s.status == status:
                    return s
        return None


_POPULATION_DATASETS = {"population_census2021", "population_census2011", "population_census2011_pfa"}


def measure_status(ctx: Context, measure_id: str) -> MeasureStatus:
    """Which of a measure's datasets have data for the area and year (populations aside)."""
    m = measures.get_measure(measure_id)
    selections = tuple(dataset_status(ctx, d) for d in m.datasets if d not in _POPULATION_DATASETS)
    return MeasureStatus(measure_id, m.title, selections)


# --------------------------------------------------------------------------- prose helpers
def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _no_data_sentence(ctx: Context, status: MeasureStatus) -> str:
    reasons = []
    for s in status.selections:
        title = _dataset_title(s.dataset)
        if s.status == "no-loader":
            reasons.append(f"{title}: not yet readable by eqlib")
        elif s.status == "later-only":
            reasons.append(f"{title}: {s.note}")
        else:
            reasons.append(f"{title}: {s.note or 'no data'}")
    why = "; ".join(reasons) if reasons else "no dataset provides it"
    return (f"**No data.** {_sentence_case(status.title)} cannot be shown for {ctx.name} for "
            f"{ctx.year_display} or any earlier year ({why}).")


# --------------------------------------------------------------------------- builders: shared
def intro(ctx: Context, notebook: str) -> list[Block]:
    """The opening sentence of a section: what it covers, for which area and year."""
    title, section = NOTEBOOKS[notebook]
    text = f"This section covers **{ctx.name}** for the financial year **{ctx.year_display}**"
    if section is not None:
        text += (f": the framework section *{_framework_section_name(section) or title}* of the APCC "
                 "Equality Framework")
    text += "."
    return [Markdown(text)]


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
    """A table: every measure this section shows, the data it uses and the period ("latest available")."""
    rows = []
    for measure_id in SECTION_MEASURES.get(notebook, ()):
        st = measure_status(ctx, measure_id)
        best = st.best
        rows.append({
            "Measure": _sentence_case(st.title),
            "Data used": _dataset_title(best.dataset) if best else "none",
            "Period": (best.label + (f" ({best.note})" if best.note else "")) if best else "no data",
        })
    if not rows:
        return []
    frame = pd.DataFrame(rows)
    gaps = sum(r["Period"] == "no data" for r in rows)
    text = (f"Of the {len(rows)} measures this section reports, {len(rows) - gaps} have data for "
            f"{ctx.name}" + (f" and {gaps} have none (listed as evidence gaps below)." if gaps else "."))
    return [Markdown(text),
            Table(frame, f"Measures in this section, the data behind them and the period shown, {ctx.name} "
                         f"{ctx.year_display}", f"{notebook.split('_', 1)[1]}-data")]


def evidence_gaps(ctx: Context, notebook: str) -> list[Block]:
    """The section's evidence gaps: measures with no data, and the framework criteria they would evidence."""
    gaps = [measure_status(ctx, m) for m in SECTION_MEASURES.get(notebook, ())]
    gaps = [g for g in gaps if not g.available]
    if not gaps:
        return [Markdown(f"Every measure this section reports has data for {ctx.name}: no evidence gaps.")]
    criteria = _criteria_by_measure()
    rows = []
    for g in gaps:
        needs = [s.dataset.removeprefix("local:") + (" (your own file)" if s.dataset.startswith("local:") else "")
                 for s in g.selections]
        rows.append({"Measure": _sentence_case(g.title),
                     "Framework criteria it would evidence": ", ".join(criteria.get(g.measure, ())) or "none mapped",
                     "Data needed": ", ".join(needs)})
    text = (f"{len(gaps)} measure(s) this section asks for have no data for {ctx.name}. An analyst can supply "
            "local figures through the templates in `data/templates/` (see `eqlib data validate`).")
    return [Markdown(text), Table(pd.DataFrame(rows), f"Evidence gaps: measures with no data for {ctx.name}, "
                                  f"{ctx.year_display}", f"{notebook.split('_', 1)[1]}-gaps")]


def _criteria_by_measure() -> dict[str, tuple[str, ...]]:
    try:
        from eqlib.framework.model import evidence_map
    except ImportError:
        return {}
    emap = evidence_map()
    return {m: tuple(sorted(g["criterion"], key=_id_key)) for m, g in emap.groupby("measure")}


def _id_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in str(text).split(".") if p.isdigit())


# --------------------------------------------------------------------------- builders: population
def _population_dataset(ctx: Context) -> str:
    """Census 2021 for periods from April 2021, Census 2011 before (as the Home Office does)."""
    return "population_census2021" if ctx.period.start >= date(2021, 4, 1) else "population_census2011"


_GROUP_ORDER = ("Asian", "Black", "Mixed", "White", "Other", "Not stated")


def _order_groups(frame: pd.DataFrame, column: str = "group") -> pd.DataFrame:
    order = {g: i for i, g in enumerate(_GROUP_ORDER)}
    return frame.assign(_o=frame[column].map(lambda g: order.get(g, 99))).sort_values(["_o", column]).drop(
        columns="_o")


def population_profile(ctx: Context) -> list[Block]:
    """The area's resident population by broad ethnic group (the denominators of every rate)."""
    dataset = _population_dataset(ctx)
    frame = load(ctx, dataset)
    census = "Census 2021" if dataset.endswith("2021") else "Census 2011"
    if frame is None or frame[frame["area_code"] == ctx.area.code].empty:
        return [Markdown(f"**No data.** The {census} population of {ctx.name} by ethnic group is not available.")]
    rows = frame[frame["area_code"] == ctx.area.code]
    by_group = rows.groupby("group", as_index=False)["count"].sum()
    by_group = _order_groups(by_group)
    total = by_group["count"].sum()
    by_group["share"] = 100 * by_group["count"] / total
    minority = by_group.loc[by_group["group"] != "White", "count"].sum()
    largest = by_group[by_group["group"] != "White"].nlargest(1, "count")
    text = (f"At the {census}, {fg.fmt_number(total)} people lived in {ctx.name}. "
            f"{fg.fmt_number(100 * minority / total, digits=1)}% were from ethnic minority groups "
            f"(all groups other than White)")
    if not largest.empty:
        text += (f"; the largest was {largest['group'].iloc[0]} "
                 f"({fg.fmt_number(largest['share'].iloc[0], digits=1)}%)")
    text += (f". These are the denominators of the rates in this report ({census} "
             f"{'for periods from April 2021' if census == 'Census 2021' else 'for periods before April 2021'}).")
    fig, alt = fg.bar_chart(by_group.assign(share=by_group["share"].round(1)), category="group", value="share",
                            measure="share of usual residents by broad ethnic group (per cent)",
                            area_name=ctx.name, period_label=census, unit="Per cent of usual residents")
    table = by_group.rename(columns={"group": "Ethnic group", "count": "Usual residents", "share": "Per cent"})
    table["Usual residents"] = table["Usual residents"].astype("int64")
    return [
        Markdown(text),
        Chart(fig, "population-by-ethnicity", f"Usual residents by broad ethnic group, {ctx.name}, {census}", alt),
        Table(table, f"Usual residents by broad ethnic group, {ctx.name}, {census} (ONS)", "population-by-ethnicity"),
    ]


# --------------------------------------------------------------------------- builders: measures
MeasureBuilder = Callable[[Context, MeasureStatus], list[Block]]
_BUILDERS: dict[str, MeasureBuilder] = {}


def builder(*measure_ids: str) -> Callable[[MeasureBuilder], MeasureBuilder]:
    """Register the function that shows a measure's figures (called only when data exist)."""

    def wrap(func: MeasureBuilder) -> MeasureBuilder:
        for m in measure_ids:
            _BUILDERS[m] = func
        return func

    return wrap


def measure_blocks(ctx: Context, measure_ids: Sequence[str]) -> list[Block]:
    """Show each measure where data exist; say plainly where they do not.

    Measures sharing a builder are shown once. A measure with data but no builder yet says which
    data exist, so nothing is hidden.
    """
    blocks: list[Block] = []
    done: set[Callable] = set()
    for measure_id in measure_ids:
        st = measure_status(ctx, measure_id)
        if not st.available:
            blocks.append(Markdown(_no_data_sentence(ctx, st)))
            continue
        func = _BUILDERS.get(measure_id)
        if func is not None:
            if func in done:
                continue
            done.add(func)
            blocks.extend(func(ctx, st))
            continue
        best = st.best
        assert best is not None
        blocks.append(Markdown(
            f"{_sentence_case(st.title)}: data exist for {ctx.name} ({_dataset_title(best.dataset)}, "
            f"{best.label}) and will be shown here once eqlib computes this measure."))
    return blocks


# --------------------------------------------------------------------------- builders: data and methods
def parameters_summary(ctx: Context) -> list[Block]:
    """The run's parameters, stated for the record."""
    params = str(ctx.params_file.relative_to(ctx.root)) if ctx.params_file and ctx.params_file.is_relative_to(
        ctx.root) else (str(ctx.params_file) if ctx.params_file else "none")
    text = (f"Area **{ctx.name}** (ONS code {ctx.area.code}); financial year **{ctx.year_display}** "
            f"(1 April {ctx.period.start.year} to 31 March {ctx.period.end.year}); params file `{params}`; "
            f"counts under **{ctx.threshold}** are suppressed in every table and chart; eqlib version "
            f"{__version__}.")
    return [Markdown(text)]


def _manifest_entries(ctx: Context) -> list[dict[str, Any]]:
    import yaml

    path = ctx.data_dir / "manifest.yml"
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("files") or data.get("sources") or []
    out = []
    if isinstance(entries, dict):
        entries = [{"path": k, **(v or {})} for k, v in entries.items()]
    for entry in entries:
        if isinstance(entry, dict):
            out.append(entry)
    return out


def data_sources(ctx: Context) -> list[Block]:
    """Every source the report uses: publisher, title, period, licence and checksum (from the manifest)."""
    entries = _manifest_entries(ctx)
    if not entries:
        return [Markdown("The data manifest (`data/manifest.yml`) is missing, so sources and checksums cannot be "
                         "listed; run `eqlib data check`.")]
    rows = []
    for e in entries:
        rows.append({
            "File": str(e.get("path") or e.get("file") or ""),
            "Publisher": str(e.get("publisher", "")),
            "Title": str(e.get("title", "")),
            "Period": str(e.get("period", "")),
            "Licence": str(e.get("licence", e.get("license", ""))),
            "sha256 (first 12)": str(e.get("sha256", ""))[:12],
        })
    frame = pd.DataFrame(rows).sort_values("File").reset_index(drop=True)
    attributions = sorted({str(e.get("attribution")) for e in entries if e.get("attribution")})
    text = (f"The report uses {len(frame)} data files, each recorded in `data/manifest.yml` with its checksum. ")
    if attributions:
        text += " ".join(attributions)
    return [Markdown(text), Table(frame, "Data files used, with publisher, period, licence and checksum",
                                  "data-files")]


def methods(ctx: Context) -> list[Block]:
    """The statistical methods in plain English (the methods reference is docs/METHODS)."""
    census = "Census 2021" if _population_dataset(ctx).endswith("2021") else "Census 2011"
    text = "\n".join([
        f"- **Rates** are per 1,000 usual residents of each ethnic group ({census} populations for "
        f"{ctx.year_display}), with exact Poisson 95% confidence intervals.",
        "- **Disparity ratios** compare a group's rate with the White group's, computed from unrounded rates, "
        "with a 95% confidence interval (score method; exact conditional for small counts).",
        "- **Proportions** such as the share of searches leading to arrest have Wilson 95% intervals.",
        "- **Trends** in a disparity use a Poisson regression with a year-by-group term (at least three years).",
        "- **Funnel plots** compare the area with all force areas against 95% and 99.8% control limits "
        "(Spiegelhalter 2005).",
        f"- **Small numbers**: counts under {ctx.threshold} are suppressed ([c]), with secondary suppression so "
        "they cannot be worked out from totals. [x] means not available, [z] not applicable, [u] low reliability.",
        "- A dataset without figures for the report year is shown for its latest earlier period, labelled "
        "\"latest available\"; a dataset with nothing for the area is listed as an evidence gap.",
    ])
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
        rows.append({"Dataset": ds.title, "Period shown": sel.label + (f" ({sel.note})" if sel.note and
                                                                         sel.available else ""),
                     "Note": "" if sel.available else sel.note})
    if not rows:
        return [Markdown("No dataset loaders are registered.")]
    frame = pd.DataFrame(rows)
    current = sum(r["Period shown"].startswith(ctx.year_display) for r in rows)
    earlier = sum(r["Period shown"].startswith("latest available") for r in rows)
    none = len(rows) - current - earlier
    text = (f"Of {len(rows)} datasets, {current} have figures for {ctx.name} for {ctx.year_display}, {earlier} "
            f"only for an earlier period (shown as \"latest available\") and {none} have nothing for "
            f"{ctx.name} up to {ctx.year_display}.")
    return [Markdown(text), Table(frame, f"Datasets and the period shown for {ctx.name}, {ctx.year_display}",
                                  "coverage")]


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
    head = (f"{have} of the {total} measures the framework sections ask for have data for {ctx.name} "
            f"(for {ctx.year_display} or the latest earlier year). Each section lists its evidence gaps.")
    return [Markdown(head + "\n\n" + "\n".join(lines))]


# --------------------------------------------------------------------------- builders: overview
def key_figures(ctx: Context) -> list[Block]:
    """The area's key figures as sentences: population, then each headline measure that has data."""
    blocks: list[Block] = []
    pop = population_profile(ctx)
    if pop and isinstance(pop[0], Markdown):
        blocks.append(Markdown(pop[0].text.split(" These are the denominators")[0]))
    sentences = []
    for measure_id in _HEADLINE_MEASURES:
        st = measure_status(ctx, measure_id)
        func = _SENTENCES.get(measure_id)
        if st.available and func is not None:
            sentences.extend(func(ctx, st))
    if sentences:
        blocks.append(Markdown("\n".join(f"- {s}" for s in sentences)))
    blocks.extend(coverage_summary(ctx))
    return blocks


#: the measures whose sentence the overview gives, in order
_HEADLINE_MEASURES = ("stop_search_disparity", "stop_search_arrest_rate", "arrest_disparity",
                      "use_of_force_disparity", "workforce_representation", "chief_officer_representation")
#: measure id -> function giving its headline sentences (registered by the measure builders)
_SENTENCES: dict[str, Callable[[Context, MeasureStatus], list[str]]] = {}


def main_disparities(ctx: Context) -> list[Block]:
    """The overview's chart of the main disparities (ratios to White with 95% intervals)."""
    return measure_blocks(ctx, ["stop_search_disparity", "arrest_disparity", "use_of_force_disparity"])


def benchmark(ctx: Context) -> list[Block]:
    """The area against all force areas (funnel plot)."""
    return measure_blocks(ctx, ["stop_search_benchmark"])


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
        return f"`{ctx.params_file.relative_to(ctx.root)}`"
    except ValueError:
        return f"`{ctx.params_file}`"


def _example_warning(ctx: Context) -> list[Block]:
    fw = framework_params(ctx)
    if getattr(fw, "example", False):
        return [Markdown(f"**Example content.** The self-assessment and objectives in {_params_name(ctx)} are "
                         "illustrative and must be replaced by the OPCC's own before publication.")]
    return []


def maturity_grid(ctx: Context) -> list[Block]:
    """The self-assessment: the maturity grid chart (16 themes x 3 levels, by section) and its table."""
    from eqlib.framework import load_framework
    from eqlib.framework import summaries as fw_summaries

    fw = framework_params(ctx)
    framework = load_framework()
    assessment = fw.self_assessment
    if not assessment.themes:
        return [Markdown(f"**No self-assessment.** The params for {ctx.name} {ctx.year_display} "
                         f"({_params_name(ctx)}) record no self-assessment against the APCC Equality Framework, "
                         "so no maturity grid can be shown. Add a `self_assessment` section to "
                         f"`params/{ctx.area.slug}-{ctx.year}.yml` (see `params/south-wales-2021-22.yml`).")]
    table = fw_summaries.maturity_table(assessment, framework=framework)
    counts = table["Level reached"].value_counts()
    summary = ", ".join(f"{int(counts[lv])} at {lv}" for lv in ("Advancing", "Achieving", "Developing")
                        if lv in counts)
    text = (f"{len(assessment.themes)} of the {len(framework.themes)} themes have been self-assessed"
            + (f": {summary}" if summary else "") + ".")
    fig, alt = fw_summaries.maturity_chart(assessment, framework=framework, area_name=ctx.name,
                                           year=ctx.year_display)
    return [*_example_warning(ctx), Markdown(text),
            Chart(fig, "maturity-grid", f"Maturity grid: descriptors met in each theme and level of the APCC "
                                        f"Equality Framework, {ctx.name} {ctx.year_display}", alt),
            Table(table, f"Self-assessment against the APCC Equality Framework, {ctx.name} {ctx.year_display}",
                  "maturity-grid")]


def area_figures(ctx: Context) -> pd.DataFrame:
    """Every figure computed for the area and year, in the metrics' figure frame (FIGURE_COLUMNS).

    From :mod:`eqlib.analysis` when it is available, else from the measure builders that exist here;
    an empty frame with the right columns when nothing is computed.
    """
    if "_figures" in ctx._frames:
        return ctx._frames["_figures"]
    from eqlib.metrics._frame import FIGURE_COLUMNS

    frames = []
    try:
        from eqlib import analysis  # type: ignore[attr-defined]
    except ImportError:
        analysis = None
    func = getattr(analysis, "compute", None) or getattr(analysis, "figures", None) if analysis else None
    if func is not None:
        frames.append(func(ctx.area.code, ctx.year, root=ctx.root))
    else:
        for computer in _FIGURE_COMPUTERS:
            frame = computer(ctx)
            if frame is not None and len(frame):
                frames.append(frame)
    result = (pd.concat(frames, ignore_index=True) if frames
              else pd.DataFrame({c: pd.Series(dtype=object) for c in FIGURE_COLUMNS}))
    ctx._frames["_figures"] = result
    return result


#: functions computing figure frames for the area (used until eqlib.analysis provides them all)
_FIGURE_COMPUTERS: list[Callable[[Context], pd.DataFrame | None]] = []


def latest_values(ctx: Context) -> pd.DataFrame:
    """The values of each measure for the area (columns measure, group, period, value), for objectives."""
    figures = area_figures(ctx)
    return figures[["measure", "group", "period", "value"]].dropna(subset=["value"]).reset_index(drop=True)


def objectives_status(ctx: Context, *, brief: bool = False) -> list[Block]:
    """The equality objectives with their status computed from the data, and the rule used."""
    from eqlib.framework import STATUS_RULE, objective_status
    from eqlib.framework import summaries as fw_summaries

    fw = framework_params(ctx)
    if not fw.objectives:
        return [Markdown(f"**No equality objectives.** The params for {ctx.name} {ctx.year_display} "
                         f"({_params_name(ctx)}) record no equality objectives. Add them under `objectives` "
                         "(see `params/south-wales-2021-22.yml`).")]
    status = objective_status(fw.objectives, latest_values(ctx))
    counts = status["status"].value_counts()
    text = (f"{ctx.name} has {len(status)} equality objective(s): "
            + ", ".join(f"{int(counts[s])} {s}" for s in ("achieved", "on track", "off track", "no data")
                        if s in counts) + ".")
    table = fw_summaries.objectives_table(status)
    blocks: list[Block] = [*_example_warning(ctx), Markdown(text)]
    if brief:
        blocks.append(Table(table[["Objective", "Status"]], f"Equality objectives and their status, {ctx.name} "
                                                            f"{ctx.year_display}", "objectives-brief"))
        return blocks
    if (status["status"] != "no data").any():
        fig, alt = fw_summaries.objectives_chart(status)
        blocks.append(Chart(fig, "objectives", f"Progress towards each equality objective's target against the "
                                               f"time elapsed, {ctx.name} {ctx.year_display}", alt))
    blocks.append(Table(table, f"Equality objectives, their targets and status, {ctx.name} {ctx.year_display}",
                        "objectives"))
    blocks.append(Markdown(f"How the status is decided: {STATUS_RULE}."))
    return blocks


def _available_measures(ctx: Context) -> list[str]:
    return [m for m in measures.measure_ids() if measure_status(ctx, m).available]


def framework_gaps(ctx: Context) -> list[Block]:
    """Criteria across the framework that need data the area does not have (chart by section and table)."""
    from eqlib.framework import summaries as fw_summaries
    from eqlib.framework.evidence import evidence_gaps as fw_gaps
    from eqlib.framework.evidence import evidence_status

    available = _available_measures(ctx)
    status = evidence_status(available)
    gaps = fw_gaps(available)
    counts = status["status"].value_counts()
    text = (f"Of the {len(status)} framework criteria that need data, "
            f"{int(counts.get('supported', 0))} are supported by the data for {ctx.name}, "
            f"{int(counts.get('partly supported', 0))} partly and {int(counts.get('gap', 0))} not at all.")
    fig, alt = fw_summaries.evidence_chart(status)
    blocks: list[Block] = [Markdown(text), Chart(fig, "evidence-by-section", f"Framework criteria that need data, "
                                                 f"by section: supported, partly supported and gaps, {ctx.name} "
                                                 f"{ctx.year_display}", alt)]
    if not gaps.empty:
        blocks.append(Table(fw_summaries.evidence_gap_table(gaps), f"Evidence gaps: framework criteria the data "
                            f"for {ctx.name} do not (fully) support, {ctx.year_display}", "framework-gaps"))
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
        return [Markdown("Questions for the Chief Constable are drawn from each disparity that is statistically "
                         "significant and not narrowing; eqlib does not yet compute them for this report.")]
    figures = area_figures(ctx)
    if not figures["measure"].astype(str).str.endswith("_disparity").any():
        return [Markdown(f"No disparity figures are available for {ctx.name} for {ctx.year_display}, so no "
                         "question for the Chief Constable can be drawn from the data.")]
    frame = func(figures, area_name=ctx.name)
    if frame is None or len(frame) == 0:
        return [Markdown(f"No disparity in the data for {ctx.name} is both statistically significant and "
                         "not narrowing, so no question is raised from the data.")]
    return [Markdown("\n".join(f"- {q}" for q in frame["question"]))]


def year_on_year(ctx: Context) -> list[Block]:
    """Themes that moved since the previous year's self-assessment."""
    previous = periods_mod.financial_year(ctx.period.start.year - 1)
    path = paths.params_dir(ctx.root) / f"{ctx.area.slug}-{previous.label}.yml"
    if not path.is_file():
        return [Markdown(f"There is no self-assessment for {ctx.name} for {previous.display} "
                         f"(`params/{path.name}`), so no change can be shown.")]
    from eqlib.framework import load_params
    from eqlib.framework.compare import compare_self_assessments

    frame = compare_self_assessments(load_params(path).self_assessment, framework_params(ctx).self_assessment)
    frame = frame[frame["change"] != "not assessed"]
    if frame.empty:
        return [Markdown(f"Neither {previous.display} nor {ctx.year_display} has any theme self-assessed.")]
    counts = frame["change"].value_counts()
    text = (f"Since {previous.display}: " + ", ".join(f"{int(n)} theme(s) {c}" for c, n in counts.items()) + ".")
    shown = pd.DataFrame({
        "Theme": frame["theme"].astype(str) + ". " + frame["theme_name"],
        previous.display: frame["previous_level"].fillna("not assessed"),
        ctx.year_display: frame["current_level"].fillna("not assessed"),
        "Change": frame["change"],
        "Criteria gained": frame["criteria_gained"],
        "Criteria lost": frame["criteria_lost"],
    })
    return [Markdown(text), Table(shown, f"Self-assessed level by theme, {previous.display} and "
                                         f"{ctx.year_display}, {ctx.name}", "year-on-year")]
