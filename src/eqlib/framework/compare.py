"""Year on year: how the self-assessment moved between two years, and the objectives' progress."""

from __future__ import annotations

import math

import pandas as pd

from eqlib.framework.model import LEVELS, Framework, load_framework
from eqlib.framework.self_assessment import SelfAssessment

THEME_COLUMNS = [
    "theme",
    "theme_name",
    "section",
    "previous_level",
    "current_level",
    "change",
    "criteria_gained",
    "criteria_lost",
]
OBJECTIVE_COLUMNS = [
    "id",
    "statement",
    "measure",
    "previous_status",
    "current_status",
    "previous_period",
    "current_period",
    "previous_value",
    "current_value",
    "previous_progress",
    "current_progress",
    "change",
    "note",
]
_STATUS_RANK = {"off track": 0, "on track": 1, "achieved": 2}


def _rank(level: str | None) -> int:
    return LEVELS.index(level) + 1 if level else 0


def compare_self_assessments(
    previous: SelfAssessment, current: SelfAssessment, *, framework: Framework | None = None
) -> pd.DataFrame:
    """One row per theme: the level each year and ``change``.

    ``change`` is ``up`` or ``down`` (the level reached moved), ``same``, ``newly assessed`` (absent the
    previous year), ``no longer assessed`` (absent this year) or ``not assessed`` (neither year). A level of
    None (assessed, Developing not yet met) ranks below Developing. ``criteria_gained`` and
    ``criteria_lost`` list the criteria met this year but not last, and last year but not this.
    """
    framework = framework or load_framework()
    rows = []
    for t in framework.themes:
        p, c = previous.theme(t.id), current.theme(t.id)
        if p is None and c is None:
            change = "not assessed"
        elif p is None:
            change = "newly assessed"
        elif c is None:
            change = "no longer assessed"
        else:
            diff = _rank(c.level) - _rank(p.level)
            change = "up" if diff > 0 else "down" if diff < 0 else "same"
        p_crit = {x.criterion for x in p.criteria_met} if p else set()
        c_crit = {x.criterion for x in c.criteria_met} if c else set()
        key = lambda s: tuple(int(n) for n in s.split("."))  # noqa: E731
        rows.append(
            {
                "theme": t.id,
                "theme_name": t.name,
                "section": t.section,
                "previous_level": (p.level or "below Developing") if p else None,
                "current_level": (c.level or "below Developing") if c else None,
                "change": change,
                "criteria_gained": "; ".join(sorted(c_crit - p_crit, key=key)),
                "criteria_lost": "; ".join(sorted(p_crit - c_crit, key=key)),
            }
        )
    return pd.DataFrame(rows, columns=THEME_COLUMNS)


def compare_objectives(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Objectives' progress across two years, from two :func:`~eqlib.framework.objectives.objective_status`
    frames (each computed with the data known that year).

    ``change``: ``improved`` (status rank rose -- off track < on track < achieved -- or, at the same
    status, progress towards the target grew), ``worsened`` (the reverse), ``unchanged``, ``new`` (no
    objective with that id the previous year), ``dropped`` (none this year) or ``no data`` (either year
    without data). ``note`` says when the baseline or target was changed between the years.
    """
    prev = (
        previous.set_index("id")
        if not previous.empty
        else pd.DataFrame(columns=previous.columns).set_index("id")
    )
    curr = (
        current.set_index("id")
        if not current.empty
        else pd.DataFrame(columns=current.columns).set_index("id")
    )
    ids = list(curr.index) + [i for i in prev.index if i not in curr.index]
    rows = []
    for oid in ids:
        p = prev.loc[oid] if oid in prev.index else None
        c = curr.loc[oid] if oid in curr.index else None
        src = c if c is not None else p
        note = ""
        if p is None:
            change = "new"
        elif c is None:
            change = "dropped"
        elif p["status"] == "no data" or c["status"] == "no data":
            change = "no data"
        else:
            dr = _STATUS_RANK[c["status"]] - _STATUS_RANK[p["status"]]
            dp = float(c["progress"]) - float(p["progress"])
            if dr > 0 or (dr == 0 and dp > 1e-9):
                change = "improved"
            elif dr < 0 or (dr == 0 and dp < -1e-9):
                change = "worsened"
            else:
                change = "unchanged"
        if p is not None and c is not None:
            changed = [
                f
                for f in ("baseline_period", "baseline_value", "target_value", "target_date")
                if str(p[f]) != str(c[f])
            ]
            if changed:
                note = "changed between the years: " + ", ".join(f.replace("_", " ") for f in changed)

        def get(row, field):
            return (
                row[field]
                if row is not None
                else (math.nan if field.endswith(("value", "progress")) else None)
            )

        rows.append(
            {
                "id": oid,
                "statement": src["statement"],
                "measure": src["measure"],
                "previous_status": get(p, "status"),
                "current_status": get(c, "status"),
                "previous_period": get(p, "latest_period"),
                "current_period": get(c, "latest_period"),
                "previous_value": get(p, "latest_value"),
                "current_value": get(c, "latest_value"),
                "previous_progress": get(p, "progress"),
                "current_progress": get(c, "progress"),
                "change": change,
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=OBJECTIVE_COLUMNS)
