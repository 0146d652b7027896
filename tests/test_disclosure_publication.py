"""Disclosure control across a whole publication (issue 10 item 2): eqlib.metrics.publication.

Real areas: nothing an area-year publishes lets a reader recover a suppressed cell. Planted
disclosures: the check finds them (so it can fail), with the value a reader would recover.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eqlib import analysis
from eqlib.analysis import compute_local
from eqlib.metrics import publication, suppress_figures

LOCAL = Path(__file__).parent / "data" / "local" / "south-wales-2021-22"


@pytest.mark.parametrize(("area", "year"), [("dyfed-powys", "2021-22"), ("city-of-london", "2019-20")])
def test_real_area_publication_discloses_nothing(area, year):
    result = analysis.compute(area, year)
    assert sum(len(s.frame) for s in result.selections.values()) > 50
    assert publication.find_disclosures(result) == []
    # the check had something to check: suppressed cells exist
    assert any((s.frame["symbol"] == "[c]").any() for s in result.selections.values())


def test_per_table_suppression_protects_the_arrest_shares():
    """Dyfed-Powys 2021/22: no Other searches, so no Other row; Asian arrests (1) was recoverable from the
    ethnic minority total. The absent group now stays in the line as a fixed zero."""
    frame = analysis.figures_for("stop_search_arrest_rate", "dyfed-powys", "2021-22").frame
    found = publication.find_disclosures({"stop_search_arrest_rate": frame})
    assert not [f for f in found if f.kind in ("solvable", "small_sum")]
    shares = frame[frame["measure"] == "stop_search_arrest_rate"].set_index("group")
    assert np.isnan(shares.loc["Asian", "count"])


@pytest.mark.parametrize(
    "area", ["dyfed-powys", "gwent", "north-wales", "south-wales", "city-of-london", "cumbria"]
)
def test_chief_officers_disclose_nothing(area):
    result = analysis.compute(area, "2020-21", measures=["chief_officer_representation"])
    assert publication.find_disclosures(result) == []


def test_synthetic_local_files_disclose_nothing():
    selections = compute_local("South Wales", "2021-22", LOCAL, allow_examples=True)
    protected = publication.protect(selections)
    assert publication.find_disclosures(protected) == []
    hidden = sum(int((f["symbol"] == "[c]").sum()) for f in protected.values())
    assert hidden > 0


def _rates(counts: dict[str, float]) -> pd.DataFrame:
    from eqlib import metrics

    frame = pd.DataFrame(
        {
            "area_code": "X",
            "area_name": "X",
            "period": "2021-22",
            "group": list(counts),
            "count": list(counts.values()),
        }
    )
    pop = pd.DataFrame(
        {
            "area_code": "X",
            "group": ["Asian", "Black", "Mixed", "White", "Other"],
            "population": [5000.0, 2000.0, 4000.0, 500000.0, 2000.0],
        }
    )
    return metrics.rates(frame, pop, measure="stop_search_rate"), metrics, frame, pop


def test_planted_total_of_another_table_is_found():
    rates, metrics, counts, pop = _rates(
        {"Asian": 3.0, "Black": 40.0, "Mixed": 12.0, "White": 900.0, "Other": 25.0}
    )
    planted = rates.copy()
    hide = planted["group"] == "Asian"
    planted.loc[hide, ["count", "value", "ci_low", "ci_high"]] = np.nan
    planted.loc[hide, "symbol"] = "[c]"
    found = publication.find_disclosures({"stop_search_rate": planted})
    assert [(f.kind, f.group, f.value) for f in found] == [("solvable", "Asian", 3.0)]
    published, _ = suppress_figures(rates)
    assert publication.find_disclosures({"stop_search_rate": published}) == []


def test_planted_bounds_row_and_hidden_reference_are_found():
    rates, metrics, counts, pop = _rates(
        {"Asian": 30.0, "Black": 3.0, "Mixed": 12.0, "White": 900.0, "Other": 25.0, "Not stated": 100.0}
    )
    ratios = metrics.disparity(counts, pop, measure="stop_search_disparity")
    bounds = metrics.not_stated_bounds(counts, pop, measure="stop_search_disparity_bounds")
    frame = pd.concat([ratios, bounds], ignore_index=True)
    hide = (frame["group"] == "Black") & ~frame["method"].str.startswith("not-stated")
    planted = frame.copy()
    planted.loc[hide, ["count", "value", "ci_low", "ci_high", "p_value"]] = np.nan
    planted.loc[hide, "symbol"] = "[c]"
    kinds = {(f.kind, f.group) for f in publication.find_disclosures({"stop_search_disparity": planted})}
    assert ("derived_figure", "Black") in kinds  # the bounds row repeats Black's ratio
    published, _ = suppress_figures(frame)
    black_bounds = published[
        published["method"].str.startswith("not-stated") & (published["group"] == "Black")
    ]
    assert black_bounds["value"].isna().all() and (black_bounds["symbol"] == "[c]").all()
    assert publication.find_disclosures({"stop_search_disparity": published}) == []


def test_planted_ethnicity_total_against_sex_total_is_found():
    base = dict(
        area_code="X",
        area_name="X",
        period="2021-22",
        reference_group="",
        denominator=np.nan,
        ci_low=np.nan,
        ci_high=np.nan,
        p_value=np.nan,
        method="count from the analyst's local file",
        caveats=[()],
    )
    eth = pd.DataFrame(
        [
            {
                **base,
                "measure": "complaints_x",
                "group": g,
                "count": c,
                "value": c,
                "symbol": s,
                "block": "complaints_x",
                "characteristic": "ethnicity",
            }
            for g, c, s in [
                ("Asian", 20, ""),
                ("Black", 10, ""),
                ("Mixed", 10, ""),
                ("White", 300, ""),
                ("Other", 10, ""),
                ("Not stated", np.nan, "[c]"),
                ("All", np.nan, "[c]"),
            ]
        ]
    )
    sex = pd.DataFrame(
        [
            {
                **base,
                "measure": "complaints_x_sex",
                "group": g,
                "count": c,
                "value": c,
                "symbol": "",
                "block": "complaints_x_sex",
                "characteristic": "sex",
            }
            for g, c in [("Female", 150), ("Male", 200), ("Not stated", 3), ("All", 353)]
        ]
    )
    frame = pd.concat([eth, sex], ignore_index=True)
    found = publication.find_disclosures({"complaints_by_characteristic": frame})
    assert ("solvable", "Not stated", 3.0) in {(f.kind, f.group, f.value) for f in found}
    assert any(f.kind == "published_elsewhere" and f.group == "All" for f in found)
    assert publication.find_disclosures(publication.protect({"complaints_by_characteristic": frame})) == []


def test_planted_small_sum_of_suppressed_cells_is_found():
    rates, *_ = _rates({"Asian": 3.0, "Black": 40.0, "Mixed": 1.0, "White": 900.0, "Other": 25.0})
    planted = rates.copy()
    hide = planted["group"].isin(["Asian", "Mixed"])
    planted.loc[hide, ["count", "value", "ci_low", "ci_high"]] = np.nan
    planted.loc[hide, "symbol"] = "[c]"
    found = publication.find_disclosures({"stop_search_rate": planted})
    assert [(f.kind, f.value) for f in found] == [("small_sum", 4.0)]
