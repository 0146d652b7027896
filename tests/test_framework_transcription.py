"""The framework data files checked against the source documents themselves.

The APCC Equality Framework text (tests/data/framework/apcc_equality_framework_2023.txt) is a table per
theme: one line per table row, the three level columns separated by tabs, cells holding <p> paragraphs,
and rows broken across pages. These tests read it independently of framework.yml and check that the YAML has
every theme in its section, every numbered descriptor, and every criterion verbatim in its own theme and
level column, and that nothing in the document's columns is left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eqlib.framework import LEVELS, load_framework, load_race_action_plan

DATA = Path(__file__).parent / "data" / "framework"
DOC = (DATA / "apcc_equality_framework_2023.txt").read_text(encoding="utf-8")
RAP = (DATA / "police_race_action_plan.txt").read_text(encoding="utf-8")
LINES = DOC.split("\n")


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"</?p>", " ", text)).strip()


def overview_table() -> dict[str, list[str]]:
    """The document's overview table: one column per section, listing its themes."""
    start = next(
        i for i, line in enumerate(LINES) if "\t" in line and line.startswith("Understanding and Working")
    )
    sections = LINES[start].split("\t")
    table: dict[str, list[str]] = {s.strip(): [] for s in sections}
    for line in LINES[start + 1 :]:
        if not line.strip():
            break
        for section, cell in zip(sections, line.split("\t"), strict=False):
            if cell.strip():
                table[section.strip()].append(cell.strip())
    return table


TABLE = overview_table()
SECTION_OF = {theme.lower(): section for section, themes in TABLE.items() for theme in themes}
BODY_START = next(i for i, line in enumerate(LINES) if line.startswith("March 2023 Update"))
BODY_END = next(i for i, line in enumerate(LINES) if line.startswith("Further resources"))


def heading_lines() -> list[tuple[int, str, str]]:
    """(line number, kind, text) of every section and theme heading in the framework's body, in order."""
    out = []
    for i in range(BODY_START, BODY_END):
        text = norm(LINES[i])
        if text in TABLE:
            out.append((i, "section", text))
        elif text.lower() in SECTION_OF:
            out.append((i, "theme", text))
    return out


HEADINGS = heading_lines()
THEME_HEADINGS = [(i, text) for i, kind, text in HEADINGS if kind == "theme"]


def theme_columns(theme_number: int) -> list[str]:
    """The three level columns of a theme's table, each as one normalised string (cells joined by spaces)."""
    start = THEME_HEADINGS[theme_number - 1][0]
    following = [i for i, _, _ in HEADINGS if i > start] + [BODY_END]
    stop = following[0]
    columns: list[list[str]] = [[], [], []]
    for line in LINES[start + 1 : stop]:
        text = norm(line)
        if (
            not text
            or text in ("▶ APCC Framework", "APCC Framework")
            or re.fullmatch(r"-+ -+ -+", text)
            or text == "Developing Achieving Advancing"
        ):
            continue
        cells = line.split("\t")
        assert len(cells) <= 3, f"more than three columns in {line[:80]!r}"
        for col, cell in enumerate(cells):
            columns[col].append(cell)
    return [norm(" ".join(cells)) for cells in columns]


FW = load_framework()


def test_four_sections_sixteen_themes_as_in_the_overview_table():
    assert [s.name for s in FW.sections] == list(TABLE)
    assert len(FW.sections) == 4
    assert len(FW.themes) == 16
    assert [t.id for t in FW.themes] == list(range(1, 17))
    for t in FW.themes:
        assert SECTION_OF[t.name.lower()] == FW.section(t.section).name, t.name


def test_themes_in_document_order_under_their_section_heading():
    assert [text.lower() for _, text in THEME_HEADINGS] == [t.name.lower() for t in FW.themes]
    section = None
    seen = []
    for _, kind, text in HEADINGS:
        if kind == "section":
            section = text
        else:
            seen.append((text.lower(), section))
    assert seen == [(t.name.lower(), FW.section(t.section).name) for t in FW.themes]


def test_three_levels_and_every_numbered_descriptor_in_its_column():
    assert LEVELS == ("Developing", "Achieving", "Advancing")
    for t in FW.themes:
        assert [d.level for d in t.descriptors] == list(LEVELS)
        columns = theme_columns(t.id)
        for col, d in enumerate(t.descriptors):
            assert d.id == f"{t.id}.{col + 1}"
            # the number opens the column ("1.1." or "2.2" or a paragraph of its own, "15.1")
            assert re.match(rf"{re.escape(d.id)}\.?(\s|$)", columns[col]), (d.id, columns[col][:40])
            assert norm(d.text) in columns[col], d.id
    assert len(FW.descriptor_ids()) == 48


def test_every_criterion_verbatim_in_its_theme_and_level_column():
    for t in FW.themes:
        columns = theme_columns(t.id)
        for col, d in enumerate(t.descriptors):
            for n, c in enumerate(d.criteria, 1):
                assert c.id == f"{d.id}.{n}"
                assert c.level == d.level and c.theme == t.id
                assert norm(c.text) in columns[col], (c.id, c.text[:60])


def test_nothing_in_the_document_is_left_out():
    """Remove the descriptor and every criterion from each column: only the word "Criteria" may remain."""
    for t in FW.themes:
        columns = theme_columns(t.id)
        for col, d in enumerate(t.descriptors):
            rest = columns[col]
            rest = re.sub(rf"^{re.escape(d.id)}\.?", "", rest)
            for piece in [d.text, *[c.text for c in d.criteria]]:
                assert norm(piece) in rest, (d.id, piece[:40])
                rest = rest.replace(norm(piece), " ", 1)
            leftover = norm(rest).replace("Criteria", "").strip()
            assert leftover == "", (d.id, leftover[:120])


def test_criteria_counts_and_ids_unique():
    ids = [c.id for c in FW.criteria()]
    assert len(ids) == len(set(ids))
    # counted by hand from the document's tables, e.g. theme 1 Developing has 8 paragraphs, one split over a page
    assert [len(d.criteria) for d in FW.theme(1).descriptors] == [8, 8, 7]
    assert [len(d.criteria) for d in FW.theme(10).descriptors] == [2, 2, 1]
    assert FW.criterion("1.1.4").text.endswith(
        "internally and by its partners - including voluntary and community sector stakeholders."
    )
    assert (
        FW.criterion("14.1.6").text
        == "Diversity data on applicants for posts is collected, in line with GDPR "
        "considerations."
    )


def test_level_summaries_verbatim():
    for level, summary in FW.level_summaries.items():
        assert level in LEVELS
        assert norm(summary) in norm(DOC)


def test_frames():
    crit = FW.criteria_frame()
    assert len(crit) == len(list(FW.criteria()))
    assert set(crit["level"]) == set(LEVELS)
    desc = FW.descriptors_frame()
    assert len(desc) == 48 and desc.groupby("theme").size().eq(3).all()
    assert FW.themes_frame()["section"].value_counts().sort_index().tolist() == [5, 5, 2, 4]


def test_unknown_ids_raise_key_error():
    with pytest.raises(KeyError, match="17"):
        FW.theme(17)
    with pytest.raises(KeyError, match="1.9.1"):
        FW.criterion("1.9.1")


def test_race_action_plan_outcome_areas_against_the_document():
    rap = load_race_action_plan()
    doc = norm(RAP)
    assert [a.name for a in rap.outcome_areas] == [
        "Trust and reconciliation",
        "Culture and workforce",
        "Powers and procedures",
        "Safety and victimisation",
    ]
    # the outcome areas are headings of the "Outcomes" part, each with its bullet list
    outcomes_part = RAP[RAP.index("# Outcomes") : RAP.index("# Legal duties")]
    for area in rap.outcome_areas:
        block = outcomes_part.split(area.name, 1)[1]
        bullets = []
        for line in block.split("\n")[1:]:
            if line.startswith("#"):
                break
            if line.startswith("- "):
                bullets.append(line[2:].strip())
        assert list(area.outcomes) == bullets, area.id
        # who the area concerns, from the scope diagram ("People subjected  \nto police powers")
        assert norm(area.concerns) in doc
    for duty in rap.legal_duties:
        assert duty.split(":")[0] in doc
