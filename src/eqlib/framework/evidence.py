"""Which framework criteria the data support for an area and year, and the evidence gaps.

The evidence map (``evidence_map.yml``, :func:`eqlib.framework.model.evidence_map`) links each measure in
:data:`eqlib.measures.MEASURES` to the criteria it evidences and the Police Race Action Plan outcome areas.
Availability is an input (the set of measure ids with data for the area and year, as
``eqlib.datacheck.available(...)`` reports), so these functions are pure.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from eqlib.errors import DataError
from eqlib.framework.model import (
    Framework,
    evidence_map,
    load_framework,
    load_race_action_plan,
    measure_outcome_areas,
)
from eqlib.measures import get_measure, measure_ids

EVIDENCE_STATUSES: tuple[str, ...] = ("supported", "partly supported", "gap")
"""supported: every measure mapped to the criterion has data; partly supported: some do; gap: none do."""

STATUS_COLUMNS = [
    "criterion",
    "theme",
    "theme_name",
    "section",
    "level",
    "criterion_text",
    "measures",
    "available",
    "missing",
    "status",
    "race_action_plan",
]


def _check_available(available_measures: Iterable[str]) -> frozenset[str]:
    if isinstance(available_measures, str):
        raise DataError(
            "available measures must be a collection of measure ids, not one string",
            value=available_measures,
            expected="a set such as {'stop_search_rate'}",
        )
    available = frozenset(available_measures)
    unknown = sorted(available - set(measure_ids()))
    if unknown:
        raise DataError(
            "unknown measure id(s) in the available measures",
            value=unknown,
            expected=f"ids from eqlib.measures.MEASURES ({', '.join(measure_ids()[:4])}, ...)",
        )
    return available


def _id_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in str(text).split("."))


def evidence_status(available_measures: Iterable[str], *, framework: Framework | None = None) -> pd.DataFrame:
    """One row per criterion that needs data (is in the evidence map), with what the area's data support.

    Parameters
    ----------
    available_measures
        Measure ids with data for the area and year (e.g. from ``eqlib.datacheck.available``).

    Returns
    -------
    DataFrame with :data:`STATUS_COLUMNS`, in criterion order: ``measures`` (every measure that evidences
    the criterion), ``available`` and ``missing`` (``; ``-separated measure ids), ``status`` one of
    :data:`EVIDENCE_STATUSES`, and ``race_action_plan`` (outcome areas of its measures).
    """
    available = _check_available(available_measures)
    framework = framework or load_framework()
    emap = evidence_map()
    areas_of = measure_outcome_areas()
    rows = []
    for criterion, group in emap.groupby("criterion", sort=False):
        c = framework.criterion(criterion)
        t = framework.theme(c.theme)
        measures = sorted(set(group["measure"]), key=measure_ids().index)
        have = [m for m in measures if m in available]
        lack = [m for m in measures if m not in available]
        status = "supported" if not lack else ("partly supported" if have else "gap")
        rap = sorted({a for m in measures for a in areas_of[m]})
        rows.append(
            {
                "criterion": criterion,
                "theme": t.id,
                "theme_name": t.name,
                "section": t.section,
                "level": c.level,
                "criterion_text": c.text,
                "measures": "; ".join(measures),
                "available": "; ".join(have),
                "missing": "; ".join(lack),
                "status": status,
                "race_action_plan": "; ".join(rap),
            }
        )
    out = pd.DataFrame(rows, columns=STATUS_COLUMNS)
    return out.sort_values("criterion", key=lambda s: s.map(_id_key)).reset_index(drop=True)


def evidence_gaps(available_measures: Iterable[str], *, framework: Framework | None = None) -> pd.DataFrame:
    """The evidence gaps: criteria needing a measure the area lacks (status ``gap`` or ``partly supported``),
    with the missing measures' titles and the data they need (``needs``)."""
    status = evidence_status(available_measures, framework=framework)
    gaps = status[status["status"] != "supported"].copy()
    gaps["missing_titles"] = gaps["missing"].map(
        lambda ids: "; ".join(get_measure(m).title for m in ids.split("; ") if m)
    )
    gaps["needs"] = gaps["missing"].map(
        lambda ids: "; ".join(sorted({d for m in ids.split("; ") if m for d in get_measure(m).datasets}))
    )
    return gaps.reset_index(drop=True)


def outcome_area_coverage(available_measures: Iterable[str]) -> pd.DataFrame:
    """Per Police Race Action Plan outcome area: the measures that evidence it, which have data, which not.

    Columns: ``outcome_area``, ``name``, ``measures``, ``available``, ``missing`` (counts) and
    ``missing_measures`` (``; ``-separated ids).
    """
    available = _check_available(available_measures)
    areas_of = measure_outcome_areas()
    rows = []
    for area in load_race_action_plan().outcome_areas:
        measures = [m for m in measure_ids() if area.id in areas_of.get(m, ())]
        lack = [m for m in measures if m not in available]
        rows.append(
            {
                "outcome_area": area.id,
                "name": area.name,
                "measures": len(measures),
                "available": len(measures) - len(lack),
                "missing": len(lack),
                "missing_measures": "; ".join(lack),
            }
        )
    return pd.DataFrame(rows)


def criteria_for_measure(measure: str) -> tuple[str, ...]:
    """The criteria a measure evidences (raises ``KeyError`` for an unknown measure)."""
    get_measure(measure)
    emap = evidence_map()
    return tuple(sorted(emap.loc[emap["measure"] == measure, "criterion"], key=_id_key))


#: The nine protected characteristics of the Equality Act 2010 (section 4), in the Act's order, and the
#: measures (ids in eqlib.measures.MEASURES) that give figures for each from national data. A measure id
#: not (yet) in the registry is ignored. Hate crime by strand (Metropolitan Police only) covers the
#: strands the MPS records: race, religion, sexual orientation, disability and transgender identity.
PROTECTED_CHARACTERISTICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Age", ("stop_search_by_age",)),
    ("Disability", ("hate_crime_by_strand",)),
    ("Gender reassignment (gender identity)", ("hate_crime_by_strand",)),
    ("Marriage and civil partnership", ()),
    ("Pregnancy and maternity", ()),
    (
        "Race (ethnicity)",
        (
            "stop_search_rate",
            "stop_search_disparity",
            "stop_search_strip_search",
            "stop_search_arrest_rate",
            "arrest_rate",
            "arrest_disparity",
            "use_of_force_rate",
            "use_of_force_disparity",
            "conviction_ratio",
            "chief_officer_representation",
            "workforce_representation",
            "hate_crime_by_strand",
        ),
    ),
    ("Religion or belief", ("hate_crime_by_strand",)),
    ("Sex", ("stop_search_by_sex", "workforce_women_representation")),
    ("Sexual orientation", ("hate_crime_by_strand",)),
)

CHARACTERISTIC_COLUMNS = ["characteristic", "measures", "available", "status"]


def characteristic_coverage(
    available_measures: Iterable[str], *, local: dict[str, Iterable[str]] | None = None
) -> pd.DataFrame:
    """Which of the nine protected characteristics (Equality Act 2010, s.4) the area's data give figures for.

    Parameters
    ----------
    available_measures
        Measure ids with figures for the area and year (as for :func:`evidence_status`).
    local
        Optional: characteristic (as named in :data:`PROTECTED_CHARACTERISTICS`) -> measure ids from the
        OPCC's own files that break figures down by it.

    Returns
    -------
    DataFrame with :data:`CHARACTERISTIC_COLUMNS`, one row per characteristic in the Act's order:
    ``measures`` (the measures that could evidence it), ``available`` (those with figures), ``status``
    ``"data"`` or ``"gap"`` (no figures at all: an evidence gap, listed rather than left out).
    """
    available = _check_available(available_measures)
    known = set(measure_ids())
    extra = {k: set(v) for k, v in (local or {}).items()}
    rows = []
    for name, ids in PROTECTED_CHARACTERISTICS:
        candidates = [m for m in ids if m in known]
        have = [m for m in candidates if m in available] + sorted(extra.get(name, set()) - set(candidates))
        rows.append(
            {
                "characteristic": name,
                "measures": "; ".join(candidates),
                "available": "; ".join(have),
                "status": "data" if have else "gap",
            }
        )
    return pd.DataFrame(rows, columns=CHARACTERISTIC_COLUMNS)


def characteristic_gaps(available_measures: Iterable[str], **kwargs) -> tuple[str, ...]:
    """The protected characteristics with no figures for the area (see :func:`characteristic_coverage`)."""
    coverage = characteristic_coverage(available_measures, **kwargs)
    return tuple(coverage.loc[coverage["status"] == "gap", "characteristic"])
