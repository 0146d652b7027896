"""Shared pytest fixtures (keep small: other test modules add their own)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from eqlib import paths

REPO_ROOT = Path(__file__).resolve().parents[1]


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
    if not folder.is_dir() or not any(folder.iterdir()):
        pytest.fail(f"no data files in {folder}: set EQLIB_DATA_DIR to a folder holding them "
                    "(here ../shared/data) or run `eqlib data fetch`", pytrace=False)
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
