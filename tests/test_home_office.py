"""Home Office arrests and use-of-force loaders, checked against the published workbooks themselves."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from eqlib import areas
from eqlib.errors import DataError
from eqlib.sources import home_office, ods

OFFICIAL = Path(__file__).parent / "data" / "official"
NATIONAL = areas.ENGLAND_AND_WALES_CODE
TERRITORIAL = {a.code for a in areas.all_areas()}


@pytest.fixture(scope="module")
def arrests(raw_dir) -> pd.DataFrame:
    return home_office.load_arrests(raw_dir)


@pytest.fixture(scope="module")
def uof(raw_dir) -> pd.DataFrame:
    return home_office.load_use_of_force(raw_dir)


# ---------------------------------------------------------------- arrests


def test_arrests_a08_has_every_force_and_no_region_rows(arrests):
    a08 = arrests[arrests["table"] == "A_08"]
    for period in ("2017-18", "2018-19"):
        codes = set(a08.loc[a08["period"] == period, "area_code"])
        # the 43 territorial forces and England and Wales; no region, no England/Wales subtotal
        assert codes == TERRITORIAL | {NATIONAL}
    assert not arrests["area_name"].str.contains("Region|ENGLAND$|WALES$", regex=True).any()
    assert "BTP" not in set(arrests["area_code"])  # British Transport Police is not in A_08


def test_arrests_lancashire_is_not_available_not_zero(arrests):
    lancs = arrests[arrests["area_name"] == "Lancashire"]
    assert len(lancs) == 12
    assert lancs["count"].isna().all()
    assert (lancs["symbol"] == "[x]").all()


def test_arrests_forces_sum_to_published_england_and_wales_total(arrests):
    """The 43 forces (42 with data: Lancashire '..') equal the ENGLAND AND WALES row, per group.

    British Transport Police is not in A_08 and not inside the total; the published national
    figures exclude Lancashire (note 1 of the workbook).
    """
    a08 = arrests[arrests["table"] == "A_08"]
    forces = a08[a08["area_code"].isin(TERRITORIAL)].groupby(["period", "source_label"])["count"].sum()
    national = a08[a08["area_code"] == NATIONAL].set_index(["period", "source_label"])["count"]
    pd.testing.assert_series_equal(forces.sort_index(), national.sort_index(), check_names=False)
    # and the published totals (denominator) too
    f_tot = a08[a08["area_code"].isin(TERRITORIAL)].drop_duplicates(["area_code", "period"])
    n_tot = a08[a08["area_code"] == NATIONAL].drop_duplicates("period").set_index("period")
    assert f_tot.groupby("period")["denominator"].sum().to_dict() == n_tot["denominator"].to_dict()


def test_arrests_groups_sum_to_row_total(arrests):
    have = arrests[arrests["count"].notna()]
    sums = have.groupby(["table", "area_code", "period"]).agg(
        count=("count", "sum"), total=("denominator", "first")
    )
    assert (sums["count"] == sums["total"]).all()


def test_arrests_published_figures(arrests):
    national = arrests[arrests["area_code"] == NATIONAL]
    by = national.set_index(["period", "group"])["count"]
    # HOSB 25/19, A_01c and A_08: 671,126 arrests in 2018/19 (excluding Lancashire)
    assert national.loc[national["period"] == "2018-19", "denominator"].iloc[0] == 671_126
    assert by[("2018-19", "Black")] == 60_116
    assert by[("2006-07", "White")] == 1_086_449
    assert sorted(national["period"].unique())[0] == "2006-07"
    assert national["period"].nunique() == 13  # 2006/07 to 2018/19, no year twice
    assert not national.duplicated(["period", "group"]).any()


def test_arrests_labels_and_units(arrests):
    assert set(arrests["group"]) == {"White", "Black", "Asian", "Mixed", "Other", "Not stated"}
    chinese_or_other = arrests[arrests["source_label"].str.strip() == "Chinese or Other"]
    assert (chinese_or_other["group"] == "Other").all() and len(chinese_or_other) > 0
    assert (arrests["ethnicity_basis"] == "self-defined").all()


def test_arrests_logs_region_subtotals(raw_dir, caplog):
    caplog.set_level(logging.INFO)
    path = next((raw_dir / "ho-arrests-ppp-2018-19").glob("*.ods"))
    home_office.read_arrests(path)
    assert "11 region or country subtotal rows set aside" in caplog.text
    assert "arrests_ho: 606 rows in, 594 rows out" in caplog.text


# ---------------------------------------------------------------- use of force


def test_use_of_force_groups_plus_not_reported_sum_to_published_total(uof):
    """Table_16: White + Black + Asian + ... + Not reported = 'Number of times tactic reported'."""
    t16 = uof[uof["measure"] == "tactic_uses"]
    sums = t16.groupby(["edition", "area_code", "tactic_type", "tactic"]).agg(
        count=("count", "sum"), total=("denominator", "first"), missing=("count", lambda c: c.isna().sum())
    )
    assert len(sums) == 44 * 35 + 44 * 38  # forces + England and Wales, tactics per workbook
    assert (sums["missing"] == 0).mean() > 0.95
    published = sums[sums["total"].notna()]
    assert (published["count"] == published["total"]).all()
    # ':' (not available): where the total is ':' every group is too; missing is never zero.
    # (West Mercia and Warwickshire CED 2019/20 give one group and ':' for the rest; the one
    # group equals the total, checked above.)
    assert (sums.loc[sums["total"].isna(), "missing"] == 6).all()
    assert (t16.loc[t16["count"].isna(), "symbol"] == "[x]").all()


def test_use_of_force_forces_sum_to_england_and_wales(uof):
    """Where every force has the figure, the 43 forces add up to the England and Wales row."""
    for measure in ("tactic_uses", "incidents", "ced_uses"):
        part = uof[uof["measure"] == measure]
        key = ["period", "tactic_type", "tactic", "source_label"]
        forces = part[part["area_code"].isin(TERRITORIAL)].groupby(key)["count"]
        complete = forces.count() == 43
        national = part[part["area_code"] == NATIONAL].set_index(key)["count"]
        assert complete.mean() > 0.8
        pd.testing.assert_series_equal(
            forces.sum()[complete].sort_index(),
            national[complete[complete].index].sort_index(),
            check_names=False,
            obj=measure,
        )


def test_use_of_force_published_totals(uof):
    incidents = uof[(uof["measure"] == "incidents") & (uof["area_code"] == NATIONAL)]
    assert incidents.set_index("period")["count"].to_dict() == {
        "2017-18": 313_137,
        "2018-19": 427_725,
        "2019-20": 491_984,
    }
    ced = uof[(uof["measure"] == "ced_uses") & (uof["area_code"] == NATIONAL) & (uof["tactic"] == "Total")]
    assert ced.set_index("period")["count"]["2018-19"] == 23_451
    # CED rows come from the latest workbook: 2017/18 as revised in 2019/20 (16,913, not 17,084)
    assert ced.set_index("period")["count"]["2017-18"] == 16_913
    assert set(ced["edition"]) == {"2019-20"}
    # CED by type: non-discharge + discharge + not stated = total
    c = uof[(uof["measure"] == "ced_uses")].pivot_table(
        index=["area_code", "period"], columns="tactic", values="count"
    )
    not_stated = c.filter(like="not").iloc[:, 0] if "Not stated" not in c else c["Not stated"]
    assert ((c["Total non-discharge"] + c["Total discharge"] + not_stated) == c["Total"]).all()


def test_use_of_force_coverage_and_units(uof):
    t16 = uof[uof["measure"] == "tactic_uses"]
    assert set(t16["period"]) == {"2018-19", "2019-20"}  # 2017/18 has no force x ethnicity
    assert "2017-18" in home_office.USE_OF_FORCE_COVERAGE
    assert "No table of tactics by force" in home_office.USE_OF_FORCE_COVERAGE["2017-18"]
    assert uof.attrs["coverage"] == home_office.USE_OF_FORCE_COVERAGE
    assert t16["unit"].str.contains("not a person").all()
    assert (uof.loc[uof["measure"] == "incidents", "unit"].str.contains("incident")).all()
    assert (uof.loc[uof["measure"] != "tactic_uses", "group"] == "All").all()
    labels_1819 = set(t16.loc[t16["period"] == "2018-19", "source_label"])
    assert {"Chinese", "Don't know", "Not reported"} <= labels_1819
    assert "Chinese" not in set(t16.loc[t16["period"] == "2019-20", "source_label"])
    taser = t16[(t16["tactic"] == "CED") & (t16["area_name"] == "South Wales")]
    assert len(taser) == 8 and taser["denominator"].iloc[0] > 0


@pytest.mark.parametrize("year", ["april2018-march2019", "april2019-march2020"])
def test_use_of_force_matches_resistance_lab_cleaned_csv(uof, year):
    """Cross-check (not a source of truth): Resistance Lab's tidy CSVs of the same Table_16."""
    lab = pd.read_csv(OFFICIAL / "resistancelab-cleaned" / f"by-ethnicity-force_{year}.csv")
    period = f"{year[5:9]}-{year[-2:]}"
    ours = uof[(uof["measure"] == "tactic_uses") & (uof["period"] == period)]
    group_columns = [
        c
        for c in lab.columns
        if c not in ("Police Force", "Type of force", "Tactic", "Number of times tactic reported")
    ]
    long = lab.melt(
        id_vars=["Police Force", "Type of force", "Tactic"],
        value_vars=group_columns,
        var_name="source_label",
        value_name="lab_count",
    )
    long["area_code"] = [areas.resolve(home_office._area_label(f)).code for f in long["Police Force"]]
    long["Tactic"] = long["Tactic"].str.strip()
    merged = long.merge(
        ours,
        left_on=["area_code", "Type of force", "Tactic", "source_label"],
        right_on=["area_code", "tactic_type", "tactic", "source_label"],
        how="outer",
        indicator=True,
    )
    assert (merged["_merge"] == "both").all()
    lab_numbers = pd.to_numeric(merged["lab_count"], errors="coerce")  # ':' -> missing
    assert (lab_numbers.isna() == merged["count"].isna()).all()
    have = lab_numbers.notna()
    assert (lab_numbers[have] == merged.loc[have, "count"]).all()
    incidents = pd.read_csv(OFFICIAL / "resistancelab-cleaned" / f"incidents_{year}.csv")
    nat = incidents.loc[incidents["Police Force"] == "Total England and Wales", "Total"].iloc[0]
    got = uof[(uof["measure"] == "incidents") & (uof["period"] == period) & (uof["area_code"] == NATIONAL)]
    assert got["count"].iloc[0] == nat


# ---------------------------------------------------------------- bad input


def test_read_sheet_truncated_ods_raises_data_error(raw_dir, tmp_path):
    good = next((raw_dir / "ho-arrests-ppp-2018-19").glob("*.ods"))
    bad = tmp_path / "truncated.ods"
    bad.write_bytes(good.read_bytes()[:20_000])
    with pytest.raises(DataError, match="truncated.ods.*truncated or corrupt.*expected a complete"):
        ods.read_sheet(bad, "A_08")
    with pytest.raises(DataError, match="truncated.ods"):
        home_office.read_arrests(bad)
    with pytest.raises(DataError, match="truncated.ods"):
        home_office.read_use_of_force(bad)


def test_read_sheet_missing_sheet_and_empty_file(raw_dir, tmp_path):
    good = next((raw_dir / "ho-arrests-ppp-2018-19").glob("*.ods"))
    with pytest.raises(DataError, match="no sheet 'Table_99'.*A_08"):
        ods.read_sheet(good, "Table_99")
    empty = tmp_path / "empty.ods"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        ods.read_sheet(empty, "A_08")
    with pytest.raises(DataError, match="does not exist"):
        ods.read_sheet(tmp_path / "nope.ods", "A_08")


def _write_ods(path: Path, sheets: dict[str, list[list]]) -> None:
    with pd.ExcelWriter(path, engine="odf") as writer:
        for name, rows in sheets.items():
            pd.DataFrame(rows).to_excel(writer, sheet_name=name, header=False, index=False)


def _arrests_sheets(raw_dir) -> dict[str, list[list]]:
    good = next((raw_dir / "ho-arrests-ppp-2018-19").glob("*.ods"))
    return {s: ods.read_sheet(good, s) for s in ("A_01c", "A_08")}


def test_read_arrests_unknown_force_names_row_and_closest_match(raw_dir, tmp_path):
    sheets = _arrests_sheets(raw_dir)
    row = next(i for i, r in enumerate(sheets["A_08"]) if r and r[0] == "Durham")
    sheets["A_08"][row][0] = "Durhamshire"
    path = tmp_path / "unknown-force.ods"
    _write_ods(path, sheets)
    with pytest.raises(DataError, match=rf"unknown-force.ods, row {row + 1}.*Durhamshire.*Durham"):
        home_office.read_arrests(path)


def test_read_arrests_negative_and_text_counts(raw_dir, tmp_path):
    sheets = _arrests_sheets(raw_dir)
    row = next(i for i, r in enumerate(sheets["A_08"]) if r and r[0] == "Gwent")
    sheets["A_08"][row][2] = "lots"
    path = tmp_path / "text-count.ods"
    _write_ods(path, sheets)
    with pytest.raises(DataError, match=rf"row {row + 1}, column '2017/18 White'.*'lots'"):
        home_office.read_arrests(path)
    sheets["A_08"][row][2] = -4
    _write_ods(path, sheets)
    with pytest.raises(DataError, match="negative count"):
        home_office.read_arrests(path)


def test_read_arrests_suppressed_cell_is_missing_with_symbol(raw_dir, tmp_path):
    sheets = _arrests_sheets(raw_dir)
    row = next(i for i, r in enumerate(sheets["A_08"]) if r and r[0] == "Gwent")
    sheets["A_08"][row][2] = "[c]"
    path = tmp_path / "suppressed.ods"
    _write_ods(path, sheets)
    frame = home_office.read_arrests(path)
    cell = frame[
        (frame["area_name"] == "Gwent") & (frame["period"] == "2017-18") & (frame["group"] == "White")
    ]
    assert cell["count"].isna().all() and (cell["symbol"] == "[c]").all()
