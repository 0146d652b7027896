"""data/manifest.yml, checksums, coverage, and the availability helpers."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

from eqlib import datacheck, sources

ONS_ATTRIBUTION = "Source: Office for National Statistics licensed under the Open Government Licence v3.0"
OGL_ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."


# ------------------------------------------------------------------ the manifest


@pytest.fixture(scope="module")
def manifest(repo_root):
    return datacheck.load_manifest(repo_root)


def test_every_data_file_matches_its_checksum(repo_root):
    """Every file the manifest lists is in the data folder with the listed size and sha256."""
    problems = datacheck.verify_checksums(repo_root)
    assert problems == [], "\n".join(str(p) for p in problems)


def test_every_listed_file_is_in_the_data_folder(repo_root, raw_dir, manifest):
    listed = set(datacheck.manifest_files(manifest))
    on_disk = {p.relative_to(raw_dir).as_posix() for p in raw_dir.glob("*/*") if p.is_file()}
    assert listed <= on_disk, sorted(listed - on_disk)[:5]
    if (repo_root / "data" / "raw").is_dir():  # the project's own copy holds nothing unlisted
        assert on_disk == listed
    assert len(listed) > 200  # the police.uk monthly files are listed one by one
    source_txts = {p for p in listed if p.endswith("/SOURCE.txt")}
    assert len(source_txts) == len(manifest["sources"])  # one SOURCE.txt per source folder


def test_the_data_files_are_not_in_git(repo_root):
    """Third-party data are fetched (eqlib data fetch), not committed: no data/raw in the tree."""
    import subprocess

    tracked = subprocess.run(["git", "ls-files", "data/raw"], cwd=repo_root, capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    assert tracked.stdout.strip() == ""


def test_every_source_is_described_with_licence_and_attribution(manifest):
    assert manifest["attribution"] == {"ogl": OGL_ATTRIBUTION, "ons": ONS_ATTRIBUTION}
    for folder, source in manifest["sources"].items():
        for field in ("publisher", "title", "licence", "attribution", "period", "coverage", "provenance"):
            value = source.get(field)
            assert isinstance(value, str) and value.strip() and "TODO" not in value, (folder, field)
        assert "Open Government Licence" in source["licence"], folder
        assert "Open Government Licence" in source["attribution"], folder
        if "Office for National Statistics" in source["publisher"]:
            assert source["attribution"] == ONS_ATTRIBUTION, folder
        for entry in source["files"]:
            assert entry["path"].startswith(folder + "/")
            assert len(entry["sha256"]) == 64 and int(entry["bytes"]) > 0
            assert entry["kind"] in ("data", "documentation")


def test_build_manifest_reproduces_the_committed_manifest(repo_root, manifest):
    """Regenerating keeps the hand-written descriptions and gives the same checksums."""
    assert datacheck.build_manifest(repo_root, sources=manifest["sources"]) == manifest


def test_census_2021_file_is_the_unmodified_ons_file(manifest):
    files = datacheck.manifest_files(manifest)
    assert files["census2021-ts021-ltla/2021_census_la.csv"]["bytes"] == 490_650  # size ONS metadata gives


@pytest.fixture
def small_project(tmp_path, repo_root, raw_dir, monkeypatch):
    """A project with two source folders and a manifest of just those."""
    monkeypatch.delenv("EQLIB_CACHE", raising=False)
    root = tmp_path / "project"
    for folder in ("census2021-ts021-ltla", "lookup-lad21-csp21-pfa21"):
        shutil.copytree(raw_dir / folder, root / "data" / "raw" / folder)
    full = datacheck.load_manifest(repo_root)
    small = {
        **full,
        "sources": {
            k: v
            for k, v in full["sources"].items()
            if k in ("census2021-ts021-ltla", "lookup-lad21-csp21-pfa21")
        },
    }
    (root / "data" / "manifest.yml").write_text(yaml.safe_dump(small, sort_keys=False), encoding="utf-8")
    only = {"population_census2021": sources.get_dataset("population_census2021")}
    monkeypatch.setattr(sources, "datasets", lambda: only)
    return root


def test_changed_missing_and_unlisted_files_are_reported(small_project):
    raw = small_project / "data" / "raw"
    assert datacheck.verify_checksums(small_project) == []
    lookup = raw / "lookup-lad21-csp21-pfa21" / "la_pfa_lookup.csv"
    data = bytearray(lookup.read_bytes())
    data[-3] = ord("9") if data[-3] != ord("9") else ord("8")  # same size, different bytes
    lookup.write_bytes(bytes(data))
    (raw / "lookup-lad21-csp21-pfa21" / "la11_la21_lookup.csv").unlink()
    (raw / "census2021-ts021-ltla" / "extra.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    problems = {(p.path, p.problem) for p in datacheck.verify_checksums(small_project)}
    assert problems == {
        ("lookup-lad21-csp21-pfa21/la_pfa_lookup.csv", "checksum differs"),
        ("lookup-lad21-csp21-pfa21/la11_la21_lookup.csv", "missing"),
        ("census2021-ts021-ltla/extra.csv", "not in manifest"),
    }


def test_a_shared_data_folder_may_hold_more_and_lack_source_notes(small_project, monkeypatch):
    """EQLIB_DATA_DIR (a shared copy, the user cache): unlisted files are not problems, and a
    SOURCE.txt that no address serves may be absent; a missing data file still is one."""
    raw = small_project / "data" / "raw"
    shared = small_project / "shared"
    raw.rename(shared)
    monkeypatch.setenv("EQLIB_DATA_DIR", str(shared))
    (shared / "README.md").write_text("top-level notes\n")
    (shared / "census2021-ts021-ltla" / "derived").mkdir()
    (shared / "census2021-ts021-ltla" / "derived" / "x.csv").write_text("a\n1\n")
    (shared / "someone-elses-source").mkdir()
    (shared / "someone-elses-source" / "y.csv").write_text("b\n2\n")
    (shared / "census2021-ts021-ltla" / "SOURCE.txt").unlink()
    assert datacheck.verify_checksums(small_project) == []
    assert {(p.path, p.problem) for p in datacheck.verify_checksums(small_project, strict=True)} == {
        ("someone-elses-source/y.csv", "not in manifest")
    }
    (shared / "lookup-lad21-csp21-pfa21" / "la_pfa_lookup.csv").unlink()
    assert [(p.path, p.problem) for p in datacheck.verify_checksums(small_project)] == [
        ("lookup-lad21-csp21-pfa21/la_pfa_lookup.csv", "missing")
    ]


def test_cmd_check_exit_codes_and_output(small_project, capsys):
    args = SimpleNamespace(root=str(small_project), area=None)
    assert datacheck.cmd_check(args) == 0
    out = capsys.readouterr().out
    assert "all 5 files under data/raw match" in out
    assert "population_census2021" in out and "43+EW" in out

    assert datacheck.cmd_check(SimpleNamespace(root=str(small_project), area="south-wales")) == 0
    out = capsys.readouterr().out
    assert "Coverage for South Wales (W15000003)" in out

    census = small_project / "data" / "raw" / "census2021-ts021-ltla" / "2021_census_la.csv"
    census.write_bytes(census.read_bytes().replace(b"Hartlepool", b"Hartlepoo1", 1))
    assert datacheck.cmd_check(args) == 1
    assert "checksum differs" in capsys.readouterr().out


def test_cmd_check_without_manifest_fails(small_project, capsys):
    (small_project / "data" / "manifest.yml").unlink()
    assert datacheck.cmd_check(SimpleNamespace(root=str(small_project), area=None)) == 1
    assert "no manifest" in capsys.readouterr().out


# ------------------------------------------------------------------ coverage


def _frame(rows):
    out = pd.DataFrame(
        rows, columns=["area_code", "area_name", "period", "period_start", "period_end", "count", "symbol"]
    )
    out["period_start"] = pd.to_datetime(out["period_start"])
    out["period_end"] = pd.to_datetime(out["period_end"])
    out["dataset"] = "demo"
    return out


DEMO = _frame(
    [
        ("W15000003", "South Wales", "2019-20", "2019-04-01", "2020-03-31", 10.0, ""),
        ("W15000003", "South Wales", "2019-20", "2019-04-01", "2020-03-31", 5.0, ""),
        ("W15000003", "South Wales", "2020-21", "2020-04-01", "2021-03-31", np.nan, "[c]"),
        ("W15000002", "Gwent", "2021-03", "2021-03-01", "2021-03-31", 3.0, ""),
        ("K04000001", "England and Wales", "2019-20", "2019-04-01", "2020-03-31", 99.0, ""),
    ]
)


def test_coverage_of_counts_rows_and_records():
    table = datacheck.coverage_of(DEMO, dataset="demo")
    sw = table[table["area_code"] == "W15000003"].set_index("period")
    assert sw.loc["2019-20", "rows"] == 2 and sw.loc["2019-20", "records"] == 15.0
    assert sw.loc["2020-21", "rows"] == 1 and sw.loc["2020-21", "rows_with_data"] == 0
    assert set(table["dataset"]) == {"demo"}


def test_coverage_of_record_level_frame_counts_rows():
    records = pd.DataFrame(
        {
            "area_code": ["W15000003"] * 3,
            "month": ["2021-04", "2021-04", "2021-05"],
            "period_start": pd.to_datetime(["2021-04-01", "2021-04-01", "2021-05-01"]),
            "period_end": pd.to_datetime(["2021-04-30", "2021-04-30", "2021-05-31"]),
        }
    )
    table = datacheck.coverage_of(records, dataset="records")
    assert list(table["period"]) == ["2021-04", "2021-05"]
    assert list(table["records"]) == [2.0, 1.0]


def test_coverage_of_needs_area_and_dates():
    with pytest.raises(ValueError, match="no area_code"):
        datacheck.coverage_of(pd.DataFrame({"period_start": [], "period_end": []}), dataset="x")


def test_coverage_matrix_for_one_area_and_across_areas():
    table = datacheck.coverage_of(DEMO, dataset="demo")
    one = datacheck.coverage_matrix(table[table["area_code"] == "W15000003"], area="W15000003")
    assert one.loc["demo"].to_dict() == {"2019-20": "Y", "2020-21": "x"}
    every = datacheck.coverage_matrix(table)
    # 2020-21: South Wales has only a suppressed cell, Gwent has March 2021
    assert every.loc["demo"].to_dict() == {"2019-20": "1+EW", "2020-21": "1"}


def test_available_and_latest_period_on_a_frame():
    assert datacheck.available("demo", "south-wales", "2019-20", frame=DEMO)
    assert not datacheck.available("demo", "South Wales", "2020-21", frame=DEMO)  # only a suppressed cell
    assert not datacheck.available("demo", "W15000003", "2021-22", frame=DEMO)
    assert datacheck.available("demo", "Gwent", "2020-21", frame=DEMO)  # a month inside the year
    assert datacheck.latest_period("demo", "W15000003", "2022-23", frame=DEMO) == "2019-20"
    assert datacheck.latest_period("demo", "W15000003", "2018-19", frame=DEMO) is None
    assert datacheck.latest_period("demo", "Gwent", frame=DEMO) == "2021-03"
    assert datacheck.latest_period("demo", "Dyfed-Powys", frame=DEMO) is None


def test_available_and_latest_period_on_the_census_datasets():
    assert datacheck.available("population_census2021", "W15000003", "2021-03-21")
    assert datacheck.available("population_census2021", "W15000003", "2020-21")  # census day is in 2020/21
    assert not datacheck.available("population_census2021", "W15000003", "2021-22")
    assert datacheck.latest_period("population_census2021", "south-wales", "2021-22") == "2021-03-21"
    assert datacheck.latest_period("population_census2021", "south-wales", "2019-20") is None
    assert datacheck.latest_period("population_census2011", "south-wales", "2019-20") == "2011-03-27"


def test_coverage_of_every_registered_dataset(repo_root):
    """Every registered dataset loads and has a coverage table with rows for some area."""
    table = datacheck.coverage(repo_root)
    assert set(table["dataset"]) == set(sources.datasets())
    assert (table["rows"] > 0).all()
    pop = table[(table["dataset"] == "population_census2021")]
    assert len(pop) == 44 and (pop["period"] == "2021-03-21").all()
    assert pop[pop["area_code"] == "K04000001"]["records"].item() == 59_597_578


def test_cli_unknown_area_is_a_usage_error(capsys):
    from eqlib import cli

    assert cli.main(["data", "check", "--area", "South Walse"]) == 2
    err = capsys.readouterr().err
    assert "Unknown police force area 'South Walse'" in err and "South Wales" in err
