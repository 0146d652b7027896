"""eqlib.batch: parameter validation (exit 2, nothing written), batch runs, skipping, failures, determinism.

The batch tests run in a throw-away project root (``EQLIB_ROOT``) whose ``data/`` is the real data
(symlinked, read only) and whose parquet cache is the real one (``EQLIB_CACHE``), with copies of the
notebooks and params so that a test can add a broken notebook or a bad params file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from eqlib import batch, cli, paths
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


def _run_cli(args: list[str]) -> int:
    return cli.main(["run", *args])


def _nothing_built(root: Path) -> bool:
    build = root / "_build"
    return not build.exists() or not any(build.iterdir())


# --------------------------------------------------------------------------- parameters
@pytest.mark.parametrize("text", ["2021", "2021-22", "2021/22", "202122", " 2021-2022 "])
def test_year_spellings_mean_the_same_financial_year(text: str) -> None:
    period = batch.normalise_year(text)
    assert (period.label, period.start.isoformat(), period.end.isoformat()) == (
        "2021-22",
        "2021-04-01",
        "2022-03-31",
    )


@pytest.mark.parametrize("text", ["2021-04", "last year", "2021-23", ""])
def test_year_that_is_not_a_financial_year_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--year"):
        batch.normalise_year(text)


def test_unknown_area_exits_2_with_closest_matches(project: Path, capsys: pytest.CaptureFixture) -> None:
    assert _run_cli(["--area", "south walse", "--year", "2021-22"]) == 2
    err = capsys.readouterr().err
    assert "Unknown police force area 'south walse'" in err and "south-wales" in err
    assert _nothing_built(project)


def test_one_unknown_area_among_good_ones_stops_everything_before_any_work(project: Path) -> None:
    assert _run_cli(["--area", "gwent", "--area", "atlantis", "--year", "2021-22"]) == 2
    assert _nothing_built(project)


@pytest.mark.parametrize("year", ["1990-91", "2035"])
def test_year_with_no_data_at_all_exits_2(project: Path, year: str, capsys: pytest.CaptureFixture) -> None:
    assert _run_cli(["--area", "south-wales", "--year", year]) == 2
    err = capsys.readouterr().err
    assert "no dataset has figures for" in err and "the data cover" in err
    assert _nothing_built(project)


def test_year_with_only_some_data_is_accepted() -> None:
    # 2022/23: only the Ethnicity facts and figures rates by area exist; that is data, so it is valid
    assert batch.year_has_data(batch.normalise_year("2022-23"), REAL_ROOT)
    assert not batch.year_has_data(batch.normalise_year("2030-31"), REAL_ROOT)


def test_malformed_params_yaml_exits_2_naming_file_and_line(
    project: Path, capsys: pytest.CaptureFixture
) -> None:
    bad = project / "params" / "gwent-2021-22.yml"
    bad.write_text("area: gwent\nyear: 2021-22\nobjectives: [\n  - id: EO1\n", encoding="utf-8")
    assert _run_cli(["--area", "gwent", "--year", "2021-22"]) == 2
    err = capsys.readouterr().err
    assert "gwent-2021-22.yml" in err and "line" in err and "not valid YAML" in err
    assert _nothing_built(project)


def test_explicit_params_file_for_another_area_exits_2(project: Path, capsys: pytest.CaptureFixture) -> None:
    assert (
        _run_cli(
            [
                "--area",
                "gwent",
                "--year",
                "2021-22",
                "--params",
                str(project / "params" / "south-wales-2021-22.yml"),
            ]
        )
        == 2
    )
    assert "is for South Wales" in capsys.readouterr().err
    assert _nothing_built(project)


def test_missing_params_file_exits_2(project: Path) -> None:
    assert _run_cli(["--area", "gwent", "--year", "2021-22", "--params", "no/such/file.yml"]) == 2
    assert _nothing_built(project)


def test_negative_threshold_exits_2(project: Path, capsys: pytest.CaptureFixture) -> None:
    assert _run_cli(["--area", "south-wales", "--year", "2021-22", "--threshold", "-1"]) == 2
    assert "cannot be negative" in capsys.readouterr().err
    assert _nothing_built(project)


def test_negative_threshold_in_params_file_exits_2(project: Path) -> None:
    (project / "params" / "gwent-2021-22.yml").write_text(
        "area: gwent\nyear: 2021-22\nsuppression_threshold: -3\n", encoding="utf-8"
    )
    assert _run_cli(["--area", "gwent", "--year", "2021-22"]) == 2
    assert _nothing_built(project)


def test_plan_resolves_defaults(project: Path) -> None:
    jobs = batch.plan(["W15000003", "Gwent", "gwent"], "2021", root=project)
    assert [j.area_slug for j in jobs] == ["south-wales", "gwent"]  # duplicates dropped, names resolved
    assert jobs[0].params_file == str((project / "params" / "south-wales-2021-22.yml").resolve())
    assert jobs[1].params_file == str((project / "params" / "defaults.yml").resolve())
    assert {j.threshold for j in jobs} == {5}
    assert jobs[0].notebooks[0] == "00_overview" and "99_data_and_methods" in jobs[0].notebooks


def test_inputs_digest_changes_with_each_input(project: Path) -> None:
    (job,) = batch.plan(["south-wales"], "2021-22", root=project)
    first = batch.inputs_digest(job)["digest"]
    assert batch.inputs_digest(job)["digest"] == first
    (threshold_job,) = batch.plan(["south-wales"], "2021-22", root=project, threshold=10)
    assert batch.inputs_digest(threshold_job)["digest"] != first
    params = Path(job.params_file)
    params.write_text(params.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert batch.inputs_digest(job)["digest"] != first
    second = batch.inputs_digest(job)["digest"]
    nb = project / "notebooks" / "99_data_and_methods.ipynb"
    nb.write_text(
        nb.read_text(encoding="utf-8").replace("Data and methods", "Data & methods"), encoding="utf-8"
    )
    assert batch.inputs_digest(job)["digest"] != second


def test_postprocess_tags_injected_cell_and_normalises_kernelspec(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("area = 'x'")
    params.metadata["tags"] = ["parameters"]
    injected = nbformat.v4.new_code_cell("area = 'y'")
    injected.metadata["tags"] = ["injected-parameters"]
    injected.metadata["papermill"] = {
        "start_time": "2024-01-01T00:00:00",
        "duration": 1.2,
        "status": "completed",
    }
    injected.metadata["execution"] = {"iopub.status.busy": "2024-01-01T00:00:00"}
    nb.cells = [params, injected]
    nb.metadata["kernelspec"] = {"name": "eqlib", "display_name": "eqlib (Python 3)"}
    nb.metadata["papermill"] = {
        "start_time": "x",
        "end_time": "y",
        "duration": 3.0,
        "input_path": "/tmp/a",
        "output_path": "/tmp/b",
        "parameters": {"area": "y"},
    }
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    batch.postprocess_notebook(path)
    out = nbformat.read(path, as_version=4)
    assert out.cells[1].metadata["tags"] == ["injected-parameters", "remove-cell"]
    assert out.cells[0].metadata["tags"] == ["parameters"]
    assert out.metadata["kernelspec"] == {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    assert out.metadata["papermill"] == {"parameters": {"area": "y"}}
    assert "execution" not in out.cells[1].metadata
    assert out.cells[1].metadata["papermill"] == {"status": "completed"}


# --------------------------------------------------------------------------- runs (slow: real kernels)
def _cell_text(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    texts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            texts.append(cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            texts.append(data.get("text/markdown", ""))
            texts.append(output.get("text", ""))
    return "\n".join(texts)


@pytest.mark.slow
def test_batch_over_areas_including_one_without_data_for_the_year(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """South Wales has police.uk stop and search for 2021/22; Cumbria has only the Home Office stop and search
    for 2021/22 (no police.uk records): what it lacks its report must say plainly, and the batch must not crash."""
    # other work may edit eqlib's source while this runs; the skip must be judged on the data, params and
    # notebooks, so the source's hash is held fixed here (it is part of the digest in real runs)
    monkeypatch.setattr(batch, "_package_digest", lambda: "fixed")
    names = ["01_communities", "99_data_and_methods"]
    summary = batch.run_many(["south-wales", "cumbria"], "2021-22", jobs=2, notebooks=names, progress=False)
    assert summary.exit_code == 0, summary.table()
    assert [r.status for r in summary.results] == ["ok", "ok"]
    for slug in ("south-wales", "cumbria"):
        out = project / "_build" / slug / "2021-22"
        assert sorted(p.name for p in out.glob("*.ipynb")) == [f"{n}.ipynb" for n in names]
        assert (out / "figures" / slug / "2021-22" / "population-by-ethnicity.png").is_file()
        assert (out / "logs" / "01_communities.log").is_file()
        stored = json.loads((out / batch.INPUTS_FILE).read_text(encoding="utf-8"))
        assert stored["parameters"] == {"area": slug, "year": "2021-22", "threshold": 5}
        nb = nbformat.read(out / "01_communities.ipynb", as_version=4)
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == 1 and "remove-cell" in injected[0].metadata["tags"]
        assert f'area = "{slug}"' in injected[0].source
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert nb.metadata["kernelspec"]["language"] == "python"
    cumbria = _cell_text(project / "_build" / "cumbria" / "2021-22" / "01_communities.ipynb")
    assert "This section covers **Cumbria** for the financial year **2021/22**" in cumbria
    # issue 9: Home Office stop and search now covers every force; police.uk-only measures still have no data
    assert "**Stop and search rate per 1,000 people, by ethnic group**, Cumbria, 2021/22." in cumbria
    assert (
        "**No data.** Self-defined vs officer-defined ethnicity: disagreement cannot be shown for Cumbria"
        in cumbria
    )
    assert "Evidence gaps" in cumbria
    coverage = _cell_text(project / "_build" / "cumbria" / "2021-22" / "99_data_and_methods.ipynb")
    assert "latest available: 2018/19" in coverage  # Home Office arrests: the latest year before 2021/22
    assert "have figures for Cumbria for 2021/22" in coverage
    south_wales = _cell_text(project / "_build" / "south-wales" / "2021-22" / "01_communities.ipynb")
    assert "**No data.** Stop and search rate per 1,000" not in south_wales
    assert not (project / "_build" / batch.TMP_DIR).exists() or not any(
        (project / "_build" / batch.TMP_DIR).iterdir()
    )

    # unchanged inputs: nothing is re-run
    again = batch.run_many(["south-wales", "cumbria"], "2021-22", jobs=1, notebooks=names, progress=False)
    assert [r.status for r in again.results] == ["skipped", "skipped"]
    # a changed params file re-runs that area only
    params = project / "params" / "south-wales-2021-22.yml"
    params.write_text(params.read_text(encoding="utf-8") + "\n# reviewed\n", encoding="utf-8")
    changed = batch.run_many(["south-wales", "cumbria"], "2021-22", jobs=1, notebooks=names, progress=False)
    assert [r.status for r in changed.results] == ["ok", "skipped"]

    # forced: re-run, byte-identical notebooks (deterministic) and figures
    before = {
        p: p.read_bytes()
        for p in (project / "_build" / "cumbria").rglob("*")
        if p.suffix in {".ipynb", ".png"}
    }
    forced = batch.run_many(["cumbria"], "2021", jobs=1, notebooks=names, force=True, progress=False)
    assert [r.status for r in forced.results] == ["ok"]
    after = {
        p: p.read_bytes()
        for p in (project / "_build" / "cumbria").rglob("*")
        if p.suffix in {".ipynb", ".png"}
    }
    assert before.keys() == after.keys() and all(before[p] == after[p] for p in before)


def _broken_notebook(root: Path) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'area = "south-wales"\nyear = "2021-22"\nparams_file = None\ndata_dir = None\nthreshold = 5'
    )
    params.metadata["tags"] = ["parameters"]
    boom = nbformat.v4.new_code_cell(
        'if area == "cumbria":\n    raise RuntimeError("deliberate failure for cumbria")'
    )
    nb.cells = [nbformat.v4.new_markdown_cell("# Broken"), params, boom]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "notebooks" / "50_broken.ipynb")


@pytest.mark.slow
def test_one_area_failing_does_not_stop_the_others(project: Path, capsys: pytest.CaptureFixture) -> None:
    _broken_notebook(project)
    # a previous complete run of Cumbria must survive a failed re-run untouched
    code = _run_cli(["--area", "cumbria", "--area", "south-wales", "--year", "2021-22", "--jobs", "2"])
    assert code == 1
    out = capsys.readouterr()
    assert "failed" in out.out and "deliberate failure for cumbria" in out.out
    assert "1 failed" in out.out
    build = project / "_build"
    assert (build / "south-wales" / "2021-22" / "50_broken.ipynb").is_file()
    assert len(list((build / "south-wales" / "2021-22").glob("*.ipynb"))) == 8
    assert not (build / "cumbria").exists()  # nothing half-written where the report looks
    failed = build / batch.FAILED_DIR / "cumbria" / "2021-22"
    log = (failed / "logs" / "50_broken.log").read_text(encoding="utf-8")
    assert "RuntimeError" in log and "deliberate failure for cumbria" in log
    # the failed notebook is kept with its error shown and only its own cells (no kernel-reset cell)
    broken = nbformat.read(failed / "50_broken.ipynb", as_version=4)
    assert not any(batch.RESET_TAG in c.metadata.get("tags", []) for c in broken.cells)
    assert any(o.get("ename") == "RuntimeError" for c in broken.cells for o in c.get("outputs", []))
    # the other notebooks of the failed area still ran, and are kept for inspection
    assert (failed / "01_communities.ipynb").is_file()
    assert not any((build / batch.TMP_DIR).iterdir())
