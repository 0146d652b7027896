"""The notebooks: the contract with papermill and the renderer, nbval over all of them, plain papermill.

nbval runs every notebook top to bottom with its parameters cell's defaults (South Wales, 2021-22) and
compares the outputs of the cells tagged ``nbval-check-output`` with those stored in the notebook
(after the sanitisers in ``nbval_sanitize.cfg``).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import analyst_local_project
from eqlib import paths

ROOT = paths.project_root()
NOTEBOOK_DIR = ROOT / "notebooks"
EXPECTED = {
    "00_overview": "Overview",
    "01_communities": "Understanding and working with your communities",
    "02_leadership": "Leadership and organisational commitment",
    "03_services": "Responsive services",
    "04_workforce": "Diverse and engaged workforce",
    "05_objectives": "Equality objectives and self-assessment",
    "99_data_and_methods": "Data and methods",
}
PARAMETERS = {"area": "south-wales", "year": "2021-22", "params_file": None, "data_dir": None, "threshold": 5}


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def test_the_seven_notebooks_exist() -> None:
    assert {p.stem for p in _notebooks()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_contract(name: str) -> None:
    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    # the registered eqlib kernel (README: python -m ipykernel install --user --name eqlib ...);
    # eqlib run and nbval do not need it (they run python3 / the current environment)
    assert nb.metadata["kernelspec"] == {
        "name": "eqlib",
        "display_name": "eqlib (Python 3)",
        "language": "python",
    }
    # the first markdown cell is the level-1 title; the other headings are level 2
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    assert markdown[0].source == f"# {EXPECTED[name]}"
    for cell in markdown[1:]:
        for line in cell.source.splitlines():
            if line.startswith("#"):
                assert line.startswith("## "), f"{name}: heading {line!r} is not level 2"
    # exactly one parameters cell, with the agreed names and defaults
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert "remove-cell" in tagged[0].metadata["tags"]  # Quarto and the fallback both drop it
    assert tagged[0].source.startswith("#| include: false")
    values = {}
    for node in ast.parse(tagged[0].source).body:
        assert isinstance(node, ast.Assign)
        values[node.targets[0].id] = ast.literal_eval(node.value)
    assert values == PARAMETERS
    # every code cell hides its code in the report
    for cell in nb.cells:
        if cell.cell_type == "code":
            first = cell.source.splitlines()[0]
            assert first in ("#| echo: false", "#| include: false"), f"{name}: cell starts {first!r}"
    # a section notebook ends with an explore cell for the analyst, which the report leaves out
    explore = [c for c in nb.cells if "explore" in c.metadata.get("tags", [])]
    if name[:2] in ("01", "02", "03", "04"):
        assert len(explore) == 1 and explore[0] is nb.cells[-1]
        assert "remove-cell" in explore[0].metadata["tags"]
        assert explore[0].source.startswith("#| include: false")
        assert f'explore.compare(ctx, "{name}")' in explore[0].source
    else:
        assert explore == []
    # thin: no notebook cell holds more than a few lines of code
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert len(cell.source.splitlines()) <= 6


@pytest.mark.slow
def test_nbval_over_every_notebook() -> None:
    """The nbval run CI does (``pytest --nbval-lax ... notebooks/``), as a subprocess of the normal suite."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "--nbval-current-env",
            "--nbval-sanitize-with",
            "nbval_sanitize.cfg",
            "--nbval-cell-timeout",
            "300",
            "-p",
            "no:cacheprovider",
            "-q",
            "notebooks/",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout


@pytest.mark.slow
def test_plain_papermill_works_from_any_folder(tmp_path: Path) -> None:
    """``papermill notebooks/01_communities.ipynb out.ipynb -p area ... -p year ...`` without eqlib run."""
    out = tmp_path / "out.ipynb"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(NOTEBOOK_DIR / "01_communities.ipynb"),
            str(out),
            "-p",
            "area",
            "Gwent",
            "-p",
            "year",
            "2021/22",
            "-k",
            "python3",
            "--no-progress-bar",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={k: v for k, v in os.environ.items() if k != "EQLIB_ROOT"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = nbformat.read(out, as_version=4)
    text = "\n".join(
        o.get("data", {}).get("text/markdown", "") for c in nb.cells for o in c.get("outputs", [])
    )
    assert "This section covers **Gwent** for the financial year **2021/22**" in text
    # the figure is written next to the notebook's working directory, in a folder for the area and year
    assert (tmp_path / "figures" / "gwent" / "2021-22" / "population-by-ethnicity.png").is_file()
    assert "](figures/gwent/2021-22/population-by-ethnicity.png)" in text
    # the explore cell ran (an analyst sees it) but is tagged so the report leaves it out
    explore = next(c for c in nb.cells if "explore" in c.metadata.get("tags", []))
    assert explore.outputs and "remove-cell" in explore.metadata["tags"]


@pytest.mark.slow
def test_papermill_uses_the_registered_eqlib_kernel(tmp_path: Path) -> None:
    """With the eqlib kernel registered (here in a throwaway Jupyter path), papermill needs no ``-k``."""
    prefix = tmp_path / "jupyter"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ipykernel",
            "install",
            "--prefix",
            str(prefix),
            "--name",
            "eqlib",
            "--display-name",
            "eqlib (Python 3)",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    env = {k: v for k, v in os.environ.items() if k != "EQLIB_ROOT"}
    env["JUPYTER_PATH"] = str(prefix / "share" / "jupyter")
    out = tmp_path / "out.ipynb"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(NOTEBOOK_DIR / "02_leadership.ipynb"),
            str(out),
            "-p",
            "area",
            "north-wales",
            "--no-progress-bar",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = nbformat.read(out, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "eqlib"
    text = "\n".join(
        o.get("data", {}).get("text/markdown", "") for c in nb.cells for o in c.get("outputs", [])
    )
    assert "**North Wales**" in text


def test_charts_of_two_areas_run_in_one_folder_do_not_collide(tmp_path: Path, monkeypatch) -> None:
    """Gwent then South Wales in one working folder: each chart in figures/<area>/<year>/, each link to its own."""
    from eqlib.report import figures, sections

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(figures, "_display_markdown", lambda text: None)
    links = {}
    for area in ("gwent", "south-wales"):
        ctx = sections.context(area, "2021-22")
        blocks = sections.population_profile(ctx)
        sections.emit(blocks)
        links[area] = sections.render_text(blocks)
    for area in ("gwent", "south-wales"):
        assert (tmp_path / "figures" / area / "2021-22" / "population-by-ethnicity.png").is_file()
        assert f"](figures/{area}/2021-22/population-by-ethnicity.png)" in links[area]
    gwent = (tmp_path / "figures" / "gwent" / "2021-22" / "population-by-ethnicity.png").read_bytes()
    assert (
        gwent
        != (tmp_path / "figures" / "south-wales" / "2021-22" / "population-by-ethnicity.png").read_bytes()
    )


def test_ctx_frame_is_the_frame_behind_the_chart_and_compare_explores_it() -> None:
    from eqlib import analysis
    from eqlib.report import explore, sections

    ctx = sections.context("gwent", "2021-22")
    shown = sections.measure_status(ctx, "stop_search_disparity").frame
    tidy = ctx.frame("stop_search_disparity")
    assert len(tidy) == len(shown) and set(tidy["group"]) == set(shown["group"])
    assert tidy["value"].tolist() == shown["value"].tolist()
    assert set(tidy["area_name"]) == {"Gwent"} and set(tidy["period"]) == {"2021-22"}
    every_period = ctx.frame("stop_search_disparity", every_period=True)
    assert set(every_period["area_name"]) == {"Gwent"} and {"2019-20", "2020-21", "2021-22"} <= set(
        every_period["period"]
    )
    every_area = ctx.frame("stop_search_disparity", every_area=True)
    assert set(every_area["period"]) == {"2021-22"} and {"Gwent", "South Wales"} <= set(
        every_area["area_name"]
    )
    with pytest.raises(KeyError, match="unknown measure 'nope'"):
        ctx.frame("nope")
    parts = explore.compare(ctx, "01_communities", show=False)
    assert (
        "stop_search_disparity" in parts and "hate_crime_by_strand" not in parts
    )  # no Gwent hate crime data
    cmp = parts["stop_search_disparity"]
    black = tidy[tidy["group"] == "Black"]["value"].iloc[0]
    assert cmp["years"].loc["2021-22", "Black"] == black
    assert cmp["areas"].index[0] == "Gwent" and cmp["areas"].loc["Gwent", "Black"] == black
    # the same figure eqlib.analysis computes for the area (not a copy)
    selection = analysis.figures_for("stop_search_disparity", "gwent", "2021-22")
    row = selection.frame[(selection.frame["group"] == "Black")]
    assert black in row["value"].tolist()


# --------------------------------------------------------------------------- section builders (in-process)
@pytest.fixture(scope="module")
def no_display():
    from eqlib.report import figures

    saved = figures._display_markdown
    figures._display_markdown = lambda text: None
    yield
    figures._display_markdown = saved


def _all_blocks(area: str, year: str, threshold: int = 5) -> str:
    from eqlib.report import sections

    ctx = sections.context(area, year, threshold=threshold)
    blocks = []
    for notebook in ("01_communities", "02_leadership", "03_services", "04_workforce"):
        blocks += sections.intro(ctx, notebook) + sections.section_data_status(ctx, notebook)
        blocks += sections.measure_blocks(ctx, sections.SECTION_MEASURES[notebook])
        blocks += sections.evidence_gaps(ctx, notebook)
    blocks += sections.key_figures(ctx) + sections.main_disparities(ctx) + sections.benchmark(ctx)
    blocks += sections.coverage_table(ctx)
    return sections.render_text(blocks)


def test_an_area_with_no_police_uk_records_says_so_plainly() -> None:
    text = _all_blocks("cumbria", "2021-22")
    # the Home Office table gives Cumbria's stop and search rates (issue 9); police.uk records, which alone
    # give the not-stated share, are not shipped for Cumbria: said plainly
    assert "**Stop and search rate per 1,000 people, by ethnic group**, Cumbria, 2021/22." in text
    assert "**No data.** Share of searches with ethnicity not stated cannot be shown for Cumbria" in text
    # arrests exist only for earlier years: shown, labelled as the latest available
    assert "**Arrests per 1,000 people, by ethnic group**, Cumbria, latest available: 2018/19." in text
    assert "Evidence gaps: measures with no data for Cumbria, 2021/22" in text


def test_the_report_year_is_used_where_it_exists_else_the_latest_earlier_one() -> None:
    from eqlib.report import sections

    current = sections.measure_status(sections.context("cumbria", "2018-19"), "arrest_rate")
    assert (current.status, current.label) == ("current", "2018/19")
    later = sections.measure_status(sections.context("cumbria", "2021-22"), "arrest_rate")
    assert (later.status, later.label) == ("latest", "latest available: 2018/19")
    assert set(later.frame["period"]) == {"2018-19"}
    before = sections.measure_status(sections.context("cumbria", "2016-17"), "arrest_rate")
    assert before.status == "none" and not before.available


def test_notebook_figures_match_the_analysis(no_display) -> None:
    """The sentence a reader sees is the one for the value eqlib.analysis computes (not a copy)."""
    from eqlib import analysis
    from eqlib.report import narrative

    selection = analysis.figures_for("stop_search_disparity", "gwent", "2021-22")
    row = selection.frame[
        (selection.frame["measure"] == "stop_search_disparity") & (selection.frame["group"] == "Black")
    ].iloc[0]
    expected = narrative.sentence(row.to_dict(), with_caveats=False)
    assert "Gwent" in expected and "Black people were" in expected
    assert expected in _all_blocks("gwent", "2021-22")


def test_small_numbers_are_suppressed_and_the_threshold_parameter_is_honoured() -> None:
    from eqlib.report import sections

    def s60_black(threshold: int) -> str:
        ctx = sections.context("south-wales", "2021-22", threshold=threshold)
        st = sections.measure_status(ctx, "stop_search_s60_share")
        table = sections.figure_table(st.frame[st.frame["measure"] == "stop_search_s60_share"], "%")
        return table.set_index("Group").loc["Black"].to_dict()

    raw = sections.compute_measure(sections.context("south-wales", "2021-22"), "stop_search_s60_share")
    count = raw[
        (raw["area_code"] == "W15000003")
        & (raw["period"] == "2021-22")
        & (raw["group"] == "Black")
        & (raw["measure"] == "stop_search_s60_share")
    ]["count"].iloc[0]
    assert 0 < count < 5  # a small count: the test is meaningful only if this holds in the data
    suppressed = s60_black(5)
    assert suppressed["Count"] == "[c]" and suppressed["Per cent"] == "[c]"
    shown = s60_black(0)
    assert shown["Count"] == f"{count:,.0f}"


def test_an_analysts_local_files_fill_the_evidence_gaps(tmp_path: Path) -> None:
    """With ``local_data_dir`` in the params file, the workforce and services measures are shown."""
    from eqlib.report import sections

    params, _local = analyst_local_project(tmp_path)
    (tmp_path / "defaults.yml").write_text(
        (ROOT / "params" / "defaults.yml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    without = sections.context("south-wales", "2021-22")
    with_local = sections.context("south-wales", "2021-22", params_file=params)
    for measure in ("workforce_representation", "complaints_by_characteristic", "custody_by_ethnicity"):
        assert not sections.measure_status(without, measure).available
        status = sections.measure_status(with_local, measure)
        assert status.available and (status.label == "2021/22" or status.label.startswith("as at")), (
            status.label
        )
        assert status.source.startswith("Local data supplied by the OPCC")
    text = sections.render_text(sections.measure_blocks(with_local, ["workforce_representation"]))
    assert "times their share of the population" in text
    assert "A ratio of 1 means a share of the workforce equal to the group's share of the population" in text
    gaps_before = sections.render_text(sections.evidence_gaps(without, "04_workforce"))
    gaps_after = sections.render_text(sections.evidence_gaps(with_local, "04_workforce"))
    assert "Force workforce by ethnicity against the local population" in gaps_before
    assert "Force workforce by ethnicity against the local population" not in gaps_after


def test_figure_and_table_labels_are_unique_across_the_report(
    no_display, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cross-reference ids (#fig-..., #tbl-...) must not repeat between the notebooks of one report."""
    import re as _re

    from eqlib.report import figures

    shown: list[str] = []
    monkeypatch.setattr(figures, "_display_markdown", shown.append)
    monkeypatch.chdir(tmp_path)
    for path in sorted(NOTEBOOK_DIR.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        namespace = dict(PARAMETERS)
        for cell in nb.cells:
            if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
                exec(cell.source, namespace)  # noqa: S102 - the project's own notebooks
    labels = _re.findall(r"\{#((?:fig|tbl)-[a-z0-9-]+)", "\n".join(shown))
    assert len(labels) > 20
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    assert not repeated, repeated
    # every chart shown was written next to the working directory, in the area-year's own folder
    folder = tmp_path / "figures" / "south-wales" / "2021-22"
    for label in labels:
        if label.startswith("fig-"):
            assert (folder / f"{label[4:]}.png").is_file(), label
