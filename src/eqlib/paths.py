"""Where the project's files are: the data folder, params, notebooks, build and site folders.

The project root is found from the ``EQLIB_ROOT`` environment variable, else by walking
up from the current directory to the folder holding ``data/manifest.yml``, else from this
package's source tree (an editable install).

The official data files are not in the project's git tree: :func:`raw_dir` is the folder
holding them (layout ``<source>/<file>``, as listed in ``data/manifest.yml``), and
``eqlib data fetch`` (:mod:`eqlib.fetch`) downloads them into it.
"""

from __future__ import annotations

import os
from pathlib import Path

from eqlib.errors import UsageError


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


#: environment variable naming the folder that holds the official data files
DATA_DIR_ENV = "EQLIB_DATA_DIR"


def user_data_cache() -> Path:
    """The per-user download folder: ``<platformdirs user cache dir>/eqlib/data``."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("eqlib", appauthor=False)) / "data"


def raw_dir(root: Path | None = None) -> Path:
    """The folder holding the official data files (``<source>/<file>``).

    In order: ``<root>/data/raw`` when a project ``root`` is passed explicitly and holds one
    (a throwaway project in a test); else the ``EQLIB_DATA_DIR`` environment variable; else
    the project's ``data/raw`` if present (an old checkout or a copy made by hand); else the
    per-user download folder (:func:`user_data_cache`), which ``eqlib data fetch`` fills.
    """
    if root is not None and (data_dir(root) / "raw").is_dir():
        return data_dir(root) / "raw"
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    project = data_dir(root) / "raw"
    if project.is_dir():
        return project
    return user_data_cache()


def is_project_raw_dir(folder: Path, root: Path | None = None) -> bool:
    """True when ``folder`` is the project's own ``data/raw`` (every file there must be listed)."""
    return Path(folder).resolve() == (data_dir(root) / "raw").resolve()


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


def check_out_dir(out: str) -> Path:
    """``--out`` as a folder that exists or can be made; UsageError (exit 2) if it, or a parent, is a file."""
    path = Path(out)
    for part in (path, *path.parents):
        if part.exists() and not part.is_dir():
            what = "is a file" if part == path else f"is inside {str(part)!r}, which is a file"
            raise UsageError(f"--out {str(out)[:200]!r} {what}; expected a folder (it is made if missing)")
        if part.is_dir():
            break
    return path
