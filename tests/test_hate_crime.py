"""Metropolitan Police hate crime by borough, month and strand."""

from __future__ import annotations

import pandas as pd
import pytest

from eqlib.errors import DataError
from eqlib.sources import hate_crime

FOLDER = "mps-hate-crime-borough-monthly-2010-2021"
CSV = "Monthly Crime Other Crime Borough Level Off Type.csv"

# SOURCE.txt KEY VALUES: sums over boroughs by financial year, 2016/17 to 2020/21
KEY_VALUES = {
    "Racist and Religious Hate Crime": (17_211, 16_951, 17_116, 18_760, 21_124),
    "Homophobic Hate Crime": (2_043, 2_093, 2_379, 3_028, 2_930),
    "Disability Hate Crime": (667, 443, 399, 477, 518),
    "Transgender Hate": (201, 173, 233, 291, 288),
    "Faith Hate Crime": (2_110, 2_501, 2_211, 2_178, 1_852),
    "Anti-Semitic": (542, 519, 598, 611, 609),
    "Islamophobic": (1_266, 1_667, 1_274, 1_123, 830),
}
YEARS = ("2016-17", "2017-18", "2018-19", "2019-20", "2020-21")


@pytest.fixture(scope="module")
def hate(raw_dir) -> pd.DataFrame:
    return hate_crime.load_hate_crime(raw_dir)


@pytest.mark.parametrize("strand", sorted(KEY_VALUES))
def test_source_key_values(hate, strand):
    totals = hate_crime.financial_year_totals(hate).set_index(["strand", "period"])["count"]
    assert tuple(int(totals[(strand, y)]) for y in YEARS) == KEY_VALUES[strand]


def test_shape_and_dimensions(hate):
    assert set(hate["area_code"]) == {"E23000001"}  # one force only
    assert hate["borough"].nunique() == 33
    assert "Aviation Security(SO18)" in set(hate["borough"])
    assert hate["period"].nunique() == 134  # April 2010 to May 2021
    assert hate["period"].min() == "2010-04" and hate["period"].max() == "2021-05"
    assert (hate["group"] == hate["strand"]).all()
    assert len(hate) == 33 * 10 * 134
    assert set(hate.loc[~hate["hate_strand"], "strand"]) == hate_crime.NOT_HATE_STRANDS
    assert hate["count"].notna().all()


def test_incomplete_year_not_summed(hate):
    totals = hate_crime.financial_year_totals(hate)
    assert "2021-22" not in set(totals["period"])  # April and May 2021 only
    assert "2010-11" in set(totals["period"])


def test_strands_are_not_added_up(hate):
    """Faith, Anti-Semitic and Islamophobic overlap Racist and Religious: the loader keeps them
    apart and never produces a total across strands."""
    assert "All" not in set(hate["strand"]) and "Total" not in set(hate["strand"])
    assert "do not add up" in hate_crime.__doc__ or "Never sum across strands" in hate_crime.__doc__


def _bad(raw_dir, tmp_path, old, new):
    text = (raw_dir / FOLDER / CSV).read_text()
    assert old in text
    path = tmp_path / "hate.csv"
    path.write_text(text.replace(old, new, 1))
    return path


def test_bad_inputs(raw_dir, tmp_path):
    with pytest.raises(DataError, match="row 1, column .2010-04.: a column that is not a month"):
        hate_crime.read_hate_crime(_bad(raw_dir, tmp_path, ",201004,", ",2010-04,"))
    with pytest.raises(DataError, match="missing columns.*MinorText"):
        hate_crime.read_hate_crime(_bad(raw_dir, tmp_path, "MinorText", "Minor"))
    header, first = (raw_dir / FOLDER / CSV).read_text().splitlines()[:2]
    dup = tmp_path / "dup.csv"
    dup.write_text("\n".join([header, first, first]) + "\n")
    with pytest.raises(DataError, match="row 3.*appear twice"):
        hate_crime.read_hate_crime(dup)


def test_bad_count_names_row_and_month(raw_dir, tmp_path):
    lines = (raw_dir / FOLDER / CSV).read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if ",Hate," in line)
    cells = lines[row].split(",")
    cells[3] = "n/k"
    lines[row] = ",".join(cells)
    path = tmp_path / "hate.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=rf"row {row + 1}, column '201004'.*'n/k'"):
        hate_crime.read_hate_crime(path)
