"""Arrest measures: Home Office arrests by force and self-defined ethnicity (tables A_04, A_08)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from eqlib import areas, metrics, periods
from eqlib.measures._base import (
    _census_year,
    _load,
    _with_caveat,
)
from eqlib.measures.model import Measure
from eqlib.measures.stop_search import _stop_search_rri
from eqlib.sources.population import population_2001_classification


# --------------------------------------------------------------------------- arrests
@lru_cache(maxsize=2)
def _arrest_counts(root_key: str) -> pd.DataFrame:
    root = Path(root_key) if root_key else None
    arrests = _load("arrests_ho", root)
    return arrests.loc[arrests["table"] == "A_08"].reset_index(drop=True)


def arrest_population(counts: pd.DataFrame, root: Path | None = None) -> pd.DataFrame:
    """Denominators that match the Home Office arrest tables (A_04, A_08).

    - 2001 classification: the tables' "Asian (or Asian British)" excludes Chinese and "Chinese or Other"
      includes it, so the census category Chinese is moved from Asian to Other
      (:func:`eqlib.sources.population.chinese_as_other`);
    - national counts exclude the forces that did not supply data (Lancashire in 2017/18 and 2018/19: its
      A_08 counts are ``..``), so the England and Wales population of each period is the sum of the forces
      whose counts that period are all present.

    Census 2021 from April 2021, Census 2011 before (as the Home Office does). Returns area_code,
    area_name, group, population, census (year), period, and ``excluded`` (names of the forces left out of
    the national population, '' for a force row)."""

    territorial = {a.code: a for a in areas.all_areas()}
    frames = []
    for label in sorted(set(counts["period"])):
        pop = population_2001_classification(periods.parse(label), root=root)
        pop = pop.loc[pop["area_code"] != areas.ENGLAND_AND_WALES_CODE].copy()
        rows = counts.loc[(counts["period"] == label) & counts["area_code"].isin(territorial)]
        missing = rows.loc[rows["count"].isna(), "area_code"].unique()
        supplied = set(rows["area_code"]) - set(missing)
        national = (
            pop.loc[pop["area_code"].isin(supplied)]
            .groupby(["group", "census"], as_index=False, sort=False)["population"]
            .sum()
        )
        excluded = sorted(territorial[c].name for c in set(territorial) - supplied)
        national = national.assign(
            area_code=areas.ENGLAND_AND_WALES_CODE,
            area_name="England and Wales" + (f" excluding {', '.join(excluded)}" if excluded else ""),
            excluded=", ".join(excluded),
        )
        pop = pd.concat(
            [pop.assign(excluded=""), national[pop.columns.tolist() + ["excluded"]]], ignore_index=True
        )
        pop["period"] = label
        pop["census"] = pop["census"].map(_census_year)
        frames.append(pop)
    return pd.concat(frames, ignore_index=True)


def _arrest_inputs(root):
    counts = _arrest_counts(str(root or ""))
    pop = arrest_population(counts, root)
    return counts, pop


def _arrest_caveats(frame: pd.DataFrame, pop: pd.DataFrame) -> pd.DataFrame:
    out = _with_caveat(frame, "arrest_classification_2001")
    excluded = set(
        pop.loc[(pop["area_code"] == areas.ENGLAND_AND_WALES_CODE) & (pop["excluded"] != ""), "period"]
    )
    mask = (out["area_code"] == areas.ENGLAND_AND_WALES_CODE) & out["period"].isin(excluded)
    return _with_caveat(out, "forces_excluded_national", mask.to_numpy())


def _arrest_rate(root):
    counts, pop = _arrest_inputs(root)
    return _arrest_caveats(metrics.rates(counts, pop, measure="arrest_rate"), pop)


def _arrest_disparity(root):
    counts, pop = _arrest_inputs(root)
    return _arrest_caveats(metrics.disparity(counts, pop, measure="arrest_disparity"), pop)


def _arrest_benchmark(root):
    counts, pop = _arrest_inputs(root)
    counts = counts.loc[counts["area_code"] != areas.ENGLAND_AND_WALES_CODE]
    rates = metrics.rates(counts, pop, measure="arrest_rate", include_all=False)
    ratios = metrics.disparity(counts, pop, measure="arrest_disparity")
    ratios = ratios.loc[ratios["group"] == "Black"]
    return metrics.funnel_limits(
        metrics.ratio_funnel_inputs(ratios, rates),
        kind="ratio",
        overdispersion=True,
        measure="arrest_benchmark",
    )


ARREST_SOURCE = "Home Office, Police powers and procedures: arrests; ONS Census 2011"

MEASURES: tuple[Measure, ...] = (
    Measure(
        "arrest_rate",
        "Arrests per 1,000 people, by ethnic group",
        "per 1,000",
        ("arrests_ho", "population_census2011"),
        compute=_arrest_rate,
        source="Home Office, Police powers and procedures: arrests (table A_08); ONS Census 2011",
        section="02_leadership",
        cell="powers",
    ),
    Measure(
        "arrest_disparity",
        "Arrest disparity ratio to White",
        "ratio",
        ("arrests_ho",),
        compute=_arrest_disparity,
        source=ARREST_SOURCE,
        section="02_leadership",
        cell="powers",
        headline="Arrest",
    ),
    Measure(
        "rri_stop_arrest",
        "Relative rate index: population to stop and search to arrest",
        "index",
        ("stop_search_policeuk",),
        compute=_stop_search_rri,
        source="police.uk stop and search records; ONS Census",
        section="02_leadership",
        cell="powers",
    ),
    Measure(
        "arrest_benchmark",
        "Arrest disparity compared with all force areas (funnel plot)",
        "ratio",
        ("arrests_ho",),
        compute=_arrest_benchmark,
        source=ARREST_SOURCE,
        section="02_leadership",
        cell="arrest_benchmark",
        chart="funnel",
        headline="Black/White arrest disparity ratio",
    ),
)
