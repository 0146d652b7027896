"""police.uk stop and search loader: real files against their SOURCE.txt figures, and broken files."""

from __future__ import annotations

import csv
import logging
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from eqlib.errors import DataError
from eqlib.paths import raw_dir
from eqlib.sources import get_dataset
from eqlib.sources import policeuk as pu
from eqlib.sources._common import read_csv_text

DATA = Path(__file__).parent / "data" / "policeuk"
RAW = raw_dir()
MET, COL = "E23000001", "E23000034"
WALES = {"W15000001", "W15000002", "W15000003", "W15000004"}
GWENT = "W15000002"


# --------------------------------------------------------------------------------------------
# Real data
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return pu.load_records(RAW)


@pytest.fixture(scope="module")
def counts(records) -> pd.DataFrame:
    return pu.count_records(records)


@pytest.fixture(scope="module")
def coverage() -> pd.DataFrame:
    return pu.load_coverage(RAW)


def _independent_row_count(path: Path) -> int:
    """Data rows counted with the csv module alone (header excluded)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    return sum(1 for row in rows[1:] if any(cell.strip() for cell in row))


def test_datasets_registered():
    for dataset_id in (
        "stop_search_policeuk_records",
        "stop_search_policeuk",
        "stop_search_policeuk_coverage",
    ):
        dataset = get_dataset(dataset_id)
        assert len(dataset.paths(RAW)) == 191


def test_record_counts_per_force_and_month_equal_file_row_counts(records):
    files = pu.month_files(RAW)
    assert len(files) == 12 + 36 + 143
    per_file = records.groupby("source_file").size()
    expected = {path.name: _independent_row_count(path) for path in files}
    assert set(per_file.index) == set(expected)
    mismatched = {name: (int(per_file[name]), n) for name, n in expected.items() if per_file[name] != n}
    assert not mismatched
    # and per force and month (the month from the file name)
    by_month = records.groupby(["area_code", "month"]).size()
    for path in files:
        period, slug = pu.parse_file_name(path)
        from eqlib.areas import resolve

        assert by_month[(resolve(slug).code, period.label)] == expected[path.name]


def test_folder_totals(records):
    area_files = records.groupby("area_code")["source_file"].nunique()
    sizes = records.groupby("area_code").size()
    assert sizes[MET] == 149_284
    assert area_files[MET] == 12
    assert sizes[COL] == 6_855
    assert area_files[COL] == 36
    assert sizes[list(WALES)].sum() == 74_627
    assert area_files[list(WALES)].sum() == 143


def test_city_of_london_financial_years(counts):
    col = counts[counts["area_code"] == COL]
    fy = pu.aggregate(col, by=[], period="financial_year", include_vehicle_only=True).set_index("period")
    assert fy.loc["2018-19", "count"] == 1_526
    assert fy.loc["2019-20", "count"] == 2_857
    assert fy.loc["2017-18", "count"] == 406  # Dec-Mar only
    assert fy.loc["2020-21", "count"] == 2_066  # Apr-Nov only
    assert fy.loc["2017-18", "months_present"] == 4 and fy.loc["2017-18", "partial"]
    assert fy.loc["2020-21", "months_present"] == 8 and fy.loc["2020-21", "partial"]
    assert not fy.loc["2018-19", "partial"] and fy.loc["2018-19", "months_present"] == 12


def test_met_officer_defined_ethnicity(records):
    met = records[records["area_code"] == MET]
    officer = met["officer_defined_label"].value_counts()
    assert officer["Black"] == 63_565
    assert officer["White"] == 52_605
    assert officer["Asian"] == 25_317
    assert officer["Other"] == 5_385
    assert officer[""] == 2_412
    groups = met["officer_group"].value_counts()
    assert groups["Not stated"] == 2_412
    assert groups.sum() == 149_284


def test_met_legislation(counts):
    met = counts[counts["area_code"] == MET].groupby("legislation")["count"].sum()
    assert met["Misuse of Drugs Act 1971 (section 23)"] == 85_317
    assert met["Police and Criminal Evidence Act 1984 (section 1)"] == 55_455
    assert met["Criminal Justice and Public Order Act 1994 (section 60)"] == 7_091
    assert met["Firearms Act 1968 (section 47)"] == 1_421


# Wales SOURCE.txt: "police.uk here" self-defined counts by financial year, all four forces
WALES_SOURCE = {
    "2020-21": {"White": 23_897, "Black": 1_004, "Asian": 1_148, "Mixed": 583, "Other": 278},
    "2021-22": {"White": 14_835, "Black": 488, "Asian": 482, "Mixed": 314, "Other": 156},
}


def _wales_by_group(frame: pd.DataFrame) -> pd.DataFrame:
    wales = frame[frame["area_code"].isin(WALES)]
    return wales.groupby(["period", "group"])["count"].sum().unstack()


def test_wales_self_defined_counts_match_source_including_vehicle_only(counts, records):
    """The SOURCE.txt figures INCLUDE vehicle-only searches: they match with vehicle-only kept."""
    with_vehicle = _wales_by_group(pu.aggregate(counts, by=["group"], include_vehicle_only=True))
    for period, expected in WALES_SOURCE.items():
        for group, value in expected.items():
            assert with_vehicle.loc[period, group] == value, (period, group)
    # The Home Office rule (default) excludes vehicle-only searches: White 2020/21 then differs,
    # by exactly the vehicle-only searches recorded with a White self-defined label.
    default = _wales_by_group(pu.aggregate(counts, by=["group"]))
    wales = records[records["area_code"].isin(WALES) & records["vehicle_only"]]
    wales = wales.assign(
        fy=wales["period_start"].map(
            lambda d: "2020-21" if pd.Timestamp("2020-04-01") <= d <= pd.Timestamp("2021-03-31") else "other"
        )
    )
    white_vehicle = int(((wales["fy"] == "2020-21") & (wales["self_group"] == "White")).sum())
    assert white_vehicle > 0
    assert default.loc["2020-21", "White"] == 23_897 - white_vehicle


def test_counts_reconcile_with_records(records, counts):
    assert counts["count"].sum() == len(records)
    for column in ("group", "source_label", *pu.COUNT_DIMENSIONS):
        assert counts[column].notna().all(), column
    # every dimension keeps every record (no NaN dropped by groupby)
    for column in pu.COUNT_DIMENSIONS:
        assert counts.groupby(column)["count"].sum().sum() == len(records)
    # per force and month too
    per_month = counts.groupby(["area_code", "period"])["count"].sum()
    assert per_month.to_dict() == records.groupby(["area_code", "month"]).size().astype(float).to_dict()


@pytest.mark.parametrize("dimension", ["group", "source_label", *pu.COUNT_DIMENSIONS])
def test_aggregate_keeps_every_record_for_each_dimension(counts, records, dimension):
    for period in ("financial_year", "calendar_year", "month"):
        out = pu.aggregate(counts, by=[dimension], period=period, include_vehicle_only=True)
        assert out["count"].sum() == len(records)
        assert out[dimension].notna().all()
        # area totals per period agree with the records, whatever the dimension
        assert (out.groupby("area_code")["count"].sum() == records.groupby("area_code").size()).all()


def test_vehicle_only_flag_and_exclusion(records, counts):
    assert (records["vehicle_only"] == (records["type"] == "Vehicle search")).all()
    n_vehicle = int(records["vehicle_only"].sum())
    assert n_vehicle == 17 + 2_081 + 2_804
    totals_all = pu.aggregate(counts, by=[], include_vehicle_only=True)["count"].sum()
    totals_default = pu.aggregate(counts, by=[])["count"].sum()
    assert totals_all == len(records)
    assert totals_default == len(records) - n_vehicle


def test_month_comes_from_file_name_not_date(records):
    file_month = records["source_file"].str.slice(0, 7)
    assert (records["month"] == file_month).all()
    # some searches carry a Date in the previous month (UTC 23:00 in summer time): still filed by month
    early = records[records["date"] < records["period_start"]]
    assert len(early) > 0
    assert (early["month"] == early["source_file"].str.slice(0, 7)).all()


def test_gwent_august_2019_missing_at_source(coverage, counts):
    gap = coverage[(coverage["area_code"] == GWENT) & (coverage["period"] == "2019-08")]
    assert len(gap) == 1
    assert gap["status"].iloc[0] == "missing at source"
    assert gap["symbol"].iloc[0] == "[x]" and pd.isna(gap["count"].iloc[0])
    assert (coverage["status"] == "present").sum() == 191
    assert (coverage["status"] != "present").sum() == 1
    # coverage counts equal the independent row counts
    present = coverage[coverage["status"] == "present"].set_index("source_file")["count"]
    for path in pu.month_files(RAW)[:20]:
        assert present[path.name] == _independent_row_count(path)
    fy = pu.aggregate(counts[counts["area_code"] == GWENT], by=[], coverage=coverage).set_index("period")
    assert fy.loc["2019-20", "months_present"] == 11
    assert fy.loc["2019-20", "months_expected"] == 12
    assert bool(fy.loc["2019-20", "partial"])
    assert not fy.loc["2020-21", "partial"]


def test_outcome_vocabulary_normalised(records):
    col = records[records["area_code"] == COL]
    labels = col.groupby("outcome_group")["outcome"].agg(lambda s: set(s))
    assert {"Arrest", "Suspect arrested"} <= labels["arrest"]
    assert {"A no further action disposal", "Nothing found - no further action"} <= labels[
        "no further action"
    ]
    assert {"Khat or Cannabis warning", "Offender given drugs possession warning"} <= labels[
        "khat-cannabis warning"
    ]
    assert set(records["outcome_group"]) <= set(pu.OUTCOME_GROUP_ORDER)
    raw = Counter()
    for path in sorted((RAW / "policeuk-stop-search-city-of-london").glob("*.csv")):
        with path.open(newline="", encoding="utf-8-sig") as handle:
            raw.update(row["Outcome"] for row in csv.DictReader(handle))
    assert (col["outcome_group"] == "arrest").sum() == raw["Arrest"] + raw["Suspect arrested"]
    assert (col["outcome_group"] == "Not recorded").sum() == raw[""]


def test_welsh_booleans_reconstructed(records):
    wales = records[records["area_code"].isin(WALES)]
    assert str(wales["outcome_linked"].dtype) == "boolean"
    assert wales["outcome_linked"].sum() == 9_984
    assert (wales["outcome_linked"] == False).sum() == 45_719  # noqa: E712
    assert wales["outcome_linked"].isna().sum() == 18_924


def test_records_are_marked_internal():
    dataset = get_dataset("stop_search_policeuk_records")
    assert "never published" in dataset.title


# --------------------------------------------------------------------------------------------
# Small fixtures: one file at a time
# --------------------------------------------------------------------------------------------


def test_read_good_fixture():
    frame = pu.read_month_file(DATA / "good" / "2021-04-south-wales-stop-and-search.csv")
    assert (
        len(frame) == _independent_row_count(DATA / "good" / "2021-04-south-wales-stop-and-search.csv") == 6
    )
    assert set(frame["area_code"]) == {"W15000003"}
    assert set(frame["month"]) == {"2021-04"}  # first record dated 31 March 23:00 UTC
    assert frame["date"].iloc[0] == pd.Timestamp("2021-03-31 23:00")
    assert frame["vehicle_only"].tolist() == [False, False, True, False, False, False]
    assert frame["self_group"].tolist() == [
        "White",
        "Black",
        "Not stated",
        "Not stated",
        "Not stated",
        "Asian",
    ]
    assert frame["officer_group"].tolist() == ["White", "Black", "Not stated", "Asian", "Not stated", "Asian"]
    assert frame["outcome_group"].tolist() == [
        "no further action",
        "arrest",
        "no further action",
        "arrest",
        "Not recorded",
        "khat-cannabis warning",
    ]
    assert frame["outcome_linked"].tolist() == [False, True, pd.NA, True, pd.NA, False]
    assert frame["legislation"].iloc[4] == "Not recorded"
    assert frame["gender"].iloc[2] == "Not recorded"
    assert frame["source_row"].tolist() == [2, 3, 4, 5, 6, 7]


def test_bom_and_cp1252_are_read():
    bom = pu.read_month_file(DATA / "bom" / "2021-05-gwent-stop-and-search.csv")
    assert len(bom) == 2 and set(bom["area_code"]) == {GWENT}
    cp = pu.read_month_file(DATA / "cp1252" / "2021-06-north-wales-stop-and-search.csv")
    assert len(cp) == 1 and bool(cp["part_of_operation"].iloc[0]) is True
    assert "Opération" in read_csv_text(DATA / "cp1252" / "2021-06-north-wales-stop-and-search.csv")


def test_repeated_header_is_skipped_and_logged(caplog):
    with caplog.at_level(logging.WARNING):
        frame = pu.read_month_file(DATA / "repeated_header" / "2021-07-dyfed-powys-stop-and-search.csv")
    assert len(frame) == 2
    assert frame["source_row"].tolist() == [2, 4]
    assert "header repeated at line(s) 3" in caplog.text


@pytest.mark.parametrize(
    ("case", "fragments"),
    [
        (
            "bad_header",
            [
                "row 1",
                "missing columns: 'Legislation'",
                "unexpected columns: 'Legislations'",
                "the 15 police.uk stop and search columns",
                "Removal of more than just outer clothing",
            ],
        ),
        ("missing_column", ["missing columns: 'Legislation'", "the 15 police.uk"]),
        ("unknown_force", ["atlantis", "unknown police force"]),
        (
            "bad_ethnicity",
            [
                "row 3",
                "column 'Self-defined ethnicity'",
                "'Martian'",
                "White - English/Welsh/Scottish/Northern Irish/British",
            ],
        ),
        ("bad_officer_ethnicity", ["row 2", "column 'Officer-defined ethnicity'", "'Purple'"]),
        (
            "bad_boolean",
            ["row 4", "column 'Outcome linked to object of search'", "'1.0'", "True, False or blank"],
        ),
        ("bad_date", ["row 3", "column 'Date'", "'yesterday'", "ISO 8601"]),
        ("bad_outcome", ["row 2", "column 'Outcome'", "'Sent to the moon'"]),
        ("bad_type", ["row 2", "column 'Type'", "'Horse search'"]),
        ("wrong_fields", ["row 3", "wrong number of fields (16)", "15 comma-separated fields"]),
        ("empty", ["empty"]),
        ("bad_name", ["south-wales-april-2021.csv", "file name"]),
    ],
)
def test_bad_files_raise_clear_errors(case, fragments):
    (path,) = sorted((DATA / case).glob("*.csv"))
    with pytest.raises(DataError) as info:
        pu.read_month_file(path)
    message = str(info.value)
    assert path.name in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_two_files_for_one_force_month_is_an_error():
    files = [
        DATA / "good" / "2021-04-south-wales-stop-and-search.csv",
        DATA / "duplicate_month" / "2021-04-south-wales-stop-and-search.csv",
    ]
    with pytest.raises(DataError, match="second file for the same force and month"):
        pu.read_records(files)


# --------------------------------------------------------------------------------------------
# Counts and aggregation on the fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture()
def fixture_counts() -> pd.DataFrame:
    records = pu.read_records(sorted((DATA / "good").glob("*.csv")))
    return pu.count_records(records)


def test_fixture_counts_schema_and_reconcile(fixture_counts):
    assert fixture_counts["count"].sum() == 6 + 2 + 1
    assert set(fixture_counts["period"]) == {"2021-04", "2021-05", "2022-01"}
    assert set(fixture_counts["outcome_linked"]) == {"Yes", "No", "Not recorded"}
    assert (fixture_counts["dataset"] == "stop_search_policeuk").all()


def test_aggregate_financial_year_and_months(fixture_counts):
    fy = pu.aggregate(fixture_counts, by=["group"])
    assert set(fy["period"]) == {"2021-22"}
    by_group = fy.set_index("group")["count"]
    # vehicle-only (2 of them, Not stated) excluded by default
    assert by_group.to_dict() == {"Asian": 1.0, "Black": 3.0, "Not stated": 2.0, "White": 1.0}
    assert (fy["months_present"] == 3).all() and (fy["months_expected"] == 12).all() and fy["partial"].all()
    with_vehicle = pu.aggregate(fixture_counts, by=["group"], include_vehicle_only=True).set_index("group")
    assert with_vehicle.loc["Not stated", "count"] == 4.0
    cal = pu.aggregate(fixture_counts, by=[], period="calendar_year").set_index("period")
    assert cal.loc["2021", "count"] == 6.0 and cal.loc["2021", "months_present"] == 2
    assert cal.loc["2022", "count"] == 1.0 and cal.loc["2022", "months_present"] == 1
    months = pu.aggregate(fixture_counts, by=[], period="month")
    assert (months["months_expected"] == 1).all() and not months["partial"].any()
    with pytest.raises(ValueError, match="period must be"):
        pu.aggregate(fixture_counts, by=[], period="fortnight")
    with pytest.raises(ValueError, match="no such column"):
        pu.aggregate(fixture_counts, by=["colour"])


def test_coverage_finds_gap_in_fixture():
    files = sorted((DATA / "good").glob("*.csv"))
    cov = pu.coverage_from_files(
        files, expected_spans={"south-wales": ("2021-04", "2022-03")}, known_missing={}
    )
    assert len(cov) == 12
    assert (cov["status"] == "present").sum() == 3
    missing = cov[cov["status"] == "missing"]
    assert len(missing) == 9 and missing["count"].isna().all() and (missing["symbol"] == "[x]").all()
    assert cov.loc[cov["period"] == "2021-04", "count"].iloc[0] == 6


def test_aggregate_with_coverage_marks_wholly_missing_periods(fixture_counts):
    files = sorted((DATA / "good").glob("*.csv"))
    cov = pu.coverage_from_files(
        files, expected_spans={"south-wales": ("2020-12", "2022-03")}, known_missing={}
    )
    cal = pu.aggregate(fixture_counts, by=[], period="calendar_year", coverage=cov).set_index("period")
    # December 2020 is expected but has no file: 2020 is wholly missing -> [x], not zero
    assert pd.isna(cal.loc["2020", "count"]) and cal.loc["2020", "symbol"] == "[x]"
    assert cal.loc["2020", "months_present"] == 0 and cal.loc["2020", "months_expected"] == 1 * 12
    assert cal.loc["2021", "count"] == 6.0 and cal.loc["2021", "months_present"] == 2


def test_header_only_file_gives_no_records_but_the_right_columns(tmp_path):
    path = tmp_path / "2021-04-gwent-stop-and-search.csv"
    path.write_text(",".join(pu.EXPECTED_COLUMNS) + "\n", encoding="utf-8")
    frame = pu.read_month_file(path)
    assert len(frame) == 0
    assert list(frame.columns) == list(pu.RECORD_COLUMNS)
    assert str(frame["period_start"].dtype) == "datetime64[ns]"
    assert pu.count_records(frame)["count"].sum() == 0


def test_coverage_months_reads_the_project_data():
    cov = pu.coverage_months()
    assert len(cov) == 192
    assert cov.groupby("area_code").size().to_dict() == {
        MET: 12,
        COL: 36,
        "W15000001": 36,
        GWENT: 36,
        "W15000003": 36,
        "W15000004": 36,
    }


def test_counts_and_coverage_reuse_the_cached_records_and_follow_file_changes(tmp_path, monkeypatch):
    """In a project, the counts and coverage datasets read the records' cache (the files are parsed
    once), still reconcile with the records, and are rebuilt when a police.uk file changes."""
    from eqlib import store

    monkeypatch.delenv("EQLIB_CACHE", raising=False)
    root = tmp_path / "project"
    raw = root / "data" / "raw"
    folder = raw / "policeuk-stop-search-wales-4forces-2019-2022"
    files = {folder / p.name: p for p in sorted((DATA / "good").glob("*.csv"))}
    april = DATA / "good" / "2021-04-south-wales-stop-and-search.csv"
    files[raw / "policeuk-stop-search-metropolitan-2018" / "2018-01-metropolitan-stop-and-search.csv"] = april
    files[raw / "policeuk-stop-search-city-of-london" / "2018-01-city-of-london-stop-and-search.csv"] = april
    for target, source in files.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    expected_rows = {t.name: _independent_row_count(t) for t in files}
    parsed: list[str] = []
    real_read_raw = pu._read_raw
    monkeypatch.setattr(pu, "_read_raw", lambda path: parsed.append(path.name) or real_read_raw(path))

    counts = store.load("stop_search_policeuk", root=root)
    coverage = store.load("stop_search_policeuk_coverage", root=root)
    records = store.load("stop_search_policeuk_records", root=root)
    assert sorted(parsed) == sorted(expected_rows)  # each file parsed once, for all three datasets
    assert list((root / ".eqlib-cache" / "stop_search_policeuk_records").glob("*.parquet"))
    assert counts["count"].sum() == len(records) == sum(expected_rows.values())
    per_file = records.groupby("source_file").size()
    present = coverage[coverage["status"] == "present"].set_index("source_file")["count"]
    assert present.to_dict() == {name: float(n) for name, n in per_file.items()}
    assert present.to_dict() == {name: float(n) for name, n in expected_rows.items()}
    old_keys = {
        d: sorted(p.name for p in (root / ".eqlib-cache" / d).glob("*.parquet"))
        for d in ("stop_search_policeuk", "stop_search_policeuk_coverage")
    }

    # one more record in one file: counts and coverage get new keys and see it
    changed = folder / "2021-05-south-wales-stop-and-search.csv"
    lines = changed.read_text(encoding="utf-8").splitlines()
    changed.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    counts2 = store.load("stop_search_policeuk", root=root)
    coverage2 = store.load("stop_search_policeuk_coverage", root=root)
    assert counts2["count"].sum() == sum(expected_rows.values()) + 1
    assert coverage2.set_index("source_file").loc[changed.name, "count"] == len(lines)
    for dataset, keys in old_keys.items():
        new = sorted(p.name for p in (root / ".eqlib-cache" / dataset).glob("*.parquet"))
        assert len(new) == 1 and new != keys
