"""Equality metrics on tidy frames: DataFrame in, DataFrame out, vectorised over areas, periods and groups.

Every function returns the figure shape :data:`FIGURE_COLUMNS` (see :mod:`eqlib.metrics._frame`):
area_code, area_name, period, measure, group, reference_group, count, denominator, value, ci_low,
ci_high, p_value, method, symbol, caveats.

==========================  =====================================================================
function                    measure
==========================  =====================================================================
rates                       rate per 1,000 with exact Poisson interval (``stop_search_rate`` ...)
not_stated_share            share of records with ethnicity not stated
disparity                   ratio of rates to a reference group, score / exact conditional interval
not_stated_bounds           the ratio if every not-stated record were in the group / the reference
proportions                 outcome shares (Wilson) and their ratio to the reference (score)
outcome_counts              events and totals from a tidy frame with an outcome column
policeuk_outcome_shares     arrest, NFA, outcome linked and s60 shares from police.uk counts
cross_table, disagreement   self- vs officer-defined ethnicity
relative_rate_index         RRI across stages (YJB Summary Disproportionality Tool)
representation              workforce share / population share, headcount gap, not-stated share
disparity_trend             Poisson GLM group x year: change in the ratio per year
funnel_limits               Spiegelhalter funnel limits (95%, 99.8%), optional overdispersion
derive_counts               per-force counts from published rates x populations (flagged derived)
suppress_figures            primary and secondary suppression of a figure frame, with an audit
suppress_table              the same for a wide table with totals
by_financial_year           monthly counts (police.uk) to financial years, flagging partial years
population_frame            a population loader's frame (detailed categories) to area x group
==========================  =====================================================================
"""

from eqlib.metrics import caveats
from eqlib.metrics._frame import FIGURE_COLUMNS, to_csv_ready
from eqlib.metrics._inputs import by_financial_year, population_frame
from eqlib.metrics.agreement import cross_table, disagreement
from eqlib.metrics.benchmark import (
    BENCHMARK_COLUMNS,
    derive_counts,
    funnel_curve,
    funnel_limits,
    ratio_funnel_inputs,
)
from eqlib.metrics.disclosure import suppress_figures, suppress_table
from eqlib.metrics.disparity import disparity, not_stated_bounds
from eqlib.metrics.proportions import outcome_counts, policeuk_outcome_shares, proportions
from eqlib.metrics.rates import not_stated_share, rates
from eqlib.metrics.representation import representation
from eqlib.metrics.rri import relative_rate_index
from eqlib.metrics.trend import disparity_trend

__all__ = [
    "BENCHMARK_COLUMNS",
    "FIGURE_COLUMNS",
    "by_financial_year",
    "caveats",
    "cross_table",
    "derive_counts",
    "disagreement",
    "disparity",
    "disparity_trend",
    "funnel_curve",
    "funnel_limits",
    "not_stated_bounds",
    "not_stated_share",
    "outcome_counts",
    "policeuk_outcome_shares",
    "population_frame",
    "proportions",
    "rates",
    "ratio_funnel_inputs",
    "relative_rate_index",
    "representation",
    "suppress_figures",
    "suppress_table",
    "to_csv_ready",
]
