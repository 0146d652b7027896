"""Home Office workforce open data table 2007-2023: loader, totals and women's representation by rank."""

from __future__ import annotations

import pandas as pd
import pytest

from eqlib import analysis, areas, measures, store
from eqlib.errors import DataError
from eqlib.sources import ods
from eqlib.sources import workforce_open_data as wod

NATIONAL = areas.ENGLAND_AND_WALES_CODE
TERRITORIAL = {a.code for a in areas.all_areas()}
FOLDER = "ho-police-workforce-open-data-2007-2023"
FILE = "open-data-table-police-workforce-260723.ods"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return store.load("workforce_open_data_ho")


@pytest.fixture(scope="module")
def sheet(raw_dir) -> list[list]:
    return ods.read_sheet(raw_dir / FOLDER / FILE, "Data")


def test_one_tidy_row_per_data_row_and_totals_reconcile(table, sheet):
    data = sheet[1:]
    assert len(data) == 29_304 == len(table)  # SOURCE.txt: 29,304 data rows
    assert table["count"].sum() == pytest.approx(sum(r[7] for r in data))
    assert table["fte"].sum() == pytest.approx(sum(r[8] for r in data if not isinstance(r[8], str)))
    assert (table["fte"].isna() == (table["fte_symbol"] == "[z]")).all()
    assert set(table.loc[table["fte"].isna(), "worker_type"]) == {
        "Special constables",
        "Police support volunteers",
    }


def test_coverage_forces_dates_and_labels(table):
    assert set(table["area_code"]) == TERRITORIAL | {areas.BTP_CODE}
    years = sorted(table["period_start"].dt.year.unique())
    assert years == list(range(2007, 2024))
    assert (table["period"].str.endswith("-03-31")).all()
    assert set(table["worker_type"]) == set(wod.WORKER_TYPES.values())
    assert set(table["sex"]) == set(wod.SEXES)


def test_label_case_change_2021_is_one_category(table):
    """From 2021 the file writes 'Police staff', 'Special constable'; the series does not break."""
    assert {"Police Staff", "Police staff"} <= set(table["worker_type_label"])
    assert {"Special Constable", "Special constable"} <= set(table["worker_type_label"])
    specials = table[table["worker_type"] == "Special constables"]
    assert set(specials.loc[specials["period"] >= "2021", "worker_type_label"]) == {"Special constable"}
    per_year = specials.groupby("period")["area_code"].nunique()
    assert (per_year == 44).all()  # every force and BTP, every year, under one label
    assert (table.groupby(["period", "worker_type"])["area_code"].nunique() == 44).all()


def test_sanity_figures_from_source_txt(table):
    """SOURCE.txt: 43-force officer FTE 31 March 2023 = 147,429.6 (published 147,430); 2022 = 140,228.3."""
    officers = table[(table["worker_type"] == "Police officers") & table["area_code"].isin(TERRITORIAL)]
    fte = officers.groupby("period")["fte"].sum()
    assert round(fte["2023-03-31"], 1) == 147_429.6
    assert round(fte["2022-03-31"], 1) == 140_228.3


def test_workforce_totals_measure_uses_open_data_for_31_march(table):
    frame = analysis.compute_measure("workforce_totals")
    assert not frame.duplicated(["area_code", "period", "measure", "group"]).any()
    officers = frame[(frame["area_code"] == NATIONAL) & (frame["group"] == "Police officers")]
    fte = officers[officers["measure"] == "workforce_totals"].set_index("period")
    assert round(fte.loc["2023-03-31", "value"], 1) == 147_429.6
    assert round(fte.loc["2022-03-31", "value"], 1) == 140_228.3
    assert round(fte.loc["2007-03-31", "value"]) > 100_000
    # 31 March 2019 is in the September 2019 tables and in the 2023 open data: the newer edition wins
    assert "open data" in fte.loc["2019-03-31", "method"]
    assert "September" in fte.loc["2019-09-30", "method"]  # 30 September only in the older tables
    od = table[(table["worker_type"] == "Police officers") & table["area_code"].isin(TERRITORIAL)]
    assert fte.loc["2019-03-31", "value"] == pytest.approx(od.loc[od["period"] == "2019-03-31", "fte"].sum())
    heads = officers[officers["measure"] == "workforce_totals_headcount"].set_index("period")
    assert heads.loc["2023-03-31", "value"] == od.loc[od["period"] == "2023-03-31", "count"].sum()
    specials = frame[(frame["group"] == "Special constables") & (frame["area_code"] == NATIONAL)]
    assert set(specials["measure"]) == {"workforce_totals_headcount"}  # headcount only, never an FTE
    # every force every year 2007-2023
    march = frame[(frame["measure"] == "workforce_totals") & frame["period"].str.endswith("-03-31")]
    assert (march.groupby("period")["area_code"].nunique().loc["2007-03-31":"2023-03-31"] == 45).all()


def test_women_representation_by_rank(table):
    frame = analysis.compute_measure("workforce_women_representation")
    share = frame[frame["measure"] == "workforce_women_representation"]
    assert not share.duplicated(["area_code", "period", "group"]).any()
    kent = areas.resolve("kent").code
    row = share[
        (share["area_code"] == kent)
        & (share["period"] == "2023-03-31")
        & (share["group"] == "Police officers: constable")
    ].iloc[0]
    raw = table[
        (table["area_code"] == kent) & (table["period"] == "2023-03-31") & (table["rank"] == "Constable")
    ]
    women = raw.loc[raw["sex"] == "Female", "count"].sum()
    known = raw.loc[raw["sex"].isin(["Female", "Male"]), "count"].sum()
    assert row["count"] == women and row["denominator"] == known
    assert row["value"] == pytest.approx(100 * women / known)
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(women, known, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((100 * lo, 100 * hi))
    groups = set(share["group"])
    assert {
        "Police staff",
        "PCSOs",
        "Special constables",
        "Police officers: all ranks",
        "Police officers: chief officer",
    } <= groups
    # the national figure is the 43 forces summed (BTP not in it)
    nat = share[
        (share["area_code"] == NATIONAL)
        & (share["period"] == "2023-03-31")
        & (share["group"] == "Police officers: all ranks")
    ].iloc[0]
    forces = table[
        table["area_code"].isin(TERRITORIAL)
        & (table["period"] == "2023-03-31")
        & (table["worker_type"] == "Police officers")
    ]
    assert nat["count"] == forces.loc[forces["sex"] == "Female", "count"].sum()


def test_women_representation_says_population_comparison_is_not_available():
    frame = analysis.compute_measure("workforce_women_representation")
    ratio = frame[frame["measure"] == "workforce_women_representation_ratio"]
    assert len(ratio) and ratio["value"].isna().all() and (ratio["symbol"] == "[x]").all()
    assert all("population_by_sex_unavailable" in c for c in ratio["caveats"])
    from eqlib.metrics import caveats as cv

    assert "census" in cv.text("population_by_sex_unavailable").lower()
    mar21 = frame[frame["period"] == "2021-03-31"]
    assert all("sex_recording_2021" in c for c in mar21["caveats"])
    not_recorded = frame[
        (frame["measure"] == "workforce_women_representation_not_recorded_share")
        & (frame["area_code"] == NATIONAL)
        & (frame["group"] == "Police officers: all ranks")
    ]
    by_period = not_recorded.set_index("period")["value"]
    assert by_period["2019-03-31"] == 0 and by_period["2021-03-31"] > 0  # categories exist only from 2021


def test_women_representation_with_a_population_gives_the_ratio():
    from eqlib.metrics.sex_representation import women_representation

    work = pd.DataFrame(
        {
            "area_code": "E23000032",
            "area_name": "Kent",
            "period": "2023-03-31",
            "group": "Police officers: constable",
            "sex": ["Female", "Male", "Not stated"],
            "count": [40.0, 60.0, 5.0],
        }
    )
    pop = pd.DataFrame(
        {"area_code": ["E23000032"], "period": ["2023-03-31"], "women": [510.0], "population": [1000.0]}
    )
    out = women_representation(work, pop, population_base="test").set_index("measure")
    assert out.loc["workforce_women_representation", "value"] == pytest.approx(40.0)
    assert out.loc["workforce_women_representation_ratio", "value"] == pytest.approx(0.4 / 0.51)
    assert out.loc["workforce_women_representation_population_share", "value"] == pytest.approx(51.0)
    assert out.loc["workforce_women_representation_not_recorded_share", "value"] == pytest.approx(500 / 105)


def test_measure_is_registered():

    assert measures.get_measure("workforce_women_representation").datasets == ("workforce_open_data_ho",)
    assert "workforce_women_representation" in measures.national_ids()


# ---------------------------------------------------------------- bad input


def _write(sheet: list[list], path, n: int = 40) -> None:
    with pd.ExcelWriter(path, engine="odf") as writer:
        pd.DataFrame(sheet[: n + 1]).to_excel(writer, sheet_name="Data", header=False, index=False)


def test_small_copy_reads(sheet, tmp_path):
    path = tmp_path / "small.ods"
    _write(sheet, path)
    assert len(wod.read_open_data_table(path)) == 40


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (0, "twenty", r"row 4, column 'As at 31 March\.\.\.'.*twenty"),
        (1, "E23000099", r"row 4, column 'Geo code'.*E23000099"),
        (2, "Kent", r"row 4, column 'Force Name'.*the force name does not match"),
        (4, "Unknown", r"row 4, column 'Sex'.*Unknown"),
        (5, "Colonel", r"row 4, column 'Rank description'.*Colonel"),
        (6, "Police Dog", r"row 4, column 'Worker type'.*Police Dog"),
        (7, "many", r"row 4, column 'Total \(headcount\)'.*many"),
        (8, "N/A", r"row 4, column 'Total \(FTE\)'"),
    ],
)
def test_bad_cell_names_file_row_and_column(sheet, tmp_path, column, value, message):
    rows = [list(r) for r in sheet[:41]]
    rows[3][column] = value
    path = tmp_path / "bad.ods"
    _write(rows, path)
    with pytest.raises(DataError, match=message):
        wod.read_open_data_table(path)


def test_bad_header_and_duplicate_row(sheet, tmp_path):
    rows = [list(r) for r in sheet[:41]]
    rows[0][4] = "Gender"
    path = tmp_path / "header.ods"
    _write(rows, path)
    with pytest.raises(DataError, match=r"header.ods.*row 1.*column 'Sex'"):
        wod.read_open_data_table(path)
    rows = [list(r) for r in sheet[:41]]
    rows.insert(5, list(rows[4]))
    path = tmp_path / "twice.ods"
    _write(rows, path, n=41)
    with pytest.raises(DataError, match=r"twice.ods.*row 6.*more than once"):
        wod.read_open_data_table(path)
