"""Prosecutions and convictions by ethnicity and police force area (MoJ via Ethnicity facts and figures)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest

from eqlib import areas
from eqlib.errors import DataError
from eqlib.sources import cjs

NATIONAL = areas.ENGLAND_AND_WALES_CODE
TERRITORIAL = {a.code for a in areas.all_areas()}


@pytest.fixture(scope="module")
def cj(raw_dir) -> pd.DataFrame:
    return cjs.load_prosecutions(raw_dir)


def _half_up(x: float) -> float:
    return float(Decimal(repr(float(x))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def test_one_tidy_row_per_csv_row(cj, raw_dir):
    raw = pd.read_csv(raw_dir / cjs.FILES[0], dtype=str)
    assert len(cj) == len(raw) == 2624
    assert cj["count"].sum() == pd.to_numeric(raw[cjs.NUMERATOR_COLUMN]).sum()
    assert cj["denominator"].sum() == pd.to_numeric(raw[cjs.DENOMINATOR_COLUMN]).sum()


def test_published_ratio_equals_numerator_over_denominator(cj):
    """Value% = Numerator / Denominator x 100, to the published 1 decimal place (half up)."""
    shown = cj[~cj["value_withheld"]]
    computed = [_half_up(100 * n / d) for n, d in zip(shown["count"], shown["denominator"], strict=True)]
    assert (pd.Series(computed, index=shown.index) == shown["value_pct"]).all()
    assert len(shown) == len(cj) - 15  # 15 small cells have no published ratio
    withheld = cj[cj["value_withheld"]]
    assert withheld["value_pct"].isna().all() and (withheld["denominator"] <= 11).all()


def test_force_areas_sum_to_all(cj):
    """Prosecutions by force area sum exactly to 'All'; convictions to at most 'All'.

    The published convictions by area fall short of the national figure by 0 to 37 a year
    and group (convictions not attributed to an area), under 0.1%: documented in cjs.
    """
    base = cj[(cj["sex"] == "All") & (cj["age_group"] == "All") & (cj["offence_group"] == "All")]
    key = ["period", "source_label"]
    areas_sum = base[base["area_code"].isin(TERRITORIAL)].groupby(key)[["count", "denominator"]].sum()
    national = base[base["area_code"] == NATIONAL].set_index(key)[["count", "denominator"]]
    assert (areas_sum["denominator"] == national["denominator"]).all()
    shortfall = national["count"] - areas_sum["count"]
    assert (shortfall >= 0).all() and (shortfall <= 37).all()
    assert (shortfall / national["count"] < 0.001).all()


def test_coverage(cj):
    assert sorted(cj["period"].unique()) == [str(y) for y in range(2009, 2018)]
    assert set(cj["group"]) == {"Asian", "Black", "Mixed", "Other", "White"}
    assert set(cj.loc[cj["source_label"] == "Other inc Chinese", "group"]) == {"Other"}
    city = cj[cj["area_name"] == "City of London"]
    assert sorted(city["period"].unique()) == ["2009", "2010", "2011"]
    breakdowns = cj[(cj["sex"] != "All") | (cj["age_group"] != "All") | (cj["offence_group"] != "All")]
    assert set(breakdowns["area_code"]) == {NATIONAL}  # breakdowns are national only
    assert ((cj["period_start"].dt.month == 1) & (cj["period_end"].dt.month == 12)).all()


def test_national_2017_published_figure(cj):
    row = cj[
        (cj["area_code"] == NATIONAL)
        & (cj["period"] == "2017")
        & (cj["group"] == "Black")
        & (cj["sex"] == "All")
        & (cj["age_group"] == "All")
        & (cj["offence_group"] == "All")
    ]
    assert len(row) == 1
    assert row["value_pct"].iloc[0] == _half_up(100 * row["count"].iloc[0] / row["denominator"].iloc[0])


def _bad(raw_dir, tmp_path, old: str, new: str):
    text = (raw_dir / cjs.FILES[0]).read_text()
    path = tmp_path / "prosecutions.csv"
    path.write_text(text.replace(old, new, 1))
    return path


def test_read_prosecutions_bad_inputs(raw_dir, tmp_path):
    with pytest.raises(DataError, match=r"row 2, column 'Denominator.*'19x171'"):
        cjs.read_prosecutions(_bad(raw_dir, tmp_path, '"19171"', '"19x171"'))
    with pytest.raises(DataError, match=r"row 2, column 'Numerator.*negative"):
        cjs.read_prosecutions(_bad(raw_dir, tmp_path, '"13759"', '"-13759"'))
    with pytest.raises(DataError, match="Police Force Area.*Avon and Somersett"):
        cjs.read_prosecutions(_bad(raw_dir, tmp_path, "Avon and Somerset", "Avon and Somersett"))
    with pytest.raises(DataError, match="column 'Time'"):
        cjs.read_prosecutions(_bad(raw_dir, tmp_path, '"2009","Year"', '"2009/10","Year"'))
    with pytest.raises(DataError, match="missing columns.*Police Force Area"):
        cjs.read_prosecutions(_bad(raw_dir, tmp_path, "Police Force Area", "PFA"))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="empty"):
        cjs.read_prosecutions(empty)


def test_read_prosecutions_suppressed_counts(raw_dir, tmp_path):
    frame = cjs.read_prosecutions(_bad(raw_dir, tmp_path, '"13759"', '"[c]"'))
    cell = frame.iloc[0]
    assert pd.isna(cell["count"]) and cell["symbol"] == "[c]" and cell["denominator"] == 19171


def test_read_prosecutions_duplicated_row(raw_dir, tmp_path):
    lines = (raw_dir / cjs.FILES[0]).read_text().splitlines()
    path = tmp_path / "dup.csv"
    path.write_text("\n".join([lines[0], lines[1], lines[2], lines[1]]) + "\n")
    with pytest.raises(DataError, match="dup.csv.*appears more than once"):
        cjs.read_prosecutions(path)
