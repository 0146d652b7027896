"""Shared pytest fixtures (keep small: other test modules add their own)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from eqlib import paths

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The project checkout (holds data/raw and data/manifest.yml)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """The shipped official data, ``data/raw``."""
    return paths.raw_dir(REPO_ROOT)


@pytest.fixture
def copy_raw(tmp_path, monkeypatch):
    """Factory: a throwaway project root holding copies of some ``data/raw`` source folders.

    ``root = copy_raw("census2021-ts021-ltla", "lookup-lad21-csp21-pfa21")``; the cache then
    lives in ``root/.eqlib-cache`` (``EQLIB_CACHE`` is unset for the test).
    """
    monkeypatch.delenv("EQLIB_CACHE", raising=False)

    def make(*folders: str) -> Path:
        root = tmp_path / "project"
        for folder in folders:
            shutil.copytree(REPO_ROOT / "data" / "raw" / folder, root / "data" / "raw" / folder)
        return root

    return make
