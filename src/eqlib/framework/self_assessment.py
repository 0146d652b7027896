"""An OPCC's self-assessment against the APCC Equality Framework, read from the ``self_assessment`` key of a
params file (``params/<area-slug>-<year>.yml``).

Shape (YAML)::

    self_assessment:
      assessed_on: 2022-06-30          # optional date
      assessed_by: Equality lead, OPCC # optional
      themes:
        - theme: 2                     # 1..16
          level: Achieving             # Developing | Achieving | Advancing | null (Developing not yet met)
          descriptors_met: ["2.1", "2.2"]   # optional: defaults to every descriptor up to `level`
          criteria_met:
            - criterion: 2.2.1         # theme.level.number, from framework.yml
              evidence:                # at least one; each exactly one of text / link / measure
                - text: Quarterly scrutiny board minutes record the challenge.
                - link: https://example.org/minutes.pdf
                  title: Board minutes, March 2022     # optional, for links
                - measure: stop_search_disparity        # an id in eqlib.measures.MEASURES
          next_steps: optional text
          notes: optional text

Rules (each breach is a problem naming the key path, what was found and what was expected):

- ``theme`` is a known theme id and appears once; ``level`` is one of the three levels (or null).
- Levels are cumulative: claiming a level needs the descriptor of every lower level met (``descriptors_met``),
  and ``level`` is the highest descriptor met.
- Missing evidence: each descriptor met needs at least one of its own criteria in ``criteria_met``, and each
  criterion met needs at least one piece of evidence.
- A criterion belongs to its theme, is known to the framework and is listed once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from eqlib.framework._validation import Problems, check_keys, describe_value, expect
from eqlib.framework.model import LEVELS, Framework, level_number, load_framework
from eqlib.measures import measure_ids

EVIDENCE_KINDS: tuple[str, ...] = ("text", "link", "measure")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Evidence:
    kind: str  # "text" | "link" | "measure"
    value: str
    title: str | None = None


@dataclass(frozen=True)
class CriterionMet:
    criterion: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class ThemeAssessment:
    theme: int
    level: str | None  # None: not yet at Developing
    descriptors_met: tuple[str, ...]
    criteria_met: tuple[CriterionMet, ...]
    next_steps: str | None = None
    notes: str | None = None

    @property
    def level_number(self) -> int:
        """0 when no level is reached, else 1..3."""
        return level_number(self.level) if self.level else 0


@dataclass(frozen=True)
class SelfAssessment:
    themes: tuple[ThemeAssessment, ...]
    assessed_on: dt.date | None = None
    assessed_by: str | None = None

    def theme(self, theme_id: int) -> ThemeAssessment | None:
        for t in self.themes:
            if t.theme == theme_id:
                return t
        return None

    def levels(self) -> dict[int, str | None]:
        """Theme id -> level reached (None when assessed below Developing); unassessed themes are absent."""
        return {t.theme: t.level for t in self.themes}

    def criteria_met_ids(self) -> frozenset[str]:
        return frozenset(c.criterion for t in self.themes for c in t.criteria_met)

    def evidence_frame(self) -> pd.DataFrame:
        """One row per piece of evidence: theme, criterion, level, kind, value, title."""
        fw = load_framework()
        rows = []
        for t in self.themes:
            for c in t.criteria_met:
                for e in c.evidence:
                    rows.append(
                        {
                            "theme": t.theme,
                            "criterion": c.criterion,
                            "level": fw.criterion(c.criterion).level,
                            "kind": e.kind,
                            "value": e.value,
                            "title": e.title,
                        }
                    )
        return pd.DataFrame(rows, columns=["theme", "criterion", "level", "kind", "value", "title"])

    def measures_cited(self) -> frozenset[str]:
        return frozenset(
            e.value for t in self.themes for c in t.criteria_met for e in c.evidence if e.kind == "measure"
        )


EMPTY = SelfAssessment(themes=())


def _theme_id(value: Any, key: str, problems: Problems, framework: Framework) -> int | None:
    n_themes = len(framework.themes)
    expected = f"a theme id, a whole number from 1 to {n_themes}"
    if isinstance(value, bool) or not isinstance(value, int | str):
        problems.add(key, f"found {describe_value(value)}", expected)
        return None
    try:
        theme = int(str(value).strip())
    except ValueError:
        problems.add(key, f"found {describe_value(value)}", expected)
        return None
    if not 1 <= theme <= n_themes:
        problems.add(key, f"unknown theme {value!r}", expected)
        return None
    return theme


def _dotted_id(value: Any) -> str | None:
    """Criterion and descriptor ids are text; a YAML float such as 2.1 is read back as '2.1'."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int | str):
        return str(value).strip()
    return None


def parse_self_assessment(
    raw: Any, problems: Problems, key: str = "self_assessment", framework: Framework | None = None
) -> SelfAssessment:
    """Validate and build a :class:`SelfAssessment` from the parsed YAML value; problems go to ``problems``."""
    framework = framework or load_framework()
    if raw is None:
        return EMPTY
    if not expect(raw, dict, key, problems, "a mapping with `themes` (a list, one entry per theme)"):
        return EMPTY
    check_keys(raw, {"themes", "assessed_on", "assessed_by"}, key, problems)
    assessed_on = raw.get("assessed_on")
    if assessed_on is not None and not (
        isinstance(assessed_on, dt.date) and not isinstance(assessed_on, dt.datetime)
    ):
        try:
            assessed_on = dt.date.fromisoformat(str(assessed_on))
        except ValueError:
            problems.add(
                f"{key}.assessed_on", f"found {describe_value(assessed_on)}", "a date such as 2022-06-30"
            )
            assessed_on = None
    assessed_by = raw.get("assessed_by")
    if assessed_by is not None and not expect(assessed_by, str, f"{key}.assessed_by", problems, "text"):
        assessed_by = None
    themes_raw = raw.get("themes", [])
    if themes_raw is None:
        themes_raw = []
    if not expect(themes_raw, list, f"{key}.themes", problems, "a list of theme entries"):
        return SelfAssessment(themes=(), assessed_on=assessed_on, assessed_by=assessed_by)
    seen: dict[int, int] = {}
    themes = []
    for i, entry in enumerate(themes_raw):
        tkey = f"{key}.themes[{i}]"
        parsed = _parse_theme(entry, tkey, problems, framework)
        if parsed is None:
            continue
        if parsed.theme in seen:
            problems.add(
                f"{tkey}.theme",
                f"duplicate entry for theme {parsed.theme} (first at {key}.themes[{seen[parsed.theme]}])",
                "each theme at most once",
            )
            continue
        seen[parsed.theme] = i
        themes.append(parsed)
    themes.sort(key=lambda t: t.theme)
    return SelfAssessment(themes=tuple(themes), assessed_on=assessed_on, assessed_by=assessed_by)


def _parse_theme(entry: Any, tkey: str, problems: Problems, framework: Framework) -> ThemeAssessment | None:
    if not expect(entry, dict, tkey, problems, "a mapping with theme, level, criteria_met"):
        return None
    check_keys(
        entry, {"theme", "level", "descriptors_met", "criteria_met", "next_steps", "notes"}, tkey, problems
    )
    if "theme" not in entry:
        problems.add(tkey, "missing key 'theme'", "a theme id from 1 to 16")
        return None
    theme = _theme_id(entry["theme"], f"{tkey}.theme", problems, framework)
    if theme is None:
        return None

    # level
    level_raw = entry.get("level", None)
    level: str | None = None
    if "level" not in entry:
        problems.add(
            tkey,
            "missing key 'level'",
            f"one of {', '.join(LEVELS)} (or null if the Developing descriptor is not yet met)",
        )
    elif level_raw is not None:
        matches = [
            lv for lv in LEVELS if isinstance(level_raw, str) and lv.lower() == level_raw.strip().lower()
        ]
        if not matches:
            problems.add(
                f"{tkey}.level",
                f"found {describe_value(level_raw)}",
                f"one of {', '.join(LEVELS)} (or null if the Developing descriptor is not yet met)",
            )
        else:
            level = matches[0]
    reached = level_number(level) if level else 0

    # descriptors met
    own_descriptors = [d.id for d in framework.theme(theme).descriptors]
    descriptors: list[str] = []
    if "descriptors_met" in entry and entry["descriptors_met"] is not None:
        dkey = f"{tkey}.descriptors_met"
        if expect(
            entry["descriptors_met"],
            list,
            dkey,
            problems,
            f"a list of descriptor ids such as {own_descriptors}",
        ):
            for j, d in enumerate(entry["descriptors_met"]):
                did = _dotted_id(d)
                if did not in own_descriptors:
                    problems.add(
                        f"{dkey}[{j}]",
                        f"{describe_value(d)} is not a descriptor of theme {theme}",
                        f"one of {', '.join(own_descriptors)}",
                    )
                elif did in descriptors:
                    problems.add(f"{dkey}[{j}]", f"descriptor {did} listed twice", "each descriptor once")
                else:
                    descriptors.append(did)
        explicit = True
    else:
        descriptors = own_descriptors[:reached]
        explicit = False
    met_levels = sorted(int(d.split(".")[1]) for d in descriptors)
    if "level" in entry:
        highest = met_levels[-1] if met_levels else 0
        if explicit and highest != reached:
            problems.add(
                f"{tkey}.level",
                f"level {level or 'null'} does not match the highest descriptor met "
                f"({own_descriptors[highest - 1] + ' ' + LEVELS[highest - 1] if highest else 'none'})",
                "the level of the highest descriptor in descriptors_met",
            )
        for lower in range(1, max(reached, highest)):
            if lower not in met_levels:
                problems.add(
                    f"{tkey}.level" if not explicit else f"{tkey}.descriptors_met",
                    f"{LEVELS[max(reached, highest) - 1]} claimed without the {LEVELS[lower - 1]} "
                    f"descriptor {own_descriptors[lower - 1]} met",
                    "levels are cumulative: every lower level's descriptor met first",
                )

    # criteria met
    criteria: list[CriterionMet] = []
    raw_criteria = entry.get("criteria_met", [])
    ckey = f"{tkey}.criteria_met"
    if raw_criteria is None:
        raw_criteria = []
    criteria_ok = expect(raw_criteria, list, ckey, problems, "a list of {criterion, evidence} entries")
    if criteria_ok:
        seen: set[str] = set()
        for j, item in enumerate(raw_criteria):
            parsed = _parse_criterion(item, f"{ckey}[{j}]", theme, problems, framework)
            if parsed is None:
                continue
            if parsed.criterion in seen:
                problems.add(
                    f"{ckey}[{j}].criterion",
                    f"criterion {parsed.criterion} listed twice",
                    "each criterion once",
                )
                continue
            seen.add(parsed.criterion)
            criteria.append(parsed)

    # every descriptor met needs a criterion of its own level as evidence
    met_criteria_levels = {c.criterion.rsplit(".", 1)[0] for c in criteria}
    for did in descriptors if criteria_ok else ():
        if did not in met_criteria_levels:
            lv = LEVELS[int(did.split(".")[1]) - 1]
            problems.add(
                ckey,
                f"missing evidence: descriptor {did} ({lv}) is claimed as met but none of its "
                f"criteria ({did}.1, {did}.2, ...) is listed in criteria_met",
                f"at least one {lv} criterion of theme {theme} with its evidence",
            )

    texts = {}
    for name in ("next_steps", "notes"):
        value = entry.get(name)
        if value is not None and not expect(value, str, f"{tkey}.{name}", problems, "text"):
            value = None
        texts[name] = value
    return ThemeAssessment(
        theme=theme, level=level, descriptors_met=tuple(descriptors), criteria_met=tuple(criteria), **texts
    )


def _parse_criterion(
    item: Any, key: str, theme: int, problems: Problems, framework: Framework
) -> CriterionMet | None:
    if not expect(item, dict, key, problems, "a mapping {criterion: <id>, evidence: [...]}"):
        return None
    check_keys(item, {"criterion", "evidence"}, key, problems)
    if "criterion" not in item:
        problems.add(key, "missing key 'criterion'", f"a criterion id of theme {theme} such as {theme}.1.1")
        return None
    cid = _dotted_id(item["criterion"])
    known = framework.criterion_ids()
    if cid not in known:
        problems.add(
            f"{key}.criterion",
            f"unknown criterion {describe_value(item['criterion'])}",
            f"a criterion id from framework.yml of the form theme.level.number, e.g. {theme}.1.1",
        )
        return None
    if int(cid.split(".")[0]) != theme:
        problems.add(
            f"{key}.criterion",
            f"criterion {cid} belongs to theme {cid.split('.')[0]}, not theme {theme}",
            f"a criterion of theme {theme} ({theme}.<level>.<n>)",
        )
        return None
    evidence = _parse_evidence(item.get("evidence"), f"{key}.evidence", cid, problems)
    return CriterionMet(criterion=cid, evidence=tuple(evidence))


def _shown(value: str, limit: int = 80) -> str:
    return repr(value if len(value) <= limit else value[: limit - 3] + "...")


def _parse_evidence(raw: Any, key: str, cid: str, problems: Problems) -> list[Evidence]:
    expected = "a non-empty list; each item one of {text: ...}, {link: https://...}, {measure: <measure id>}"
    if raw is None or raw == []:
        problems.add(key, f"missing evidence for criterion {cid}", expected)
        return []
    if not expect(raw, list, key, problems, expected):
        return []
    out = []
    known_measures = measure_ids()
    for k, ev in enumerate(raw):
        ekey = f"{key}[{k}]"
        if not expect(ev, dict, ekey, problems, "a mapping with exactly one of text, link, measure"):
            continue
        check_keys(ev, {*EVIDENCE_KINDS, "title"}, ekey, problems)
        kinds = [kd for kd in EVIDENCE_KINDS if kd in ev]
        if len(kinds) != 1:
            problems.add(ekey, f"found keys {sorted(ev)}", "exactly one of text, link, measure")
            continue
        kind = kinds[0]
        value = ev[kind]
        if not isinstance(value, str) or not value.strip():
            problems.add(f"{ekey}.{kind}", f"found {describe_value(value)}", f"non-empty text for {kind}")
            continue
        value = value.strip()
        if kind == "link" and not _URL.match(value):
            problems.add(f"{ekey}.link", f"{_shown(value)} is not a web address", "a URL starting https://")
            continue
        if kind == "link":
            from eqlib.report.escape import UnsafeLinkError, safe_link

            try:
                safe_link(value)
            except UnsafeLinkError:
                problems.add(
                    f"{ekey}.link",
                    f"{_shown(value)} is not an https:// link",
                    "a URL starting https:// (links in the report are https only)",
                )
                continue
        if kind == "measure" and value not in known_measures:
            problems.add(
                f"{ekey}.measure",
                f"unknown measure {value!r}",
                f"a measure id from eqlib.measures.MEASURES ({', '.join(known_measures[:4])}, ...)",
            )
            continue
        title = ev.get("title")
        if title is not None and not expect(title, str, f"{ekey}.title", problems, "text"):
            title = None
        out.append(Evidence(kind=kind, value=value, title=title))
    return out
