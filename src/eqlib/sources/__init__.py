"""Loaders, one module per source format, each returning a tidy validated frame.

Every dataset is registered here with the raw files it reads (globs relative to
``data/raw``) and a loader ``(raw_dir: Path) -> DataFrame``. :mod:`eqlib.store` caches
each dataset's frame in parquet keyed by the checksums of exactly those files.

Load a dataset with :func:`eqlib.store.load` (cached) or :func:`load_uncached`.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)

Loader = Callable[[Path], pd.DataFrame]


@dataclass(frozen=True)
class Dataset:
    """A registered dataset: its id, a title, the raw files it reads and its loader."""

    id: str
    title: str
    files: tuple[str, ...]  # globs relative to data/raw
    loader: Loader
    description: str = ""

    def paths(self, raw_dir: Path) -> list[Path]:
        found: list[Path] = []
        for pattern in self.files:
            found.extend(sorted(raw_dir.glob(pattern)))
        return found


REGISTRY: dict[str, Dataset] = {}

# Modules that register datasets when imported. Add a new source module here.
_SOURCE_MODULES = (
    "eqlib.sources.population",
    "eqlib.sources.policeuk",
    "eqlib.sources.eff_stop_search",
    "eqlib.sources.ho_stop_search",
    "eqlib.sources.home_office",
    "eqlib.sources.workforce",
    "eqlib.sources.workforce_open_data",
    "eqlib.sources.cjs",
    "eqlib.sources.iopc",
    "eqlib.sources.hate_crime",
)


def register(id: str, title: str, files: tuple[str, ...] | list[str], description: str = ""):
    """Decorator: register ``loader`` as the loader of dataset ``id``."""

    def wrap(loader: Loader) -> Loader:
        REGISTRY[id] = Dataset(id, title, tuple(files), loader, description)
        return loader

    return wrap


def _import_all() -> None:
    for name in _SOURCE_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # A source module not yet written is not an error; any other import failure is.
            if exc.name != name:
                raise


def datasets() -> dict[str, Dataset]:
    """Every registered dataset, by id."""
    _import_all()
    return dict(sorted(REGISTRY.items()))


def get_dataset(dataset_id: str) -> Dataset:
    all_sets = datasets()
    if dataset_id not in all_sets:
        raise KeyError(f"Unknown dataset {dataset_id!r}; known: {', '.join(all_sets)}")
    return all_sets[dataset_id]


def load_uncached(dataset_id: str, raw_dir: Path) -> pd.DataFrame:
    """Parse a dataset straight from its raw files (no cache)."""
    return get_dataset(dataset_id).loader(raw_dir)
