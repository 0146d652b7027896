"""IOPC deaths during or following police contact: by force, and national by ethnicity."""

from __future__ import annotations

import pandas as pd
import pytest

from eqlib import areas
from eqlib.errors import DataError
from eqlib.sources import iopc

NATIONAL = areas.ENGLAND_AND_WALES_CODE
TERRITORIAL = {a.code for a in areas.all_areas()}
FOLDER = "iopc-deaths-following-police-contact"


@pytest.fixture(scope="module")
def deaths(raw_dir) -> pd.DataFrame:
    return iopc.load_deaths(raw_dir)


@pytest.fixture(scope="module")
def by_ethnicity(raw_dir) -> pd.DataFrame:
    return iopc.load_deaths_by_ethnicity(raw_dir)


def test_categories_years_and_areas(deaths):
    assert set(deaths["group"]) == set(iopc.BY_FORCE_SHEETS.values())
    assert (deaths["group"] == deaths["category"]).all()
    assert sorted(deaths["period"].unique())[0] == "2004-05"
    assert sorted(deaths["period"].unique())[-1] == "2019-20"
    assert deaths["period"].nunique() == 16
    for _, part in deaths.groupby(["category", "measure", "period"]):
        assert set(part["area_code"]) == TERRITORIAL | {areas.BTP_CODE, NATIONAL}
    assert not deaths.duplicated(["area_code", "period", "category", "measure"]).any()
    assert set(deaths["measure"]) == {"fatalities", "incidents"}
    assert set(deaths.loc[deaths["measure"] == "incidents", "category"]) == {
        "Road traffic",
        "Other death following contact",
    }


def test_no_ethnicity_by_force_is_stated(deaths):
    assert "No ethnicity by force" in iopc.__doc__
    assert (deaths["note"] == iopc.NOTE).all()
    assert "ethnicity" not in " ".join(deaths.columns)


@pytest.mark.parametrize("edition", ["2018-19", "2019-20"])
def test_authorities_add_up_to_the_published_total(raw_dir, edition):
    """Forces + BTP + the authorities set aside (HMRC, MoD, NCA, Home Office, two-force
    deaths) = the table's Total, for every category, measure and year. The one exception is
    fatal shootings in which officers of two forces took part (marked ^ or ** in the table):
    the IOPC lists the death under each force but counts it once in the total."""
    frame = iopc.read_deaths_by_force(raw_dir / FOLDER / f"Time_series_tables_{edition}.ods")
    aside = frame.attrs["set_aside_counts"]
    key = ["category", "measure", "period"]
    parts = frame[frame["area_code"] != NATIONAL].groupby(key)["count"].sum()
    total = frame[frame["area_code"] == NATIONAL].set_index(key)["count"]
    mismatched = [k for k in total.index if parts.get(k, 0) + aside.get(k, 0) != total[k]]
    marked = (
        frame[
            frame["footnote"].str.contains(r"\^|\*\*", regex=True) & (frame["category"] == "Fatal shooting")
        ]
        .set_index(key)
        .index
    )
    assert mismatched and set(mismatched) <= set(marked)
    assert all(k[0] == "Fatal shooting" for k in mismatched)


def test_published_totals(deaths):
    total = deaths[deaths["area_code"] == NATIONAL].set_index(["category", "measure", "period"])["count"]
    # IOPC 2019/20: 18 deaths in or following custody, 54 apparent suicides, 24 road traffic
    assert total[("In or following custody", "fatalities", "2019-20")] == 18
    assert total[("Apparent suicide following custody", "fatalities", "2019-20")] == 54
    assert total[("Road traffic", "fatalities", "2019-20")] == 24
    # revised figure from the later workbook (17~ in 2019/20 vs 16 in 2018/19's)
    assert total[("In or following custody", "fatalities", "2018-19")] == 17
    assert set(deaths["edition"]) == {"2019-20"}


def test_footnote_marks_removed_and_kept(deaths):
    ny = deaths[
        (deaths["area_name"] == "North Yorkshire")
        & (deaths["category"] == "Road traffic")
        & (deaths["period"] == "2016-17")
    ]
    assert set(ny["count"]) == {2.0} and set(ny["footnote"]) == {"*"}
    shootings = deaths[deaths["category"] == "Fatal shooting"]
    assert (shootings.loc[shootings["source_label"] == "not listed", "count"] == 0).all()
    assert (shootings["source_label"] == "not listed").sum() > 0


def test_ethnicity_is_national_and_sums_to_totals(by_ethnicity, deaths):
    assert set(by_ethnicity["area_code"]) == {NATIONAL}
    sums = by_ethnicity.groupby(["category", "period"])["count"].sum()
    total = deaths[(deaths["area_code"] == NATIONAL) & (deaths["measure"] == "fatalities")].set_index(
        ["category", "period"]
    )["count"]
    pd.testing.assert_series_equal(sums.sort_index(), total.sort_index(), check_names=False)
    assert set(by_ethnicity["group"]) <= {"Asian", "Black", "Mixed", "Other", "White", "Not stated"}


def test_truncated_workbook(raw_dir, tmp_path):
    bad = tmp_path / "Time_series_tables_2019-20.ods"
    bad.write_bytes((raw_dir / FOLDER / "Time_series_tables_2019-20.ods").read_bytes()[:1000])
    with pytest.raises(DataError, match="Time_series_tables_2019-20.ods.*truncated"):
        iopc.read_deaths_by_force(bad)


def test_unknown_authority_raises(raw_dir, tmp_path):
    from eqlib.sources import ods

    src = raw_dir / FOLDER / "Time_series_tables_2019-20.ods"
    sheets = {s: ods.read_sheet(src, s) for s in iopc.BY_FORCE_SHEETS}
    rows = sheets["Custody_By_Force"]
    i = next(k for k, r in enumerate(rows) if r and r[0] == "Gwent")
    rows[i][0] = "Gwentshire Constabulary"
    path = tmp_path / "unknown.ods"
    with pd.ExcelWriter(path, engine="odf") as writer:
        for name, data in sheets.items():
            pd.DataFrame(data).to_excel(writer, sheet_name=name, header=False, index=False)
    with pytest.raises(DataError, match=rf"unknown.ods, row {i + 1}.*Gwentshire"):
        iopc.read_deaths_by_force(path)
