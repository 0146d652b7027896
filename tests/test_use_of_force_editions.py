"""Use of force: no edition's Taser figures lost to a label change; tactic uses labelled as such."""

from __future__ import annotations

from eqlib import analysis, store
from eqlib.sources.home_office import tactic_group


def test_tactic_group_drops_of_which_wording():
    assert tactic_group("CED of which") == "CED" == tactic_group("CED")
    assert tactic_group("Baton, of which") == "Baton"
    assert tactic_group("CED discharge") == "CED discharge"


def test_every_shipped_edition_has_taser_rows():
    uof = store.load("use_of_force_ho")
    editions = set(uof["edition"])
    assert editions == {"2017-18", "2018-19", "2019-20"}
    ced13 = uof[uof["measure"] == "ced_uses"]
    assert set(ced13["period"]) == editions  # Table_13 CED by force, every year
    t16 = uof[uof["table"] == "Table_16"]
    for period in set(t16["period"]):  # Table_16 (force x ethnicity) exists from 2018/19
        rows = t16[(t16["period"] == period) & (t16["tactic_group"] == "CED")]
        assert len(rows) > 0 and rows["count"].sum() > 0, period
    assert set(t16.loc[t16["tactic_group"] == "CED", "tactic"]) == {"CED", "CED of which"}
    taser = analysis.compute_measure("taser_by_ethnicity")
    assert set(taser["period"]) == set(t16["period"]) == {"2018-19", "2019-20"}


def test_tactic_uses_are_labelled_tactic_uses_and_incidents_incidents():
    for measure in ("use_of_force_rate", "use_of_force_disparity", "taser_by_ethnicity"):
        frame = analysis.compute_measure(measure)
        assert all("tactic_uses_not_people" in c and "incident_not_person" not in c for c in frame["caveats"])
    from eqlib.measures import get_measure
    from eqlib.metrics import caveats as cv

    assert "tactic uses" in get_measure("use_of_force_rate").title
    assert "independent" in cv.text("tactic_uses_not_people")
    incidents = analysis.compute_measure("use_of_force_incidents")
    national = incidents[incidents["area_code"] == "K04000001"].set_index("period")["value"]
    assert national["2017-18"] == 313_137  # Home Office Table 12, England and Wales, 2017/18
    assert all("incident_not_person" in c for c in incidents["caveats"])
