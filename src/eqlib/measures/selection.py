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
    ranks = rows["source_rank"] if "source_rank" in rows.columns else pd.Series(0, index=rows.index)
    has_value = rows["value"].notna() if "value" in rows.columns else pd.Series(True, index=rows.index)
    candidates = pd.DataFrame(
        {"period": rows["period"].astype(str), "rank": ranks.fillna(9).astype(int), "value": has_value}
    )
    usable = candidates.groupby(["period", "rank"])["value"].any().reset_index()
    usable = usable.loc[usable["value"]] if usable["value"].any() else usable
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
    keep = (candidates["period"] == chosen["period"]) & (candidates["rank"] == chosen["rank"])
    return Selection(
        measure, rows.loc[keep.to_numpy()].reset_index(drop=True), str(chosen["period"]), period.label, status
    )


def _snapshot_within(label: str, period: periods.Period) -> bool:
    """True for an "as at" date inside ``period`` (not a span: a calendar year never stands for a financial year)."""
    try:
        parsed = periods.parse(label)
    except periods.PeriodError:
        return False
    return parsed.kind == "as_at" and pd.Timestamp(period.start) <= pd.Timestamp(parsed.end) <= pd.Timestamp(period.end)


def suppress(frame: pd.DataFrame, *, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Primary and secondary small-number suppression (see :func:`eqlib.metrics.suppress_figures`)."""
    if frame.empty:
        return frame
    published, _audit = metrics.suppress_figures(frame, threshold=threshold)
    return hide_suppressed_ratios(published)


