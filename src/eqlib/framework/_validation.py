"""Collecting problems in a params file, each with its key path, what was found and what was expected."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eqlib.errors import DataError


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a params file. ``key`` is a path such as ``self_assessment.themes[3].level``."""

    key: str
    message: str
    expected: str | None = None
    line: int | None = None

    def describe(self, file: str | None = None) -> str:
        where = ", ".join(p for p in (file, f"line {self.line}" if self.line else None, self.key) if p)
        text = f"{where}: {self.message}"
        if self.expected:
            text += f"; expected {self.expected}"
        return text


@dataclass
class Problems:
    items: list[Problem] = field(default_factory=list)

    def add(self, key: str, message: str, expected: str | None = None) -> None:
        self.items.append(Problem(key, message, expected))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)


class ParamsError(DataError):
    """A params file is invalid. ``problems`` lists every problem found (not only the first)."""

    def __init__(self, file: str | Path, problems: list[Problem]):
        self.problems = list(problems)
        file = str(file)
        if len(problems) == 1:
            text = problems[0].describe(file)
        else:
            text = f"{file}: {len(problems)} problems:\n" + "\n".join("  - " + p.describe() for p in problems)
        Exception.__init__(self, text)
        self.file, self.row, self.value = file, (problems[0].line if problems else None), None
        self.column = problems[0].key if problems else None
        self.expected = problems[0].expected if problems else None


def describe_value(value: Any) -> str:
    from eqlib.errors import shown

    return shown(value, 60)  # bounded: a value expanded from YAML aliases is never repr()-ed whole


def type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        int: "a whole number",
        float: "a number",
        bool: "true/false",
    }.get(type(value), type(value).__name__)


def expect(value: Any, types: type | tuple[type, ...], key: str, problems: Problems, expected: str) -> bool:
    """Add a problem unless ``value`` is of ``types`` (bool never counts as a number)."""
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in _as_tuple(types))
    if not ok:
        problems.add(key, f"found {type_name(value)} {describe_value(value)}", expected)
    return ok


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def check_keys(mapping: dict, allowed: set[str], key: str, problems: Problems) -> None:
    for k in mapping:
        if k not in allowed:
            where = f"{key}.{k}" if key else str(k)
            problems.add(where, f"unexpected key {k!r}", f"one of {', '.join(sorted(allowed))}")


def node_line(root: yaml.Node | None, path: str) -> int | None:
    """The 1-based line in the YAML source of the value at a key path like ``a.b[2].c`` (None if not found)."""
    if root is None:
        return None
    node = root
    line = node.start_mark.line + 1
    for part in _split_path(path):
        if isinstance(part, int) and isinstance(node, yaml.SequenceNode):
            if part >= len(node.value):
                return line
            node = node.value[part]
        elif isinstance(part, str) and isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if getattr(k, "value", None) == part:
                    node = v
                    break
            else:
                return line
        else:
            return line
        line = node.start_mark.line + 1
    return line


def _split_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for chunk in path.split("."):
        name, *indices = chunk.split("[")
        if name:
            parts.append(name)
        for ix in indices:
            parts.append(int(ix.rstrip("]")))
    return parts
