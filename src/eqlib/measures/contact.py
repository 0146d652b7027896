"""Deaths during or following police contact (IOPC) and hate crime by strand (Metropolitan Police)."""

from __future__ import annotations

from eqlib import areas
from eqlib.measures._base import (
    _count_figures,
    _load,
    log,
)
from eqlib.measures.model import Measure
from eqlib.metrics.disclosure import mark_published
from eqlib.sources.hate_crime import financial_year_totals


# --------------------------------------------------------------------------- other
def _deaths(root):
    deaths = _load("iopc_deaths", root)
    deaths = deaths.loc[deaths["measure"] == "fatalities"]  # people who died, not incidents
    frame = _count_figures(
        deaths,
        measure="deaths_following_contact",
        method="IOPC deaths during or following police contact (count)",
    )
    if frame.empty:
        return frame

    # the IOPC publishes the national deaths by category: not suppressed (suppression protects local counts)
    return mark_published(frame, (frame["area_code"] == areas.ENGLAND_AND_WALES_CODE).to_numpy())


def _hate_crime(root):

    met = areas.resolve("metropolitan")
    data = _load("hate_crime_mps", root)
    # the file also carries domestic abuse categories (not hate crime strands): hate crime strands only
    non_hate = sorted(set(data.loc[~data["hate_strand"].astype(bool), "strand"]))
    if non_hate:
        log.info(
            "hate_crime_by_strand: categories that are not hate crime strands left out: %s",
            ", ".join(non_hate),
        )
    totals = financial_year_totals(data.loc[data["hate_strand"].astype(bool)])
    # strands overlap (one offence can carry several flags): never added together
    totals = totals.assign(area_code=met.code, area_name=met.name, group=totals["strand"], symbol="")
    # caveat: hate_strands_overlap (the catalogue entry's, added by eqlib.measures.compute)
    return _count_figures(
        totals, measure="hate_crime_by_strand", method="Metropolitan Police hate crime dashboard data (count)"
    )


MEASURES: tuple[Measure, ...] = (
    Measure(
        "deaths_following_contact",
        "Deaths during or following police contact",
        "count",
        ("iopc_deaths",),
        compute=_deaths,
        source="IOPC, Deaths during or following police contact",
        section="03_services",
        cell="deaths",
    ),
    Measure(
        "hate_crime_by_strand",
        "Hate crime recorded, by strand",
        "count",
        ("hate_crime_mps", "local:hate_crime"),
        compute=_hate_crime,
        source="Metropolitan Police Service hate crime dashboard data",
        section="01_communities",
        cell="hate_crime",
        local_template="hate_crime",
        caveats=("hate_strands_overlap",),
    ),
)
