"""Counts already published nationally are not suppressed; small local counts still are."""

from __future__ import annotations

import numpy as np
import pandas as pd

from eqlib import analysis, metrics
from eqlib.metrics.disclosure import mark_published, published_nationally


def _frame():
    return pd.DataFrame(
        {
            "area_code": ["K04000001", "E23000032"],
            "area_name": ["England and Wales", "Kent"],
            "period": "2019-20",
            "measure": "deaths_following_contact",
            "group": "Fatal shooting",
            "reference_group": "",
            "count": [3.0, 2.0],
            "denominator": np.nan,
            "value": [3.0, 2.0],
            "ci_low": np.nan,
            "ci_high": np.nan,
            "p_value": np.nan,
            "method": "count",
            "symbol": "",
            "caveats": [(), ()],
        }
    )


def test_marked_rows_are_not_suppressed_others_are():
    marked = mark_published(_frame(), np.array([True, False]))
    assert published_nationally(marked).tolist() == [True, False]
    out, audit = metrics.suppress_figures(marked, threshold=5)
    assert out.loc[0, "value"] == 3 and out.loc[0, "symbol"] == ""
    assert np.isnan(out.loc[1, "value"]) and out.loc[1, "symbol"] == "[c]"
    assert list(audit["area_code"]) == ["E23000032"]
    unmarked, _ = metrics.suppress_figures(_frame(), threshold=5)
    assert (unmarked["symbol"] == "[c]").all()  # without the mark both are small counts


def test_iopc_national_deaths_by_category_published_local_suppressed():
    national = analysis.figures_for("deaths_following_contact", "england-and-wales", "2019-20").frame
    shooting = national[national["group"] == "Fatal shooting"].iloc[0]
    assert shooting["value"] == 3 and shooting["symbol"] == ""  # IOPC national figure, 2019/20
    frame = analysis.compute_measure("deaths_following_contact")
    local = frame[(frame["area_code"] != "K04000001") & (frame["count"] > 0) & (frame["count"] < 5)]
    assert len(local)
    assert not published_nationally(local).any()
    row = local.iloc[0]
    published = analysis.figures_for("deaths_following_contact", row["area_code"], row["period"]).frame
    assert published.loc[published["group"] == row["group"], "symbol"].iloc[0] == "[c]"
