"""The measure catalogue (eqlib.measures): each measure declared once, and everything else derived from it.

Also issue 9 item 6: every measure the tables publish has a home section, and a section never says "no
data" for a measure the same report quotes elsewhere (key figures and overview included)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from eqlib import analysis, paths
from eqlib.measures import catalogue
from eqlib.measures.model import CHART_KINDS
from eqlib.report import sections, tables

matplotlib.use("Agg")

NOTEBOOKS = Path(paths.project_root()) / "notebooks"


def _code_cells(notebook: str) -> list[str]:
    nb = json.loads((NOTEBOOKS / f"{notebook}.ipynb").read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def _cells_called(notebook: str) -> list[tuple[str, str]]:
    """(section, cell) of every ``sections.measure_cell(ctx, section, cell)`` in a notebook."""
    calls = []
    for source in _code_cells(notebook):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "measure_cell":
                calls.append((node.args[1].value, node.args[2].value))
    return calls


def test_every_measure_is_declared_once_with_what_the_report_needs():
    ids = [m.id for m in catalogue.MEASURES]
    assert len(ids) == len(set(ids))
    for m in catalogue.MEASURES:
        assert m.title and m.unit in ("per 1,000", "ratio", "%", "count", "index"), m.id
        assert m.datasets, m.id
        assert m.chart in CHART_KINDS, m.id
        assert m.section in sections.NOTEBOOKS, f"{m.id} has no home section"
        assert m.cell, m.id
        assert m.compute is not None or m.local_template, f"{m.id}: neither national nor local"
        if m.compute is not None:
            assert m.source, m.id
    # the measures that were computed for the tables but shown nowhere (issue 9 item 6) now have a home
    assert catalogue.get_measure("use_of_force_incidents").section == "03_services"
    assert catalogue.get_measure("workforce_women_representation").section == "04_workforce"


def test_every_catalogue_cell_is_in_its_notebook_and_every_call_names_a_cell():
    declared = {(m.section, m.cell) for m in catalogue.MEASURES}
    called = set()
    for notebook in sections.NOTEBOOKS:
        for section, cell in _cells_called(notebook):
            assert section == notebook, f"{notebook} shows a cell of {section}"
            assert catalogue.cell_measures(section, cell)  # raises for an unknown cell
            called.add((section, cell))
    assert declared == called, sorted(declared ^ called)


def test_what_is_derived_from_the_catalogue():
    assert sections.SECTION_MEASURES == catalogue.sections()
    assert set(catalogue.national_ids()) == {m.id for m in catalogue.MEASURES if m.compute is not None}
    assert catalogue.headline_measures() == (
        "stop_search_disparity",
        "arrest_disparity",
        "use_of_force_disparity",
    )
    assert catalogue.benchmark_measures() == ("stop_search_benchmark", "arrest_benchmark")
    assert sections.LOCAL_TEMPLATES["complaints_by_characteristic"] == "complaints"
    assert catalogue.get_measure("stop_search_disparity").criteria[:2] == ("1.1.8", "1.2.7")
    assert tables.TABLE_COLUMNS[-2:] == ("symbol", "caveats") and "p_value" not in tables.TABLE_COLUMNS


def _report_texts(area: str, year: str) -> dict[str, str]:
    """Every notebook's report text, built as the notebook builds it (each with its own context): the
    expression of every ``emit(...)`` in its code cells, evaluated and rendered as markdown."""
    out = {}
    for notebook in sections.NOTEBOOKS:
        ctx = sections.context(area, year)
        blocks = []
        for source in _code_cells(notebook):
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "emit":
                    expr = ast.unparse(node.args[0])
                    if "analyst_notes" not in expr:
                        blocks += eval(expr, {"sections": sections, "ctx": ctx})  # noqa: S307 - our notebooks
        out[notebook] = sections.render_text(blocks)
    return out


def _said_no_data(text: str) -> set[str]:
    titles = {m.title.lower(): m.id for m in catalogue.MEASURES}
    found = set()
    for title in re.findall(r"\*\*No data\.\*\* (.+?) cannot be shown", text):
        found.add(titles[title.lower()])
    for row in re.findall(r"^\| *([^|]+?) *\| *[^|]*\| *no data *\|", text, flags=re.M):
        if row.lower() in titles:
            found.add(titles[row.lower()])
    return found


def _quoted(text: str) -> set[str]:
    """Measures whose figures the text shows: a table or chart of the measure, or a key figure."""
    labels = sorted(((m.id.replace("_", "-"), m.id) for m in catalogue.MEASURES), key=lambda p: -len(p[0]))
    shown = set()
    for label in re.findall(r"\{#(?:tbl|fig)-(?:overview-)?([a-z0-9-]+)[ }]", text):
        shown.update(next(([m] for lab, m in labels if label == lab or label.startswith(lab + "-")), []))
    for m in catalogue.MEASURES:
        if m.headline and f"**{m.headline}.**" in text:
            shown.add(m.id)
    return shown


@pytest.mark.parametrize(("area", "year"), [("south-wales", "2021-22"), ("metropolitan", "2022-23")])
def test_no_section_says_no_data_for_a_measure_the_report_quotes(area, year):
    texts = _report_texts(area, year)
    quoted = {n: _quoted(t) for n, t in texts.items()}
    no_data = {n: _said_no_data(t) for n, t in texts.items()}
    all_quoted = set().union(*quoted.values())
    all_no_data = set().union(*no_data.values())
    assert len(all_quoted) >= 10 and all_no_data  # both kinds occur, so the check below can fail
    clash = {
        (said, m, shown)
        for said, ids in no_data.items()
        for m in ids
        for shown, shown_ids in quoted.items()
        if m in shown_ids
    }
    assert not clash, sorted(clash)
    # and every measure the tables publish for the area-year has its place in the report: its figures, or its
    # heading with the reason none can be shown (a field the force never filled in)
    headed = {
        m.id
        for m in catalogue.MEASURES
        if any(f"**{m.title[:1].upper()}{m.title[1:]}**" in t for t in texts.values())
    }
    published = {t.name for t in tables.area_tables(analysis.compute(area, year))}
    assert published <= all_quoted | headed, sorted(published - all_quoted - headed)
    assert not published & all_no_data


def test_the_sections_show_exactly_the_frames_the_tables_publish():
    """Issue 10 item 2: one function (analysis.compute) protects the whole area-year; the sections and
    `eqlib tables` both take their figures from it."""
    ctx = sections.context("metropolitan", "2022-23")
    result = analysis.compute("metropolitan", "2022-23", threshold=ctx.threshold)
    published = {t.name: t.frame for t in tables.area_tables(result)}
    assert len(published) >= 10
    for measure_id, frame in published.items():
        shown = sections.measure_status(ctx, measure_id).frame
        pd.testing.assert_frame_equal(shown.reset_index(drop=True), frame.reset_index(drop=True))


def test_a_caveat_of_some_rows_names_them_and_one_of_every_row_does_not():
    import pandas as pd

    from eqlib.report.sections.common import _caveat_text

    some = pd.DataFrame({"group": ["Male", "Female", "Not recorded"], "caveats": [(), (), ("small_count",)]})
    assert _caveat_text(some).startswith("For Not recorded: this figure is based on fewer than 10 events")
    every = some.assign(caveats=[("small_count",)] * 3)
    assert _caveat_text(every).startswith("This figure is based on fewer than 10 events")
