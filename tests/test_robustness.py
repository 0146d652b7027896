"""No tracebacks on hostile or careless input (issue 10, items 5-7): clear message, exit 2, fast;
a batch survives one bad area; what the local reader only logged is printed as a warning."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from eqlib import batch, cli, paths, safe_yaml
from eqlib.errors import UsageError

REAL_ROOT = paths.project_root()


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "data").symlink_to(REAL_ROOT / "data", target_is_directory=True)
    shutil.copytree(
        REAL_ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns("figures", ".*")
    )
    shutil.copytree(REAL_ROOT / "params", root / "params")
    monkeypatch.setenv("EQLIB_ROOT", str(root))
    monkeypatch.setenv("EQLIB_CACHE", str(paths.cache_dir(REAL_ROOT)))
    return root


@pytest.mark.parametrize("year", ["0000", "9999", "1066-67", "2099-00"])
def test_out_of_range_years_exit_2_naming_the_range(year, capsys):
    start = time.perf_counter()
    assert cli.main(["render", "--area", "south-wales", "--year", year]) == 2
    err = capsys.readouterr().err
    assert "outside the years eqlib reports on; expected a financial year from 1980-81 to 2049-50" in err
    assert "Traceback" not in err and time.perf_counter() - start < 1.0


def test_years_up_to_2024_25_are_accepted():
    assert batch.normalise_year("2024-25").label == "2024-25"


def test_out_on_a_file_exits_2_at_once(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("x")
    start = time.perf_counter()
    assert cli.main(["tables", "--area", "south-wales", "--year", "2021-22", "--out", str(target)]) == 2
    assert f"--out '{target}' is a file; expected a folder" in capsys.readouterr().err
    assert time.perf_counter() - start < 1.0


BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BOMB, "the document expands to more than 50,000 values"),
        ("a: " + "[" * 2000 + "]" * 2000, "nested more than 40 levels deep"),
        ("a: &a [1, *a]", "recursive alias"),
        ("assessed_on: 2024-02-30", "'2024-02-30' is not a real date (day is out of range for month)"),
    ],
)
def test_hostile_yaml_is_refused_quickly(text, message):
    start = time.perf_counter()
    import yaml

    with pytest.raises(yaml.MarkedYAMLError, match=re.escape(message)):
        safe_yaml.load(text)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("text", [BOMB, "self_assessment:\n  assessed_on: 2024-02-30\n"])
def test_hostile_params_file_is_a_usage_error_not_a_traceback(project, text, capsys):
    (project / "params" / "gwent-2021-22.yml").write_text("area: gwent\nyear: 2021-22\n" + text)
    start = time.perf_counter()
    assert cli.main(["run", "--area", "gwent", "--year", "2021-22"]) == 2
    err = capsys.readouterr().err
    assert "gwent-2021-22.yml" in err and "not valid YAML" in err and "Traceback" not in err
    assert len(err) < 2000 and time.perf_counter() - start < 5.0


def test_a_batch_survives_one_bad_params_file(project, monkeypatch, capsys):
    (project / "params" / "gwent-2021-22.yml").write_text("area: gwent\nyear: 2021-22\nobjectives: [\n")
    ran = []

    def fake_run_job(job, digest):
        ran.append(job.area_slug)
        return batch.Result(job.area_slug, job.area_name, job.year, "ok", output="x")

    monkeypatch.setattr(batch, "run_job", fake_run_job)
    monkeypatch.setattr(batch, "_warm", lambda root: None)
    code = cli.main(["run", "--area", "gwent", "--area", "cumbria", "--year", "2021-22", "--jobs", "1"])
    out = capsys.readouterr()
    assert code == 1 and ran == ["cumbria"]
    assert "gwent" in out.out and "invalid params" in out.out and "1 failed" in out.out
    assert "gwent-2021-22.yml" in out.err and "not valid YAML" in out.err
    with pytest.raises(UsageError, match="not valid YAML"):  # one area alone: exit 2 as before
        batch.plan(["gwent"], "2021-22", rejected=[])


def test_bad_local_file_is_exit_2_before_notebooks_and_notices_are_warnings(
    project, tmp_path, capsys, caplog
):
    local = tmp_path / "local"
    local.mkdir()
    (local / "notes.xlsx").write_bytes(b"PK")
    (local / "victims_services.csv").write_text(
        "area,period,service,service_measure,characteristic,group,count,denominator,notes\n"
        "Gwent,2021-22,Hub,referrals,ethnicity,Asian,40,,\n"
    )
    (project / "params" / "south-wales-2021-22.yml").write_text(
        f"area: south-wales\nyear: 2021-22\nlocal_data_dir: {local}\n"
    )
    jobs = batch.plan(["south-wales"], "2021-22", rejected=[])
    assert [j.area_slug for j in jobs] == ["south-wales"]
    err = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert "not CSV, not read: notes.xlsx" in err and "rows for other areas set aside" in err
    (local / "victims_services.csv").write_text(
        "area,period,service,service_measure,characteristic,group,count,denominator,notes\n"
        "South Wales,2021-22,Hub,referrals,ethnicity,Asian,twelve,,\n"
    )
    assert cli.main(["run", "--area", "south-wales", "--year", "2021-22"]) == 2
    err = capsys.readouterr().err
    assert "victims_services.csv, row 2, column 'count'" in err and "not a number" in err


def test_ods_workbook_is_byte_identical_for_identical_inputs(tmp_path):
    """Two writes (seconds apart, same process, so odfpy's namespace state has grown) give the same bytes."""
    import zipfile

    import pandas as pd

    from eqlib.tables import Table, WorkbookMeta, write_workbook

    frame = pd.DataFrame(
        {
            "area_code": ["W15000003"] * 2,
            "period": ["2021-22"] * 2,
            "group": ["Black", "White"],
            "measure": ["m", "m"],
            "count": [12.0, None],
            "symbol": ["", "[c]"],
            "value": [1.5, None],
        }
    )
    meta = WorkbookMeta("Equality tables", "South Wales", "2021/22", "OPCC", 5, ("Home Office",))
    first = write_workbook([Table("rates", "Rates", frame)], tmp_path / "a.ods", meta)
    time.sleep(2.1)  # zip timestamps have a 2-second resolution
    second = write_workbook([Table("rates", "Rates", frame)], tmp_path / "b.ods", meta)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as z:
        assert z.infolist()[0].filename == "mimetype" and z.infolist()[0].compress_type == zipfile.ZIP_STORED
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert list(pd.read_excel(first, sheet_name=None, engine="odf")) == [
        "Cover",
        "Contents",
        "Notes",
        "rates",
    ]


BAD_PARAMS = Path(__file__).parent / "data" / "bad" / "params"
BAD_PARAMS_MESSAGES = {
    "alias_bomb.yml": "line 7, column 4: not valid YAML (the document expands to more than 50,000 values "
    "(aliases repeated inside aliases?))",
    "deep_nesting.yml": "line 3, column 48: not valid YAML (nested more than 40 levels deep)",
    "recursive_alias.yml": "line 3, column 8: not valid YAML (an alias refers to the value that contains it "
    "(recursive alias))",
    "impossible_date.yml": "line 4, column 16: not valid YAML ('2024-02-30' is not a real date (day is out of "
    "range for month); expected a date written YYYY-MM-DD)",
    "javascript_link.yml": "line 10, self_assessment.themes[0].criteria_met[0].evidence[0].link: "
    "'javascript:alert(1)//https://example.org' is not a web address; expected a URL "
    "starting https://",
    "year_out_of_range.yml": "key 'year': --year '1066-67': '1066-67' is outside the years eqlib reports on; "
    "expected a financial year from 1980-81 to 2049-50",
}


def test_bad_params_corpus_is_what_its_readme_lists():
    readme = (BAD_PARAMS.parent / "README.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in BAD_PARAMS.glob("*.yml")) == sorted(BAD_PARAMS_MESSAGES)
    for name in BAD_PARAMS_MESSAGES:
        assert f"| params: {name} |" in readme


@pytest.mark.parametrize("name", sorted(BAD_PARAMS_MESSAGES))
def test_bad_params_files_give_their_exact_message(name):
    from eqlib import areas, periods

    path = BAD_PARAMS / name
    start = time.perf_counter()
    with pytest.raises(UsageError) as info:
        params = batch.read_params(path)
        batch.check_params_match(path, params, areas.resolve("gwent"), periods.parse("2021-22"))
    assert BAD_PARAMS_MESSAGES[name] in str(info.value)
    assert str(path) in str(info.value) and len(str(info.value)) < 600
    assert time.perf_counter() - start < 1.0
