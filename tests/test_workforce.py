"""Workforce loaders: September totals by force, chief officers and officer ranks by ethnicity."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from eqlib import areas
from eqlib.errors import DataError
from eqlib.sources import workforce

NATIONAL = areas.ENGLAND_AND_WALES_CODE
TERRITORIAL = {a.code for a in areas.all_areas()}
EXTRACTS = "ho-workforce-ethnicity-extracts"


@pytest.fixture(scope="module")
def totals(raw_dir) -> pd.DataFrame:
    return workforce.load_workforce_totals(raw_dir)


@pytest.fixture(scope="module")
def chiefs(raw_dir) -> pd.DataFrame:
    return workforce.load_chief_officers(raw_dir)


@pytest.fixture(scope="module")
def ranks(raw_dir) -> pd.DataFrame:
    return workforce.load_officer_ranks(raw_dir)


# ---------------------------------------------------------------- September totals


def test_totals_every_area_once_per_date_type_and_unit(totals):
    key = ["area_code", "period", "worker_type", "unit"]
    assert not totals.duplicated(key).any()
    for _, part in totals.groupby(["period", "worker_type", "unit"]):
        assert set(part["area_code"]) == TERRITORIAL | {NATIONAL, areas.BTP_CODE}
    assert set(totals["worker_type"]) == {
        "Police officers",
        "Police staff",
        "Designated officers",
        "PCSOs",
        "Special constables",
        "Police support volunteers",
    }
    assert (totals["group"] == totals["worker_type"]).all()
    assert set(totals["unit"]) == {"FTE", "headcount"}


def test_totals_43_forces_sum_to_the_files_own_england_and_wales_total(totals):
    """'Total 43 forces' (K04000001) equals the sum of the 43 forces, where every force reports."""
    forces = totals[totals["area_code"].isin(TERRITORIAL)]
    grouped = forces.groupby(["period", "worker_type", "unit"])["count"]
    complete = grouped.count() == 43
    national = totals[totals["area_code"] == NATIONAL].set_index(["period", "worker_type", "unit"])["count"]
    diff = (grouped.sum()[complete] - national[complete[complete].index]).abs()
    assert complete.sum() >= 50
    assert (diff < 0.5).all(), diff[diff >= 0.5]  # FTE to two decimals in the tables


def test_totals_published_headline_figures(totals):
    officers = totals[
        (totals["area_code"] == NATIONAL)
        & (totals["worker_type"] == "Police officers")
        & (totals["unit"] == "FTE")
    ].set_index("period")["count"]
    # Home Office headline: 123,171 FTE officers in the 43 forces on 31 March 2019, 122,404 on
    # 31 March 2018 (as revised in the later September releases these tables come from).
    assert round(officers["2019-03-31"]) == 123_171
    assert round(officers["2018-03-31"]) == 122_404
    headcount = totals[
        (totals["area_code"] == NATIONAL)
        & (totals["worker_type"] == "Police officers")
        & (totals["unit"] == "headcount")
    ]
    assert set(headcount["period"]) == {"2019-03-31", "2019-09-30"}  # only the 2019 release has it


def test_totals_as_at_periods_and_latest_release(totals):
    assert (totals["period_start"] == totals["period_end"]).all()
    assert set(totals["period_start"].dt.strftime("%m-%d")) == {"03-31", "09-30"}
    # 30 September 2015 appears in the 2015 and 2016 releases: the 2016 release (revised) wins
    sep15 = totals[(totals["period"] == "2015-09-30")]
    assert set(sep15["release"]) == {"2016-09-30"}


def test_totals_not_available_is_missing_not_zero(totals):
    missing = totals[totals["count"].isna()]
    assert len(missing) > 0
    assert (missing["symbol"] == "[x]").all()
    assert set(missing["worker_type"]) <= {"Designated officers", "Police support volunteers", "PCSOs"}


# ---------------------------------------------------------------- chief officers


def test_chief_officers_cover_2003_to_2021_all_forces(chiefs, raw_dir):
    years = chiefs["period_start"].dt.year
    assert sorted(years.unique()) == list(range(2003, 2022))
    assert (chiefs["period_start"].dt.strftime("%m-%d") == "03-31").all()
    per_year = chiefs.groupby(years)["area_code"].nunique()
    assert (per_year.loc[2003:2006] == 43).all()
    assert (per_year.loc[2007:] == 44).all()  # British Transport Police from 2007
    assert set(chiefs["rank"]) == {"Chief Officer"}
    # one tidy row per data row of the CSV (10,776; SOURCE.txt says 10,775: it miscounts by one)
    lines = (raw_dir / EXTRACTS / "chief-officer-latest.csv").read_text().splitlines()
    assert len(chiefs) == len([x for x in lines if x.strip()]) - 1 == 10_776


def test_chief_officers_national_sums_equal_journalists_derived_file(chiefs, raw_dir):
    """Cross-check: chief_officer_by_ethnicity_by_year.csv (a journalist's sums, not official).

    Its sums are of FTE over all 44 forces (43 + BTP); BAME there = Asian + Black + Mixed.
    """
    derived = pd.read_csv(raw_dir / EXTRACTS / "chief_officer_by_ethnicity_by_year.csv").set_index("date")
    ours = chiefs.assign(year=chiefs["period_start"].dt.year).pivot_table(
        index="year", columns="group", values="fte", aggfunc="sum"
    )
    assert (ours["Asian"] == derived["yearly_sum_asian_chief_officers"]).all()
    assert (ours["Black"] == derived["yearly_sum_black_chief_officers"]).all()
    assert (ours["White"] == derived["yearly_sum_white_chief_officers"]).all()
    assert (ours["Mixed"] == derived["yearly_sum_mixed_chief_officers"]).all()
    bame = ours["Asian"] + ours["Black"] + ours["Mixed"]
    assert (bame == derived["yearly_bame_chief_officers"]).all()


def test_chief_officers_category_change_2021(chiefs):
    years = chiefs["period_start"].dt.year
    old = chiefs["source_label"] == "Chinese or Other Ethnic Group (pre 2021 category)"
    new = chiefs["source_label"] == "Other ethnic group"
    assert years[old].max() <= 2021 and years[new].min() == 2021
    assert (chiefs.loc[old | new, "group"] == "Other").all()
    assert "Chinese" in workforce.CATEGORY_BREAK_NOTE
    assert set(chiefs["group"]) == {"Asian", "Black", "Mixed", "Other", "White", "Not stated"}


def test_officer_ranks_2003_2006(ranks):
    assert sorted(ranks["period_start"].dt.year.unique()) == [2003, 2004, 2005, 2006]
    assert set(ranks["rank"]) == {
        "Constable",
        "Sergeant",
        "Inspector",
        "Chief Inspector",
        "Superintendent",
        "Chief Superintendent",
        "Chief Officer",
    }
    assert ranks["area_code"].nunique() == 43
    # '-' is nil: many cells, read as 0 (never missing)
    assert ranks["count"].notna().all() and (ranks["count"] == 0).sum() > 1000
    # headcount of all officers, 31 March 2003, is in the order of 130,000 (E&W, 43 forces)
    total_2003 = ranks.loc[ranks["period_start"].dt.year == 2003, "count"].sum()
    assert 125_000 < total_2003 < 140_000


def test_ranks_chief_officers_agree_with_chief_officer_extract(ranks, chiefs):
    """The two extracts of the same open data table agree on chief officers, 2003-2006."""
    key = ["area_code", "period", "sex", "source_label"]
    a = ranks[ranks["rank"] == "Chief Officer"].set_index(key)["count"].sort_index()
    b = chiefs[chiefs["period_start"].dt.year <= 2006].set_index(key)["count"].reindex(a.index)
    assert (a == b).all()


# ---------------------------------------------------------------- bad input


def test_read_chief_officers_bad_count_names_row_and_column(raw_dir, tmp_path):
    src = raw_dir / EXTRACTS / "chief-officer-latest.csv"
    lines = src.read_text().splitlines()
    lines[5] = lines[5].replace(",0,0,,,", ",three,0,,,")
    bad = tmp_path / "chief.csv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"chief.csv, row 6, column 'Total \(headcount\)'.*'three'"):
        workforce.read_chief_officers(bad)


def test_read_chief_officers_unknown_ethnicity_and_force(raw_dir, tmp_path):
    src = raw_dir / EXTRACTS / "chief-officer-latest.csv"
    text = src.read_text()
    bad = tmp_path / "chief.csv"
    bad.write_text(text.replace("Mixed,", "Mixted,", 1))
    with pytest.raises(ValueError, match="Mixted"):
        workforce.read_chief_officers(bad)
    bad.write_text(text.replace("E23000036", "E23000099", 1))
    with pytest.raises(DataError, match="row 2, column 'Geo code'.*E23000099"):
        workforce.read_chief_officers(bad)


def test_read_chief_officers_missing_column(tmp_path):
    bad = tmp_path / "chief.csv"
    bad.write_text("Year,Force,Count\n2003,Kent,1\n")
    with pytest.raises(DataError, match="missing columns.*Geo code"):
        workforce.read_chief_officers(bad)


def test_workforce_truncated_ods(raw_dir, tmp_path):
    src = raw_dir / "ho-police-workforce" / "police-workforce-sep19-tables.ods"
    bad = tmp_path / "police-workforce-sep19-tables.ods"
    shutil.copyfile(src, bad)
    bad.write_bytes(bad.read_bytes()[:5000])
    with pytest.raises(DataError, match="truncated or corrupt"):
        workforce.read_workforce(bad)


def test_workforce_force_listed_twice(raw_dir, tmp_path):
    from eqlib.sources import ods

    src = raw_dir / "ho-police-workforce" / "police-workforce-sep19-tables.ods"
    rows = ods.read_sheet(src, "Table_1")
    i = next(k for k, r in enumerate(rows) if r and r[0] == "Cleveland")
    rows.insert(i + 1, list(rows[i]))
    path = tmp_path / "twice.ods"
    with pd.ExcelWriter(path, engine="odf") as writer:
        pd.DataFrame(rows).to_excel(writer, sheet_name="Table_1", header=False, index=False)
    with pytest.raises(DataError, match="twice.ods.*Table_1.*more than once.*E23000013"):
        workforce.read_workforce(path)
