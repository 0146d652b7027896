"""Population by ethnic group: Census 2021 and 2011 aggregated to police force areas.

The figures are checked against the source files themselves (read here independently with
the csv module) and against published totals.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from eqlib import areas, ethnicity, periods
from eqlib.errors import DataError
from eqlib.sources import load_uncached
from eqlib.sources import population as pop

EW = areas.ENGLAND_AND_WALES_CODE
FORCES = {a.code for a in areas.all_areas()}
GROUP_ORDER = ["Asian", "Black", "Mixed", "White", "Other", "All"]

# Published: Census 2021 usual residents, England and Wales (ONS TS021 / the file's SOURCE.txt).
EW_2021_TOTAL = 59_597_578
# Published: Census 2011 usual residents, England and Wales (ONS KS201EW/QS201EW).
EW_2011_TOTAL = 56_075_912
# Published denominators of GOV.UK Ethnicity facts and figures, stop and search 2019/20
# (England and Wales excluding Greater Manchester, Census 2011).
EW_EXCL_GMP_2011 = {
    "White": 45_961_272,
    "Black": 1_790_793,
    "Asian": 3_941_358,
    "Mixed": 1_163_690,
    "Other": 536_271,
    "All": 53_393_384,
}


@pytest.fixture(scope="module")
def c21(raw_dir) -> pd.DataFrame:
    return load_uncached("population_census2021", raw_dir)


@pytest.fixture(scope="module")
def c11(raw_dir) -> pd.DataFrame:
    return load_uncached("population_census2011", raw_dir)


@pytest.fixture(scope="module")
def c11_pfa(raw_dir) -> pd.DataFrame:
    return load_uncached("population_census2011_pfa", raw_dir)


def _raw_2021_rows(raw_dir: Path) -> list[dict[str, str]]:
    with open(raw_dir / pop.C21_FILE, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


# ------------------------------------------------------------------ Census 2021


def test_census2021_total_matches_file_and_published_figure(c21, raw_dir):
    rows = _raw_2021_rows(raw_dir)
    file_total = sum(int(r["Observation"]) for r in rows)
    assert file_total == EW_2021_TOTAL
    ew = c21.loc[c21["area_code"] == EW, "count"].sum()
    forces = c21.loc[c21["area_code"].isin(FORCES), "count"].sum()
    assert ew == EW_2021_TOTAL
    assert forces == EW_2021_TOTAL


def test_census2021_black_total_equals_sum_of_la_rows(c21, raw_dir):
    rows = _raw_2021_rows(raw_dir)
    black_in_file = sum(
        int(r["Observation"])
        for r in rows
        if r["Ethnic group (20 categories)"].startswith("Black, Black British")
    )
    assert black_in_file > 2_000_000  # a sanity floor: the file is the full E&W table
    ours = c21[(c21["area_code"] == EW) & (c21["group"] == "Black")]["count"].sum()
    assert ours == black_in_file
    # and each broad group of the aggregation equals the file's rows whose label starts with it
    prefixes = {"Asian": "Asian,", "Mixed": "Mixed", "White": "White:", "Other": "Other ethnic"}
    for group, prefix in prefixes.items():
        in_file = sum(
            int(r["Observation"]) for r in rows if r["Ethnic group (20 categories)"].startswith(prefix)
        )
        assert c21[(c21["area_code"] == EW) & (c21["group"] == group)]["count"].sum() == in_file, group


def test_all_331_local_authorities_map_to_exactly_one_of_43_areas(raw_dir):
    lookup = pop.read_lad21_lookup(raw_dir)
    la = pop.read_census2021_la(raw_dir)
    assert la["la_code"].nunique() == 331
    assert set(lookup["la_code"]) == set(la["la_code"])
    assert lookup["la_code"].is_unique
    assert lookup["area_code"].nunique() == 43
    assert set(lookup["area_code"]) == FORCES
    # the raw lookup really does repeat some LADs (once per CSP): we deduplicated, not dropped
    with open(raw_dir / pop.LOOKUP21_FILE, newline="", encoding="utf-8-sig") as handle:
        raw_rows = list(csv.DictReader(handle))
    assert len(raw_rows) > 331
    assert {r["LAD21CD"]: r["PFA21CD"] for r in raw_rows} == dict(
        zip(lookup["la_code"], lookup["area_code"], strict=True)
    )


def test_census2021_forces_sum_to_england_and_wales_for_every_category(c21):
    forces = c21[c21["area_code"].isin(FORCES)].groupby("source_label")["count"].sum()
    ew = c21[c21["area_code"] == EW].set_index("source_label")["count"]
    assert len(ew) == 19
    pd.testing.assert_series_equal(forces.sort_index(), ew.sort_index(), check_names=False)


def test_census2021_shape_period_and_labels(c21):
    assert set(c21["area_code"]) == FORCES | {EW}
    assert (c21.groupby("area_code").size() == 19).all()
    assert "Does not apply" not in set(c21["source_label"])
    assert set(c21["group"]) == {"Asian", "Black", "Mixed", "White", "Other"}
    assert set(c21["period"]) == {"2021-03-21"}
    assert (c21["period_start"] == pd.Timestamp("2021-03-21")).all()
    assert set(c21["census"]) == {"Census 2021"}
    assert (c21["count"] >= 0).all() and c21["count"].notna().all()


def test_city_of_london_la_goes_to_city_of_london_force(raw_dir):
    lookup = pop.read_lad21_lookup(raw_dir).set_index("la_code")
    assert lookup.loc["E09000001", "area_code"] == "E23000034"  # City of London LA -> City of London PFA
    assert lookup.loc["W06000015", "area_code"] == "W15000003"  # Cardiff -> South Wales


def test_does_not_apply_must_be_zero(copy_raw):
    root = copy_raw("census2021-ts021-ltla", "lookup-lad21-csp21-pfa21")
    path = root / "data" / "raw" / pop.C21_FILE
    text = path.read_text(encoding="utf-8")
    bad = text.replace(
        "E06000001,Hartlepool,-8,Does not apply,0", "E06000001,Hartlepool,-8,Does not apply,7", 1
    )
    assert bad != text
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(DataError, match=r"Does not apply.*row 2.*Observation|row 2.*Does not apply"):
        load_uncached("population_census2021", root / "data" / "raw")


def test_lad_in_two_force_areas_is_an_error(copy_raw):
    root = copy_raw("census2021-ts021-ltla", "lookup-lad21-csp21-pfa21")
    path = root / "data" / "raw" / pop.LOOKUP21_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    # Hartlepool once more, in a different force
    lines.append("E06000001,Hartlepool,E22000999,Hartlepool,E23000013,Cleveland")
    lines.append("E06000001,Hartlepool,E22000998,Hartlepool,E23000008,Durham")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="E06000001.*more than one|more than one.*E06000001"):
        pop.read_lad21_lookup(root / "data" / "raw")


def test_unknown_category_label_is_an_error(copy_raw):
    root = copy_raw("census2021-ts021-ltla", "lookup-lad21-csp21-pfa21")
    path = root / "data" / "raw" / pop.C21_FILE
    text = path.read_text(encoding="utf-8").replace("White: Roma", "White: Romany", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Exception, match="White: Romany"):
        pop.read_census2021_la(root / "data" / "raw")


def test_non_numeric_count_names_file_row_column(copy_raw):
    root = copy_raw("census2021-ts021-ltla", "lookup-lad21-csp21-pfa21")
    path = root / "data" / "raw" / pop.C21_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0] + ",lots"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"2021_census_la.csv, row 4, column 'Observation'.*'lots'"):
        pop.read_census2021_la(root / "data" / "raw")


# ------------------------------------------------------------------ Census 2011


def test_census2011_total_is_the_published_figure(c11):
    assert c11.loc[c11["area_code"] == EW, "count"].sum() == EW_2011_TOTAL
    assert c11.loc[c11["area_code"].isin(FORCES), "count"].sum() == EW_2011_TOTAL
    assert (c11.groupby("area_code").size() == 18).all()
    assert set(c11["period"]) == {"2011-03-27"}


def test_census2011_la_aggregation_equals_the_home_office_workbook(c11, c11_pfa):
    """Our 348 LAs -> 43 PFAs aggregation reproduces the workbook for every force and group."""
    ours = c11.groupby(["area_code", "group"])["count"].sum()
    theirs = c11_pfa.set_index(["area_code", "group"])["count"]
    assert len(theirs) == 44 * 5
    pd.testing.assert_series_equal(ours.sort_index(), theirs.sort_index(), check_names=False)


def test_census2011_workbook_all_column_is_checked(raw_dir):
    wb = pop.read_census2011_workbook(raw_dir)
    total = wb[wb["group"] == "All"].set_index("area_code")["count"]
    groups = wb[wb["group"] != "All"].groupby("area_code")["count"].sum()
    pd.testing.assert_series_equal(total.sort_index(), groups.sort_index(), check_names=False)
    assert total.sum() == EW_2011_TOTAL


def test_census2011_nomis_equals_the_resistance_lab_copy(raw_dir):
    """Two independent downloads of QS201EW agree for every LA and category."""
    la = pop.read_census2011_la(raw_dir)
    other = pd.read_csv(raw_dir / pop.C11_RL_FILE)
    assert len(other) == 348 == la["la_code"].nunique()
    wanted = {f"Ethnic Group: {label}; measures: Value": label for label in ethnicity.labels("census2011")}
    assert set(wanted) <= set(other.columns)
    long = other.melt(
        id_vars=["geography code"], value_vars=list(wanted), var_name="column", value_name="value"
    )
    long["source_label"] = long["column"].map(wanted)
    merged = la.merge(
        long,
        left_on=["la_code", "source_label"],
        right_on=["geography code", "source_label"],
        how="outer",
        validate="1:1",
        indicator=True,
    )
    assert (merged["_merge"] == "both").all()
    assert (merged["count"] == merged["value"]).all()


def test_england_and_wales_excluding_gmp_matches_published_denominators(c11_pfa):
    table = pop.exclude_areas(pop.broad_populations(c11_pfa), ["E23000005"])
    got = dict(zip(table["group"], table["population"], strict=True))
    assert got == EW_EXCL_GMP_2011
    assert table["area_name"].iloc[0] == "England and Wales excluding Greater Manchester"


def test_population_excluding_uses_census_2011_for_2019_20():
    table = pop.population_excluding("2019-20", ["Greater Manchester"])
    assert set(table["census"]) == {"Census 2011"}
    assert dict(zip(table["group"], table["population"], strict=True)) == EW_EXCL_GMP_2011


# ------------------------------------------------------------------ choosing the census


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (periods.financial_year(2021), "Census 2021"),
        (periods.financial_year(2022), "Census 2021"),
        (periods.financial_year(2020), "Census 2011"),
        (periods.calendar_year(2021), "Census 2011"),  # starts 1 January 2021, before April 2021
        (periods.month(2021, 3), "Census 2011"),
        (periods.month(2021, 4), "Census 2021"),
        ("2019-20", "Census 2011"),
    ],
)
def test_census_for(period, expected):
    assert pop.census_for(period) == expected


def test_population_for_2021_22_is_census_2021_broad_groups(c21):
    table = pop.population_for("2021-22")
    assert set(table["census"]) == {"Census 2021"}
    assert list(table.columns) == ["area_code", "area_name", "group", "population", "census"]
    assert len(table) == 44 * 6
    assert list(table[table["area_code"] == "W15000003"]["group"]) == GROUP_ORDER
    wide = table.pivot(index="area_code", columns="group", values="population")
    assert (wide[GROUP_ORDER[:-1]].sum(axis=1) == wide["All"]).all()
    assert wide.loc[EW, "All"] == EW_2021_TOTAL
    sw = c21[c21["area_code"] == "W15000003"]
    assert wide.loc["W15000003", "Black"] == sw[sw["group"] == "Black"]["count"].sum()


def test_population_for_override_and_before_2021():
    assert set(pop.population_for("2019-20")["census"]) == {"Census 2011"}
    forced = pop.population_for("2021-22", census=2011)
    assert set(forced["census"]) == {"Census 2011"}
    assert (
        forced[(forced["area_code"] == EW) & (forced["group"] == "All")]["population"].item() == EW_2011_TOTAL
    )
    with pytest.raises(ValueError, match="Unknown census"):
        pop.population_for("2021-22", census="2001")


def test_census_days():
    assert pop.CENSUS2021_DAY == date(2021, 3, 21)
    assert periods.as_at(pop.CENSUS2021_DAY).label == "2021-03-21"


@pytest.mark.parametrize(
    "dataset", ["population_census2021", "population_census2011", "population_census2011_pfa"]
)
def test_force_areas_sum_to_england_and_wales_for_every_group(dataset, raw_dir):
    frame = load_uncached(dataset, raw_dir)
    forces = frame[frame["area_code"].isin(FORCES)]
    assert forces["area_code"].nunique() == 43
    by_group = forces.groupby("group")["count"].sum()
    ew = frame[frame["area_code"] == EW].groupby("group")["count"].sum()
    assert set(by_group.index) == {"Asian", "Black", "Mixed", "White", "Other"}
    pd.testing.assert_series_equal(by_group, ew)
