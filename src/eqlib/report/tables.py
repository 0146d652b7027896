"""The published data tables: every figure for an area and year as tidy CSV and one ODS workbook.

One CSV per table with the columns of :data:`TABLE_COLUMNS`, and one OpenDocument workbook that
follows the Government Analysis Function guidance "Releasing statistics in spreadsheets" (2021):
a cover sheet, a contents sheet, a notes sheet, then one table per sheet; each table sheet starts
with its title in cell A1, no merged cells, no blank rows inside a table, a header row, and GSS
symbols (``[c]``, ``[x]``, ``[z]``, ``[u]``) in the cell in place of a number that cannot be shown.

Small-number suppression is applied before anything is written (:mod:`eqlib.metrics.disclosure`).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from eqlib import __version__, analysis
from eqlib.measures import catalogue
from eqlib.metrics import caveats as cv
from eqlib.metrics._frame import FIGURE_COLUMNS
from eqlib.paths import check_out_dir

#: kept after the required columns: the test's p-value and the method that computed the interval
EXTRA_COLUMNS: tuple[str, ...] = ("p_value", "method", "source")
#: the published columns: the figure frame's (:data:`eqlib.metrics.FIGURE_COLUMNS`), less those kept after them
TABLE_COLUMNS: tuple[str, ...] = tuple(c for c in FIGURE_COLUMNS if c not in EXTRA_COLUMNS)

OGL_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/)."
)


@dataclass(frozen=True)
class Table:
    """One published table: a short name (the file and sheet name), a title and the figure frame."""

    name: str
    title: str
    frame: pd.DataFrame
    notes: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class WorkbookMeta:
    title: str
    area_name: str
    period_display: str
    publisher: str
    threshold: int
    sources: tuple[str, ...] = ()
    extra_notes: tuple[str, ...] = field(default_factory=tuple)


def _caveat_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (list, tuple, set, frozenset)):
        return "; ".join(str(v) for v in value)
    return str(value)


def tidy_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with exactly the published columns, in order, caveats as text, sorted stably."""
    out = frame.copy()
    for column in (*TABLE_COLUMNS, *EXTRA_COLUMNS):
        if column not in out:
            out[column] = (
                "" if column in ("symbol", "caveats", "method", "reference_group", "source") else math.nan
            )
    out["caveats"] = out["caveats"].map(_caveat_text)
    out["symbol"] = out["symbol"].fillna("").astype(str)
    out = out[[*TABLE_COLUMNS, *EXTRA_COLUMNS]]
    return out.sort_values(
        ["area_code", "period", "measure", "group", "reference_group"], kind="stable"
    ).reset_index(drop=True)


def _published(frame: pd.DataFrame) -> pd.DataFrame:
    """For the workbook: put the GSS symbol in place of each number that cannot be shown."""
    out = frame.copy().astype({c: object for c in ("count", "denominator", "value", "ci_low", "ci_high")})
    has_symbol = out["symbol"] != ""
    for column in ("count", "denominator", "value", "ci_low", "ci_high"):
        missing = out[column].isna()
        out.loc[missing & has_symbol, column] = out.loc[missing & has_symbol, "symbol"]
        out.loc[missing & ~has_symbol, column] = "[x]"
    return out


def write_csvs(tables: list[Table], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    from tqdm.auto import tqdm

    written = []
    for table in tqdm(tables, desc="eqlib tables", unit="table", disable=len(tables) < 2, leave=False):
        path = out_dir / f"{table.name}.csv"
        tidy_table(table.frame).to_csv(path, index=False, lineterminator="\n", float_format="%.6g")
        written.append(path)
    return written


def write_workbook(tables: list[Table], path: Path, meta: WorkbookMeta) -> Path:
    """Write the GSS-style ODS workbook: Cover, Contents, Notes, then one sheet per table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cover = pd.DataFrame(
        {
            meta.title: [
                f"Area: {meta.area_name}",
                f"Period: {meta.period_display}",
                f"Published by: {meta.publisher}",
                "About these tables: equality information computed by eqlib from official police data. "
                "Rates are per 1,000 usual residents; ratios compare each group with the reference group; "
                "intervals are 95% confidence intervals.",
                f"Small numbers: counts below {meta.threshold} are suppressed and shown as [c]; further cells are "
                "suppressed where a total would reveal them.",
                "Symbols: [c] confidential (suppressed); [x] not available; [z] not applicable; [u] low reliability.",
                *[f"Source: {s}" for s in meta.sources],
                OGL_ATTRIBUTION,
                f"Produced with eqlib {__version__}.",
            ]
        }
    )
    contents = pd.DataFrame(
        {
            "Sheet name": [t.name[:31] for t in tables],
            "Table title": [t.title for t in tables],
            "Rows": [len(t.frame) for t in tables],
        }
    )
    notes_rows = []
    for table in tables:
        for note in table.notes:
            notes_rows.append({"Table": table.name[:31], "Note": note})
    for note in meta.extra_notes:
        notes_rows.append({"Table": "All", "Note": note})
    notes = pd.DataFrame(notes_rows or [{"Table": "All", "Note": "No notes."}])

    with pd.ExcelWriter(path, engine="odf") as writer:
        cover.to_excel(writer, sheet_name="Cover", index=False)
        pd.DataFrame(
            {"Contents": ["This worksheet contains one table listing every table in the workbook."]}
        ).to_excel(writer, sheet_name="Contents", index=False)
        contents.to_excel(writer, sheet_name="Contents", index=False, startrow=2)
        pd.DataFrame({"Notes": ["This worksheet contains one table of notes."]}).to_excel(
            writer, sheet_name="Notes", index=False
        )
        notes.to_excel(writer, sheet_name="Notes", index=False, startrow=2)
        for table in tables:
            sheet = table.name[:31]
            header = pd.DataFrame(
                {
                    table.title: [
                        "This worksheet contains one table. Symbols: [c] suppressed, [x] not available, "
                        "[z] not applicable, [u] low reliability.",
                        f"Source: {table.source}" if table.source else "Source: see the Cover sheet.",
                    ]
                }
            )
            header.to_excel(writer, sheet_name=sheet, index=False)
            _published(tidy_table(table.frame)).to_excel(writer, sheet_name=sheet, index=False, startrow=4)
    normalise_ods(path)
    return path


#: the fixed time written into the ODS (zip entries and meta.xml), so identical inputs give identical bytes
_ODS_TIME = (1980, 1, 1, 0, 0, 0)


def _canonical_namespaces(data: bytes) -> bytes:
    """The root element's namespace declarations in one fixed, sorted set. odfpy declares on the root
    every namespace used so far in the process, so a second workbook written by the same process would
    otherwise differ; declaring every ODF namespace (unused ones are harmless) gives one form."""
    import re

    from odf.namespaces import nsdict

    match = re.search(rb"<(office:document[-\w]*)((?:\s+[^\s=>]+=\"[^\"]*\")*)\s*(/?)>", data)
    if not match:
        return data
    attrs = re.findall(rb'([^\s=>]+)="([^"]*)"', match.group(2))
    declared = {k: v for k, v in attrs if k.startswith(b"xmlns:")}
    for uri, prefix in nsdict.items():
        declared.setdefault(b"xmlns:" + prefix.encode(), uri.encode())
    others = [(k, v) for k, v in attrs if not k.startswith(b"xmlns:")]
    parts = [b'%s="%s"' % kv for kv in sorted(declared.items())] + [b'%s="%s"' % kv for kv in others]
    root = b"<" + match.group(1) + b" " + b" ".join(parts) + match.group(3) + b">"
    return data[: match.start()] + root + data[match.end() :]


def normalise_ods(path: Path) -> Path:
    """Rewrite an ODS so it is byte-identical for identical content: fixed zip timestamps and
    permissions, entries in their written order (``mimetype`` first, stored), and meta.xml dates fixed."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    stamp = "1980-01-01T00:00:00"
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w") as out:
        for info, data in entries:
            if info.filename.endswith(".xml"):
                data = _canonical_namespaces(data)
            if info.filename == "meta.xml":
                data = re.sub(
                    rb"(<(meta:creation-date|dc:date)>)[^<]*(</)",
                    rb"\g<1>" + stamp.encode() + rb"\g<3>",
                    data,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=_ODS_TIME)
            fixed.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            fixed.create_system = 3
            out.writestr(fixed, data)
    tmp.replace(path)
    return path


def write_tables(tables: list[Table], out_dir: Path, meta: WorkbookMeta, *, stem: str) -> list[Path]:
    """Write one CSV per table and ``<stem>.ods``; return the paths written."""
    paths = write_csvs(tables, out_dir)
    paths.append(write_workbook(tables, out_dir / f"{stem}.ods", meta))
    return paths


def tables_from_figures(figures: Mapping[str, tuple[str, pd.DataFrame]]) -> list[Table]:
    """Tables from a mapping name -> (title, figure frame), skipping empty frames."""
    return [Table(name, title, frame) for name, (title, frame) in figures.items() if not frame.empty]


def area_tables(result: analysis.AreaResult) -> list[Table]:
    """The published tables of one area and year (:func:`eqlib.analysis.compute`): one per measure with
    figures, titled from the catalogue, with the caveats of its figures and its source."""
    out = []
    for measure_id, sel in result.selections.items():
        if sel.frame.empty:
            continue
        try:
            title = catalogue.get_measure(measure_id).title
        except KeyError:
            title = measure_id.replace("_", " ")
        notes = [cv.text(code) for code in sorted(analysis.caveat_codes(sel.frame))]
        if sel.status == "latest":
            notes.insert(0, f"No figures for {result.period.display}: {sel.label}.")
        out.append(
            Table(
                measure_id,
                f"{title}: {result.area.name}, {analysis.display_period(sel.period)}",
                sel.frame,
                tuple(notes),
                result.source(measure_id),
            )
        )
    return out


def workbook_meta(result: analysis.AreaResult) -> WorkbookMeta:
    """The workbook's cover: title, publisher, threshold, the sources of every table, what was not computed."""
    return WorkbookMeta(
        title=f"Equality information {result.period.display}: {result.area.name} (data tables)",
        area_name=result.area.name,
        period_display=result.period.display,
        publisher=f"Office of the Police and Crime Commissioner for {result.area.name}"
        if result.area.territorial
        else "eqlib",
        threshold=result.threshold,
        sources=tuple(
            sorted({result.source(m) for m in result.selections if not result.selections[m].frame.empty})
        ),
        extra_notes=tuple(f"{m}: not computed ({why})" for m, why in result.errors.items()),
    )


def cmd_tables(args: argparse.Namespace) -> int:
    """``eqlib tables --area AREA --year YEAR --out DIR``."""
    out = check_out_dir(args.out)  # before any work: a bad --out fails within a second
    result = analysis.compute_for_cli(args.area, args.year, threshold=args.threshold)
    paths = write_tables(area_tables(result), out, workbook_meta(result), stem=result.stem)
    print(f"Wrote {len(paths) - 1} CSV tables and {paths[-1].name} to {out}")
    return 0
