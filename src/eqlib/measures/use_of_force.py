"""Use of force measures: Home Office police use of force statistics (Tables 12 and 16)."""

from __future__ import annotations

import pandas as pd

from eqlib import metrics
from eqlib.measures._base import (
    _count_figures,
    _load,
    _population,
    _with_caveat,
)
from eqlib.measures.model import Measure


# --------------------------------------------------------------------------- use of force
def _use_of_force_counts(root, tactic: str) -> pd.DataFrame:
    """Table_16 tactic uses by force and perceived ethnicity for one tactic, every edition: matched on
    ``tactic_group`` (2019/20 writes Taser ``CED of which``, 2018/19 ``CED``)."""
    uof = _load("use_of_force_ho", root)
    rows = uof.loc[(uof["table"] == "Table_16") & (uof["tactic_group"] == tactic)]
    return rows.reset_index(drop=True)


def _uof_caveats(frame: pd.DataFrame) -> pd.DataFrame:
    """Table_16 counts are tactic uses (not people, not incidents, not independent): that caveat, not
    the incidents one the generic use-of-force caveats give."""
    out = _with_caveat(_with_caveat(frame, "perceived_ethnicity"), "tactic_uses_not_people")
    if len(out):
        out["caveats"] = [tuple(c for c in codes if c != "incident_not_person") for codes in out["caveats"]]
    return out


def _use_of_force_incidents(root):
    """Use of force incidents by force (Table_12: an incident, not a person or a tactic use; no
    ethnicity), every edition."""
    uof = _load("use_of_force_ho", root)
    rows = uof.loc[(uof["table"] == "Table_12") & (uof["measure"] == "incidents")]
    # caveat: incident_not_person (the catalogue entry's, added by eqlib.measures.compute)
    return _count_figures(
        rows,
        measure="use_of_force_incidents",
        method="Home Office police use of force statistics, Table 12: incidents (count)",
    )


def _use_of_force_rate(root):
    counts = _use_of_force_counts(root, "*Total Tactics")
    pop = _population(list(counts["period"].unique()), root)
    return _uof_caveats(metrics.rates(counts, pop, measure="use_of_force_rate"))


def _use_of_force_disparity(root):
    counts = _use_of_force_counts(root, "*Total Tactics")
    pop = _population(list(counts["period"].unique()), root)
    return _uof_caveats(metrics.disparity(counts, pop, measure="use_of_force_disparity"))


def _taser(root):
    counts = _use_of_force_counts(root, "CED")
    pop = _population(list(counts["period"].unique()), root)
    return _uof_caveats(metrics.rates(counts, pop, measure="taser_by_ethnicity"))


MEASURES: tuple[Measure, ...] = (
    Measure(
        "use_of_force_rate",
        "Use of force tactic uses per 1,000 people, by perceived ethnic group",
        "per 1,000",
        ("use_of_force_ho",),
        compute=_use_of_force_rate,
        source="Home Office, Police use of force statistics (Table 16)",
        section="03_services",
        cell="use_of_force",
    ),
    Measure(
        "use_of_force_disparity",
        "Use of force disparity ratio to White",
        "ratio",
        ("use_of_force_ho",),
        compute=_use_of_force_disparity,
        source="Home Office, Police use of force statistics",
        section="03_services",
        cell="use_of_force",
        headline="Use of force",
    ),
    Measure(
        "taser_by_ethnicity",
        "Taser (CED) tactic uses by perceived ethnic group",
        "count",
        ("use_of_force_ho",),
        compute=_taser,
        source="Home Office, Police use of force statistics (CED)",
        section="03_services",
        cell="use_of_force",
    ),
    Measure(
        "use_of_force_incidents",
        "Use of force incidents (all ethnic groups)",
        "count",
        ("use_of_force_ho",),
        "Incidents in which force was used (Home Office Table 12); not people, not tactic uses.",
        compute=_use_of_force_incidents,
        source="Home Office, Police use of force statistics (Table 12)",
        section="03_services",
        cell="use_of_force",
        caveats=("incident_not_person",),
    ),
)
