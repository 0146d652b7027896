"""YAML an analyst writes (params files), read with limits: no alias bombs, no deep nesting, real dates.

``yaml.safe_load`` is safe from code execution, but not from a file that expands to billions of
values through aliases (``&a [*b, *b, ...]``), nests deeper than Python's recursion limit, or holds a
date that does not exist (``2024-02-30``, which PyYAML raises as a bare ``ValueError``). Here each of
these is a :class:`yaml.MarkedYAMLError` with the line and column, so callers report it like any other
malformed YAML (and exit 2), quickly, and without printing the value.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import yaml
from yaml.constructor import ConstructorError

__all__ = ["MAX_NODES", "MAX_DEPTH", "YamlLimitError", "load", "load_file", "position", "compose"]

#: most values a params file may expand to, aliases counted every time they are used
MAX_NODES = 50_000
#: deepest nesting of mappings and lists
MAX_DEPTH = 40


class YamlLimitError(yaml.MarkedYAMLError):
    """A YAML document over :data:`MAX_NODES` or :data:`MAX_DEPTH`, or with a recursive alias."""


class _Loader(yaml.SafeLoader):
    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            value = str(node.value)
            shown = value if len(value) <= 40 else value[:37] + "..."
            raise ConstructorError(
                None,
                None,
                f"{shown!r} is not a real date ({exc}); expected a date written YYYY-MM-DD",
                node.start_mark,
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check(root: yaml.Node) -> None:
    """Raise :class:`YamlLimitError` if the document is too big once aliases are expanded, too deep,
    or recursive. Each node is visited once (sizes are memoised), so a bomb is caught in milliseconds."""
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            size[key] = 1 + sum(size[id(child)] for child in children)
            height[key] = 1 + max((height[id(child)] for child in children), default=0)
            if size[key] > MAX_NODES:
                raise YamlLimitError(
                    problem=f"the document expands to more than {MAX_NODES:,} values "
                    "(aliases repeated inside aliases?)",
                    problem_mark=node.start_mark,
                )
            if height[key] > MAX_DEPTH:
                raise YamlLimitError(
                    problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=node.start_mark
                )
            continue
        if key in size:
            continue
        if key in on_path:
            raise YamlLimitError(
                problem="an alias refers to the value that contains it (recursive alias)",
                problem_mark=node.start_mark,
            )
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) not in size:
                stack.append((child, False))


def _flow_depth(text: str) -> None:
    """A fast first look: ``[``/``{`` nesting outside quotes and comments (flow style nests cheaply)."""
    depth = line = column = 0
    quote = ""
    comment = False
    for index, ch in enumerate(text):
        if ch == "\n":
            line, column, comment = line + 1, 0, False
            continue
        column += 1
        if comment:
            continue
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (column == 1 or text[index - 1] in " \t"):
            comment = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                mark = yaml.Mark("<unicode string>", index, line, column - 1, None, None)
                raise YamlLimitError(problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=mark)
        elif ch in "]}":
            depth = max(0, depth - 1)


def _scan_depth(text: str) -> None:
    """Refuse deep nesting from the event stream (PyYAML's parser is not recursive; its composer is)."""
    _flow_depth(text)
    loader = _Loader(text)
    depth = 0
    try:
        while True:
            event = loader.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                return
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlLimitError(
                        problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=event.start_mark
                    )
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    finally:
        loader.dispose()


def _too_deep(exc: RecursionError) -> YamlLimitError:
    return YamlLimitError(problem=f"nested more than {MAX_DEPTH} levels deep (the parser gave up)")


def compose(text: str) -> yaml.Node | None:
    """The checked node tree of ``text`` (None for an empty document)."""
    _scan_depth(text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except RecursionError as exc:
        raise _too_deep(exc) from None
    finally:
        loader.dispose()
    if node is not None:
        _check(node)
    return node


def load(text: str) -> tuple[Any, yaml.Node | None]:
    """``(data, node)`` of one YAML document, with the limits above."""
    _scan_depth(text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check(node)
        return loader.construct_document(node), node
    except RecursionError as exc:
        raise _too_deep(exc) from None
    finally:
        loader.dispose()


def load_file(path) -> tuple[Any, yaml.Node | None]:
    """``(data, node)`` of a UTF-8 YAML file, with the limits above: the one reader of params files
    (:func:`eqlib.config.read_params`, :func:`eqlib.framework.params.load_params`). Raises
    ``FileNotFoundError``, ``UnicodeDecodeError`` or :class:`yaml.YAMLError` (see :func:`position`)."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    if digest not in _PARSED:
        _PARSED[digest] = load(text)
        while len(_PARSED) > 64:
            _PARSED.pop(next(iter(_PARSED)))
    data, node = _PARSED[digest]
    # a copy: callers may change what they get; the same text is parsed once per process (the
    # report's sections read the area-year's params file dozens of times)
    return copy.deepcopy(data), node


#: sha256 of a file's text -> its (data, node), for :func:`load_file`
_PARSED: dict[bytes, tuple[Any, yaml.Node | None]] = {}


def position(exc: yaml.YAMLError, *, context: bool = False) -> tuple[int | None, int | None, str]:
    """Where a YAML error is and what it is: ``(line, column, problem)``, 1-based, None when unknown
    (``context``: fall back to the error's context mark when it has no problem mark)."""
    mark = getattr(exc, "problem_mark", None) or (getattr(exc, "context_mark", None) if context else None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is None:
        return None, None, problem
    return mark.line + 1, mark.column + 1, problem
