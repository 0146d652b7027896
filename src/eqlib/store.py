"""The cache: raw files parsed once into parquet, keyed by checksums.

Each registered dataset (:mod:`eqlib.sources`) is cached in
``<cache_dir>/<dataset_id>/<key>.parquet`` where ``key`` is the sha256 of

- the sha256 of exactly the raw files the dataset reads (``Dataset.paths``), with their
  paths relative to ``data/raw``;
- the loader's version: the eqlib version, the cache format, and the source text of the
  loader's module, of the eqlib modules it uses directly, and of the shared modules every
  loader depends on (``sources/_common.py``, ``schemas.py``, ``areas.py``, ``ethnicity.py``,
  ``periods.py``, ``errors.py``).

So a changed raw file rebuilds only the datasets that read it, and a changed loader
rebuilds only its own datasets. Hashing 60 MB of raw files on every load would be slow,
so ``<cache_dir>/file-hashes.json`` remembers each file's sha256 by (path, size,
mtime_ns); a file is re-hashed only when its size or modification time changes.

Writes are atomic (a temporary file in the same folder, then :func:`os.replace`), so
parallel notebook workers never read half a file; two workers building the same dataset
at once both write the same bytes. Parquet is written deterministically (fixed
compression, no timestamps, no pandas index).

Public API: :func:`load`, :func:`load_many`, :func:`build_all`, :func:`cmd_build_cache`.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import logging
import os
import tempfile
import time
import types
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import eqlib
from eqlib import paths
from eqlib.errors import DataError
from eqlib.sources import Dataset, datasets, get_dataset

log = logging.getLogger(__name__)

#: bump when the cache layout or parquet settings change
CACHE_FORMAT = 1
HASH_INDEX = "file-hashes.json"
_SHARED_MODULES = (
    "eqlib.sources",
    "eqlib.sources._common",
    "eqlib.schemas",
    "eqlib.areas",
    "eqlib.ethnicity",
    "eqlib.periods",
    "eqlib.errors",
)
_CHUNK = 1 << 20


# --------------------------------------------------------------------------- hashing


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class FileHashes:
    """sha256 of files, remembered by (path, size, mtime_ns) in ``<cache_dir>/file-hashes.json``."""

    def __init__(self, cache: Path):
        self.path = cache / HASH_INDEX
        self.entries: dict[str, dict[str, object]] = {}
        self.changed = False
        self.hashed: list[str] = []
        self.seen: dict[str, str] = {}  # path -> sha256 for this instance's lifetime
        self.sources: dict[str, str] = {}  # module name -> source hash, likewise
        try:
            self.entries = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            self.entries = {}

    def sha256(self, file: Path) -> str:
        key = os.path.abspath(file)
        if key in self.seen:  # the same file read by several datasets in one load_many
            return self.seen[key]
        digest = self._sha256(file, key)
        self.seen[key] = digest
        return digest

    def _sha256(self, file: Path, key: str) -> str:
        stat = file.stat()
        entry = self.entries.get(key)
        if entry and entry.get("size") == stat.st_size and entry.get("mtime_ns") == stat.st_mtime_ns:
            return str(entry["sha256"])
        digest = sha256_file(file)
        self.entries[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}
        self.changed = True
        self.hashed.append(key)
        return digest

    def save(self) -> None:
        if not self.changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _locked(self.path.with_suffix(".lock")):
                # Merge with what another process may have written meanwhile, then replace atomically.
                try:
                    current = json.loads(self.path.read_text(encoding="utf-8"))
                except (FileNotFoundError, json.JSONDecodeError):
                    current = {}
                current.update(self.entries)
                current = {path: entry for path, entry in current.items() if os.path.exists(path)}
                _atomic_write_bytes(self.path, json.dumps(current, indent=0, sort_keys=True).encode("utf-8"))
        except PermissionError as exc:  # read-only cache: hashes are recomputed next time
            log.warning("cannot write %s (%s)", self.path, exc)
        self.changed = False


@contextlib.contextmanager
def _locked(lock_path: Path):
    """An exclusive lock between processes (POSIX ``flock``; no lock where it does not exist)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the atomic replace still prevents torn files
        yield
        return
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _module_source_hash(module_name: str) -> str:
    module = importlib.import_module(module_name)
    file = getattr(module, "__file__", None)
    if not file:  # pragma: no cover - builtins/namespace packages
        return module_name
    return hashlib.sha256(Path(file).read_bytes()).hexdigest()


def _eqlib_dependencies(module_name: str) -> set[str]:
    """The eqlib modules a loader module uses directly (imported modules, functions, classes)."""
    module = importlib.import_module(module_name)
    found = {module_name}
    for value in vars(module).values():
        name = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
        if isinstance(name, str) and (name == "eqlib" or name.startswith("eqlib.")) and name != "eqlib":
            found.add(name)
    return found


def loader_version(dataset: Dataset, memo: dict[str, str] | None = None) -> str:
    """A hash of everything in the code that decides a dataset's frame (see module docstring).

    The loader's module, the eqlib modules it uses directly (e.g. a shared ODS reader) and
    the shared modules every loader relies on.
    """
    parts = [f"eqlib {eqlib.__version__}", f"format {CACHE_FORMAT}"]
    memo = {} if memo is None else memo
    for name in sorted(_eqlib_dependencies(dataset.loader.__module__) | set(_SHARED_MODULES)):
        if name not in memo:
            memo[name] = _module_source_hash(name)
        parts.append(f"{name} {memo[name]}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _files(dataset: Dataset, raw: Path) -> list[Path]:
    """The raw files a dataset reads; every one of its patterns must match at least one file."""
    missing = [pattern for pattern in dataset.files if not any(raw.glob(pattern))]
    if missing:
        raise DataError(
            f"no raw files for dataset {dataset.id!r}",
            file=str(raw),
            value=", ".join(missing),
            expected="files matching " + ", ".join(dataset.files),
        )
    return dataset.paths(raw)


def dataset_key(dataset: Dataset, raw: Path, hashes: FileHashes) -> tuple[str, dict[str, str]]:
    """The cache key of a dataset and the sha256 of each file it reads (relative path -> sha256)."""
    files = {p.relative_to(raw).as_posix(): hashes.sha256(p) for p in _files(dataset, raw)}
    text = json.dumps(
        {"dataset": dataset.id, "loader": loader_version(dataset, hashes.sources), "files": files},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest(), files


# --------------------------------------------------------------------------- parquet


def _atomic_write_bytes(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_parquet(frame: pd.DataFrame, target: Path, metadata: dict[str, str]) -> None:
    """Write ``frame`` to ``target`` deterministically and atomically."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[b"eqlib"] = json.dumps(metadata, sort_keys=True).encode("utf-8")
    table = table.replace_schema_metadata(schema_meta)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(
            table,
            tmp,
            compression="zstd",
            compression_level=3,
            use_dictionary=True,
            write_statistics=True,
            store_schema=True,
        )
        os.chmod(tmp, 0o644)
        digest = cache_digest(Path(tmp))
        os.replace(tmp, target)
        _atomic_write_bytes(_digest_path(target), (digest + "\n").encode("ascii"))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cache_digest(path: Path) -> str:
    """sha256 of a cache file's bytes (always read: a cache file is checked every time it is used)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class CacheIntegrityError(OSError):
    """A cache file whose bytes do not match the sha256 recorded when it was written (or with none)."""


def _digest_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def verify_cache_file(path: Path) -> None:
    """Raise :class:`CacheIntegrityError` unless ``path`` has the sha256 recorded beside it."""
    record = _digest_path(path)
    if not record.is_file():
        raise CacheIntegrityError(f"{path}: no checksum recorded beside it")
    expected = record.read_text(encoding="ascii").strip()
    found = cache_digest(path)
    if found != expected:
        raise CacheIntegrityError(
            f"{path}: sha256 {found[:12]}... differs from the {expected[:12]}... recorded "
            "when it was written (the file changed)"
        )


def _read_parquet(path: Path) -> pd.DataFrame:
    """Read a cache file after checking its bytes against its recorded sha256 (a changed file is never used)."""
    verify_cache_file(path)
    return pq.read_table(path).to_pandas()


def cache_path(dataset_id: str, key: str, *, root: Path | None = None) -> Path:
    """Where the parquet for one dataset and key lives."""
    return paths.cache_dir(root) / dataset_id / f"{key[:32]}.parquet"


# --------------------------------------------------------------------------- loading


@dataclass
class BuildResult:
    """What happened to one dataset in :func:`build_all`."""

    dataset: str
    status: str  # "built", "cached" or "failed"
    rows: int = 0
    seconds: float = 0.0
    key: str = ""
    error: str = ""


def _load_one(dataset: Dataset, root: Path | None, hashes: FileHashes) -> tuple[pd.DataFrame, BuildResult]:
    start = time.perf_counter()
    raw = paths.raw_dir(root)
    key, files = dataset_key(dataset, raw, hashes)
    target = cache_path(dataset.id, key, root=root)
    if target.is_file():
        try:
            frame = _read_parquet(target)
            return frame, BuildResult(dataset.id, "cached", len(frame), time.perf_counter() - start, key)
        except (FileNotFoundError, OSError, pa.ArrowInvalid) as exc:
            log.warning("%s: cached file unreadable (%s); rebuilding", target, exc)
    log.info("%s: building the cache from %d raw file(s)", dataset.id, len(files))
    frame = dataset.loader(raw)
    try:
        _write_parquet(
            frame,
            target,
            {
                "dataset": dataset.id,
                "key": key,
                "files": json.dumps(files, sort_keys=True),
                "eqlib": eqlib.__version__,
            },
        )
    except PermissionError as exc:  # a read-only install: work uncached rather than fail
        log.warning("%s: cannot write the cache (%s); using the frame uncached", dataset.id, exc)
        return frame, BuildResult(dataset.id, "built", len(frame), time.perf_counter() - start, key)
    for stale in target.parent.glob("*.parquet"):
        if stale != target:
            stale.unlink(missing_ok=True)
            _digest_path(stale).unlink(missing_ok=True)
    # Return exactly what a warm load returns (the parquet round trip fixes dtypes).
    frame = _read_parquet(target)
    return frame, BuildResult(dataset.id, "built", len(frame), time.perf_counter() - start, key)


def load(dataset_id: str, *, root: Path | None = None) -> pd.DataFrame:
    """The tidy frame of one dataset, from the cache (built first if missing or stale).

    Parameters
    ----------
    dataset_id
        A registered dataset id (see :func:`eqlib.sources.datasets`).
    root
        Project root; default :func:`eqlib.paths.project_root` (``EQLIB_ROOT``).
    """
    dataset = get_dataset(dataset_id)
    hashes = FileHashes(paths.cache_dir(root))
    try:
        frame, _ = _load_one(dataset, root, hashes)
    finally:
        hashes.save()
    return frame


def load_many(dataset_ids: Iterable[str], *, root: Path | None = None) -> dict[str, pd.DataFrame]:
    """Several datasets at once (one pass over the file-hash index): ``{id: frame}``."""
    hashes = FileHashes(paths.cache_dir(root))
    out: dict[str, pd.DataFrame] = {}
    try:
        for dataset_id in dataset_ids:
            out[dataset_id], _ = _load_one(get_dataset(dataset_id), root, hashes)
    finally:
        hashes.save()
    return out


def _build_one(dataset_id: str, root: Path | None, hashes: FileHashes) -> BuildResult:
    start = time.perf_counter()
    try:
        _, result = _load_one(get_dataset(dataset_id), root, hashes)
    except Exception as exc:  # report and carry on: one broken source must not hide the rest
        log.error("%s: %s", dataset_id, exc)
        result = BuildResult(
            dataset_id, "failed", seconds=time.perf_counter() - start, error=f"{type(exc).__name__}: {exc}"
        )
    return result


def _build_in_worker(dataset_id: str, root: Path | None) -> BuildResult:
    hashes = FileHashes(paths.cache_dir(root))
    try:
        return _build_one(dataset_id, root, hashes)
    finally:
        hashes.save()


def build_all(
    root: Path | None = None, *, dataset_ids: Iterable[str] | None = None, jobs: int = 1
) -> list[BuildResult]:
    """Build (or confirm) the cache of every registered dataset; one failure does not stop the rest.

    Returns one :class:`BuildResult` per dataset, in the order asked: ``built`` (parsed now),
    ``cached`` (already up to date) or ``failed`` (with the error message). ``jobs`` > 1
    builds datasets in that many worker processes (the writes are atomic, so this is safe).
    """
    ids = list(dataset_ids) if dataset_ids is not None else list(datasets())
    if jobs > 1 and len(ids) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=min(jobs, len(ids))) as pool:
            return list(pool.map(_build_in_worker, ids, [root] * len(ids)))
    hashes = FileHashes(paths.cache_dir(root))
    try:
        return [_build_one(dataset_id, root, hashes) for dataset_id in ids]
    finally:
        hashes.save()


def format_report(results: list[BuildResult], *, wall_seconds: float | None = None) -> str:
    """A plain-text table of :func:`build_all` results (``wall_seconds``: the elapsed time, if known)."""
    width = max([len(r.dataset) for r in results] + [7])
    lines = [f"{'dataset':<{width}}  {'status':<7}  {'rows':>9}  {'seconds':>7}"]
    for r in results:
        lines.append(f"{r.dataset:<{width}}  {r.status:<7}  {r.rows:>9,}  {r.seconds:>7.2f}")
        if r.error:
            lines.append(f"{'':<{width}}  {r.error}")
    built = sum(r.status == "built" for r in results)
    cached = sum(r.status == "cached" for r in results)
    failed = sum(r.status == "failed" for r in results)
    total = wall_seconds if wall_seconds is not None else sum(r.seconds for r in results)
    lines.append(
        f"{len(results)} datasets: {built} built, {cached} already cached, {failed} failed ({total:.1f} s)"
    )
    return "\n".join(lines)


def cmd_build_cache(args) -> int:
    """``eqlib data build-cache``: parse every raw file into the cache; exit 1 if any dataset fails."""
    root = getattr(args, "root", None)
    jobs = getattr(args, "jobs", None) or 1
    start = time.perf_counter()
    results = build_all(Path(root) if root else None, jobs=jobs)
    print(f"cache: {paths.cache_dir(Path(root) if root else None)}")
    print(format_report(results, wall_seconds=time.perf_counter() - start))
    return 1 if any(r.status == "failed" for r in results) else 0
