"""Section 4 of the APCC Equality Framework, *Diverse and engaged workforce* (notebook 04_workforce).

Its measures (workforce totals, women by rank, chief officers and, from local files, the force's and the
OPCC's workforce by ethnicity) and the notebook cells that show them are the catalogue's: ``measure_cell(ctx,
NOTEBOOK, cell)`` for each cell in :data:`CELLS`.
"""

from __future__ import annotations

from eqlib.measures import catalogue

NOTEBOOK = "04_workforce"

#: the cells of the notebook that show measures, in order (catalogue ``cell`` values)
CELLS: tuple[str, ...] = tuple(
    dict.fromkeys(catalogue.get_measure(m).cell for m in catalogue.section_measures(NOTEBOOK))
)
