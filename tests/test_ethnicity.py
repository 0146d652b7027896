"""Ethnicity labels: every label in the shipped census and police.uk files maps to a broad group."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest

from eqlib import ethnicity
from eqlib.ethnicity import UnknownEthnicityError, broad_group

BROAD = set(ethnicity.BROAD_GROUPS)
POLICEUK_FOLDERS = (
    "policeuk-stop-search-metropolitan-2018",
    "policeuk-stop-search-city-of-london",
    "policeuk-stop-search-wales-4forces-2019-2022",
)


@lru_cache(maxsize=1)
def _policeuk_labels(raw_dir: Path) -> tuple[set[str], set[str]]:
    self_defined: set[str] = set()
    officer: set[str] = set()
    files = [
        f for folder in POLICEUK_FOLDERS for f in sorted((raw_dir / folder).glob("*-stop-and-search.csv"))
    ]
    assert len(files) == 36 + 12 + 143
    for path in files:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                self_defined.add(row["Self-defined ethnicity"])
                officer.add(row["Officer-defined ethnicity"])
    return self_defined, officer


def test_census2021_labels_in_the_file_all_map(raw_dir):
    frame = pd.read_csv(raw_dir / "census2021-ts021-ltla" / "2021_census_la.csv")
    labels = set(frame["Ethnic group (20 categories)"])
    assert len(labels) == 20
    assert labels == set(ethnicity.labels("census2021"))
    groups = {label: broad_group(label, "census2021") for label in labels}
    assert groups["Does not apply"] == ethnicity.DOES_NOT_APPLY
    # The group is the text before the colon, as ONS defines the broad groups
    prefix = {
        "Asian, Asian British or Asian Welsh": "Asian",
        "Black, Black British, Black Welsh, Caribbean or African": "Black",
        "Mixed or Multiple ethnic groups": "Mixed",
        "White": "White",
        "Other ethnic group": "Other",
    }
    for label, group in groups.items():
        if label != "Does not apply":
            assert prefix[label.split(":")[0]] == group, label


def test_census2011_labels_in_both_la_files_all_map(raw_dir):
    with open(raw_dir / "census2011-qs201ew-la-nomis" / "2011_census_la.csv", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = next(r for r in rows if r and r[0].startswith("local authority:"))
    nomis = set(header[2:])
    assert nomis == set(ethnicity.labels("census2011"))
    assert len(nomis) == 18
    other = pd.read_csv(raw_dir / "census2011-ethnicity-la-pfa" / "la-ethnic-groups.csv", nrows=1)
    detailed = {
        c.removeprefix("Ethnic Group: ").removesuffix("; measures: Value")
        for c in other.columns
        if c.startswith("Ethnic Group: ")
        and c.count(":") == 3
        and not c.startswith("Ethnic Group: All categories")
    }
    assert detailed == nomis
    prefix = {
        "Asian/Asian British": "Asian",
        "Black/African/Caribbean/Black British": "Black",
        "Mixed/multiple ethnic group": "Mixed",
        "White": "White",
        "Other ethnic group": "Other",
    }
    for label in nomis:
        assert broad_group(label, "census2011") == prefix[label.split(":")[0]], label


def test_eff_population_2011_labels_map_with_the_ho_table(raw_dir):
    frame = pd.read_csv(
        raw_dir / "eff-population-by-ethnicity-la-2011" / "ethnic-population-by-local-authority.csv"
    )
    for label in frame["Ethnicity"].unique():
        assert broad_group(label, "ho") in BROAD - {"Not stated"}, label
    assert broad_group("Chinese", "ho") == "Asian"  # ONS 2011 standard: Chinese is Asian
    assert broad_group("Arab", "ho") == "Other"


def test_policeuk_self_defined_labels_all_map(raw_dir):
    self_defined, _ = _policeuk_labels(raw_dir)
    assert len(self_defined) >= 17
    groups = {label: broad_group(label, "policeuk_self") for label in self_defined}
    assert set(groups.values()) <= BROAD
    assert groups.get("", "Not stated") == "Not stated"
    assert groups["Other ethnic group - Not stated"] == "Not stated"
    for label, group in groups.items():
        if label.startswith("Black/"):
            assert group == "Black"
        if label.startswith("White -"):
            assert group == "White"


def test_policeuk_officer_defined_labels_all_map(raw_dir):
    _, officer = _policeuk_labels(raw_dir)
    assert {"White", "Black", "Asian", "Other"} <= officer
    for label in officer:
        assert broad_group(label, "officer") in BROAD


@pytest.mark.parametrize(
    ("label", "classification"),
    [
        ("Martian", "census2021"),
        ("White: Welsh", "census2011"),
        ("White - Cornish", "policeuk_self"),
        ("Purple", "officer"),
        ("Chinese", "officer"),
    ],
)
def test_unknown_labels_raise(label, classification):
    with pytest.raises(UnknownEthnicityError, match=label):
        broad_group(label, classification)


def test_blank_is_not_stated_only_where_the_source_uses_blanks():
    assert broad_group(None, "policeuk_self") == "Not stated"
    assert broad_group("", "officer") == "Not stated"
    with pytest.raises(UnknownEthnicityError):
        broad_group("", "census2021")


def test_add_broad_group_names_source_row_and_column():
    frame = pd.DataFrame({"eth": ["White: Irish", "White: Irish", "Klingon"]})
    with pytest.raises(UnknownEthnicityError, match=r"demo.csv, row 3, column 'eth'.*Klingon"):
        ethnicity.add_broad_group(frame, label_column="eth", classification="census2011", source="demo.csv")
    ok = ethnicity.add_broad_group(frame.iloc[:2], label_column="eth", classification="census2011")
    assert list(ok["group"]) == ["White", "White"]


def test_every_table_maps_only_to_broad_groups():
    for classification in ("census2021", "census2011", "policeuk_self", "officer", "ho"):
        for label in ethnicity.labels(classification):
            assert broad_group(label, classification) in BROAD | {ethnicity.DOES_NOT_APPLY}, label
