"""The bad-input corpus (tests/data/bad/, see its README.md): every broken file gets either a
DataError naming file, row, column, value and what was expected, or the correct handling
(a GSS symbol becomes a missing count WITH its symbol and reason, never zero)."""

from __future__ import annotations

import csv
import io
import math
import re
import time
from pathlib import Path

import pytest

from eqlib import paths
from eqlib.errors import DataError
from eqlib.sources import home_office, ods, policeuk
from eqlib.sources._common import parse_count
from eqlib.sources.local import read_local, validate

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
LOCAL = BAD / "local"
POLICEUK = BAD / "policeuk"
ODS = BAD / "ods"
ARRESTS = (
    paths.raw_dir(ROOT) / "ho-arrests-ppp-2018-19/arrest-police-powers-procedures-mar19-hosb2519-tables.ods"
)


def check(
    exc: BaseException,
    path: Path,
    *,
    row: int | None = None,
    column: str | None = None,
    value: object = None,
    expected: str,
    message: str | None = None,
) -> str:
    """Assert the exact error type, and that its attributes AND its text name what they should."""
    assert type(exc) is DataError, type(exc)
    text = str(exc)
    assert exc.file == str(path) and text.startswith(str(path))
    if row is not None:
        assert exc.row == row and f"row {row}" in text
    if column is not None:
        assert exc.column == column and f"column {column!r}" in text
    if value is not None:
        assert exc.value == value and f"(found {value!r})" in text
    assert expected in exc.expected and f"expected {exc.expected}" in text
    if message is not None:
        assert message in text
    return text


def local_error(name: str) -> tuple[DataError, Path]:
    path = LOCAL / name
    with pytest.raises(DataError) as info:
        read_local(path)
    problems = validate(path)
    assert problems, "validate must report what read_local refuses"
    first = problems[0]
    assert (first.row, first.column, first.value) == (info.value.row, info.value.column, info.value.value)
    return info.value, path


# --------------------------------------------------------------------------------------------
# The corpus is what its README says
# --------------------------------------------------------------------------------------------


def corpus_files() -> list[Path]:
    return sorted(p for p in BAD.rglob("*") if p.is_file() and p.suffix in (".csv", ".ods"))


def test_corpus_has_at_least_15_files_each_in_the_readme():
    files = corpus_files()
    assert len(files) >= 15
    readme = (BAD / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([^`]+)`", readme, flags=re.MULTILINE))
    assert listed == {str(p.relative_to(BAD)) for p in files}


# --------------------------------------------------------------------------------------------
# Local templates: headers
# --------------------------------------------------------------------------------------------


def test_local_wrong_header():
    exc, path = local_error("wrong_header.csv")
    check(
        exc,
        path,
        row=1,
        column="measure",
        value="measure",
        expected="complaint_measure",
        message="the header matches no template (the closest is 'complaints')",
    )
    problems = validate(path)
    assert [(p.row, p.column) for p in problems] == [(1, "measure"), (1, "complaint_measure")]
    assert problems[1].message.endswith("missing column for the complaints template")


def test_local_missing_header():
    exc, path = local_error("missing_header.csv")
    check(
        exc,
        path,
        row=1,
        value="South Wales,2021-22,ethnicity,White,complaint_cases,850,,",
        expected="a header row, e.g. workforce: area,organisation,",
        message="missing header: the first row holds data",
    )


@pytest.mark.parametrize("name", ["empty.csv", "blank_lines_only.csv"])
def test_local_empty_file(name):
    exc, path = local_error(name)
    check(exc, path, expected="a header row and data rows", message="the file is empty")


# --------------------------------------------------------------------------------------------
# Local templates: cells
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "row", "column", "value", "expected", "message"),
    [
        (
            "unknown_force.csv",
            3,
            "area",
            "South Walse",
            "closest matches: South Wales",
            "unknown police force area",
        ),
        (
            "unknown_ethnicity.csv",
            3,
            "group",
            "Black Britsh",
            "(closest: Black or Black British",
            "unknown ethnicity label",
        ),
        ("non_numeric_count.csv", 2, "count", "twelve", "a whole number or a GSS symbol", "not a number"),
        (
            "two_labels_one_group.csv",
            3,
            "group",
            "Black or Black British",
            "one label for each group throughout the file (as in row 2)",
            "two labels for the group Black",
        ),
        (
            "comma_decimal_count.csv",
            2,
            "count",
            "1,5",
            "a whole number written like 15 or 1,500",
            "not a plain number",
        ),
        (
            "underscore_count.csv",
            2,
            "count",
            "1_000",
            "a whole number written like 15 or 1,500",
            "not a plain number",
        ),
        (
            "exponent_count.csv",
            2,
            "count",
            "1e3",
            "a whole number written like 15 or 1,500",
            "not a plain number",
        ),
        (
            "fullwidth_count.csv",
            2,
            "count",
            "\uff11\uff12",
            "a whole number written like 15 or 1,500",
            "not a plain number",
        ),
        ("negative_count.csv", 3, "count", "-3", "a count of 0 or more", "negative count"),
        ("blank_count.csv", 2, "count", "", "a whole number (0 if none), or a GSS symbol", "empty count"),
        ("fractional_headcount.csv", 2, "headcount", "412.5", "headcount, not FTE", "not a whole number"),
        ("total_row.csv", 3, "group", "Total", "without totals", "a total row"),
        (
            "unknown_characteristic.csv",
            2,
            "characteristic",
            "race",
            "ethnicity, sex, age, disability",
            "not an allowed characteristic",
        ),
        (
            "unknown_measure.csv",
            2,
            "complaint_measure",
            "complaints",
            "complaint_cases, allegations, complainants",
            "not an allowed complaint_measure",
        ),
        (
            "bad_period.csv",
            2,
            "period",
            "2021-23",
            "a financial year such as 2021-22",
            "cannot read the period",
        ),
        (
            "count_over_denominator.csv",
            2,
            "satisfied",
            "310",
            "at most the respondents (300)",
            "satisfied is larger than its respondents",
        ),
        ("opcc_officer.csv", 2, "worker_type", "officer", "staff when organisation is opcc", "staff only"),
        ("rank_all_mixed.csv", 2, "rank", "all", "one row per rank (see row 3)", "rank 'all'"),
        (
            "example_rows_left_in.csv",
            2,
            "notes",
            "EXAMPLE row: invented figure; delete",
            "delete the template's example rows",
            "an EXAMPLE row",
        ),
        ("dash.csv", 2, "count", "-", "0 for nil, or [x] if not available", "'-' is ambiguous"),
    ],
)
def test_local_bad_cell(name, row, column, value, expected, message):
    exc, path = local_error(name)
    check(exc, path, row=row, column=column, value=value, expected=expected, message=message)
    assert len(validate(path)) == 1


PLAIN_NUMBER = (
    "not a plain number (only the digits 0-9, an optional decimal point, and commas between groups of "
    "three digits) (found {!r}); expected a whole number written like 15 or 1,500 (not 1,5, 1_000, 1e3 or "
    "full-width digits), or a GSS symbol"
)

#: the whole message of each issue-10 item 4 case, as `eqlib data validate` prints it
EXACT = {
    "comma_decimal_count.csv": (2, "count", PLAIN_NUMBER.format("1,5")),
    "underscore_count.csv": (2, "count", PLAIN_NUMBER.format("1_000")),
    "exponent_count.csv": (2, "count", PLAIN_NUMBER.format("1e3")),
    "fullwidth_count.csv": (2, "count", PLAIN_NUMBER.format("\uff11\uff12")),
    "two_labels_one_group.csv": (
        3,
        "group",
        "two labels for the group Black: 'Black or Black British' here and another label in row 2 (found "
        "'Black or Black British'); expected one label for each group throughout the file (as in row 2)",
    ),
    "unterminated_quote.csv": (
        3,
        "notes",
        "unterminated quote: the quoted value that starts here is never closed, so it would swallow every "
        "row after it (found '\"PSD data, excluding Schedule 3'); expected a closing quote at the end of "
        'the value (a value with a comma or a line break is written "like, this"; a quote inside it is '
        'doubled "")',
    ),
    "overlapping_age_bands.csv": (
        4,
        "group",
        "age band '20-29' overlaps '18-24' in row 2: ages 20 to 24 would be counted twice (found "
        "'20-29'); expected age bands that do not overlap within a table, such as 'under 18', '18-24', "
        "'25-34' ... '65 and over' (keep '18-24' of row 2 or '20-29', not both)",
    ),
    "overlapping_open_age_bands.csv": (
        5,
        "group",
        "age band '75 and over' overlaps '65+' in row 4: ages 75 and over would be counted twice (found "
        "'75 and over'); expected age bands that do not overlap within a table, such as 'under 18', "
        "'18-24', '25-34' ... '65 and over' (keep '65+' of row 4 or '75 and over', not both)",
    ),
    "impossible_date.csv": (
        2,
        "as_at",
        "not a real date (day is out of range for month) (found '2024-02-30'); expected a date YYYY-MM-DD "
        "(e.g. 2022-03-31) or DD/MM/YYYY",
    ),
}


@pytest.mark.parametrize("name", sorted(EXACT))
def test_local_exact_message(name, capsys):
    from eqlib import cli

    row, column, message = EXACT[name]
    start = time.process_time()
    exc, path = local_error(name)
    assert str(exc) == f"{path}, row {row}, column {column!r}: {message}"
    assert (exc.row, exc.column) == (row, column) and len(validate(path)) == 1
    assert cli.main(["data", "validate", str(path)]) == 2
    assert (
        capsys.readouterr().out
        == f"{path}, row {row}, column {column!r}: {message}\n{path}: 1 problem; not valid\n"
    )
    assert time.process_time() - start < 1.0


def test_local_out_of_range_periods_are_each_refused(capsys):
    """0000 and 9999-00 (no such date in Python) and 1066-67 (a real year, but a typo): issue 10 item 5."""
    from eqlib import cli

    path = LOCAL / "out_of_range_periods.csv"
    start = time.process_time()
    assert cli.main(["data", "validate", str(path)]) == 2
    expected = "expected a period in the financial years 1980-81 to 2049-50"
    assert capsys.readouterr().out.splitlines() == [
        f"{path}, row {row}, column 'period': outside the years eqlib reports on (found {value!r}); {expected}"
        for row, value in ((2, "0000"), (3, "9999-00"), (4, "1066-67"))
    ] + [f"{path}: 3 problems; not valid"]
    assert time.process_time() - start < 1.0
    with pytest.raises(DataError) as info:
        read_local(path)
    check(info.value, path, row=2, column="period", value="0000", expected="1980-81 to 2049-50")


def test_unterminated_quote_swallows_nothing_silently():
    """csv alone reads rows 3-5 of the file as one notes value, and the file as 2 valid rows."""
    path = LOCAL / "unterminated_quote.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    assert len(rows) == 3 and rows[2][5].count("South Wales") == 2  # what would have been lost
    problems = validate(path)
    assert [(p.row, p.column) for p in problems] == [(3, "notes")]


def test_local_wrong_field_count():
    exc, path = local_error("wrong_field_count.csv")
    check(
        exc,
        path,
        row=2,
        value="South Wales,2021-22,ethnicity,White,complaint_cases,850,,PSD data, excluding Schedule 3",
        expected="8 comma-separated fields (quote any value containing a comma)",
        message="the row has 9 fields, the header 8",
    )


def test_local_many_problems_are_all_listed():
    path = LOCAL / "many_problems.csv"
    problems = validate(path)
    assert [(p.row, p.column, p.value) for p in problems] == [
        (3, "area", "Sowth Wales"),
        (4, "group", "Purple"),
        (5, "count", "ten"),
        (6, "count", "-1"),
    ]
    with pytest.raises(DataError) as info:
        read_local(path)
    assert str(info.value).endswith(
        f"(and 3 more problems: run `eqlib data validate {path}` to list them all)"
    )


# --------------------------------------------------------------------------------------------
# Local templates: duplicates
# --------------------------------------------------------------------------------------------


def test_local_exact_duplicate_names_both_rows():
    exc, path = local_error("duplicate_rows.csv")
    check(
        exc,
        path,
        row=4,
        column="area, period, strand, hate_measure",
        value="Gwent, 2021-22, race, crimes",
        expected="delete or merge rows 2 and 4",
        message="duplicated row: row 4 repeats row 2 exactly",
    )


def test_local_same_key_other_figures_names_both_rows():
    # 'gwent', '2021/22' and 'Race' are the same key as 'Gwent', '2021-22', 'race'
    exc, path = local_error("conflicting_rows.csv")
    check(
        exc,
        path,
        row=3,
        value="gwent, 2021/22, Race, crimes",
        expected="delete or merge rows 2 and 3",
        message="row 3 has the same area, period, strand, hate_measure as row 2 but other figures",
    )


# --------------------------------------------------------------------------------------------
# Local templates: symbols are missing WITH their reason, never zero
# --------------------------------------------------------------------------------------------


def test_local_gss_symbols():
    frame = read_local(LOCAL / "gss_symbols.csv").set_index("source_label")
    assert frame.loc["White", "count"] == 21000 and frame.loc["White", "symbol"] == ""
    expected = {
        "Black (or Black British)": ("[c]", "confidential"),
        "Asian (or Asian British)": ("[x]", "not available"),
        "Mixed": ("[z]", "not applicable"),
        "Other": ("[u]", "low reliability"),
    }
    for label, (symbol, reason) in expected.items():
        assert math.isnan(frame.loc[label, "count"]), label
        assert frame.loc[label, "symbol"] == symbol
        assert reason in frame.loc[label, "symbol_reason"]
    assert frame["count"].sum() == 21000  # the symbols added nothing


def test_local_shorthand_symbols():
    frame = read_local(LOCAL / "shorthand_symbols.csv").set_index("group")
    assert math.isnan(frame.loc["White", "count"]) and frame.loc["White", "symbol"] == "[x]"
    assert "'..' in the source" in frame.loc["White", "symbol_reason"]
    assert math.isnan(frame.loc["Black", "count"]) and frame.loc["Black", "symbol"] == "[c]"
    assert "'*' in the source" in frame.loc["Black", "symbol_reason"]
    assert frame.loc["Asian", "count"] == 4
    assert math.isnan(frame.loc["Asian", "denominator"]) and frame.loc["Asian", "denominator_symbol"] == "[c]"
    assert frame.loc["White", "denominator"] == 21000


# --------------------------------------------------------------------------------------------
# Local templates: encodings
# --------------------------------------------------------------------------------------------


def test_local_cp1252_is_read_correctly():
    path = LOCAL / "cp1252.csv"
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # the file really is Windows-1252
    frame = read_local(path)
    assert frame.loc[0, "service"] == "Canolfan Cymorth i Ddioddefwyr – Caerdydd"
    assert frame.loc[0, "notes"] == "Budget £1.2m; café drop-ins"
    assert frame.loc[0, "count"] == 1200


def test_local_utf8_bom_is_read_correctly():
    path = LOCAL / "utf8_bom.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    frame = read_local(path)
    assert frame["dataset"].unique().tolist() == ["local:hate_crime"]
    assert frame["area_name"].tolist() == ["South Wales", "South Wales"]
    assert frame["count"].tolist() == [1500.0, 80.0]


# --------------------------------------------------------------------------------------------
# police.uk monthly files
# --------------------------------------------------------------------------------------------


def policeuk_error(name: str) -> tuple[DataError, Path]:
    path = POLICEUK / name
    with pytest.raises(DataError) as info:
        policeuk.read_month_file(path)
    return info.value, path


def test_policeuk_wrong_header():
    exc, path = policeuk_error("2021-04-south-wales-stop-and-search.csv")
    check(
        exc,
        path,
        row=1,
        expected="the 15 police.uk stop and search columns in this order: Type, Date,",
        message="wrong header (missing columns: 'Self-defined ethnicity'; unexpected columns: "
        "'Self defined ethnicity')",
    )


def test_policeuk_unknown_ethnicity_label():
    exc, path = policeuk_error("2021-05-south-wales-stop-and-search.csv")
    check(
        exc,
        path,
        row=4,
        column="Self-defined ethnicity",
        value="White - Welsh",
        expected="'White - English/Welsh/Scottish/Northern Irish/British'",
        message="unknown value in Self-defined ethnicity",
    )


def test_policeuk_unknown_force_slug_in_file_name():
    exc, path = policeuk_error("2021-06-south-walse-stop-and-search.csv")
    check(
        exc,
        path,
        value="south-walse",
        expected="a police.uk force slug such as south-wales",
        message="Closest matches: south-wales",
    )


def test_policeuk_empty_file():
    exc, path = policeuk_error("2021-08-south-wales-stop-and-search.csv")
    check(exc, path, expected="a header row and data rows", message="the file is empty")


def test_policeuk_missing_header():
    exc, path = policeuk_error("2021-09-south-wales-stop-and-search.csv")
    check(
        exc,
        path,
        row=1,
        expected="the 15 police.uk stop and search columns",
        message="unexpected columns: 'Person search', '2021-04-01T10:00:00+00:00'",
    )


def test_policeuk_unterminated_quote():
    exc, path = policeuk_error("2021-10-south-wales-stop-and-search.csv")
    check(
        exc,
        path,
        row=3,
        column="Policing operation",
        value='"Operation Bang, phase 2,51.49,-3.17,Fem...',
        expected="a closing quote at the end of the value",
        message="unterminated quote: the quoted value that starts here is never closed",
    )


def test_policeuk_utf8_bom_is_read_correctly():
    records = policeuk.read_month_file(POLICEUK / "2021-07-south-wales-stop-and-search.csv")
    assert len(records) == 2
    assert records["self_group"].tolist() == ["White", "Black"]
    assert set(records["area_code"]) == {"W15000003"} and set(records["month"]) == {"2021-07"}


# --------------------------------------------------------------------------------------------
# ODS: a truncated workbook; '-' and '..' as the Home Office tables define them
# --------------------------------------------------------------------------------------------


def test_truncated_ods():
    path = ODS / "arrests-truncated.ods"
    assert path.stat().st_size == ARRESTS.stat().st_size // 2
    assert path.read_bytes() == ARRESTS.read_bytes()[: ARRESTS.stat().st_size // 2]
    for read in (lambda: ods.read_sheet(path, "A_08"), lambda: home_office.read_arrests(path)):
        with pytest.raises(DataError) as info:
            read()
        check(
            info.value,
            path,
            expected="a complete OpenDocument spreadsheet (.ods) as published",
            message="truncated or corrupt",
        )


def _a08_note(path: Path) -> list[str]:
    return [str(c).strip() for row in ods.read_sheet(path, "A_08") for c in row if "=" in str(c)]


def test_home_office_dash_is_nil_as_the_table_says():
    path = ODS / "arrests-dash-nil.ods"
    # what the docs say: the sheet's own key
    assert "' - ' = Nil" in _a08_note(path) and "' .. ' = Data not available" in _a08_note(path)
    assert parse_count(" - ", file=path, row=1, column="c") == (0.0, "")
    nan, symbol = parse_count("-", file=path, row=1, column="c", dash_is_zero=False)
    assert math.isnan(nan) and symbol == "[x]"
    original = home_office.read_arrests(ARRESTS)
    dashed = home_office.read_arrests(path)
    cell = (
        (dashed["area_name"] == "Dyfed-Powys")
        & (dashed["period"] == "2017-18")
        & (dashed["source_label"] == "Chinese or Other")
    )
    assert cell.sum() == 1
    assert original.loc[cell, "count"].item() == 13  # the cell the corpus file rewrote as ' - '
    assert dashed.loc[cell, "count"].item() == 0 and dashed.loc[cell, "symbol"].item() == ""
    rest = ~cell
    assert dashed.loc[rest, "count"].fillna(-1).tolist() == original.loc[rest, "count"].fillna(-1).tolist()


def test_home_office_not_available_is_missing_with_symbol():
    frame = home_office.read_arrests(ARRESTS)
    lancashire = frame[frame["area_name"] == "Lancashire"]
    assert len(lancashire) == 12  # 2 years x 6 groups, kept, not dropped
    assert lancashire["count"].isna().all()
    assert (lancashire["symbol"] == "[x]").all()
