"""Reporting periods: financial years (April to March, the default), calendar years and months.

A period has a label and explicit start and end dates (inclusive). Labels:
``2021-22`` (financial year 1 April 2021 to 31 March 2022), ``2021`` (calendar year),
``2021-04`` (month). ``2021/22`` and ``202122`` are accepted for financial years.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from eqlib.errors import UsageError


class PeriodError(ValueError):
    """A period label that cannot be read."""


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    label: str
    kind: str  # "financial_year", "calendar_year", "month", "as_at"

    @property
    def display(self) -> str:
        """Label as GSS style writes it: 2021/22 for a financial year."""
        if self.kind == "financial_year":
            return self.label.replace("-", "/")
        if self.kind == "month":
            return self.start.strftime("%B %Y")
        if self.kind == "as_at":
            return f"as at {self.start.day} {self.start.strftime('%B %Y')}"
        return self.label


def financial_year(start_year: int) -> Period:
    return Period(
        date(start_year, 4, 1),
        date(start_year + 1, 3, 31),
        f"{start_year}-{(start_year + 1) % 100:02d}",
        "financial_year",
    )


def calendar_year(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), str(year), "calendar_year")


def month(year: int, month_number: int) -> Period:
    last = calendar.monthrange(year, month_number)[1]
    return Period(
        date(year, month_number, 1), date(year, month_number, last), f"{year}-{month_number:02d}", "month"
    )


def as_at(day: date) -> Period:
    """A snapshot (workforce 'as at 31 March')."""
    return Period(day, day, day.isoformat(), "as_at")


#: The financial years eqlib will read as a reporting year (starting April of): a sane range around the
#: data (March 2003 to 2024-25); a year outside is refused with this range in the message. A year inside
#: it with no data at all is refused by ``eqlib run`` naming what the data cover.
REPORT_FIRST_YEAR = 1980
REPORT_LAST_YEAR = 2049


def report_years_text() -> str:
    return f"{financial_year(REPORT_FIRST_YEAR).label} to {financial_year(REPORT_LAST_YEAR).label}"


def check_report_year(period: Period, given: object = None) -> Period:
    """``period`` if it is a financial year eqlib reports on, else :class:`PeriodError` naming the range."""
    if not REPORT_FIRST_YEAR <= period.start.year <= REPORT_LAST_YEAR:
        shown = str(period.label if given is None else given)[:40]
        raise PeriodError(
            f"{shown!r} is outside the years eqlib reports on; expected a financial year from "
            f"{report_years_text()}"
        )
    return period


def parse(label: str | int) -> Period:
    """Read a period label: ``2021-22``, ``2021/22``, ``202122``, ``2021``, ``2021-04`` or a
    snapshot date ``2021-03-31`` (:func:`as_at`).

    A label whose year Python cannot hold as a date (``0000``, ``9999-00``) is a :class:`PeriodError`."""
    try:
        return _parse(label)
    except (ValueError, OverflowError) as exc:
        if isinstance(exc, PeriodError):
            raise
        text = str(label).strip()
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise PeriodError(f"Cannot read the period {shown!r}: the year is out of range ({exc})") from None


def _shown(label: object) -> str:
    text = label if isinstance(label, str) else str(label)
    return (
        repr(text if len(text) <= 40 else text[:37] + "...")
        if isinstance(label, str)
        else (text if len(text) <= 40 else text[:37] + "...")
    )


def _parse(label: str | int) -> Period:
    text = str(label).strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if m:
        try:
            return as_at(date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
        except ValueError:
            raise PeriodError(f"Cannot read the period {_shown(label)}: not a real date") from None
    m = re.fullmatch(r"(\d{4})\s*[-/]\s*(\d{2}|\d{4})", text)
    if m:
        first, second = int(m.group(1)), m.group(2)
        if len(second) == 2 and int(second) == (first + 1) % 100:
            return financial_year(first)
        if len(second) == 4 and int(second) == first + 1:
            return financial_year(first)
        if len(second) == 2 and 1 <= int(second) <= 12:
            return month(first, int(second))
    m = re.fullmatch(r"(\d{4})(\d{2})", text)
    if m and int(m.group(2)) == (int(m.group(1)) + 1) % 100:
        return financial_year(int(m.group(1)))
    if re.fullmatch(r"\d{4}", text):
        return calendar_year(int(text))
    raise PeriodError(
        f"Cannot read the period {_shown(label)}: expected a financial year such as 2021-22 "
        "(or 2021/22), a calendar year such as 2021, a month such as 2021-04, or a date such as 2021-03-31"
    )


def financial_year_of(day: date) -> Period:
    """The financial year (April to March) containing ``day``."""
    return financial_year(day.year if day.month >= 4 else day.year - 1)


def normalise_year(year: str | int) -> Period:
    """A financial year from ``2021``, ``2021-22``, ``2021/22`` or ``202122``.

    A bare year means the financial year starting in April of that year (``2021`` is 2021/22),
    as the CLI help says.
    """
    text = str(year).strip()
    shown = repr(text if len(text) <= 40 else text[:37] + "...")
    try:
        if re.fullmatch(r"\d{4}", text):
            return check_report_year(financial_year(int(text)), text)
        period = parse(text)
    except (PeriodError, ValueError) as exc:
        if not isinstance(exc, PeriodError):  # year 0000 or 9999 (no such date for Python)
            exc = (
                f"{shown} is outside the years eqlib reports on; expected a financial year from "
                f"{report_years_text()}"
            )
        raise UsageError(f"--year {shown}: {exc}") from None
    if period.kind != "financial_year":
        raise UsageError(
            f"--year {shown}: expected a financial year such as 2021-22 (or 2021, 2021/22); "
            f"this reads as a {period.kind.replace('_', ' ')}"
        )
    try:
        return check_report_year(period, text)
    except PeriodError as exc:
        raise UsageError(f"--year {shown}: {exc}") from None
