"""The evidence map (measures -> criteria and Race Action Plan outcome areas) and evidence gaps."""

from __future__ import annotations

import pytest
import yaml

from eqlib.errors import DataError
from eqlib.framework import evidence_map, load_framework, load_race_action_plan
from eqlib.framework.evidence import (
    EVIDENCE_STATUSES,
    criteria_for_measure,
    evidence_gaps,
    evidence_status,
    outcome_area_coverage,
)
from eqlib.framework.model import _read_yaml
from eqlib.measures import measure_ids

FW = load_framework()


def test_map_ids_are_valid_and_every_measure_is_mapped():
    raw = _read_yaml("evidence_map.yml")["measures"]
    assert set(raw) == set(measure_ids())  # the measure ids are the contract
    areas = {a.id for a in load_race_action_plan().outcome_areas}
    for measure, entry in raw.items():
        assert entry["criteria"], measure
        assert entry["why"].strip()
        for criterion in entry["criteria"]:
            FW.criterion(str(criterion))  # raises for an unknown id
        assert set(entry["race_action_plan"]) <= areas, measure
        assert len(set(map(str, entry["criteria"]))) == len(entry["criteria"]), f"duplicate in {measure}"
    # every outcome area is evidenced by some measure
    assert {a for e in raw.values() for a in e["race_action_plan"]} == areas


def test_map_links_the_criteria_that_ask_for_data_on_powers_by_ethnicity():
    # 1.2: "use of police powers/use of force broken down by ethnic group"; 2.1.3 data published on powers and
    # force; 2.2.1 data used to hold the Chief Constable to account for ethnic disparities
    assert "2.1.3" in criteria_for_measure("stop_search_rate")
    assert "2.2.1" in criteria_for_measure("stop_search_disparity")
    assert "2.3.1" in criteria_for_measure("stop_search_trend")  # disparities decreasing
    assert "12.1.5" in criteria_for_measure("complaints_by_characteristic")
    assert "13.3.2" in criteria_for_measure("workforce_representation")
    with pytest.raises(KeyError):
        criteria_for_measure("no_such_measure")
    emap = evidence_map()
    assert list(emap.columns) == ["measure", "criterion", "why", "race_action_plan"]


def test_all_available_supports_every_mapped_criterion():
    status = evidence_status(set(measure_ids()))
    assert set(status["status"]) == {"supported"}
    assert set(status["criterion"]) == set(evidence_map()["criterion"])
    assert evidence_gaps(set(measure_ids())).empty


def test_nothing_available_makes_every_mapped_criterion_a_gap():
    status = evidence_status(set())
    assert set(status["status"]) == {"gap"}
    gaps = evidence_gaps([])
    assert len(gaps) == len(status)
    assert (gaps["missing"] == gaps["measures"]).all()


def test_partial_availability_by_hand():
    # 12.1.5 needs only complaints_by_characteristic; 2.2.1 needs several measures
    status = evidence_status({"stop_search_disparity"}).set_index("criterion")
    assert status.loc["12.1.5", "status"] == "gap"
    assert status.loc["12.1.5", "missing"] == "complaints_by_characteristic"
    assert status.loc["2.2.1", "status"] == "partly supported"
    assert status.loc["2.2.1", "available"] == "stop_search_disparity"
    assert "use_of_force_disparity" in status.loc["2.2.1", "missing"]
    assert status.loc["2.2.1", "theme"] == 2 and status.loc["2.2.1", "level"] == "Achieving"
    assert "powers_and_procedures" in status.loc["2.2.1", "race_action_plan"]
    assert set(status["status"]) <= set(EVIDENCE_STATUSES)
    gaps = evidence_gaps({"stop_search_disparity"}).set_index("criterion")
    assert "local:complaints" in gaps.loc["12.1.5", "needs"]
    assert "Complaints by protected characteristic" in gaps.loc["12.1.5", "missing_titles"]


def test_criteria_in_framework_order():
    ids = list(evidence_status(set())["criterion"])
    key = [tuple(int(p) for p in i.split(".")) for i in ids]
    assert key == sorted(key)


def test_unknown_available_measure_is_an_error():
    with pytest.raises(DataError, match="unknown measure"):
        evidence_status({"stop_search_rate", "made_up"})
    with pytest.raises(DataError, match="collection"):
        evidence_status("stop_search_rate")


def test_outcome_area_coverage():
    cov = outcome_area_coverage({"stop_search_rate", "workforce_representation"}).set_index("outcome_area")
    assert list(cov.index) == [a.id for a in load_race_action_plan().outcome_areas]
    assert cov.loc["culture_and_workforce", "available"] == 1
    assert cov.loc["powers_and_procedures", "available"] == 1
    assert cov.loc["safety_and_victimisation", "available"] == 0
    assert (cov["available"] + cov["missing"] == cov["measures"]).all()


def test_evidence_map_yaml_is_package_data():
    # the file ships with the package (pyproject includes **/*.yml) and parses
    from importlib import resources

    text = resources.files("eqlib.framework").joinpath("evidence_map.yml").read_text(encoding="utf-8")
    assert yaml.safe_load(text)["measures"]
