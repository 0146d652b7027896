"""Where the project's files are: the data directory, params, notebooks, build and site folders.

The project root is found from the ``EQLIB_ROOT`` environment variable, else by walking
up from the current directory to the folder holding ``data/manifest.yml``, else from this
package's source tree (an editable install).
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    env = os.environ.get("EQLIB_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "data" / "manifest.yml").is_file() and (folder / "pyproject.toml").is_file():
            return folder
    source_tree = Path(__file__).resolve().parents[2]
    if (source_tree / "data" / "manifest.yml").is_file():
        return source_tree
    return here


def data_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "data"


def raw_dir(root: Path | None = None) -> Path:
    return data_dir(root) / "raw"


def manifest_path(root: Path | None = None) -> Path:
    return data_dir(root) / "manifest.yml"


def cache_dir(root: Path | None = None) -> Path:
    env = os.environ.get("EQLIB_CACHE")
    return Path(env) if env else (root or project_root()) / ".eqlib-cache"


def params_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "params"


def notebooks_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "notebooks"


def build_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "_build"


def site_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "_site"
