"""Ethnicity facts and figures stop and search: the KEY VALUES in the two SOURCE.txt files."""

from __future__ import annotations

import csv
import logging
import math
from pathlib import Path

import pandas as pd
import pytest

from eqlib.errors import DataError
from eqlib.paths import raw_dir
from eqlib.sources import eff_stop_search as eff
from eqlib.sources import get_dataset

RAW = raw_dir()
EW = "K04000001"


@pytest.fixture(scope="module")
def national() -> pd.DataFrame:
    return eff.load_national(RAW)


@pytest.fixture(scope="module")
def by_area() -> pd.DataFrame:
    return eff.load_by_area(RAW)


def _row(frame: pd.DataFrame, period: str, label: str) -> pd.Series:
    rows = frame[(frame["period"] == period) & (frame["source_label"] == label)]
    assert len(rows) == 1, (period, label, len(rows))
    return rows.iloc[0]


def test_registered():
    assert get_dataset("stop_search_eff_national").paths(RAW)
    assert len(get_dataset("stop_search_eff_by_area").paths(RAW)) == 2


def test_national_key_values_2019_20(national):
    black, white, all_ = (_row(national, "2019-20", g) for g in ("Black", "White", "All"))
    assert (black["count"], black["denominator"]) == (96_905, 1_790_793)
    assert (white["count"], white["denominator"]) == (280_661, 45_961_272)
    assert (all_["count"], all_["denominator"]) == (563_837, 53_393_384)
    # rates recomputed from count and population round to the published ones
    black_rate = 1000 * black["count"] / black["denominator"]
    white_rate = 1000 * white["count"] / white["denominator"]
    assert round(black_rate, 2) == black["rate"] == 54.11
    assert round(white_rate, 2) == white["rate"] == 6.11
    assert round(1000 * all_["count"] / all_["denominator"], 2) == all_["rate"] == 10.56
    # disparity ratio from unrounded rates: 8.86 (from the rounded rates it would be 8.86 too, but
    # 54/6 = 9.0 is the trap METHODS.md warns about)
    assert round(black_rate / white_rate, 2) == 8.86
    for label, rate in {"Asian": 15.37, "Mixed": 15.79, "Other": 17.81}.items():
        assert _row(national, "2019-20", label)["rate"] == rate


def test_national_2018_19(national):
    assert _row(national, "2018-19", "Black")["rate"] == 39.16
    assert _row(national, "2018-19", "White")["rate"] == 4.05
    assert _row(national, "2018-19", "All")["rate"] == 6.98


def test_every_published_rate_matches_count_over_population(national):
    rated = national.dropna(subset=["count", "denominator", "rate"])
    assert len(rated) > 240
    recomputed = 1000 * rated["count"] / rated["denominator"]
    assert ((recomputed - rated["rate"]).abs() <= 0.005 + 1e-9).all()


def test_population_is_england_and_wales_less_greater_manchester(national):
    # Census 2011: England and Wales 56,075,912; Greater Manchester police force area 2,682,528
    all_rows = national[national["source_label"] == "All"].dropna(subset=["denominator"])
    assert set(all_rows["denominator"]) == {56_075_912 - 2_682_528}
    assert (national["excludes"] == "Greater Manchester").all()
    assert (national["area_code"] == EW).all()
    broad = national[(national["level"] == "broad") & (national["group"] != "Not stated")]
    pop = broad.groupby("period")["denominator"].sum(min_count=1).dropna()
    assert (pop == 56_075_912 - 2_682_528).all()


def test_blank_early_years_are_missing_not_zero(national):
    early = national[national["period"].isin(["2006-07", "2007-08", "2008-09"])]
    assert len(early) == 3 * 23
    assert early["count"].isna().all()
    assert (early["symbol"] == "[x]").all()
    assert (early["rate_symbol"] == "[x]").all()
    assert not (national["count"] == 0).any()


def test_unreported_deduplicated_and_reconciled(national, caplog):
    unreported = national[national["source_label"] == "Unreported"]
    assert unreported.groupby("period").size().eq(1).all()
    assert len(unreported) == 14
    row = _row(national, "2019-20", "Unreported")
    assert row["published_count"] == 195_550
    assert row["count"] == 97_775
    assert "twice" in row["note"]
    assert row["group"] == "Not stated" and row["rate_symbol"] == "[z]"
    # All = five broad groups + Unreported in every year with data
    counted = national.dropna(subset=["count"])
    total = counted[counted["level"] == "total"].set_index("period")["count"]
    parts = counted[counted["level"] == "broad"].groupby("period")["count"].sum()
    assert (total - parts[total.index]).abs().max() == 0
    # the duplicates are logged
    with caplog.at_level(logging.WARNING):
        eff.read_national(RAW / eff.NATIONAL_FILE)
    assert "exact duplicate" in caplog.text
    assert "twice All minus the five broad groups in 11 year(s)" in caplog.text


def test_rows_in_equal_rows_out_plus_duplicates(national):
    path = RAW / eff.NATIONAL_FILE
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))[1:]
    unique = {tuple(r) for r in rows}
    assert len(rows) == 338
    assert len(national) == len(unique) == len(rows) - 14


def test_chinese_is_other_before_2019_20(national):
    assert _row(national, "2018-19", "Chinese")["group"] == "Other"
    assert _row(national, "2019-20", "Chinese")["group"] == "Asian"
    detailed = national[national["level"] == "detailed"].groupby(["period", "group"])["count"].sum()
    broad = national[national["level"] == "broad"].set_index(["period", "group"])["count"]
    for key, value in detailed.items():
        if key in broad.index and not math.isnan(broad[key]) and key[1] != "Not stated":
            assert value == broad[key], key


def _write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


HEADER = 'Time,Ethnicity,Number of stop and searches,Population,"Rate per 1,000 population"'


def test_disagreeing_duplicates_raise(tmp_path):
    path = _write(tmp_path, "d.csv", [HEADER, "2019/20,Black,10,100,100.00", "2019/20,Black,11,100,110.00"])
    with pytest.raises(DataError, match=r"row 3.*disagrees with row 2"):
        eff.read_national(path)


def test_national_bad_inputs(tmp_path):
    bad_label = _write(tmp_path, "l.csv", [HEADER, "2019/20,Martian,10,100,100.00"])
    with pytest.raises(DataError, match=r"row 2, column 'Ethnicity'.*Martian"):
        eff.read_national(bad_label)
    bad_header = _write(
        tmp_path, "h.csv", ["Year,Ethnicity,Number,Population,Rate", "2019/20,Black,10,100,100.00"]
    )
    with pytest.raises(DataError, match="wrong header"):
        eff.read_national(bad_header)
    negative = _write(tmp_path, "n.csv", [HEADER, "2019/20,Black,-10,100,100.00"])
    with pytest.raises(DataError, match=r"row 2.*negative count"):
        eff.read_national(negative)
    bad_unreported = _write(
        tmp_path,
        "u.csv",
        [HEADER, "2019/20,All,100,1000,100", "2019/20,Black,50,500,100", "2019/20,Unreported,7,,"],
    )
    with pytest.raises(DataError, match="is not the five broad groups"):
        eff.read_national(bad_unreported)


def test_by_area_key_values(by_area):
    rates = by_area[by_area["table"] == "by_area"]
    assert len(rates) == (43 + 1 + 2) * 6
    met = rates[rates["area_name"] == "Metropolitan Police"].set_index("group")["rate"]
    assert (met["Black"], met["White"]) == (32.8, 11.4)
    assert rates[rates["area_name"] == "Merseyside"].set_index("group").loc["All", "rate"] == 36.4
    dorset = rates[rates["area_name"] == "Dorset"].set_index("group")["rate"]
    assert (dorset["Black"], dorset["White"]) == (26.0, 1.9)
    national = rates[rates["area_code"] == EW]
    incl = national[national["excludes"] == ""].set_index("group")["rate"]
    excl = national[national["excludes"] == "British Transport Police"].set_index("group")["rate"]
    assert (incl["All"], incl["Black"], incl["White"]) == (8.9, 24.5, 5.9)
    assert (excl["All"], excl["Black"], excl["White"]) == (8.7, 23.7, 5.8)
    # counts by force are not published
    assert rates["count"].isna().all() and (rates["symbol"] == "[x]").all()
    assert not rates["count_published"].any()
    assert set(rates.loc[rates["area_code"].str.startswith(("E23", "W15")), "area_code"]) == {
        a.code for a in __import__("eqlib.areas", fromlist=["all_areas"]).all_areas()
    }


def test_btp_and_city_of_london_not_applicable(by_area):
    na = by_area[by_area["area_code"].isin(["BTP", "E23000034"]) & (by_area["table"] == "by_area")]
    assert len(na) == 12
    assert na["rate"].isna().all()
    assert (na["rate_symbol"] == "[z]").all()
    others = by_area[~by_area["area_code"].isin(["BTP", "E23000034"]) & (by_area["table"] == "by_area")]
    assert others["rate"].notna().all()


def test_by_ethnicity_national_counts(by_area):
    eth = by_area[by_area["table"] == "by_ethnicity"].set_index("source_label")
    assert len(eth) == 1 + 5 + 19 + 1
    assert (eth.loc["All", "count"], eth.loc["All", "rate"]) == (529_474, 8.9)
    assert (eth.loc["Black", "count"], eth.loc["Black", "rate"]) == (58_988, 24.5)
    assert (eth.loc["White", "count"], eth.loc["White", "rate"]) == (289_109, 5.9)
    assert (eth.loc["Asian", "count"], eth.loc["Mixed", "count"], eth.loc["Other", "count"]) == (
        46_630,
        17_002,
        9_460,
    )
    assert eth.loc["Unknown", "count"] == 108_285 and eth.loc["Unknown", "group"] == "Not stated"
    assert math.isnan(eth.loc["Unknown", "rate"]) and eth.loc["Unknown", "rate_symbol"] == "[z]"
    assert (eth["level"] == "detailed").sum() == 19
    broad = eth[eth["level"] == "broad"]["count"].sum()
    assert broad == eth.loc["All", "count"]
    assert eth.loc["Chinese", "group"] == "Asian" and eth.loc["Roma", "group"] == "White"


def test_by_area_unknown_force(tmp_path):
    lines = [
        '"","All","Asian","Black","Mixed","White","Other"',
        '"Police force area","Rate per 1,000","Rate per 1,000","Rate per 1,000","Rate per 1,000",'
        '"Rate per 1,000","Rate per 1,000"',
        '"Atlantis","1","2","3","4","5","6"',
    ]
    path = _write(tmp_path, "a.csv", lines)
    with pytest.raises(DataError, match=r"row 3, column 'Police force area'.*Atlantis"):
        eff.read_by_area(path)
