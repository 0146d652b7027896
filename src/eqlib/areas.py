"""Police force areas of England and Wales: ONS codes, display names, slugs and aliases.

The 43 territorial police force areas (PFA21, ONS Open Geography "Police Force Areas
(December 2021)"), British Transport Police (non-territorial, no ONS code: the
pseudo-code ``BTP`` is used where a source reports it) and England and Wales as a
whole (``K04000001``).

Every spelling found in the sources resolves through :func:`resolve`; an unknown
name raises :class:`UnknownAreaError` listing the closest matches.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

ENGLAND_AND_WALES_CODE = "K04000001"
BTP_CODE = "BTP"


@dataclass(frozen=True)
class Area:
    """One police force area (or England and Wales, or British Transport Police)."""

    code: str
    name: str
    slug: str
    country: str  # "England", "Wales" or "England and Wales"
    region: str
    territorial: bool = True
    small_population: bool = False
    aliases: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_national(self) -> bool:
        return self.code == ENGLAND_AND_WALES_CODE


class UnknownAreaError(ValueError):
    """A name, code or slug that is not a known police force area."""


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("&", "and")).strip("-")


_A = Area
_AREAS: tuple[Area, ...] = (
    _A(
        "E23000001",
        "Metropolitan Police",
        "metropolitan",
        "England",
        "London",
        aliases=(
            "Metropolitan Police Service",
            "Metropolitan",
            "MPS",
            "Met Police",
            "Metropolitan Police Force",
        ),
    ),
    _A("E23000002", "Cumbria", "cumbria", "England", "North West", aliases=("Cumbria Constabulary",)),
    _A(
        "E23000003", "Lancashire", "lancashire", "England", "North West", aliases=("Lancashire Constabulary",)
    ),
    _A("E23000004", "Merseyside", "merseyside", "England", "North West", aliases=("Merseyside Police",)),
    _A(
        "E23000005",
        "Greater Manchester",
        "greater-manchester",
        "England",
        "North West",
        aliases=("Greater Manchester Police", "GMP", "Manchester"),
    ),
    _A("E23000006", "Cheshire", "cheshire", "England", "North West", aliases=("Cheshire Constabulary",)),
    _A("E23000007", "Northumbria", "northumbria", "England", "North East", aliases=("Northumbria Police",)),
    _A("E23000008", "Durham", "durham", "England", "North East", aliases=("Durham Constabulary",)),
    _A(
        "E23000009",
        "North Yorkshire",
        "north-yorkshire",
        "England",
        "Yorkshire and the Humber",
        aliases=("North Yorkshire Police",),
    ),
    _A(
        "E23000010",
        "West Yorkshire",
        "west-yorkshire",
        "England",
        "Yorkshire and the Humber",
        aliases=("West Yorkshire Police",),
    ),
    _A(
        "E23000011",
        "South Yorkshire",
        "south-yorkshire",
        "England",
        "Yorkshire and the Humber",
        aliases=("South Yorkshire Police",),
    ),
    _A(
        "E23000012",
        "Humberside",
        "humberside",
        "England",
        "Yorkshire and the Humber",
        aliases=("Humberside Police",),
    ),
    _A("E23000013", "Cleveland", "cleveland", "England", "North East", aliases=("Cleveland Police",)),
    _A(
        "E23000014",
        "West Midlands",
        "west-midlands",
        "England",
        "West Midlands",
        aliases=("West Midlands Police",),
    ),
    _A(
        "E23000015",
        "Staffordshire",
        "staffordshire",
        "England",
        "West Midlands",
        aliases=("Staffordshire Police",),
    ),
    _A(
        "E23000016", "West Mercia", "west-mercia", "England", "West Midlands", aliases=("West Mercia Police",)
    ),
    _A(
        "E23000017",
        "Warwickshire",
        "warwickshire",
        "England",
        "West Midlands",
        aliases=("Warwickshire Police", "Warkwickshire"),
    ),
    _A(
        "E23000018",
        "Derbyshire",
        "derbyshire",
        "England",
        "East Midlands",
        aliases=("Derbyshire Constabulary",),
    ),
    _A(
        "E23000019",
        "Nottinghamshire",
        "nottinghamshire",
        "England",
        "East Midlands",
        aliases=("Nottinghamshire Police",),
    ),
    _A(
        "E23000020",
        "Lincolnshire",
        "lincolnshire",
        "England",
        "East Midlands",
        aliases=("Lincolnshire Police",),
    ),
    _A(
        "E23000021",
        "Leicestershire",
        "leicestershire",
        "England",
        "East Midlands",
        aliases=("Leicestershire Police",),
    ),
    _A(
        "E23000022",
        "Northamptonshire",
        "northamptonshire",
        "England",
        "East Midlands",
        aliases=("Northamptonshire Police",),
    ),
    _A(
        "E23000023",
        "Cambridgeshire",
        "cambridgeshire",
        "England",
        "East of England",
        aliases=("Cambridgeshire Constabulary",),
    ),
    _A("E23000024", "Norfolk", "norfolk", "England", "East of England", aliases=("Norfolk Constabulary",)),
    _A("E23000025", "Suffolk", "suffolk", "England", "East of England", aliases=("Suffolk Constabulary",)),
    _A(
        "E23000026",
        "Bedfordshire",
        "bedfordshire",
        "England",
        "East of England",
        aliases=("Bedfordshire Police",),
    ),
    _A(
        "E23000027",
        "Hertfordshire",
        "hertfordshire",
        "England",
        "East of England",
        aliases=("Hertfordshire Constabulary",),
    ),
    _A("E23000028", "Essex", "essex", "England", "East of England", aliases=("Essex Police",)),
    _A(
        "E23000029",
        "Thames Valley",
        "thames-valley",
        "England",
        "South East",
        aliases=("Thames Valley Police",),
    ),
    _A(
        "E23000030",
        "Hampshire",
        "hampshire",
        "England",
        "South East",
        aliases=("Hampshire Constabulary", "Hampshire and Isle of Wight", "Hampshire & Isle of Wight"),
    ),
    _A("E23000031", "Surrey", "surrey", "England", "South East", aliases=("Surrey Police",)),
    _A("E23000032", "Kent", "kent", "England", "South East", aliases=("Kent Police",)),
    _A("E23000033", "Sussex", "sussex", "England", "South East", aliases=("Sussex Police",)),
    _A(
        "E23000034",
        "City of London",
        "city-of-london",
        "England",
        "London",
        small_population=True,
        aliases=("London, City of", "City of London Police", "London City", "City of London"),
    ),
    _A(
        "E23000035",
        "Devon and Cornwall",
        "devon-and-cornwall",
        "England",
        "South West",
        aliases=("Devon & Cornwall", "Devon and Cornwall Police", "Devon & Cornwall Police"),
    ),
    _A(
        "E23000036",
        "Avon and Somerset",
        "avon-and-somerset",
        "England",
        "South West",
        aliases=("Avon & Somerset", "Avon and Somerset Constabulary", "Avon & Somerset Constabulary"),
    ),
    _A(
        "E23000037",
        "Gloucestershire",
        "gloucestershire",
        "England",
        "South West",
        aliases=("Gloucestershire Constabulary",),
    ),
    _A("E23000038", "Wiltshire", "wiltshire", "England", "South West", aliases=("Wiltshire Police",)),
    _A("E23000039", "Dorset", "dorset", "England", "South West", aliases=("Dorset Police",)),
    _A("W15000001", "North Wales", "north-wales", "Wales", "Wales", aliases=("North Wales Police",)),
    _A("W15000002", "Gwent", "gwent", "Wales", "Wales", aliases=("Gwent Police",)),
    _A("W15000003", "South Wales", "south-wales", "Wales", "Wales", aliases=("South Wales Police",)),
    _A(
        "W15000004",
        "Dyfed-Powys",
        "dyfed-powys",
        "Wales",
        "Wales",
        aliases=("Dyfed Powys", "Dyfed-Powys Police", "Dyfed Powys Police"),
    ),
    _A(
        BTP_CODE,
        "British Transport Police",
        "british-transport-police",
        "England and Wales",
        "National",
        territorial=False,
        small_population=True,
        aliases=("BTP", "British Transport"),
    ),
    _A(
        ENGLAND_AND_WALES_CODE,
        "England and Wales",
        "england-and-wales",
        "England and Wales",
        "National",
        territorial=False,
        aliases=(
            "England & Wales",
            "E&W",
            "All",
            "All forces",
            "England and Wales total",
            "Total",
            "ENGLAND AND WALES",
        ),
    ),
)


def _normalise(text: str) -> str:
    text = str(text).strip().lower().replace("&", "and")
    text = re.sub(r"[\s\-_,.'()]+", " ", text).strip()
    return text


@lru_cache(maxsize=1)
def _index() -> dict[str, Area]:
    index: dict[str, Area] = {}
    for area in _AREAS:
        for key in (area.code, area.name, area.slug, *area.aliases):
            norm = _normalise(key)
            if norm in index and index[norm] is not area:
                raise RuntimeError(f"alias {key!r} is ambiguous")  # pragma: no cover
            index[norm] = area
    return index


def all_areas(*, territorial_only: bool = True, include_national: bool = False) -> list[Area]:
    """The areas, in ONS code order: the 43 territorial areas by default."""
    out = [a for a in _AREAS if a.territorial or (not territorial_only and a.code == BTP_CODE)]
    if include_national:
        out.append(get(ENGLAND_AND_WALES_CODE))
    return out


def resolve(name: str) -> Area:
    """Return the :class:`Area` for a code, slug, name or alias; raise with the closest matches."""
    if name is None or (isinstance(name, float) and name != name):
        raise UnknownAreaError(
            "Police force area is missing (empty value); expected a force name or ONS code"
        )
    area = _index().get(_normalise(name))
    if area is not None:
        return area
    # Source names often add "Police", "Constabulary" or "Police Service".
    stripped = re.sub(r"\b(police service|constabulary|police|force)\b", "", _normalise(name)).strip()
    area = _index().get(re.sub(r"\s+", " ", stripped))
    if area is not None:
        return area
    choices = sorted({a.name for a in _AREAS} | {a.slug for a in _AREAS})
    close = difflib.get_close_matches(str(name), choices, n=4, cutoff=0.5)
    hint = f" Closest matches: {', '.join(close)}." if close else ""
    raise UnknownAreaError(
        f"Unknown police force area {name!r}: expected one of the 43 force areas of England and "
        f"Wales (name, ONS code such as E23000001, or slug such as south-wales).{hint}"
    )


def get(code: str) -> Area:
    """The area with exactly this ONS code (or BTP)."""
    for area in _AREAS:
        if area.code == code:
            return area
    raise UnknownAreaError(f"No police force area has the code {code!r}")


def areas_frame(*, include_national: bool = False, include_btp: bool = False) -> pd.DataFrame:
    """The areas as a tidy frame: area_code, area_name, slug, country, region, territorial, small_population."""
    rows = [a for a in _AREAS if a.territorial]
    if include_btp:
        rows.append(get(BTP_CODE))
    if include_national:
        rows.append(get(ENGLAND_AND_WALES_CODE))
    return pd.DataFrame(
        {
            "area_code": [a.code for a in rows],
            "area_name": [a.name for a in rows],
            "slug": [a.slug for a in rows],
            "country": [a.country for a in rows],
            "region": [a.region for a in rows],
            "territorial": [a.territorial for a in rows],
            "small_population": [a.small_population for a in rows],
        }
    )


def is_area_name(name: str) -> bool:
    """True if ``name`` resolves to an area (for telling areas from region subtotal rows)."""
    try:
        resolve(name)
    except UnknownAreaError:
        return False
    return True
