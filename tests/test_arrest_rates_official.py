"""Arrest rates reproduce the Home Office's own table A_04 (2001 classification, Lancashire excluded).

A_04 publishes arrest rates per 1,000 population by self-defined ethnicity for England and Wales
(excluding Lancashire) only; the workbook has no rates by force and ethnicity. The force figures are
tested through the denominators: the national population implied by each published rate
(count x 1,000 / rate) equals the sum of eqlib's force populations for the forces that supplied data,
and each force's rate is its A_08 count over its own population in the same classification.
"""

from __future__ import annotations

import pytest

from eqlib import analysis, areas, store
from eqlib.sources import ods

WORKBOOK = "ho-arrests-ppp-2018-19/arrest-police-powers-procedures-mar19-hosb2519-tables.ods"
NATIONAL = areas.ENGLAND_AND_WALES_CODE
GROUPS = {
    "White": "White",
    "Black (or Black British)": "Black",
    "Asian (or Asian British)": "Asian",
    "Mixed": "Mixed",
    "Chinese or Other": "Other",
    "Total": "All",
}


def _published_decimals(path, sheet: str) -> dict[float, int]:
    """{cell value: decimal places its number format displays} for the numeric cells of one sheet,
    read from the ODS's own styles (content.xml and styles.xml): the figures as published."""
    import xml.etree.ElementTree as ET
    import zipfile

    ns = {
        "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
        "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
        "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
        "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    }
    q = lambda prefix, name: f"{{{ns[prefix]}}}{name}"  # noqa: E731
    with zipfile.ZipFile(path) as z:
        roots = [ET.fromstring(z.read(name)) for name in ("content.xml", "styles.xml")]
    cell_style, data_styles = {}, {}
    for root in roots:
        for st in root.iter(q("style", "style")):
            if st.get(q("style", "data-style-name")):
                cell_style[st.get(q("style", "name"))] = st.get(q("style", "data-style-name"))
        for tag in ("number-style", "percentage-style", "text-style"):
            for st in root.iter(q("number", tag)):
                data_styles[st.get(q("style", "name"))] = st

    def decimals(name: str, depth: int = 0) -> int:
        st = data_styles[name]
        for m in st.findall(q("style", "map")):
            if m.get(q("style", "condition")) == "value()>0" and depth < 3:
                return decimals(m.get(q("style", "apply-style-name")), depth + 1)
        number = st.find(q("number", "number"))
        return int(number.get(q("number", "decimal-places"), 0)) if number is not None else 0

    table = next(t for t in roots[0].iter(q("table", "table")) if t.get(q("table", "name")) == sheet)
    out = {}
    for cell in table.iter(q("table", "table-cell")):
        if cell.get(q("office", "value-type")) == "float":
            out[float(cell.get(q("office", "value")))] = decimals(
                cell_style[cell.get(q("table", "style-name"))]
            )
    return out


@pytest.fixture(scope="module")
def a04(raw_dir) -> dict[tuple[str, str], tuple[float, float]]:
    """{(period, group): (count, rate)} read from the shipped A_04 sheet."""
    rows = ods.read_sheet(raw_dir / WORKBOOK, "A_04")
    years = [c for c in rows[4] if isinstance(c, str) and "/" in c]
    assert years == ["2017/18", "2018/19"]
    out = {}
    for row in rows[7:14]:
        label = ods.clean_label(row[0])
        if label == "Not stated":
            assert row[3] == "*" and row[7] == "*"  # no rate for not stated
            continue
        group = GROUPS[label]
        out[("2017-18", group)] = (row[1], row[3])
        out[("2018-19", group)] = (row[5], row[7])
    assert len(out) == 12
    return out


@pytest.fixture(scope="module")
def rates():
    return analysis.compute_measure("arrest_rate")


def test_every_a04_rate_reproduced_to_its_published_decimals(a04, rates, raw_dir):
    shown = _published_decimals(raw_dir / WORKBOOK, "A_04")
    national = rates[(rates["area_code"] == NATIONAL) & (rates["measure"] == "arrest_rate")].set_index(
        ["period", "group"]
    )
    for key, (count, published) in a04.items():
        ours = national.loc[key]
        assert ours["count"] == count, key
        places = shown[published]  # the workbook's own number format (whole numbers in this edition)
        assert round(ours["value"], places) == round(published, places), (key, ours["value"], published)
        assert ours["value"] == pytest.approx(published, rel=1e-9), key  # in fact to full precision
        assert ours["ci_low"] < ours["value"] < ours["ci_high"]
        assert "arrest_classification_2001" in ours["caveats"]
        assert "forces_excluded_national" in ours["caveats"]


def test_national_population_is_the_forces_that_supplied_data(a04, rates):
    """The population A_04 divides by (count x 1,000 / rate) is the sum of the force populations
    for every force except Lancashire, with Chinese counted in Other."""
    lancashire = areas.resolve("lancashire").code
    forces = rates[(rates["area_code"] != NATIONAL) & (rates["measure"] == "arrest_rate")]
    for period in ("2017-18", "2018-19"):
        part = forces[(forces["period"] == period) & (forces["area_code"] != lancashire)]
        assert part["area_code"].nunique() == 42
        for group in ("White", "Black", "Asian", "Mixed", "Other", "All"):
            count, rate = a04[(period, group)]
            implied = count * 1000 / rate
            summed = part.loc[part["group"] == group, "denominator"].sum()
            assert summed == pytest.approx(implied, abs=0.5), (period, group)
    lanc = forces[forces["area_code"] == lancashire]
    assert lanc["value"].isna().all() and (lanc["symbol"] != "").all()  # not supplied: no rate, not zero


@pytest.mark.parametrize("force", ["south-wales", "west-midlands", "metropolitan", "cumbria", "kent"])
def test_force_rates_are_a08_counts_over_the_2001_classification_population(force, rates):
    code = areas.resolve(force).code
    census = store.load("population_census2011")
    census = census[census["area_code"] == code]
    chinese = census.loc[census["source_label"].str.endswith(": Chinese"), "count"].sum()
    asian_all = census.loc[census["group"] == "Asian", "count"].sum()
    other_all = census.loc[census["group"] == "Other", "count"].sum()
    assert chinese > 0
    arrests = store.load("arrests_ho")
    a08 = arrests[(arrests["table"] == "A_08") & (arrests["area_code"] == code)].set_index(
        ["period", "group"]
    )
    ours = rates[(rates["area_code"] == code) & (rates["measure"] == "arrest_rate")].set_index(
        ["period", "group"]
    )
    for period in ("2017-18", "2018-19"):
        asian = ours.loc[(period, "Asian")]
        other = ours.loc[(period, "Other")]
        assert asian["denominator"] == asian_all - chinese
        assert other["denominator"] == other_all + chinese
        assert asian["value"] == pytest.approx(
            1000 * a08.loc[(period, "Asian"), "count"] / (asian_all - chinese)
        )
        assert other["value"] == pytest.approx(
            1000 * a08.loc[(period, "Other"), "count"] / (other_all + chinese)
        )
        assert "forces_excluded_national" not in asian["caveats"]


def test_disparity_uses_the_same_denominators(rates):
    ratios = analysis.compute_measure("arrest_disparity")
    row = ratios[
        (ratios["area_code"] == NATIONAL)
        & (ratios["period"] == "2018-19")
        & (ratios["measure"] == "arrest_disparity")
        & (ratios["group"] == "Black")
    ].iloc[0]
    national = rates[(rates["area_code"] == NATIONAL) & (rates["period"] == "2018-19")].set_index("group")
    assert row["value"] == pytest.approx(national.loc["Black", "value"] / national.loc["White", "value"])
