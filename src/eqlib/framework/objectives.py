"""Equality objectives (SMART) and their status computed from the data.

Shape of the ``objectives`` key of a params file (YAML)::

    objectives:
      - id: EO1
        statement: Reduce the disparity in stop and search between Black and White people.
        owner: Chief Constable (lead: ACC Operations)
        measure: stop_search_disparity     # an id in eqlib.measures.MEASURES
        group: Black                       # optional: which group's figure (none: the all-groups figure)
        baseline: {period: 2019-20, value: 6.1}
        target: {value: 4.0, date: 2025-03-31}
        direction: decrease                # decrease | increase
        themes: [2, 10]                    # optional: framework themes the objective serves
        race_action_plan: [powers_and_procedures]   # optional: outcome areas

Status rule (:data:`STATUS_RULE`), computed by :func:`objective_status` from the latest value of the measure
for a period that ends after the baseline period:

- **achieved**: the latest value has reached the target (at or below it for a decrease, at or above it for
  an increase);
- **on track**: it has moved at least the pro-rata share of the distance from baseline to target for the time
  elapsed, i.e. ``progress >= elapsed`` where ``progress = (latest - baseline) / (target - baseline)`` and
  ``elapsed = (end of latest period - end of baseline period) / (target date - end of baseline period)``,
  capped at 1;
- **off track**: otherwise, including movement away from the target and a target date passed without the
  target reached;
- **no data**: no value of the measure (and group) for a period ending after the baseline period.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from eqlib import periods
from eqlib.framework._validation import Problems, check_keys, describe_value, expect
from eqlib.framework.model import Framework, load_framework, load_race_action_plan
from eqlib.measures import measure_ids

DIRECTIONS: tuple[str, ...] = ("decrease", "increase")
STATUSES: tuple[str, ...] = ("achieved", "on track", "off track", "no data")
STATUS_RULE = (
    "achieved: the latest value has reached the target; on track: it has moved at least the pro-rata share of "
    "the distance from baseline to target for the time elapsed since the baseline period; off track: "
    "otherwise; no data: no value for a period after the baseline"
)
ALL_GROUPS = ("All", "all", "Total", "total", "All groups")


@dataclass(frozen=True)
class Objective:
    id: str
    statement: str
    owner: str
    measure: str
    baseline_period: periods.Period
    baseline_value: float
    target_value: float
    target_date: dt.date
    direction: str
    group: str | None = None
    themes: tuple[int, ...] = ()
    race_action_plan: tuple[str, ...] = ()
    notes: str | None = None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def parse_objectives(
    raw: Any, problems: Problems, key: str = "objectives", framework: Framework | None = None
) -> tuple[Objective, ...]:
    """Validate and build the objectives from the parsed YAML value; problems go to ``problems``."""
    framework = framework or load_framework()
    if raw is None:
        return ()
    if not expect(raw, list, key, problems, "a list of objectives"):
        return ()
    out: list[Objective] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw):
        okey = f"{key}[{i}]"
        obj = _parse_objective(entry, okey, problems, framework)
        if obj is None:
            continue
        if obj.id in seen:
            problems.add(
                f"{okey}.id",
                f"duplicate objective id {obj.id!r} (first at {key}[{seen[obj.id]}])",
                "a unique id per objective",
            )
            continue
        seen[obj.id] = i
        out.append(obj)
    return tuple(out)


def _parse_objective(entry: Any, okey: str, problems: Problems, framework: Framework) -> Objective | None:
    if not expect(
        entry,
        dict,
        okey,
        problems,
        "a mapping with id, statement, owner, measure, baseline, target, direction",
    ):
        return None
    check_keys(
        entry,
        {
            "id",
            "statement",
            "owner",
            "measure",
            "group",
            "baseline",
            "target",
            "direction",
            "themes",
            "race_action_plan",
            "notes",
        },
        okey,
        problems,
    )
    before = len(problems)
    texts: dict[str, str] = {}
    for name in ("id", "statement", "owner", "measure", "direction"):
        if name not in entry:
            problems.add(
                okey,
                f"missing key {name!r}",
                {
                    "measure": "a measure id from eqlib.measures.MEASURES",
                    "direction": "decrease or increase",
                }.get(name, "non-empty text"),
            )
            continue
        value = entry[name]
        if isinstance(value, int) and not isinstance(value, bool) and name == "id":
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            problems.add(f"{okey}.{name}", f"found {describe_value(value)}", "non-empty text")
            continue
        texts[name] = value.strip()
    if "measure" in texts and texts["measure"] not in measure_ids():
        problems.add(
            f"{okey}.measure",
            f"unknown measure {texts['measure']!r}: no such metric",
            f"a measure id from eqlib.measures.MEASURES ({', '.join(measure_ids()[:4])}, ...)",
        )
    if "direction" in texts and texts["direction"] not in DIRECTIONS:
        problems.add(f"{okey}.direction", f"found {texts['direction']!r}", "decrease or increase")
    group = entry.get("group")
    if group is not None and not expect(group, str, f"{okey}.group", problems, "a group label such as Black"):
        group = None

    # baseline
    baseline_period = baseline_value = None
    bkey = f"{okey}.baseline"
    if "baseline" not in entry:
        problems.add(okey, "missing key 'baseline'", "a mapping {period: 2019-20, value: <number>}")
    elif expect(entry["baseline"], dict, bkey, problems, "a mapping {period: 2019-20, value: <number>}"):
        b = entry["baseline"]
        check_keys(b, {"period", "value"}, bkey, problems)
        if b.get("period") is None:
            problems.add(bkey, "missing key 'period'", "a period such as 2019-20")
        else:
            raw_period = b["period"]
            try:
                baseline_period = (
                    periods.as_at(raw_period)
                    if isinstance(raw_period, dt.date)
                    else periods.parse(raw_period)
                )
            except (periods.PeriodError, ValueError):
                problems.add(
                    f"{bkey}.period",
                    f"found {describe_value(raw_period)}",
                    "a period such as 2019-20 (financial year), 2020 or 2021-04",
                )
        baseline_value = _as_number(b.get("value"))
        if baseline_value is None:
            problems.add(f"{bkey}.value", f"found {describe_value(b.get('value'))}", "a number")

    # target
    target_value = target_date = None
    tkey = f"{okey}.target"
    if "target" not in entry:
        problems.add(okey, "missing key 'target'", "a mapping {value: <number>, date: 2025-03-31}")
    elif expect(entry["target"], dict, tkey, problems, "a mapping {value: <number>, date: 2025-03-31}"):
        t = entry["target"]
        check_keys(t, {"value", "date"}, tkey, problems)
        target_value = _as_number(t.get("value"))
        if target_value is None:
            problems.add(f"{tkey}.value", f"found {describe_value(t.get('value'))}", "a number")
        target_date = _as_date(t.get("date"))
        if target_date is None:
            problems.add(
                f"{tkey}.date", f"found {describe_value(t.get('date'))}", "a date such as 2025-03-31"
            )

    if baseline_period is not None and target_date is not None and target_date <= baseline_period.end:
        problems.add(
            f"{tkey}.date",
            f"target date {target_date.isoformat()} is not after the baseline period "
            f"{baseline_period.label} (ends {baseline_period.end.isoformat()})",
            "a target date after the end of the baseline period",
        )
    if baseline_value is not None and target_value is not None and texts.get("direction") in DIRECTIONS:
        if texts["direction"] == "decrease" and not target_value < baseline_value:
            problems.add(
                f"{tkey}.value",
                f"target {target_value:g} is not below the baseline {baseline_value:g} "
                "for a 'decrease' objective",
                "a target below the baseline (or direction: increase)",
            )
        if texts["direction"] == "increase" and not target_value > baseline_value:
            problems.add(
                f"{tkey}.value",
                f"target {target_value:g} is not above the baseline {baseline_value:g} "
                "for an 'increase' objective",
                "a target above the baseline (or direction: decrease)",
            )

    themes: list[int] = []
    if entry.get("themes") is not None and expect(
        entry["themes"], list, f"{okey}.themes", problems, "a list of theme ids"
    ):
        valid = {t.id for t in framework.themes}
        for j, th in enumerate(entry["themes"]):
            if isinstance(th, bool) or not isinstance(th, int) or th not in valid:
                problems.add(
                    f"{okey}.themes[{j}]",
                    f"unknown theme {describe_value(th)}",
                    f"a theme id from 1 to {len(valid)}",
                )
            else:
                themes.append(th)
    rap: list[str] = []
    if entry.get("race_action_plan") is not None and expect(
        entry["race_action_plan"], list, f"{okey}.race_action_plan", problems, "a list of outcome area ids"
    ):
        valid_areas = [a.id for a in load_race_action_plan().outcome_areas]
        for j, a in enumerate(entry["race_action_plan"]):
            if a not in valid_areas:
                problems.add(
                    f"{okey}.race_action_plan[{j}]",
                    f"unknown outcome area {describe_value(a)}",
                    f"one of {', '.join(valid_areas)}",
                )
            else:
                rap.append(a)
    notes = entry.get("notes")
    if notes is not None and not expect(notes, str, f"{okey}.notes", problems, "text"):
        notes = None
    if len(problems) > before:
        return None
    return Objective(
        id=texts["id"],
        statement=texts["statement"],
        owner=texts["owner"],
        measure=texts["measure"],
        baseline_period=baseline_period,
        baseline_value=baseline_value,
        target_value=target_value,
        target_date=target_date,
        direction=texts["direction"],
        group=group,
        themes=tuple(themes),
        race_action_plan=tuple(rap),
        notes=notes,
    )


STATUS_COLUMNS = [
    "id",
    "statement",
    "owner",
    "measure",
    "group",
    "direction",
    "baseline_period",
    "baseline_value",
    "target_value",
    "target_date",
    "latest_period",
    "latest_value",
    "progress",
    "elapsed",
    "status",
    "rule",
]


def _matching_rows(latest: pd.DataFrame, obj: Objective) -> pd.DataFrame:
    rows = latest[latest["measure"] == obj.measure]
    if obj.group is None:
        return rows[rows["group"].isna() | rows["group"].isin(ALL_GROUPS)]
    return rows[rows["group"] == obj.group]


def objective_status(objectives: Sequence[Objective], latest: pd.DataFrame) -> pd.DataFrame:
    """Each objective's status from the data, with the rule applied written out in the ``rule`` column.

    Parameters
    ----------
    objectives
        From :attr:`Params.objectives`.
    latest
        The values of the measures for one area: columns ``measure``, ``group``, ``period`` (a label
        :func:`eqlib.periods.parse` reads, e.g. ``2021-22``) and ``value``. An objective without a ``group``
        matches rows whose group is missing or "All". Filter to one area before calling.

    Returns
    -------
    DataFrame with :data:`STATUS_COLUMNS`: ``progress`` is the share of the distance from baseline to target
    covered, ``elapsed`` the share of the time from the end of the baseline period to the target date, and
    ``status`` one of :data:`STATUSES` by the rule in :data:`STATUS_RULE` (see the module docstring).
    """
    missing = {"measure", "group", "period", "value"} - set(latest.columns)
    if missing:
        raise ValueError(
            f"latest values frame lacks columns {sorted(missing)}; expected measure, group, period, value"
        )
    rows = []
    for obj in objectives:
        base = {
            "id": obj.id,
            "statement": obj.statement,
            "owner": obj.owner,
            "measure": obj.measure,
            "group": obj.group,
            "direction": obj.direction,
            "baseline_period": obj.baseline_period.label,
            "baseline_value": obj.baseline_value,
            "target_value": obj.target_value,
            "target_date": obj.target_date,
            "latest_period": None,
            "latest_value": math.nan,
            "progress": math.nan,
            "elapsed": math.nan,
        }
        candidates = []
        for _, r in _matching_rows(latest, obj).iterrows():
            value = r["value"]
            if value is None or pd.isna(value):
                continue
            period = (
                periods.parse(r["period"]) if not isinstance(r["period"], periods.Period) else r["period"]
            )
            if period.end > obj.baseline_period.end:
                candidates.append((period.end, period.label, float(value)))
        if not candidates:
            rows.append(
                {
                    **base,
                    "status": "no data",
                    "rule": f"no value of {obj.measure} for a period after the baseline "
                    f"{obj.baseline_period.label}",
                }
            )
            continue
        end, label, value = max(candidates)
        progress = (value - obj.baseline_value) / (obj.target_value - obj.baseline_value)
        span = (obj.target_date - obj.baseline_period.end).days
        elapsed = min(1.0, max(0.0, (end - obj.baseline_period.end).days / span))
        reached = value <= obj.target_value if obj.direction == "decrease" else value >= obj.target_value
        if reached:
            status = "achieved"
            rule = f"latest value {value:g} ({label}) has reached the target {obj.target_value:g}"
        else:
            status = "on track" if progress >= elapsed else "off track"
            rule = (
                f"latest value {value:g} ({label}): {progress:.0%} of the distance from baseline "
                f"{obj.baseline_value:g} to target {obj.target_value:g} covered with {elapsed:.0%} of the time "
                f"to {obj.target_date.isoformat()} elapsed; on track needs at least the time share"
            )
        rows.append(
            {
                **base,
                "latest_period": label,
                "latest_value": value,
                "progress": progress,
                "elapsed": elapsed,
                "status": status,
                "rule": rule,
            }
        )
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)
