"""Home Office stop and search by force area and ethnicity, 2020/21-2024/25 (the derivative file)."""

from __future__ import annotations

import csv
import logging
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from eqlib import areas
from eqlib.errors import DataError
from eqlib.paths import raw_dir
from eqlib.sources import get_dataset
from eqlib.sources import ho_stop_search as ho

RAW = raw_dir()
CSV = RAW / ho.FILE
YEARS = ["2020-21", "2021-22", "2022-23", "2023-24", "2024-25"]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return ho.load_force_by_ethnicity(RAW)


def _file_rows() -> list[dict[str, str]]:
    with open(CSV, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_registered_and_in_the_manifest(repo_root):
    from eqlib import datacheck

    assert get_dataset(ho.DATASET).paths(RAW) == [CSV]
    files = datacheck.manifest_files(datacheck.load_manifest(repo_root))
    entry = files[ho.FILE]
    assert entry["bytes"] == CSV.stat().st_size == 32_365
    assert "derivative" in entry["title"].lower() or "derivative" in entry["provenance"].lower()
    upstream = re.search(
        r"https://assets\.publishing\.service\.gov\.uk/\S+\.ods",
        (CSV.parent / "SOURCE.txt").read_text(encoding="utf-8"),
    ).group(0)
    assert upstream in entry["provenance"]  # the gov.uk table the file derives from
    for field in ("publisher", "licence", "period", "coverage", "sha256"):
        assert entry[field] and "TODO" not in str(entry[field])


def test_every_force_year_and_group_with_absent_cells_as_explicit_zeros(frame):
    assert len(_file_rows()) == 1073
    assert len(frame) == 43 * 5 * 5 == 1075  # 1,073 rows + 2 zeros written
    assert sorted(frame["period"].unique()) == YEARS
    assert set(frame["area_code"]) == {a.code for a in areas.all_areas()}
    filled = frame[frame["filled_zero"]]
    dyfed = areas.resolve("Dyfed-Powys").code
    assert sorted(zip(filled["period"], filled["area_code"], filled["group"], strict=True)) == [
        ("2020-21", dyfed, "Other"),
        ("2021-22", dyfed, "Other"),
    ]
    assert (filled["count"] == 0).all() and (filled["source_row"] == 0).all()
    assert frame["count"].notna().all() and (frame["symbol"] == "").all()


def test_home_office_names_map_to_ons_codes(frame):
    city = frame[frame["source_force"] == "London, City of"]
    assert set(city["area_code"]) == {"E23000034"} and set(city["area_name"]) == {"City of London"}
    met = frame[frame["source_force"] == "Metropolitan Police"]
    assert set(met["area_code"]) == {areas.resolve("metropolitan").code}
    assert set(frame.loc[frame["source_force"] == "South Wales", "area_code"]) == {"W15000003"}


def test_five_year_force_totals_equal_the_files_own_national_sums_and_the_source_notes(frame):
    by_year = Counter()
    met_by_year = Counter()
    for row in _file_rows():
        by_year[row["financial_year"].replace("/", "-")] += int(row["total_searches"])
        if row["police_force"] == "Metropolitan Police":
            met_by_year[row["financial_year"].replace("/", "-")] += int(row["total_searches"])
    ours = frame.groupby("period")["count"].sum()
    assert {k: int(v) for k, v in ours.items()} == dict(by_year)
    # SOURCE.txt sanity totals (equal to Ethnicity facts and figures, excluding BTP and unreported)
    assert ours["2020-21"] == 555_915 and ours["2021-22"] == 405_946 and ours["2022-23"] == 411_353
    met = frame[frame["area_code"] == areas.resolve("metropolitan").code].groupby("period")["count"].sum()
    assert met["2020-21"] == 239_021 == met_by_year["2020-21"] and met["2022-23"] == 123_583
    # five-year totals by force reconcile with the five-year national total
    five_year = frame.groupby("area_code")["count"].sum()
    assert len(five_year) == 43 and five_year.sum() == sum(by_year.values())


def test_counts_reproduce_the_published_2022_23_rates_by_force(frame):
    """HO counts / Census 2021 populations against the EFF 2022/23 published rates (an earlier edition:
    411,353 v 412,366 searches nationally): equal to the published rounding (0.05 per 1,000) for every
    force and group except Surrey and North Yorkshire, whose 2022/23 counts the later table revises."""
    from eqlib.sources import eff_stop_search as eff
    from eqlib.sources.population import population_for

    pop = population_for("2022-23")
    rates = frame[frame["period"] == "2022-23"].merge(pop, on=["area_code", "group"])
    rates["rate"] = 1000 * rates["count"] / rates["population"]
    published = eff.load_by_area(RAW)
    published = published[
        (published["table"] == "by_area") & published["rate"].notna() & published["group"].isin(ho.GROUPS)
    ]
    both = rates.merge(
        published[["area_code", "group", "rate"]], on=["area_code", "group"], suffixes=("", "_eff")
    )
    assert len(both) == 42 * 5  # City of London is N/A in the EFF table
    off = (both["rate"] - both["rate_eff"]).abs() > 0.05 + 1e-9
    assert set(both.loc[off, "area_name_x"]) == {"Surrey", "North Yorkshire"}
    assert off.sum() == 10


def _write(tmp_path: Path, lines: list[str]) -> Path:
    folder = tmp_path / ho.FOLDER
    folder.mkdir(parents=True)
    path = folder / "force_by_ethnicity.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _good_lines() -> list[str]:
    return CSV.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    "change, column, message",
    [
        (
            lambda line: line.replace(",Bedfordshire,", ",Bedfordshir,"),
            "police_force",
            "43 police force areas",
        ),
        (
            lambda line: line.replace(",Bedfordshire,", ",British Transport Police,"),
            "police_force",
            "43 police force areas",
        ),
        (lambda line: line.replace(",Asian,", ",Not Stated,"), "ethnicity", "unknown ethnic group"),
        (lambda line: line.replace("2020/21", "2020"), "financial_year", "not a financial year"),
        (lambda line: line.replace(",811", ",-3"), "total_searches", "negative"),
        (lambda line: line.replace(",811", ",8x1"), "total_searches", "not a number"),
        (lambda line: line.replace(",811", ",81.5"), "total_searches", "whole number"),
    ],
)
def test_bad_input_names_file_row_and_column(tmp_path, change, column, message):
    lines = _good_lines()
    index = next(i for i, line in enumerate(lines) if line.startswith("2020/21,Bedfordshire,Asian,"))
    lines[index] = change(lines[index])
    path = _write(tmp_path, lines)
    with pytest.raises(DataError, match=message) as err:
        ho.read_force_by_ethnicity(path)
    assert err.value.file == str(path) and err.value.row == index + 1 and err.value.column == column


def test_duplicate_row_wrong_header_and_missing_force_are_refused(tmp_path):
    lines = _good_lines()
    with pytest.raises(DataError, match="second row") as err:
        ho.read_force_by_ethnicity(_write(tmp_path / "a", [*lines, lines[1]]))
    assert err.value.row == len(lines) + 1
    with pytest.raises(DataError, match="wrong header") as err:
        ho.read_force_by_ethnicity(_write(tmp_path / "b", ["year,force,ethnicity,searches", *lines[1:]]))
    assert err.value.row == 1
    without_kent_2023 = [line for line in lines if not line.startswith("2023/24,Kent,")]
    with pytest.raises(DataError, match="2023-24: no row at all for Kent"):
        ho.read_force_by_ethnicity(_write(tmp_path / "c", without_kent_2023))


def test_rows_in_and_out_are_logged(caplog):
    with caplog.at_level(logging.INFO, logger="eqlib"):
        ho.read_force_by_ethnicity(CSV)
    text = caplog.text
    assert "1073 rows in, 1075 rows out" in text and "2 absent cell(s) written as 0" in text
