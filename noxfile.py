"""nox sessions: tests, report, notebooks, lint, bench. `nox -l` lists them."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "tests"]
DEFAULT_AREA = "south-wales"
DEFAULT_YEAR = "2021-22"


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The whole test suite (the README's test command)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def report(session: nox.Session) -> None:
    """Build the default report (or pass --area/--year after --)."""
    session.install("-e", ".")
    args = session.posargs or ["--area", DEFAULT_AREA, "--year", DEFAULT_YEAR, "--allow-example"]
    session.run("eqlib", "build", *args)


@nox.session(python="3.11")
def notebooks(session: nox.Session) -> None:
    """Execute the notebooks for the default area and year (or pass --area/--year/--all)."""
    session.install("-e", ".")
    args = session.posargs or ["--area", DEFAULT_AREA, "--year", DEFAULT_YEAR]
    session.run("eqlib", "run", *args)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", "src", "tests", "benchmarks", "tools", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "tools", "noxfile.py")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Speed and memory benchmarks (figures are printed; README "Speed" says what they mean).

    ``nox -s bench`` runs the quick ones (metrics, cache, render, one area-year step by step);
    ``nox -s bench -- --all`` adds all 43 areas for one year on 2 workers (several minutes).
    """
    session.install("-e", ".[test]")
    everything = "--all" in session.posargs
    missed_is_reported = {"success_codes": [0, 1]}  # a missed target is printed; the next benchmark runs
    session.run("python", "benchmarks/bench_metrics.py", "--repeat", "7", **missed_is_reported)
    session.run("python", "benchmarks/bench_store.py", **missed_is_reported)
    session.run("python", "benchmarks/bench_area_year.py", **missed_is_reported)
    session.run("python", "benchmarks/bench_render.py", **missed_is_reported)
    if everything:
        session.run("python", "benchmarks/bench_batch.py", "--all", "--jobs", "2", **missed_is_reported)
