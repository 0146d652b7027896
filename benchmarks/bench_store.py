"""Benchmark the parquet cache: cold build of every dataset, then warm loads.

Targets (issue 2): cold cache build <= 60 s; loading every dataset from a warm cache
<= 1 s in total.

Run: ``python benchmarks/bench_store.py`` (uses a fresh temporary cache, never the
project's own ``.eqlib-cache``). Prints the figures; exit code 1 if a target is missed or a
dataset fails to build.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLD_TARGET_S = 60.0
WARM_TARGET_S = 1.0

_WARM_CHILD = """
import sys, time
from eqlib import store
from eqlib.sources import datasets
ids = list(datasets())          # importing the source modules is not part of the load
start = time.perf_counter()
frames = store.load_many(ids)
elapsed = time.perf_counter() - start
print(f"{elapsed:.4f} {sum(len(f) for f in frames.values())}")
"""


def main() -> int:
    from eqlib import paths, store
    from eqlib.sources import datasets

    root = paths.project_root()
    ids = list(datasets())
    with tempfile.TemporaryDirectory(prefix="eqlib-bench-") as cache:
        os.environ["EQLIB_CACHE"] = cache
        print(f"project: {root}\ncache:   {cache} (fresh)\ndatasets: {len(ids)}\n")

        start = time.perf_counter()
        results = store.build_all(root)
        cold = time.perf_counter() - start
        print(store.format_report(results))
        failed = [r for r in results if r.status == "failed"]

        start = time.perf_counter()
        frames = store.load_many(ids, root=root)
        warm_same = time.perf_counter() - start
        rows = sum(len(f) for f in frames.values())

        timings = []
        for _ in range(3):
            child = subprocess.run(
                [sys.executable, "-c", _WARM_CHILD],
                capture_output=True,
                text=True,
                env={**os.environ, "EQLIB_ROOT": str(root), "EQLIB_CACHE": cache},
                check=True,
            )
            timings.append(float(child.stdout.split()[0]))
        warm_fresh = min(timings)

    print()
    print(f"cold build, every dataset:                 {cold:7.2f} s  (target <= {COLD_TARGET_S:.0f} s)")
    print(f"warm load, every dataset (same process):   {warm_same:7.3f} s  ({rows:,} rows)")
    print(
        f"warm load, every dataset (fresh process):  {warm_fresh:7.3f} s  "
        f"(best of 3, imports excluded; target <= {WARM_TARGET_S:.0f} s)"
    )
    ok = cold <= COLD_TARGET_S and warm_fresh <= WARM_TARGET_S and not failed
    if failed:
        print(f"{len(failed)} dataset(s) failed: {', '.join(r.dataset for r in failed)}")
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    sys.exit(main())
