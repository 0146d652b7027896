"""The caches that make an area-year fast (issue 11) never serve stale figures or shared mutable state:
the area-year publication (computed once per process for the same inputs), the parsed params YAML, and
the kernel reset that runs as the first cell of every notebook in a shared kernel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import analyst_local_project
from eqlib import safe_yaml


def test_the_notebooks_of_an_area_year_share_one_publication_and_a_new_input_gets_its_own():
    from eqlib.report import sections

    first = sections.context("south-wales", "2021-22")
    second = sections.context("south-wales", "2021-22")
    assert sections.publication(first) is sections.publication(second)
    # another threshold, area or year is another publication
    assert sections.publication(sections.context("south-wales", "2021-22", threshold=0)) is not (
        sections.publication(first)
    )
    assert sections.publication(sections.context("gwent", "2021-22")).area.slug == "gwent"
    assert sections.publication(sections.context("south-wales", "2022-23")).period.label == "2022-23"


def test_an_edited_local_file_gives_a_new_publication(tmp_path: Path):
    from eqlib.report import sections

    params, local = analyst_local_project(tmp_path)
    before = sections.publication(sections.context("south-wales", "2021-22", params_file=params))
    assert sections.publication(sections.context("south-wales", "2021-22", params_file=params)) is before
    shown = before.selections["workforce_representation"].frame
    asian = shown[(shown["group"] == "Asian")]["count"].iloc[0]

    workforce = local / "workforce.csv"
    workforce.write_text(
        workforce.read_text(encoding="utf-8").replace(",Asian,all,30,", ",Asian,all,300,", 1),
        encoding="utf-8",
    )
    after = sections.publication(sections.context("south-wales", "2021-22", params_file=params))
    assert after is not before
    changed = after.selections["workforce_representation"].frame
    assert changed[(changed["group"] == "Asian")]["count"].iloc[0] == asian + 270


def test_a_shared_publication_gives_each_notebook_the_data_notes_of_its_computation(monkeypatch):
    from eqlib import analysis
    from eqlib.report.sections import common

    real = analysis.compute

    def noisy(*args, **kwargs):
        common.logging.getLogger("eqlib.sources").warning("a corrected total in the source")
        return real(*args, **kwargs)

    monkeypatch.setattr(common, "_PUBLICATIONS", type(common._PUBLICATIONS)())
    monkeypatch.setattr(analysis, "compute", noisy)
    first = common.context("dyfed-powys", "2021-22")
    common.publication(first)
    second = common.context("dyfed-powys", "2021-22")
    assert common.publication(second) is common.publication(first)
    assert "a corrected total in the source" in first.data_notes
    assert second.data_notes == first.data_notes


def test_kept_publications_are_bounded(monkeypatch):
    from eqlib.report.sections import common

    monkeypatch.setattr(common, "_PUBLICATIONS", type(common._PUBLICATIONS)())
    for area in ("gwent", "north-wales", "dyfed-powys", "south-wales", "cumbria", "dorset"):
        common.publication(common.context(area, "2021-22"))
    assert len(common._PUBLICATIONS) == common._PUBLICATIONS_KEPT
    assert [key[0] for key in common._PUBLICATIONS][-1] == common.context("dorset", "2021-22").area.code


def test_a_params_file_is_parsed_once_but_every_caller_gets_its_own_copy(tmp_path: Path, monkeypatch):
    path = tmp_path / "p.yml"
    path.write_text("area: gwent\nobjectives:\n  - id: EO1\n", encoding="utf-8")
    calls = []
    real = safe_yaml.load
    monkeypatch.setattr(safe_yaml, "load", lambda text: calls.append(text) or real(text))
    monkeypatch.setattr(safe_yaml, "_PARSED", {})
    first, _ = safe_yaml.load_file(path)
    first["objectives"][0]["id"] = "changed by a caller"
    second, _ = safe_yaml.load_file(path)
    assert second["objectives"][0]["id"] == "EO1" and len(calls) == 1
    path.write_text("area: dorset\n", encoding="utf-8")  # the same size or time would not matter
    assert safe_yaml.load_file(path)[0] == {"area": "dorset"} and len(calls) == 2


def test_a_bad_params_file_is_refused_every_time(tmp_path: Path):
    import yaml

    path = tmp_path / "p.yml"
    path.write_text("area: [unclosed\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(yaml.YAMLError):
            safe_yaml.load_file(path)


def test_a_shared_kernel_runs_each_notebook_as_a_fresh_one_and_the_reset_cell_is_not_kept(tmp_path: Path):
    """Two notebooks through one kernel: the second does not see the first's names, runs in its own
    folder, counts its cells from 1, and the executed notebooks hold only their own cells."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from eqlib import batch

    nb = new_notebook(
        cells=[
            new_code_cell("area = None", metadata={"tags": ["parameters"]}),
            new_code_cell(
                "import os\nleft_over = globals().get('secret', 'none')\nsecret = area\nprint(left_over, os.getcwd())"
            ),
        ]
    )
    nb.metadata["kernelspec"] = dict(batch.KERNELSPEC)
    src = tmp_path / "n.ipynb"
    nbformat.write(nb, src)
    kernel = batch._SharedKernel(tmp_path)
    try:
        outputs = []
        for i, area in enumerate(("gwent", "dorset")):
            cwd = tmp_path / f"run{i}"
            cwd.mkdir()
            out = cwd / "n.ipynb"
            batch._execute_notebook(src, out, {"area": area}, cwd, cwd / "log.txt", kernel)
            batch.postprocess_notebook(out)
            outputs.append((cwd, nbformat.read(out, as_version=4)))
    finally:
        kernel.close()
    for cwd, executed in outputs:
        assert [c.metadata.get("tags", []) for c in executed.cells][0] == ["parameters"]
        assert not any(batch.RESET_TAG in c.metadata.get("tags", []) for c in executed.cells)
        assert [c.execution_count for c in executed.cells] == [1, 2, 3]
        printed = executed.cells[-1].outputs[0]["text"].split()
        assert printed == ["none", str(cwd)]


def test_every_areas_rows_are_shared_between_area_years_and_a_callers_change_stays_its_own():
    from eqlib.report import sections
    from eqlib.report.sections import common

    gwent = sections.context("gwent", "2021-22")
    dorset = sections.context("dorset", "2021-22")
    first = gwent.frame("stop_search_rate", every_area=True)
    assert set(first["area_name"]) >= {"Gwent", "Dorset", "South Wales"}
    first["value"] = -1.0  # an analyst's change in their notebook
    again = dorset.frame("stop_search_rate", every_area=True)
    assert (again["value"].dropna() >= 0).all()
    # the same rows as computed afresh for Dorset (one source per area and period, then suppressed)
    shown = frozenset(common.measure_status(dorset, "stop_search_rate").frame["period"])
    fresh = common._every_rows(dorset, "stop_search_rate", shown, False, True)
    pd.testing.assert_frame_equal(again, fresh)
    # another threshold is another frame
    zero = sections.context("dorset", "2021-22", threshold=0).frame("stop_search_rate", every_area=True)
    assert again["symbol"].eq("[c]").sum() > 0 and zero["symbol"].eq("[c]").sum() == 0
