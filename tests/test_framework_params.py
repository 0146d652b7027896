"""Params files: self-assessment and objectives, defaults, validation errors and the CLI."""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from eqlib.cli import main
from eqlib.errors import DataError
from eqlib.framework import ParamsError, load_framework, load_params
from eqlib.framework.cli import cmd_validate
from eqlib.framework.params import BUILTIN_DEFAULTS, deep_merge, params_for, params_path, validate
from eqlib.measures import measure_ids

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params"
DATA = Path(__file__).parent / "data" / "framework"
BAD = DATA / "bad"


def problems_of(path: Path) -> list:
    with pytest.raises(ParamsError) as info:
        load_params(path)
    assert str(path) in str(info.value)
    return info.value.problems


# --------------------------------------------------------------------------- the example files
@pytest.mark.parametrize("name", ["south-wales-2021-22.yml", "south-wales-2020-21.yml"])
def test_example_params_load_and_are_labelled_as_examples(name):
    p = load_params(PARAMS / name)
    assert p.example is True
    text = (PARAMS / name).read_text(encoding="utf-8")
    assert "EXAMPLE" in text and "must replace" in text
    assert p.area.code == "W15000003"
    assert p.publisher == "Office of the Police and Crime Commissioner for South Wales"
    assert p.suppression_threshold == 5 and p.local_data_dir is None


def test_example_exercises_every_feature():
    p = load_params(PARAMS / "south-wales-2021-22.yml")
    assert p.year == "2021-22" and p.period.end == dt.date(2022, 3, 31)
    sa = p.self_assessment
    assert sorted(t.theme for t in sa.themes) == list(range(1, 17))  # every theme present
    levels = set(sa.levels().values())
    assert {
        "Developing",
        "Achieving",
        "Advancing",
        None,
    } <= levels  # several levels, and one below Developing
    kinds = set(sa.evidence_frame()["kind"])
    assert kinds == {"text", "link", "measure"}
    assert sa.measures_cited() <= set(measure_ids())
    assert 4 <= len(p.objectives) <= 6
    assert any(o.measure == "stop_search_disparity" for o in p.objectives)
    assert {o.direction for o in p.objectives} == {"decrease", "increase"}
    # the objective measured by local victims' survey data has no data unless a local file is supplied
    assert any(o.measure.startswith(("satisfaction", "victims")) for o in p.objectives)


def test_every_claimed_descriptor_has_a_criterion_of_its_level():
    p = load_params(PARAMS / "south-wales-2021-22.yml")
    fw = load_framework()
    for t in p.self_assessment.themes:
        met = {c.criterion.rsplit(".", 1)[0] for c in t.criteria_met}
        assert set(t.descriptors_met) <= met
        assert len(t.descriptors_met) == t.level_number
        for c in t.criteria_met:
            assert fw.criterion(c.criterion).theme == t.theme
            assert c.evidence


# --------------------------------------------------------------------------- defaults
def test_defaults_file_matches_builtin_defaults():
    data = yaml.safe_load((PARAMS / "defaults.yml").read_text(encoding="utf-8"))
    assert data == BUILTIN_DEFAULTS
    assert validate(PARAMS / "defaults.yml") is None


def test_defaults_merge_and_publisher_template(tmp_path):
    (tmp_path / "defaults.yml").write_text(
        "suppression_threshold: 10\nreference_group: White\n", encoding="utf-8"
    )
    f = tmp_path / "x.yml"
    f.write_text("area: Dyfed-Powys\nyear: 2020\n", encoding="utf-8")
    p = load_params(f)
    assert p.suppression_threshold == 10  # from the folder's defaults.yml
    assert p.significance_level == 0.05  # from the built-in defaults
    assert p.publisher == "Office of the Police and Crime Commissioner for Dyfed-Powys"
    assert p.period.label == "2020" and p.self_assessment.themes == () and p.objectives == ()
    f.write_text("area: Dyfed-Powys\nyear: 2020\nsuppression_threshold: 3\n", encoding="utf-8")
    assert load_params(f).suppression_threshold == 3  # the file wins


def test_deep_merge_merges_mappings_and_replaces_lists():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    out = deep_merge(base, {"a": {"c": [3]}, "e": 2})
    assert out == {"a": {"b": 1, "c": [3]}, "d": 1, "e": 2}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}  # not mutated


def test_params_for_falls_back_to_defaults_for_any_area(tmp_path):
    p = params_for("Kent", "2021-22", root=ROOT)
    assert p.area.name == "Kent" and p.example is False and p.self_assessment.themes == ()
    assert params_path("south-wales", "2021-22", root=ROOT) == PARAMS / "south-wales-2021-22.yml"
    assert params_for("W15000003", "2021/22", root=ROOT).example is True


def test_local_data_dir_relative_to_the_params_file(tmp_path):
    (tmp_path / "local").mkdir()
    f = tmp_path / "p.yml"
    f.write_text("area: south-wales\nyear: 2021-22\nlocal_data_dir: local\n", encoding="utf-8")
    assert load_params(f).local_data_dir == (tmp_path / "local").resolve()
    f.write_text("area: south-wales\nyear: 2021-22\nlocal_data_dir: nowhere\n", encoding="utf-8")
    (problem,) = problems_of(f)
    assert problem.key == "local_data_dir" and "does not exist" in problem.message


# --------------------------------------------------------------------------- bad input
def test_valid_minimal_fixture():
    p = load_params(DATA / "valid_minimal.yml")
    assert p.self_assessment.levels() == {1: "Developing", 2: "Achieving"}
    assert p.self_assessment.theme(2).descriptors_met == ("2.1", "2.2")


def test_malformed_yaml_names_the_line():
    (problem,) = problems_of(BAD / "malformed.yml")
    assert problem.line == 7
    assert "malformed YAML" in problem.message


def test_wrong_types():
    probs = {p.key: p for p in problems_of(BAD / "wrong_types.yml")}
    assert "whole number" in probs["suppression_threshold"].expected
    assert probs["suppression_threshold"].line == 3
    assert probs["example"].expected == "true or false"
    assert "a list" in probs["self_assessment.themes[0].criteria_met"].expected
    assert "list of objectives" in probs["objectives"].expected


def test_unknown_theme_and_criterion_ids():
    probs = {p.key: p for p in problems_of(BAD / "unknown_ids.yml")}
    assert "unknown theme 17" in probs["self_assessment.themes[0].theme"].message
    assert "unknown criterion '2.1.9'" in probs["self_assessment.themes[1].criteria_met[1].criterion"].message
    assert "belongs to theme 3" in probs["self_assessment.themes[1].criteria_met[2].criterion"].message
    assert probs["self_assessment.themes[1].criteria_met[1].criterion"].line == 13


def test_level_not_one_of_three():
    (problem,) = problems_of(BAD / "bad_level.yml")
    assert problem.key == "self_assessment.themes[0].level"
    assert "'Excellent'" in problem.message
    assert "Developing, Achieving, Advancing" in problem.expected


def test_higher_level_without_lower_descriptor():
    (problem,) = problems_of(BAD / "level_skipped.yml")
    assert problem.key == "self_assessment.themes[0].descriptors_met"
    assert "Achieving claimed without the Developing descriptor 5.1 met" in problem.message


def test_level_without_any_criterion_of_the_lower_level(tmp_path):
    f = tmp_path / "p.yml"
    f.write_text(
        "area: south-wales\nyear: 2021-22\nself_assessment:\n  themes:\n    - theme: 3\n"
        "      level: Achieving\n      criteria_met:\n        - criterion: 3.2.1\n"
        "          evidence: [{text: panel}]\n",
        encoding="utf-8",
    )
    (problem,) = problems_of(f)
    assert "descriptor 3.1 (Developing) is claimed as met but none of its criteria" in problem.message


def test_missing_evidence():
    probs = {p.key: p for p in problems_of(BAD / "missing_evidence.yml")}
    assert (
        "missing evidence for criterion 6.1.1"
        in probs["self_assessment.themes[0].criteria_met[0].evidence"].message
    )
    assert (
        "unknown measure 'no_such_measure'"
        in probs["self_assessment.themes[0].criteria_met[1].evidence[0].measure"].message
    )
    assert "not a web address" in probs["self_assessment.themes[0].criteria_met[1].evidence[1].link"].message
    assert "descriptor 6.2 (Achieving)" in probs["self_assessment.themes[0].criteria_met"].message


def test_duplicate_theme_entries():
    (problem,) = problems_of(BAD / "duplicate_theme.yml")
    assert problem.key == "self_assessment.themes[2].theme"
    assert "duplicate entry for theme 7" in problem.message and "themes[0]" in problem.message
    assert problem.line == 13


def test_objective_whose_metric_does_not_exist():
    (problem,) = problems_of(BAD / "objective_unknown_metric.yml")
    assert problem.key == "objectives[0].measure"
    assert "stop_search_disparity_ratio" in problem.message
    assert "eqlib.measures.MEASURES" in problem.expected


def test_target_date_before_baseline_and_target_on_wrong_side():
    probs = {p.key: p for p in problems_of(BAD / "objective_target_before_baseline.yml")}
    assert "not after the baseline period 2021-22" in probs["objectives[0].target.date"].message
    assert "not above the baseline" in probs["objectives[1].target.value"].message


def test_unknown_top_level_key_and_area(tmp_path):
    f = tmp_path / "p.yml"
    f.write_text("area: Atlantis\nyear: 2021-22\nthreshold: 5\n", encoding="utf-8")
    probs = {p.key: p for p in problems_of(f)}
    assert "Atlantis" in probs["area"].message
    assert "unexpected key 'threshold'" in probs["threshold"].message
    assert "suppression_threshold" in probs["threshold"].expected


def test_params_error_is_a_data_error_listing_every_problem():
    with pytest.raises(DataError) as info:
        load_params(BAD / "missing_evidence.yml")
    assert "4 problems" in str(info.value)
    assert len(re.findall(r"^  - ", str(info.value), flags=re.M)) == 4


def test_missing_file():
    (problem,) = problems_of(DATA / "no-such-file.yml")
    assert "not found" in problem.message


# --------------------------------------------------------------------------- CLI
def test_cli_validate_valid_returns_0(capsys):
    assert cmd_validate(argparse.Namespace(file=str(PARAMS / "south-wales-2021-22.yml"))) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "EXAMPLE" in out and "16 of 16 themes" in out


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.glob("*.yml")))
def test_cli_validate_invalid_returns_2_and_prints_problems(name, capsys):
    assert main(["framework", "validate", str(BAD / name)]) == 2
    err = capsys.readouterr().err
    assert "invalid" in err and str(BAD / name) in err
    assert "expected" in err


# --------------------------------------------------------------------------- robustness
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "",
            "Achieving",
            "2.1",
            "2.1.1",
            "https://x.org",
            "stop_search_rate",
            "2019-20",
            "2025-03-31",
            "decrease",
            "x",
        ]
    ),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "theme",
                    "level",
                    "criteria_met",
                    "criterion",
                    "evidence",
                    "text",
                    "link",
                    "measure",
                    "descriptors_met",
                    "id",
                    "baseline",
                    "target",
                    "period",
                    "value",
                    "date",
                    "direction",
                    "statement",
                    "owner",
                ]
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(themes=_VALUES, objectives=_VALUES)
def test_any_yaml_gives_params_or_a_params_error(tmp_path, themes, objectives):
    """Whatever the self-assessment and objectives hold, loading either succeeds or raises ParamsError with
    every problem located by key path (never a TypeError or KeyError from deep inside)."""
    f = tmp_path / "fuzz.yml"
    f.write_text(
        yaml.safe_dump(
            {
                "area": "south-wales",
                "year": "2021-22",
                "self_assessment": {"themes": themes},
                "objectives": objectives,
            }
        ),
        encoding="utf-8",
    )
    try:
        load_params(f)
    except ParamsError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.key.startswith(("self_assessment", "objectives"))
            assert p.message


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("reference_group", "Black", "no other reference group is supported"),
        ("reference_group", "Whte", "no other reference group is supported"),
        ("significance_level", 0.01, "no other level is supported"),
    ],
)
def test_a_setting_eqlib_would_ignore_is_refused(tmp_path, key, value, message):
    """reference_group and significance_level: a value eqlib does not honour is an error, not ignored."""
    from eqlib.errors import DataError
    from eqlib.framework.params import load_params

    path = tmp_path / "p.yml"
    path.write_text(f"area: south-wales\nyear: 2021-22\n{key}: {value}\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_params(path)
    text = str(info.value)
    assert key in text and message in text and str(path.name) in text


def test_a_duplicate_yaml_key_is_refused_with_both_lines(tmp_path):
    path = tmp_path / "dup.yml"
    path.write_text(
        "area: south-wales\nyear: 2021-22\nsuppression_threshold: 5\nsuppression_threshold: 10\n",
        encoding="utf-8",
    )
    with pytest.raises(ParamsError) as info:
        load_params(path)
    text = str(info.value)
    assert "suppression_threshold" in text and "duplicate key at line 4, column 1 (first at line 3)" in text
