"""Benchmark: the notebooks for one area-year, and (with --all) every area for one year on 2 cores.

    python benchmarks/bench_batch.py                # one area-year, all notebooks, and where the time goes
    python benchmarks/bench_batch.py --all --jobs 2 # + all 43 areas for the year (several minutes)
    python benchmarks/bench_batch.py --all --only-all --sample 6 --year 2022-23  # 6 areas, extrapolated

Targets: issue 5, one area-year <= 30 s wall, all 43 areas on 2 cores <= 10 min; issue 11, 15 s and
4 min. Prints the wall
times, the time per notebook, the peak memory per worker (the worker process and its kernel) and a
breakdown: kernel start and imports, data load (figures for every area, from the cache and cold),
charts (rendering and saving the PNGs), everything else (building tables and prose, papermill).

Runs in a throw-away project root (``EQLIB_ROOT``) whose data are the real data, so ``_build/`` of the
working tree is untouched.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _notebooks import run_notebooks, throwaway_project

from eqlib import areas, batch, paths


def _root(tmp: Path) -> Path:
    real = paths.project_root()
    root = throwaway_project(tmp)
    os.environ["EQLIB_ROOT"] = str(root)
    os.environ.setdefault("EQLIB_CACHE", str(paths.cache_dir(real)))
    return root


def kernel_start_and_imports() -> tuple[float, float]:
    """Seconds to start a kernel and be ready; then to import what the notebooks import."""
    from jupyter_client.manager import KernelManager

    t0 = time.perf_counter()
    km = KernelManager(kernel_name="python3")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    ready = time.perf_counter() - t0
    t1 = time.perf_counter()
    reply = kc.execute_interactive(
        "from eqlib.report import sections, narrative, figures; from eqlib import analysis", timeout=300
    )
    imports = time.perf_counter() - t1
    assert reply["content"]["status"] == "ok", reply["content"]
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    return ready, imports


def data_load(root: Path, area: str, year: str) -> dict[str, float]:
    """Figures for every area: computed cold (a fresh figure cache) and read warm; one area's context."""
    import subprocess

    code = (
        "import time,sys; from eqlib.measures import compute; t=time.perf_counter(); compute.warm(); "
        "print(time.perf_counter()-t)"
    )
    with tempfile.TemporaryDirectory() as cold_cache:
        # the parquet cache of the raw data is kept (built once; bench_store measures it); only the figures are cold
        figures_cold = Path(cold_cache)
        env = {**os.environ}
        shutil.copytree(
            paths.cache_dir(paths.project_root()),
            figures_cold / "c",
            ignore=shutil.ignore_patterns("figures"),
        )
        env["EQLIB_CACHE"] = str(figures_cold / "c")
        cold = float(
            subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            ).stdout.split()[-1]
        )
    warm = float(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()[-1]
    )
    return {"figures for every area, computed (cold)": cold, "figures for every area, from the cache": warm}


def charts(area: str, year: str) -> tuple[float, int, float]:
    """Seconds spent rendering and saving charts for one area-year, in-process; and the total builder time."""

    from eqlib.report import figures as fg

    spent = [0.0, 0]
    real_save = fg.save

    def timed_save(fig, label, *, folder="figures"):
        t = time.perf_counter()
        try:
            return real_save(fig, label, folder=folder)
        finally:
            spent[0] += time.perf_counter() - t
            spent[1] += 1

    fg.save = timed_save
    try:
        total = sum(run_notebooks(area, year).values())
    finally:
        fg.save = real_save
    return spent[0], spent[1], total


def _all_areas(args: argparse.Namespace, root: Path) -> int:
    """All 43 areas for the year on ``--jobs`` workers, or a sample of them, extrapolated."""
    slugs = [a.slug for a in areas.all_areas()]
    n_all = len(slugs)
    if args.sample and args.sample < n_all:
        step = n_all / args.sample
        slugs = [slugs[int(i * step)] for i in range(args.sample)]
    t0 = time.perf_counter()
    summary = batch.run_many(slugs, args.year, root=root, jobs=args.jobs, force=True, progress=True)
    wall = time.perf_counter() - t0
    print(summary.table().splitlines()[-1])
    print(
        f"{len(slugs)} areas, {args.jobs} workers: {wall:.0f} s wall = {wall / 60:.1f} min; "
        f"{len(summary.failed)} failed"
    )
    per_area = sorted(r.seconds for r in summary.results)
    print(f"  per area: median {per_area[len(per_area) // 2]:.1f} s, max {per_area[-1]:.1f} s")
    if len(slugs) < n_all:
        # the first area of each worker pays its kernel start and imports; later ones reuse it
        estimate = wall / len(slugs) * n_all
        print(
            f"  extrapolated to all {n_all} areas: {estimate:.0f} s = {estimate / 60:.1f} min "
            f"(wall per area x {n_all}; an estimate from a sample, target <= 4 min)"
        )
    print(
        f"  peak memory per worker: kernel {max(r.peak_kernel_mb for r in summary.results):.0f} MB, "
        f"worker process {max(r.peak_worker_mb for r in summary.results):.0f} MB"
    )
    for r in summary.failed:
        print(f"  FAILED {r.area}: {r.error[:200]}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--area", default="south-wales")
    parser.add_argument("--year", default="2021-22")
    parser.add_argument("--all", action="store_true", help="also run all 43 areas for the year")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--sample",
        type=int,
        default=0,
        help="with --all: run only N areas (spread over the list) and extrapolate to all 43",
    )
    parser.add_argument("--only-all", action="store_true", help="skip the one area-year part")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        root = _root(Path(tmp))
        print(f"eqlib batch benchmark: {args.area} {args.year}; {os.cpu_count()} cores\n")
        batch._warm(root)  # so the one-area figure is the steady state an analyst sees
        if args.only_all:
            return _all_areas(args, root)

        t0 = time.perf_counter()
        one = batch.run_one(args.area, args.year, root=root, force=True, kernel="area")
        wall = time.perf_counter() - t0
        print(
            f"one area-year, all {len(one.notebooks)} notebooks (one kernel): {wall:.1f} s wall "
            f"(target <= 30 s), status {one.status}"
        )
        for name, seconds in one.timings.items():
            print(f"  {name:<22} {seconds:6.1f} s")
        t0 = time.perf_counter()
        fresh = batch.run_one(args.area, args.year, root=root, force=True, kernel="notebook")
        print(
            f"the same with a fresh kernel per notebook (plain papermill): {time.perf_counter() - t0:.1f} s, "
            f"status {fresh.status}"
        )
        print(
            f"peak memory: kernel {one.peak_kernel_mb:.0f} MB, worker process {one.peak_worker_mb:.0f} MB\n"
        )

        ready, imports = kernel_start_and_imports()
        loads = data_load(root, args.area, args.year)
        chart_s, n_charts, builders = charts(args.area, args.year)
        print("where the time goes (one area-year):")
        print(f"  kernel start (ready)                      {ready:6.2f} s per kernel")
        print(
            f"  imports in the kernel (eqlib, pandas, scipy.stats, statsmodels, matplotlib) {imports:6.2f} s"
        )
        for what, seconds in loads.items():
            print(f"  {what:<42}{seconds:6.2f} s")
        print(f"  charts: {n_charts} PNGs rendered and saved        {chart_s:6.2f} s")
        print(f"  all section builders in-process (incl. charts) {builders:6.2f} s")
        print(
            f"  papermill and kernel round trips (the rest)    "
            f"{max(0.0, sum(one.timings.values()) - builders - imports - ready):6.2f} s\n"
        )

        if args.all:
            _all_areas(args, root)
        self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\nbenchmark process peak memory {self_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
