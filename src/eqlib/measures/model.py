"""What a measure is: one :class:`Measure` entry declares everything eqlib knows about it.

A measure is declared once, in the topic module that computes it (:mod:`eqlib.measures.stop_search`,
:mod:`~eqlib.measures.arrests`, ...), and collected in :data:`eqlib.measures.MEASURES`. Analysis (which
function computes it, its source), the tables (title), the report sections (home section, cell, chart
kind, headline label), the notebooks, the explore helpers and the framework's evidence map (criteria) all
read that entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

#: a measure's computation: the data folder's project root (None: the default) -> its figure frame for every
#: area and period (:data:`eqlib.metrics.FIGURE_COLUMNS`, plus ``source`` and ``source_rank``)
MeasureFunc = Callable[[Path | None], pd.DataFrame]

#: how a report section shows a measure (the chart kinds of :mod:`eqlib.report.sections.common`):
#: "default" (sentences, a chart with intervals and a table), "trend", "funnel", "characteristic" (shares and
#: ratios of shares by sex or age), "strip_search"
CHART_KINDS = ("default", "trend", "funnel", "characteristic", "strip_search")


@dataclass(frozen=True)
class Measure:
    """One measure: what it is, the data it needs, how it is computed and where the report shows it."""

    id: str
    title: str
    unit: str  # "per 1,000", "ratio", "%", "count", "index"
    datasets: tuple[str, ...]  # dataset ids (eqlib.sources) or local template names (local:<name>)
    description: str = ""
    #: the function computing it for every area from national data; None: only from an analyst's local file
    compute: MeasureFunc | None = None
    #: the source named in the tables when the figures carry none of their own
    source: str = ""
    #: the report section (notebook name, e.g. "03_services") whose evidence this is; None: shown nowhere
    section: str | None = None
    #: the cell of that notebook that shows it (measures of one cell are shown together, in catalogue order)
    cell: str = ""
    #: how the section shows it (:data:`CHART_KINDS`)
    chart: str = "default"
    #: the overview's key figures and main chart: the short name of the power (e.g. "Stop and search")
    headline: str = ""
    #: the template of data/templates an analyst fills to supply it from local records
    local_template: str = ""
    #: caveat codes (:mod:`eqlib.metrics.caveats`) every figure of the measure carries
    caveats: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.chart not in CHART_KINDS:
            raise ValueError(f"measure {self.id}: chart {self.chart!r} is not one of {CHART_KINDS}")

    @property
    def criteria(self) -> tuple[str, ...]:
        """The framework criteria this measure evidences (``framework/evidence_map.yml``), in id order."""
        return tuple(sorted(criteria_map().get(self.id, {}).get("criteria", ()), key=criterion_key))

    @property
    def national(self) -> bool:
        """True when eqlib computes it from national data (else only from local files)."""
        return self.compute is not None


#: companion figures a metric returns beside its main one: measure-id suffix -> (what it is, unit)
COMPANIONS: dict[str, tuple[str, str]] = {
    "_ratio": ("ratio to the reference group", "ratio"),
    "_bounds_not_stated_bounds": (
        "the ratio if every search with ethnicity not stated were in the group "
        "(upper) or in the White group (lower)",
        "bounds",
    ),
    "_bounds": ("not-stated bounds", "bounds"),
    "_headcount_gap": ("headcount gap to proportional representation", "count"),
    "_population_share": ("share of the population (per cent)", "%"),
    "_workforce_share": ("share of the workforce (per cent)", "%"),
    "_not_stated_share": ("share with ethnicity not stated (per cent)", "%"),
    "_not_recorded_share": ("share whose sex is not recorded (per cent)", "%"),
}

EVIDENCE_MAP = Path(__file__).resolve().parent.parent / "framework" / "evidence_map.yml"


def criterion_key(text: str) -> tuple[int, ...]:
    """Sort key of a criterion id ("1.10.2" after "1.2.3")."""
    return tuple(int(p) for p in str(text).split(".") if p.isdigit())


@lru_cache(maxsize=1)
def criteria_map() -> dict[str, dict]:
    """``framework/evidence_map.yml``: measure id -> {why, criteria (str ids), race_action_plan}."""
    raw = yaml.safe_load(EVIDENCE_MAP.read_text(encoding="utf-8"))["measures"]  # the package's own file
    return {
        str(m): {
            "why": entry["why"],
            "criteria": tuple(str(c) for c in entry["criteria"]),
            "race_action_plan": tuple(entry["race_action_plan"]),
        }
        for m, entry in raw.items()
    }
