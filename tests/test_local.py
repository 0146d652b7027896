"""An analyst's local files: templates, reader, validator, folder loader and `eqlib data validate`."""

from __future__ import annotations

import argparse
import logging
import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eqlib.cli import main as cli_main
from eqlib.errors import DataError
from eqlib.schemas import COUNTS
from eqlib.sources import local
from eqlib.sources.local import TEMPLATES, group_of, load_local_dir, read_local, validate

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIR = ROOT / "data" / "templates"

EXPECTED_TEMPLATES = {
    "workforce",
    "complaints",
    "victims_services",
    "satisfaction",
    "hate_crime",
    "custody",
    "custody_visits",
    "use_of_force",
}


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------------------------
# The templates shipped in data/templates
# --------------------------------------------------------------------------------------------


def test_every_required_template_exists():
    assert set(TEMPLATES) == EXPECTED_TEMPLATES


@pytest.mark.parametrize("name", sorted(EXPECTED_TEMPLATES))
def test_template_file_header_matches_the_spec(name):
    lines = (TEMPLATE_DIR / f"{name}.csv").read_text(encoding="utf-8").splitlines()
    assert lines == [TEMPLATES[name].header]
    assert local.infer_template(TEMPLATE_DIR / f"{name}.csv") == name
    assert validate(TEMPLATE_DIR / f"{name}.csv") == []
    assert read_local(TEMPLATE_DIR / f"{name}.csv").empty


@pytest.mark.parametrize("name", sorted(EXPECTED_TEMPLATES))
def test_example_file_reads_and_is_labelled(name):
    path = TEMPLATE_DIR / f"{name}.example.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == TEMPLATES[name].header
    assert 2 <= len(lines) - 1 <= 3
    frame = read_local(path, allow_examples=True)
    assert len(frame) == len(lines) - 1  # rows in == rows out
    assert (frame["dataset"] == f"local:{name}").all()
    assert frame["notes"].str.startswith("EXAMPLE").all()
    COUNTS.validate(frame)
    # every example row is refused when read as an analyst's own data
    problems = validate(path)
    assert [p.row for p in problems] == list(range(2, len(lines) + 1))
    assert all(p.column == "notes" and "EXAMPLE" in p.message for p in problems)
    with pytest.raises(DataError, match="EXAMPLE row"):
        read_local(path)


def test_readme_documents_every_template_column_and_symbol():
    text = (TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    for tmpl in TEMPLATES.values():
        assert f"`{tmpl.name}`" in text
        assert tmpl.header.replace(",", ", ") in text, tmpl.name
        for col in tmpl.columns:
            for choice in col.choices:
                assert f"`{choice}`" in text, (tmpl.name, col.name, choice)
    for symbol in ("[c]", "[x]", "[z]", "[u]", "..", "*"):
        assert f"`{symbol}`" in text
    for source in ("Professional Standards", "IOPC", "NICHE", "custody visiting", "Home Office", "HR"):
        assert source in text


def test_template_headers_are_all_different_so_they_can_be_inferred():
    required = [frozenset(t.required) for t in TEMPLATES.values()]
    for i, a in enumerate(required):
        for j, b in enumerate(required):
            if i != j:
                assert not a <= b, (list(TEMPLATES)[i], list(TEMPLATES)[j])


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def test_read_complaints_tidy(tmp_path, caplog):
    path = write(
        tmp_path / "complaints.csv",
        "area,period,characteristic,group,complaint_measure,count,denominator,notes\n"
        "South Wales,2021-22,ethnicity,Black (or Black British),complaint_cases,40,,\n"
        'W15000003,2021/22,ethnicity,White: Irish,complaint_cases,"1,234",,\n'
        "south-wales,2021-22,sex,F,allegations,12,100,some note\n"
        "South Wales Police,2021-22,age,65+,complainants,[c],,\n",
    )
    with caplog.at_level(logging.INFO, logger="eqlib.sources"):
        frame = read_local(path)
    assert "local:complaints (complaints.csv): 4 rows in, 4 rows out" in caplog.text
    assert len(frame) == 4
    assert set(frame["area_code"]) == {"W15000003"}
    assert set(frame["area_name"]) == {"South Wales"}
    assert set(frame["period"]) == {"2021-22"}
    assert (frame["period_start"] == pd.Timestamp("2021-04-01")).all()
    assert (frame["period_end"] == pd.Timestamp("2022-03-31")).all()
    assert frame["group"].tolist() == ["Black", "White", "Female", "65 and over"]
    assert frame["source_label"].tolist() == ["Black (or Black British)", "White: Irish", "F", "65+"]
    assert frame["measure"].tolist() == ["complaint_cases", "complaint_cases", "allegations", "complainants"]
    assert frame["characteristic"].tolist() == ["ethnicity", "ethnicity", "sex", "age"]
    assert frame["count"].tolist()[:3] == [40.0, 1234.0, 12.0]
    assert math.isnan(frame["count"].iloc[3]) and frame["symbol"].iloc[3] == "[c]"
    assert "confidential" in frame["symbol_reason"].iloc[3]
    assert frame["denominator"].iloc[2] == 100.0 and math.isnan(frame["denominator"].iloc[0])
    assert frame["source_row"].tolist() == [2, 3, 4, 5]
    assert frame["notes"].tolist() == ["", "", "some note", ""]
    COUNTS.validate(frame)


def test_header_case_order_and_spaces_do_not_matter(tmp_path):
    path = write(tmp_path / "hc.csv", "Count, Hate Measure ,STRAND,Period,Area\n5,crimes,Race,2022,Gwent\n")
    frame = read_local(path)
    assert frame.loc[0, "group"] == "race" and frame.loc[0, "measure"] == "crimes"
    assert frame.loc[0, "period_start"] == pd.Timestamp("2022-01-01")
    assert frame.loc[0, "characteristic"] == "hate_crime_strand"
    assert "notes" in frame and frame.loc[0, "notes"] == ""


def test_workforce_as_at_is_a_snapshot_period(tmp_path):
    path = write(
        tmp_path / "wf.csv",
        TEMPLATES["workforce"].header + "\n"
        "Gwent,force,officer,Sergeant,31/03/2022,ethnicity,Asian or Asian British,F,7,\n"
        "Gwent,force,officer,Sergeant,31/03/2022,ethnicity,Asian or Asian British,Male,5,\n"
        "Gwent,opcc,staff,all,2022-03-31,sex,Male,,9,\n",
    )
    frame = read_local(path)
    assert frame["period"].tolist() == ["2022-03-31"] * 3
    assert (frame["period_start"] == frame["period_end"]).all()
    assert frame["organisation"].tolist() == ["force", "force", "opcc"]
    assert frame["worker_type"].tolist() == ["officer", "officer", "staff"]
    assert frame["rank"].tolist() == ["Sergeant", "Sergeant", "all"]
    assert frame["sex"].tolist() == ["Female", "Male", "all"]
    assert frame["count"].sum() == 21


def test_workforce_sex_cross_tab_is_checked(tmp_path):
    path = write(
        tmp_path / "wf.csv",
        TEMPLATES["workforce"].header + "\n"
        "Gwent,force,officer,all,2022-03-31,sex,Male,Male,9,\n"
        "Gwent,force,staff,all,2022-03-31,ethnicity,White,Woman?,9,\n",
    )
    problems = validate(path)
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "sex", "Male"), (3, "sex", "Woman?")]
    assert "blank or 'all' when the characteristic is sex" in problems[0].expected


def test_satisfaction_count_and_denominator(tmp_path):
    path = write(
        tmp_path / "sat.csv",
        TEMPLATES["satisfaction"].header + "\nCumbria,2020-21,Whole experience,disability,Yes,120,80,\n",
    )
    frame = read_local(path)
    assert frame.loc[0, "count"] == 80 and frame.loc[0, "denominator"] == 120
    assert frame.loc[0, "group"] == "Disabled" and frame.loc[0, "survey"] == "Whole experience"


def test_template_can_be_forced(tmp_path):
    path = write(
        tmp_path / "uof.csv",
        TEMPLATES["use_of_force"].header + "\nGwent,2019-20,taser_fired,ethnicity,Black,3,\n",
    )
    assert read_local(path, template="use_of_force")["tactic"].tolist() == ["taser_fired"]
    problems = validate(path, template="complaints")
    assert {p.column for p in problems} >= {"tactic", "complaint_measure"}


@pytest.mark.parametrize(
    ("characteristic", "label", "group"),
    [
        ("ethnicity", "Black or Black British", "Black"),
        ("ethnicity", "Asian, Asian British or Asian Welsh: Pakistani", "Asian"),
        ("ethnicity", "Mixed/multiple ethnic group: White and Asian", "Mixed"),
        ("ethnicity", "Chinese or Other", "Other"),
        ("ethnicity", "not stated", "Not stated"),
        ("sex", "M", "Male"),
        ("age", "18 to 24", "18-24"),
        ("age", "under 18", "under 18"),
        ("age", "Prefer not to say", "Not stated"),
        ("disability", "No", "Not disabled"),
        ("religion", "Any other religion", "Other religion"),
        ("sexual_orientation", "Gay", "Gay or Lesbian"),
        ("gender_reassignment", "Trans man", "Different from sex registered at birth"),
    ],
)
def test_group_of(characteristic, label, group):
    assert group_of(characteristic, label) == group


@pytest.mark.parametrize(
    ("characteristic", "label"),
    [
        ("ethnicity", "Martian"),
        ("ethnicity", ""),
        ("ethnicity", "Total"),
        ("sex", "Unsure"),
        ("age", "24-18"),
        ("age", "young"),
        ("religion", "Jedi"),
        ("disability", "All"),
    ],
)
def test_group_of_refuses(characteristic, label):
    with pytest.raises(ValueError):
        group_of(characteristic, label)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(st.integers(min_value=0, max_value=10**6), st.sampled_from(["[c]", "[x]", "..", "*"])),
        min_size=1,
        max_size=12,
    )
)
def test_counts_round_trip_and_missing_is_never_zero(tmp_path_factory, cells):
    path = tmp_path_factory.mktemp("rt") / "custody.csv"
    lines = [TEMPLATES["custody"].header]
    for i, cell in enumerate(cells):
        lines.append(f"Kent,{2000 + i}-{(i + 1) % 100:02d},detentions,ethnicity,White,{cell},,")
    write(path, "\n".join(lines) + "\n")
    frame = read_local(path)
    assert len(frame) == len(cells)
    numbers = [c for c in cells if isinstance(c, int)]
    assert frame["count"].sum() == sum(numbers)
    assert frame["count"].isna().sum() == len(cells) - len(numbers)
    assert (frame.loc[frame["count"].isna(), "symbol"] != "").all()
    assert (frame.loc[frame["count"].notna(), "symbol"] == "").all()


# --------------------------------------------------------------------------------------------
# validate collects every problem
# --------------------------------------------------------------------------------------------


def test_validate_collects_all_problems_in_row_order(tmp_path):
    path = write(
        tmp_path / "c.csv",
        TEMPLATES["custody"].header + "\n"
        "Atlantis,2021-22,detentions,ethnicity,White,10,,\n"
        "Kent,2021-22,arrests,ethnicity,White,10,,\n"
        "Kent,2021-22,detentions,ethnicity,Klingon,10,,\n"
        "Kent,2021-22,detentions,ethnicity,Black,10,5,\n"
        "Kent,2021-22,detentions,ethnicity,Black,10,5,\n",
    )
    problems = validate(path)
    assert [(p.row, p.column) for p in problems] == [
        (2, "area"),
        (3, "custody_measure"),
        (4, "group"),
        (5, "count"),
        (6, "count"),
    ]
    assert all(p.file == str(path) for p in problems)
    with pytest.raises(DataError, match=r"row 2, column 'area'.*Atlantis.*and 4 more problems"):
        read_local(path)


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------


def test_cmd_validate_valid_file(tmp_path, capsys):
    path = write(tmp_path / "ok.csv", TEMPLATES["hate_crime"].header + "\nKent,2021-22,race,crimes,4,\n")
    assert local.cmd_validate(argparse.Namespace(file=str(path), template=None)) == 0
    assert "valid hate_crime file, 1 rows" in capsys.readouterr().out
    assert cli_main(["data", "validate", str(path), "--template", "hate_crime"]) == 0


def test_cmd_validate_prints_every_problem_and_exits_2(tmp_path, capsys):
    path = write(
        tmp_path / "bad.csv",
        TEMPLATES["hate_crime"].header + "\nKent,2021-22,race,crimes,-4,\nKent,2021-22,misogyny2,crimes,4,\n",
    )
    assert cli_main(["data", "validate", str(path)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"{path}, row 2, column 'count': negative count (found '-4'); expected a count of 0 or more"
    )
    assert out[1].startswith(f"{path}, row 3, column 'strand': unknown hate crime strand (found 'misogyny2')")
    assert out[2] == f"{path}: 2 problems; not valid"


def test_cmd_validate_unknown_template_and_missing_file(tmp_path, capsys):
    path = write(tmp_path / "ok.csv", TEMPLATES["hate_crime"].header + "\n")
    assert cli_main(["data", "validate", str(path), "--template", "nonsense"]) == 2
    assert "Unknown template 'nonsense'" in capsys.readouterr().out
    assert cli_main(["data", "validate", str(tmp_path / "nope.csv")]) == 2
    assert "no such file" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# An analyst's folder
# --------------------------------------------------------------------------------------------


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "local"
    folder.mkdir()
    write(
        folder / "hate.csv",
        TEMPLATES["hate_crime"].header + "\n"
        "South Wales,2020-21,race,crimes,900,\n"
        "South Wales,2021-22,race,crimes,1000,\n"
        "South Wales,2022-23,race,crimes,1100,\n"
        "Gwent,2021-22,race,crimes,300,\n",
    )
    write(
        folder / "hate-more.csv",
        TEMPLATES["hate_crime"].header + "\nSouth Wales,2021-22,religion,crimes,50,\n",
    )
    write(
        folder / "custody.csv",
        TEMPLATES["custody"].header + "\nGwent,2021-22,detentions,ethnicity,White,7000,,\n",
    )
    write(folder / "README.txt", "not data\n")
    return folder


def test_load_local_dir_filters_area_and_period(tmp_path, caplog):
    folder = _folder(tmp_path)
    with caplog.at_level(logging.INFO):
        frames = load_local_dir(folder, "south-wales", "2021-22")
    assert set(frames) == {"hate_crime"}  # custody has no South Wales rows
    hate = frames["hate_crime"]
    assert sorted(hate["period"]) == ["2020-21", "2021-22", "2021-22"]
    assert hate["count"].sum() == 900 + 1000 + 50
    assert set(hate["source_file"]) == {"hate.csv", "hate-more.csv"}
    assert "local:hate_crime for South Wales: 5 rows in, 3 rows out" in caplog.text
    assert "1 rows for other areas set aside" in caplog.text
    assert "1 rows for periods after the report period set aside" in caplog.text
    assert "README.txt" in caplog.text
    everything = load_local_dir(folder, "Gwent")
    assert set(everything) == {"hate_crime", "custody"}
    assert everything["custody"]["count"].tolist() == [7000.0]


def test_load_local_dir_same_key_in_two_files(tmp_path):
    folder = _folder(tmp_path)
    write(
        folder / "hate-dup.csv", TEMPLATES["hate_crime"].header + "\nsouth-wales,2021/22,Race,crimes,999,\n"
    )
    with pytest.raises(DataError) as info:
        load_local_dir(folder, "South Wales", "2021-22")
    message = str(info.value)
    assert "hate-dup.csv row 2" in message and "hate.csv row 3" in message


def test_load_local_dir_reports_bad_files_and_missing_folder(tmp_path):
    folder = _folder(tmp_path)
    write(folder / "zz-bad.csv", TEMPLATES["hate_crime"].header + "\nKent,2021-22,race,crimes,lots,\n")
    with pytest.raises(DataError, match=r"zz-bad.csv, row 2, column 'count'.*'lots'"):
        load_local_dir(folder, "Kent")
    with pytest.raises(DataError, match="does not exist"):
        load_local_dir(tmp_path / "missing", "Kent")


# --------------------------------------------------------------------------------------------
# Age bands (issue 10): one banding per table; open bands cover every age past their bound
# --------------------------------------------------------------------------------------------

COMPLAINTS_HEADER = "area,period,characteristic,group,complaint_measure,count,denominator,notes\n"


@pytest.mark.parametrize(
    ("band", "span"),
    [("18-24", (18, 24)), ("under 18", (0, 17)), ("65 and over", (65, math.inf)), ("Not stated", None)],
)
def test_age_span(band, span):
    assert local.age_span(group_of("age", band)) == span


def test_age_bands_that_tile_are_accepted_and_other_tables_are_not_compared(tmp_path):
    rows = [
        f"South Wales,{period},age,{band},{measure},5,,"
        for period, measure, bands in (
            ("2021-22", "complainants", ("under 18", "18-24", "25-64", "65+", "Not stated")),
            ("2021-22", "allegations", ("under 25", "25-64", "65+")),  # another table
            ("2020-21", "complainants", ("18-20", "21-24", "25+")),  # another year: another banding
        )
        for band in bands
    ]
    path = write(tmp_path / "complaints.csv", COMPLAINTS_HEADER + "\n".join(rows) + "\n")
    assert validate(path) == []
    assert len(read_local(path)) == len(rows)


@pytest.mark.parametrize(
    ("bands", "row", "message"),
    [
        (("18-24", "18+"), 3, "age band '18+' overlaps '18-24' in row 2: ages 18 to 24 would be counted"),
        (("16-17", "under 18"), 3, "age band 'under 18' overlaps '16-17' in row 2: ages 16 to 17"),
        (("under 18", "18-24", "under 25"), 4, "'under 25' overlaps 'under 18' in row 2: ages 0 to 17"),
        (("25-34", "34-44"), 3, "age band '34-44' overlaps '25-34' in row 2: age 34 would be counted twice"),
    ],
)
def test_overlapping_age_bands_are_refused(tmp_path, bands, row, message):
    rows = "".join(f"Gwent,2021-22,age,{band},complainants,5,,\n" for band in bands)
    path = write(tmp_path / "complaints.csv", COMPLAINTS_HEADER + rows)
    problems = validate(path)
    assert [(p.row, p.column) for p in problems] == [(row, "group")]
    assert message in problems[0].message


# --------------------------------------------------------------------------------------------
# Quotes (issue 10): an unterminated quote is refused where it opens; well-formed quoting is read
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('a,b\n1,"x\n2,3\n', (2, 2)),
        ('a,b\r\n1,"ok ""quoted"" text"\r\n2,"line\r\nbreak"\r\n"open,3\r\n', (5, 1)),
        ('a,b\r1,2\r3,"\r', (3, 2)),
        ('"a,b', (1, 1)),
    ],
)
def test_open_quote_finds_the_line_and_field(text, where):
    from eqlib.sources._common import open_quote

    found = open_quote(text)
    assert found is not None and (found.line, found.field) == where


@pytest.mark.parametrize(
    "text",
    ["a,b\n1,2\n", 'a,b\n1,"x, ""y"""\n', 'a,b\n1,"two\nlines"\n2,3', 'a,b\n1,5" tall\n2,"3"'],
)
def test_open_quote_passes_well_formed_csv(text):
    from eqlib.sources._common import open_quote

    assert open_quote(text) is None


def test_unterminated_quote_in_the_header_and_in_a_ho_file(tmp_path):
    from eqlib.sources import ho_stop_search

    path = write(tmp_path / "complaints.csv", 'area,"period\nGwent,2021-22\n')
    assert [(p.row, p.column) for p in validate(path)] == [(1, "field 2")]
    ho = write(
        tmp_path / "force_by_ethnicity.csv",
        'financial_year,police_force,ethnicity,total_searches\n2021/22,"Gwent,White,10\n',
    )
    with pytest.raises(DataError, match=r"row 2, column 'police_force': unterminated quote"):
        ho_stop_search.read_force_by_ethnicity(ho)


# --------------------------------------------------------------------------------------------
# Issue 10 item 7: what the reader passes over is printed as a warning by `eqlib data validate`
# --------------------------------------------------------------------------------------------


def test_cmd_validate_a_folder_warns_of_files_not_read_and_rows_for_other_areas(tmp_path, capsys):
    folder = _folder(tmp_path)
    (folder / "notes.xlsx").write_bytes(b"PK")
    assert cli_main(["data", "validate", str(folder), "--area", "south-wales"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"warning: {folder}: not CSV, not read: README.txt, notes.xlsx (save each table as CSV)",
        f"{folder / 'custody.csv'}: valid custody file, 1 rows",
        f"warning: {folder / 'custody.csv'}: 1 row for other areas (Gwent) set aside: only South Wales's "
        "rows are reported",
        f"{folder / 'hate-more.csv'}: valid hate_crime file, 1 rows",
        f"{folder / 'hate.csv'}: valid hate_crime file, 4 rows",
        f"warning: {folder / 'hate.csv'}: 1 row for other areas (Gwent) set aside: only South Wales's "
        "rows are reported",
    ]
    assert cli_main(["data", "validate", str(folder)]) == 0  # without --area, no area is 'other'
    assert "other areas" not in capsys.readouterr().out


def test_cmd_validate_a_folder_lists_problems_of_every_file_and_exits_2(tmp_path, capsys):
    folder = _folder(tmp_path)
    write(folder / "bad.csv", TEMPLATES["hate_crime"].header + "\nKent,2021-22,race,crimes,-4,\n")
    assert cli_main(["data", "validate", str(folder), "--area", "nowhere"]) == 2
    assert "--area 'nowhere'" in capsys.readouterr().out
    assert cli_main(["data", "validate", str(folder)]) == 2
    out = capsys.readouterr().out.splitlines()
    bad = folder / "bad.csv"
    assert f"{bad}, row 2, column 'count': negative count (found '-4'); expected a count of 0 or more" in out
    assert out[-1] == f"{folder}: 1 problem; not valid"
