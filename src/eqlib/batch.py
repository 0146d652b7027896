"""Run the notebooks with papermill for one or many areas and a year: ``eqlib run`` (and ``eqlib build``,
which then renders what ran through :mod:`eqlib.report.render`).

Every notebook in ``notebooks/`` is executed for an area and year into
``_build/<area-slug>/<year>/<notebook>.ipynb`` with the kernel's working directory set to that
folder (so figures land in ``_build/<slug>/<year>/figures/``).

- **Atomic**: an area-year is written into a temporary folder under ``_build/.tmp/`` and moved
  into place only when every notebook succeeded, so ``_build/<slug>/<year>/`` is always either a
  complete run or absent (or the previous complete run). A failed run is kept for inspection
  in ``_build/.failed/<slug>/<year>/`` (the executed notebooks show the failing cell) with its logs.
- **Parallel**: one worker process per area-year (:class:`concurrent.futures.ProcessPoolExecutor`,
  ``jobs`` workers, default the number of cores); one area's failure does not stop the others.
- **Skips unchanged work**: the inputs (data checksums from ``data/manifest.yml``, the params
  file, the notebooks, eqlib's version and source files, the parameters) are hashed into
  ``.inputs.json``; a re-run with the same hash does nothing unless ``force``.
- **Post-processing** of each executed notebook: the kernel-reset cell is removed, the ``injected-parameters`` cell is tagged
  ``remove-cell``; the kernelspec is normalised to ``python3`` (with ``language: python``);
  volatile metadata (timestamps, durations, temporary paths) is removed, so two runs on the same
  inputs give byte-identical notebooks.
- **Logs**: ``logs/<notebook>.log`` per notebook (cell outputs, timings, the error if any).

Bad parameters raise :class:`eqlib.errors.UsageError` before anything is written (the CLI
exits 2): an unknown area (with the closest matches), a year the data do not cover at all, a
params file that is not valid YAML, a negative suppression threshold.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import resource
import shutil
import sys
import time
import traceback
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eqlib import __version__, paths
from eqlib import areas as areas_mod
from eqlib import periods as periods_mod
from eqlib.config import (  # noqa: F401 - parameter resolution, part of this module's API
    DEFAULT_THRESHOLD,
    check_params_match,
    check_threshold,
    normalise_year,
    read_params,
    resolve_area,
    resolve_params_file,
)
from eqlib.errors import UsageError
from eqlib.measures import compute

log = logging.getLogger(__name__)

KERNEL_NAME = "python3"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
TMP_DIR = ".tmp"
FAILED_DIR = ".failed"
INPUTS_FILE = ".inputs.json"
#: how kernels are shared: one per worker process (fastest), one per area-year, or one per notebook
KERNEL_MODES = ("worker", "area", "notebook")

__all__ = [
    "Job",
    "Result",
    "Summary",
    "normalise_year",
    "resolve_params_file",
    "read_params",
    "data_periods",
    "year_has_data",
    "plan",
    "inputs_digest",
    "run_job",
    "run_one",
    "run_many",
    "postprocess_notebook",
    "notebook_paths",
    "cmd_run",
]


# --------------------------------------------------------------------------- parameters: eqlib.config


_INTERNAL_DATASETS = ("stop_search_policeuk_records", "stop_search_policeuk_coverage")


def data_periods(root: Path | None = None) -> dict[str, tuple[periods_mod.date, periods_mod.date]]:
    """Each registered dataset's span: (earliest period start, latest period end), over all areas.

    Read from the parquet cache (:func:`eqlib.store.load`), so the first call after a data change
    builds the cache.
    """
    from eqlib import sources, store

    spans: dict[str, tuple[periods_mod.date, periods_mod.date]] = {}
    for dataset_id in sources.datasets():
        if dataset_id in _INTERNAL_DATASETS:
            continue
        frame = store.load(dataset_id, root=root)
        if frame.empty or "period_start" not in frame.columns:
            continue
        spans[dataset_id] = (pd_date(frame["period_start"].min()), pd_date(frame["period_end"].max()))
    return spans


def pd_date(value: Any) -> periods_mod.date:
    import pandas as pd

    return pd.Timestamp(value).date()


def year_has_data(period: periods_mod.Period, root: Path | None = None) -> bool:
    """True if any dataset has a period overlapping ``period`` (for any area).

    Snapshots (a census day, a workforce count "as at") are not a year's data: only datasets with
    periods of a month or longer count.
    """
    for start, end in data_periods(root).values():
        if start <= period.end and end >= period.start and end > start:
            return True
    return False


def _year_error(period: periods_mod.Period, root: Path) -> UsageError:
    spans = [s for s in data_periods(root).values() if s[1] > s[0]]
    if not spans:
        return UsageError(
            f"--year {period.label}: no dataset is registered, so there is no data for any year"
        )
    first = min(s[0] for s in spans)
    last = max(s[1] for s in spans)
    return UsageError(
        f"--year {period.label}: no dataset has figures for {period.display}; the data cover "
        f"{first:%B %Y} to {last:%B %Y} (see `eqlib data check` for coverage by dataset)"
    )


# --------------------------------------------------------------------------- jobs
@dataclass(frozen=True)
class Job:
    """One area-year to execute."""

    area_slug: str
    area_name: str
    area_code: str
    year: str  # financial-year label, e.g. 2021-22
    root: str
    params_file: str | None
    threshold: int
    force: bool = False
    notebooks: tuple[str, ...] = ()
    kernel: str = "area"  # "worker": one kernel per worker process; "area": per area-year; "notebook": fresh

    @property
    def output_dir(self) -> Path:
        return paths.build_dir(Path(self.root)) / self.area_slug / self.year


@dataclass
class Result:
    """The outcome of one area-year: ``ok``, ``skipped`` (inputs unchanged) or ``failed``."""

    area: str
    area_name: str
    year: str
    status: str
    seconds: float = 0.0
    output: str = ""
    notebooks: list[str] = field(default_factory=list)
    error: str = ""
    failed_notebooks: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    peak_worker_mb: float = 0.0
    peak_kernel_mb: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "skipped")


@dataclass
class Summary:
    """Every result of a batch, with a printable table."""

    results: list[Result]
    seconds: float = 0.0
    jobs: int = 1

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def table(self) -> str:
        head = ("area", "year", "status", "seconds", "peak MB", "detail")
        rows = []
        for r in sorted(self.results, key=lambda r: (r.status != "failed", r.area)):
            detail = r.error.splitlines()[0][:100] if r.error else r.output
            rows.append((r.area, r.year, r.status, f"{r.seconds:.1f}", f"{r.peak_kernel_mb:.0f}", detail))
        widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
        lines = [
            "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)),
            "  ".join("-" * w for w in widths),
        ]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
        counts = {s: sum(r.status == s for r in self.results) for s in ("ok", "skipped", "failed")}
        lines.append(
            f"{len(self.results)} area-year(s): {counts['ok']} ran, {counts['skipped']} skipped "
            f"(inputs unchanged), {counts['failed']} failed; {self.seconds:.1f} s with {self.jobs} "
            f"worker(s)"
        )
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps([asdict(r) for r in self.results], indent=1)


def notebook_paths(root: Path | None = None, names: Sequence[str] | None = None) -> list[Path]:
    """The notebooks to run: every ``notebooks/*.ipynb`` not starting with ``_``, in name order."""
    folder = paths.notebooks_dir(root)
    found = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith(("_", ".")))
    if names:
        wanted = {n.removesuffix(".ipynb") for n in names}
        found = [p for p in found if p.stem in wanted]
        missing = wanted - {p.stem for p in found}
        if missing:
            raise UsageError(f"no notebook(s) {sorted(missing)} in {folder}")
    if not found:
        raise UsageError(f"no notebooks found in {folder}")
    return found


def plan(
    areas: Iterable[str],
    year: str | int,
    *,
    root: Path | str | None = None,
    params_file: str | Path | None = None,
    threshold: int | None = None,
    force: bool = False,
    notebooks: Sequence[str] | None = None,
    kernel: str = "area",
    rejected: list[Result] | None = None,
) -> list[Job]:
    """Validate every parameter and return the jobs; raises :class:`UsageError` before any work.

    With ``rejected`` (a list) and more than one area, an area whose params file is invalid is not
    fatal: it is added to ``rejected`` as a failed :class:`Result` with the message, and the other
    areas are planned (a batch survives one bad area). Bad command-line parameters still raise.
    """
    if kernel not in KERNEL_MODES:
        raise UsageError(f"--kernel {kernel!r}: expected one of {', '.join(KERNEL_MODES)}")
    root = Path(root).resolve() if root is not None else paths.project_root()
    threshold = check_threshold(threshold)
    period = normalise_year(year)
    names = tuple(p.stem for p in notebook_paths(root, notebooks))
    jobs: list[Job] = []
    seen: set[str] = set()
    resolved = []
    for name in areas:
        area = resolve_area(name)
        if area.slug not in seen:
            seen.add(area.slug)
            resolved.append(area)
    batch = rejected is not None and len(resolved) > 1
    from eqlib import preflight

    preflight.verify_raw_files(root)  # the raw files match data/manifest.yml (sha256) before any use
    for area in resolved:
        pfile = resolve_params_file(area, period, params_file, root)
        try:
            params = read_params(pfile)
            check_params_match(pfile, params, area, period)
            # the analyst's local files: a bad one is exit 2 (as eqlib data validate), not a failed notebook
            for notice in preflight.check_local_data(pfile, params, area, period):
                log.warning(notice)
        except UsageError as exc:
            if not batch:
                raise
            assert rejected is not None
            rejected.append(
                Result(area.slug, area.name, period.label, "failed", error=f"invalid params: {exc}")
            )
            continue
        job_threshold = threshold
        if job_threshold is None:
            job_threshold = params.get("threshold", params.get("suppression_threshold", DEFAULT_THRESHOLD))
        jobs.append(
            Job(
                area.slug,
                area.name,
                area.code,
                period.label,
                str(root),
                str(pfile) if pfile else None,
                int(job_threshold),
                force,
                names,
                kernel,
            )
        )
    # after the params (a bad params file is reported at once, before the data are read)
    if not year_has_data(period, root):
        raise _year_error(period, root)
    if not jobs and not (rejected if batch else None):
        raise UsageError("no areas given: use --area (repeatable) or --all")
    return jobs


# --------------------------------------------------------------------------- input hashing
def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _package_digest() -> str:
    """Hash of eqlib's own source and data files (a code change re-runs the notebooks)."""
    package = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if (
            path.is_file()
            and path.suffix in {".py", ".yml", ".yaml", ".csv", ".json"}
            and "__pycache__" not in path.parts
        ):
            h.update(str(path.relative_to(package)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def inputs_digest(job: Job) -> dict[str, Any]:
    """What a run depends on, and its combined sha256 (stored in ``.inputs.json``)."""
    root = Path(job.root)
    manifest = paths.manifest_path(root)
    parts: dict[str, Any] = {
        "eqlib_version": __version__,
        "eqlib_source": _package_digest(),
        "data_manifest": _sha256_file(manifest) if manifest.is_file() else None,
        "params_file": job.params_file,
        "params": _sha256_file(Path(job.params_file)) if job.params_file else None,
        "notebooks": {
            name: _sha256_file(paths.notebooks_dir(root) / f"{name}.ipynb") for name in job.notebooks
        },
        "parameters": {"area": job.area_slug, "year": job.year, "threshold": job.threshold},
    }
    parts["digest"] = _sha256_bytes(json.dumps(parts, sort_keys=True).encode())
    return parts


def _up_to_date(job: Job, digest: dict[str, Any]) -> bool:
    out = job.output_dir
    stored = out / INPUTS_FILE
    if not stored.is_file():
        return False
    try:
        previous = json.loads(stored.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return previous.get("digest") == digest["digest"] and all(
        (out / f"{name}.ipynb").is_file() for name in job.notebooks
    )


# --------------------------------------------------------------------------- post-processing
_VOLATILE_CELL_KEYS = ("execution",)
#: the tag of the cell that resets a shared kernel before a notebook (:meth:`_SharedKernel.reset_cell`)
RESET_TAG = "eqlib-kernel-reset"
_VOLATILE_PAPERMILL_KEYS = ("start_time", "end_time", "duration", "input_path", "output_path")


def postprocess_notebook(path: Path) -> None:
    """Tag the injected-parameters cell ``remove-cell``, normalise the kernelspec, drop volatile metadata."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if RESET_TAG not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            cell["id"] = "injected-parameters"  # papermill gives it a random id
            if "remove-cell" not in tags:
                cell.metadata["tags"] = [*tags, "remove-cell"]
        for key in _VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        pm = cell.metadata.get("papermill")
        if isinstance(pm, dict):
            for key in ("start_time", "end_time", "duration"):
                pm.pop(key, None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    language_info = nb.metadata.get("language_info")
    if isinstance(language_info, dict):
        language_info["name"] = "python"
    else:
        nb.metadata["language_info"] = {"name": "python"}
    pm = nb.metadata.get("papermill")
    if isinstance(pm, dict):
        for key in _VOLATILE_PAPERMILL_KEYS:
            pm.pop(key, None)
        pm.pop("environment_variables", None)
    nbformat.write(nb, path)


# --------------------------------------------------------------------------- execution
def _peak_mb() -> tuple[float, float]:
    """(this process, its largest finished child = a kernel) peak resident memory in MB (Linux: KB units)."""
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024  # macOS reports bytes
    return self_kb / divisor, child_kb / divisor


class _SharedKernel:
    """One Python kernel for all the notebooks of an area-year.

    Starting a kernel and importing pandas, scipy.stats, statsmodels and matplotlib costs several
    seconds; the seven notebooks of an area-year share one kernel instead, and before each notebook
    its namespace is cleared (``%reset -f``), its working directory set to the output folder and its
    execution counter reset, so each notebook runs as it would in a fresh kernel (imported modules
    stay loaded; nbval checks every notebook in a kernel of its own). A kernel that died is replaced.
    """

    def __init__(self, cwd: Path):
        from jupyter_client.manager import KernelManager

        self.cwd = cwd
        self.km = KernelManager(kernel_name=KERNEL_NAME)
        self.km.start_kernel(cwd=str(cwd), extra_arguments=self.ARGUMENTS)

    #: no history database: resetting the execution counter must not collide with earlier entries;
    #: kernel log level ERROR: no "Kernel is running over TCP without encryption" on every start
    #: (the kernel listens on 127.0.0.1 only; cell errors still reach the notebook and its log)
    ARGUMENTS = ["--HistoryManager.enabled=False", "--IPKernelApp.log_level=ERROR"]

    def prepare(self, cwd: Path) -> None:
        """A kernel that died is replaced (the next notebook's reset cell then runs in the new one)."""
        if not self.km.is_alive():
            self.km.start_kernel(cwd=str(cwd), extra_arguments=self.ARGUMENTS)

    @staticmethod
    def reset_cell(cwd: Path) -> Any:
        """The first cell of every notebook run in a shared kernel: a cleared namespace, ``cwd`` as the
        working folder, the execution counter back at 1 for the notebook's first cell.

        It runs through papermill's own client: a reset through a client of its own cost a second
        client per notebook, about 0.25 s each (``wait_for_ready`` waits for its channels to connect).
        :func:`postprocess_notebook` removes it from the executed notebook.
        """
        from nbformat.v4 import new_code_cell

        code = (
            "get_ipython().run_line_magic('reset', '-f')\n"
            f"import os as _os; _os.chdir({str(cwd)!r}); del _os\n"
            "get_ipython().execution_count = 1\n"
        )
        return new_code_cell(code, metadata={"tags": [RESET_TAG]}, id=RESET_TAG)

    def peak_mb(self) -> float:
        """The kernel's peak resident memory so far (Linux ``VmHWM``), in MB; 0 where unknown."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        pid = getattr(process, "pid", None)
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except (OSError, ValueError, TypeError):
            pass
        return 0.0

    def close(self) -> None:
        # now=True: the kernel has nothing to flush (papermill saved the notebooks, the charts were
        # written by their cells); a polite shutdown waited 2-3 s for it at the end of every run
        if self.km.has_kernel:
            self.km.shutdown_kernel(now=True)


#: the kernel each worker process reuses across its area-years (kernel="worker"); closed at process exit
_WORKER_KERNELS: dict[int, _SharedKernel] = {}


def _worker_kernel(cwd: Path) -> _SharedKernel:
    """This process's reusable kernel: imports are paid once per worker, not once per area."""
    import multiprocessing.util

    kernel = _WORKER_KERNELS.get(os.getpid())
    if kernel is None or not kernel.km.is_alive():
        kernel = _SharedKernel(cwd)
        _WORKER_KERNELS[os.getpid()] = kernel
        multiprocessing.util.Finalize(kernel, kernel.close, exitpriority=10)
    return kernel


def close_worker_kernel() -> None:
    """Shut down this process's reusable kernel (run_many calls it when it ran jobs in-process)."""
    kernel = _WORKER_KERNELS.pop(os.getpid(), None)
    if kernel is not None:
        kernel.close()


def _papermill():
    """``import papermill``, without the RFC 3987 grammars (speed, issue 11).

    papermill imports nbformat, which imports jsonschema, whose format checkers import the optional
    ``rfc3987_syntax`` if installed (it comes with jupyter-events): it compiles 38 Lark grammars at
    import, 2-7 s in every ``eqlib run`` and every worker. Notebooks have no "iri" formats to check,
    so where jsonschema is not yet imported the optional module is marked absent (jsonschema then
    leaves that format unchecked, as on a machine without it).
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
    import papermill

    return papermill


def _execute_notebook(
    src: Path,
    out: Path,
    parameters: dict[str, Any],
    cwd: Path,
    log_file: Path,
    kernel: _SharedKernel | None = None,
) -> None:
    """papermill one notebook, its cell outputs and timings logged to ``log_file``."""
    pm = _papermill()

    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    pm_logger = logging.getLogger("papermill")
    old_level, old_propagate = pm_logger.level, pm_logger.propagate
    pm_logger.addHandler(handler)
    pm_logger.setLevel(logging.INFO)
    pm_logger.propagate = False  # cell output goes to the notebook's log, not the console
    extra: dict[str, Any] = {}
    notebook: Any = str(src)
    if kernel is not None:
        kernel.prepare(cwd)
        extra["km"] = kernel.km
        import nbformat

        notebook = nbformat.read(src, as_version=4)
        notebook.cells.insert(0, kernel.reset_cell(cwd))
    else:
        extra["extra_arguments"] = ["--IPKernelApp.log_level=ERROR"]  # no TCP-encryption warning
    try:
        pm.execute_notebook(
            notebook,
            str(out),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            cwd=str(cwd),
            progress_bar=False,
            log_output=True,
            request_save_on_cell_execute=False,
            start_timeout=120,
            execution_timeout=900,
            **extra,
        )
    finally:
        pm_logger.removeHandler(handler)
        pm_logger.setLevel(old_level)
        pm_logger.propagate = old_propagate
        handler.close()


def _replace_dir(src: Path, dest: Path) -> None:
    """Move ``src`` to ``dest``, replacing any previous ``dest`` (renames within one file system)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if dest.exists():
        old = dest.parent / f".old-{dest.name}-{uuid.uuid4().hex[:8]}"
        dest.rename(old)
    src.rename(dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def run_job(job: Job, digest: dict[str, Any] | None = None) -> Result:
    """Execute every notebook of one area-year (in this process); never raises for a notebook failure.

    ``digest`` is the job's :func:`inputs_digest` taken when the batch was planned (computed here if
    not given), so a file edited while a batch runs is caught by the next run, not half-way through.
    """
    start = time.perf_counter()
    result = Result(job.area_slug, job.area_name, job.year, "failed", output=str(job.output_dir))
    tmp: Path | None = None
    try:
        digest = digest or inputs_digest(job)
        if not job.force and _up_to_date(job, digest):
            result.status = "skipped"
            result.notebooks = list(job.notebooks)
            return result
        root = Path(job.root)
        build = paths.build_dir(root)
        tmp = build / TMP_DIR / f"{job.area_slug}-{job.year}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        (tmp / "logs").mkdir(parents=True)
        parameters = {
            "area": job.area_slug,
            "year": job.year,
            "params_file": job.params_file,
            "data_dir": str(paths.data_dir(root)),
            "threshold": job.threshold,
        }
        errors = []
        kernel = (
            _worker_kernel(tmp)
            if job.kernel == "worker"
            else _SharedKernel(tmp)
            if job.kernel == "area"
            else None
        )
        try:
            _run_notebooks(job, root, tmp, parameters, kernel, result, errors)
        finally:
            if kernel is not None:
                result.peak_kernel_mb = round(kernel.peak_mb(), 1)
            if kernel is not None and (job.kernel == "area" or errors):
                kernel.close()  # a kernel that saw a failure is not reused
                _WORKER_KERNELS.pop(os.getpid(), None)
        if errors:
            result.error = "; ".join(errors)
            failed_dest = build / FAILED_DIR / job.area_slug / job.year
            _replace_dir(tmp, failed_dest)
            tmp = None
            result.output = str(failed_dest)
        else:
            (tmp / INPUTS_FILE).write_text(
                json.dumps(digest, indent=1, sort_keys=True) + "\n", encoding="utf-8"
            )
            _replace_dir(tmp, job.output_dir)
            tmp = None
            shutil.rmtree(build / FAILED_DIR / job.area_slug / job.year, ignore_errors=True)
            result.status = "ok"
    except Exception as exc:  # noqa: BLE001 - the batch reports it and carries on with other areas
        result.status = "failed"
        result.error = f"{type(exc).__name__}: {exc}"
        log.debug("run_job %s %s failed", job.area_slug, job.year, exc_info=True)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        result.seconds = round(time.perf_counter() - start, 2)
        worker_mb, children_mb = _peak_mb()
        result.peak_worker_mb = round(worker_mb, 1)
        result.peak_kernel_mb = max(result.peak_kernel_mb, round(children_mb, 1))
    return result


def _warm(root: Path) -> None:
    """Compute every measure for all areas once, before the workers start (they then read it from disk).

    A failure here is logged, not raised: each notebook that needs the measure then fails with the
    error in its own log, and the other areas carry on.
    """
    t0 = time.perf_counter()
    try:
        compute.warm(root)
    except Exception:  # noqa: BLE001 - reported per notebook instead
        log.warning(
            "computing the figures for every area failed; each notebook will report it", exc_info=True
        )
    log.info("figures for every area ready in %.1f s", time.perf_counter() - t0)


def _run_notebooks(
    job: Job,
    root: Path,
    tmp: Path,
    parameters: dict[str, Any],
    kernel: _SharedKernel | None,
    result: Result,
    errors: list[str],
) -> None:
    """Execute each notebook of the job into ``tmp``; a failure is recorded and the next notebook runs."""
    for name in job.notebooks:
        t0 = time.perf_counter()
        src = paths.notebooks_dir(root) / f"{name}.ipynb"
        out = tmp / f"{name}.ipynb"
        log_file = tmp / "logs" / f"{name}.log"
        try:
            _execute_notebook(src, out, parameters, tmp, log_file, kernel)
            postprocess_notebook(out)
            result.notebooks.append(name)
        except Exception as exc:  # noqa: BLE001 - one notebook's failure is recorded, not raised
            message = _describe_error(exc)
            errors.append(f"{name}: {message}")
            result.failed_notebooks.append(name)
            if out.exists():  # the failed notebook, kept for inspection, shows only its own cells
                with contextlib.suppress(Exception):
                    postprocess_notebook(out)
            with log_file.open("a", encoding="utf-8") as fh:
                fh.write(f"\nFAILED {name}: {message}\n{traceback.format_exc()}\n")
        result.timings[name] = round(time.perf_counter() - t0, 3)
        with log_file.open("a", encoding="utf-8") as fh:
            fh.write(f"{name}: {result.timings[name]:.2f} s\n")


def _describe_error(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename:  # papermill's PapermillExecutionError: the kernel's exception
        evalue = str(getattr(exc, "evalue", "")).strip().splitlines()
        cell = getattr(exc, "exec_count", None)
        return f"{ename}: {evalue[0] if evalue else ''}" + (f" (cell {cell})" if cell else "")
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"


def run_one(
    area: str,
    year: str | int,
    *,
    root: Path | str | None = None,
    params_file: str | Path | None = None,
    threshold: int | None = None,
    force: bool = False,
    notebooks: Sequence[str] | None = None,
    kernel: str = "area",
) -> Result:
    """Execute every notebook for one area and year into ``_build/<slug>/<year>/``.

    Parameters are validated first (:class:`UsageError`); a notebook failure gives a ``failed``
    result rather than an exception.
    """
    (job,) = plan(
        [area],
        year,
        root=root,
        params_file=params_file,
        threshold=threshold,
        force=force,
        notebooks=notebooks,
        kernel=kernel,
    )
    return run_job(job)


def run_many(
    areas: Iterable[str],
    year: str | int,
    *,
    jobs: int | None = None,
    force: bool = False,
    threshold: int | None = None,
    params_file: str | Path | None = None,
    root: Path | str | None = None,
    notebooks: Sequence[str] | None = None,
    progress: bool = True,
    kernel: str = "worker",
) -> Summary:
    """Execute the notebooks for many areas and one year in parallel (one worker per area-year).

    ``kernel="worker"`` (the default) lets each worker process reuse one kernel across its
    area-years (namespace cleared before every notebook); ``"area"`` starts one per area-year and
    ``"notebook"`` a fresh kernel for every notebook, as plain papermill does.
    """
    rejected: list[Result] = []
    planned = plan(
        areas,
        year,
        root=root,
        params_file=params_file,
        threshold=threshold,
        force=force,
        notebooks=notebooks,
        kernel=kernel,
        rejected=rejected,
    )
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs {jobs}: expected 1 or more")
    if not planned:
        return Summary(rejected, 0.0, 1)
    workers = min(jobs or os.cpu_count() or 1, len(planned))
    start = time.perf_counter()
    digests = {job.area_slug: inputs_digest(job) for job in planned}
    pending = [job for job in planned if job.force or not _up_to_date(job, digests[job.area_slug])]
    if pending:
        _warm(Path(planned[0].root))
    results: list[Result] = []
    from tqdm import tqdm

    bar = tqdm(
        total=len(planned),
        desc=f"eqlib run {planned[0].year}",
        unit="area",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    try:
        if workers == 1:
            try:
                for job in planned:
                    bar.set_postfix_str(job.area_slug)
                    results.append(run_job(job, digests[job.area_slug]))
                    bar.update(1)
            finally:
                close_worker_kernel()
        else:
            import multiprocessing

            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                futures = {pool.submit(run_job, job, digests[job.area_slug]): job for job in planned}
                for future in as_completed(futures):
                    job = futures[future]
                    try:
                        results.append(future.result())
                    except Exception as exc:  # noqa: BLE001 - a worker crash fails its area only
                        results.append(
                            Result(
                                job.area_slug,
                                job.area_name,
                                job.year,
                                "failed",
                                error=f"worker crashed: {type(exc).__name__}: {exc}",
                            )
                        )
                    bar.set_postfix_str(job.area_slug)
                    bar.update(1)
    finally:
        bar.close()
    order = {job.area_slug: i for i, job in enumerate(planned)}
    results.sort(key=lambda r: order.get(r.area, 0))
    return Summary([*rejected, *results], round(time.perf_counter() - start, 2), workers)


def cmd_run(args: Any) -> int:
    """``eqlib run --area X [--area Y] | --all --year Y [--jobs N] [--force] [--threshold T] [--params F]``."""
    if getattr(args, "all", False):
        names = [a.slug for a in areas_mod.all_areas()]
    else:
        names = list(args.area or [])
    summary = run_many(
        names,
        args.year,
        jobs=getattr(args, "jobs", None),
        force=getattr(args, "force", False),
        threshold=getattr(args, "threshold", None),
        params_file=getattr(args, "params", None),
        kernel=getattr(args, "kernel", None) or "worker",
    )
    print(summary.table())
    for r in summary.failed:
        where = f"\n  logs and executed notebooks: {r.output}/logs/" if r.output else ""
        print(f"\n{r.area} {r.year} failed: {r.error}{where}", file=sys.stderr)
    return summary.exit_code


def cmd_build(args: Any) -> int:
    """``eqlib build``: run the notebooks, render each area that ran, write its tables, index the year."""
    from eqlib.report.render import (
        area_names,
        build_many,
        check_engine,
        national_funnel_png,
        render_national_index,
    )

    names = area_names(args)
    period = periods_mod.normalise_year(args.year)
    check_engine(getattr(args, "engine", "auto"))
    jobs = getattr(args, "jobs", None)
    threshold = getattr(args, "threshold", None)
    summary = run_many(
        names, period.label, jobs=jobs, force=getattr(args, "force", False), threshold=threshold
    )
    print(summary.table())
    for failed in summary.failed:
        print(f"{failed.area} {failed.year}: notebooks failed: {failed.error}", file=sys.stderr)
    root = paths.project_root()
    ran = [r.area for r in summary.results if r.ok]
    outcomes = build_many(
        ran, period.label, engine=getattr(args, "engine", "auto"), root=root, jobs=jobs, threshold=threshold
    )
    for outcome in outcomes:
        if outcome.error:
            print(f"{outcome.area} {outcome.year}: {outcome.error}", file=sys.stderr)
        if outcome.html:
            print(
                f"{outcome.area} {outcome.year}: {outcome.html}\n  PDF: {outcome.pdf}\n"
                f"  tables: {outcome.tables}\n  engine: {outcome.engine_used}"
            )
    funnel = national_funnel_png(period, root)
    index = render_national_index(
        period.label,
        root=root,
        funnel_png=funnel[0] if funnel else None,
        funnel_alt=funnel[1] if funnel else None,
        funnel_caption=funnel[2] if funnel else None,
        funnel_text=funnel[3] if funnel else None,
    )
    print(f"National index: {index}")
    if len(ran) == 1 and outcomes[0].html:
        print(f"\nThe report: {outcomes[0].html}")
    return 1 if summary.failed or any(o.error for o in outcomes) else 0
