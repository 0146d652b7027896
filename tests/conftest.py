"""Shared pytest fixtures (keep small: other test modules add their own)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from eqlib import paths

REPO_ROOT = Path(__file__).resolve().parents[1]
_DATA_PROBLEM: list[str] = []  # why the data folder could not be made complete, if it could not


def in_ci() -> bool:
    """Running in CI (``CI`` set and not false/0): a missing tool then fails instead of skipping."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_sessionstart(session) -> None:
    """Make sure the data folder holds every data file (fetching what is missing, as eqlib build does)."""
    from eqlib import fetch
    from eqlib.errors import EqlibError

    try:
        fetch.require_data(REPO_ROOT)
    except EqlibError:
        try:
            print(
                f"\neqlib tests: fetching the data files into {paths.raw_dir(REPO_ROOT)} "
                "(set EQLIB_DATA_DIR to a folder that holds them to skip this)"
            )
            fetch.ensure_data(REPO_ROOT)
        except EqlibError as exc:
            _DATA_PROBLEM.append(str(exc))


def require_tool(name: str, debian_package: str, *, candidates: tuple[str, ...] = ()) -> str:
    """The path of an external program the test needs; a clear skip (fail in CI) naming its package."""
    found = shutil.which(name) or next((c for c in candidates if Path(c).is_file()), None)
    if found:
        return found
    message = (
        f"{name} not found: install the Debian package {debian_package} "
        f"(apt-get install {debian_package}; .ci/run does)"
    )
    if in_ci():
        pytest.fail(message + " [CI: a missing tool fails]", pytrace=False)
    pytest.skip(message)


def axe_core_js() -> Path:
    """axe-core's ``axe.min.js``: npm's pinned copy if ``npm ci`` was run, else the PyPI package
    ``axe-playwright-python`` (in the ``test`` extra) which ships it."""
    npm = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
    if npm.is_file():
        return npm
    try:
        import axe_playwright_python
    except ImportError:
        pytest.fail(
            'axe-core not found: pip install -e ".[test]" (axe-playwright-python ships axe.min.js) or npm ci',
            pytrace=False,
        )
    shipped = Path(axe_playwright_python.__file__).parent / "axe.min.js"
    if not shipped.is_file():
        pytest.fail(f"{shipped} missing from axe-playwright-python: reinstall it, or npm ci", pytrace=False)
    return shipped


def chromium() -> str:
    return require_tool("chromium", "chromium", candidates=("/usr/bin/chromium",))


def poppler(tool: str = "pdftotext") -> str:
    return require_tool(tool, "poppler-utils")


def catalog_lang(pdf: Path) -> str:
    """The document language in the PDF's catalog (``/Root`` of the trailer): its ``/Lang`` string.

    Read from the bytes (Typst writes the catalog and the trailer uncompressed): the trailer names the
    catalog object, whose dictionary holds ``/Lang(...)``; '' when there is none.
    """
    raw = pdf.read_bytes()
    trailer = raw[raw.rindex(b"trailer") :]
    number = re.search(rb"/Root\s+(\d+)\s+0\s+R", trailer).group(1)
    catalog = re.search(rb"(?<!\d)" + number + rb"\s+0\s+obj\s*(<<.*?)endobj", raw, re.S).group(1)
    assert b"/Type/Catalog" in catalog.replace(b" ", b""), catalog[:200]
    found = re.search(rb"/Lang\s*\(([^)]*)\)", catalog)
    return found.group(1).decode("ascii") if found else ""


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The project checkout (holds data/manifest.yml)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """The official data files: the data folder (``EQLIB_DATA_DIR``, else data/raw, else the user cache).

    Missing files fail here, once, with the command that fetches them.
    """
    folder = paths.raw_dir(REPO_ROOT)
    if _DATA_PROBLEM:
        pytest.fail(_DATA_PROBLEM[0], pytrace=False)
    if not folder.is_dir() or not any(folder.iterdir()):
        pytest.fail(
            f"no data files in {folder}: set EQLIB_DATA_DIR to a folder holding them "
            "(here ../shared/data) or run `eqlib data fetch`",
            pytrace=False,
        )
    return folder


@pytest.fixture
def copy_raw(tmp_path, monkeypatch):
    """Factory: a throwaway project root holding copies of some source folders in its ``data/raw``.

    ``root = copy_raw("census2021-ts021-ltla", "lookup-lad21-csp21-pfa21")``; the cache then
    lives in ``root/.eqlib-cache`` (``EQLIB_CACHE`` is unset for the test).
    """
    monkeypatch.delenv("EQLIB_CACHE", raising=False)

    def make(*folders: str) -> Path:
        root = tmp_path / "project"
        for folder in folders:
            shutil.copytree(paths.raw_dir(REPO_ROOT) / folder, root / "data" / "raw" / folder)
        return root

    return make


@pytest.fixture(autouse=True)
def _default_figure_folder():
    """Each test starts with charts saved to ``figures/`` (a notebook context sets ``figures/<area>/<year>``)."""
    from eqlib.report import figures

    figures.set_figure_folder("figures")
    yield
    figures.set_figure_folder("figures")


# The default report (south-wales 2021-22) built in a throwaway project, for the end-to-end tests
# (test_render_report, test_public_report). Module scope: the environment it sets (EQLIB_ROOT) is undone
# after each module, so no other test sees the throwaway project.
@pytest.fixture(scope="module")
def report_project(tmp_path_factory):
    """A throwaway project root (never the user's _build/ or _site/): the real data/ (symlinked),
    copies of the notebooks, params and _quarto.yml, and the real parquet cache."""
    root = tmp_path_factory.mktemp("report") / "project"
    root.mkdir()
    (root / "data").symlink_to(REPO_ROOT / "data", target_is_directory=True)
    shutil.copytree(
        REPO_ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns("figures", ".*")
    )
    shutil.copytree(REPO_ROOT / "params", root / "params")
    shutil.copy2(REPO_ROOT / "_quarto.yml", root / "_quarto.yml")
    mp = pytest.MonkeyPatch()
    mp.setenv("EQLIB_ROOT", str(root))
    mp.setenv("EQLIB_CACHE", str(paths.cache_dir(REPO_ROOT)))
    if not os.environ.get(paths.DATA_DIR_ENV):
        mp.setenv(paths.DATA_DIR_ENV, str(paths.raw_dir(REPO_ROOT)))
    yield root
    mp.undo()


def build_report(root: Path, area: str, year: str):
    """Run the real notebooks for ``area`` ``year`` in the throwaway project ``root`` and render them
    through the fallback: (render result, the executed notebooks' folder)."""
    from eqlib import batch
    from eqlib.report import render

    result = batch.run_one(area, year, root=root)
    if not result.ok:
        pytest.fail(f"the notebooks failed for {area} {year}: {result.error}\n(see {result.output}/logs)")
    rendered = render.render(area, year, engine="fallback", root=root)
    return rendered, paths.build_dir(root) / area / year


@pytest.fixture(scope="module")
def default_report(report_project):
    return build_report(report_project, "south-wales", "2021-22")


#: The second area-year the public-report tests read (issue 12 item 2, "the default report and one
#: other"): the largest force, with seven-digit counts in its tables and a publisher that is not a PCC.
OTHER_REPORT = ("metropolitan", "2022-23")


@pytest.fixture(scope="module")
def other_report(report_project):
    return build_report(report_project, *OTHER_REPORT)


def analyst_local_project(tmp_path: Path) -> tuple[Path, Path]:
    """The area-year params file of South Wales 2021-22 naming a folder of the analyst's own files (the
    test files of tests/data/local, which are marked EXAMPLE and so refused in a report, made "own"
    figures): ``(params file, local folder)``, both in ``tmp_path``."""
    local = tmp_path / "local"
    local.mkdir()
    for src in (REPO_ROOT / "tests" / "data" / "local" / "south-wales-2021-22").glob("*.csv"):
        (local / src.name).write_text(
            src.read_text(encoding="utf-8").replace(
                "EXAMPLE synthetic test figure (invented; not real data)", "synthetic"
            ),
            encoding="utf-8",
        )
    params = tmp_path / "south-wales-2021-22.yml"
    params.write_text(
        (REPO_ROOT / "params" / "south-wales-2021-22.yml")
        .read_text(encoding="utf-8")
        .replace("local_data_dir: null", f"local_data_dir: {local}"),
        encoding="utf-8",
    )
    return params, local
