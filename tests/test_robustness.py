"""No tracebacks on hostile or careless input (issue 10, items 5-7): clear message, exit 2, fast;
a batch survives one bad area; what the local reader only logged is printed as a warning."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from eqlib import batch, cli, paths, safe_yaml
from eqlib.errors import UsageError

# The timings below are CPU seconds of eqlib's own work in a warm process (time.process_time: not the
# wall clock, which the other processes on a shared machine stretch). eqlib.report's first import
# (nbformat, jsonschema, rfc3987_syntax: seconds) is paid here once, not by the first timed test.
from eqlib.report import escape  # noqa: F401

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


@pytest.fixture()
def ran(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The areas a batch runs, in order: the notebooks are faked (each area "ok" at once)."""
    names: list[str] = []

    def fake_run_job(job, digest):
        names.append(job.area_slug)
        return batch.Result(job.area_slug, job.area_name, job.year, "ok", output="x")

    monkeypatch.setattr(batch, "run_job", fake_run_job)
    monkeypatch.setattr(batch, "_warm", lambda root: None)
    monkeypatch.setattr(batch, "_up_to_date", lambda job, digest: False)
    monkeypatch.setattr(batch, "inputs_digest", lambda job: "d")
    return names


@pytest.mark.parametrize("year", ["0000", "9999", "1066-67", "2099-00"])
def test_out_of_range_years_exit_2_naming_the_range(year, capsys):
    start = time.process_time()
    assert cli.main(["render", "--area", "south-wales", "--year", year]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"eqlib: error: --year '{year}': '{year}' is outside the years eqlib reports on; expected a "
        "financial year from 1980-81 to 2049-50\n"
    )
    assert time.process_time() - start < 1.0


def test_years_up_to_2024_25_are_accepted():
    assert batch.normalise_year("2024-25").label == "2024-25"


def test_out_on_a_file_exits_2_at_once(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("x")
    start = time.process_time()
    assert cli.main(["tables", "--area", "south-wales", "--year", "2021-22", "--out", str(target)]) == 2
    assert capsys.readouterr().err == (
        f"eqlib: error: --out '{target}' is a file; expected a folder (it is made if missing)\n"
    )
    assert time.process_time() - start < 1.0


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
    start = time.process_time()
    import yaml

    with pytest.raises(yaml.MarkedYAMLError, match=re.escape(message)):
        safe_yaml.load(text)
    assert time.process_time() - start < 1.0


@pytest.mark.parametrize("text", [BOMB, "self_assessment:\n  assessed_on: 2024-02-30\n"])
def test_hostile_params_file_is_a_usage_error_not_a_traceback(project, text, capsys):
    (project / "params" / "gwent-2021-22.yml").write_text("area: gwent\nyear: 2021-22\n" + text)
    start = time.process_time()
    assert cli.main(["run", "--area", "gwent", "--year", "2021-22"]) == 2
    err = capsys.readouterr().err
    assert "gwent-2021-22.yml" in err and "not valid YAML" in err and "Traceback" not in err
    assert len(err) < 2000 and time.process_time() - start < 1.0


def test_a_batch_survives_one_bad_params_file(project, ran, capsys):
    (project / "params" / "gwent-2021-22.yml").write_text("area: gwent\nyear: 2021-22\nobjectives: [\n")
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
    params = project / "params" / "south-wales-2021-22.yml"
    assert capsys.readouterr().err == (
        f"eqlib: error: local data for South Wales (local_data_dir in {params}): "
        f"{local / 'victims_services.csv'}, row 2, column 'count': not a number (found 'twelve'); expected "
        "a whole number or a GSS symbol ([c], [x], [z], [u], '..')\n"
    )


def test_ods_workbook_is_byte_identical_for_identical_inputs(tmp_path):
    """Two writes (seconds apart, same process, so odfpy's namespace state has grown) give the same bytes."""
    import zipfile

    import pandas as pd

    from eqlib.report.tables import Table, WorkbookMeta, write_workbook

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
    "year_0000.yml": "line 2, year: found 0: outside the years eqlib reports on; expected a financial year "
    "from 1980-81 to 2049-50, such as 2021-22",
    "year_9999.yml": "key 'year': --year '9999': '9999' is outside the years eqlib reports on; expected a "
    "financial year from 1980-81 to 2049-50",
    "duplicate_key.yml": "line 5, suppression_threshold: duplicate key at line 5, column 1 (first at "
    "line 3): YAML keeps only the last value, so one would be lost; expected each key once in its mapping",
    "unknown_reference_group.yml": "line 3, reference_group: found 'Whte': eqlib compares every ethnic group "
    "with White (Home Office, Ethnicity facts and figures); no other reference group is supported; "
    "expected White (or leave the key out)",
    "other_significance_level.yml": "line 3, significance_level: found 0.01: every interval and test eqlib "
    "publishes is at the 5% level (95% intervals); no other level is supported; expected 0.05 (or leave the "
    "key out)",
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
    start = time.process_time()
    with pytest.raises(UsageError) as info:
        params = batch.read_params(path)
        batch.check_params_match(path, params, areas.resolve("gwent"), periods.parse("2021-22"))
    assert str(info.value) == exact_params_error(name, path)
    assert len(str(info.value)) < 600
    assert time.process_time() - start < 1.0


YAML_EXPECTED = "; expected a YAML mapping such as the example in params/defaults.yml"


def exact_params_error(name: str, path: Path) -> str:
    """The whole message: malformed YAML and a bad 'year' are refused on reading (eqlib.batch), the
    rest by the params validator (eqlib.framework.params, which names the file again)."""
    message = BAD_PARAMS_MESSAGES[name]
    if "not valid YAML" in message:
        return f"params file {path}, {message}{YAML_EXPECTED}"
    if message.startswith("key "):
        return f"params file {path}, {message}"
    return f"params file {path}: {path}, {message}"


@pytest.mark.parametrize("name", sorted(BAD_PARAMS_MESSAGES))
def test_bad_params_files_are_exit_2_with_their_message(name, capsys):
    path = BAD_PARAMS / name
    start = time.process_time()
    assert cli.main(["run", "--area", "gwent", "--year", "2021-22", "--params", str(path)]) == 2
    assert capsys.readouterr().err == f"eqlib: error: {exact_params_error(name, path)}\n"
    assert time.process_time() - start < 1.0


def test_eqlib_build_a_bad_local_file_is_exit_2_and_its_notices_are_warnings(
    project, tmp_path, capsys, caplog, monkeypatch, ran
):
    """The same preflight as `eqlib run`, through `eqlib build` (issue 10 items 5 and 7)."""
    from eqlib.report import render

    local = tmp_path / "local"
    local.mkdir()
    header = "area,period,service,service_measure,characteristic,group,count,denominator,notes\n"
    (local / "victims_services.csv").write_text(header + "South Wales,2021-22,Hub,referrals,age,18-24,x,,\n")
    params = project / "params" / "south-wales-2021-22.yml"
    params.write_text(f"area: south-wales\nyear: 2021-22\nlocal_data_dir: {local}\n")
    start = time.process_time()
    assert cli.main(["build", "--area", "south-wales", "--year", "2021-22", "--no-fetch"]) == 2
    elapsed = time.process_time() - start
    assert capsys.readouterr().err == (
        f"eqlib: error: local data for South Wales (local_data_dir in {params}): "
        f"{local / 'victims_services.csv'}, row 2, column 'count': not a number (found 'x'); expected a "
        "whole number or a GSS symbol ([c], [x], [z], [u], '..')\n"
    )
    # about 0.4 s of CPU (1.4 s wall on a loaded machine), most of it data/manifest.yml parsed twice by
    # pure-Python yaml (fetch.require_data and the checksums) before the local files are read
    assert elapsed < 1.0, elapsed

    (local / "notes.xlsx").write_bytes(b"PK")
    (local / "victims_services.csv").write_text(
        header + "South Wales,2021-22,Hub,referrals,age,18-24,40,,\n"
        "Gwent,2021-22,Hub,referrals,age,18-24,9,,\n"
    )
    outcome = SimpleNamespace(area="South Wales", year="2021-22", error=None, html=None)
    monkeypatch.setattr(render, "build_many", lambda *a, **k: [outcome])
    monkeypatch.setattr(render, "national_funnel_png", lambda *a, **k: None)
    monkeypatch.setattr(render, "render_national_index", lambda *a, **k: tmp_path / "index.html")
    with caplog.at_level("WARNING"):
        assert cli.main(["build", "--area", "south-wales", "--year", "2021-22", "--no-fetch"]) == 0
    assert ran == ["south-wales"]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert f"local data for South Wales: {local}: not CSV, not read: notes.xlsx" in warnings
    assert any(
        w.startswith("local data for South Wales: local:victims_services for South Wales: 2 rows in, 1 rows")
        and "1 rows for other areas set aside" in w
        for w in warnings
    ), warnings


def test_run_all_with_one_bad_params_file_fails_that_area_builds_the_others(project, ran, capsys):
    """`eqlib run --all`: the one area with a bad params file fails (in the summary, with its message);
    the other 42 are built; exit 1 (issue 10 item 6)."""
    from eqlib import areas

    bad = project / "params" / "gwent-2021-22.yml"
    bad.write_text("area: gwent\nyear: 2021-22\nsuppression_threshold: 10\nsuppression_threshold: 5\n")
    start = time.process_time()
    code = cli.main(["run", "--all", "--year", "2021-22", "--jobs", "1"])
    elapsed = time.process_time() - start
    out = capsys.readouterr()
    others = [a.slug for a in areas.all_areas() if a.slug != "gwent"]
    assert code == 1 and ran == others and len(others) == 42
    message = (
        f"params file {bad}: {bad}, line 4, suppression_threshold: duplicate key at line 4, column 1 "
        "(first at line 3): YAML keeps only the last value, so one would be lost; expected each key once "
        "in its mapping"
    )
    assert f"\ngwent 2021-22 failed: invalid params: {message}\n" in out.err
    failed = [line for line in out.out.splitlines() if " failed " in line and line.startswith("gwent ")]
    assert len(failed) == 1 and "invalid params: params file" in failed[0]
    assert out.out.splitlines()[-1].startswith(
        "43 area-year(s): 42 ran, 0 skipped (inputs unchanged), 1 failed"
    )
    assert elapsed < 2.0, elapsed  # about 0.7 s of CPU: 43 params files validated, raw files checked
