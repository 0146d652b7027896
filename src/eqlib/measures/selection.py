"""Which figures a report shows: THE selection rule (:func:`select`), the one :class:`Selection` type, period
labels, and small-number suppression of a selection (:func:`suppress`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from eqlib import metrics, periods
from eqlib.metrics.characteristics import hide_suppressed_ratios

DEFAULT_THRESHOLD = 5


# --------------------------------------------------------------------------- selection
def period_end(label: str) -> pd.Timestamp:
    """The end date of a figure's period label (``2021-22``, ``2018``, ``2021-03-31``, ``2019-20 to 2021-22``)."""
    last = str(label).split(" to ")[-1]
    return pd.Timestamp(periods.parse(last).end)


@dataclass(frozen=True)
class Selection:
    """Which period a report for year Y shows, of one area's figures for a measure (:func:`select`) or of a
    dataset (:func:`eqlib.report.sections.common.select_period`), and how to say so.

    ``status``: "current" (the report year), "latest" (an earlier period, "latest available"), "none"
    (nothing for the area); a dataset can also be "later-only" (only periods after Y) or "no-loader".
    """

    measure: str  # the measure id (or the dataset id, for a dataset's period)
    frame: pd.DataFrame | None
    period: str | None
    requested: str
    status: str
    period_display: str = ""  # how the period is shown, when not from its label (e.g. "as at 31 March 2021")
    note: str = ""  # e.g. "11 of 12 months", or why there is nothing

    @property
    def dataset(self) -> str:
        return self.measure

    @property
    def available(self) -> bool:
        return self.status in ("current", "latest")

    @property
    def label(self) -> str:
        """ "2021/22", "calendar year 2018", "latest available: 2019/20" or "no data"."""
        if self.period is None or not self.available:
            return "no data"
        if self.period_display:
            shown = self.period_display
        else:
            shown = display_period(self.period)
            if periods.parse(self.period.split(" to ")[-1]).kind == "calendar_year":
                shown = f"calendar year {shown}"  # never read as a financial year
        return shown if self.status == "current" else f"latest available: {shown}"


def display_period(label: str) -> str:
    """GSS display of a period label: 2021/22, 2018, 31 March 2021."""
    parts = str(label).split(" to ")
    return " to ".join(periods.parse(p).display for p in parts)


def select(figures: pd.DataFrame, area_code: str, period: periods.Period, *, measure: str = "") -> Selection:
    """Which figure a report for ``period`` shows: THE rule (README "Which figure a report shows").

    1. Figures for exactly the requested period (a financial year's label; a trend ending in it) come
       first, and among them the official publisher's own figure (``source_rank`` 0: e.g. Ethnicity facts
       and figures' published rates), then figures computed from official counts (1: Home Office tables),
       then from counts derived from published rates (2), then police.uk records (3: labelled
       "police.uk, not official statistics"). A source whose figures for the period are all missing
       (e.g. "N/A" in the publisher's table) gives way to the next.
    2. A calendar year is never the figure of a financial year: it matches no financial-year label.
    3. Only when no source has the period: the latest period ending on or before its end, labelled
       "latest available", the best-ranked source for that period.
    """
    rows = figures.loc[figures["area_code"] == area_code]
    if rows.empty:
        return Selection(measure, rows, None, period.label, "none")
    choices = source_choices(rows)
    if choices["has_value"].any():  # a period whose every source has only missing figures is not shown
        choices = choices.loc[choices["has_value"]]
    usable = best_sources(choices)
    usable = usable.assign(
        end=usable["period"].map(period_end),
        exact=usable["period"].map(lambda label: label.split(" to ")[-1] == period.label),
    )
    if usable["exact"].any():
        chosen = usable.loc[usable["exact"]].sort_values(["rank", "period"]).iloc[0]
        status = "current"
    else:
        earlier = usable.loc[usable["end"] <= pd.Timestamp(period.end)]
        if earlier.empty:
            return Selection(measure, rows.iloc[0:0], None, period.label, "none")
        chosen = earlier.sort_values(["end", "rank", "period"], ascending=[False, True, True]).iloc[0]
        # a snapshot taken within the year (workforce "as at 31 March 2022" for 2021/22) is that year's
        # figure; any other earlier period (a calendar year included) is "latest available"
        status = "current" if _snapshot_within(str(chosen["period"]), period) else "latest"
    keep = (rows["period"].astype(str) == chosen["period"]) & (_ranks(rows) == chosen["rank"])
    return Selection(
        measure, rows.loc[keep.to_numpy()].reset_index(drop=True), str(chosen["period"]), period.label, status
    )


def _ranks(rows: pd.DataFrame) -> pd.Series:
    """Each figure's ``source_rank`` (0 where the frame has none; 9, last, where it is missing)."""
    if "source_rank" not in rows.columns:
        return pd.Series(0, index=rows.index)
    return rows["source_rank"].fillna(9).astype(int)


def source_choices(rows: pd.DataFrame) -> pd.DataFrame:
    """The sources on offer: one row per area_code, period and ``rank`` (the figures' ``source_rank``), with
    ``has_value`` (True when any of that source's figures for the period is not missing)."""
    has_value = rows["value"].notna() if "value" in rows.columns else pd.Series(True, index=rows.index)
    candidates = pd.DataFrame(
        {
            "area_code": rows["area_code"].astype(str),
            "period": rows["period"].astype(str),
            "rank": _ranks(rows),
            "has_value": has_value,
        }
    )
    return candidates.groupby(["area_code", "period", "rank"], as_index=False)["has_value"].any()


def best_sources(choices: pd.DataFrame) -> pd.DataFrame:
    """Per area and period of :func:`source_choices`, the source the rule shows: the best (lowest) rank with
    figures; where no source has any, the best rank. One row per area_code and period."""
    ordered = choices.sort_values(
        ["area_code", "period", "has_value", "rank"], ascending=[True, True, False, True]
    )
    return ordered.drop_duplicates(["area_code", "period"]).reset_index(drop=True)


def one_source(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of the source :func:`select`'s rule shows for each area and period (:func:`best_sources`), so
    that a comparison across areas or years never mixes two sources' figures."""
    if rows.empty or "source_rank" not in rows:
        return rows
    best = best_sources(source_choices(rows)).set_index(["area_code", "period"])["rank"]
    keys = pd.MultiIndex.from_arrays([rows["area_code"].astype(str), rows["period"].astype(str)])
    return rows[(_ranks(rows).to_numpy() == best.reindex(keys).to_numpy())]


def _snapshot_within(label: str, period: periods.Period) -> bool:
    """True for an "as at" date inside ``period`` (not a span: a calendar year never stands for a financial year)."""
    try:
        parsed = periods.parse(label)
    except periods.PeriodError:
        return False
    return parsed.kind == "as_at" and pd.Timestamp(period.start) <= pd.Timestamp(parsed.end) <= pd.Timestamp(
        period.end
    )


def suppress(frame: pd.DataFrame, *, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Primary and secondary small-number suppression (see :func:`eqlib.metrics.suppress_figures`)."""
    if frame.empty:
        return frame
    published, _audit = metrics.suppress_figures(frame, threshold=threshold)
    return hide_suppressed_ratios(published)
