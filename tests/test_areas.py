"""Police force areas: codes, names, aliases and the error for an unknown name."""

from __future__ import annotations

import csv

import pytest

from eqlib import areas


def _lookup_rows(raw_dir, name, code_col, name_col):
    with open(raw_dir / name, newline="", encoding="utf-8-sig") as handle:
        return {(r[code_col], r[name_col]) for r in csv.DictReader(handle)}


def test_43_territorial_areas_with_unique_codes_names_and_slugs():
    forces = areas.all_areas()
    assert len(forces) == 43
    assert sum(a.country == "England" for a in forces) == 39
    assert sum(a.country == "Wales" for a in forces) == 4
    for attr in ("code", "name", "slug"):
        values = [getattr(a, attr) for a in forces]
        assert len(set(values)) == 43, attr
    assert all(a.code.startswith(("E23", "W15")) for a in forces)


def test_every_pfa21_code_and_name_in_the_ons_lookup_resolves(raw_dir):
    pairs = _lookup_rows(raw_dir, "lookup-lad21-csp21-pfa21/la_pfa_lookup.csv", "PFA21CD", "PFA21NM")
    assert len(pairs) == 43
    assert {code for code, _ in pairs} == {a.code for a in areas.all_areas()}
    for code, name in pairs:
        assert areas.resolve(code).code == code
        assert areas.resolve(name).code == code, name
        assert areas.get(code).code == code


def test_every_pfa16_name_in_the_2016_lookup_resolves(raw_dir):
    pairs = _lookup_rows(
        raw_dir,
        "census2011-ethnicity-la-pfa/Local_Authority_District_to_Community_Safety_Partnerships_to_"
        "Police_Force_Areas__December_2016__Lookup_in_England_and_Wales.csv",
        "PFA16CD",
        "PFA16NM",
    )
    assert len(pairs) == 43
    for code, name in pairs:
        assert areas.resolve(name).code == code, name


@pytest.mark.parametrize(
    ("alias", "code"),
    [
        ("Avon & Somerset", "E23000036"),
        ("London, City of", "E23000034"),
        ("City of London Police", "E23000034"),
        ("Metropolitan Police Service", "E23000001"),
        ("Dyfed-Powys", "W15000004"),
        ("Dyfed Powys Police", "W15000004"),
        ("Devon & Cornwall", "E23000035"),
        ("south-wales", "W15000003"),
        ("SOUTH WALES POLICE", "W15000003"),
        ("  Gwent  ", "W15000002"),
        ("Greater Manchester Police", "E23000005"),
        ("Hampshire & Isle of Wight", "E23000030"),
        ("British Transport Police", "BTP"),
        ("England and Wales", "K04000001"),
    ],
)
def test_aliases_resolve(alias, code):
    assert areas.resolve(alias).code == code


def test_unknown_name_raises_with_closest_matches():
    with pytest.raises(areas.UnknownAreaError) as info:
        areas.resolve("South Walse")
    message = str(info.value)
    assert "'South Walse'" in message
    assert "Closest matches" in message and "South Wales" in message


def test_unknown_code_and_missing_value():
    with pytest.raises(areas.UnknownAreaError, match="E23000099"):
        areas.get("E23000099")
    with pytest.raises(areas.UnknownAreaError, match="missing"):
        areas.resolve(None)


def test_areas_frame_and_flags():
    frame = areas.areas_frame(include_national=True, include_btp=True)
    assert len(frame) == 45
    assert frame["area_code"].is_unique
    small = set(frame.loc[frame["small_population"], "area_code"])
    assert small == {"E23000034", "BTP"}
    assert areas.get(areas.ENGLAND_AND_WALES_CODE).is_national
    assert areas.is_area_name("Cumbria") and not areas.is_area_name("North West")


def test_slugs_are_url_safe_and_round_trip():
    for area in areas.all_areas(territorial_only=False, include_national=True):
        assert area.slug == area.slug.lower() and " " not in area.slug
        assert areas.resolve(area.slug) is area
