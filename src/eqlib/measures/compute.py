"""Compute a measure for every area and period, once: the one compute-and-cache path.

:func:`compute_measure` runs the measure's function (its :class:`~eqlib.measures.model.Measure` entry's
``compute``) over the cached datasets for every force area and period at once, and keeps the figure frame
in ``<cache>/measures/<measure>/<key>.parquet`` with a ``.sha256`` beside it (:mod:`eqlib.store`): the key
(:func:`inputs_key`) hashes the content of every input file and eqlib's source, so a changed file or line
of code recomputes, and a cache file whose bytes do not match its checksum is recomputed, never read.
The files are a private cache of unsuppressed figures, never published.
"""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from pathlib import Path

import pandas as pd

import eqlib
from eqlib import paths, store
from eqlib.measures import catalogue
from eqlib.measures._base import RANK_OFFICIAL_COUNTS, _tag
from eqlib.metrics import caveats as cv
from eqlib.sources import datasets

log = logging.getLogger("eqlib.analysis")


@lru_cache(maxsize=4)
def inputs_key(root_key: str = "") -> str:
    """A key for everything a measure depends on: the cache keys of every registered dataset (the
    sha256 of their raw files and loader code) and the source of every eqlib module.

    Computed once per process; the measures' disk cache is keyed by it, so a changed raw file or a
    changed line of code recomputes the measures, and nothing else does.
    """
    root = Path(root_key) if root_key else None
    hashes = store.FileHashes(paths.cache_dir(root))
    raw = paths.raw_dir(root)
    digest = hashlib.sha256(f"eqlib {eqlib.__version__}".encode())
    for dataset in datasets().values():
        try:
            key, _files = store.dataset_key(dataset, raw, hashes)
        except Exception as exc:  # noqa: BLE001 - a dataset whose files are missing: its error is the key
            key = f"unavailable: {exc}"
        digest.update(f"{dataset.id}={key}\n".encode())
    hashes.save()
    package = Path(eqlib.__file__).parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _measure_cache_path(measure_id: str, root: Path | None) -> Path:
    return paths.cache_dir(root) / "measures" / measure_id / f"{inputs_key(str(root or ''))[:32]}.parquet"


def _from_parquet(frame: pd.DataFrame) -> pd.DataFrame:
    frame["caveats"] = [tuple(v) if v is not None else () for v in frame["caveats"]]
    return frame


@lru_cache(maxsize=64)
def _compute_cached(measure_id: str, root_key: str) -> pd.DataFrame:
    root = Path(root_key) if root_key else None
    target = _measure_cache_path(measure_id, root)
    if target.is_file():
        try:
            return _from_parquet(store._read_parquet(target))
        except Exception as exc:  # noqa: BLE001 - an unreadable cache file is rebuilt
            log.warning("%s: unreadable (%s); recomputing", target, exc)
    measure = catalogue.get_measure(measure_id)
    source = measure.source
    frame = measure.compute(root).reset_index(drop=True)
    for code in measure.caveats:  # the caveats every figure of the measure carries
        if len(frame):
            frame = cv.add(frame, True, code)
    if "source" not in frame.columns:
        frame = _tag(frame, source, RANK_OFFICIAL_COUNTS)
    else:  # rows of a measure not tagged by their function: the measure's source
        frame["source"] = frame["source"].fillna(source).astype(str)
        frame["source_rank"] = frame["source_rank"].fillna(RANK_OFFICIAL_COUNTS).astype(int)
    stored = frame.assign(caveats=[list(v) if isinstance(v, (tuple, list)) else [] for v in frame["caveats"]])
    try:
        store._write_parquet(stored, target, {"measure": measure_id})
        for stale in target.parent.glob("*.parquet"):
            if stale != target:
                stale.unlink(missing_ok=True)
                stale.with_name(stale.name + ".sha256").unlink(missing_ok=True)
        return _from_parquet(store._read_parquet(target))
    except PermissionError as exc:  # a read-only install works uncached
        log.warning("%s: cannot write the measures cache (%s)", measure_id, exc)
        return frame


def warm(root: Path | None = None) -> dict[str, int]:
    """Compute (or confirm) every measure's disk cache once, e.g. before a batch of notebooks, so
    that each notebook kernel only reads parquet. Returns rows per measure."""
    return {m: len(compute_measure(m, root=root)) for m in catalogue.national_ids()}


def compute_measure(measure_id: str, *, root: Path | None = None) -> pd.DataFrame:
    """The figure frame of one measure for every area and period (memoised per process; a copy)."""
    if measure_id not in catalogue.national_ids():
        raise KeyError(
            f"eqlib computes no measure {measure_id!r} from national data; "
            f"known: {', '.join(catalogue.national_ids())}"
        )
    return _compute_cached(measure_id, str(root or "")).copy()
