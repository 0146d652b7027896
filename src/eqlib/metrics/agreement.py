"""Self-defined vs officer-defined ethnicity: the cross-table and the share of records where they disagree.

police.uk stop and search records carry both the person's self-defined ethnicity (16+1 / 18+1
categories, mapped to the broad groups) and the officer's perception (White, Black, Asian, Other,
Mixed where recorded). The Home Office publishes rates on self-defined ethnicity.

    disagreement_g = 100 x records with self-defined group g whose officer-defined group is not g
                     / records with self-defined group g and both ethnicities stated

Records with either ethnicity not stated are left out of the share (and counted in the cross-table).
Officer-defined ethnicity has no Mixed category in most police.uk data, so most people who describe
themselves as Mixed are recorded under another group: read the Mixed row with that in mind.
Interval: Wilson (``statsmodels.stats.proportion.proportion_confint(method="wilson")``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from eqlib.metrics import caveats as cv
from eqlib.metrics._frame import check_non_negative, finalise, require_columns, with_area_names
from eqlib.metrics._inputs import NOT_STATED
from eqlib.metrics.rates import share_with_wilson

METHOD = "share of records whose officer-defined group differs; Wilson score (statsmodels proportion_confint wilson)"


def cross_table(
    records: pd.DataFrame,
    *,
    self_column: str = "self_group",
    officer_column: str = "officer_group",
    count: str = "count",
) -> pd.DataFrame:
    """Tidy cross-table: area_code, area_name, period, self_group, officer_group, count.

    ``records`` is record-level (one row per search; no ``count`` column) or already counted.
    Pivot with ``frame.pivot_table(index="self_group", columns="officer_group", values="count")``.
    """
    require_columns(records, ("area_code", "period", self_column, officer_column), name="records")
    frame = records.copy()
    if count not in frame.columns:
        frame[count] = 1.0
    check_non_negative(frame, count, name="records")
    for column in (self_column, officer_column):
        frame[column] = frame[column].fillna(NOT_STATED).replace("", NOT_STATED).astype(str)
    frame = with_area_names(frame)
    out = (
        frame.groupby(["area_code", "area_name", "period", self_column, officer_column], sort=True)[count]
        .sum()
        .reset_index()
    )
    return out.rename(columns={self_column: "self_group", officer_column: "officer_group", count: "count"})


def disagreement(
    records: pd.DataFrame,
    *,
    self_column: str = "self_group",
    officer_column: str = "officer_group",
    measure: str = "stop_search_ethnicity_agreement",
    alpha: float = 0.05,
    small_count: int = cv.SMALL_COUNT,
) -> pd.DataFrame:
    """Share (%) of records, by self-defined group, whose officer-defined group differs.

    Also a row for group ``All`` (every record with both stated). Returns :data:`FIGURE_COLUMNS`:
    count = records that disagree, denominator = records with both stated. Flags police.uk data
    (``police_uk_not_official``) when the input has a ``dataset`` column naming it.
    """
    table = cross_table(records, self_column=self_column, officer_column=officer_column)
    stated = table.loc[(table["self_group"] != NOT_STATED) & (table["officer_group"] != NOT_STATED)].copy()
    stated["differs"] = np.where(stated["self_group"] != stated["officer_group"], stated["count"], 0.0)
    keys = ["area_code", "area_name", "period"]
    sums = stated[[*keys, "self_group", "differs", "count"]].rename(
        columns={"count": "denominator", "differs": "count"}
    )
    by_group = (
        sums.groupby([*keys, "self_group"], sort=True)[["count", "denominator"]]
        .sum()
        .reset_index()
        .rename(columns={"self_group": "group"})
    )
    overall = sums.groupby(keys, sort=True)[["count", "denominator"]].sum().reset_index()
    overall["group"] = "All"
    frame = pd.concat([by_group, overall], ignore_index=True)
    frame["symbol"] = ""
    frame, _ = share_with_wilson(frame, alpha=alpha)
    frame["p_value"] = np.nan
    frame["measure"] = measure
    frame["reference_group"] = ""
    frame["method"] = METHOD
    flags = None
    if "dataset" in records.columns:
        flags = records.assign(
            police_uk=records["dataset"].astype(str).str.startswith("stop_search_policeuk")
        )
        flags = flags.groupby(["area_code", "period"])["police_uk"].any().reset_index()
        flags["period"] = flags["period"].astype(str)
    frame = cv.standard(
        frame.assign(count=frame["denominator"]), small_count=small_count, flags=flags
    ).assign(count=frame["count"])
    # officer-defined ethnicity has no Mixed category: a self-defined Mixed person always "disagrees"
    structural = frame["group"].isin(["Mixed", "All"]).to_numpy()
    frame = cv.add(frame, structural, "mixed_officer_defined_structural")
    return finalise(frame)
