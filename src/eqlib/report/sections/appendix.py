"""The appendix, *Data and methods* (notebook 99_data_and_methods): parameters, sources and checksums,
methods, dataset coverage.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from eqlib import __version__, sources
from eqlib.report import escape
from eqlib.report.sections.common import (
    Block,
    Context,
    Markdown,
    Table,
    _population_dataset,
    dataset_status,
    note_for_analyst,
)


# --------------------------------------------------------------------------- builders: data and methods
def _public_path(path: Path, root: Path) -> str:
    """A file as the published report names it: relative to the project (``params/x.yml``), never a folder
    of the machine that built the report."""
    path, root = Path(path).resolve(), Path(root).resolve()
    if path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    return f"{path.parent.name}/{path.name}" if path.parent.name == "params" else path.name


def parameters_summary(ctx: Context) -> list[Block]:
    """The run's parameters, stated for the record."""
    params = _public_path(ctx.params_file, ctx.root) if ctx.params_file else "none"
    text = (
        f"Area **{ctx.name}** (ONS code {ctx.area.code}); financial year **{ctx.year_display}** "
        f"(1 April {ctx.period.start.year} to 31 March {ctx.period.end.year}); params file {escape.code_span(params)}; "
        f"counts under **{ctx.threshold}** are suppressed in every table and chart; eqlib version "
        f"{__version__}."
    )
    return [Markdown(text)]


def _manifest(ctx: Context) -> dict[str, Any]:
    import yaml

    path = ctx.data_dir / "manifest.yml"
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _breakable(text: str, *, longer_than: int = 18) -> str:
    """Text whose long words (file names, paths, ``(see SOURCE.txt)``) may wrap after ``/ _ - .`` (a
    zero-width space there), so they stay inside a table column in the PDF and on a phone; the text reads and
    prints the same. Plain text: the table cell escapes it as markdown (``__December_2016__`` stays literal)."""

    def wrap(word: str) -> str:
        return re.sub(r"([/_\-.])(?=.)", "\\1\u200b", word) if len(word) > longer_than else word

    return " ".join(wrap(word) for word in str(text).split(" "))


def data_sources(ctx: Context) -> list[Block]:
    """Every source the report uses (publisher, title, period, licence) and every data file's checksum."""
    manifest = _manifest(ctx)
    sources = manifest.get("sources") or {}
    if not sources:
        note_for_analyst(ctx, "`data/manifest.yml` is missing: run `eqlib data check`.")
        return [Markdown("The data manifest is missing, so sources and checksums cannot be listed.")]
    rows, files = [], []
    n_files = 0
    for name, entry in sorted(sources.items()):
        entry = entry or {}
        rows.append(
            {
                "Data folder": _breakable(name),
                "Publisher": _breakable(str(entry.get("publisher", ""))),
                "Title": _breakable(str(entry.get("title", ""))),
                "Period": str(entry.get("period", "")),
                "Licence": _breakable(str(entry.get("licence", "")), longer_than=9),
            }
        )
        data_files = [
            f for f in entry.get("files") or [] if isinstance(f, dict) and f.get("kind", "data") == "data"
        ]
        n_files += len(data_files)
        if len(data_files) <= 5:
            files.extend(
                {
                    "File": _breakable(str(f.get("path", "")), longer_than=0),
                    "sha256 (first 16 characters)": str(f.get("sha256", ""))[:16],
                }
                for f in data_files
            )
        else:
            files.append(
                {
                    "File": f"{name}/ ({len(data_files)} files)",
                    "sha256 (first 16 characters)": "one per file in data/manifest.yml",
                }
            )
    attributions = sorted({str(v) for v in (manifest.get("attribution") or {}).values()})
    text = (
        f"The report draws on {len(rows)} sources ({n_files} data files), each file recorded in "
        "the project's data manifest with its SHA-256 checksum, so anyone can check that the figures come "
        "from the files as published. " + " ".join(attributions)
    ).rstrip()
    if not text.endswith("."):
        text += "."  # an attribution written without its full stop
    return [
        Markdown(text),
        Table(pd.DataFrame(rows), "Data sources: publisher, title, period and licence", "data-sources"),
        Table(
            pd.DataFrame(files),
            "Data files and their checksums (full values in data/manifest.yml)",
            "data-files",
        ),
    ]


def methods(ctx: Context) -> list[Block]:
    """The statistical methods in plain English (the methods reference is docs/METHODS)."""
    census = "Census 2021" if _population_dataset(ctx).endswith("2021") else "Census 2011"
    text = "\n".join(
        [
            f"- **Rates** are per 1,000 usual residents of each ethnic group ({census} populations for "
            f"{ctx.year_display}), with exact Poisson 95% confidence intervals.",
            "- **Disparity ratios** compare a group's rate with the White group's, computed from unrounded rates, "
            "with a 95% confidence interval (score method; exact conditional for small counts).",
            "- **Proportions** such as the share of searches leading to arrest have Wilson 95% intervals.",
            "- **Trends** in a disparity use a Poisson regression with a year-by-group term (at least three years).",
            "- **Funnel plots** compare the area with all force areas against 95% and 99.8% control limits "
            "(Spiegelhalter 2005). Across the chart is how precise each area's figure is (1 / variance of the log "
            "ratio): areas further right have figures based on more people, so their limits are narrower.",
            f"- **Small numbers**: counts under {ctx.threshold} are suppressed ([c]), with secondary suppression so "
            "they cannot be worked out from totals. [x] means not available, [z] not applicable, [u] low reliability.",
            "- A dataset without figures for the report year is shown for its latest earlier period, labelled "
            '"latest available"; a dataset with nothing for the area is listed as an evidence gap.',
        ]
    )
    return [Markdown(text)]


# --------------------------------------------------------------------------- builders: coverage
_INTERNAL_DATASETS = {"stop_search_policeuk_records", "stop_search_policeuk_coverage"}


def coverage_table(ctx: Context) -> list[Block]:
    """Every dataset eqlib reads: the period a report for this area and year uses, or that it has none."""

    rows = []
    for dataset_id, ds in sources.datasets().items():
        if dataset_id in _INTERNAL_DATASETS:
            continue
        sel = dataset_status(ctx, dataset_id)
        rows.append(
            {
                "Dataset": ds.title,
                "Period shown": sel.label + (f" ({sel.note})" if sel.note and sel.available else ""),
                "Note": "" if sel.available else sel.note,
            }
        )
    if not rows:
        return [Markdown("No dataset loaders are registered.")]
    frame = pd.DataFrame(rows)
    current = sum(r["Period shown"].startswith(ctx.year_display) for r in rows)
    earlier = sum(r["Period shown"].startswith("latest available") for r in rows)
    none = len(rows) - current - earlier
    text = (
        f"Of {len(rows)} datasets, {current} have figures for {ctx.name} for {ctx.year_display}, {earlier} "
        f'only for an earlier period (shown as "latest available") and {none} have nothing for '
        f"{ctx.name} up to {ctx.year_display}."
    )
    return [
        Markdown(text),
        Table(frame, f"Datasets and the period shown for {ctx.name}, {ctx.year_display}", "coverage"),
    ]
