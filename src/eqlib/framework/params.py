"""Per area and year parameters: ``params/<area-slug>-<year>.yml`` (e.g. ``params/south-wales-2021-22.yml``).

A params file carries the area, the year, the publisher of the equality information, the disclosure
threshold, an optional folder of the analyst's own CSVs, whether it is an example, and the OPCC's
self-assessment against the APCC Equality Framework (:mod:`eqlib.framework.self_assessment`) and its
equality objectives (:mod:`eqlib.framework.objectives`).

Defaults and merging
--------------------
``load_params(path)`` first reads the defaults: ``defaults.yml`` in the same folder as ``path`` if there is
one, else the built-in :data:`BUILTIN_DEFAULTS` (which ``params/defaults.yml`` repeats). The file's values are
then merged over the defaults: mappings merge key by key (recursively), anything else (text, numbers,
lists) in the file replaces the default. ``publisher`` may use ``{area}``, replaced by the area's name.
Relative ``local_data_dir`` paths are resolved against the folder of the params file.

Every problem found is reported at once in a :class:`~eqlib.framework._validation.ParamsError` (a
``DataError``) naming the file, the line, the key path (e.g. ``self_assessment.themes[3].criteria_met[1]``)
and what was expected.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eqlib import areas, periods, safe_yaml
from eqlib.framework._validation import (
    ParamsError,
    Problem,
    Problems,
    check_keys,
    describe_value,
    expect,
    node_line,
)
from eqlib.framework.objectives import Objective, parse_objectives
from eqlib.framework.self_assessment import EMPTY, SelfAssessment, parse_self_assessment
from eqlib.paths import params_dir

BUILTIN_DEFAULTS: dict[str, Any] = {
    "publisher": "Office of the Police and Crime Commissioner for {area}",
    "suppression_threshold": 5,
    "local_data_dir": None,
    "example": False,
    "reference_group": "White",
    "significance_level": 0.05,
    "self_assessment": {"themes": []},
    "objectives": [],
}
"""Defaults used when the params folder has no ``defaults.yml``; ``params/defaults.yml`` holds the same."""

log = logging.getLogger(__name__)

TOP_LEVEL_KEYS = {
    "area",
    "year",
    "publisher",
    "suppression_threshold",
    "local_data_dir",
    "example",
    "reference_group",
    "significance_level",
    "self_assessment",
    "objectives",
    "contact",
    "notes",
}


@dataclass(frozen=True)
class Params:
    """Validated parameters for one area and year."""

    source: Path | None
    area: areas.Area
    period: periods.Period
    publisher: str
    suppression_threshold: int
    local_data_dir: Path | None
    example: bool
    reference_group: str
    significance_level: float
    self_assessment: SelfAssessment = EMPTY
    objectives: tuple[Objective, ...] = ()
    contact: str | None = None
    notes: str | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def year(self) -> str:
        """The year label, e.g. ``2021-22``."""
        return self.period.label


#: the only values eqlib honours for these keys (a different value is refused, never silently ignored)
SUPPORTED_REFERENCE = "White"
SUPPORTED_SIGNIFICANCE = 0.05


def deep_merge(base: dict, override: dict) -> dict:
    """``override`` merged over ``base``: mappings merge recursively, other values replace."""
    out = copy.deepcopy(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        data, node = safe_yaml.load_file(path)  # limits on aliases and nesting; impossible dates are errors
    except FileNotFoundError:
        raise ParamsError(
            path,
            [
                Problem(
                    "(file)",
                    "params file not found",
                    "an existing YAML file such as params/south-wales-2021-22.yml",
                )
            ],
        ) from None
    except UnicodeDecodeError as exc:
        raise ParamsError(
            path, [Problem("(file)", f"not UTF-8 text ({exc.reason})", "a UTF-8 YAML file")]
        ) from None
    except yaml.YAMLError as exc:
        line, column, what = safe_yaml.position(exc, context=True)
        col = f", column {column}" if column is not None else ""
        raise ParamsError(
            path,
            [
                Problem(
                    "(document)",
                    f"malformed YAML{col}: {what}",
                    "valid YAML (check indentation, colons and quotes)",
                    line,
                )
            ],
        ) from None
    duplicates = _duplicate_keys(node)
    if duplicates:
        raise ParamsError(
            path,
            [
                Problem(
                    key,
                    f"duplicate key at line {line}, column {column} (first at line "
                    f"{first}): YAML keeps only the last value, so one would be lost",
                    "each key once in its mapping",
                    line,
                )
                for key, line, column, first in duplicates
            ],
        )
    return data, node


def _duplicate_keys(node: yaml.Node | None, prefix: str = "") -> list[tuple[str, int, int, int]]:
    """(dotted key, line, column, line of its first use) for every key repeated within one mapping."""
    out: list[tuple[str, int, int, int]] = []
    stack = [(node, prefix)]
    while stack:
        current, where = stack.pop()
        if isinstance(current, yaml.MappingNode):
            first: dict[str, int] = {}
            for key_node, value_node in current.value:
                name = str(getattr(key_node, "value", ""))[:80]
                dotted = f"{where}.{name}" if where else name
                if name in first:
                    out.append(
                        (dotted, key_node.start_mark.line + 1, key_node.start_mark.column + 1, first[name])
                    )
                else:
                    first[name] = key_node.start_mark.line + 1
                stack.append((value_node, dotted))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(current.value))
    return sorted(out, key=lambda d: (d[1], d[2]))


def load_defaults(folder: Path | None) -> dict:
    """The defaults for params files in ``folder``: its ``defaults.yml`` over :data:`BUILTIN_DEFAULTS`."""
    if folder is not None and (folder / "defaults.yml").is_file():
        data, _ = _read_yaml(folder / "defaults.yml")
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ParamsError(
                folder / "defaults.yml",
                [Problem("(document)", f"found {type(data).__name__}", "a mapping of default values")],
            )
        return deep_merge(BUILTIN_DEFAULTS, data)
    return copy.deepcopy(BUILTIN_DEFAULTS)


def load_params(path: str | Path, *, defaults: dict | None = None) -> Params:
    """Read, merge over the defaults, and validate a params file.

    Raises
    ------
    ParamsError
        Listing every problem: malformed YAML (with its line), wrong types, unknown area, theme, criterion
        or measure ids, a level that is not one of the three, a level claimed without the lower levels'
        descriptors, missing evidence, duplicate theme entries or objective ids, a target date not after
        its baseline period.
    """
    path = Path(path)
    data, node = _read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParamsError(
            path,
            [
                Problem(
                    "(document)",
                    f"found {describe_value(data)}",
                    "a YAML mapping with area, year, self_assessment, objectives",
                    1,
                )
            ],
        )
    merged = deep_merge(load_defaults(path.parent) if defaults is None else defaults, data)
    problems = Problems()
    params = build_params(merged, problems, source=path)
    if problems:
        located = [
            Problem(p.key, p.message, p.expected, p.line or node_line(node, p.key)) for p in problems.items
        ]
        raise ParamsError(path, located)
    assert params is not None
    sa = params.self_assessment
    log.info(
        "params %s: %s %s, %d theme(s) assessed, %d criteria met, %d evidence item(s), %d objective(s)%s",
        path,
        params.area.name,
        params.period.label,
        len(sa.themes),
        len(sa.criteria_met_ids()),
        len(sa.evidence_frame()),
        len(params.objectives),
        " (example)" if params.example else "",
    )
    return params


def build_params(merged: dict, problems: Problems, *, source: Path | None = None) -> Params | None:
    """Validate already-merged values; problems go to ``problems`` (returns None when there are any)."""
    check_keys(merged, TOP_LEVEL_KEYS, "", problems)
    area = None
    if merged.get("area") is None:
        problems.add("area", "missing", "a police force area name, code or slug such as south-wales")
    elif expect(merged["area"], str, "area", problems, "a police force area name, code or slug"):
        try:
            area = areas.resolve(merged["area"])
        except areas.UnknownAreaError as exc:
            problems.add("area", str(exc), "a police force area name, code or slug such as south-wales")
    period = None
    if merged.get("year") is None:
        problems.add("year", "missing", "a financial year such as 2021-22")
    else:
        try:
            period = periods.parse(merged["year"])
        except (periods.PeriodError, ValueError):
            year = merged["year"]
            # YAML reads `year: 0000` as the number 0 (and 9999 as a number): say why it is refused
            out_of_range = isinstance(year, int) and not isinstance(year, bool)
            problems.add(
                "year",
                f"found {describe_value(year)}"
                + (": outside the years eqlib reports on" if out_of_range else ""),
                f"a financial year from {periods.report_years_text()}, such as 2021-22"
                if out_of_range
                else "a financial year such as 2021-22",
            )
    publisher = merged.get("publisher")
    if (
        expect(publisher, str, "publisher", problems, "text naming the publishing office")
        and area is not None
    ):
        publisher = publisher.replace("{area}", area.name)
    threshold = merged.get("suppression_threshold")
    if (
        expect(threshold, int, "suppression_threshold", problems, "a whole number, 0 or more")
        and threshold < 0
    ):
        problems.add("suppression_threshold", f"found {threshold}", "a whole number, 0 or more")
    local = merged.get("local_data_dir")
    local_dir = None
    if local is not None and expect(local, str, "local_data_dir", problems, "a folder path (or null)"):
        local_dir = Path(local)
        if not local_dir.is_absolute() and source is not None:
            local_dir = (source.parent / local_dir).resolve()
        if not local_dir.is_dir():
            problems.add(
                "local_data_dir",
                f"folder {str(local_dir)!r} does not exist",
                "an existing folder of the analyst's CSVs (relative paths start at the params file's folder)",
            )
    example = merged.get("example")
    expect(example, bool, "example", problems, "true or false")
    reference = merged.get("reference_group")
    if (
        expect(reference, str, "reference_group", problems, "a group label such as White")
        and reference != SUPPORTED_REFERENCE
    ):
        # every disparity ratio eqlib publishes (national and local) compares with White, as the Home
        # Office and Ethnicity facts and figures do: another value would be read and ignored, so refuse it
        problems.add(
            "reference_group",
            f"found {reference!r}: eqlib compares every ethnic group with White "
            "(Home Office, Ethnicity facts and figures); no other reference group is supported",
            f"{SUPPORTED_REFERENCE} (or leave the key out)",
        )
    alpha = merged.get("significance_level")
    if (
        expect(alpha, (int, float), "significance_level", problems, "a number between 0 and 1")
        and not 0 < alpha < 1
    ):
        problems.add("significance_level", f"found {alpha}", "a number between 0 and 1")
    elif isinstance(alpha, (int, float)) and not isinstance(alpha, bool) and alpha != SUPPORTED_SIGNIFICANCE:
        problems.add(
            "significance_level",
            f"found {alpha}: every interval and test eqlib publishes is at the "
            "5% level (95% intervals); no other level is supported",
            f"{SUPPORTED_SIGNIFICANCE} (or leave the key out)",
        )
    texts = {}
    for name in ("contact", "notes"):
        value = merged.get(name)
        if value is not None and not expect(value, str, name, problems, "text"):
            value = None
        texts[name] = value
    assessment = parse_self_assessment(merged.get("self_assessment"), problems)
    objectives = parse_objectives(merged.get("objectives"), problems)
    if problems:
        return None
    return Params(
        source=source,
        area=area,
        period=period,
        publisher=publisher,
        suppression_threshold=threshold,
        local_data_dir=local_dir,
        example=example,
        reference_group=reference,
        significance_level=float(alpha),
        self_assessment=assessment,
        objectives=objectives,
        raw=merged,
        **texts,
    )


def params_path(area: str, year: str | int, root: Path | None = None) -> Path:
    """Where the params file for an area and year lives: ``params/<slug>-<year label>.yml``."""
    return params_dir(root) / f"{areas.resolve(area).slug}-{periods.parse(year).label}.yml"


def params_for(area: str, year: str | int, root: Path | None = None) -> Params:
    """The params file for ``area`` and ``year`` if there is one, else the defaults for that area and year
    (no self-assessment, no objectives), so that any of the 43 areas and any year can be reported on."""
    path = params_path(area, year, root)
    if path.is_file():
        return load_params(path)
    merged = deep_merge(load_defaults(params_dir(root)), {"area": area, "year": str(year)})
    problems = Problems()
    params = build_params(merged, problems, source=None)
    if problems:
        raise ParamsError(params_dir(root) / "defaults.yml", problems.items)
    assert params is not None
    return params


def validate(path: str | Path) -> Params | None:
    """Validate a params file, raising :class:`ParamsError` listing every problem.

    ``defaults.yml`` is checked as defaults (no area or year needed: its values are checked as they would be
    for any area); any other file is loaded with :func:`load_params` and returned.
    """
    path = Path(path)
    if path.name != "defaults.yml":
        return load_params(path)
    data, node = _read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParamsError(
            path, [Problem("(document)", f"found {describe_value(data)}", "a mapping of defaults", 1)]
        )
    merged = deep_merge(BUILTIN_DEFAULTS, data)
    merged.setdefault("area", "south-wales")
    merged.setdefault("year", "2021-22")
    problems = Problems()
    build_params(merged, problems, source=path)
    if problems:
        raise ParamsError(
            path, [Problem(p.key, p.message, p.expected, node_line(node, p.key)) for p in problems.items]
        )
    return None
