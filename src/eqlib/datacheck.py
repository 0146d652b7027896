"""The shipped data: manifest, checksums, coverage, and what exists for an area and year.

The data folder is :func:`eqlib.paths.raw_dir` (``EQLIB_DATA_DIR``, else the project's
``data/raw``, else the user cache that ``eqlib data fetch`` fills; see :mod:`eqlib.fetch`).

- :func:`build_manifest` walks the data folder and (re)computes every file's sha256 and size,
  keeping the hand-written source descriptions (publisher, title, licence, attribution,
  period, coverage, provenance) of an existing ``data/manifest.yml``. Run it when a raw
  file is added; the YAML is committed and checked by hand.
- :func:`verify_checksums` compares the data folder with the manifest: every file listed,
  present, with the listed size and sha256; in the project's own ``data/raw``, every file
  present is listed.
- :func:`coverage` gives a dataset x area x period table of rows and records.
- :func:`available` and :func:`latest_period` answer "does this dataset have data for this
  area and year?" and "what is the latest period on or before this one?" ("latest
  available: 2019/20").
- :func:`cmd_check` is ``eqlib data check [--area X]``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from eqlib import areas, paths, periods
from eqlib.errors import UsageError

OGL_ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."
ONS_ATTRIBUTION = "Source: Office for National Statistics licensed under the Open Government Licence v3.0"
MANIFEST_VERSION = 1
_DOC_NAMES = {"SOURCE.txt", "README.md", "README.txt"}


# --------------------------------------------------------------------------- manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def raw_files(root: Path | None = None) -> list[str]:
    """Every file ``<source>/<file>`` in the data folder (:func:`eqlib.paths.raw_dir`), sorted.

    Only that layout counts: a README at the top of a shared data folder or a sub-folder of
    someone's derived files inside a source folder is not one of the data files.
    """
    raw = paths.raw_dir(root)
    if not raw.is_dir():
        return []
    return sorted(
        p.relative_to(raw).as_posix()
        for p in raw.glob("*/*")
        if p.is_file() and not p.name.startswith(".") and not p.parent.name.startswith(".")
    )


def _provenance_from_source_txt(text: str) -> str:
    """The PROVENANCE paragraph of a SOURCE.txt (the line and its indented continuation)."""
    lines = text.splitlines()
    out: list[str] = []
    for i, line in enumerate(lines):
        if line.startswith("PROVENANCE"):
            out.append(line.split(":", 1)[1].strip())
            for follow in lines[i + 1 :]:
                if follow.startswith((" ", "\t")):
                    out.append(follow.strip())
                else:
                    break
    return " ".join(out)


def load_manifest(root: Path | None = None) -> dict[str, Any]:
    """The parsed ``data/manifest.yml``."""
    path = paths.manifest_path(root)
    # the C loader when PyYAML has it: the manifest is ours (not analyst input) and 7x faster to read
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # noqa: S506 (a safe loader)


def build_manifest(
    root: Path | None = None, *, previous: dict[str, Any] | None = None, sources: Iterable[str] | None = None
) -> dict[str, Any]:
    """Compute the manifest for the data folder: sources with their files' sha256 and bytes.

    Source-level descriptions come from ``previous`` (default: the current manifest, if
    any); a new source folder gets its ``provenance`` from its SOURCE.txt and ``TODO``
    placeholders for the fields that must be written by hand (and its files ``url: null``
    until someone writes the download address in). Every other field is kept as written: a
    source's ``upstream_files`` and a file's ``derived_from``/``recipe``/``segment`` (how
    :mod:`eqlib.fetch` rebuilds a file no address serves). ``sources``: only those source folders
    (a shared data folder may hold more than the project uses).
    """
    raw = paths.raw_dir(root)
    if previous is None:
        try:
            previous = load_manifest(root)
        except FileNotFoundError:
            previous = {}
    old_sources: dict[str, Any] = (previous or {}).get("sources", {}) or {}
    sources_filter = sources
    sources: dict[str, Any] = {}
    wanted = set(sources_filter) if sources_filter is not None else None
    for rel in raw_files(root):
        folder = rel.split("/", 1)[0]
        if wanted is not None and folder not in wanted:
            continue
        if folder not in sources:
            entry = dict(old_sources.get(folder, {}))
            entry.pop("files", None)
            if not entry:
                source_txt = raw / folder / "SOURCE.txt"
                text = source_txt.read_text(encoding="utf-8") if source_txt.is_file() else ""
                entry = {
                    "publisher": "TODO",
                    "title": "TODO",
                    "licence": "Open Government Licence v3.0",
                    "attribution": OGL_ATTRIBUTION,
                    "period": "TODO",
                    "coverage": "TODO",
                    "provenance": _provenance_from_source_txt(text),
                }
            entry["files"] = []
            sources[folder] = entry
        path = raw / rel
        old_files = {f["path"]: f for f in old_sources.get(folder, {}).get("files", []) or []}
        file_entry = {k: v for k, v in old_files.get(rel, {}).items() if k not in ("sha256", "bytes", "path")}
        name = rel.rsplit("/", 1)[-1]
        file_entry.setdefault("kind", "documentation" if name in _DOC_NAMES else "data")
        file_entry.setdefault("url", None)
        sources[folder]["files"].append(
            {"path": rel, "sha256": _sha256(path), "bytes": path.stat().st_size, **file_entry}
        )
    return {
        "manifest_version": MANIFEST_VERSION,
        "attribution": {"ogl": OGL_ATTRIBUTION, "ons": ONS_ATTRIBUTION},
        "sources": sources,
    }


def write_manifest(manifest: dict[str, Any], root: Path | None = None) -> Path:
    """Write the manifest YAML (keys in the order given) to ``data/manifest.yml``."""
    path = paths.manifest_path(root)
    header = (
        "# data/manifest.yml: every official data file eqlib reads, with its source, licence, checksum\n"
        "# and download url (null, with the reason in no_url, where none serves the bytes). The files\n"
        "# are not in git: `eqlib data fetch` downloads them into the data folder (EQLIB_DATA_DIR, else\n"
        "# the user cache) and checks every sha256; `eqlib data check` verifies a folder. Refresh\n"
        "# checksums with eqlib.datacheck.build_manifest + write_manifest; the descriptions, upstream\n"
        "# notes and urls are written and checked by hand (tools/manifest_urls.py added the urls).\n"
    )
    text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(header + text, encoding="utf-8")
    return path


def manifest_files(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Flatten the manifest: relative path -> file entry merged with its source's fields."""
    out: dict[str, dict[str, Any]] = {}
    for folder, source in (manifest.get("sources") or {}).items():
        shared = {k: v for k, v in source.items() if k != "files"}
        for entry in source.get("files") or []:
            out[entry["path"]] = {"source": folder, **shared, **entry}
    return out


@dataclass(frozen=True)
class ChecksumProblem:
    """One disagreement between ``data/raw`` and the manifest."""

    path: str
    problem: str  # "missing", "not in manifest", "size differs", "checksum differs"
    expected: str = ""
    found: str = ""

    def __str__(self) -> str:
        detail = f" (expected {self.expected}, found {self.found})" if self.expected or self.found else ""
        return f"{self.path}: {self.problem}{detail}"


def _optional(entry: dict[str, Any]) -> bool:
    """A documentation file no address serves (a SOURCE.txt): not needed to build, so may be absent."""
    return entry.get("kind") == "documentation" and not entry.get("url")


def verify_checksums(root: Path | None = None, *, strict: bool | None = None) -> list[ChecksumProblem]:
    """Compare the data folder with ``data/manifest.yml``; return the problems (none = OK).

    Every listed file must be present with its size and sha256 (a documentation file with no
    download address may be absent). ``strict`` (default: when the folder is the project's own
    ``data/raw``): every file present must be listed, too; a shared or cache folder may hold more.
    """
    raw = paths.raw_dir(root)
    if strict is None:
        strict = paths.is_project_raw_dir(raw, root)
    listed = manifest_files(load_manifest(root))
    present = set(raw_files(root))
    problems: list[ChecksumProblem] = []
    for rel in sorted(set(listed) | present):
        if rel not in present:
            if not _optional(listed[rel]):
                problems.append(ChecksumProblem(rel, "missing", "listed in the manifest", "no such file"))
            continue
        if rel not in listed:
            if not strict:
                continue
            problems.append(ChecksumProblem(rel, "not in manifest", "an entry in data/manifest.yml", "none"))
            continue
        entry = listed[rel]
        size = (raw / rel).stat().st_size
        if "bytes" in entry and int(entry["bytes"]) != size:
            problems.append(
                ChecksumProblem(rel, "size differs", f"{int(entry['bytes']):,} bytes", f"{size:,} bytes")
            )
            continue
        digest = _sha256(raw / rel)
        if digest != entry.get("sha256"):
            problems.append(ChecksumProblem(rel, "checksum differs", str(entry.get("sha256")), digest))
    return problems


# --------------------------------------------------------------------------- coverage


def _as_period(period: periods.Period | str | int) -> periods.Period:
    return period if isinstance(period, periods.Period) else periods.parse(period)


#: columns that hold a figure; a row "has data" if any of those it has is not missing
FIGURE_COLUMNS = ("count", "rate", "value", "percentage", "proportion", "denominator")


def _with_data(frame: pd.DataFrame) -> pd.Series:
    """Rows that hold a figure: some figure column (count, rate ...) not missing.

    A record-level frame (no figure column) counts every row.
    """
    present = [c for c in FIGURE_COLUMNS if c in frame.columns]
    if not present:
        return pd.Series(True, index=frame.index)
    return frame[present].notna().any(axis=1)


def _period_labels(frame: pd.DataFrame) -> pd.Series:
    """The period label of each row: ``period``, else ``month``, else the ISO start date."""
    for column in ("period", "month"):
        if column in frame.columns:
            return frame[column].astype(str)
    return frame["period_start"].dt.strftime("%Y-%m-%d")


def coverage_of(frame: pd.DataFrame, *, dataset: str | None = None) -> pd.DataFrame:
    """Pure: the coverage table of one dataset frame (see :func:`coverage`).

    Needs ``area_code``, ``period_start`` and ``period_end``; the label comes from
    ``period`` (or ``month``, or the start date). ``records`` is the sum of ``count`` where
    the frame has one, else the number of rows (a record-level frame).
    """
    needed = {"area_code", "period_start", "period_end"}
    if not needed <= set(frame.columns):
        missing = ", ".join(sorted(needed - set(frame.columns)))
        raise ValueError(f"{dataset or 'frame'}: no {missing} column(s); cannot compute coverage")
    work = pd.DataFrame(
        {
            "area_code": frame["area_code"],
            "area_name": frame["area_name"] if "area_name" in frame.columns else "",
            "period": _period_labels(frame),
            "period_start": frame["period_start"],
            "period_end": frame["period_end"],
            "with_data": _with_data(frame),
            "records": frame["count"].fillna(0) if "count" in frame.columns else 1.0,
        },
        index=frame.index,
    )
    out = work.groupby(["area_code", "period"], as_index=False, sort=False).agg(
        area_name=("area_name", "first"),
        period_start=("period_start", "min"),
        period_end=("period_end", "max"),
        rows=("with_data", "size"),
        rows_with_data=("with_data", "sum"),
        records=("records", "sum"),
    )
    out.insert(
        0,
        "dataset",
        dataset
        if dataset is not None
        else (str(frame["dataset"].iloc[0]) if "dataset" in frame.columns and len(frame) else ""),
    )
    out["rows_with_data"] = out["rows_with_data"].astype(int)
    out["records"] = out["records"].astype(float)
    columns = [
        "dataset",
        "area_code",
        "area_name",
        "period",
        "period_start",
        "period_end",
        "rows",
        "rows_with_data",
        "records",
    ]
    return (
        out[columns]
        .sort_values(["area_code", "period_start", "period"], kind="stable")
        .reset_index(drop=True)
    )


def coverage(
    root: Path | None = None, *, dataset_ids: list[str] | None = None, area: str | None = None
) -> pd.DataFrame:
    """Dataset x area x period: rows, rows with a figure, and records (the sum of ``count``).

    Columns ``dataset``, ``area_code``, ``area_name``, ``period``, ``period_start``,
    ``period_end``, ``rows``, ``rows_with_data``, ``records``. ``records`` sums whatever the
    dataset counts (searches, people, officers, or rows of a record-level frame). A dataset
    that fails to load is left out here; :func:`cmd_check` reports it.
    """
    from eqlib import store
    from eqlib.sources import datasets

    ids = dataset_ids if dataset_ids is not None else list(datasets())
    code = areas.resolve(area).code if area else None
    parts = []
    for dataset_id in ids:
        frame = store.load(dataset_id, root=root)
        if code is not None:
            frame = frame[frame["area_code"] == code]
        parts.append(coverage_of(frame, dataset=dataset_id))
    if not parts:
        return coverage_of(
            pd.DataFrame(columns=["area_code", "period", "period_start", "period_end"]), dataset=""
        )
    return pd.concat(parts, ignore_index=True)


def _area_rows(frame: pd.DataFrame, area_code: str) -> pd.DataFrame:
    code = areas.resolve(area_code).code
    rows = frame[frame["area_code"] == code]
    return rows[_with_data(rows)]


def available(
    dataset_id: str,
    area_code: str,
    period: periods.Period | str | int,
    *,
    root: Path | None = None,
    frame: pd.DataFrame | None = None,
) -> bool:
    """Does ``dataset_id`` hold a figure for ``area_code`` within ``period``?

    True if some row for the area has a non-missing count and its period lies within
    ``period`` (a financial year contains its months and its 31 March snapshot), or has
    exactly ``period``'s label. ``area_code`` may be a code, name or slug. Pass ``frame``
    (the dataset's frame) to avoid loading it again.
    """
    p = _as_period(period)
    data = frame if frame is not None else _load(dataset_id, root)
    rows = _area_rows(data, area_code)
    if rows.empty:
        return False
    start, end = pd.Timestamp(p.start), pd.Timestamp(p.end)
    inside = (rows["period_start"] >= start) & (rows["period_end"] <= end)
    return bool(inside.any() or (_period_labels(rows) == p.label).any())


def latest_period(
    dataset_id: str,
    area_code: str,
    on_or_before: periods.Period | str | int | None = None,
    *,
    root: Path | None = None,
    frame: pd.DataFrame | None = None,
) -> str | None:
    """The label of the latest period with a figure for the area, ending on or before ``on_or_before``.

    Returns the dataset's own label (``2019-20``, ``2018``, ``2019-03-31``; show it with
    :func:`eqlib.periods.parse` and ``.display``) or ``None`` if the dataset has nothing for
    the area by then. Without ``on_or_before``, the latest period of all.
    """
    data = frame if frame is not None else _load(dataset_id, root)
    rows = _area_rows(data, area_code)
    if on_or_before is not None:
        end = pd.Timestamp(_as_period(on_or_before).end)
        rows = rows[rows["period_end"] <= end]
    if rows.empty:
        return None
    order = rows.sort_values(["period_end", "period_start"], kind="stable")
    return str(_period_labels(order).iloc[-1])


def _load(dataset_id: str, root: Path | None) -> pd.DataFrame:
    from eqlib import store

    return store.load(dataset_id, root=root)


# --------------------------------------------------------------------------- the command


def _fy_label(day: pd.Timestamp) -> str:
    return periods.financial_year_of(date(day.year, day.month, day.day)).label


def coverage_matrix(table: pd.DataFrame, *, area: str | None = None) -> pd.DataFrame:
    """Pure: a dataset x financial-year matrix from a :func:`coverage` table, for printing.

    Periods are placed in the financial year (April to March) holding their start date
    (a snapshot "as at 31 March 2019" is in 2018-19). For one area (``area`` given) a cell
    is ``Y`` (figures), ``x`` (rows, but every figure missing or suppressed) or ``.``
    (nothing). Across areas a cell is the number of the 43 force areas with figures, with
    ``+EW`` when there is an England and Wales figure too.
    """
    if table.empty:
        return pd.DataFrame()
    work = table.copy()
    work["fy"] = work["period_start"].map(_fy_label)
    years = sorted(work["fy"].unique())
    forces = {a.code for a in areas.all_areas()}
    cells: dict[str, dict[str, str]] = {}
    for dataset, rows in work.groupby("dataset", sort=True):
        row: dict[str, str] = {}
        for fy in years:
            sub = rows[rows["fy"] == fy]
            if area is not None:
                row[fy] = "Y" if sub["rows_with_data"].sum() else ("x" if len(sub) else ".")
            else:
                with_data = sub[sub["rows_with_data"] > 0]
                n = with_data.loc[with_data["area_code"].isin(forces), "area_code"].nunique()
                national = (with_data["area_code"] == areas.ENGLAND_AND_WALES_CODE).any()
                text = str(int(n)) if n else ""
                if national:
                    text = f"{text}+EW" if text else "EW"
                row[fy] = text or "."
        cells[str(dataset)] = row
    matrix = pd.DataFrame.from_dict(cells, orient="index")[years]
    matrix.index.name = "dataset"
    return matrix


def _format_matrix(matrix: pd.DataFrame) -> str:
    if matrix.empty:
        return "(no data)"
    # Short column headers: 2019-20 -> 19/20
    headers = {c: f"{c[2:4]}/{c[5:7]}" for c in matrix.columns}
    name_width = max(len(str(i)) for i in matrix.index)
    widths = {c: max(len(headers[c]), *(len(v) for v in matrix[c])) for c in matrix.columns}
    lines = [" " * name_width + "  " + " ".join(headers[c].rjust(widths[c]) for c in matrix.columns)]
    for dataset, row in matrix.iterrows():
        lines.append(
            str(dataset).ljust(name_width) + "  " + " ".join(row[c].rjust(widths[c]) for c in matrix.columns)
        )
    return "\n".join(lines)


def cmd_check(args) -> int:
    """``eqlib data check [--area X]``: checksums, then the coverage matrix.

    Exit code 1 if any file's checksum (or presence) disagrees with the manifest, or a
    dataset cannot be loaded; 0 otherwise.
    """
    from eqlib import store
    from eqlib.sources import datasets

    root_arg = getattr(args, "root", None)
    root = Path(root_arg) if root_arg else None
    area = getattr(args, "area", None)
    try:
        area_obj = areas.resolve(area) if area else None
    except areas.UnknownAreaError as exc:
        raise UsageError(str(exc)) from None
    status = 0

    try:
        problems = verify_checksums(root)
    except FileNotFoundError:
        print(f"Checksums: no manifest at {paths.manifest_path(root)}")
        return 1
    raw = paths.raw_dir(root)
    listed = manifest_files(load_manifest(root))
    n_files = len(set(raw_files(root)) & set(listed))
    where = "data/raw" if paths.is_project_raw_dir(raw, root) else str(raw)
    if problems:
        status = 1
        print(f"Checksums: {len(problems)} problem(s) in {n_files} files under {raw}:")
        for problem in problems:
            print(f"  {problem}")
        print("  (eqlib data fetch downloads missing or wrong files; EQLIB_DATA_DIR chooses the folder)")
    else:
        print(f"Checksums: all {n_files} files under {where} match data/manifest.yml")

    parts, failures, not_shown = [], [], []
    for dataset_id in datasets():
        try:
            frame = store.load(dataset_id, root=root)
        except Exception as exc:  # report every dataset, then fail
            failures.append((dataset_id, f"{type(exc).__name__}: {exc}"))
            continue
        if area_obj is not None and "area_code" in frame.columns:
            frame = frame[frame["area_code"] == area_obj.code]
        try:
            parts.append(coverage_of(frame, dataset=dataset_id))
        except ValueError as exc:
            not_shown.append((dataset_id, str(exc)))
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    print()
    if area_obj is not None:
        print(
            f"Coverage for {area_obj.name} ({area_obj.code}) by financial year "
            "(Y = figures, x = only missing/suppressed cells, . = nothing):"
        )
    else:
        print(
            "Coverage by financial year: number of the 43 force areas with figures "
            "(+EW = England and Wales figure too; . = nothing). Use --area for one area."
        )
    print(
        "Each period sits in the financial year (April-March) holding its start date: "
        "a census day or a 31 March snapshot falls in the year it ends."
    )
    matrix = coverage_matrix(table, area=area)
    if area_obj is not None and not matrix.empty:
        # list datasets with nothing at all for the area, too
        for dataset_id in datasets():
            if dataset_id not in matrix.index and dataset_id not in dict(failures) | dict(not_shown):
                matrix.loc[dataset_id] = "."
        matrix = matrix.sort_index()
    print(_format_matrix(matrix))
    if not_shown:
        print()
        for _dataset_id, why in not_shown:
            print(f"  not shown: {why}")
    if failures:
        status = 1
        print()
        print(f"{len(failures)} dataset(s) failed to load:")
        for dataset_id, error in failures:
            print(f"  {dataset_id}: {error}")
    return status
