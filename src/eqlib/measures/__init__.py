"""The measures eqlib computes: one catalogue (:mod:`eqlib.measures.catalogue`) and their computation.

Each measure is declared once, as a :class:`Measure` entry beside the function that computes it (stable id,
title, unit, datasets, compute function, source, home section and cell, chart kind, headline label, local
template, caveats; its framework criteria come from ``framework/evidence_map.yml`` through the entry).
Analysis, the report sections, the tables, the explore helpers, the evidence map and the notebooks read it.

A measure is *available* for an area and year when those datasets have data for it (see
:func:`eqlib.datacheck`); the framework lists criteria whose measures are unavailable as evidence gaps.

Which data serve which measure:

=================================  ================================================================
measure                            source and method
=================================  ================================================================
stop_search_* (rates, ratios,      police.uk records (Dyfed-Powys, Gwent, North Wales, South Wales
outcomes, agreement, RRI, trend)   2019/20-2021/22; City of London 2018/19-2019/20; Metropolitan
                                   calendar year 2018), self-defined ethnicity, vehicle-only searches
                                   excluded; Census 2021 populations from April 2021, Census 2011
                                   before. Financial years with at least 11 of 12 months are used
                                   (flagged partial); a complete calendar year where no financial
                                   year is complete.
stop_search_rate, _disparity,      Home Office stop and search open data by force and self-defined
_trend, _benchmark (official)      ethnicity, 2020/21-2024/25, all 43 areas and England and Wales (sum);
                                   EFF 2022/23 published rates; EFF national 2006/07-2019/20. Trend:
                                   quasi-Poisson, Census 2021 for every year. Which source a report
                                   shows: :func:`eqlib.measures.selection.select` (official first;
                                   police.uk only where the official tables lack the measure or year).
stop_search_benchmark              also EFF 2022/23 published rates by force x Census 2021 populations
                                   (derived counts, flagged), funnel of the Black/White ratio.
arrest_*                           Home Office arrests by force and self-defined ethnicity
                                   (2017/18, 2018/19), Census 2011 populations; arrest_benchmark is
                                   the funnel of the Black/White ratio across forces.
use_of_force_*, taser              Home Office use of force Table 16 (2018/19, 2019/20), tactic uses
                                   by officer-perceived ethnicity, Census 2011 populations (tactic
                                   uses: not people or incidents); use_of_force_incidents: Table 12
                                   incidents by force 2017/18-2019/20 (no ethnicity).
chief_officer_representation       Home Office workforce open data: chief officers as at 31 March.
conviction_ratio, rri_prosecution  EFF (MoJ) prosecutions and convictions by force, 2009-2017.
workforce_totals, deaths, hate     Home Office workforce; IOPC; Metropolitan Police hate crime.
workforce_women_representation     Home Office workforce open data table (sex x rank), 31 March 2007-2023.
local measures                     the analyst's own files (:mod:`eqlib.measures.local`).
=================================  ================================================================
"""

from __future__ import annotations

from eqlib.measures.catalogue import (
    MEASURES,
    get_measure,
    measure_ids,
    national_ids,
    section_measures,
)
from eqlib.measures.model import COMPANIONS, Measure

__all__ = [
    "COMPANIONS",
    "MEASURES",
    "Measure",
    "get_measure",
    "measure_ids",
    "national_ids",
    "section_measures",
]
