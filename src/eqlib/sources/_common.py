"""Helpers shared by the loaders: reading counts with GSS symbols, logging rows in and out, and
reading a CSV's rows (an unterminated quote refused, blank lines counted, field counts checked)."""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from eqlib.errors import DataError

log = logging.getLogger("eqlib.sources")

# GSS shorthand -> (symbol, reason). Missing is never zero.
_SYMBOLS: dict[str, tuple[str, str]] = {
    "[c]": ("[c]", "confidential (suppressed by the publisher)"),
    "[x]": ("[x]", "not available"),
    "[z]": ("[z]", "not applicable"),
    "[u]": ("[u]", "low reliability"),
    "[low]": ("[u]", "low reliability"),
    "..": ("[x]", "not available ('..' in the source)"),
    "*": ("[c]", "suppressed ('*' in the source)"),
    ":": ("[x]", "not available (':' in the source)"),
    "n/a": ("[z]", "not applicable ('N/A' in the source)"),
    "na": ("[z]", "not applicable ('NA' in the source)"),
}
# '-' is nil (zero) in Home Office tables; callers that treat it otherwise pass dash_is_zero=False.
_DASHES = {"-", "–", "—"}


def parse_count(
    value: object,
    *,
    file: str | Path,
    row: int,
    column: str,
    dash_is_zero: bool = True,
    allow_blank: bool = False,
) -> tuple[float, str]:
    """Read one count cell: return ``(count, symbol)``.

    Numbers (``1,234``, ``12.0``) give ``(value, "")``. GSS symbols (``[c]``, ``[x]``, ``[z]``,
    ``[u]``) and shorthand (``..``, ``*``, ``:``, ``N/A``) give ``(nan, symbol)``. ``-`` is nil (0)
    in Home Office tables. A blank gives ``(nan, "[x]")`` only if ``allow_blank``. Anything else,
    and any negative number, raises :class:`DataError` naming file, row and column.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if allow_blank:
            return math.nan, "[x]"
        raise DataError(
            "empty count",
            file=str(file),
            row=row,
            column=column,
            expected="a whole number or a GSS symbol ([c], [x], [z], [u])",
        )
    if isinstance(value, bool):
        raise DataError(
            "not a count", file=str(file), row=row, column=column, value=value, expected="a whole number"
        )
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip()
        if text == "":
            return parse_count(None, file=file, row=row, column=column, allow_blank=allow_blank)
        if text.lower() in _SYMBOLS:
            return math.nan, _SYMBOLS[text.lower()][0]
        if text in _DASHES:
            if dash_is_zero:
                return 0.0, ""
            return math.nan, "[x]"
        cleaned = re.sub(r"[,\s]", "", text)
        try:
            number = float(cleaned)
        except ValueError:
            raise DataError(
                "not a number",
                file=str(file),
                row=row,
                column=column,
                value=text,
                expected="a whole number or a GSS symbol ([c], [x], [z], [u], '..')",
            ) from None
    if math.isnan(number) or math.isinf(number):
        raise DataError(
            "not a finite number",
            file=str(file),
            row=row,
            column=column,
            value=value,
            expected="a whole number",
        )
    if number < 0:
        raise DataError(
            "negative count",
            file=str(file),
            row=row,
            column=column,
            value=value,
            expected="a count of 0 or more",
        )
    return number, ""


def symbol_reason(symbol: str) -> str:
    """Plain-English reason for a GSS symbol."""
    return {
        "[c]": "confidential: suppressed to protect individuals",
        "[x]": "not available",
        "[z]": "not applicable",
        "[u]": "low reliability",
        "": "",
    }[symbol]


def log_rows(
    dataset: str,
    *,
    rows_in: int,
    rows_out: int,
    dropped: dict[str, int] | None = None,
    records_in: float | None = None,
    records_out: float | None = None,
) -> None:
    """Log rows in and out, and every reason rows were set aside (never silently)."""
    dropped = dropped or {}
    detail = "; ".join(f"{n} {why}" for why, n in dropped.items() if n)
    log.info("%s: %d rows in, %d rows out%s", dataset, rows_in, rows_out, f" ({detail})" if detail else "")
    if records_in is not None and records_out is not None and not math.isclose(records_in, records_out):
        raise AssertionError(
            f"{dataset}: records in ({records_in:,.0f}) do not reconcile with records out ({records_out:,.0f})"
        )


def latest_edition(
    frame: pd.DataFrame, *, key: list[str], edition: str, dataset: str, reason: str, reconcile: bool = True
) -> pd.DataFrame:
    """Keep, for each ``key``, the row of the latest ``edition`` (a later release revises an earlier
    one); log the superseded rows as set aside, and reconcile records in with kept + superseded."""
    frame = frame.sort_values([*key, edition], kind="stable")
    latest = ~frame.duplicated(key, keep="last")
    out = frame[latest].reset_index(drop=True)
    superseded = frame[~latest]
    log_rows(
        dataset,
        rows_in=len(frame),
        rows_out=len(out),
        dropped={reason: len(superseded)},
        records_in=float(frame["count"].sum()) if reconcile else None,
        records_out=float(out["count"].sum() + superseded["count"].sum()) if reconcile else None,
    )
    return out


def read_csv_text(path: Path) -> str:
    """Read a CSV's text: UTF-8 (with or without BOM), else cp1252, with the encoding logged."""
    data = path.read_bytes()
    if not data.strip():
        raise DataError("the file is empty", file=str(path), expected="a header row and data rows")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != "utf-8-sig":
            log.info("%s: read as %s (not UTF-8)", path, encoding)
        return text
    raise DataError("cannot decode the file", file=str(path), expected="UTF-8 or Windows-1252 text")


def finalise(frame: pd.DataFrame, *, dataset: str) -> pd.DataFrame:
    """Add the dataset id, order columns, and validate against the tidy schema."""
    from eqlib.schemas import COUNT_COLUMNS, validate_counts

    out = frame.copy()
    out["dataset"] = dataset
    if "symbol" not in out:
        out["symbol"] = ""
    extra = [c for c in out.columns if c not in COUNT_COLUMNS]
    out = out[[*COUNT_COLUMNS, *extra]].reset_index(drop=True)
    return validate_counts(out, source=dataset)


# --------------------------------------------------------------------------------------------
# CSV rows
# --------------------------------------------------------------------------------------------


class OpenQuote(NamedTuple):
    """Where a quoted CSV field opens that no quote closes (lines and fields numbered from 1)."""

    line: int  #: the line the opening quote is on
    field: int  #: the field it opens, counted along that record
    line_start: int  #: offset in the text of the start of that line (the records before it end there)
    offset: int  #: offset of the opening quote


_UNQUOTED_STOP = re.compile(r'[",\r\n]')


def open_quote(text: str) -> OpenQuote | None:
    """The quoted field that runs to the end of ``text`` (an unterminated quote), or None.

    Reads as :mod:`csv` does (Excel dialect): a ``"`` opens a quoted field only at the start of a
    field; inside it ``""`` is a quote and a lone ``"`` closes it; line breaks (``\\r\\n``, ``\\n``
    or ``\\r``) inside it belong to the field. :mod:`csv` itself reads an unterminated quote as one
    field holding the rest of the file, which would silently swallow every later row.
    """
    if '"' not in text:
        return None
    line, field, line_start, i, n = 1, 1, 0, 0, len(text)
    while i < n:
        if text[i] == '"':  # at the start of a field: a quoted field
            opened = OpenQuote(line, field, line_start, i)
            i += 1
            while True:
                close = text.find('"', i)
                if close < 0:
                    return opened
                line += text.count("\n", i, close) + len(re.findall(r"\r(?!\n)", text[i:close]))
                if text.startswith('""', close):
                    i = close + 2
                    continue
                i = close + 1
                break
        match = _UNQUOTED_STOP.search(text, i)  # the rest of the field is unquoted
        while match is not None and match.group() == '"':  # a quote inside a field is a character
            match = _UNQUOTED_STOP.search(text, match.end())
        if match is None:
            return None
        i = match.end()
        if match.group() == ",":
            field += 1
            continue
        if match.group() == "\r" and text.startswith("\n", i):
            i += 1
        line, field, line_start = line + 1, 1, i
    return None


def unterminated_quote_error(path: Path, text: str, where: OpenQuote) -> DataError:
    """The :class:`DataError` for an unterminated quote: the row it opens on, its column (named by
    the header when the header is above it), the start of the field, and what was expected."""
    column = f"field {where.field}"
    above = csv.reader(io.StringIO(text[: where.line_start], newline=""))
    names = next((r for r in above if any(c.strip() for c in r)), [])
    if where.field <= len(names) and names[where.field - 1].strip():
        column = names[where.field - 1].strip()
    start = text[where.offset : where.offset + 41].splitlines()[0]
    return DataError(
        "unterminated quote: the quoted value that starts here is never closed, so it would swallow "
        "every row after it",
        file=str(path),
        row=where.line,
        column=column,
        value=start if len(start) <= 40 else start[:40] + "...",
        expected="a closing quote at the end of the value (a value with a comma or a line break is "
        'written "like, this"; a quote inside it is doubled "")',
    )


def read_csv_rows(path: Path) -> list[list[str]]:
    """Every record of a CSV (:func:`read_csv_text`); :class:`DataError` for an unterminated quote."""
    text = read_csv_text(path)
    where = open_quote(text)
    if where is not None:
        raise unterminated_quote_error(path, text, where)
    return list(csv.reader(io.StringIO(text, newline="")))


class CsvRows:
    """The rows of a CSV file, read once: ``lines[0]`` is row 1 (a header); :meth:`records` gives the
    data rows with their row numbers, skips (and counts) blank lines and checks the field count."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.lines = read_csv_rows(self.path)
        self.blank = 0  #: blank lines skipped by :meth:`records`
        self._seen: dict[Hashable, int] = {}

    def records(
        self, *, first_row: int, width: int, expected: str, show_fields: bool = False
    ) -> Iterator[tuple[int, tuple[str, ...]]]:
        """``(row, stripped fields)`` of each non-blank row from ``first_row``; a row with other than
        ``width`` fields is a :class:`DataError` "wrong number of fields (n)" expecting ``expected``
        (the fields themselves shown when ``show_fields``)."""
        for number, fields in enumerate(self.lines[first_row - 1 :], start=first_row):
            if not fields or all(not f.strip() for f in fields):
                self.blank += 1
                continue
            if len(fields) != width:
                raise DataError(
                    f"wrong number of fields ({len(fields)})",
                    file=str(self.path),
                    row=number,
                    value=fields if show_fields else None,
                    expected=expected,
                )
            yield number, tuple(f.strip() for f in fields)

    def once(
        self, key: Hashable, row: int, *, message: str, column: str, value: object, expected: str
    ) -> None:
        """Note that ``key`` is in ``row``; a :class:`DataError` "``message`` (first at row n)" if an
        earlier row had it."""
        if key in self._seen:
            raise DataError(
                f"{message} (first at row {self._seen[key]})",
                file=str(self.path),
                row=row,
                column=column,
                value=value,
                expected=expected,
            )
        self._seen[key] = row
