"""Benchmark: where the seconds of one area-year go (target, issue 11: all notebooks under 15 s).

    python benchmarks/bench_area_year.py                      # south-wales 2021-22
    python benchmarks/bench_area_year.py --area gwent --year 2022-23 --no-cli

Runs in a throw-away project root (``EQLIB_ROOT``; the real data, a copy of the notebooks and
params), so ``_build/`` and ``_site/`` of the working tree are untouched. Prints:

1. ``eqlib run --area A --year Y --force`` then ``eqlib render --area A --year Y`` as a user types
   them (subprocesses, wall time), twice: with a *cold* cache (a fresh ``EQLIB_CACHE``: the parquet
   cache of the raw data and the figures for every area are built first) and *warm* (the same
   commands again). The per-notebook times come from the run's logs.
2. A breakdown of one warm area-year, step by step, in fresh processes / in this process:
   interpreter + imports, kernel start, reading the figures for every area from the cache, the
   notebooks' code run in-process (the sections' builders), split by component with cProfile
   (matplotlib drawing and PNG writing, eqlib metrics, pandas, ...), and the rest, which is papermill
   and the kernel round trips (the warm ``eqlib run`` minus what the code itself takes).

Load on the machine changes every figure: ``uptime`` is printed before and after; repeat and take
the median (``--repeat``).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from _notebooks import run_notebooks, throwaway_project

HERE = Path(__file__).resolve().parent
TARGET_S = 15.0


def _load() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on this platform
        return "load average unknown"


def _cli(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "eqlib.cli", *args], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        print(f"  eqlib {' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}", file=sys.stderr)
    return seconds


def _notebook_times(root: Path, area: str, year: str) -> dict[str, float]:
    logs = root / "_build" / area / year / "logs"
    out = {}
    for log in sorted(logs.glob("*.log")) if logs.is_dir() else []:
        for line in log.read_text(encoding="utf-8").splitlines()[::-1]:
            if line.startswith(f"{log.stem}: ") and line.endswith(" s"):
                out[log.stem] = float(line.split()[-2])
                break
    return out


def cli_runs(root: Path, area: str, year: str, env: dict[str, str]) -> dict[str, float]:
    """``eqlib run`` and ``eqlib render`` (subprocesses): cold cache, then warm."""
    out = {}
    for state in ("cold", "warm") if not any(Path(env["EQLIB_CACHE"]).glob("*")) else ("warm", "warm"):
        out[f"eqlib run ({state} cache)"] = _cli(["run", "--area", area, "--year", year, "--force"], env)
        if state == "warm":
            out["  of which, per notebook"] = 0.0
            for name, seconds in _notebook_times(root, area, year).items():
                out[f"    {name}"] = seconds
        out[f"eqlib render ({state})"] = _cli(["render", "--area", area, "--year", year], env)
    return out


def _child_seconds(code: str, env: dict[str, str]) -> float:
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def imports(env: dict[str, str]) -> dict[str, float]:
    """A fresh interpreter: start-up alone, then what a notebook imports."""
    bare = _child_seconds("import time; print(time.perf_counter())", env)  # ~ interpreter start
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    interp = time.perf_counter() - t0
    code = (
        "import time; t=time.perf_counter(); "
        "from eqlib.report import sections, narrative, figures; from eqlib import analysis; import matplotlib.pyplot; "
        "print(time.perf_counter()-t)"
    )
    del bare
    return {
        "python start-up": interp,
        "imports (eqlib, pandas, matplotlib; statsmodels only to compute)": _child_seconds(code, env),
    }


def kernel_start() -> float:
    """Seconds until a new ipykernel answers (what papermill waits for per kernel)."""
    from jupyter_client.manager import KernelManager

    t0 = time.perf_counter()
    km = KernelManager(kernel_name="python3")
    km.start_kernel(extra_arguments=["--IPKernelApp.log_level=ERROR"])
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    ready = time.perf_counter() - t0
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    return ready


def figures_cache(env: dict[str, str]) -> dict[str, float]:
    """The figures for every area (``sections.warm_cache``): read from a warm cache, in a fresh process."""
    code = (
        "import time; from eqlib.measures import compute; t=time.perf_counter(); compute.warm(); "
        "print(time.perf_counter()-t)"
    )
    return {"figures for every area, read from the cache": _child_seconds(code, env)}


#: components for the in-process profile, matched on the source file's path (first match wins)
COMPONENTS = (
    ("matplotlib: drawing and writing PNGs", ("matplotlib", "PIL", "kiwisolver", "fontTools")),
    ("eqlib.metrics (statistics)", ("eqlib/metrics/",)),
    ("statsmodels / scipy", ("statsmodels", "scipy")),
    ("parquet / pyarrow reads", ("pyarrow", "eqlib/store.py")),
    ("pandas", ("pandas",)),
    ("numpy", ("numpy",)),
    ("eqlib report code (sections, analysis, narrative, tables, ...)", ("eqlib/",)),
    ("IPython display, nbformat, other", ("",)),
)


def _component(filename: str) -> str:
    for name, needles in COMPONENTS:
        if any(n in filename for n in needles):
            return name
    return COMPONENTS[-1][0]


def in_process(area: str, year: str) -> tuple[float, dict[str, float], dict[str, float], list[str]]:
    """Run every notebook's code cells in this process (as the kernel does), profiled.

    Returns the total, seconds per component (own time of the functions in it), seconds per notebook
    and the ten functions with the most cumulative time outside matplotlib.
    """
    profile = cProfile.Profile()

    @contextlib.contextmanager
    def profiled():
        profile.enable()
        try:
            yield
        finally:
            profile.disable()

    per_notebook = run_notebooks(area, year, around=profiled)
    stats = pstats.Stats(profile)
    by_component: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_component[_component(filename)] += tottime
    top = []
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])  # type: ignore[attr-defined]
    for (filename, line, func), (_, _, _, cum, _) in rows:
        if "/eqlib/" in filename and "<" not in func:
            top.append(f"{cum:6.2f} s  {Path(filename).name}:{line} {func}")
        if len(top) >= 15:
            break
    return sum(per_notebook.values()), dict(by_component), per_notebook, top


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--area", default="south-wales")
    parser.add_argument("--year", default="2021-22")
    parser.add_argument("--no-cli", action="store_true", help="skip the eqlib run/render subprocesses")
    parser.add_argument("--repeat", type=int, default=1, help="warm in-process runs (median)")
    parser.add_argument("--no-profile", action="store_true", help="skip the in-process profile")
    parser.add_argument(
        "--cache", help="EQLIB_CACHE folder to use and keep (default: a fresh one, so the first run is cold)"
    )
    args = parser.parse_args(argv)

    from eqlib import paths

    real_cache = paths.cache_dir(paths.project_root())
    print(f"eqlib one area-year benchmark: {args.area} {args.year}; {os.cpu_count()} cores; {_load()}\n")
    with tempfile.TemporaryDirectory(prefix="eqlib-bench-") as tmp:
        root = throwaway_project(Path(tmp))
        cache = Path(args.cache) if args.cache else Path(tmp) / "cache"
        env = {**os.environ, "EQLIB_ROOT": str(root), "EQLIB_CACHE": str(cache), "PYTHONWARNINGS": "ignore"}
        results: dict[str, float] = {}
        if not args.no_cli:
            results.update(cli_runs(root, args.area, args.year, env))
        else:  # build the cache once so the steps below read a warm one
            os.environ.update({"EQLIB_ROOT": str(root), "EQLIB_CACHE": str(real_cache)})
            env["EQLIB_CACHE"] = str(real_cache)
        for name, seconds in results.items():
            print(f"{name:<58} {seconds:6.1f} s" if seconds else name)
        print("\nsteps of one warm area-year:")
        steps = {**imports(env), "kernel start (until it answers)": kernel_start(), **figures_cache(env)}
        for name, seconds in steps.items():
            print(f"  {name:<58} {seconds:6.2f} s")
        os.environ.update({"EQLIB_ROOT": str(root), "EQLIB_CACHE": env["EQLIB_CACHE"]})
        if args.no_profile:
            print(f"\n{_load()}")
            return 0
        # the code unprofiled first (cProfile doubles it): what "the rest" of the warm run is measured against
        plain = sorted(sum(run_notebooks(args.area, args.year).values()) for _ in range(max(1, args.repeat)))
        code_s = plain[len(plain) // 2]
        print(f"  notebooks' code in-process (unprofiled, median of {len(plain)})      {code_s:6.2f} s")
        runs = [in_process(args.area, args.year) for _ in range(max(1, args.repeat))]
        total, components, per_notebook, top = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
        print(f"  the same, profiled ({total:.2f} s): shares by component")
        for name, seconds in sorted(components.items(), key=lambda kv: -kv[1]):
            print(f"    {name:<56} {seconds:6.2f} s")
        print("    per notebook: " + ", ".join(f"{k} {v:.1f}" for k, v in per_notebook.items()))
        if "eqlib run (warm cache)" in results:
            rest = results["eqlib run (warm cache)"] - code_s - steps["kernel start (until it answers)"]
            rest -= steps["imports (eqlib, pandas, matplotlib; statsmodels only to compute)"]
            rest -= steps["figures for every area, read from the cache"]
            print(
                f"  papermill, kernel round trips, imports in the kernel (the rest) {max(rest, 0.0):6.2f} s"
            )
            verdict = "met" if results["eqlib run (warm cache)"] < TARGET_S else "NOT met"
            print(
                f"\nwarm eqlib run: {results['eqlib run (warm cache)']:.1f} s (target < {TARGET_S:.0f} s: {verdict})"
            )
        print("\neqlib functions with the most time (cumulative, profiled):")
        for line in top:
            print("  " + line)
    print(f"\n{_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
