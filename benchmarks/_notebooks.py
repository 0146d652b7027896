"""What the area-year benchmarks share: a throw-away project and the notebooks run in this process."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def throwaway_project(tmp: Path) -> Path:
    """A throw-away project: real data (symlink), copies of notebooks and params."""
    from eqlib import paths

    real = paths.project_root()
    root = tmp / "project"
    root.mkdir()
    (root / "data").symlink_to(real / "data", target_is_directory=True)
    shutil.copytree(real / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns("figures", ".*"))
    shutil.copytree(real / "params", root / "params")
    for name in ("_quarto.yml", "pyproject.toml"):
        if (real / name).exists():
            shutil.copy(real / name, root / name)
    return root


def run_notebooks(
    area: str,
    year: str,
    *,
    around: Callable[[], contextlib.AbstractContextManager[object]] = contextlib.nullcontext,
) -> dict[str, float]:
    """Run every notebook's code cells in this process, as the kernel does (the parameters cell's
    values given, IPython magics left out); seconds per notebook. ``around`` wraps each notebook's
    cells (a profiler, a timer) and is not counted apart from what it adds."""
    import IPython.display
    import nbformat

    from eqlib import batch
    from eqlib.report import figures as fg

    # nothing displayed: the report's markdown and the explore cells' tables (restored afterwards)
    shown_markdown, shown = fg._display_markdown, IPython.display.display
    fg._display_markdown = lambda text: None
    IPython.display.display = lambda *a, **k: None
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        old = os.getcwd()
        os.chdir(tmp)
        try:
            for path in batch.notebook_paths():
                nb = nbformat.read(path, as_version=4)
                namespace = {
                    "area": area,
                    "year": year,
                    "params_file": None,
                    "data_dir": None,
                    "threshold": 5,
                }
                t = time.perf_counter()
                with around():
                    for cell in nb.cells:
                        if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
                            source = "\n".join(
                                line
                                for line in cell.source.splitlines()
                                if not line.lstrip().startswith(("%", "!"))
                            )
                            exec(source, namespace)  # noqa: S102 - our own notebooks
                seconds[Path(path).stem] = time.perf_counter() - t
        finally:
            os.chdir(old)
            IPython.display.display, fg._display_markdown = shown, shown_markdown
    return seconds
