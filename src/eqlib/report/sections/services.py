"""Section 3 of the APCC Equality Framework, *Responsive services* (notebook 03_services).

Its measures (stop and search outcomes, use of force, courts, deaths following police contact, and the
OPCC's local returns) and the notebook cells that show them are the catalogue's: ``measure_cell(ctx,
NOTEBOOK, cell)`` for each cell in :data:`CELLS`.
"""

from __future__ import annotations

from eqlib.measures import catalogue

NOTEBOOK = "03_services"

#: the cells of the notebook that show measures, in order (catalogue ``cell`` values)
CELLS: tuple[str, ...] = tuple(
    dict.fromkeys(catalogue.get_measure(m).cell for m in catalogue.section_measures(NOTEBOOK))
)
