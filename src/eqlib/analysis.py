"""Every figure eqlib publishes for one area and year: selected, suppressed and protected as one publication.

The measures themselves (what each is, which data, which function computes it for every area) are the
catalogue of :mod:`eqlib.measures`; :func:`eqlib.measures.compute.compute_measure` computes and caches them.
This module picks one area's figures for a report year (:func:`figures_for`, by THE selection rule of
:func:`eqlib.measures.selection.select`), adds the measures of the analyst's own files
(:func:`compute_local`), and :func:`compute` applies disclosure control across the whole area-year
(:func:`eqlib.metrics.publication.protect`). That one :class:`AreaResult` is what ``eqlib tables`` writes
and what the report sections show (:func:`eqlib.report.sections.common.publication`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from eqlib import areas, periods
from eqlib.errors import UsageError
from eqlib.framework import params as fw_params
from eqlib.measures import catalogue, local
from eqlib.measures._base import (  # noqa: F401 - the sources of a figure, for callers
    EFF_NATIONAL_SOURCE,
    EFF_PUBLISHED_SOURCE,
    HO_SOURCE,
    POLICEUK_SOURCE,
    RANK_DERIVED,
    RANK_OFFICIAL_COUNTS,
    RANK_POLICEUK,
    RANK_PUBLISHED,
)
from eqlib.measures.compute import compute_measure, inputs_key, warm  # noqa: F401 - the compute path
from eqlib.measures.local_disclosure import suppress_local
from eqlib.measures.selection import (  # noqa: F401 - the selection rule, for callers
    DEFAULT_THRESHOLD,
    Selection,
    display_period,
    period_end,
    select,
    suppress,
)
from eqlib.metrics import caveats as cv
from eqlib.metrics import publication
from eqlib.sources.local import load_local_dir

log = logging.getLogger(__name__)


def figures_for(
    measure_id: str,
    area: str,
    year: str | int,
    *,
    root: Path | None = None,
    threshold: int | None = DEFAULT_THRESHOLD,
) -> Selection:
    """One area's published figures for a measure and year: selected, then suppressed.

    ``threshold`` None skips suppression (for analysts' own exploration; never for publication).
    """
    area_obj = areas.resolve(area)
    period = periods.parse(year)
    chosen = select(compute_measure(measure_id, root=root), area_obj.code, period, measure=measure_id)
    if threshold is None or chosen.frame.empty:
        return chosen
    published = suppress(chosen.frame, threshold=threshold)
    return Selection(chosen.measure, published, chosen.period, chosen.requested, chosen.status)


def compute_local(
    area: str,
    year: str | int,
    local_dir: str | Path,
    *,
    threshold: int | None = DEFAULT_THRESHOLD,
    root: Path | None = None,
    allow_examples: bool = False,
) -> dict[str, Selection]:
    """Every local measure for one area and year: read, compute, select the year, suppress.

    Reads ``local_dir`` with :func:`eqlib.sources.local.load_local_dir` (rows for other areas and
    later periods set aside), computes :func:`eqlib.measures.local.local_figures`, keeps the report year or the latest
    earlier period (labelled "latest available", :func:`select`), and suppresses
    with :func:`eqlib.measures.local_disclosure.suppress_local` (``threshold`` None skips suppression: for analysts' own exploration,
    never for publication). ``allow_examples`` accepts rows marked EXAMPLE (tests only).
    """
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)) or threshold < 0
    ):
        raise UsageError(f"suppression threshold must be a whole number of 0 or more (got {threshold!r})")
    area_obj = areas.resolve(area)
    period = periods.parse(year)
    frames = load_local_dir(local_dir, area_obj.code, period, allow_examples=allow_examples)
    figures = local.local_figures(frames, area_code=area_obj.code, period=period, root=root)
    out: dict[str, Selection] = {}
    for measure_id, fig in figures.items():
        chosen = select(fig, area_obj.code, period, measure=measure_id)
        if threshold is not None and not chosen.frame.empty:
            chosen = Selection(
                chosen.measure,
                suppress_local(chosen.frame, threshold=threshold),
                chosen.period,
                chosen.requested,
                chosen.status,
            )
        out[measure_id] = chosen
    return out


# --------------------------------------------------------------------------- all figures for an area
@dataclass
class AreaResult:
    area: areas.Area
    period: periods.Period
    threshold: int
    selections: dict[str, Selection] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    local: set[str] = field(default_factory=set)  # measures computed from the analyst's local files

    def source(self, measure_id: str) -> str:
        if measure_id in self.local:
            return local.source_text(measure_id)
        default = catalogue.get_measure(measure_id).source
        sel = self.selections.get(measure_id)
        return selection_source(sel.frame, default) if sel is not None else default

    @property
    def stem(self) -> str:
        return f"{self.area.slug}-{self.period.label}-equality-information"


def selection_source(frame: pd.DataFrame, default: str = "") -> str:
    """The source of the figures a selection shows (one source per selection, see :func:`select`)."""
    if "source" in frame.columns and len(frame):
        names = [str(v) for v in frame["source"].dropna().unique() if str(v)]
        if names:
            return "; ".join(names)
    return default


def caveat_codes(frame: pd.DataFrame) -> set[str]:
    codes: set[str] = set()
    for value in frame.get("caveats", pd.Series(dtype=object)):
        if isinstance(value, (tuple, list, set, frozenset, np.ndarray)):
            codes.update(str(v) for v in value)
        elif isinstance(value, str) and value:
            codes.update(v.strip() for v in value.split(";") if v.strip())
    return {c for c in codes if c in cv.CAVEATS}


def compute(
    area: str,
    year: str | int,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    root: Path | None = None,
    measures: list[str] | None = None,
    local_dir: str | Path | None = None,
) -> AreaResult:
    """Every measure for one area and year, selected and suppressed; with ``local_dir``, also the
    measures from the analyst's own files (which replace a national figure of the same measure)."""
    if threshold is None or threshold < 0 or (isinstance(threshold, float) and math.isnan(threshold)):
        raise UsageError(f"suppression threshold must be a whole number of 0 or more (got {threshold!r})")
    area_obj = areas.resolve(area)
    period = periods.parse(year)
    result = AreaResult(area_obj, period, int(threshold))
    for measure_id in measures or list(catalogue.national_ids()):
        result.selections[measure_id] = figures_for(
            measure_id, area_obj.code, period.label, root=root, threshold=threshold
        )
    if local_dir is not None:
        for measure_id, sel in compute_local(
            area_obj.code, period.label, local_dir, threshold=threshold, root=root
        ).items():
            if (measures is None or measure_id in measures) and not sel.frame.empty:
                result.selections[measure_id] = sel
                result.local.add(measure_id)
    if threshold:
        _protect_publication(result)
    return result


def _protect_publication(result: AreaResult) -> None:
    """Disclosure control across every table of the area-year (:func:`eqlib.metrics.publication.protect`):
    a cell hidden in one table is hidden in all, and no line of any table reveals it."""
    protected = publication.protect(result, threshold=result.threshold)
    for measure_id, frame in protected.items():
        sel = result.selections[measure_id]
        result.selections[measure_id] = Selection(sel.measure, frame, sel.period, sel.requested, sel.status)


def compute_for_cli(
    area: str, year: str | int, *, threshold: int | None = None, local_dir: str | Path | None = None
) -> AreaResult:
    """:func:`compute` with the CLI's checks: unknown area or year -> UsageError (exit 2).

    ``local_dir`` defaults to the ``local_data_dir`` of the area-year's params file, if any."""

    try:
        area_obj = areas.resolve(area)
    except areas.UnknownAreaError as exc:
        raise UsageError(str(exc)) from None
    try:
        period = periods.parse(year)
        if period.kind == "calendar_year" and len(str(year)) == 4:
            period = periods.financial_year(int(year))
        if period.kind == "financial_year":
            periods.check_report_year(period, year)
    except (periods.PeriodError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    if local_dir is None or threshold is None:
        params = fw_params.params_for(area_obj.slug, period.label)
        if params is not None:
            local_dir = local_dir if local_dir is not None else params.local_data_dir
            threshold = threshold if threshold is not None else params.suppression_threshold
    return compute(
        area_obj.code,
        period.label,
        threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
        local_dir=local_dir,
    )
