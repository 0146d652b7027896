"""pandera schemas for the tidy frames every loader returns.

The common shape (``COUNTS``): one row per area, period, group and any further
dimension, with

- ``dataset``: the eqlib dataset id (e.g. ``stop_search_policeuk``);
- ``area_code``: ONS code (E23..., W15..., K04000001 for England and Wales, BTP);
- ``area_name``: display name;
- ``period``: label (``2021-22``, ``2021``, ``2021-04``, ``2019-03-31``);
- ``period_start``, ``period_end``: dates (inclusive);
- ``group``: broad ethnic group or, for other characteristics, the category;
- ``source_label``: the label exactly as the source gives it;
- ``count``: float, missing only with a GSS ``symbol`` giving the reason;
- ``symbol``: ``[c]``, ``[x]``, ``[z]``, ``[u]`` or empty;
- ``denominator``: optional, the base the count is over (population, total).

Extra dimension columns (legislation, outcome, tactic, sex, rank ...) are allowed.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

GSS_SYMBOLS = ("[c]", "[x]", "[z]", "[u]")

COUNT_COLUMNS = (
    "dataset",
    "area_code",
    "area_name",
    "period",
    "period_start",
    "period_end",
    "group",
    "source_label",
    "count",
    "symbol",
)

COUNTS = pa.DataFrameSchema(
    {
        "dataset": pa.Column(str),
        "area_code": pa.Column(str, pa.Check.str_matches(r"^(E23\d{6}|W15\d{6}|K04000001|BTP)$")),
        "area_name": pa.Column(str),
        "period": pa.Column(str),
        "period_start": pa.Column("datetime64[ns]"),
        "period_end": pa.Column("datetime64[ns]"),
        "group": pa.Column(str),
        "source_label": pa.Column(str, nullable=True),
        "count": pa.Column(float, pa.Check.ge(0), nullable=True),
        "symbol": pa.Column(str, pa.Check.isin(("", *GSS_SYMBOLS)), nullable=False),
        "denominator": pa.Column(float, pa.Check.ge(0), nullable=True, required=False),
    },
    checks=[
        pa.Check(
            lambda df: (df["period_end"] >= df["period_start"]).all(), error="period_end before period_start"
        ),
        pa.Check(
            lambda df: (df["count"].notna() | (df["symbol"] != "")).all(),
            error="a missing count must carry a GSS symbol giving the reason",
        ),
    ],
    strict=False,
    coerce=True,
)


def validate_counts(frame: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Validate a tidy count frame, naming the source in the error."""
    try:
        return COUNTS.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.head(10).to_string()
        raise ValueError(f"{source}: the tidy frame fails its schema:\n{cases}") from None
