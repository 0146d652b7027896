"""Issue 9: official figures first, for every force area and year 2020/21 to 2024/25."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from eqlib import analysis, areas, periods
from eqlib.cli import main

MINORITY = ("Black", "Asian", "Mixed", "Other")


def _tables(tmp_path: Path, area: str, year: str) -> Path:
    out = tmp_path / f"{area}-{year}"
    assert main(["tables", "--area", area, "--year", year, "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize(
    "area, published",
    [
        # Ethnicity facts and figures 2022/23, rate per 1,000 by force area (ethnicity-stop-search-by-area.csv)
        ("metropolitan", {"Asian": 10.6, "Black": 32.8, "Mixed": 12.3, "White": 11.4, "Other": 9.5}),
        ("merseyside", {"Asian": 15.0, "Black": 45.1, "Mixed": 29.1, "White": 33.3, "Other": 51.5}),
        ("dorset", {"Black": 26.0, "White": 1.9}),
        ("south-wales", {"Asian": 4.5, "Black": 14.9, "White": 4.7}),
        ("england-and-wales", {"Asian": 8.5, "Black": 24.5, "Mixed": 9.9, "White": 5.9, "Other": 7.5}),
    ],
)
def test_tables_csv_show_the_2022_23_published_rates(tmp_path, area, published):
    csv = pd.read_csv(_tables(tmp_path, area, "2022-23") / "stop_search_rate.csv")
    assert set(csv["period"]) == {"2022-23"}  # not 2019/20, not calendar 2018
    by_group = csv.set_index("group")
    for group, rate in published.items():
        assert by_group.loc[group, "value"] == rate, (area, group)
    assert set(csv["source"]) == {analysis.EFF_PUBLISHED_SOURCE}


def test_metropolitan_2022_23_ratios_are_official_not_police_uk_2018(tmp_path):
    out = _tables(tmp_path, "metropolitan", "2022-23")
    ratios = pd.read_csv(out / "stop_search_disparity.csv")
    assert set(ratios["period"]) == {"2022-23"}
    assert not ratios["source"].str.contains("police.uk").any()
    assert not ratios["caveats"].astype(str).str.contains("police_uk_not_official").any()


def test_a_calendar_year_is_never_a_financial_years_figure():
    met = areas.resolve("metropolitan").code
    for year in ("2018-19", "2019-20"):
        sel = analysis.figures_for("stop_search_rate", met, year)
        assert sel.period == "2018" and sel.status == "latest"  # only police.uk, calendar 2018
        assert sel.label == "latest available: calendar year 2018"
        assert "police.uk, not official statistics" in analysis.selection_source(sel.frame)


def test_select_prefers_the_publishers_figure_then_official_counts_then_police_uk():
    frame = pd.DataFrame(
        {
            "area_code": "X",
            "period": ["2022-23", "2022-23", "2022-23", "2021-22", "2018"],
            "value": [1.0, 2.0, 3.0, 4.0, 5.0],
            "source_rank": [3, 1, 0, 1, 3],
            "source": list("abcde"),
        }
    )
    assert analysis.select(frame, "X", periods.parse("2022-23")).frame["source"].tolist() == ["c"]
    assert analysis.select(frame.iloc[:2], "X", periods.parse("2022-23")).frame["source"].tolist() == ["b"]
    # the publisher's N/A gives way to the next source for the same period
    na = frame.assign(value=[1.0, 2.0, float("nan"), 4.0, 5.0])
    assert analysis.select(na, "X", periods.parse("2022-23")).frame["source"].tolist() == ["b"]
    # latest available only where no source has the year; a calendar year is not the financial year
    sel = analysis.select(frame, "X", periods.parse("2018-19"))
    assert sel.status == "latest" and sel.period == "2018"


def test_every_area_2023_24_has_rates_and_ratios_for_each_minority_group():
    result_rows = []
    for area in areas.all_areas():
        result = analysis.compute(
            area.code, "2023-24", measures=["stop_search_rate", "stop_search_disparity"]
        )
        rates = result.selections["stop_search_rate"]
        ratios = result.selections["stop_search_disparity"]
        assert rates.status == ratios.status == "current", area.name
        for group in MINORITY:
            rate = rates.frame[rates.frame["group"] == group]
            ratio = ratios.frame[
                (ratios.frame["group"] == group) & (ratios.frame["measure"] == "stop_search_disparity")
            ]
            assert len(rate) == 1 and len(ratio) == 1, (area.name, group)
            assert ratio["reference_group"].iloc[0] == "White"
            for row in (rate.iloc[0], ratio.iloc[0]):
                # a figure, or suppressed ([c]) because its count is small: never missing without a reason
                assert pd.notna(row["value"]) or row["symbol"] == "[c]", (area.name, group, row.to_dict())
                result_rows.append(pd.notna(row["value"]))
    assert len(result_rows) == 43 * 4 * 2
    assert sum(result_rows) >= 43 * 4 * 2 - 10  # only a handful suppressed (City of London, Dyfed-Powys)


def test_years_up_to_2024_25_are_accepted(tmp_path):
    from eqlib import batch

    assert batch.year_has_data(periods.parse("2024-25"))
    csv = pd.read_csv(_tables(tmp_path, "kent", "2024-25") / "stop_search_trend.csv")
    assert set(csv["period"]) == {"2020-21 to 2024-25"}
    assert csv["method"].str.contains("population base: Census 2021").all()
    assert csv["method"].str.contains("dispersion").all()
