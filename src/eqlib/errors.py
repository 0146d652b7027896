"""Exceptions with messages a police analyst can act on (file, row, column, value, expected)."""

from __future__ import annotations

import reprlib

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 200
_REPR.maxlist = _REPR.maxdict = _REPR.maxtuple = _REPR.maxset = 10
_REPR.maxlevel = 3


def shown(value: object, limit: int = 200) -> str:
    """``repr(value)`` cut to about ``limit`` characters, in bounded time (never the whole of a huge value)."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class EqlibError(Exception):
    """Base class: any error eqlib raises on purpose."""


class DataError(EqlibError, ValueError):
    """Bad input data. The message names the file, row, column, value and what was expected."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        expected: str | None = None,
    ):
        parts = []
        if file is not None:
            parts.append(str(file))
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f"column {column!r}")
        where = ", ".join(parts)
        detail = message
        if value is not None:
            detail += f" (found {shown(value)})"
        if expected:
            detail += f"; expected {expected}"
        super().__init__(f"{where}: {detail}" if where else detail)
        self.file, self.row, self.column, self.value, self.expected = file, row, column, value, expected
        self.message = message


class UsageError(EqlibError):
    """Bad command-line parameters: the CLI exits with code 2."""
