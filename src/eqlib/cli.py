"""The eqlib command line.

Each subcommand parses its arguments here and hands them to the module that does the work;
modules are imported lazily so that ``eqlib --help`` is fast.

Exit codes: 0 success; 1 a job failed (e.g. one area of a batch); 2 bad parameters or bad input.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from eqlib import __version__, periods
from eqlib.errors import EqlibError, UsageError
from eqlib.paths import check_out_dir

# subcommand -> (module, function); the function takes the argparse namespace and returns an exit code
_HANDLERS: dict[str, tuple[str, str]] = {
    "data check": ("eqlib.datacheck", "cmd_check"),
    "data fetch": ("eqlib.fetch", "cmd_fetch"),
    "data validate": ("eqlib.sources.local", "cmd_validate"),
    "data build-cache": ("eqlib.store", "cmd_build_cache"),
    "tables": ("eqlib.report.tables", "cmd_tables"),
    "framework validate": ("eqlib.framework.cli", "cmd_validate"),
    "run": ("eqlib.batch", "cmd_run"),
    "render": ("eqlib.report.render", "cmd_render"),
    "build": ("eqlib.batch", "cmd_build"),
}


DESCRIPTION = "Equality information for Police and Crime Commissioners, from official police data."
EPILOG = """\
data folder: the official data files are read from EQLIB_DATA_DIR if set, else data/raw in the
project if present, else the user cache folder; 'eqlib data fetch' downloads them (and 'eqlib build'
fetches what is missing).

exit codes: 0 done; 1 a job failed (e.g. one area of a batch); 2 bad parameters or bad input."""

AREA_HELP = "force area: slug (south-wales), ONS code (W15000003) or name; repeat for several"
YEAR_HELP = "financial year: 2021-22, 2021/22 or 2021 (the year starting then)"
THRESHOLD_HELP = "small-number suppression threshold (default: params/defaults.yml, 5)"
ENGINE_HELP = "render path: quarto if on PATH else pandoc + Typst (auto), or force one"
DATA_DIR_HELP = (
    "folder holding the official data files (default: EQLIB_DATA_DIR, else data/raw, else the user cache)"
)


def _add_area_year(parser: argparse.ArgumentParser, *, allow_all: bool) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--area", action="append", help=AREA_HELP)
    if allow_all:
        group.add_argument("--all", action="store_true", help="every one of the 43 force areas")
    parser.add_argument("--year", required=True, help=YEAR_HELP)


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eqlib", description=DESCRIPTION, epilog=EPILOG, formatter_class=_formatter
    )
    parser.add_argument("--version", action="version", version=f"eqlib {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress (rows in and out)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    def add(subparsers, name: str, help: str) -> argparse.ArgumentParser:
        description = textwrap.fill(help[:1].upper() + help[1:] + ".", width=88)
        return subparsers.add_parser(name, help=help, description=description, formatter_class=_formatter)

    data = add(sub, "data", "the official data: fetch, check, validate local files, build the cache")
    data_sub = data.add_subparsers(dest="data_command", required=True, metavar="command")
    fetch = add(
        data_sub,
        "fetch",
        "download the data files a build needs into the data folder (rebuilding those "
        "data/manifest.yml derives from an upstream file), verifying every sha256; files "
        "already there and verified are kept",
    )
    fetch.add_argument("--data-dir", help=DATA_DIR_HELP)
    fetch.add_argument(
        "--all",
        action="store_true",
        help="every file in data/manifest.yml (default: the data files the datasets read)",
    )
    fetch.add_argument(
        "--source", action="append", help="only this source folder of data/manifest.yml; repeat for several"
    )
    fetch.add_argument(
        "--mirror",
        help="fetch <MIRROR>/<source>/<file> instead of each file's url "
        "(a copy of the data folder over HTTP, final bytes, nothing rebuilt; "
        "default: EQLIB_DATA_MIRROR)",
    )
    fetch.add_argument("--no-progress", action="store_true", help="no progress bars")
    check = add(data_sub, "check", "verify checksums against data/manifest.yml; print coverage")
    check.add_argument("--area", help="show coverage for one area only")
    validate = add(data_sub, "validate", "validate an analyst's local CSV against its template")
    validate.add_argument("file", help="the CSV file to check, or a folder of them (local_data_dir)")
    validate.add_argument("--template", help="template name (default: from the file's header)")
    validate.add_argument("--area", help="the area reported on: rows for other areas are listed as warnings")
    build_cache = add(data_sub, "build-cache", "parse every data file into the parquet cache")
    build_cache.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")

    tables = add(sub, "tables", "write every figure for an area and year as CSV and ODS")
    tables.add_argument(
        "--area", required=True, help="force area (slug, ONS code or name) or england-and-wales"
    )
    tables.add_argument("--year", required=True, help=YEAR_HELP)
    tables.add_argument("--out", required=True, help="output folder")
    tables.add_argument("--threshold", type=int, default=None, help=THRESHOLD_HELP)

    fw = add(sub, "framework", "the APCC Equality Framework: validate a self-assessment")
    fw_sub = fw.add_subparsers(dest="framework_command", required=True, metavar="command")
    fw_validate = add(fw_sub, "validate", "validate a params YAML file (self-assessment and objectives)")
    fw_validate.add_argument("file", help="the params YAML file, e.g. params/south-wales-2021-22.yml")

    run = add(sub, "run", "execute the notebooks with papermill into _build/<area>/<year>/")
    _add_area_year(run, allow_all=True)
    run.add_argument("--jobs", type=int, default=None, help="parallel workers (default: cores)")
    run.add_argument("--force", action="store_true", help="re-run even if inputs are unchanged")
    run.add_argument("--threshold", type=int, default=None, help=THRESHOLD_HELP)
    run.add_argument("--params", default=None, help="params YAML (default: params/<area>-<year>.yml)")
    run.add_argument(
        "--kernel",
        choices=("worker", "area", "notebook"),
        default="worker",
        help="share a kernel per worker (fastest), per area-year, or use a fresh one per notebook",
    )
    run.add_argument("--data-dir", help=DATA_DIR_HELP)

    render = add(sub, "render", "render executed notebooks to HTML and PDF in _site/<area>/<year>/")
    _add_area_year(render, allow_all=True)
    render.add_argument("--engine", choices=("auto", "quarto", "fallback"), default="auto", help=ENGINE_HELP)

    build = add(sub, "build", "fetch missing data, run + render (+ tables): the published report")
    _add_area_year(build, allow_all=True)
    build.add_argument("--engine", choices=("auto", "quarto", "fallback"), default="auto", help=ENGINE_HELP)
    build.add_argument("--jobs", type=int, default=None, help="parallel workers (default: cores)")
    build.add_argument(
        "--force", action="store_true", help="re-run the notebooks even if inputs are unchanged"
    )
    build.add_argument("--threshold", type=int, default=None, help=THRESHOLD_HELP)
    build.add_argument("--data-dir", help=DATA_DIR_HELP)
    build.add_argument(
        "--no-fetch", action="store_true", help="do not download missing data files (fail instead)"
    )
    build.add_argument(
        "--allow-example",
        action="store_true",
        help="build even if the params file is marked 'example: true' (every page then says so)",
    )
    return parser


def refuse_example_params(args: argparse.Namespace) -> None:
    """``eqlib build`` publishes: a params file marked ``example: true`` (illustrative self-assessment and
    objectives) is refused unless ``--allow-example`` is given (UsageError, exit 2, naming the file)."""
    if getattr(args, "allow_example", False):
        return
    from eqlib import areas as areas_mod
    from eqlib import config, paths

    root = paths.project_root()
    period = config.normalise_year(args.year)
    names = [a.slug for a in areas_mod.all_areas()] if getattr(args, "all", False) else list(args.area or [])
    for name in names:
        area = config.resolve_area(name)
        path = config.resolve_params_file(area, period, None, root)
        if path is not None and config.is_example(config.read_params(path)):
            raise UsageError(
                f"{path}: this params file is marked 'example: true' (its self-assessment and "
                f"objectives are illustrative, not the OPCC's assessment), so 'eqlib build' will not "
                f"publish {area.name} {period.display} from it. Replace them with the OPCC's own and "
                "remove 'example: true', or add --allow-example to build it anyway (every page is "
                "then marked as an example)."
            )


def _handler_key(args: argparse.Namespace) -> str:
    for attr in ("data_command", "framework_command"):
        value = getattr(args, attr, None)
        if value:
            return f"{args.command} {value}"
    return args.command


def _silence_noise() -> None:
    """Warnings that are noise to a user of the command (Jupyter's machinery, not their data)."""
    import warnings

    for module in ("traitlets", "jupyter_client", "zmq", "nbclient", "papermill", "ipykernel"):
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=module)
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=module)
        warnings.filterwarnings("ignore", category=UserWarning, module=module)
    warnings.filterwarnings("ignore", message=r".*(zmq|ZMQ|over TCP without encryption).*")
    logging.getLogger("traitlets").setLevel(logging.ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    _silence_noise()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    key = _handler_key(args)
    module_name, func_name = _HANDLERS[key]
    try:
        if isinstance(getattr(args, "year", None), str):
            periods.normalise_year(args.year)  # before the (slow) imports: a bad --year fails at once
        if key == "build":
            refuse_example_params(args)
        if getattr(args, "out", None) is not None:
            check_out_dir(args.out)  # before the (slow) imports: a bad --out fails at once
        if key in ("run", "build") and getattr(args, "data_dir", None):
            # the notebooks' kernels inherit the environment, so they read the same folder
            os.environ["EQLIB_DATA_DIR"] = str(Path(args.data_dir).expanduser().resolve())
        if key == "build":
            from eqlib import fetch

            if getattr(args, "no_fetch", False):
                fetch.require_data()
            else:
                fetch.ensure_data()
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
