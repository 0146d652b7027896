"""Measures from an analyst's local files (eqlib.measures.local, eqlib.measures.local_disclosure, eqlib.analysis.compute_local).

Expected values are computed here by hand from the numbers in the synthetic folder
``tests/data/local/south-wales-2021-22`` (every row marked EXAMPLE: invented figures), read with
the csv module, and from statsmodels called directly -- never from eqlib.measures.local itself.
"""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.rates import confint_poisson_2indep

from eqlib import measures
from eqlib.analysis import compute_local
from eqlib.errors import DataError
from eqlib.measures.local import local_figures
from eqlib.measures.local_disclosure import suppress_local
from eqlib.metrics import FIGURE_COLUMNS
from eqlib.sources.local import load_local_dir
from eqlib.sources.population import population_for

FOLDER = Path(__file__).parent / "data" / "local" / "south-wales-2021-22"
SOUTH_WALES = "W15000003"
ETHNIC = ("Asian", "Black", "Mixed", "White", "Other")


def rows(name: str) -> list[dict[str, str]]:
    with open(FOLDER / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def num(text: str) -> float:
    return float(text) if text.strip() not in ("", "[c]", "[x]", "..") else math.nan


@pytest.fixture(scope="module")
def frames():
    return load_local_dir(FOLDER, "South Wales", "2021-22", allow_examples=True)


@pytest.fixture(scope="module")
def figures(frames):
    return local_figures(frames, area_code=SOUTH_WALES, period="2021-22")


@pytest.fixture(scope="module")
def published():
    return compute_local("South Wales", "2021-22", FOLDER, allow_examples=True)


@pytest.fixture(scope="module")
def population():
    pop = population_for("2021-22")
    pop = pop.loc[pop["area_code"] == SOUTH_WALES]
    return dict(zip(pop["group"], pop["population"], strict=True))


def one(frame: pd.DataFrame, measure: str, group: str) -> pd.Series:
    hit = frame.loc[(frame["measure"] == measure) & (frame["group"] == group)]
    assert len(hit) == 1, f"{measure} / {group}: {len(hit)} rows"
    return hit.iloc[0]


# --------------------------------------------------------------------------------------------
# shape
# --------------------------------------------------------------------------------------------


def test_every_template_gives_its_measure_in_the_figure_shape(figures):
    assert set(figures) == {
        "workforce_representation",
        "opcc_workforce_representation",
        "complaints_by_characteristic",
        "victims_services_by_characteristic",
        "satisfaction_by_characteristic",
        "custody_by_ethnicity",
        "independent_custody_visits",
        "use_of_force_local",
        "hate_crime_by_strand",
    }
    known = set(measures.measure_ids())
    for measure_id, frame in figures.items():
        assert measure_id in known
        assert list(frame.columns[: len(FIGURE_COLUMNS)]) == list(FIGURE_COLUMNS)
        assert frame["measure"].str.startswith(measure_id).all()
        assert (frame["area_code"] == SOUTH_WALES).all()
        values = frame[["value", "ci_low", "ci_high"]].to_numpy(dtype=float)
        assert not np.isinf(values).any()
        assert (frame.loc[np.isnan(values).any(axis=1), "symbol"] != "").all()


# --------------------------------------------------------------------------------------------
# workforce
# --------------------------------------------------------------------------------------------


def workforce_counts(
    *, organisation="force", worker_types=("officer", "staff", "pcso"), ranks=None, characteristic="ethnicity"
) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in rows("workforce.csv"):
        if (
            r["organisation"] == organisation
            and r["worker_type"] in worker_types
            and r["characteristic"] == characteristic
            and (ranks is None or r["rank"] in ranks)
        ):
            out[r["group"]] = out.get(r["group"], 0.0) + float(r["headcount"])
    return out


def test_force_workforce_representation_by_hand(figures, population):
    fig = figures["workforce_representation"]
    counts = workforce_counts()  # officers of every rank + staff + PCSOs; specials not added in
    assert counts["Asian"] == 30 + 6 + 2 + 1 + 0 + 20 + 4
    stated = sum(counts[g] for g in ETHNIC)
    total_pop = sum(population[g] for g in ETHNIC)
    for group in ETHNIC:
        w = counts[group] / stated
        q = population[group] / total_pop
        ratio = one(fig, "workforce_representation", group)
        assert ratio["count"] == counts[group]
        assert ratio["denominator"] == stated
        assert ratio["value"] == pytest.approx(w / q, rel=1e-12)
        share = one(fig, "workforce_representation_workforce_share", group)
        low, high = proportion_confint(counts[group], stated, method="wilson")
        assert (share["value"], share["ci_low"], share["ci_high"]) == pytest.approx(
            (100 * w, 100 * low, 100 * high), rel=1e-9
        )
        assert one(fig, "workforce_representation_population_share", group)["value"] == pytest.approx(100 * q)
        assert one(fig, "workforce_representation_headcount_gap", group)["value"] == pytest.approx(
            q * stated - counts[group]
        )
    ns = one(fig, "workforce_representation_not_stated_share", "Not stated")
    assert ns["value"] == pytest.approx(100 * counts["Not stated"] / (stated + counts["Not stated"]))
    assert "Census 2021" in one(fig, "workforce_representation", "Black")["method"]


def test_senior_officers_are_chief_inspector_and_above(figures):
    fig = figures["workforce_representation"]
    senior = workforce_counts(worker_types=("officer",), ranks=("Chief Inspector", "Superintendent"))
    stated = sum(senior[g] for g in ETHNIC)
    assert stated == 46 + 21
    row = one(fig, "workforce_representation_officer_senior_workforce_share", "White")
    assert row["count"] == senior["White"] == 65
    assert row["value"] == pytest.approx(100 * 65 / 67)
    per_rank = one(fig, "workforce_representation_officer_sergeant_workforce_share", "Black")
    assert per_rank["value"] == pytest.approx(100 * 3 / (6 + 3 + 5 + 500 + 2))


def test_sex_representation_is_a_share_with_a_wilson_interval(figures):
    fig = figures["workforce_representation"]
    officers = workforce_counts(worker_types=("officer",), characteristic="sex")
    stated = officers["Female"] + officers["Male"]
    row = one(fig, "workforce_representation_officer_sex_share", "Female")
    low, high = proportion_confint(officers["Female"], stated, method="wilson")
    assert (row["value"], row["ci_low"], row["ci_high"]) == pytest.approx(
        (100 * 1100 / 3130, 100 * low, 100 * high), rel=1e-9
    )
    ns = one(fig, "workforce_representation_officer_sex_not_stated_share", "Not stated")
    assert ns["value"] == pytest.approx(100 * 6 / 3136)


def test_opcc_workforce_is_separate(figures, population):
    fig = figures["opcc_workforce_representation"]
    opcc = workforce_counts(organisation="opcc", worker_types=("staff",))
    stated = sum(opcc[g] for g in ETHNIC)
    q = population["White"] / sum(population[g] for g in ETHNIC)
    assert one(fig, "opcc_workforce_representation", "White")["value"] == pytest.approx((30 / stated) / q)
    assert one(fig, "opcc_workforce_representation_sex_share", "Female")["value"] == pytest.approx(
        100 * 22 / 34
    )
    assert not fig["measure"].str.startswith("workforce_representation").any()


def write_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "local"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


WF_HEADER = "area,organisation,worker_type,rank,as_at,characteristic,group,sex,headcount,notes\n"


def test_sex_counts_come_from_an_ethnicity_by_sex_table(tmp_path):
    text = WF_HEADER + "".join(
        f"South Wales,force,officer,all,2022-03-31,ethnicity,{g},{s},{n},\n"
        for g, s, n in (
            ("White", "Female", 900),
            ("White", "Male", 1500),
            ("Black", "Female", 20),
            ("Black", "Male", 30),
            ("Asian", "Female", 15),
            ("Asian", "Male", 25),
        )
    )
    folder = write_folder(tmp_path, {"wf.csv": text})
    figs = local_figures(load_local_dir(folder, "South Wales"), area_code=SOUTH_WALES, period="2021-22")
    fig = figs["workforce_representation"]
    assert one(fig, "workforce_representation_officer_sex_share", "Female")["value"] == pytest.approx(
        100 * (900 + 20 + 15) / 2490
    )
    assert one(fig, "workforce_representation_officer_workforce_share", "Black")["count"] == 50


def test_a_both_sexes_row_is_not_added_to_its_sex_rows(tmp_path):
    text = WF_HEADER + (
        "South Wales,force,staff,all,2022-03-31,ethnicity,White,all,1000,\n"
        "South Wales,force,staff,all,2022-03-31,ethnicity,White,Female,600,\n"
        "South Wales,force,staff,all,2022-03-31,ethnicity,White,Male,400,\n"
        "South Wales,force,staff,all,2022-03-31,ethnicity,Black,all,30,\n"
    )
    folder = write_folder(tmp_path, {"wf.csv": text})
    fig = local_figures(load_local_dir(folder, "South Wales"), area_code=SOUTH_WALES)[
        "workforce_representation"
    ]
    assert one(fig, "workforce_representation_staff_workforce_share", "White")["count"] == 1000
    assert one(fig, "workforce_representation_staff_sex_share", "Female")["value"] == pytest.approx(60.0)


# --------------------------------------------------------------------------------------------
# complaints, victims' services, satisfaction
# --------------------------------------------------------------------------------------------


def test_complaints_per_1000_residents_and_distribution(figures, population):
    fig = figures["complaints_by_characteristic"]
    data = {
        r["group"]: float(r["count"])
        for r in rows("complaints.csv")
        if r["characteristic"] == "ethnicity" and r["complaint_measure"] == "complainants"
    }
    base = "complaints_by_characteristic_complainants"
    rate = one(fig, f"{base}_rate", "Black")
    assert rate["value"] == pytest.approx(1000 * data["Black"] / population["Black"])
    assert rate["denominator"] == population["Black"]
    ratio = one(fig, f"{base}_rate_ratio", "Black")
    expected = (data["Black"] / population["Black"]) / (data["White"] / population["White"])
    assert ratio["value"] == pytest.approx(expected)
    assert ratio["reference_group"] == "White"
    low, high = confint_poisson_2indep(
        data["Black"],
        population["Black"],
        data["White"],
        population["White"],
        compare="ratio",
        method="score",
    )
    assert (ratio["ci_low"], ratio["ci_high"]) == pytest.approx((low, high), rel=1e-5)
    stated = sum(data[g] for g in ETHNIC)
    assert one(fig, f"{base}_distribution", "Black")["value"] == pytest.approx(100 * 25 / stated)
    assert one(fig, f"{base}_not_stated_share", "Not stated")["value"] == pytest.approx(100 * 210 / 1200)
    assert one(fig, base, "All")["count"] == sum(data.values())
    sex = one(fig, f"{base}_sex_distribution", "Female")
    assert sex["value"] == pytest.approx(100 * 500 / (500 + 680))
    assert not fig["measure"].str.contains("sex_rate").any()  # no population rates for sex


def test_victims_take_up_rate_and_ratio(figures):
    fig = figures["victims_services_by_characteristic"]
    base = "victims_services_by_characteristic_take_up"
    asian = one(fig, f"{base}_share", "Asian")
    assert asian["value"] == pytest.approx(100 * 210 / 640)
    low, high = proportion_confint(210, 640, method="wilson")
    assert (asian["ci_low"], asian["ci_high"]) == pytest.approx((100 * low, 100 * high))
    ratio = one(fig, f"{base}_share_ratio", "Asian")
    assert ratio["value"] == pytest.approx((210 / 640) / (3600 / 9000))
    low, high = confint_proportions_2indep(210, 640, 3600, 9000, compare="ratio", method="score")
    assert (ratio["ci_low"], ratio["ci_high"]) == pytest.approx((low, high), rel=1e-5)


def test_blank_take_up_denominator_is_filled_from_referrals_and_reference_is_the_largest_group(figures):
    fig = figures["victims_services_by_characteristic"]
    young = one(fig, "victims_services_by_characteristic_take_up_age_share", "18-24")
    assert young["denominator"] == 1000  # blank in the file: the referrals of 18-24
    assert young["value"] == pytest.approx(35.0)
    # the reference for age is the group with the most referrals (25-34: 1,500), not the first
    assert young["reference_group"] == "25-34"
    ratio = one(fig, "victims_services_by_characteristic_take_up_age_share_ratio", "65 and over")
    assert ratio["value"] == pytest.approx((95 / 300) / (600 / 1500))
    # no Not stated row in the file: its share is unknown, not 0
    assert not (fig["measure"] == "victims_services_by_characteristic_take_up_age_not_stated_share").any()


def test_satisfaction_by_ethnicity_and_sex(figures):
    fig = figures["satisfaction_by_characteristic"]
    data = {
        (r["characteristic"], r["group"]): (float(r["satisfied"]), float(r["respondents"]))
        for r in rows("satisfaction.csv")
    }
    k, n = data[("ethnicity", "Black")]
    black = one(fig, "satisfaction_by_characteristic", "Black")
    low, high = proportion_confint(k, n, method="wilson")
    assert (black["value"], black["ci_low"], black["ci_high"]) == pytest.approx(
        (100 * k / n, 100 * low, 100 * high)
    )
    kw, nw = data[("ethnicity", "White")]
    assert one(fig, "satisfaction_by_characteristic_ratio", "Black")["value"] == pytest.approx(
        (k / n) / (kw / nw)
    )
    female = one(fig, "satisfaction_by_characteristic_sex", "Female")
    assert female["value"] == pytest.approx(100 * 720 / 950)
    assert female["reference_group"] == "Male"  # most respondents (1,100)


def test_several_surveys_get_their_own_ids(tmp_path):
    header = "area,period,survey,characteristic,group,respondents,satisfied,notes\n"
    text = header + "".join(
        f"South Wales,2021-22,{s},ethnicity,{g},200,{k},\n"
        for s in ("Survey A", "Survey B")
        for g, k in (("White", 150), ("Black", 120))
    )
    folder = write_folder(tmp_path, {"s.csv": text})
    fig = local_figures(load_local_dir(folder, "South Wales"), area_code=SOUTH_WALES)[
        "satisfaction_by_characteristic"
    ]
    assert set(fig["measure"]) == {
        "satisfaction_by_characteristic_survey_a",
        "satisfaction_by_characteristic_survey_a_ratio",
        "satisfaction_by_characteristic_survey_b",
        "satisfaction_by_characteristic_survey_b_ratio",
    }


# --------------------------------------------------------------------------------------------
# custody, custody visits, use of force, hate crime
# --------------------------------------------------------------------------------------------


def test_custody_detentions_per_1000_and_strip_search_share(figures, population):
    fig = figures["custody_by_ethnicity"]
    det = {r["group"]: float(r["count"]) for r in rows("custody.csv") if r["custody_measure"] == "detentions"}
    black = one(fig, "custody_by_ethnicity_detentions_rate", "Black")
    assert black["value"] == pytest.approx(1000 * 1100 / population["Black"])
    ratio = one(fig, "custody_by_ethnicity_detentions_rate_ratio", "Black")
    assert ratio["value"] == pytest.approx(
        (det["Black"] / population["Black"]) / (det["White"] / population["White"])
    )
    strip = one(fig, "custody_by_ethnicity_strip_searches_share", "Black")
    assert strip["value"] == pytest.approx(100 * 90 / 1100)
    assert one(fig, "custody_by_ethnicity_strip_searches_share_ratio", "Black")["value"] == pytest.approx(
        (90 / 1100) / (900 / 21000)
    )
    overnight = one(fig, "custody_by_ethnicity_children_detained_overnight", "White")
    assert math.isnan(overnight["count"]) and overnight["symbol"] == "[c]"


def test_custody_visits_seen_share_takes_detainees_in_custody(figures):
    fig = figures["independent_custody_visits"]
    black = one(fig, "independent_custody_visits_detainees_seen_share", "Black")
    assert (black["count"], black["denominator"]) == (40, 60)
    assert black["value"] == pytest.approx(100 * 40 / 60)


def test_use_of_force_rates_carry_the_perceived_ethnicity_caveat(figures, population):
    fig = figures["use_of_force_local"]
    black = one(fig, "use_of_force_local_taser_fired_rate", "Black")
    assert black["value"] == pytest.approx(1000 * 12 / population["Black"])
    assert all("perceived_ethnicity" in c and "incident_not_person" in c for c in fig["caveats"])
    # tactics are never added together
    assert not fig["measure"].str.contains("taser_all|total").any()


def test_hate_crime_by_strand_and_change(figures):
    fig = figures["hate_crime_by_strand"]
    data = {
        (r["period"], r["strand"]): num(r["count"])
        for r in rows("hate_crime.csv")
        if r["hate_measure"] == "crimes"
    }
    now = fig.loc[(fig["measure"] == "hate_crime_by_strand") & (fig["period"] == "2021-22")]
    assert dict(zip(now["group"], now["count"], strict=True)) == {
        s: data[("2021-22", s)]
        for s in ("race", "religion", "sexual_orientation", "disability", "transgender")
    }
    assert "All" not in set(fig["group"])  # strands overlap: never added
    race = fig.loc[(fig["measure"] == "hate_crime_by_strand_change") & (fig["group"] == "race")].iloc[0]
    assert race["value"] == pytest.approx(100 * (1500 / 1200 - 1))
    low, high = confint_poisson_2indep(1500, 1, 1200, 1, compare="ratio", method="score")
    assert (race["ci_low"], race["ci_high"]) == pytest.approx((100 * (low - 1), 100 * (high - 1)), rel=1e-5)
    assert race["p_value"] < 0.001
    assert not ((fig["measure"] == "hate_crime_by_strand_change") & (fig["period"] == "2020-21")).any()
    incidents = one(fig, "hate_crime_by_strand_incidents", "race")
    assert math.isnan(incidents["value"]) and incidents["symbol"] == "[x]"


# --------------------------------------------------------------------------------------------
# selection and suppression
# --------------------------------------------------------------------------------------------


def test_no_small_number_is_published(published):
    for measure_id, selection in published.items():
        frame = selection.frame
        counts = frame["count"].to_numpy(dtype=float)
        dens = frame["denominator"].to_numpy(dtype=float)
        small = (counts > 0) & (counts < 5)
        assert not small.any(), (measure_id, frame.loc[small, ["measure", "group", "count"]])
        assert not ((dens > 0) & (dens < 5)).any(), measure_id
        hidden = frame["symbol"] == "[c]"
        assert frame.loc[hidden, "value"].isna().all()


def test_small_cells_are_suppressed_with_their_totals(published):
    fig = published["use_of_force_local"].frame
    base = "use_of_force_local_taser_fired"
    # taser fired: Asian 2, Mixed 3, Not stated 4 are below 5
    for group in ("Asian", "Mixed", "Not stated"):
        row = one(fig, base, group)
        assert math.isnan(row["count"]) and row["symbol"] == "[c]" and "suppressed" in row["caveats"]
    assert one(fig, base, "Black")["count"] == 12
    # Not stated = All - stated total would reveal it: the total of all records is hidden
    assert math.isnan(one(fig, base, "All")["count"])
    ns_share = one(fig, f"{base}_not_stated_share", "Not stated")
    assert math.isnan(ns_share["denominator"])
    # a ratio whose group is hidden is hidden
    assert math.isnan(one(fig, f"{base}_rate_ratio", "Asian")["value"])


def test_one_hidden_stated_group_is_not_revealed_by_the_stated_total(published):
    fig = published["custody_by_ethnicity"].frame
    dist = fig.loc[fig["measure"] == "custody_by_ethnicity_strip_searches_distribution"]
    stated = dist.loc[dist["group"].isin(ETHNIC)]
    assert math.isnan(one(fig, "custody_by_ethnicity_strip_searches_distribution", "Other")["count"])
    published_total = stated["denominator"].dropna().unique()
    if len(published_total):  # the stated total is shown: at least two stated groups are hidden
        assert stated["count"].isna().sum() >= 2


def test_worker_types_cannot_reveal_a_hidden_pcso_cell(published):
    fig = published["workforce_representation"].frame
    pcso_asian = one(fig, "workforce_representation_pcso_workforce_share", "Asian")
    assert math.isnan(pcso_asian["count"])  # 4 PCSOs
    headline = one(fig, "workforce_representation_workforce_share", "Asian")["count"]
    officer = one(fig, "workforce_representation_officer_workforce_share", "Asian")["count"]
    staff = one(fig, "workforce_representation_staff_workforce_share", "Asian")["count"]
    # headline = officers + staff + PCSOs: at most two of the three others may be published
    assert sum(math.isnan(x) for x in (headline, officer, staff)) >= 1
    assert not math.isnan(headline)  # the headline figure is kept; detail is hidden instead


def test_a_total_hidden_in_one_characteristic_is_hidden_in_the_others(published):
    fig = published["opcc_workforce_representation"].frame
    # OPCC: 2 staff did not state an ethnicity; total staff 34 would reveal it (34 - 32)
    assert math.isnan(one(fig, "opcc_workforce_representation_not_stated_share", "Not stated")["count"])
    shown = set(fig["denominator"].dropna())
    assert 34 not in shown


def copy_files(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "some"
    folder.mkdir()
    for name in names:
        shutil.copy(FOLDER / name, folder / name)
    return folder


def test_threshold_none_publishes_everything(tmp_path):
    folder = copy_files(tmp_path, "use_of_force.csv")
    sel = compute_local("South Wales", "2021-22", folder, threshold=None, allow_examples=True)
    fig = sel["use_of_force_local"].frame
    assert one(fig, "use_of_force_local_taser_fired", "Asian")["count"] == 2


def test_suppress_local_on_its_own_matches_compute_local(figures, published):
    fig = figures["hate_crime_by_strand"]
    current = fig.loc[fig["period"] == "2021-22"]
    pd.testing.assert_frame_equal(
        suppress_local(current, threshold=5).reset_index(drop=True),
        published["hate_crime_by_strand"].frame.reset_index(drop=True),
    )


def test_selection_labels_the_year(published):
    assert published["complaints_by_characteristic"].status == "current"
    assert published["workforce_representation"].period == "2022-03-31"
    assert published["hate_crime_by_strand"].period == "2021-22"
    assert set(published["hate_crime_by_strand"].frame["period"]) == {"2021-22"}


def test_a_later_year_shows_the_latest_available(tmp_path):
    sel = compute_local("South Wales", "2022-23", copy_files(tmp_path, "complaints.csv"), allow_examples=True)
    assert sel["complaints_by_characteristic"].status == "latest"
    assert sel["complaints_by_characteristic"].label == "latest available: 2021/22"


def test_an_earlier_year_uses_only_earlier_rows(tmp_path):
    sel = compute_local("South Wales", "2020-21", FOLDER, allow_examples=True)
    assert set(sel) == {"hate_crime_by_strand"}  # only hate crime has 2020-21 rows
    frame = sel["hate_crime_by_strand"].frame
    assert set(frame["period"]) == {"2020-21"}
    assert not frame["measure"].str.endswith("_change").any()


# --------------------------------------------------------------------------------------------
# missing templates and bad input
# --------------------------------------------------------------------------------------------


def test_a_missing_template_gives_no_measure(tmp_path):
    folder = copy_files(tmp_path, "complaints.csv")
    sel = compute_local("South Wales", "2021-22", folder, allow_examples=True)
    assert set(sel) == {"complaints_by_characteristic"}
    assert local_figures({}, area_code=SOUTH_WALES, period="2021-22") == {}


def test_example_rows_are_refused_by_default():
    with pytest.raises(DataError, match="EXAMPLE"):
        compute_local("South Wales", "2021-22", FOLDER)


def test_a_bad_cell_names_file_row_and_column(tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(FOLDER, folder)
    lines = (folder / "custody.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[2].split(",")
    cells[5] = "lots"  # count of the second data row (spreadsheet row 3)
    lines[2] = ",".join(cells)
    (folder / "custody.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        compute_local("South Wales", "2021-22", folder, allow_examples=True)
    err = info.value
    assert err.file.endswith("custody.csv")
    assert err.row == 3
    assert err.column == "count"
    assert "lots" in str(err)


def test_rows_for_other_areas_are_set_aside(tmp_path):
    header = "area,period,characteristic,group,complaint_measure,count,denominator,notes\n"
    text = header + (
        "South Wales,2021-22,ethnicity,White,complainants,100,,\n"
        "South Wales,2021-22,ethnicity,Black,complainants,20,,\n"
        "Gwent,2021-22,ethnicity,Black,complainants,999,,\n"
    )
    folder = write_folder(tmp_path, {"c.csv": text})
    fig = compute_local("South Wales", "2021-22", folder)["complaints_by_characteristic"].frame
    assert 999 not in set(fig["count"].dropna())
    assert one(fig, "complaints_by_characteristic_complainants", "Black")["count"] == 20


def test_detailed_labels_of_one_broad_group_are_added(tmp_path):
    header = "area,period,custody_measure,characteristic,group,count,denominator,notes\n"
    text = header + (
        "South Wales,2021-22,detentions,ethnicity,White: Irish,40,,\n"
        "South Wales,2021-22,detentions,ethnicity,"
        '"White: English, Welsh, Scottish, Northern Irish or British",900,,\n'
        "South Wales,2021-22,detentions,ethnicity,Black,60,,\n"
    )
    folder = write_folder(tmp_path, {"k.csv": text})
    fig = local_figures(load_local_dir(folder, "South Wales"), area_code=SOUTH_WALES)["custody_by_ethnicity"]
    assert one(fig, "custody_by_ethnicity_detentions", "White")["count"] == 940


def test_each_group_uses_its_both_sexes_row_or_adds_its_sex_rows(tmp_path):
    text = WF_HEADER + (
        "South Wales,force,staff,all,2022-03-31,ethnicity,Black,all,30,\n"
        "South Wales,force,staff,all,2022-03-31,ethnicity,White,Female,600,\n"
        "South Wales,force,staff,all,2022-03-31,ethnicity,White,Male,400,\n"
        "South Wales,force,staff,all,2022-03-31,ethnicity,Asian,all,20,\n"
        "South Wales,force,staff,all,2022-03-31,ethnicity,Mixed,all,10,\n"
        "South Wales,force,staff,all,2022-03-31,ethnicity,Other,all,0,\n"
    )
    folder = write_folder(tmp_path, {"wf.csv": text})
    fig = local_figures(load_local_dir(folder, "South Wales"), area_code=SOUTH_WALES)[
        "workforce_representation"
    ]
    white = one(fig, "workforce_representation_staff_workforce_share", "White")
    assert (white["count"], white["denominator"]) == (1000, 1060)


def test_a_left_out_ethnic_group_is_not_available_not_zero(tmp_path):
    header = "area,period,custody_measure,characteristic,group,count,denominator,notes\n"
    text = header + (
        "South Wales,2021-22,detentions,ethnicity,White,900,,\n"
        "South Wales,2021-22,detentions,ethnicity,Black,60,,\n"
    )
    folder = write_folder(tmp_path, {"k.csv": text})
    fig = local_figures(load_local_dir(folder, "South Wales"), area_code=SOUTH_WALES)["custody_by_ethnicity"]
    asian = one(fig, "custody_by_ethnicity_detentions", "Asian")
    assert math.isnan(asian["count"]) and asian["symbol"] == "[x]"
    # the share of the stated total cannot be known; the Black rate and ratio can
    assert math.isnan(one(fig, "custody_by_ethnicity_detentions_distribution", "Black")["value"])
    assert one(fig, "custody_by_ethnicity_detentions_rate_ratio", "Black")["value"] > 0


def test_bad_threshold_is_a_usage_error():
    from eqlib.errors import UsageError

    with pytest.raises(UsageError):
        compute_local("South Wales", "2021-22", FOLDER, threshold=-1, allow_examples=True)


def test_source_text_names_the_template():
    from eqlib.measures.local import LOCAL_MEASURES, source_text

    assert "HR" in source_text("workforce_representation")
    assert all(source_text(m) for m in LOCAL_MEASURES)
    with pytest.raises(KeyError):
        source_text("stop_search_rate")


# --------------------------------------------------------------------------------------------
# the secondary suppression itself, checked with eqlib.metrics.disclosure's own recovery test
# --------------------------------------------------------------------------------------------


def _grid_lines(n_rows: int, n_cols: int) -> list:
    """Cells of an n_rows x n_cols table, then row totals, column totals and the grand total."""
    cell = lambda r, c: r * n_cols + c  # noqa: E731
    row_total = lambda r: n_rows * n_cols + r  # noqa: E731
    col_total = lambda c: n_rows * n_cols + n_rows + c  # noqa: E731
    grand = n_rows * n_cols + n_rows + n_cols
    lines = [([cell(r, c) for c in range(n_cols)], row_total(r)) for r in range(n_rows)]
    lines += [([cell(r, c) for r in range(n_rows)], col_total(c)) for c in range(n_cols)]
    lines += [([row_total(r) for r in range(n_rows)], grand)]
    return lines


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4), st.integers(2, 5), st.data())
def test_no_suppressed_cell_can_be_solved_for(n_rows, n_cols, data):
    from eqlib.measures.local_disclosure import _secondary
    from eqlib.metrics.disclosure import _recoverable

    inner = np.array(
        data.draw(st.lists(st.integers(0, 40), min_size=n_rows * n_cols, max_size=n_rows * n_cols)),
        dtype=float,
    ).reshape(n_rows, n_cols)
    values = np.concatenate([inner.ravel(), inner.sum(axis=1), inner.sum(axis=0), [inner.sum()]])
    primary = (values > 0) & (values < 5)
    lines = _grid_lines(n_rows, n_cols)
    mask = _secondary(values, primary.copy(), primary, lines, {}, np.zeros(values.size))
    assert mask[primary].all()
    exposed = set(_recoverable(values, mask, lines).tolist())
    assert not exposed & set(np.flatnonzero(primary).tolist())


def test_hate_crime_change_compares_like_with_like(tmp_path):
    header = "area,period,strand,hate_measure,count,notes\n"
    text = header + (
        "South Wales,2021-12,race,crimes,100,\n"
        "South Wales,2022-01,race,crimes,120,\n"
        "South Wales,2020,race,crimes,1000,\n"
        "South Wales,2021,race,crimes,900,\n"
    )
    folder = write_folder(tmp_path, {"h.csv": text})
    fig = local_figures(load_local_dir(folder, "South Wales"), area_code=SOUTH_WALES)["hate_crime_by_strand"]
    change = fig.loc[fig["measure"] == "hate_crime_by_strand_change"].set_index("period")
    assert change.loc["2022-01", "value"] == pytest.approx(20.0)  # on December 2021
    assert change.loc["2021", "value"] == pytest.approx(-10.0)  # on calendar year 2020
    assert set(change.index) == {"2022-01", "2021"}
