"""The APCC Equality Framework and the Police Race Action Plan outcome areas, loaded from package data.

``framework.yml`` is a faithful transcription of the APCC *Equality Framework for Police and Crime
Commissioners and their Offices* (March 2023 update): 4 sections, 16 themes, and for each theme a
descriptor at each of three levels (Developing, Achieving, Advancing) with the criteria an OPCC can use to
self-assess. Ids are stable: theme ``1``..``16``; descriptor ``<theme>.<level>`` (``1.1``..``16.3``);
criterion ``<theme>.<level>.<n>`` numbered within its level in document order (``1.2.3``).

``race_action_plan.yml`` holds the four outcome areas of the NPCC and College of Policing Police Race Action
Plan; ``evidence_map.yml`` links each measure in :data:`eqlib.measures.MEASURES` to the criteria and outcome
areas it can evidence.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

import pandas as pd
import yaml

from eqlib.measures.model import criteria_map

LEVELS: tuple[str, ...] = ("Developing", "Achieving", "Advancing")
"""The three levels of the framework, lowest first. Levels are progressive and cumulative."""


def level_number(level: str) -> int:
    """1 for Developing, 2 for Achieving, 3 for Advancing (raises ``ValueError`` otherwise)."""
    return LEVELS.index(level) + 1


@dataclass(frozen=True)
class Criterion:
    id: str  # "3.2.4"
    theme: int
    level: str
    text: str

    @property
    def descriptor_id(self) -> str:
        return self.id.rsplit(".", 1)[0]


@dataclass(frozen=True)
class Descriptor:
    id: str  # "3.2"
    theme: int
    level: str
    text: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Theme:
    id: int
    name: str
    section: int
    descriptors: tuple[Descriptor, ...]  # Developing, Achieving, Advancing

    def descriptor(self, level: str) -> Descriptor:
        return self.descriptors[level_number(level) - 1]


@dataclass(frozen=True)
class Section:
    id: int
    name: str


@dataclass(frozen=True)
class Framework:
    title: str
    publisher: str
    edition: str
    level_summaries: dict[str, str]
    sections: tuple[Section, ...]
    themes: tuple[Theme, ...]

    def theme(self, theme_id: int) -> Theme:
        for t in self.themes:
            if t.id == theme_id:
                return t
        raise KeyError(f"Unknown framework theme {theme_id!r}; expected 1 to {len(self.themes)}")

    def section(self, section_id: int) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(f"Unknown framework section {section_id!r}")

    def descriptors(self) -> Iterator[Descriptor]:
        for t in self.themes:
            yield from t.descriptors

    def criteria(self) -> Iterator[Criterion]:
        for d in self.descriptors():
            yield from d.criteria

    def descriptor(self, descriptor_id: str) -> Descriptor:
        for d in self.descriptors():
            if d.id == descriptor_id:
                return d
        raise KeyError(f"Unknown framework descriptor {descriptor_id!r}; expected e.g. '3.2' (theme.level)")

    def criterion(self, criterion_id: str) -> Criterion:
        found = self._criteria_index().get(criterion_id)
        if found is None:
            raise KeyError(
                f"Unknown framework criterion {criterion_id!r}; expected e.g. '3.2.4' (theme.level.number)"
            )
        return found

    def _criteria_index(self) -> dict[str, Criterion]:
        return {c.id: c for c in self.criteria()}

    def criterion_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.criteria())

    def descriptor_ids(self) -> frozenset[str]:
        return frozenset(d.id for d in self.descriptors())

    def themes_frame(self) -> pd.DataFrame:
        """One row per theme: theme, theme_name, section, section_name."""
        return pd.DataFrame(
            [
                {
                    "theme": t.id,
                    "theme_name": t.name,
                    "section": t.section,
                    "section_name": self.section(t.section).name,
                }
                for t in self.themes
            ]
        )

    def descriptors_frame(self) -> pd.DataFrame:
        """One row per descriptor: descriptor, theme, theme_name, section, section_name, level, level_number, text."""
        rows = []
        for t in self.themes:
            for d in t.descriptors:
                rows.append(
                    {
                        "descriptor": d.id,
                        "theme": t.id,
                        "theme_name": t.name,
                        "section": t.section,
                        "section_name": self.section(t.section).name,
                        "level": d.level,
                        "level_number": level_number(d.level),
                        "text": d.text,
                    }
                )
        return pd.DataFrame(rows)

    def criteria_frame(self) -> pd.DataFrame:
        """One row per criterion: criterion, descriptor, theme, theme_name, section, level, text."""
        rows = []
        for t in self.themes:
            for d in t.descriptors:
                for c in d.criteria:
                    rows.append(
                        {
                            "criterion": c.id,
                            "descriptor": d.id,
                            "theme": t.id,
                            "theme_name": t.name,
                            "section": t.section,
                            "level": c.level,
                            "text": c.text,
                        }
                    )
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class OutcomeArea:
    id: str
    name: str
    concerns: str
    outcomes: tuple[str, ...]


@dataclass(frozen=True)
class RaceActionPlan:
    title: str
    publisher: str
    link: str
    outcome_areas: tuple[OutcomeArea, ...]
    legal_duties: tuple[str, ...]

    def outcome_area(self, area_id: str) -> OutcomeArea:
        for a in self.outcome_areas:
            if a.id == area_id:
                return a
        raise KeyError(
            f"Unknown Race Action Plan outcome area {area_id!r}; expected one of "
            f"{', '.join(a.id for a in self.outcome_areas)}"
        )


def _read_yaml(name: str) -> dict:
    text = resources.files("eqlib.framework").joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@functools.cache
def load_framework() -> Framework:
    """The APCC Equality Framework (March 2023 update) from the package's ``framework.yml``."""
    raw = _read_yaml("framework.yml")
    themes = []
    for t in raw["themes"]:
        descriptors = []
        for d in t["descriptors"]:
            criteria = tuple(
                Criterion(id=str(c["id"]), theme=int(t["id"]), level=d["level"], text=c["text"])
                for c in d["criteria"]
            )
            descriptors.append(
                Descriptor(
                    id=str(d["id"]), theme=int(t["id"]), level=d["level"], text=d["text"], criteria=criteria
                )
            )
        themes.append(
            Theme(id=int(t["id"]), name=t["name"], section=int(t["section"]), descriptors=tuple(descriptors))
        )
    return Framework(
        title=raw["title"],
        publisher=raw["publisher"],
        edition=raw["edition"],
        level_summaries={lv["name"]: lv["summary"] for lv in raw["levels"]},
        sections=tuple(Section(id=int(s["id"]), name=s["name"]) for s in raw["sections"]),
        themes=tuple(themes),
    )


@functools.cache
def load_race_action_plan() -> RaceActionPlan:
    """The Police Race Action Plan outcome areas from the package's ``race_action_plan.yml``."""
    raw = _read_yaml("race_action_plan.yml")
    return RaceActionPlan(
        title=raw["title"],
        publisher=raw["publisher"],
        link=raw["link"],
        outcome_areas=tuple(
            OutcomeArea(id=a["id"], name=a["name"], concerns=a["concerns"], outcomes=tuple(a["outcomes"]))
            for a in raw["outcome_areas"]
        ),
        legal_duties=tuple(raw["legal_duties"]),
    )


def evidence_map() -> pd.DataFrame:
    """The evidence map as a long frame: one row per (measure, criterion, race_action_plan area).

    Columns: ``measure``, ``criterion``, ``why``, ``race_action_plan`` (outcome areas joined by ``;``).
    Read through the measure catalogue (:func:`eqlib.measures.model.criteria_map`, the package's
    ``evidence_map.yml``).
    """
    rows = []
    for measure, entry in criteria_map().items():
        for criterion in entry["criteria"]:
            rows.append(
                {
                    "measure": measure,
                    "criterion": str(criterion),
                    "why": entry["why"],
                    "race_action_plan": ";".join(entry["race_action_plan"]),
                }
            )
    return pd.DataFrame(rows, columns=["measure", "criterion", "why", "race_action_plan"])


def measure_outcome_areas() -> dict[str, tuple[str, ...]]:
    """Measure id -> the Race Action Plan outcome areas it evidences."""
    return {m: tuple(e["race_action_plan"]) for m, e in criteria_map().items()}
