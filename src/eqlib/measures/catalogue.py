"""The catalogue: every measure eqlib knows, declared once (:class:`~eqlib.measures.model.Measure`), in order.

The entries live beside the functions that compute them (:mod:`eqlib.measures.stop_search`,
:mod:`~eqlib.measures.arrests`, :mod:`~eqlib.measures.use_of_force`, :mod:`~eqlib.measures.cjs`,
:mod:`~eqlib.measures.workforce`, :mod:`~eqlib.measures.contact`, :mod:`~eqlib.measures.local`); this module
collects them and answers the questions the rest of eqlib asks: which measures are computed from national
data, which a section shows (and in which cell), the overview's headline measures, a measure's criteria.
Adding a measure is one entry in its topic module (plus its tests).
"""

from __future__ import annotations

from eqlib.measures import arrests, cjs, contact, local, stop_search, use_of_force, workforce
from eqlib.measures.model import Measure

#: every measure, in the order the framework's evidence tables list them
MEASURES: tuple[Measure, ...] = (
    *stop_search.MEASURES,
    *arrests.MEASURES,
    *use_of_force.MEASURES,
    *cjs.MEASURES,
    *workforce.MEASURES,
    *local.WORKFORCE_MEASURES,
    *contact.MEASURES,
    *local.SERVICE_MEASURES,
)

_BY_ID: dict[str, Measure] = {m.id: m for m in MEASURES}
if len(_BY_ID) != len(MEASURES):  # pragma: no cover - a programming error
    raise RuntimeError("eqlib.measures: a measure id is declared twice")


def get_measure(measure_id: str) -> Measure:
    try:
        return _BY_ID[measure_id]
    except KeyError:
        raise KeyError(f"Unknown measure {measure_id!r}; known: {', '.join(_BY_ID)}") from None


def measure_ids() -> tuple[str, ...]:
    return tuple(_BY_ID)


def national_ids() -> tuple[str, ...]:
    """The measures computed for every area from national data (the ones with a ``compute`` function)."""
    return tuple(m.id for m in MEASURES if m.compute is not None)


def section_measures(section: str) -> tuple[str, ...]:
    """The measures whose home is ``section`` (a notebook name such as ``03_services``), in catalogue order."""
    return tuple(m.id for m in MEASURES if m.section == section)


def sections() -> dict[str, tuple[str, ...]]:
    """Section (notebook) -> its measures, for every section that is home to a measure."""
    out: dict[str, list[str]] = {}
    for m in MEASURES:
        if m.section is not None:
            out.setdefault(m.section, []).append(m.id)
    return {s: tuple(ids) for s, ids in sorted(out.items())}


def cell_measures(section: str, cell: str) -> tuple[str, ...]:
    """The measures one cell of a section's notebook shows (``section`` and ``cell`` of their entries)."""
    ids = tuple(m.id for m in MEASURES if m.section == section and m.cell == cell)
    if not ids:
        cells = sorted({m.cell for m in MEASURES if m.section == section})
        raise KeyError(
            f"no measure of section {section!r} is in cell {cell!r}; its cells: {', '.join(cells)}"
        )
    return ids


def headline_measures() -> tuple[str, ...]:
    """The disparities the overview's key figures and main chart give, in order (entries with a ``headline``
    that are neither funnels nor trends)."""
    return tuple(m.id for m in MEASURES if m.headline and m.chart == "default")


def benchmark_measures() -> tuple[str, ...]:
    """The funnel plots comparing an area with every force area, in order of preference."""
    return tuple(m.id for m in MEASURES if m.chart == "funnel")


def local_templates() -> dict[str, str]:
    """Measure id -> the template of data/templates an analyst fills to supply it."""
    return {m.id: m.local_template for m in MEASURES if m.local_template}


def criteria_by_measure() -> dict[str, tuple[str, ...]]:
    """Measure id -> the framework criteria it evidences (``framework/evidence_map.yml``)."""
    return {m.id: m.criteria for m in MEASURES if m.criteria}
