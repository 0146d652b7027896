"""Criminal justice measures: prosecutions and convictions by ethnicity (Ethnicity facts and figures, MoJ)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from eqlib import metrics
from eqlib.measures._base import (
    _count_figures,
    _load,
    _with_caveat,
    log,
)
from eqlib.measures.model import Measure


# --------------------------------------------------------------------------- courts
def _cjs_all(root) -> pd.DataFrame:
    cjs = _load("cjs_prosecutions_convictions", root)
    return cjs.loc[(cjs["sex"] == "All") & (cjs["age_group"] == "All") & (cjs["offence_group"] == "All")]


def _conviction_ratio(root):
    cjs = _cjs_all(root)
    events = cjs[["area_code", "area_name", "period", "group", "count", "denominator", "symbol"]]
    events = events.loc[
        events["group"].isin(["Asian", "Black", "Mixed", "White", "Other"])
        & events["count"].notna()
        & events["denominator"].notna()
    ]
    # A conviction in a year can follow a prosecution begun in an earlier year, so in small cells
    # convictions can exceed prosecutions: no proportion exists there. Those rows are published as
    # [u] with the reason, never dropped.
    over = events["count"] > events["denominator"]
    if over.any():
        log.info(
            "conviction_ratio: %d area-year-group cells with more convictions than prosecutions shown as [u]",
            int(over.sum()),
        )
    ratios = metrics.proportions(events.loc[~over], measure="conviction_ratio", compare=True)
    odd = _count_figures(
        events.loc[over].assign(symbol="[u]"),
        measure="conviction_ratio",
        method="convictions exceed prosecutions in this cell: no ratio",
    )
    odd["value"] = np.nan
    odd = _with_caveat(odd, "missing_denominator")
    return pd.concat([ratios, odd], ignore_index=True)


def _rri_prosecution(root):
    cjs = _cjs_all(root)
    cjs = cjs.loc[
        cjs["group"].isin(["Asian", "Black", "Mixed", "White", "Other"])
        & cjs["count"].notna()
        & cjs["denominator"].notna()
    ]
    prosecutions = cjs.drop(columns=["count"]).rename(columns={"denominator": "count"})
    convictions = cjs.drop(columns=["denominator"])
    keep = ["area_code", "area_name", "period", "group", "count"]
    return metrics.relative_rate_index(
        [prosecutions[keep], convictions[keep]],
        stage_names=["prosecution", "conviction"],
        measure="rri_prosecution_conviction",
    )


CJS_SOURCE = "GOV.UK Ethnicity facts and figures (Ministry of Justice)"

MEASURES: tuple[Measure, ...] = (
    Measure(
        "conviction_ratio",
        "Conviction ratio (convictions per prosecution), by ethnic group",
        "%",
        ("cjs_prosecutions_convictions",),
        compute=_conviction_ratio,
        source=CJS_SOURCE,
        section="03_services",
        cell="courts",
    ),
    Measure(
        "rri_prosecution_conviction",
        "Relative rate index: prosecution to conviction",
        "index",
        ("cjs_prosecutions_convictions",),
        compute=_rri_prosecution,
        source=CJS_SOURCE,
        section="03_services",
        cell="courts",
    ),
)
