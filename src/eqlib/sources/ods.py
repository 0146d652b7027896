"""Reading OpenDocument spreadsheets (ODS) published by the Home Office and the IOPC.

One helper, :func:`read_sheet`, reads a sheet as a list of rows of Python values
(``str``, ``float``, ``datetime``), using calamine (``python-calamine``), which is fast
and has no dependency on LibreOffice. A missing, empty, truncated or corrupt file, or a
missing sheet, raises :class:`~eqlib.errors.DataError` naming the file and what was
expected, never a bare zip or XML error.

The rest are small, pure helpers the loaders share for the Home Office table layout:
footnote markers on labels (``Lancashire1``), header rows found by their text, and
trailing empty cells.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from eqlib.errors import DataError

Row = list[Any]

_EXPECTED = "a complete OpenDocument spreadsheet (.ods) as published"


def sheet_names(path: str | Path) -> list[str]:
    """The names of the sheets of an ODS workbook (raises :class:`DataError` if unreadable)."""
    return list(_open(Path(path)).sheet_names)


def _open(path: Path):
    from python_calamine import CalamineError, CalamineWorkbook

    if not path.exists():
        raise DataError("the file does not exist", file=str(path), expected=_EXPECTED)
    if path.stat().st_size == 0:
        raise DataError("the file is empty", file=str(path), expected=_EXPECTED)
    try:
        return CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise DataError(
            f"cannot open the spreadsheet: it is truncated or corrupt ({exc})",
            file=str(path),
            expected=_EXPECTED,
        ) from None


def read_sheet(path: str | Path, sheet: str) -> list[Row]:
    """Read one sheet of an ODS workbook as a list of rows (lists of cell values).

    Empty cells are ``""``; numbers are ``float``; dates are ``datetime``. Rows keep their
    position in the sheet (row ``i`` of the list is spreadsheet row ``i + 1``), so an error
    can name the row an analyst sees. Trailing empty cells are kept as calamine gives them.

    Raises
    ------
    DataError
        If the file is missing, empty, truncated or corrupt, or has no sheet ``sheet``
        (the message lists the sheets it does have).
    """
    from python_calamine import CalamineError

    path = Path(path)
    workbook = _open(path)
    names = list(workbook.sheet_names)
    if sheet not in names:
        raise DataError(
            f"the workbook has no sheet {sheet!r}",
            file=str(path),
            expected=f"a sheet named {sheet!r} (the workbook has: {', '.join(names)})",
        )
    try:
        rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except (CalamineError, OSError, ValueError) as exc:
        raise DataError(
            f"cannot read sheet {sheet!r}: the file is truncated or corrupt ({exc})",
            file=str(path),
            expected=_EXPECTED,
        ) from None
    return [list(r) for r in rows]


def clean_label(value: object) -> str:
    """A row or column label without surrounding space, line breaks or a footnote number.

    ``"Lancashire1"`` -> ``"Lancashire"``; ``"Wiltshire2 "`` -> ``"Wiltshire"``;
    ``"CED not \\nstated"`` -> ``"CED not stated"``. Labels that are all digits are kept.
    """
    text = re.sub(r"\s+", " ", str(value if value is not None else "")).strip()
    if not text.isdigit():
        text = re.sub(r"(?<=[A-Za-z)])\d{1,2}$", "", text).strip()
    return text


def trim(row: Row) -> Row:
    """The row without trailing empty cells."""
    out = list(row)
    while out and (out[-1] is None or (isinstance(out[-1], str) and not out[-1].strip())):
        out.pop()
    return out


def is_blank(row: Row) -> bool:
    """True if every cell of the row is empty."""
    return not trim(row)


def find_row(rows: list[Row], first_cell: str, *, path: str | Path, sheet: str, start: int = 0) -> int:
    """Index of the first row at or after ``start`` whose first cell (cleaned) equals ``first_cell``.

    Matching ignores case. Raises :class:`DataError` if there is none, since the table
    layout is then not the one the loader was written for.
    """
    wanted = first_cell.casefold()
    for i in range(start, len(rows)):
        if rows[i] and clean_label(rows[i][0]).casefold() == wanted:
            return i
    raise DataError(
        f"sheet {sheet!r} has no header row starting {first_cell!r}",
        file=str(path),
        expected="the table layout of the published workbook",
    )


def resolve_area(label: str, *, file: str | Path, row: int, column: str):
    """The :class:`~eqlib.areas.Area` a table label names, or :class:`DataError` naming the cell.

    The error message carries the closest matches :func:`eqlib.areas.resolve` suggests.
    """
    from eqlib.areas import UnknownAreaError, resolve

    try:
        return resolve(label)
    except UnknownAreaError as exc:
        raise DataError(
            str(exc),
            file=str(file),
            row=row,
            column=column,
            value=label,
            expected="a police force area of England and Wales",
        ) from None


def period_fields(period) -> dict[str, object]:
    """``period``, ``period_start`` and ``period_end`` column values for a :class:`~eqlib.periods.Period`."""
    import pandas as pd

    return {
        "period": period.label,
        "period_start": pd.Timestamp(period.start),
        "period_end": pd.Timestamp(period.end),
    }


def check_unique(frame, key: list[str], *, file: str | Path, what: str) -> None:
    """Raise :class:`DataError` if two rows of one file share ``key`` (e.g. a force listed twice)."""
    if frame.empty:
        return
    dup = frame.duplicated(key, keep=False)
    if dup.any():
        example = frame.loc[dup, key].iloc[0].to_dict()
        raise DataError(
            f"{what}: the same {', '.join(key)} appears more than once",
            file=str(file),
            value=example,
            expected="one row for each",
        )
