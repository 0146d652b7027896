"""eqlib.report.figures: accessible palette, alt text from the data, deterministic PNGs, markdown for Quarto and pandoc."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eqlib.report import figures as fg


# --------------------------------------------------------------------------- colours
def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert fg.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert fg.contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    # WebAIM's checker: #767676 on white is 4.54:1, the lightest grey that passes AA for text
    assert fg.contrast_ratio("#767676") == pytest.approx(4.54, abs=0.01)


def test_text_colours_pass_aa_and_marks_pass_non_text_contrast() -> None:
    assert fg.contrast_ratio(fg.TEXT) >= 4.5
    assert fg.contrast_ratio(fg.MUTED) >= 4.5
    assert fg.contrast_ratio(fg.HIGHLIGHT) >= 3
    for group, colour in fg.GROUP_COLOURS.items():
        # a fill under 3:1 is always drawn with a dark edge that passes
        assert fg.contrast_ratio(fg._edge(colour)) >= 3, group


def test_palette_is_okabe_ito() -> None:
    assert set(fg.OKABE_ITO.values()) == {
        "#000000",
        "#E69F00",
        "#56B4E9",
        "#009E73",
        "#F0E442",
        "#0072B2",
        "#D55E00",
        "#CC79A7",
    }
    used = {c for g, c in fg.GROUP_COLOURS.items() if g not in ("Not stated", "All")}
    assert used <= set(fg.OKABE_ITO.values())
    assert len(set(fg.GROUP_COLOURS.values())) == len(fg.GROUP_COLOURS)  # every group distinguishable


# --------------------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12345.0, "12,345"),
        (12.34, "12.3"),
        (3.14159, "3.1"),
        (0.456, "0.46"),
        (5, "5.0"),
        (float("nan"), "[x]"),
        (None, "[x]"),
    ],
)
def test_fmt_number(value: object, expected: str) -> None:
    assert fg.fmt_number(value) == expected


def test_fmt_number_shows_symbol_for_suppressed() -> None:
    assert fg.fmt_number(float("nan"), symbol="[c]") == "[c]"


# --------------------------------------------------------------------------- charts
def _rates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": ["Asian", "Black", "Mixed", "White", "Other"],
            "value": [4.2, 12.3, float("nan"), 3.1, 2.0],
            "ci_low": [3.5, 10.1, float("nan"), 2.9, 1.2],
            "ci_high": [5.0, 14.8, float("nan"), 3.3, 3.1],
            "symbol": ["", "", "[c]", "", ""],
        }
    )


def test_interval_chart_alt_text_gives_every_value_and_interval() -> None:
    fig, alt = fg.interval_chart(
        _rates(),
        measure="stop and search rate per 1,000 by ethnic group",
        area_name="South Wales",
        period_label="2021/22",
    )
    # the finding first (highest and lowest), then what the chart is, then every value
    assert alt.startswith(
        "Highest: Black (12.3); lowest: Other (2.0). Dot chart with 95% confidence intervals: "
        "stop and search rate per 1,000 by ethnic group in South Wales 2021/22."
    )
    assert "Black 12.3 (95% CI 10.1 to 14.8)" in alt
    assert "White 3.1 (95% CI 2.9 to 3.3)" in alt
    assert "Mixed [c]" in alt  # suppressed, said so, not drawn as zero
    ax = fig.axes[0]
    positions = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)}
    assert sorted(positions, key=positions.get, reverse=True) == ["Asian", "Black", "Mixed", "White", "Other"]
    assert len(ax.collections) == 4  # one interval per group with a value
    assert any("not shown [c]" in t.get_text() for t in ax.texts)


def test_a_value_built_into_the_categories_is_not_the_finding_of_the_alt_text() -> None:
    """Self-defined Mixed always "disagrees" with an officer's record (which has no Mixed): 100% is not
    the highest disagreement, so the alt text opens with the groups that can be compared."""
    frame = pd.DataFrame(
        {
            "group": ["Asian", "Mixed", "White", "All"],
            "value": [13.6, 100.0, 0.31, 3.8],
            "ci_low": [10.4, 98.0, 0.21, 3.4],
            "ci_high": [17.7, 100.0, 0.46, 4.2],
            "caveats": [(), ("mixed_officer_defined_structural",), (), ("mixed_officer_defined_structural",)],
        }
    )
    _fig, alt = fg.interval_chart(frame, measure="disagreement", unit="%", area_name="Gwent")
    assert alt.startswith(
        "Highest: Asian (13.6); lowest: White (0.31). Not compared: Mixed, All (a result of how ethnicity "
        "is recorded, see the notes). Dot chart"
    )
    assert "Mixed 100 (95% CI 98 to 100)" in alt  # still listed with its value
    _fig, plain = fg.interval_chart(frame.drop(columns="caveats"), measure="disagreement", unit="%")
    assert plain.startswith("Highest: Mixed (100); lowest: White (0.31). Dot chart")


def test_ratio_chart_is_log_scale_with_parity_line() -> None:
    frame = pd.DataFrame(
        {"group": ["Black", "Asian"], "value": [3.2, 0.5], "ci_low": [2.9, 0.4], "ci_high": [3.5, 0.7]}
    )
    fig, alt = fg.ratio_chart(frame, area_name="Gwent")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert any(np.allclose(line.get_xdata(), [1, 1]) for line in ax.lines)
    assert (
        "Black 3.2 (95% CI 2.9 to 3.5)" in alt and "A ratio of 1 means the same rate as White people" in alt
    )
    assert alt.startswith(
        "Highest: Black (3.2); lowest: Asian (0.50). Clearly above 1 (the whole interval) for "
        "Black; clearly below 1 for Asian. Dot chart"
    )


def test_trend_chart_alt_text_describes_change() -> None:
    frame = pd.DataFrame(
        {
            "period": ["2019-20", "2020-21", "2021-22"] * 2,
            "group": ["Black"] * 3 + ["White"] * 3,
            "value": [5.0, 4.0, 3.2, 1.0, 1.1, 1.0],
            "ci_low": [4.0, 3.1, 2.5, 0.9, 1.0, 0.9],
            "ci_high": [6.0, 5.0, 4.0, 1.1, 1.2, 1.1],
        }
    )
    fig, alt = fg.trend_chart(frame, measure="disparity ratio to White", area_name="Gwent")
    assert "from 2019/20 to 2021/22" in alt
    assert "Black from 5.0 in 2019/20 to 3.2 in 2021/22" in alt
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["2019/20", "2020/21", "2021/22"]


def _funnel() -> tuple[pd.DataFrame, pd.DataFrame]:
    areas = pd.DataFrame(
        {
            "area_code": ["A", "B", "C", "D"],
            "area_name": ["Alpha", "Beta", "Gamma", "Delta"],
            "denominator": [1e5, 5e5, 1e6, 2e6],
            "value": [5.6, 5.1, 4.9, 2.0],
        }
    )
    x = np.geomspace(5e4, 3e6, 50)
    half95 = 1.96 * np.sqrt(5.0 / x * 1000)
    half998 = 3.09 * np.sqrt(5.0 / x * 1000)
    limits = pd.DataFrame(
        {
            "x": x,
            "lower_95": 5 - half95,
            "upper_95": 5 + half95,
            "lower_998": 5 - half998,
            "upper_998": 5 + half998,
            "target": 5.0,
        }
    )
    return areas, limits


@pytest.mark.parametrize(
    ("code", "where"),
    [
        ("A", "above the 95% limit but within the 99.8% limit"),
        ("B", "within the 95% limits"),
        ("D", "below the 99.8% limit"),
    ],
)
def test_funnel_plot_says_where_the_area_falls(code: str, where: str) -> None:
    areas, limits = _funnel()
    # check the expectation against the limits themselves, not a hard-coded answer
    row = areas.set_index("area_code").loc[code]
    up95 = np.interp(row["denominator"], limits["x"], limits["upper_95"])
    up998 = np.interp(row["denominator"], limits["x"], limits["upper_998"])
    lo998 = np.interp(row["denominator"], limits["x"], limits["lower_998"])
    if where.startswith("above the 95%"):
        assert up95 < row["value"] <= up998
    elif where.startswith("below the 99.8%"):
        assert row["value"] < lo998
    fig, alt = fg.funnel_plot(areas, limits, measure="stop and search rate per 1,000", highlight=code)
    assert f"{row['area_name']} is {fg.fmt_number(row['value'])}, {where}." in alt
    # the finding (where the area falls) first, then the chart
    assert alt.startswith(
        f"{row['area_name']} is {fg.fmt_number(row['value'])}, {where}. Funnel plot: stop and "
        "search rate per 1,000 for 4 police force areas"
    )
    assert "The highest is Alpha (5.6), the lowest Delta (2.0)." in alt


def test_share_chart_and_bar_chart_alt_text() -> None:
    frame = pd.DataFrame({"group": ["Asian", "Black"], "share": [2.0, 0.5], "population_share": [4.3, 1.5]})
    _, alt = fg.share_chart(
        frame, measure="officers by ethnic group against the population", area_name="South Wales"
    )
    assert "Asian 2.0% of the workforce against 4.3% of the population" in alt
    counts = pd.DataFrame(
        {"strand": ["Race", "Religion"], "count": [1200.0, float("nan")], "symbol": ["", "[c]"]}
    )
    _, alt = fg.bar_chart(counts, category="strand", measure="hate crimes by strand")
    assert "Race 1,200" in alt and "Religion [c]" in alt


def test_chart_rejects_missing_columns() -> None:
    with pytest.raises(ValueError, match="no column"):
        fg.interval_chart(pd.DataFrame({"group": ["A"]}), measure="x")


# --------------------------------------------------------------------------- output
def test_show_saves_a_deterministic_png_and_displays_markdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shown: list[str] = []
    monkeypatch.setattr(fg, "_display_markdown", shown.append)
    fig, alt = fg.interval_chart(_rates(), measure="rate", area_name="X")
    text = fg.show(fig, "rates-x", "Rates in X", alt)
    first = (tmp_path / "figures" / "rates-x.png").read_bytes()
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"Software" not in first and b"tIME" not in first  # no tool or time metadata
    fig2, alt2 = fg.interval_chart(_rates(), measure="rate", area_name="X")
    fg.show(fig2, "rates-x", "Rates in X", alt2)
    assert (tmp_path / "figures" / "rates-x.png").read_bytes() == first
    assert shown[0] == text
    assert text == f'![Rates in X](figures/rates-x.png){{#fig-rates-x fig-alt="{alt}"}}'


def test_figure_markdown_escapes_quotes_and_brackets() -> None:
    text = fg.figure_markdown("a", "Caption [with] brackets", 'Alt "quoted"\nline')
    assert text == '![Caption \\[with\\] brackets](figures/a.png){#fig-a fig-alt="Alt \\"quoted\\" line"}'


def test_show_refuses_a_figure_without_alt_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    fig, _ = fg.interval_chart(_rates(), measure="rate")
    with pytest.raises(ValueError, match="no alt text"):
        fg.show(fig, "x", "X", "  ")
    assert not (tmp_path / "figures").exists()


@pytest.mark.parametrize("label", ["Bad Label", "under_score", "-lead", ""])
def test_labels_must_be_valid_ids(label: str) -> None:
    with pytest.raises(ValueError, match="label"):
        fg.figure_markdown(label, "c", "a")


def test_table_markdown_is_a_pipe_table_with_caption_and_symbols() -> None:
    frame = pd.DataFrame(
        {
            "Group": ["Black", "Mixed|other"],
            "Searches": [1234.0, math.nan],
            "symbol": ["", "[c]"],
            "Rate": [12.345, math.nan],
        }
    )
    text = fg.table_markdown(frame, "Searches by group", "searches")
    lines = text.splitlines()
    assert lines[0] == "| Group | Searches | Rate |"
    # alignment (text left, numbers right); the dashes give each column its share of the width
    # (pandoc's relative widths): here each column's longest cell and a character of slack
    assert (
        lines[1]
        == "|:" + "-" * (len("Mixed|other") + 1) + "|" + "-" * (len("Searches") + 1) + ":|" + "-" * 5 + ":|"
    )
    assert lines[2] == "| Black | 1,234 | 12.3 |"
    assert lines[3] == "| Mixed\\|other | [c] | [c] |"
    assert lines[4] == ""
    assert lines[5] == ": Searches by group {#tbl-searches}"


def test_table_refuses_empty_frame() -> None:
    with pytest.raises(ValueError, match="empty"):
        fg.table_markdown(pd.DataFrame({"a": []}), "c", "t")


def test_alt_text_has_no_unformatted_floats() -> None:
    _, alt = fg.interval_chart(_rates().assign(value=[4.23456, 12.34567, 1.0, 3.1, 2.0]), measure="rate")
    assert not re.search(r"\d\.\d{3,}", alt)
