"""Benchmark: render one area-year, both formats (target: <= 20 s).

Usage::

    python benchmarks/bench_render.py                      # the default report, if executed
    python benchmarks/bench_render.py --area gwent --year 2021-22
    python benchmarks/bench_render.py --fixture            # the test fixture notebooks

Renders the executed notebooks in ``_build/<area>/<year>/`` (run ``eqlib run`` first) through
the chosen engine, ``--repeat`` times, and prints the wall time of each stage (preprocess +
checks, HTML, PDF) and of the whole render, plus output sizes. With ``--fixture`` (or when the
build folder is missing) it renders the test fixture set in a temporary project instead, so
the benchmark always runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 20.0


def _fixture_root() -> Path:
    spec = importlib.util.spec_from_file_location(
        "render_fixture", ROOT / "tests" / "data" / "render" / "fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    root = Path(tempfile.mkdtemp(prefix="eqlib-bench-render-"))
    module.write_fixture(root / "_build" / "south-wales" / "2021-22")
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--area", default="south-wales")
    parser.add_argument("--year", default="2021-22")
    parser.add_argument("--engine", default="fallback", choices=("auto", "quarto", "fallback"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fixture", action="store_true", help="render the test fixture notebooks")
    args = parser.parse_args(argv)

    from eqlib import paths
    from eqlib.report import fallback
    from eqlib.report.render import CHAPTERS, render, report_metadata

    root = paths.project_root()
    folder = paths.build_dir(root) / args.area / args.year
    label = f"{args.area} {args.year}"
    if args.fixture or not (folder / "00_overview.ipynb").is_file():
        if not args.fixture:
            print(
                f"{folder} has no executed notebooks: benchmarking the test fixture instead", file=sys.stderr
            )
        root, label = _fixture_root(), "test fixture (south-wales 2021-22)"
        folder = paths.build_dir(root) / "south-wales" / "2021-22"
        args.area, args.year = "south-wales", "2021-22"

    totals = []
    for i in range(args.repeat):
        start = time.perf_counter()
        result = render(args.area, args.year, engine=args.engine, root=root)
        totals.append(time.perf_counter() - start)
        print(f"run {i + 1}: {totals[-1]:.2f} s ({result.engine_used})")
    if result.engine_used == "fallback":  # stage timings of one more run
        from eqlib import areas
        from eqlib.batch import normalise_year

        meta = report_metadata(areas.resolve(args.area), normalise_year(args.year), root=root)
        t0 = time.perf_counter()
        doc = fallback.build_document(folder, CHAPTERS, meta)
        t1 = time.perf_counter()
        fallback.write_html(doc, Path(tempfile.mkdtemp()) / "index.html")
        t2 = time.perf_counter()
        fallback.write_pdf(doc, Path(tempfile.mkdtemp()) / "report.pdf")
        t3 = time.perf_counter()
        print(
            f"stages: notebooks -> checked document {t1 - t0:.2f} s; HTML {t2 - t1:.2f} s; PDF {t3 - t2:.2f} s"
        )
    median = statistics.median(totals)
    print(
        f"{label}: render (HTML + PDF) median {median:.2f} s over {len(totals)} run(s); "
        f"HTML {result.html.stat().st_size / 1e3:.0f} kB, PDF {result.pdf.stat().st_size / 1e3:.0f} kB; "
        f"target <= {TARGET_SECONDS:.0f} s: {'met' if median <= TARGET_SECONDS else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
