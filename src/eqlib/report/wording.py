"""Words for the public report: readable names for measure and dataset ids, periods, dates and numbers.

The published report never shows an id (``stop_search_disparity``, ``local:custody``), a raw period
label (``2020-21``), an ISO date or an unrounded number; the builders in :mod:`eqlib.report.sections` and
:mod:`eqlib.framework.summaries` pass them through these functions. Numbers use
:func:`eqlib.report.figures.fmt_number`, so a figure reads the same in a sentence, a table and an objective.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

__all__ = [
    "measure_title",
    "dataset_name",
    "dataset_names",
    "period_words",
    "date_words",
    "number",
    "LOCAL_PREFIX",
]

LOCAL_PREFIX = "local:"

#: short public names of the national datasets (the full titles are in the data and methods appendix)
_DATASET_NAMES: dict[str, str] = {
    "arrests_ho": "Home Office arrests statistics",
    "cjs_prosecutions_convictions": "Ministry of Justice prosecutions and convictions",
    "hate_crime_mps": "Metropolitan Police hate crime data",
    "iopc_deaths": "IOPC deaths during or following police contact",
    "iopc_deaths_ethnicity": "IOPC deaths during or following police contact, by ethnicity",
    "population_census2011": "Census 2011 population",
    "population_census2011_pfa": "Census 2011 population",
    "population_census2021": "Census 2021 population",
    "stop_search_eff_by_area": "Ethnicity facts and figures stop and search rates by force area",
    "stop_search_eff_national": "Ethnicity facts and figures national stop and search series",
    "stop_search_policeuk": "police.uk stop and search records",
    "use_of_force_ho": "Home Office use of force statistics",
    "workforce_chief_officers": "Home Office chief officer statistics",
    "workforce_officer_ranks_2003_2006": "Home Office officer rank statistics",
    "workforce_totals_ho": "Home Office police workforce statistics",
}

#: what an OPCC's own file holds (template name in data/templates -> words)
_LOCAL_NAMES: dict[str, str] = {
    "workforce": "workforce by ethnicity",
    "complaints": "complaints by protected characteristic",
    "victims_services": "victims' services take-up",
    "satisfaction": "satisfaction survey results",
    "custody": "custody records",
    "custody_visits": "independent custody visitors' reports",
    "use_of_force": "use of force returns",
    "hate_crime": "hate crime by strand",
}


def measure_title(measure_id: str) -> str:
    """The measure's title from :mod:`eqlib.measures` (an unknown id in plain words, never as it is)."""
    from eqlib import measures

    try:
        return measures.get_measure(measure_id).title
    except KeyError:
        return measure_id.replace("_", " ")


def dataset_name(dataset_id: str) -> str:
    """A short plain name for a dataset id; ``local:<template>`` is the OPCC's or force's own figures."""
    if dataset_id.startswith(LOCAL_PREFIX):
        name = dataset_id.removeprefix(LOCAL_PREFIX)
        return f"the force's or OPCC's own {_LOCAL_NAMES.get(name, name.replace('_', ' '))}"
    if dataset_id in _DATASET_NAMES:
        return _DATASET_NAMES[dataset_id]
    from eqlib import sources

    ds = sources.datasets().get(dataset_id)
    return ds.title if ds else dataset_id.replace("_", " ")


def dataset_names(dataset_ids: Iterable[str]) -> str:
    """Several datasets as one phrase, each once, in the order given ("A; B")."""
    names: list[str] = []
    for d in dataset_ids:
        name = dataset_name(d)
        if name not in names:
            names.append(name)
    return "; ".join(names)


def period_words(label: Any) -> str:
    """``2020-21`` -> ``2020/21``; a label that is not a period is returned as text ('' for missing)."""
    if label is None or (isinstance(label, float) and math.isnan(label)):
        return ""
    from eqlib import periods

    try:
        return periods.parse(str(label)).display
    except periods.PeriodError:
        return str(label)


def date_words(day: dt.date | Any) -> str:
    """``2025-03-31`` -> ``31 March 2025``."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return f"{day.day} {day.strftime('%B %Y')}"


def number(value: Any) -> str:
    """A figure as the report displays it (:func:`eqlib.report.figures.fmt_number`); missing is "no data"."""
    from eqlib.report.figures import fmt_number

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data"
    return fmt_number(value)
