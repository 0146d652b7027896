"""Issue 9 item 6: structural artefacts get a caveat, not a headline."""

from __future__ import annotations

import pandas as pd

from eqlib import analysis, areas
from eqlib.metrics import agreement
from eqlib.metrics import caveats as cv
from eqlib.report import sections


def test_mixed_disagreement_is_caveated_as_structural():
    records = pd.DataFrame(
        {
            "area_code": "W15000003",
            "period": "2021-22",
            "self_group": ["Mixed", "Mixed", "White", "Black"],
            "officer_group": ["White", "Black", "White", "Black"],
        }
    )
    out = agreement.disagreement(records).set_index("group")
    assert out.loc["Mixed", "value"] == 100  # always "disagrees": officers have no Mixed category
    assert "mixed_officer_defined_structural" in out.loc["Mixed", "caveats"]
    assert "mixed_officer_defined_structural" in out.loc["All", "caveats"]
    assert "mixed_officer_defined_structural" not in out.loc["White", "caveats"]
    assert "no Mixed category" in cv.text("mixed_officer_defined_structural")


def test_metropolitan_hate_crime_strands_only_and_overlap_said():
    frame = analysis.compute_measure("hate_crime_by_strand")
    assert len(frame)
    assert not frame["group"].str.contains("Domestic", case=False).any()
    assert {"Racist and Religious Hate Crime", "Homophobic Hate Crime"} <= set(frame["group"])
    assert all("hate_strands_overlap" in c for c in frame["caveats"])


def test_city_of_london_key_figures_carry_the_small_population_caveat():
    ctx = sections.context("city-of-london", "2019-20")
    text = "\n".join(getattr(b, "text", "") for b in sections.key_figures(ctx))
    assert "times" in text  # a key figure is quoted ...
    assert cv.text("small_population") in text  # ... and never without the caveat
    other = sections.context("south-wales", "2019-20")
    assert cv.text("small_population") not in "\n".join(
        getattr(b, "text", "") for b in sections.key_figures(other)
    )
    assert areas.resolve("city-of-london").small_population
