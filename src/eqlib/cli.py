"""The ``eqlib`` command line.

Each subcommand parses its arguments here and hands them to the module that does the work;
modules are imported lazily so that ``eqlib --help`` is fast.

Exit codes: 0 success; 1 a job failed (e.g. one area of a batch); 2 bad parameters or bad input.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from eqlib import __version__
from eqlib.errors import EqlibError, UsageError

# subcommand -> (module, function); the function takes the argparse namespace and returns an exit code
_HANDLERS: dict[str, tuple[str, str]] = {
    "data check": ("eqlib.datacheck", "cmd_check"),
    "data validate": ("eqlib.sources.local", "cmd_validate"),
    "data build-cache": ("eqlib.store", "cmd_build_cache"),
    "tables": ("eqlib.tables", "cmd_tables"),
    "framework validate": ("eqlib.framework.cli", "cmd_validate"),
    "run": ("eqlib.batch", "cmd_run"),
    "render": ("eqlib.render", "cmd_render"),
    "build": ("eqlib.render", "cmd_build"),
}


def _add_area_year(parser: argparse.ArgumentParser, *, allow_all: bool) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--area", action="append",
                       help="force area: slug (south-wales), ONS code (W15000003) or name; repeat for several")
    if allow_all:
        group.add_argument("--all", action="store_true", help="every one of the 43 force areas")
    parser.add_argument("--year", required=True, help="financial year, e.g. 2021-22 (or 2021 for 2021/22)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eqlib", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"eqlib {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress (rows in and out)")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="the shipped data: check, validate local files, build the cache")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    check = data_sub.add_parser("check", help="verify checksums against data/manifest.yml; print coverage")
    check.add_argument("--area", help="show coverage for one area only")
    validate = data_sub.add_parser("validate", help="validate an analyst's local CSV against its template")
    validate.add_argument("file", help="the CSV file to check")
    validate.add_argument("--template", help="template name (default: from the file's header)")
    build_cache = data_sub.add_parser("build-cache", help="parse every raw file into the parquet cache")
    build_cache.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")

    tables = sub.add_parser("tables", help="write every figure for an area and year as CSV and ODS")
    tables.add_argument("--area", required=True)
    tables.add_argument("--year", required=True)
    tables.add_argument("--out", required=True, help="output folder")
    tables.add_argument("--threshold", type=int, default=None, help="small-number suppression threshold")

    fw = sub.add_parser("framework", help="the APCC Equality Framework: validate a self-assessment")
    fw_sub = fw.add_subparsers(dest="framework_command", required=True)
    fw_validate = fw_sub.add_parser("validate", help="validate a params YAML file")
    fw_validate.add_argument("file")

    run = sub.add_parser("run", help="execute the notebooks with papermill into _build/<area>/<year>/")
    _add_area_year(run, allow_all=True)
    run.add_argument("--jobs", type=int, default=None, help="parallel workers (default: cores)")
    run.add_argument("--force", action="store_true", help="re-run even if inputs are unchanged")
    run.add_argument("--threshold", type=int, default=None, help="small-number suppression threshold")
    run.add_argument("--params", default=None, help="params YAML (default: params/<area>-<year>.yml)")
    run.add_argument("--kernel", choices=("worker", "area", "notebook"), default="worker",
                     help="share a kernel per worker (fastest), per area-year, or use a fresh one per notebook")

    render = sub.add_parser("render", help="render executed notebooks to HTML and PDF in _site/")
    _add_area_year(render, allow_all=True)
    render.add_argument("--engine", choices=("auto", "quarto", "fallback"), default="auto")

    build = sub.add_parser("build", help="run + render (+ tables): the published report")
    _add_area_year(build, allow_all=True)
    build.add_argument("--engine", choices=("auto", "quarto", "fallback"), default="auto")
    build.add_argument("--jobs", type=int, default=None)
    build.add_argument("--force", action="store_true")
    build.add_argument("--threshold", type=int, default=None)
    build.add_argument("--allow-example", action="store_true",
                       help="build even if the params file is marked 'example: true' (every page then says so)")
    return parser


def refuse_example_params(args: argparse.Namespace) -> None:
    """``eqlib build`` publishes: a params file marked ``example: true`` (illustrative self-assessment and
    objectives) is refused unless ``--allow-example`` is given (UsageError, exit 2, naming the file)."""
    if getattr(args, "allow_example", False):
        return
    from eqlib import areas as areas_mod
    from eqlib import batch, paths

    root = paths.project_root()
    period = batch.normalise_year(args.year)
    names = [a.slug for a in areas_mod.all_areas()] if getattr(args, "all", False) else list(args.area or [])
    for name in names:
        area = batch.resolve_area(name)
        path = batch.resolve_params_file(area, period, None, root)
        if path is not None and batch.read_params(path).get("example") is True:
            raise UsageError(f"{path}: this params file is marked 'example: true' (its self-assessment and "
                             f"objectives are illustrative, not the OPCC's assessment), so 'eqlib build' will not "
                             f"publish {area.name} {period.display} from it. Replace them with the OPCC's own and "
                             "remove 'example: true', or add --allow-example to build it anyway (every page is "
                             "then marked as an example).")


def _handler_key(args: argparse.Namespace) -> str:
    for attr in ("data_command", "framework_command"):
        value = getattr(args, attr, None)
        if value:
            return f"{args.command} {value}"
    return args.command


def check_out_dir(out: str) -> Path:
    """``--out`` as a folder that exists or can be made; UsageError (exit 2) if it, or a parent, is a file."""
    path = Path(out)
    for part in (path, *path.parents):
        if part.exists() and not part.is_dir():
            what = "is a file" if part == path else f"is inside {str(part)!r}, which is a file"
            raise UsageError(f"--out {str(out)[:200]!r} {what}; expected a folder (it is made if missing)")
        if part.is_dir():
            break
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    module_name, func_name = _HANDLERS[_handler_key(args)]
    try:
        if args.command == "build":
            refuse_example_params(args)
        if getattr(args, "out", None) is not None:
            check_out_dir(args.out)  # before the (slow) imports: a bad --out fails at once
        handler = getattr(importlib.import_module(module_name), func_name)
        return int(handler(args) or 0)
    except UsageError as exc:
        print(f"eqlib: error: {exc}", file=sys.stderr)
        return 2
    except EqlibError as exc:
        print(f"eqlib: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
