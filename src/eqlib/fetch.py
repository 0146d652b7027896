"""Fetch the official data files listed in ``data/manifest.yml`` into the data folder.

The data files are not in the project's git tree. Each manifest entry gives the file's path in
the data folder (``<source>/<file>``), its sha256 and size, and a download ``url`` (``null``
with the reason in ``no_url`` where no address serves those bytes). :func:`fetch` downloads
what a build needs with `pooch <https://www.fatiando.org/pooch/>`_ (a progress bar per file),
checks every sha256, and keeps a file only if it matches; a file already in the folder with the
right checksum is used as it is, so a folder that already holds the verified files (``EQLIB_DATA_DIR``
pointing at a shared copy) is never written to.

- The data folder is :func:`eqlib.paths.raw_dir`: ``EQLIB_DATA_DIR``, else the project's
  ``data/raw`` if present, else the per-user cache folder (``platformdirs``).
- ``transform: crlf-to-lf`` on an entry: the file at ``url`` differs from the shipped copy only
  in its line endings; the download is converted, then checked.
- ``derived_from`` (with ``recipe`` and ``segment``) on an entry with no ``url``: the file is rebuilt
  from an upstream file listed in its source's ``upstream_files`` (``name``, ``url``, ``sha256`` or
  null, ``recipe``, ``segments``): the upstream file is downloaded once (pooch, its sha256 checked
  when the manifest has one), the recipe (:data:`RECIPES`) splits it into ``segments`` files, and
  each rebuilt file is kept only if its sha256 is the manifest's (a mismatch fails naming the file).
  The police.uk Wales files are rebuilt so from the concatenations they were reconstructed from
  (:mod:`eqlib.sources.policeuk_reconstruct`).
- ``mirror``: fetch ``<mirror>/<path>`` instead of each ``url`` (a copy of the data folder served
  over HTTP, e.g. on an intranet); no transform or rebuild then, the mirror serves the final bytes.
  It also supplies the files that have no ``url`` and no ``derived_from``.

Public API: :func:`needed_files`, :func:`check_folder`, :func:`fetch`, :func:`ensure_data`,
:func:`cmd_fetch` (``eqlib data fetch``).
"""

from __future__ import annotations

import fnmatch
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eqlib import paths
from eqlib.errors import DataError, UsageError

log = logging.getLogger(__name__)

#: environment variable: a mirror of the data folder (``<mirror>/<source>/<file>``)
MIRROR_ENV = "EQLIB_DATA_MIRROR"


@dataclass
class FetchReport:
    """What :func:`fetch` did, file by file (paths relative to the data folder)."""

    folder: Path
    present: list[str] = field(default_factory=list)  # already there with the right checksum
    downloaded: list[str] = field(default_factory=list)  # downloaded or rebuilt, verified
    rebuilt: list[str] = field(default_factory=list)  # those of ``downloaded`` rebuilt from an upstream file
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, why)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        lines = [
            f"data folder: {self.folder}",
            f"  {len(self.present)} file(s) already present and verified, "
            f"{len(self.downloaded)} downloaded and verified"
            + (f" ({len(self.rebuilt)} rebuilt from their upstream files)" if self.rebuilt else "")
            + f", {len(self.failed)} failed",
        ]
        lines += [f"  FAILED {path}: {why}" for path, why in self.failed]
        return "\n".join(lines)


def _matches(path: str, pattern: str) -> bool:
    """Glob match part by part (``*`` never crosses ``/``), as :meth:`pathlib.Path.glob` does."""
    parts, pats = path.split("/"), pattern.split("/")
    return len(parts) == len(pats) and all(
        fnmatch.fnmatchcase(p, q) for p, q in zip(parts, pats, strict=True)
    )


def needed_files(
    manifest: dict[str, Any], *, every: bool = False, sources: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """The manifest entries a build needs: every data file some registered dataset reads.

    ``every=True``: every file in the manifest (documentation too). ``sources``: only those
    source folders. Works for any manifest entry: a new source needs only its manifest entry and
    its dataset's file globs (:func:`eqlib.sources.register`).
    """
    from eqlib import datacheck
    from eqlib.sources import datasets

    files = datacheck.manifest_files(manifest)
    wanted = set(sources) if sources is not None else None
    if wanted is not None:
        unknown = wanted - {entry["source"] for entry in files.values()}
        if unknown:
            raise UsageError(f"no such source in data/manifest.yml: {', '.join(sorted(unknown))}")
    globs = [pattern for dataset in datasets().values() for pattern in dataset.files]
    out = {}
    for rel, entry in files.items():
        if wanted is not None and entry["source"] not in wanted:
            continue
        if every or (entry.get("kind") == "data" and any(_matches(rel, g) for g in globs)):
            out[rel] = entry
    return out


def _hashes():
    from eqlib import store

    return store.FileHashes(paths.cache_dir())


def check_folder(folder: Path, files: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The files of ``files`` that ``folder`` lacks or holds with another checksum: path -> problem."""
    hashes = _hashes()
    problems: dict[str, str] = {}
    try:
        for rel, entry in files.items():
            target = folder / rel
            if not target.is_file():
                problems[rel] = "missing"
            elif target.stat().st_size != int(entry.get("bytes", target.stat().st_size)):
                problems[rel] = (
                    f"size differs (expected {int(entry['bytes']):,} bytes, found {target.stat().st_size:,})"
                )
            elif hashes.sha256(target) != entry["sha256"]:
                problems[rel] = f"checksum differs (expected sha256 {entry['sha256']})"
    finally:
        hashes.save()
    return problems


def _crlf_to_lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


_TRANSFORMS = {"crlf-to-lf": _crlf_to_lf}

#: a rebuild recipe: ``f(data, *, segments, name) -> [bytes of each rebuilt file, in segment order]``
Recipe = Callable[..., list[bytes]]


def recipes() -> dict[str, Recipe]:
    """``recipe`` name in data/manifest.yml -> the pure function that rebuilds the files."""
    from eqlib.sources import policeuk_reconstruct

    return {policeuk_reconstruct.RECIPE: policeuk_reconstruct.split_concatenation}


def _retrieve(url: str, known_hash: str | None, fname: str, path: str, *, rel: str, progress: bool) -> Path:
    """Download ``url`` with pooch into ``path/fname``; failures as :class:`DataError` naming ``rel``."""
    import pooch

    pooch.get_logger().setLevel(logging.WARNING)
    try:
        return Path(pooch.retrieve(url, known_hash=known_hash, fname=fname, path=path, progressbar=progress))
    except ValueError as exc:  # pooch: the downloaded bytes do not have the known hash
        raise DataError(
            f"downloaded file refused: its checksum is not the manifest's ({exc})",
            file=rel,
            value=url,
            expected=f"sha256 {known_hash.removeprefix('sha256:') if known_hash else '?'}",
        ) from None
    except Exception as exc:  # network, HTTP status
        raise DataError(
            f"download failed: {type(exc).__name__}: {exc}",
            file=rel,
            value=url,
            expected="a reachable address (or --mirror / EQLIB_DATA_DIR)",
        ) from None


def _download_one(
    rel: str, entry: dict[str, Any], folder: Path, *, mirror: str | None, progress: bool
) -> None:
    """Download one file into ``folder/rel``, verified; raise :class:`DataError` if it cannot be had."""
    expected = entry["sha256"]
    transform = None if mirror else entry.get("transform")
    url = f"{mirror.rstrip('/')}/{rel}" if mirror else entry.get("url")
    if not url:
        raise DataError(
            f"no download address ({entry.get('no_url') or 'none known'})",
            file=rel,
            expected=f"the file with sha256 {expected} in {folder / rel}: copy it there, set "
            f"EQLIB_DATA_DIR to a folder that holds it, or fetch with --mirror",
        )
    if transform is not None and transform not in _TRANSFORMS:
        raise DataError(
            f"unknown transform {transform!r} in data/manifest.yml",
            file=rel,
            expected=", ".join(sorted(_TRANSFORMS)),
        )
    target = folder / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".fetch-") as tmp:
        got = _retrieve(
            url,
            None if transform else f"sha256:{expected}",
            target.name,
            tmp,
            rel=rel,
            progress=progress,
        )
        if transform:
            got.write_bytes(_TRANSFORMS[transform](got.read_bytes()))
        from eqlib.store import sha256_file

        found = sha256_file(got)
        if found != expected:
            raise DataError(
                f"downloaded file refused: sha256 {found} is not the manifest's"
                + (f" after {transform}" if transform else ""),
                file=rel,
                value=url,
                expected=f"sha256 {expected}",
            )
        os.replace(got, target)


def _upstream_of(rel: str, entry: dict[str, Any]) -> dict[str, Any]:
    """The ``upstream_files`` item ``entry`` is derived from; :class:`DataError` if the manifest lacks it."""
    name = entry["derived_from"]
    found = [u for u in entry.get("upstream_files") or [] if u.get("name") == name]
    if len(found) != 1:
        raise DataError(
            f"derived_from {name!r} is not one upstream_files entry of its source in data/manifest.yml",
            file=rel,
            expected="an upstream_files item with that name (url, sha256, recipe, segments)",
        )
    upstream = found[0]
    if (
        upstream.get("recipe") not in recipes()
        or entry.get("recipe", upstream["recipe"]) != upstream["recipe"]
    ):
        raise DataError(
            f"unknown or inconsistent recipe {entry.get('recipe')!r} / {upstream.get('recipe')!r}",
            file=rel,
            expected="one of " + ", ".join(sorted(recipes())),
        )
    return upstream


def _rebuild(
    group: dict[str, dict[str, Any]], folder: Path, *, progress: bool
) -> tuple[list[str], list[tuple[str, str]]]:
    """Rebuild the files of ``group`` (path -> entry), all derived from one upstream file.

    Downloads the upstream file once (pooch; its sha256 checked when the manifest has one),
    applies its recipe, and keeps each rebuilt file only if its sha256 is the manifest's.
    Returns (rebuilt paths, failures as (path, why)): a failure names the file, the upstream
    address and the recipe, and nothing that failed is written.
    """
    import hashlib

    first_rel, first = next(iter(group.items()))
    upstream = _upstream_of(first_rel, first)
    url, name, recipe = upstream.get("url"), upstream["name"], upstream["recipe"]
    how = f"rebuilt from {name} by recipe {recipe}"
    if not url:
        why = f"no download address for its upstream file {name} (set EQLIB_DATA_DIR or --mirror)"
        return [], [(rel, why) for rel in group]
    source_dir = folder / first_rel.split("/", 1)[0]
    source_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=source_dir, prefix=".fetch-") as tmp:
        try:
            known = f"sha256:{upstream['sha256']}" if upstream.get("sha256") else None
            got = _retrieve(url, known, f"upstream-{name}", tmp, rel=name, progress=progress)
            parts = recipes()[recipe](got.read_bytes(), segments=int(upstream["segments"]), name=url)
        except DataError as exc:
            return [], [(rel, f"could not be {how}: {exc}") for rel in group]
        done: list[str] = []
        failed: list[tuple[str, str]] = []
        for rel, entry in group.items():
            segment = int(entry["segment"])
            if not 0 <= segment < len(parts):
                failed.append((rel, f"segment {segment} not in {name} ({len(parts)} segments)"))
                continue
            found = hashlib.sha256(parts[segment]).hexdigest()
            if found != entry["sha256"]:
                failed.append(
                    (
                        rel,
                        f"rebuilt file refused: sha256 {found} of segment {segment} {how} ({url}) "
                        f"is not the manifest's {entry['sha256']}",
                    )
                )
                continue
            part = Path(tmp) / f"part-{segment}"
            part.write_bytes(parts[segment])
            os.replace(part, folder / rel)
            done.append(rel)
    return done, failed


def fetch(
    folder: Path | str | None = None,
    *,
    every: bool = False,
    sources: Iterable[str] | None = None,
    mirror: str | None = None,
    progress: bool = True,
    root: Path | None = None,
) -> FetchReport:
    """Make ``folder`` (default :func:`eqlib.paths.raw_dir`) hold every needed file, verified.

    Files already there with the manifest's sha256 are left alone; the others are downloaded
    (``url``, or ``<mirror>/<path>``) or rebuilt from their upstream file (``derived_from``),
    checked, and only then put in place. Returns what happened;
    a file that could not be had is in ``failed`` with the reason (nothing is dropped silently).
    """
    from tqdm.auto import tqdm

    from eqlib import datacheck

    folder = Path(folder).expanduser().resolve() if folder is not None else paths.raw_dir()
    mirror = mirror or os.environ.get(MIRROR_ENV) or None
    files = needed_files(datacheck.load_manifest(root), every=every, sources=sources)
    report = FetchReport(folder)
    problems = check_folder(folder, files)
    report.present = sorted(set(files) - set(problems))
    todo = sorted(problems)
    # files with no url but a derived_from are rebuilt, one group per upstream file (unless a mirror
    # serves the final bytes); every other file is downloaded as it is
    groups: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    direct: list[str] = []
    for rel in todo:
        entry = files[rel]
        if not mirror and not entry.get("url") and entry.get("derived_from"):
            groups.setdefault((entry["source"], entry["derived_from"]), {})[rel] = entry
        else:
            direct.append(rel)
    with tqdm(total=len(todo), desc="fetching data", unit="file", disable=not progress or not todo) as bar:
        for rel in direct:
            try:
                _download_one(rel, files[rel], folder, mirror=mirror, progress=progress)
                report.downloaded.append(rel)
            except DataError as exc:
                report.failed.append((rel, str(exc)))
            bar.update(1)
        for group in groups.values():
            try:
                done, failed = _rebuild(group, folder, progress=progress)
            except DataError as exc:  # the manifest does not say how to rebuild them
                done, failed = [], [(rel, str(exc)) for rel in group]
            report.downloaded += done
            report.rebuilt += done
            report.failed += failed
            bar.update(len(group))
    report.downloaded.sort()
    report.rebuilt.sort()
    if report.downloaded:
        check_folder(folder, {rel: files[rel] for rel in report.downloaded})  # remember their hashes
    return report


def ensure_data(root: Path | None = None, *, progress: bool = True) -> Path:
    """Before a build: the data folder, with every needed file fetched and verified.

    Raises :class:`DataError` naming each file that is missing or wrong and could not be fetched.
    """
    folder = paths.raw_dir(root)
    if not paths.manifest_path(root).is_file():  # no manifest: nothing is known to be needed
        log.warning("no %s: the data files are not checked or fetched", paths.manifest_path(root))
        return folder
    report = fetch(folder, progress=progress, root=root)
    if report.downloaded:
        print(f"fetched {len(report.downloaded)} data file(s) into {folder}")
    if not report.ok:
        details = "\n  ".join(f"{path}: {why}" for path, why in report.failed)
        raise DataError(
            f"{len(report.failed)} data file(s) needed for the build are missing or wrong and "
            f"could not be fetched:\n  {details}",
            file=str(folder),
            expected="every file in data/manifest.yml (set EQLIB_DATA_DIR to a folder holding them)",
        )
    return folder


def require_data(root: Path | None = None) -> Path:
    """The data folder, if it holds every needed file verified; else :class:`DataError` naming them."""
    from eqlib import datacheck

    folder = paths.raw_dir(root)
    problems = check_folder(folder, needed_files(datacheck.load_manifest(root)))
    if problems:
        details = "\n  ".join(f"{path}: {why}" for path, why in sorted(problems.items()))
        raise DataError(
            f"{len(problems)} data file(s) needed for the build are missing or wrong:\n  {details}",
            file=str(folder),
            expected="every file in data/manifest.yml (eqlib data fetch)",
        )
    return folder


def cmd_fetch(args) -> int:
    """``eqlib data fetch [--data-dir DIR] [--all] [--source S] [--mirror URL] [--no-progress]``."""
    folder = getattr(args, "data_dir", None)
    report = fetch(
        folder,
        every=getattr(args, "all", False),
        sources=getattr(args, "source", None) or None,
        mirror=getattr(args, "mirror", None),
        progress=not getattr(args, "no_progress", False),
    )
    print(report.summary())
    if report.ok and folder is not None and Path(folder).resolve() != paths.raw_dir().resolve():
        print(f"to use it: export {paths.DATA_DIR_ENV}={Path(folder).resolve()}")
    return 0 if report.ok else 1
