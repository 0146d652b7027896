"""The package imports cleanly and its import graph has no cycle (issue 11: the layers of src/eqlib are
data -> metrics -> measures -> report -> cli/batch, and nothing reaches back up, not even inside a function)."""

from __future__ import annotations

import ast
import graphlib
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "eqlib"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _executed(name: str) -> list[str]:
    """The eqlib modules that importing ``name`` runs: the module and every package above it."""
    parts = name.split(".")
    return [m for m in (".".join(parts[:i]) for i in range(2, len(parts) + 1)) if m in MODULES]


def import_graph() -> dict[str, set[str]]:
    """Module -> the eqlib modules it imports anywhere in its source (top level or inside a function),
    with the packages those imports run. A module's own parent packages are left out (they run first)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets = [base, *(f"{base}.{a.name}" for a in node.names)]
            else:
                continue
            for target in targets:
                if target.startswith("eqlib."):
                    edges.update(m for m in _executed(target) if m != name and not name.startswith(m + "."))
        graph[name] = edges
    return graph


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert "eqlib.measures.catalogue" in graph["eqlib.measures.compute"]
    assert "eqlib.analysis" in graph["eqlib.report.tables"]  # tables sit above analysis
    assert "eqlib.config" in graph["eqlib.cli"]  # imported inside refuse_example_params


def test_no_import_cycle_among_eqlib_modules():
    graph = import_graph()
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")
    assert set(order) == set(MODULES)


def test_layers_point_down():
    """data and metrics never import measures or the report; measures never import the report, batch or\n    cli; the report never imports batch or cli."""
    graph = import_graph()
    upper = ("eqlib.report", "eqlib.batch", "eqlib.cli", "eqlib.analysis")
    for name, edges in graph.items():
        if name.startswith(("eqlib.metrics", "eqlib.sources", "eqlib.measures")) or name in (
            "eqlib.store",
            "eqlib.config",
        ):
            bad = sorted(e for e in edges if e.startswith(upper))
            assert not bad, f"{name} imports {bad}"
        if name.startswith(("eqlib.metrics", "eqlib.sources")):
            assert not any(e.startswith("eqlib.measures") for e in edges), name
        if name.startswith("eqlib.report"):  # the report is below the commands that drive it
            assert not {"eqlib.batch", "eqlib.cli"} & edges, f"{name} imports {sorted(edges)}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_imports(name):
    importlib.import_module(name)
