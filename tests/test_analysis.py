"""analysis: figures for an area and year, checked against an independent count of the raw files."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eqlib import analysis, measures, periods
from eqlib.cli import main
from eqlib.paths import raw_dir

RAW = raw_dir()
SOUTH_WALES = "W15000003"


def _independent_south_wales_2021_22() -> dict[str, int]:
    """Person searches by self-defined broad group, April 2021 - March 2022, read with the csv module."""
    counts: dict[str, int] = {}
    prefix = {"White": "White", "Black": "Black", "Asian": "Asian", "Mixed": "Mixed", "Other": "Other"}
    for path in sorted(
        (RAW / "policeuk-stop-search-wales-4forces-2019-2022").glob("*-south-wales-stop-and-search.csv")
    ):
        month = path.name[:7]
        if not ("2021-04" <= month <= "2022-03"):
            continue
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                if row["Type"] == "Vehicle search":
                    continue
                label = row["Self-defined ethnicity"]
                if label in ("", "Other ethnic group - Not stated"):
                    group = "Not stated"
                else:
                    head = label.split(" - ")[0].split("/")[0]
                    group = prefix.get(head, "Other" if head.startswith("Other") else head)
                counts[group] = counts.get(group, 0) + 1
    return counts


def _independent_census2021(code: str) -> dict[str, int]:
    lookup = pd.read_csv(RAW / "lookup-lad21-csp21-pfa21" / "la_pfa_lookup.csv")
    lads = set(lookup.loc[lookup["PFA21CD"] == code, "LAD21CD"])
    census = pd.read_csv(RAW / "census2021-ts021-ltla" / "2021_census_la.csv")
    census = census[census["Lower Tier Local Authorities Code"].isin(lads)]
    label = census["Ethnic group (20 categories)"]
    broad = np.select(
        [
            label.str.startswith("Asian"),
            label.str.startswith("Black"),
            label.str.startswith("Mixed"),
            label.str.startswith("White"),
            label.str.startswith("Other"),
        ],
        ["Asian", "Black", "Mixed", "White", "Other"],
        default="none",
    )
    return census.groupby(broad)["Observation"].sum().to_dict()


def test_south_wales_disparity_equals_independent_count():
    searches = _independent_south_wales_2021_22()
    pop = _independent_census2021(SOUTH_WALES)
    expected = (searches["Black"] / pop["Black"]) / (searches["White"] / pop["White"])
    selection = analysis.figures_for("stop_search_disparity", "south-wales", "2021-22")
    assert selection.status == "current" and selection.period == "2021-22"
    # issue 9: the report shows the Home Office figure for 2021/22; the police.uk figure stays computed
    assert set(selection.frame["source_rank"]) == {analysis.RANK_OFFICIAL_COUNTS}
    every = analysis.compute_measure("stop_search_disparity")
    frame = every[
        (every["area_code"] == SOUTH_WALES)
        & (every["period"] == "2021-22")
        & (every["source_rank"] == analysis.RANK_POLICEUK)
    ]
    assert (
        set(frame["source"]) == {analysis.POLICEUK_SOURCE}
        and "not official statistics" in analysis.POLICEUK_SOURCE
    )
    black = frame[(frame["measure"] == "stop_search_disparity") & (frame["group"] == "Black")].iloc[0]
    assert black["value"] == pytest.approx(expected, rel=1e-9)
    assert black["count"] == searches["Black"]
    assert black["ci_low"] < black["value"] < black["ci_high"]
    assert "old_census_denominator" not in black["caveats"]


def test_rates_use_census_2011_before_april_2021():
    frame = analysis.compute_measure("stop_search_rate")
    sw = frame[
        (frame["area_code"] == SOUTH_WALES)
        & (frame["group"] == "White")
        & (frame["source_rank"] == analysis.RANK_POLICEUK)
    ].set_index("period")  # issue 9: one source
    assert {"2019-20", "2020-21", "2021-22"} <= set(sw.index)
    # the denominator changes with the census: Census 2011 for 2019-20 and 2020-21, 2021 from 2021-22
    assert sw.loc["2019-20", "denominator"] == sw.loc["2020-21", "denominator"]
    assert sw.loc["2021-22", "denominator"] != sw.loc["2020-21", "denominator"]


def test_latest_available_is_labelled():
    selection = analysis.figures_for("arrest_disparity", "south-wales", "2021-22")
    assert selection.status == "latest"
    assert selection.period == "2018-19"
    assert selection.label == "latest available: 2018/19"
    none = analysis.figures_for("hate_crime_by_strand", "south-wales", "2021-22")
    assert none.status == "none" and none.frame.empty and none.label == "no data"


def test_published_figures_are_suppressed():
    result = analysis.compute("city-of-london", "2019-20", threshold=5)
    shown = 0
    for selection in result.selections.values():
        frame = selection.frame
        if frame.empty:
            continue
        small = frame["count"].notna() & (frame["count"] > 0) & (frame["count"] < 5)
        assert not small.any(), f"{selection.measure}: unsuppressed small count"
        shown += len(frame)
    assert shown > 0


def test_no_infinite_values_anywhere():
    for measure in measures.national_ids():
        frame = analysis.compute_measure(measure)
        values = frame[["value", "ci_low", "ci_high"]].to_numpy(dtype=float)
        assert not np.isinf(values).any(), measure
        missing = np.isnan(frame["value"].to_numpy(dtype=float))
        assert (frame.loc[missing, "symbol"] != "").all(), f"{measure}: missing value without a symbol"


def test_select_prefers_exact_then_latest_earlier():
    frame = pd.DataFrame(
        {"area_code": ["X"] * 3, "period": ["2018-19", "2019-20", "2022-23"], "value": [1, 2, 3]}
    )
    sel = analysis.select(frame, "X", periods.parse("2021-22"))
    assert sel.period == "2019-20" and sel.status == "latest"
    sel = analysis.select(frame, "X", periods.parse("2022-23"))
    assert sel.period == "2022-23" and sel.status == "current"
    sel = analysis.select(frame, "X", periods.parse("2017-18"))
    assert sel.status == "none"


def test_tables_cli_writes_csv_and_ods(tmp_path: Path):
    out = tmp_path / "tables"
    assert main(["tables", "--area", "south-wales", "--year", "2021-22", "--out", str(out)]) == 0
    disparity = pd.read_csv(out / "stop_search_disparity.csv")
    assert list(disparity.columns[:13]) == [
        "area_code",
        "area_name",
        "period",
        "measure",
        "group",
        "reference_group",
        "count",
        "denominator",
        "value",
        "ci_low",
        "ci_high",
        "symbol",
        "caveats",
    ]
    assert set(disparity["area_name"]) == {"South Wales"}
    book = pd.read_excel(out / "south-wales-2021-22-equality-information.ods", engine="odf", sheet_name=None)
    assert list(book)[:3] == ["Cover", "Contents", "Notes"]
    assert "stop_search_disparity" in book
    csvs = sorted(p.stem for p in out.glob("*.csv"))
    assert len(csvs) == len(book) - 3


def test_tables_cli_unknown_area_exits_2(tmp_path: Path, capsys):
    assert main(["tables", "--area", "Sth Wales", "--year", "2021-22", "--out", str(tmp_path)]) == 2
    assert "Closest matches" in capsys.readouterr().err


def test_local_files_join_the_national_figures():

    folder = Path(__file__).parent / "data" / "local" / "south-wales-2021-22"
    national = analysis.compute("south-wales", "2021-22", measures=["stop_search_rate"])
    assert "workforce_representation" not in national.selections
    local = analysis.compute_local("south-wales", "2021-22", folder, allow_examples=True)
    assert not local["workforce_representation"].frame.empty
    # example rows are refused unless explicitly allowed: a published report never carries them
    with pytest.raises(Exception, match="(?i)example"):
        analysis.compute("south-wales", "2021-22", measures=["stop_search_rate"], local_dir=folder)


def test_england_and_wales_2019_20_reproduces_ethnicity_facts_and_figures():
    """EFF 2019/20 (excluding Greater Manchester): Black 54.1, White 6.1 per 1,000; ratio 8.9."""
    rates = analysis.figures_for("stop_search_rate", "england-and-wales", "2019-20").frame.set_index("group")
    assert round(rates.loc["Black", "value"], 2) == 54.11
    assert round(rates.loc["White", "value"], 2) == 6.11
    assert round(rates.loc["All", "value"], 2) == 10.56
    ratio = analysis.figures_for("stop_search_disparity", "england-and-wales", "2019-20").frame
    black = ratio[(ratio["measure"] == "stop_search_disparity") & (ratio["group"] == "Black")].iloc[0]
    assert round(black["value"], 1) == 8.9
    assert black["ci_low"] < black["value"] < black["ci_high"]


@pytest.mark.parametrize(
    "measure",
    ["workforce_totals", "deaths_following_contact", "stop_search_rate", "arrest_rate", "use_of_force_rate"],
)
def test_one_figure_per_area_period_group(measure):
    frame = analysis.compute_measure(measure)
    keys = ["area_code", "period", "measure", "group", "reference_group", "source"]  # issue 9: per source
    assert not frame.duplicated(keys).any()
