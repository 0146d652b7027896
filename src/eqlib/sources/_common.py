"""Helpers shared by the loaders: reading counts with GSS symbols, logging rows in and out."""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

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
