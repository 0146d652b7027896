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
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["kernelspec"]["language"] == "python"
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
    values = {}
    for node in ast.parse(tagged[0].source).body:
        assert isinstance(node, ast.Assign)
        values[node.targets[0].id] = ast.literal_eval(node.value)
    assert values == PARAMETERS
    # every other code cell hides its code in the report
    for cell in nb.cells:
        if cell.cell_type == "code" and cell is not tagged[0]:
            first = cell.source.splitlines()[0]
            assert first in ("#| echo: false", "#| include: false"), f"{name}: cell starts {first!r}"
    # thin: no notebook cell holds more than a few lines of code
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert len(cell.source.splitlines()) <= 6


@pytest.mark.slow
def test_nbval_over_every_notebook() -> None:
    """The nbval run CI does (``pytest --nbval-lax ... notebooks/``), as a subprocess of the normal suite."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "--nbval-sanitize-with",
         "nbval_sanitize.cfg", "--nbval-cell-timeout", "300", "-p", "no:cacheprovider", "-q", "notebooks/"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout


@pytest.mark.slow
def test_plain_papermill_works_from_any_folder(tmp_path: Path) -> None:
    """``papermill notebooks/01_communities.ipynb out.ipynb -p area ... -p year ...`` without eqlib run."""
    out = tmp_path / "out.ipynb"
    proc = subprocess.run(
        [sys.executable, "-m", "papermill", str(NOTEBOOK_DIR / "01_communities.ipynb"), str(out),
         "-p", "area", "Gwent", "-p", "year", "2021/22", "-k", "python3", "--no-progress-bar"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={k: v for k, v in os.environ.items() if k != "EQLIB_ROOT"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = nbformat.read(out, as_version=4)
    text = "\n".join(o.get("data", {}).get("text/markdown", "") for c in nb.cells for o in c.get("outputs", []))
    assert "This section covers **Gwent** for the financial year **2021/22**" in text
    # the figure is written next to the notebook's working directory
    assert (tmp_path / "figures" / "population-by-ethnicity.png").is_file()
