"""Workforce measures: Home Office police workforce tables and open data (ethnicity, sex, totals)."""

from __future__ import annotations

import pandas as pd

from eqlib import areas, metrics, periods
from eqlib.measures._base import (
    _count_figures,
    _empty,
    _load,
    _with_caveat,
)
from eqlib.measures.model import Measure
from eqlib.metrics.sex_representation import women_representation
from eqlib.sources._common import latest_edition
from eqlib.sources.population import population_for
from eqlib.sources.workforce_open_data import totals_by_worker_type


# --------------------------------------------------------------------------- workforce
def _chief_officers(root):
    chiefs = _load("workforce_chief_officers", root)
    by_group = chiefs.groupby(["area_code", "area_name", "period", "group"], as_index=False).agg(
        count=("count", "sum")
    )
    by_group = by_group.loc[by_group["area_code"].isin([a.code for a in areas.all_areas()])]

    frames = []
    for label, part in by_group.groupby("period"):
        census = "Census 2021" if str(label) >= "2021-03-21" else "Census 2011"
        pop = population_for(periods.parse(str(label)), census=census, root=root)
        frames.append(
            metrics.representation(
                part,
                pop,
                measure="chief_officer_representation",
                population_base=f"{census} usual residents (all ages)",
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else _empty()


def _workforce_totals(root):
    """Workforce by area, date and worker type: ``workforce_totals`` (FTE: officers, staff, designated
    officers, PCSOs) and ``workforce_totals_headcount`` (headcount, also special constables and police
    support volunteers, who are counted by headcount only). Sources: the September workforce tables (as at
    30 September and 31 March 2014-2019) and the workforce open data table (31 March 2007-2023); where
    both give an area, date, worker type and unit, the newest edition wins (the Home Office revises)."""

    old = _load("workforce_totals_ho", root)
    old = old[["area_code", "area_name", "period", "worker_type", "unit", "count", "symbol", "release"]]
    old = old.assign(source="Home Office police workforce tables (September release)")
    new = totals_by_worker_type(_load("workforce_open_data_ho", root))
    new = new.assign(source="Home Office police workforce open data table (July 2023)", symbol="")
    keep = ["area_code", "area_name", "period", "worker_type", "release", "source", "symbol"]
    fte = new.loc[new["fte"].notna(), keep + ["fte"]].rename(columns={"fte": "count"}).assign(unit="FTE")
    heads = new[keep + ["headcount"]].rename(columns={"headcount": "count"}).assign(unit="headcount")
    both = pd.concat([old, fte, heads], ignore_index=True)
    both = latest_edition(
        both,
        key=["area_code", "period", "worker_type", "unit"],
        edition="release",
        dataset="workforce_totals",
        reason="figures a later edition revises",
    )
    both["group"] = both["worker_type"]
    frames = []
    for unit, measure, words in (
        ("FTE", "workforce_totals", "full-time equivalent"),
        ("headcount", "workforce_totals_headcount", "headcount"),
    ):
        part = both.loc[both["unit"] == unit]
        for source, rows in part.groupby("source", sort=True):
            frames.append(_count_figures(rows, measure=measure, method=f"{source}, {words}"))
    return pd.concat(frames, ignore_index=True) if frames else _empty()


def _women_groups(od: pd.DataFrame) -> pd.DataFrame:
    """Headcount by area, date, sex and workforce group (officers by rank and all ranks; staff, PCSOs,
    special constables, designated officers, police support volunteers), with the 43 forces summed as
    England and Wales."""
    keys = ["area_code", "area_name", "period", "sex"]
    officers = od.loc[od["worker_type"] == "Police officers"]
    by_rank = officers.assign(group="Police officers: " + officers["rank"].str.lower())
    all_ranks = officers.assign(group="Police officers: all ranks")
    others = od.loc[od["worker_type"] != "Police officers"]
    others = others.assign(group=others["worker_type"])
    parts = pd.concat([by_rank, all_ranks, others], ignore_index=True)
    counts = parts.groupby([*keys, "group"], as_index=False, sort=True)["count"].sum()
    territorial = {a.code for a in areas.all_areas()}
    national = (
        counts.loc[counts["area_code"].isin(territorial)]
        .groupby(["period", "sex", "group"], as_index=False, sort=True)["count"]
        .sum()
        .assign(area_code=areas.ENGLAND_AND_WALES_CODE, area_name="England and Wales")
    )
    return pd.concat([counts, national[counts.columns]], ignore_index=True)


def _women_representation(root):
    """Measure ``workforce_women_representation``: women's share of each workforce group by area (43
    forces, England and Wales = the 43 summed, BTP) as at 31 March 2007-2023, from the Home Office workforce
    open data table (headcount), via :func:`eqlib.metrics.sex_representation.women_representation`.

    Frame (:data:`eqlib.metrics.FIGURE_COLUMNS`), one row per area_code, period (``2023-03-31``), measure
    and group:

    - ``group``: "Police officers: constable", "... sergeant", "... inspector", "... chief inspector",
      "... superintendent", "... chief superintendent", "... chief officer", "Police officers: all ranks",
      "Police staff", "PCSOs", "Special constables", "Designated officers", "Police support volunteers";
    - ``workforce_women_representation``: value = women as % of those recorded female or male, Wilson 95%
      interval (ci_low, ci_high), count = women, denominator = women + men;
    - ``workforce_women_representation_ratio`` and ``..._population_share``: against the area's population
      share of women (Census 2021 from 31 March 2021, else 2011). No census file with sex ships with eqlib,
      so these are NaN with ``[x]`` and the caveat ``population_by_sex_unavailable``;
    - ``workforce_women_representation_not_recorded_share``: % of the headcount whose sex is not stated,
      prefer not to say or prefer to self-describe (from 2021), count and denominator as for a share.

    As at 31 March 2021 rows carry ``sex_recording_2021`` (note F of the table)."""

    counts = _women_groups(_load("workforce_open_data_ho", root))
    frame = women_representation(counts, None, measure="workforce_women_representation")
    return _with_caveat(frame, "sex_recording_2021", (frame["period"] == "2021-03-31").to_numpy())


MEASURES: tuple[Measure, ...] = (
    Measure(
        "workforce_totals",
        "Police workforce by force (officers, staff, PCSOs, specials)",
        "count",
        ("workforce_totals_ho", "workforce_open_data_ho"),
        compute=_workforce_totals,
        source="Home Office, Police workforce, England and Wales; workforce open data table (31 March 2007-2023)",
        section="04_workforce",
        cell="workforce_totals",
    ),
    Measure(
        "workforce_women_representation",
        "Women in the police workforce, by rank and worker type",
        "%",
        ("workforce_open_data_ho",),
        "Women's share of officers by rank, staff, PCSOs and special constables (headcount, Wilson "
        "interval); the population comparison is not available (no census by sex ships).",
        compute=_women_representation,
        source="Home Office, Police workforce open data table (31 March 2007-2023)",
        section="04_workforce",
        cell="workforce_women",
    ),
    Measure(
        "chief_officer_representation",
        "Chief officers by ethnicity against the local population",
        "ratio",
        ("workforce_chief_officers",),
        compute=_chief_officers,
        source="Home Office police workforce open data; ONS Census",
        section="04_workforce",
        cell="chief_officers",
    ),
)
