"""Ethnicity classifications and their mapping to the broad groups.

Broad groups (the ONS 5+1 harmonised standard as the Home Office and GOV.UK
Ethnicity facts and figures use it): Asian, Black, Mixed, White, Other, and
Not stated. Chinese is Asian in the Census 2011 and 2021 classifications (ONS
harmonised standard); the older Home Office label "Chinese or Other" is Other.

Classifications covered:
- ``census2021``: Census 2021 TS021 (19 categories + "Does not apply").
- ``census2011``: Census 2011 KS201EW/QS201EW (18 categories).
- ``policeuk_self``: police.uk self-defined ethnicity (the 16+1 / 18+1 labels).
- ``officer``: officer-defined (perceived) ethnicity (White, Black, Asian, Other).
- ``ho``: Home Office, EFF and other published table labels.

Every label is kept as the source gave it; :func:`broad_group` adds the group.
An unknown label raises :class:`UnknownEthnicityError`: nothing falls silently
into Other or Not stated.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

import pandas as pd

BROAD_GROUPS: tuple[str, ...] = ("Asian", "Black", "Mixed", "White", "Other", "Not stated")
#: groups that have a resident population (Not stated does not)
POPULATION_GROUPS: tuple[str, ...] = ("Asian", "Black", "Mixed", "White", "Other")
#: the aggregate of every group but White
ETHNIC_MINORITY = "All ethnic minority groups"
DOES_NOT_APPLY = "Does not apply"

Classification = Literal["census2021", "census2011", "policeuk_self", "officer", "ho"]

_CENSUS2021 = {
    "Asian, Asian British or Asian Welsh: Bangladeshi": "Asian",
    "Asian, Asian British or Asian Welsh: Chinese": "Asian",
    "Asian, Asian British or Asian Welsh: Indian": "Asian",
    "Asian, Asian British or Asian Welsh: Pakistani": "Asian",
    "Asian, Asian British or Asian Welsh: Other Asian": "Asian",
    "Black, Black British, Black Welsh, Caribbean or African: African": "Black",
    "Black, Black British, Black Welsh, Caribbean or African: Caribbean": "Black",
    "Black, Black British, Black Welsh, Caribbean or African: Other Black": "Black",
    "Mixed or Multiple ethnic groups: White and Asian": "Mixed",
    "Mixed or Multiple ethnic groups: White and Black African": "Mixed",
    "Mixed or Multiple ethnic groups: White and Black Caribbean": "Mixed",
    "Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups": "Mixed",
    "White: English, Welsh, Scottish, Northern Irish or British": "White",
    "White: Irish": "White",
    "White: Gypsy or Irish Traveller": "White",
    "White: Roma": "White",
    "White: Other White": "White",
    "Other ethnic group: Arab": "Other",
    "Other ethnic group: Any other ethnic group": "Other",
    "Does not apply": DOES_NOT_APPLY,
}

_CENSUS2011 = {
    "White: English/Welsh/Scottish/Northern Irish/British": "White",
    "White: Irish": "White",
    "White: Gypsy or Irish Traveller": "White",
    "White: Other White": "White",
    "Mixed/multiple ethnic group: White and Black Caribbean": "Mixed",
    "Mixed/multiple ethnic group: White and Black African": "Mixed",
    "Mixed/multiple ethnic group: White and Asian": "Mixed",
    "Mixed/multiple ethnic group: Other Mixed": "Mixed",
    "Asian/Asian British: Indian": "Asian",
    "Asian/Asian British: Pakistani": "Asian",
    "Asian/Asian British: Bangladeshi": "Asian",
    "Asian/Asian British: Chinese": "Asian",
    "Asian/Asian British: Other Asian": "Asian",
    "Black/African/Caribbean/Black British: African": "Black",
    "Black/African/Caribbean/Black British: Caribbean": "Black",
    "Black/African/Caribbean/Black British: Other Black": "Black",
    "Other ethnic group: Arab": "Other",
    "Other ethnic group: Any other ethnic group": "Other",
}

_POLICEUK_SELF = {
    "White - English/Welsh/Scottish/Northern Irish/British": "White",
    "White - Irish": "White",
    "White - Gypsy or Irish Traveller": "White",
    "White - Roma": "White",
    "White - Any other White background": "White",
    "Mixed/Multiple ethnic groups - White and Black Caribbean": "Mixed",
    "Mixed/Multiple ethnic groups - White and Black African": "Mixed",
    "Mixed/Multiple ethnic groups - White and Asian": "Mixed",
    "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background": "Mixed",
    "Asian/Asian British - Indian": "Asian",
    "Asian/Asian British - Pakistani": "Asian",
    "Asian/Asian British - Bangladeshi": "Asian",
    "Asian/Asian British - Chinese": "Asian",
    "Asian/Asian British - Any other Asian background": "Asian",
    "Black/African/Caribbean/Black British - African": "Black",
    "Black/African/Caribbean/Black British - Caribbean": "Black",
    "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background": "Black",
    "Other ethnic group - Arab": "Other",
    "Other ethnic group - Any other ethnic group": "Other",
    "Other ethnic group - Not stated": "Not stated",
    "": "Not stated",
}

_OFFICER = {
    "White": "White",
    "Black": "Black",
    "Asian": "Asian",
    "Other": "Other",
    "Mixed": "Mixed",
    "": "Not stated",
    "Not stated": "Not stated",
    "Not recorded": "Not stated",
}

_HO = {
    "White": "White",
    "Black": "Black",
    "Asian": "Asian",
    "Mixed": "Mixed",
    "Other": "Other",
    "Black (or Black British)": "Black",
    "Black or Black British": "Black",
    "Asian (or Asian British)": "Asian",
    "Asian or Asian British": "Asian",
    "Mixed (or Mixed ethnic groups)": "Mixed",
    "Mixed ethnic groups": "Mixed",
    "Chinese or Other": "Other",
    "Chinese or other": "Other",
    "Chinese or Other Ethnic Group": "Other",
    "Chinese or Other Ethnic Group (pre 2021 category)": "Other",
    "Other ethnic group": "Other",
    "Other Ethnic Group": "Other",
    "Other (including Chinese)": "Other",
    "Chinese": "Asian",
    "Not stated": "Not stated",
    "Not Stated": "Not stated",
    "Not reported": "Not stated",
    "Not recorded": "Not stated",
    "Unknown": "Not stated",
    "Unreported": "Not stated",
    "Unknown ethnicity": "Not stated",
    "Don't know": "Not stated",  # use of force 2018/19: the officer could not perceive it
    "Not known / stated": "Not stated",  # IOPC
    "Not known / Not stated": "Not stated",  # IOPC
    "Not known": "Not stated",  # IOPC
    # Ethnicity facts and figures detailed labels (stop and search national series and 2022/23 table)
    "Indian": "Asian",
    "Pakistani": "Asian",
    "Bangladeshi": "Asian",
    "Any other Asian background": "Asian",
    "Asian other": "Asian",
    "Black African": "Black",
    "Black Caribbean": "Black",
    "Any other black background": "Black",
    "Black other": "Black",
    "Mixed White and Asian": "Mixed",
    "Mixed White and Black African": "Mixed",
    "Mixed White and Black Caribbean": "Mixed",
    "Any other mixed/multiple ethnic background": "Mixed",
    "Mixed other": "Mixed",
    "White British": "White",
    "White Irish": "White",
    "Gypsy or Irish Traveller": "White",
    "White Gypsy or Irish Traveller": "White",  # EFF population by local authority (Census 2011)
    "Roma": "White",
    "Any other white background": "White",
    "White other": "White",
    "Arab": "Other",
    "Any other ethnic group": "Other",
    "Any other ethnic background": "Other",
    "Other inc Chinese": "Other",
}

_TABLES: dict[str, dict[str, str]] = {
    "census2021": _CENSUS2021,
    "census2011": _CENSUS2011,
    "policeuk_self": _POLICEUK_SELF,
    "officer": _OFFICER,
    "ho": _HO,
}


class UnknownEthnicityError(ValueError):
    """An ethnicity label that no mapping knows."""


def _norm(label: str) -> str:
    return re.sub(r"\s+", " ", str(label).strip()).casefold()


@cache
def _lookup(classification: str | None) -> dict[str, str]:
    tables = [_TABLES[classification]] if classification else list(_TABLES.values())
    out: dict[str, str] = {}
    for table in tables:
        for label, group in table.items():
            out.setdefault(_norm(label), group)
    return out


def labels(classification: Classification) -> tuple[str, ...]:
    """The labels of one classification, as the source spells them."""
    return tuple(k for k in _TABLES[classification] if k)


def broad_group(label: str | float | None, classification: Classification | None = None) -> str:
    """The broad group (Asian, Black, Mixed, White, Other, Not stated) of one label.

    A missing label is "Not stated" only where the classification records a blank
    for not stated (police.uk); elsewhere it is an error.
    """
    if label is None or (isinstance(label, float) and label != label):
        label = ""
    key = _norm(label)
    table = _lookup(classification)
    if key in table:
        return table[key]
    # Broad-group labels are valid in every classification (sources often add a total row per group).
    broad = {_norm(g): g for g in BROAD_GROUPS}
    if key in broad:
        return broad[key]
    where = f" in the {classification} classification" if classification else ""
    raise UnknownEthnicityError(
        f"Unknown ethnicity label {label!r}{where}; expected one of: "
        + "; ".join(repr(k) for k in (_TABLES[classification] if classification else _HO))
    )


def add_broad_group(
    frame: pd.DataFrame,
    *,
    label_column: str,
    classification: Classification | None,
    group_column: str = "group",
    source: str = "<frame>",
) -> pd.DataFrame:
    """Return ``frame`` with a ``group`` column mapped from ``label_column``.

    Raises :class:`UnknownEthnicityError` naming the source, the first row and the
    column that hold an unknown label.
    """
    mapping: dict[object, str] = {}
    for position, value in enumerate(frame[label_column].tolist()):
        if value in mapping:
            continue
        try:
            mapping[value] = broad_group(value, classification)
        except UnknownEthnicityError as exc:
            raise UnknownEthnicityError(
                f"{source}, row {position + 1}, column {label_column!r}: {exc}"
            ) from None
    out = frame.copy()
    out[group_column] = frame[label_column].map(mapping)
    return out
