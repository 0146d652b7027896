"""Stop and search by sex and age group, strip search by ethnic group, and the protected characteristics
without data: counts against an independent count of the raw police.uk CSV files (csv module),
intervals against statsmodels, suppression, and what the default report shows."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.rates import confint_poisson_2indep

from eqlib import analysis, areas, paths
from eqlib.errors import DataError
from eqlib.metrics.characteristics import SEX_GROUPS, characteristic_shares, hide_suppressed_ratios

WALES = paths.raw_dir() / "policeuk-stop-search-wales-4forces-2019-2022"
FY_2021_22 = [f"2021-{m:02d}" for m in range(4, 13)] + [f"2022-{m:02d}" for m in range(1, 4)]
CODES = {slug: areas.resolve(slug).code for slug in ("north-wales", "south-wales", "dyfed-powys")}


def _raw_rows(slug: str) -> list[dict[str, str]]:
    """Every search of a person (not vehicle-only) in the force's 2021/22 police.uk files, read with csv."""
    rows = []
    for month in FY_2021_22:
        path = WALES / f"{month}-{slug}-stop-and-search.csv"
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows += [r for r in csv.DictReader(handle) if r["Type"] != "Vehicle search"]
    return rows


def _figures(measure: str, slug: str) -> pd.DataFrame:
    frame = analysis.compute_measure(measure)
    return frame[(frame["area_code"] == CODES[slug]) & (frame["period"] == "2021-22")]


def _counts(frame: pd.DataFrame, measure: str) -> dict[str, float]:
    rows = frame[frame["measure"] == measure]
    return dict(zip(rows["group"], rows["count"], strict=True))


@pytest.mark.parametrize("slug", ["north-wales", "south-wales"])
def test_searches_by_sex_equal_a_count_of_the_raw_files(slug: str) -> None:
    raw = Counter(r["Gender"] or "Not recorded" for r in _raw_rows(slug))
    got = _counts(_figures("stop_search_by_sex", slug), "stop_search_by_sex")
    assert got.pop("All") == sum(raw.values())
    assert got == {g: float(raw.get(g, 0)) for g in (*SEX_GROUPS, "Not recorded")}
    assert raw["Male"] > 1000  # a meaningful comparison


def test_searches_by_age_equal_a_count_of_the_raw_files() -> None:
    raw = Counter(r["Age range"] or "Not recorded" for r in _raw_rows("north-wales"))
    got = _counts(_figures("stop_search_by_age", "north-wales"), "stop_search_by_age")
    assert got.pop("All") == sum(raw.values())
    assert got == {
        g: float(raw.get(g, 0)) for g in ("under 10", "10-17", "18-24", "25-34", "over 34", "Not recorded")
    }


def test_a_force_that_records_no_age_range_gets_no_figures_not_zeros() -> None:
    assert {r["Age range"] for r in _raw_rows("south-wales")} == {""}  # as published by police.uk
    figures = _figures("stop_search_by_age", "south-wales")
    cats = figures[~figures["group"].isin(["All", "Not recorded"])]
    assert len(cats) == 9  # five shares, four ratios
    assert cats["value"].isna().all() and cats["count"].isna().all() and set(cats["symbol"]) == {"[x]"}
    assert all("characteristic_not_recorded" in c for c in cats["caveats"])


def _broad(label: str) -> str:
    """Independent broad group of a police.uk self-defined ethnicity label (the text before " - ")."""
    if not label or label.endswith("Not stated"):
        return "Not stated"
    head = label.split(" - ")[0]
    return {
        "Asian/Asian British": "Asian",
        "Black/African/Caribbean/Black British": "Black",
        "Mixed/Multiple ethnic groups": "Mixed",
        "White": "White",
        "Other ethnic group": "Other",
    }[head]


@pytest.mark.parametrize("slug", ["north-wales", "dyfed-powys"])
def test_strip_searches_by_ethnic_group_equal_a_count_of_the_raw_files(slug: str) -> None:
    field = "Removal of more than just outer clothing"
    events, recorded = Counter(), Counter()
    for r in _raw_rows(slug):
        if r[field] in ("True", "False"):
            recorded[_broad(r["Self-defined ethnicity"])] += 1
            events[_broad(r["Self-defined ethnicity"])] += r[field] == "True"
    figures = _figures("stop_search_strip_search", slug)
    shares = figures[figures["measure"] == "stop_search_strip_search"].set_index("group")
    for group in ("Asian", "Black", "Mixed", "White", "Other", "Not stated"):
        if group not in shares.index:  # no search of the group recorded at all in the force's files
            assert recorded[group] == 0, group
            continue
        assert shares.loc[group, "count"] == events[group], group
        assert shares.loc[group, "denominator"] == recorded[group], group
    assert events["White"] > 20


def test_strip_search_for_a_force_that_leaves_the_field_blank_is_not_available() -> None:
    assert {r["Removal of more than just outer clothing"] for r in _raw_rows("south-wales")} == {""}
    figures = _figures("stop_search_strip_search", "south-wales")
    assert len(figures) and figures["value"].isna().all()
    assert all("characteristic_not_recorded" in c for c in figures["caveats"])


def test_intervals_are_the_statsmodels_ones() -> None:
    figures = _figures("stop_search_by_sex", "north-wales")
    male = figures[(figures["measure"] == "stop_search_by_sex") & (figures["group"] == "Male")].iloc[0]
    low, high = proportion_confint(male["count"], male["denominator"], method="wilson")
    assert male["value"] == pytest.approx(100 * male["count"] / male["denominator"])
    assert (male["ci_low"], male["ci_high"]) == pytest.approx((100 * low, 100 * high), rel=1e-9)
    ratio = figures[(figures["measure"] == "stop_search_by_sex_ratio") & (figures["group"] == "Male")].iloc[0]
    female = figures[(figures["measure"] == "stop_search_by_sex") & (figures["group"] == "Female")].iloc[0]
    assert ratio["value"] == pytest.approx(male["count"] / female["count"])
    low, high = confint_poisson_2indep(male["count"], 1, female["count"], 1, method="score", compare="ratio")
    assert (ratio["ci_low"], ratio["ci_high"]) == pytest.approx((low, high), rel=1e-6)

    strip = _figures("stop_search_strip_search", "north-wales")
    white = strip[(strip["measure"] == "stop_search_strip_search") & (strip["group"] == "White")].iloc[0]
    low, high = proportion_confint(white["count"], white["denominator"], method="wilson")
    assert (white["ci_low"], white["ci_high"]) == pytest.approx((100 * low, 100 * high), rel=1e-9)
    ns = strip[(strip["measure"] == "stop_search_strip_search") & (strip["group"] == "Not stated")].iloc[0]
    r = strip[(strip["measure"] == "stop_search_strip_search_ratio") & (strip["group"] == "Not stated")].iloc[
        0
    ]
    low, high = confint_proportions_2indep(
        ns["count"], ns["denominator"], white["count"], white["denominator"], compare="ratio", method="score"
    )
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((low, high), rel=1e-5)


def test_small_ratio_counts_use_the_exact_conditional_interval() -> None:
    counts = pd.DataFrame(
        {
            "area_code": "W15000001",
            "area_name": "North Wales",
            "period": "2021-22",
            "gender": ["Male", "Female", "Other", "Not recorded"],
            "count": [40.0, 7.0, 2.0, 1.0],
        }
    )
    out = characteristic_shares(
        counts, column="gender", categories=SEX_GROUPS, reference="Female", measure="stop_search_by_sex"
    )
    male = out[(out["measure"] == "stop_search_by_sex_ratio") & (out["group"] == "Male")].iloc[0]
    p_low, p_high = proportion_confint(40, 47, method="beta")
    assert (male["ci_low"], male["ci_high"]) == pytest.approx((p_low / (1 - p_low), p_high / (1 - p_high)))
    assert "exact" in male["method"]
    shares = out[out["measure"] == "stop_search_by_sex"].set_index("group")
    assert shares.loc["All", "count"] == 50 and shares["denominator"].eq(50).all()
    assert shares.loc[["Male", "Female", "Other", "Not recorded"], "value"].sum() == pytest.approx(100)
    assert all("no_population_denominator" in c for c in out["caveats"])


def test_an_unknown_category_is_refused_naming_the_row() -> None:
    counts = pd.DataFrame(
        {"area_code": "W15000001", "period": "2021-22", "gender": ["Male", "Unknown"], "count": [3.0, 1.0]}
    )
    with pytest.raises(DataError, match="unknown value in gender") as info:
        characteristic_shares(
            counts, column="gender", categories=SEX_GROUPS, reference="Female", measure="stop_search_by_sex"
        )
    assert info.value.row == 2 and info.value.column == "gender"


def test_suppression_protects_the_categories_and_their_ratios() -> None:
    sel = analysis.figures_for("stop_search_by_sex", "south-wales", "2021-22")
    shares = sel.frame[sel.frame["measure"] == "stop_search_by_sex"].set_index("group")
    raw = _figures("stop_search_by_sex", "south-wales").set_index(["measure", "group"])
    assert 0 < raw.loc[("stop_search_by_sex", "Other"), "count"] < 5  # the test needs a small count
    assert shares.loc["Other", "symbol"] == "[c]" and np.isnan(shares.loc["Other", "value"])
    # the total is published, so a second category is suppressed (no single [c] in the line)
    line = shares.loc[["Male", "Female", "Other", "Not recorded"]]
    assert (line["symbol"] == "[c]").sum() >= 2
    ratios = sel.frame[sel.frame["measure"] == "stop_search_by_sex_ratio"].set_index("group")
    assert ratios.loc["Other", "symbol"] == "[c]" and np.isnan(ratios.loc["Other", "value"])
    assert ratios.loc["Male", "symbol"] == "" and ratios.loc["Male", "value"] > 1


def test_a_ratio_is_hidden_when_its_reference_share_is_suppressed() -> None:
    counts = pd.DataFrame(
        {
            "area_code": "W15000001",
            "area_name": "North Wales",
            "period": "2021-22",
            "gender": ["Male", "Female", "Other", "Not recorded"],
            "count": [400.0, 3.0, 9.0, 20.0],
        }
    )
    out = characteristic_shares(
        counts, column="gender", categories=SEX_GROUPS, reference="Female", measure="stop_search_by_sex"
    )
    published = analysis.suppress(out, threshold=5)
    ratios = published[published["measure"] == "stop_search_by_sex_ratio"]
    assert set(ratios["symbol"]) == {"[c]"} and ratios["value"].isna().all()
    assert hide_suppressed_ratios(published).equals(published)  # idempotent


def test_the_evidence_gap_list_names_the_characteristics_without_data() -> None:
    from eqlib.framework.evidence import (
        PROTECTED_CHARACTERISTICS,
        characteristic_coverage,
        characteristic_gaps,
    )
    from eqlib.measures import measure_ids

    assert len(PROTECTED_CHARACTERISTICS) == 9
    only_race = characteristic_gaps({"stop_search_rate"})
    assert {
        "Age",
        "Disability",
        "Religion or belief",
        "Sexual orientation",
        "Gender reassignment (gender identity)",
        "Sex",
        "Marriage and civil partnership",
        "Pregnancy and maternity",
    } == set(only_race)
    everything = characteristic_coverage(set(measure_ids()))
    assert set(everything.loc[everything["status"] == "gap", "characteristic"]) == {
        "Marriage and civil partnership",
        "Pregnancy and maternity",
    }
    with_local = characteristic_gaps(
        {"stop_search_rate"}, local={"Disability": ["complaints_by_characteristic"]}
    )
    assert "Disability" not in with_local


def test_the_default_report_shows_sex_and_says_plainly_what_is_not_recorded() -> None:
    from eqlib.report import sections

    ctx = sections.context("south-wales", "2021-22")
    blocks = sections.measure_blocks(
        ctx, ["stop_search_by_sex", "stop_search_by_age", "stop_search_strip_search"]
    )
    charts = [b for b in blocks if isinstance(b, sections.Chart)]
    tables = [b for b in blocks if isinstance(b, sections.Table)]
    assert [c.label for c in charts] == ["stop-search-by-sex"]
    male = analysis.figures_for("stop_search_by_sex", "south-wales", "2021-22").frame
    male = male[(male["measure"] == "stop_search_by_sex") & (male["group"] == "Male")].iloc[0]
    finding = f"In 2021/22, {male['value']:.1f}% of the 9,721 searches of people in South Wales were of males"
    assert charts[0].alt.startswith(finding)  # the finding first, from the data
    assert {t.label for t in tables} == {"stop-search-by-sex", "stop-search-by-sex-ratio"}
    assert all(t.caption for t in tables)
    sex_table = tables[0].frame.set_index("Sex")
    assert sex_table.loc["Other", "Searches"] == "[c]" and sex_table.loc["Male", "Searches"] == "8,431"
    text = sections.render_text(blocks)
    assert (
        "did not record the age range of the person searched in any of its 9,721 police.uk search records"
        in text
    )
    assert 'left the police.uk field "removal of more than just outer clothing" blank' in text
    assert "no resident population by age or sex" in text

    gaps = sections.render_text(sections.protected_characteristics(ctx))
    for name in (
        "| Disability | none | Evidence gap: no data |",
        "| Religion or belief | none |",
        "| Sexual orientation | none |",
        "| Gender reassignment (gender identity) | none |",
        "| Age | none | Evidence gap: no data |",
    ):
        assert name in gaps
    # sex is covered by the searches and, from the workforce open data, by women in the workforce
    assert (
        "| Sex | Searches of people by sex (share of searches); Women in the police workforce, by rank and "
        "worker type | Has data |"
    ) in gaps


def test_another_area_shows_age_and_strip_search_charts() -> None:
    from eqlib.report import sections

    ctx = sections.context("north-wales", "2021-22")
    blocks = sections.measure_blocks(ctx, ["stop_search_by_age", "stop_search_strip_search"])
    labels = [b.label for b in blocks if isinstance(b, sections.Chart)]
    assert labels == ["stop-search-by-age", "stop-search-strip-search"]
    strip = next(b for b in blocks if isinstance(b, sections.Chart) and b.label == "stop-search-strip-search")
    assert strip.alt.startswith(
        "In 2021/22, 2.5% of searches of White people in North Wales involved the removal"
    )


def test_the_communities_notebook_shows_them() -> None:
    import nbformat

    from eqlib.measures import catalogue

    nb = nbformat.read(Path(paths.project_root()) / "notebooks" / "01_communities.ipynb", as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    # the notebook's cell shows the catalogue's measures of that cell: exactly these three, in this order
    assert 'sections.measure_cell(ctx, "01_communities", "stop_search_characteristics")' in source
    assert catalogue.cell_measures("01_communities", "stop_search_characteristics") == (
        "stop_search_by_sex",
        "stop_search_by_age",
        "stop_search_strip_search",
    )
    assert "sections.protected_characteristics(ctx)" in source
