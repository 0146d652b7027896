"""An analyst's own local files: CSV templates, a validator and a reader.

No national source shipped with eqlib covers force and OPCC workforce by ethnicity, sex and
rank after 2006, complaints, victims' services, satisfaction, hate crime for every force,
custody, independent custody visiting or local use-of-force returns. A PCC's office keeps
these figures itself; it fills in one CSV per template (``data/templates/*.csv``, documented
in ``data/templates/README.md``) and eqlib reads them into the same tidy count frame as every
other source (:data:`eqlib.schemas.COUNTS`, dataset ``local:<template>``).

Public API
----------
- :data:`TEMPLATES`: template name -> :class:`Template` (its column spec);
- :func:`validate`: every :class:`Problem` in a file (file, row, column, value, expected),
  not just the first;
- :func:`read_local`: the tidy frame, or :class:`~eqlib.errors.DataError` on the first problem;
- :func:`load_local_dir`: every CSV in an analyst's folder, as ``{template: frame}``;
- :func:`cmd_validate`: ``eqlib data validate FILE [--template NAME]`` (exit 0 valid, 2 not).

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row row 2.
Missing is never zero: a GSS symbol (``[c]``, ``[x]``, ``[z]``, ``[u]``, or the shorthand ``..``
and ``*``) gives a missing count with its symbol and reason. ``-`` is refused in local files
(nil in Home Office tables, "not available" in others): write ``0`` or ``[x]``.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import io
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from eqlib import areas, ethnicity, periods
from eqlib.errors import DataError, UsageError
from eqlib.sources._common import (
    _DASHES,
    _SYMBOLS,
    finalise,
    log_rows,
    open_quote,
    parse_count,
    read_csv_text,
    unterminated_quote_error,
)

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# Allowed values
# --------------------------------------------------------------------------------------------

CHARACTERISTICS: tuple[str, ...] = (
    "ethnicity",
    "sex",
    "age",
    "disability",
    "religion",
    "sexual_orientation",
    "gender_reassignment",
)

#: Canonical group labels of each characteristic other than ethnicity and age, with the
#: spellings accepted for them (matched case-insensitively, spaces collapsed).
GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "sex": {
        "Female": ("female", "f", "women", "woman"),
        "Male": ("male", "m", "men", "man"),
        "Other": ("other", "intersex"),
        "Not stated": ("not stated", "not recorded", "unknown", "prefer not to say"),
    },
    "disability": {
        "Disabled": ("disabled", "yes", "has a disability", "has a disability or health condition"),
        "Not disabled": ("not disabled", "no", "no disability"),
        "Not stated": ("not stated", "not recorded", "unknown", "prefer not to say"),
    },
    "religion": {
        "No religion": ("no religion", "none"),
        "Christian": ("christian",),
        "Buddhist": ("buddhist",),
        "Hindu": ("hindu",),
        "Jewish": ("jewish",),
        "Muslim": ("muslim",),
        "Sikh": ("sikh",),
        "Other religion": ("other religion", "any other religion", "other"),
        "Not stated": ("not stated", "not answered", "not recorded", "unknown", "prefer not to say"),
    },
    "sexual_orientation": {
        "Straight or Heterosexual": ("straight or heterosexual", "heterosexual", "straight"),
        "Gay or Lesbian": ("gay or lesbian", "gay", "lesbian", "gay/lesbian", "gay man", "gay woman/lesbian"),
        "Bisexual": ("bisexual",),
        "Other sexual orientation": ("other sexual orientation", "all other sexual orientations", "other"),
        "Not stated": ("not stated", "not answered", "not recorded", "unknown", "prefer not to say"),
    },
    "gender_reassignment": {
        "Same as sex registered at birth": (
            "same as sex registered at birth",
            "gender identity the same as sex registered at birth",
        ),
        "Different from sex registered at birth": (
            "different from sex registered at birth",
            "gender identity different from sex registered at birth",
            "trans woman",
            "trans man",
            "non-binary",
            "all other gender identities",
            "trans",
        ),
        "Not stated": ("not stated", "not answered", "not recorded", "unknown", "prefer not to say"),
    },
}

_AGE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(\d{1,3})\s*(?:-|to|–)\s*(\d{1,3})$"), "{0}-{1}"),
    (re.compile(r"^(?:under|<)\s*(\d{1,3})$"), "under {0}"),
    (re.compile(r"^(\d{1,3})\s*(?:\+|and over|or over|and older)$"), "{0} and over"),
)
_AGE_EXPECTED = "an age band such as 'under 18', '18-24' or '65 and over', or 'Not stated'"
_NOT_STATED = ("not stated", "not recorded", "unknown", "prefer not to say")
_TOTAL_LABELS = ("total", "all", "all groups", "grand total")

#: Hate crime strands monitored by the Home Office, plus "other" for a force's local strands.
STRANDS: dict[str, tuple[str, ...]] = {
    "race": ("race", "racial", "race or ethnicity"),
    "religion": ("religion", "religious", "religion or belief", "faith"),
    "sexual_orientation": ("sexual orientation", "sexual_orientation", "homophobic"),
    "disability": ("disability", "disablist"),
    "transgender": ("transgender", "transgender identity", "transphobic", "gender identity"),
    "other": ("other", "alternative subculture", "sex or gender", "misogyny"),
}

#: Tactics of the Home Office use-of-force return (the leaves of Table 16).
TACTICS: tuple[str, ...] = (
    "tactical_communication",
    "compliant_handcuffing",
    "non_compliant_handcuffing",
    "handcuffing_not_stated",
    "limb_body_restraints",
    "ground_restraint",
    "unarmed_skills",
    "baton_drawn",
    "baton_used",
    "irritant_spray_drawn",
    "irritant_spray_used",
    "spit_and_bite_guard",
    "shield",
    "taser_drawn",
    "taser_aimed",
    "taser_arced",
    "taser_red_dotted",
    "taser_drive_stun",
    "taser_angled_drive_stun",
    "taser_fired",
    "aep_drawn",
    "aep_used",
    "firearms_aimed",
    "firearms_fired",
    "dog_deployed",
    "dog_bite",
    "other_improvised",
    "incidents",
)

_ETHNICITY_CLASSIFICATIONS: tuple[ethnicity.Classification, ...] = (
    "ho",
    "census2021",
    "census2011",
    "policeuk_self",
    "officer",
)
_ETHNICITY_EXPECTED = (
    "an ethnicity label eqlib knows: a broad group (Asian, Black, Mixed, White, Other, Not stated), "
    "a Home Office table label such as 'Black (or Black British)', or a Census 2021 or 2011 category "
    "such as 'White: Irish' (see data/templates/README.md)"
)


# --------------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a template.

    ``kind`` is one of: ``area``, ``period``, ``as_at``, ``characteristic``, ``group``, ``count``,
    ``denominator``, ``choice`` (one of ``choices``), ``strand``, ``sex`` (a sex group, or blank or
    ``all`` for both: a cross-tabulation column), ``text`` (free, non-empty) and
    ``notes`` (free, may be empty).
    """

    name: str
    kind: str
    description: str
    required: bool = True
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    """A local-file template: its columns, the columns that identify a row, and its counts."""

    name: str
    title: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    count_column: str = "count"
    denominator_column: str | None = None
    measure_column: str | None = None  # renamed to ``measure`` in the tidy frame
    note: str = ""
    source: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def header(self) -> str:
        return ",".join(self.names)


_AREA = Column("area", "area", "police force area: name, ONS code (W15000003) or slug (south-wales)")
_PERIOD = Column(
    "period", "period", "financial year 2021-22 (or 2021/22), calendar year 2021, or month 2021-04"
)
_CHAR = Column("characteristic", "characteristic", "protected characteristic", choices=CHARACTERISTICS)
_GROUP = Column("group", "group", "the group within the characteristic, as your system labels it")
_COUNT = Column("count", "count", "a whole number, or a GSS symbol: [c] [x] [z] [u] (also '..', '*')")
_DENOM = Column(
    "denominator",
    "denominator",
    "optional: the base the count is a share of (e.g. all referrals); blank if none",
    required=False,
)
_NOTES = Column("notes", "notes", "optional free text (caveats, definitions)", required=False)


def _measure(name: str, choices: tuple[str, ...], description: str) -> Column:
    return Column(name, "choice", description, choices=choices)


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            "workforce",
            "Force and OPCC workforce by ethnicity, sex and rank or grade",
            (
                _AREA,
                Column(
                    "organisation",
                    "choice",
                    "force or opcc (the Commissioner's office)",
                    choices=("force", "opcc"),
                ),
                Column(
                    "worker_type",
                    "choice",
                    "officer, staff, pcso or special (opcc: staff only)",
                    choices=("officer", "staff", "pcso", "special"),
                ),
                Column("rank", "text", "rank (officers) or grade (staff); 'all' when not broken down"),
                Column("as_at", "as_at", "snapshot date, YYYY-MM-DD (e.g. 2022-03-31)"),
                _CHAR,
                _GROUP,
                Column(
                    "sex",
                    "sex",
                    "optional cross-tabulation: Female or Male for ethnicity by sex; blank or 'all' for both",
                    required=False,
                ),
                Column("headcount", "count", "headcount (people, not FTE), or a GSS symbol"),
                _NOTES,
            ),
            key=("area", "organisation", "worker_type", "rank", "as_at", "characteristic", "group", "sex"),
            count_column="headcount",
            source="Force HR system (People Services) workforce returns; the OPCC's own HR records",
        ),
        Template(
            "complaints",
            "Complaints and allegations by protected characteristic of the complainant",
            (
                _AREA,
                _PERIOD,
                _CHAR,
                _GROUP,
                _measure(
                    "complaint_measure",
                    ("complaint_cases", "allegations", "complainants"),
                    "complaint_cases, allegations or complainants",
                ),
                _COUNT,
                _DENOM,
                _NOTES,
            ),
            key=("area", "period", "characteristic", "group", "complaint_measure"),
            denominator_column="denominator",
            measure_column="complaint_measure",
            source="Professional Standards Department complaint records (Centurion); IOPC complaint statistics",
        ),
        Template(
            "victims_services",
            "Victims' services referrals and take-up by protected characteristic",
            (
                _AREA,
                _PERIOD,
                Column("service", "text", "the service (e.g. the commissioned victim care provider)"),
                _measure(
                    "service_measure",
                    ("referrals", "take_up"),
                    "referrals (offered the service) or take_up (engaged with it)",
                ),
                _CHAR,
                _GROUP,
                _COUNT,
                _DENOM,
                _NOTES,
            ),
            key=("area", "period", "service", "service_measure", "characteristic", "group"),
            denominator_column="denominator",
            measure_column="service_measure",
            source="Commissioned victims' services provider returns (quarterly performance reports)",
        ),
        Template(
            "satisfaction",
            "Service user satisfaction by protected characteristic",
            (
                _AREA,
                _PERIOD,
                Column(
                    "survey", "text", "the survey or question (e.g. 'victim satisfaction: whole experience')"
                ),
                _CHAR,
                _GROUP,
                Column("respondents", "denominator", "people who answered the question"),
                Column("satisfied", "count", "of whom satisfied (fairly or completely)"),
                _NOTES,
            ),
            key=("area", "period", "survey", "characteristic", "group"),
            count_column="satisfied",
            denominator_column="respondents",
            source="Force or OPCC user satisfaction survey (victim satisfaction survey) results",
        ),
        Template(
            "hate_crime",
            "Hate crimes and incidents by strand",
            (
                _AREA,
                _PERIOD,
                Column(
                    "strand", "strand", "race, religion, sexual_orientation, disability, transgender or other"
                ),
                _measure("hate_measure", ("crimes", "incidents"), "crimes (recorded) or incidents"),
                _COUNT,
                _NOTES,
            ),
            key=("area", "period", "strand", "hate_measure"),
            measure_column="hate_measure",
            note="A crime with two strands is counted under each, so strands do not sum to the total.",
            source="Force hate crime recording (crime system flags), as returned to the Home Office",
        ),
        Template(
            "custody",
            "Custody detentions and strip searches by ethnicity (or other characteristic)",
            (
                _AREA,
                _PERIOD,
                _measure(
                    "custody_measure",
                    (
                        "detentions",
                        "strip_searches",
                        "intimate_searches",
                        "children_detained_overnight",
                        "mental_health_detentions",
                    ),
                    "detentions, strip_searches, intimate_searches, children_detained_overnight or "
                    "mental_health_detentions",
                ),
                _CHAR,
                _GROUP,
                _COUNT,
                _DENOM,
                _NOTES,
            ),
            key=("area", "period", "custody_measure", "characteristic", "group"),
            denominator_column="denominator",
            measure_column="custody_measure",
            source="Custody records system extracts (e.g. NICHE, Athena, Connect custody modules)",
        ),
        Template(
            "custody_visits",
            "Independent custody visitors' records by ethnicity of detainee",
            (
                _AREA,
                _PERIOD,
                _measure(
                    "visit_measure",
                    (
                        "visits",
                        "detainees_in_custody",
                        "detainees_seen",
                        "detainees_declined",
                        "issues_raised",
                    ),
                    "visits, detainees_in_custody, detainees_seen, detainees_declined or issues_raised",
                ),
                _CHAR,
                _GROUP,
                _COUNT,
                _DENOM,
                _NOTES,
            ),
            key=("area", "period", "visit_measure", "characteristic", "group"),
            denominator_column="denominator",
            measure_column="visit_measure",
            source="The OPCC's independent custody visiting (ICV) scheme records and visit reports",
        ),
        Template(
            "use_of_force",
            "Use of force (Taser and other tactics) by perceived ethnicity, from local returns",
            (
                _AREA,
                _PERIOD,
                Column(
                    "tactic",
                    "choice",
                    "a Home Office use-of-force tactic, e.g. taser_drawn, taser_fired",
                    choices=TACTICS,
                ),
                _CHAR,
                _GROUP,
                _COUNT,
                _NOTES,
            ),
            key=("area", "period", "tactic", "characteristic", "group"),
            note="Ethnicity is as perceived by the officer; the unit is a tactic used in an incident, not a person.",
            source="The force's use-of-force returns to the Home Office (the officer's use-of-force form)",
        ),
    )
}


# --------------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a local file: where (file, row, column), what was found, what was expected."""

    file: str
    row: int | None
    column: str | None
    value: object
    expected: str | None
    message: str

    def to_error(self, more: int = 0) -> DataError:
        error = DataError(
            self.message,
            file=self.file,
            row=self.row,
            column=self.column,
            value=self.value,
            expected=self.expected,
        )
        if more:
            error.args = (
                f"{error.args[0]} (and {more} more problem{'s' if more > 1 else ''}: "
                f"run `eqlib data validate {self.file}` to list them all)",
            )
        return error

    def __str__(self) -> str:
        return str(self.to_error())


class _Problems:
    def __init__(self, file: str):
        self.file = file
        self.items: list[Problem] = []

    def add(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        expected: str | None = None,
    ) -> None:
        self.items.append(Problem(self.file, row, column, value, expected, message))

    def add_error(self, exc: DataError) -> None:
        self.items.append(
            Problem(
                self.file, exc.row, exc.column, exc.value, exc.expected, getattr(exc, "message", str(exc))
            )
        )


# --------------------------------------------------------------------------------------------
# Cell checks: each returns the parsed value, or records a problem and returns None
# --------------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).strip()).casefold()


def _header_name(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lstrip("\ufeff").casefold())


def _closest(value: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    close = difflib.get_close_matches(str(value), list(choices), n=3, cutoff=cutoff)
    return f" (closest: {', '.join(close)})" if close else ""


def _parse_area(value: str, row: int, column: str, problems: _Problems) -> areas.Area | None:
    try:
        return areas.resolve(value) if value.strip() else areas.resolve(None)  # type: ignore[arg-type]
    except areas.UnknownAreaError as exc:
        hint = re.search(r"Closest matches: (.*)\.$", str(exc))
        problems.add(
            "unknown police force area",
            row=row,
            column=column,
            value=value,
            expected="one of the 43 force areas of England and Wales (name, ONS code such as "
            "W15000003, or slug such as south-wales)"
            + (f"; closest matches: {hint.group(1)}" if hint else ""),
        )
        return None


def _in_report_years(
    period: periods.Period, value: str, row: int, column: str, problems: _Problems
) -> periods.Period | None:
    """``period`` if it starts in a year eqlib reports on (:data:`eqlib.periods.REPORT_FIRST_YEAR` to
    :data:`~eqlib.periods.REPORT_LAST_YEAR`), else a problem: ``1066-67`` or ``9999`` is a typo, and
    kept it would sit in the trends as an earlier (or later) year."""
    if periods.REPORT_FIRST_YEAR <= period.start.year <= periods.REPORT_LAST_YEAR:
        return period
    _out_of_range(value, row, column, problems)
    return None


def _out_of_range(value: str, row: int, column: str, problems: _Problems) -> None:
    problems.add(
        "outside the years eqlib reports on",
        row=row,
        column=column,
        value=value,
        expected=f"a period in the financial years {periods.report_years_text()}",
    )


def _parse_period(value: str, row: int, column: str, problems: _Problems) -> periods.Period | None:
    try:
        period = periods.parse(value)
    except periods.PeriodError as exc:
        if "out of range" in str(exc):  # 0000 or 9999-00: a year Python cannot hold as a date
            _out_of_range(value, row, column, problems)
            return None
        problems.add(
            "cannot read the period",
            row=row,
            column=column,
            value=value,
            expected="a financial year such as 2021-22 (or 2021/22), a calendar year such as 2021, "
            "or a month such as 2021-04",
        )
        return None
    return _in_report_years(period, value, row, column, problems)


_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})/(\d{1,2})/(\d{4})")


def _parse_as_at(value: str, row: int, column: str, problems: _Problems) -> periods.Period | None:
    text = value.strip()
    match = _DATE.fullmatch(text)
    message = "cannot read the date"
    if match is not None:
        y, m, d = match.groups()[:3] if match.group(1) else match.groups()[:2:-1]
        try:
            day = date(int(y), int(m), int(d))
        except ValueError as exc:  # 2024-02-30: the shape of a date, not a real one
            message = f"not a real date ({exc})"
        else:
            return _in_report_years(periods.as_at(day), value, row, column, problems)
    problems.add(
        message,
        row=row,
        column=column,
        value=value,
        expected="a date YYYY-MM-DD (e.g. 2022-03-31) or DD/MM/YYYY",
    )
    return None


def _parse_choice(value: str, col: Column, row: int, problems: _Problems) -> str | None:
    key = _header_name(value)
    if key in col.choices:
        return key
    problems.add(
        f"not an allowed {col.name}",
        row=row,
        column=col.name,
        value=value,
        expected="one of " + ", ".join(col.choices) + _closest(key, col.choices),
    )
    return None


def _parse_strand(value: str, row: int, column: str, problems: _Problems) -> str | None:
    key = _norm(value)
    for strand, spellings in STRANDS.items():
        if key in spellings:
            return strand
    problems.add(
        "unknown hate crime strand",
        row=row,
        column=column,
        value=value,
        expected="one of " + ", ".join(STRANDS) + " (the Home Office monitored strands, or other)",
    )
    return None


def group_of(characteristic: str, label: str) -> str:
    """The canonical group of ``label`` within ``characteristic``; raise ``ValueError`` if unknown.

    Ethnicity labels go through :func:`eqlib.ethnicity.broad_group` (Home Office, Census 2021 and
    2011, police.uk labels) to the broad groups; other characteristics use :data:`GROUPS`
    and, for age, bands such as ``18-24``, ``under 18`` and ``65 and over``.
    """
    text = _norm(label)
    if text == "":
        raise ValueError("empty group")
    if text in _TOTAL_LABELS:
        raise ValueError("a total row")
    if characteristic == "ethnicity":
        for classification in _ETHNICITY_CLASSIFICATIONS:
            try:
                return ethnicity.broad_group(label, classification)
            except ethnicity.UnknownEthnicityError:
                continue
        raise ValueError("unknown ethnicity label")
    if characteristic == "age":
        if text in _NOT_STATED:
            return "Not stated"
        for pattern, fmt in _AGE_PATTERNS:
            m = pattern.match(text)
            if m:
                numbers = [int(g) for g in m.groups()]
                if len(numbers) == 2 and numbers[0] > numbers[1]:
                    break
                return fmt.format(*numbers)
        raise ValueError("unknown age band")
    for group, spellings in GROUPS[characteristic].items():
        if text in spellings:
            return group
    raise ValueError(f"unknown {characteristic} group")


def _group_expected(characteristic: str, label: str) -> str:
    if characteristic == "ethnicity":
        known = [lab for c in _ETHNICITY_CLASSIFICATIONS for lab in ethnicity.labels(c)]
        return _ETHNICITY_EXPECTED + _closest(label, known)
    if characteristic == "age":
        return _AGE_EXPECTED
    return "one of " + ", ".join(GROUPS[characteristic]) + _closest(label, GROUPS[characteristic])


#: what a count cell may hold besides a GSS symbol: ASCII digits, commas only between groups of three,
#: an optional decimal part (refused later unless .0); anything else is refused, never reinterpreted
_PLAIN_NUMBER = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?", re.ASCII)


def _parse_number(
    value: str, row: int, column: str, problems: _Problems, *, allow_blank: bool
) -> tuple[float, str, str] | None:
    """Parse a count cell to ``(number, symbol, reason)``; blank gives ``(nan, '', '')`` if allowed."""
    text = value.strip()
    if text == "" and allow_blank:
        return math.nan, "", ""
    if text in _DASHES:
        problems.add(
            "'-' is ambiguous in a local file (nil in Home Office tables, not available elsewhere)",
            row=row,
            column=column,
            value=value,
            expected="0 for nil, or [x] if not available",
        )
        return None
    if text == "":
        problems.add(
            "empty count",
            row=row,
            column=column,
            value=value,
            expected="a whole number (0 if none), or a GSS symbol ([c], [x], [z], [u]) giving "
            "why it is missing",
        )
        return None
    if any(ch.isdigit() for ch in text) and not _PLAIN_NUMBER.fullmatch(text):
        problems.add(
            "not a plain number (only the digits 0-9, an optional decimal point, and commas "
            "between groups of three digits)",
            row=row,
            column=column,
            value=value,
            expected="a whole number written like 15 or 1,500 (not 1,5, 1_000, 1e3 or "
            "full-width digits), or a GSS symbol",
        )
        return None
    try:
        number, symbol = parse_count(text, file=problems.file, row=row, column=column)
    except DataError as exc:
        problems.add_error(exc)
        return None
    if symbol:
        return number, symbol, _SYMBOLS[text.lower()][1]
    if number != int(number):
        problems.add(
            "not a whole number",
            row=row,
            column=column,
            value=value,
            expected="a whole number of people or events (headcount, not FTE)",
        )
        return None
    return number, "", ""


# --------------------------------------------------------------------------------------------
# Reading a file
# --------------------------------------------------------------------------------------------


@dataclass
class _Parsed:
    template: Template | None
    rows: list[dict[str, object]] = field(default_factory=list)
    rows_in: int = 0
    blank_lines: int = 0


def _looks_like_data(cells: list[str]) -> bool:
    for cell in cells:
        text = cell.strip()
        if not text:
            continue
        if re.fullmatch(r"[\d,.\s]+", text) or areas.is_area_name(text):
            return True
    return False


def _choose_template(
    header: list[str], raw: list[str], template: str | None, problems: _Problems
) -> Template | None:
    names = set(header)
    expected_all = "; ".join(f"{t.name}: {t.header}" for t in TEMPLATES.values())
    if template is not None:
        if template not in TEMPLATES:
            raise UsageError(f"Unknown template {template!r}; known: {', '.join(TEMPLATES)}")
        return TEMPLATES[template]
    fits = [t for t in TEMPLATES.values() if set(t.required) <= names]
    if len(fits) == 1:
        return fits[0]
    if len(fits) > 1:  # pragma: no cover - the templates' headers are designed to differ
        exact = [t for t in fits if names <= set(t.names)]
        if len(exact) == 1:
            return exact[0]
        problems.add(
            "the header fits several templates",
            row=1,
            value=",".join(header),
            expected="--template NAME, one of " + ", ".join(t.name for t in fits),
        )
        return None
    known = {n for t in TEMPLATES.values() for n in t.names}
    if not names & known:
        if _looks_like_data(raw):
            problems.add(
                "missing header: the first row holds data, not column names",
                row=1,
                value=",".join(raw),
                expected="a header row, e.g. " + expected_all,
            )
        else:
            problems.add(
                "the header matches no template",
                row=1,
                value=",".join(raw),
                expected="the header of one of the templates: " + expected_all,
            )
        return None

    def overlap(t: Template) -> float:
        return len(names & set(t.names)) / len(names | set(t.names))

    best = max(TEMPLATES.values(), key=overlap)
    _check_header(
        header, best, problems, context=f"the header matches no template (the closest is {best.name!r}): "
    )
    return None


def _check_header(header: list[str], tmpl: Template, problems: _Problems, context: str = "") -> bool:
    ok = True
    seen: set[str] = set()
    missing = [n for n in tmpl.required if n not in header]
    for position, name in enumerate(header, start=1):
        if name == "":
            problems.add(
                context + "empty column name",
                row=1,
                column=f"#{position}",
                value="",
                expected=f"the {tmpl.name} header: {tmpl.header}",
            )
            ok = False
        elif name in seen:
            problems.add(
                context + "column appears twice", row=1, column=name, value=name, expected="each column once"
            )
            ok = False
        elif name not in tmpl.names:
            problems.add(
                context + f"unknown column for the {tmpl.name} template",
                row=1,
                column=name,
                value=name,
                expected="one of "
                + ", ".join(tmpl.names)
                + (_closest(name, tmpl.names) or _closest(name, missing))
                + (f"; missing: {', '.join(missing)}" if missing else ""),
            )
            ok = False
        seen.add(name)
    for name in tmpl.required:
        if name not in seen:
            problems.add(
                context + f"missing column for the {tmpl.name} template",
                row=1,
                column=name,
                expected=f"the {tmpl.name} header: {tmpl.header}",
            )
            ok = False
    return ok


def _parse_row(
    cells: dict[str, str], tmpl: Template, row: int, problems: _Problems, allow_examples: bool
) -> dict[str, object] | None:
    before = len(problems.items)
    out: dict[str, object] = {"source_row": row}
    characteristic: str | None = None
    for col in tmpl.columns:
        value = cells.get(col.name, "")
        kind = col.kind
        if kind == "area":
            area = _parse_area(value, row, col.name, problems)
            if area is not None:
                out["area_code"], out["area_name"] = area.code, area.name
        elif kind in ("period", "as_at"):
            period = (_parse_period if kind == "period" else _parse_as_at)(value, row, col.name, problems)
            if period is not None:
                out["period"] = period.label
                out["period_start"], out["period_end"] = period.start, period.end
        elif kind == "characteristic":
            characteristic = _parse_choice(value, col, row, problems)
            out["characteristic"] = characteristic
        elif kind == "group":
            if characteristic is None:
                continue  # already reported on the characteristic
            try:
                out["group"] = group_of(characteristic, value)
                out["source_label"] = value.strip()
            except ValueError as exc:
                problems.add(
                    str(exc) if characteristic in str(exc) else f"{exc} for {characteristic}",
                    row=row,
                    column=col.name,
                    value=value,
                    expected=(
                        "one row per group, without totals (eqlib adds them up)"
                        if str(exc) == "a total row"
                        else _group_expected(characteristic, value)
                    ),
                )
        elif kind == "strand":
            strand = _parse_strand(value, row, col.name, problems)
            if strand is not None:
                out["group"], out["source_label"], out["characteristic"] = (
                    strand,
                    value.strip(),
                    "hate_crime_strand",
                )
        elif kind in ("count", "denominator"):
            parsed = _parse_number(
                value, row, col.name, problems, allow_blank=not col.required and kind == "denominator"
            )
            if parsed is not None:
                target = "count" if kind == "count" else "denominator"
                out[target], out[f"{target}_symbol"], out[f"{target}_reason"] = parsed
        elif kind == "choice":
            choice = _parse_choice(value, col, row, problems)
            if choice is not None:
                out["measure" if col.name == tmpl.measure_column else col.name] = choice
        elif kind == "sex":
            text = _norm(value)
            if text in ("", "all"):
                out["sex"] = "all"
            elif characteristic == "sex":
                problems.add(
                    "sex is both the characteristic and the cross-tabulation",
                    row=row,
                    column=col.name,
                    value=value,
                    expected="blank or 'all' when the characteristic is sex",
                )
            else:
                try:
                    out["sex"] = group_of("sex", value)
                except ValueError:
                    problems.add(
                        "unknown sex",
                        row=row,
                        column=col.name,
                        value=value,
                        expected="blank or 'all' (both sexes), or one of " + ", ".join(GROUPS["sex"]),
                    )
        elif kind == "text":
            if value.strip() == "":
                problems.add(
                    f"empty {col.name}", row=row, column=col.name, value=value, expected=col.description
                )
            else:
                out[col.name] = value.strip()
        elif kind == "notes":
            out["notes"] = value.strip()
            if value.strip().upper().startswith("EXAMPLE") and not allow_examples:
                problems.add(
                    "an EXAMPLE row copied from the template",
                    row=row,
                    column=col.name,
                    value=value,
                    expected="your own figures: delete the template's example rows",
                )
    if len(problems.items) > before:
        return None
    count, denominator = out.get("count"), out.get("denominator")
    if (
        isinstance(count, float)
        and isinstance(denominator, float)
        and not math.isnan(count)
        and not math.isnan(denominator)
        and count > denominator
    ):
        problems.add(
            f"{tmpl.count_column} is larger than its {tmpl.denominator_column}",
            row=row,
            column=tmpl.count_column,
            value=cells.get(tmpl.count_column),
            expected=f"at most the {tmpl.denominator_column} ({cells.get(tmpl.denominator_column)})",
        )
        return None
    if tmpl.name == "workforce" and out.get("organisation") == "opcc" and out.get("worker_type") != "staff":
        problems.add(
            "the OPCC employs staff only",
            row=row,
            column="worker_type",
            value=cells.get("worker_type"),
            expected="staff when organisation is opcc",
        )
        return None
    return out


def _key_of(cells: dict[str, str], parsed: dict[str, object], tmpl: Template) -> tuple[object, ...]:
    key: list[object] = []
    for name in tmpl.key:
        col = tmpl.column(name)
        if col.kind == "area":
            key.append(parsed.get("area_code"))
        elif col.kind == "sex":
            key.append(parsed.get("sex"))
        elif col.kind in ("period", "as_at"):
            key.append(parsed.get("period"))
        else:
            key.append(_norm(cells.get(name, "")))
    return tuple(key)


def _check_duplicates(
    records: list[tuple[dict[str, str], dict[str, object]]], tmpl: Template, problems: _Problems
) -> None:
    seen: dict[tuple[object, ...], tuple[int, dict[str, str]]] = {}
    for cells, parsed in records:
        key = _key_of(cells, parsed, tmpl)
        row = int(parsed["source_row"])  # type: ignore[arg-type]
        if key in seen:
            first_row, first_cells = seen[key]
            same = {k: v.strip() for k, v in cells.items()} == {k: v.strip() for k, v in first_cells.items()}
            what = (
                f"duplicated row: row {row} repeats row {first_row} exactly"
                if same
                else f"row {row} has the same {', '.join(tmpl.key)} as row {first_row} but other figures"
            )
            problems.add(
                what,
                row=row,
                column=", ".join(tmpl.key),
                value=", ".join(cells.get(k, "") for k in tmpl.key),
                expected=f"one row for each {', '.join(tmpl.key)} (delete or merge rows "
                f"{first_row} and {row})",
            )
        else:
            seen[key] = (row, cells)


def _parse_file(path: Path, template: str | None, allow_examples: bool) -> tuple[_Parsed, list[Problem]]:
    path = Path(path)
    problems = _Problems(str(path))
    if template is not None and template not in TEMPLATES:
        raise UsageError(f"Unknown template {template!r}; known: {', '.join(TEMPLATES)}")
    try:
        text = read_csv_text(path)
    except DataError as exc:
        problems.add_error(exc)
        return _Parsed(None), problems.items
    except OSError as exc:
        problems.add(f"cannot read the file ({exc.strerror})", expected="a readable CSV file")
        return _Parsed(None), problems.items
    unterminated = open_quote(text)
    if unterminated is not None:  # csv would read the rest of the file as one value: refuse it, and
        problems.add_error(unterminated_quote_error(path, text, unterminated))
        text = text[: unterminated.line_start]  # check the rows above it as usual
        if not text.strip():
            return _Parsed(None), problems.items
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    parsed = _Parsed(None)
    records: list[tuple[dict[str, str], dict[str, object]]] = []
    try:
        for cells in reader:
            row = reader.line_num
            if not any(c.strip() for c in cells):
                parsed.blank_lines += 1
                continue
            if header is None:
                header = [_header_name(c) for c in cells]
                tmpl = _choose_template(header, cells, template, problems)
                if tmpl is None or not _check_header(header, tmpl, problems):
                    return parsed, problems.items
                parsed.template = tmpl
                continue
            parsed.rows_in += 1
            if len(cells) != len(header):
                problems.add(
                    f"the row has {len(cells)} fields, the header {len(header)}",
                    row=row,
                    value=",".join(cells),
                    expected=f"{len(header)} comma-separated fields (quote any value containing a comma)",
                )
                continue
            named = dict(zip(header, cells, strict=True))
            out = _parse_row(named, parsed.template, row, problems, allow_examples)  # type: ignore[arg-type]
            if out is not None:
                records.append((named, out))
    except csv.Error as exc:
        problems.add(
            f"the CSV cannot be read ({exc})",
            row=reader.line_num,
            expected="a well-formed CSV file (check the quotes)",
        )
    if header is None:
        problems.add("the file has no header and no rows", expected="a header row and data rows")
        return parsed, problems.items
    if parsed.template is not None:
        _check_duplicates(records, parsed.template, problems)
        _check_one_label_per_group(records, problems)
        _check_age_bands(records, parsed.template, problems)
        if parsed.template.name == "workforce":
            _check_rank_totals(records, problems)
    parsed.rows = [r for _, r in records]
    return parsed, problems.items


#: an ethnicity label naming a broad group itself ("Black", "Black or Black British", "Black (or Black
#: British)", "Mixed/Multiple ethnic groups"), not a detailed category ("Black African", "Asian - Indian")
_BROAD_LABEL = re.compile(r"(?i)(\w+)\|\1(?:(?: or |/| ?\()(?!.* - ).*)?$")


def _check_one_label_per_group(
    records: list[tuple[dict[str, str], dict[str, object]]], problems: _Problems
) -> None:
    """One group, one label within a file: ``Black`` in one row and ``Black (or Black British)`` in
    another are the same group written two ways (two classifications mixed, or rows pasted from two
    sources), so the file is refused rather than silently merged."""
    first: dict[tuple[object, object], tuple[str, int]] = {}
    for _cells, parsed in records:
        label, group = parsed.get("source_label"), parsed.get("group")
        characteristic = parsed.get("characteristic")
        if label is None or group is None or characteristic == "hate_crime_strand" or group == "Not stated":
            continue
        if characteristic == "ethnicity" and not _BROAD_LABEL.match(
            f"{group}|{' '.join(str(label).split())}"
        ):
            continue  # detailed categories (Indian, Pakistani, ...) of one broad group are added up
        key = (parsed.get("characteristic"), group)
        norm = " ".join(str(label).casefold().split())
        row = int(parsed["source_row"])  # type: ignore[arg-type]
        if key not in first:
            first[key] = (norm, row)
        elif first[key][0] != norm:
            problems.add(
                f"two labels for the group {group}: {label!r} here and another label in row {first[key][1]}",
                row=row,
                column="group",
                value=str(label),
                expected=f"one label for each group throughout the file (as in row {first[key][1]})",
            )


def age_span(band: str) -> tuple[int, float] | None:
    """The ages (inclusive) a canonical band of :func:`group_of` covers: ``18-24`` is (18, 24),
    ``under 18`` is (0, 17), ``65 and over`` is (65, inf); None for ``Not stated``."""
    if band.startswith("under "):
        return 0, int(band.removeprefix("under ")) - 1
    if band.endswith(" and over"):
        return int(band.removesuffix(" and over")), math.inf
    low, sep, high = band.partition("-")
    return (int(low), int(high)) if sep else None


def _ages(low: int, high: float) -> str:
    if high == math.inf:
        return f"ages {low} and over"
    return f"age {low}" if low == high else f"ages {low} to {high:.0f}"


def _check_age_bands(
    records: list[tuple[dict[str, str], dict[str, object]]], tmpl: Template, problems: _Problems
) -> None:
    """The age bands of one table (rows alike but for the group) must not overlap: ``18-24`` beside
    ``20-29``, or ``65 and over`` beside ``75 and over``, would count the people of the shared ages
    twice (two bandings mixed, or a total band left in), so the file is refused, never re-banded.
    Open bands cover every age beyond their bound: ``under 18`` is 0 to 17, ``65+`` is 65 and over."""
    tables: dict[tuple[object, ...], list[tuple[tuple[int, float], str, int]]] = {}
    for cells, parsed in records:
        span = age_span(str(parsed.get("group"))) if parsed.get("characteristic") == "age" else None
        if span is None:
            continue
        parts = zip(tmpl.key, _key_of(cells, parsed, tmpl), strict=True)
        key = tuple(k for name, k in parts if name != "group")  # the table: all but the group
        label, row = str(parsed["source_label"]), int(parsed["source_row"])  # type: ignore[call-overload]
        bands = tables.setdefault(key, [])
        for (low, high), other, other_row in bands:
            if (low, high) != span and span[0] <= high and low <= span[1]:
                problems.add(
                    f"age band {label!r} overlaps {other!r} in row {other_row}: "
                    f"{_ages(max(low, span[0]), min(high, span[1]))} would be counted twice",
                    row=row,
                    column="group",
                    value=label,
                    expected="age bands that do not overlap within a table, such as 'under 18', '18-24', "
                    f"'25-34' ... '65 and over' (keep {other!r} of row {other_row} or {label!r}, not both)",
                )
                break
        bands.append((span, label, row))


def _check_rank_totals(records: list[tuple[dict[str, str], dict[str, object]]], problems: _Problems) -> None:
    """Rank 'all' (not broken down) must not sit beside ranks of the same group: it would double count."""
    by_group: dict[tuple[object, ...], dict[str, int]] = {}
    for cells, parsed in records:
        group = (
            parsed.get("area_code"),
            parsed.get("organisation"),
            parsed.get("worker_type"),
            parsed.get("sex"),
            parsed.get("period"),
            parsed.get("characteristic"),
        )
        by_group.setdefault(group, {})[_norm(cells["rank"])] = int(parsed["source_row"])  # type: ignore[arg-type]
    for ranks in by_group.values():
        if "all" in ranks and len(ranks) > 1:
            other = min(r for k, r in ranks.items() if k != "all")
            problems.add(
                "rank 'all' sits beside single ranks of the same workforce and date",
                row=ranks["all"],
                column="rank",
                value="all",
                expected=f"either 'all' or one row per rank (see row {other}), not both",
            )


def validate(path: str | Path, template: str | None = None, *, allow_examples: bool = False) -> list[Problem]:
    """Every problem in a local file, in file order (an empty list if the file is valid).

    Parameters
    ----------
    path : the CSV file.
    template : a name in :data:`TEMPLATES`; inferred from the header when ``None``.
    allow_examples : accept rows whose notes start with ``EXAMPLE`` (the templates' own examples).
    """
    _, problems = _parse_file(Path(path), template, allow_examples)
    return sorted(problems, key=lambda p: p.row or 0)


def infer_template(path: str | Path) -> str:
    """The template a file's header matches; :class:`DataError` if none does."""
    parsed, problems = _parse_file(Path(path), None, True)
    if parsed.template is None:
        raise problems[0].to_error(len(problems) - 1)
    return parsed.template.name


def read_local(
    path: str | Path, template: str | None = None, *, allow_examples: bool = False
) -> pd.DataFrame:
    """Read a local file into the tidy count frame (:data:`eqlib.schemas.COUNTS`), dataset ``local:<template>``.

    Columns beyond the common ones: ``characteristic``, the template's dimensions (``measure``,
    ``organisation``, ``worker_type``, ``rank``, ``service``, ``survey``, ``tactic``), ``notes``,
    ``symbol_reason`` (why a count is missing), ``denominator_symbol``, ``source_file`` and
    ``source_row``. Raises :class:`DataError` on the first problem (saying how many more there are).
    Rows in == rows out (blank lines are counted and logged, not rows).
    """
    path = Path(path)
    parsed, problems = _parse_file(path, template, allow_examples)
    if problems:
        problems = sorted(problems, key=lambda p: p.row or 0)
        raise problems[0].to_error(len(problems) - 1)
    tmpl = parsed.template
    assert tmpl is not None
    frame = _to_frame(parsed.rows, tmpl, path)
    log_rows(
        f"local:{tmpl.name} ({path.name})",
        rows_in=parsed.rows_in,
        rows_out=len(frame),
        dropped={"blank lines skipped": parsed.blank_lines},
    )
    if parsed.rows_in != len(frame):  # pragma: no cover - every row is either read or a problem
        raise AssertionError(f"{path}: {parsed.rows_in} rows in but {len(frame)} rows out")
    return frame


def _to_frame(rows: list[dict[str, object]], tmpl: Template, path: Path) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    dims = [
        c.name for c in tmpl.columns if c.kind in ("choice", "text", "sex") and c.name != tmpl.measure_column
    ]
    if tmpl.measure_column:
        dims.insert(0, "measure")
    extra = ["characteristic", *dims, "notes"]
    if frame.empty:
        frame = pd.DataFrame(
            columns=[
                "area_code",
                "area_name",
                "period",
                "period_start",
                "period_end",
                "group",
                "source_label",
                "count",
                "count_symbol",
                "count_reason",
                *extra,
                "source_row",
            ]
        )
    for column in extra:
        if column not in frame:
            frame[column] = ""
    frame = frame.rename(columns={"count_symbol": "symbol", "count_reason": "symbol_reason"})
    frame["period_start"] = pd.to_datetime(frame["period_start"]).astype("datetime64[ns]")
    frame["period_end"] = pd.to_datetime(frame["period_end"]).astype("datetime64[ns]")
    frame["count"] = frame["count"].astype(float)
    if tmpl.denominator_column:
        if "denominator" not in frame:
            frame["denominator"], frame["denominator_symbol"] = math.nan, ""
        frame["denominator"] = frame["denominator"].astype(float)
        frame = frame.drop(columns=["denominator_reason"], errors="ignore")
    frame["source_file"] = path.name
    frame["source_row"] = frame["source_row"].astype(int)
    ordered = [
        c
        for c in ("denominator", *extra, "symbol_reason", "denominator_symbol", "source_file", "source_row")
        if c in frame
    ]
    out = finalise(frame[[*_BASE, *ordered]], dataset=f"local:{tmpl.name}")
    return out


_BASE = (
    "area_code",
    "area_name",
    "period",
    "period_start",
    "period_end",
    "group",
    "source_label",
    "count",
    "symbol",
)


# --------------------------------------------------------------------------------------------
# An analyst's folder
# --------------------------------------------------------------------------------------------


def load_local_dir(
    folder: str | Path, area: str, period: str | periods.Period | None = None, *, allow_examples: bool = False
) -> dict[str, pd.DataFrame]:
    """Read every CSV in an analyst's folder: ``{template: tidy frame}`` for one area.

    Every file is validated first; if any has problems, :class:`DataError` names the first (and
    how many there are in all). Files of the same template are combined, and the same key in two
    files is an error naming both. Rows for other areas, and (when ``period`` is given) for periods
    starting after it, are set aside and logged -- earlier periods are kept for trends and for
    "latest available". Templates with no row left are omitted (and logged).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(
            "the local data folder does not exist",
            file=str(folder),
            expected="a folder of CSV files made from data/templates",
        )
    target = areas.resolve(area)
    report_period = periods.parse(period) if isinstance(period, str | int) else period
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
    ignored = sorted(p.name for p in folder.iterdir() if p.is_file() and p.suffix.lower() != ".csv")
    if ignored:
        log.info("%s: not CSV, not read: %s", folder, ", ".join(ignored))
    parsed_files: list[tuple[Path, _Parsed]] = []
    problems: list[Problem] = []
    for path in files:
        parsed, found = _parse_file(path, None, allow_examples)
        problems.extend(sorted(found, key=lambda p: p.row or 0))
        parsed_files.append((path, parsed))
    if problems:
        raise problems[0].to_error(len(problems) - 1)
    by_template: dict[str, list[pd.DataFrame]] = {}
    for path, parsed in parsed_files:
        tmpl = parsed.template
        assert tmpl is not None
        frame = _to_frame(parsed.rows, tmpl, path)
        log_rows(
            f"local:{tmpl.name} ({path.name})",
            rows_in=parsed.rows_in,
            rows_out=len(frame),
            dropped={"blank lines skipped": parsed.blank_lines},
        )
        by_template.setdefault(tmpl.name, []).append(frame)
    out: dict[str, pd.DataFrame] = {}
    for name, frames in by_template.items():
        tmpl = TEMPLATES[name]
        combined = pd.concat(frames, ignore_index=True)
        _check_cross_file_duplicates(combined, tmpl)
        other_area = combined["area_code"] != target.code
        later = (combined["period_start"] > pd.Timestamp(report_period.end)) if report_period else False
        keep = combined[~other_area & ~later].reset_index(drop=True)
        log_rows(
            f"local:{name} for {target.name}",
            rows_in=len(combined),
            rows_out=len(keep),
            dropped={
                "rows for other areas set aside": int(other_area.sum()),
                "rows for periods after the report period set aside": int(pd.Series(later).sum())
                if report_period
                else 0,
            },
        )
        if keep.empty:
            log.info("local:%s: no rows for %s; omitted", name, target.name)
            continue
        out[name] = keep
    return out


def _check_cross_file_duplicates(frame: pd.DataFrame, tmpl: Template) -> None:
    key_cols = [
        (
            "area_code"
            if tmpl.column(k).kind == "area"
            else "period"
            if tmpl.column(k).kind in ("period", "as_at")
            else "measure"
            if k == tmpl.measure_column
            else "source_label"
            if k == "group"
            else "source_label"
            if tmpl.column(k).kind == "strand"
            else k
        )
        for k in tmpl.key
    ]
    normalised = frame[key_cols].astype(str).map(_norm)
    dup = normalised.duplicated(keep=False)
    if dup.any():
        rows = frame[dup]
        first = rows.iloc[0]
        mask = (normalised[dup] == normalised[dup].iloc[0]).all(axis=1)
        second = rows[mask].iloc[1]
        raise DataError(
            f"the same {', '.join(tmpl.key)} is in two places: {first['source_file']} row "
            f"{first['source_row']} and {second['source_file']} row {second['source_row']}",
            file=str(second["source_file"]),
            row=int(second["source_row"]),
            column=", ".join(tmpl.key),
            value=", ".join(str(first[c]) for c in key_cols),
            expected="each figure in one file only",
        )


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    """``eqlib data validate PATH [--template NAME] [--area AREA]``: print every problem; exit 0 if
    valid, else 2. PATH is a CSV file or an analyst's folder (every CSV in it is checked). What
    ``eqlib build`` would pass over is printed as a warning: a file in the folder that is not CSV
    (an ``.xlsx`` is not read) and, with ``--area``, the rows for other areas."""
    path = Path(args.file)
    template = getattr(args, "template", None)
    area_name = getattr(args, "area", None)
    if not path.exists():
        print(f"eqlib: error: {path}: no such file")
        return 2
    try:
        target = areas.resolve(area_name) if area_name else None
    except areas.UnknownAreaError as exc:
        print(f"eqlib: error: --area {area_name!r}: {exc}")
        return 2
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
        ignored = sorted(p.name for p in path.iterdir() if p.is_file() and p.suffix.lower() != ".csv")
        if ignored:
            print(f"warning: {path}: not CSV, not read: {', '.join(ignored)} (save each table as CSV)")
    else:
        files = [path]
    total = 0
    for file in files:
        try:
            parsed, problems = _parse_file(file, template, False)
        except UsageError as exc:
            print(f"eqlib: error: {exc}")
            return 2
        problems = sorted(problems, key=lambda p: p.row or 0)
        for problem in problems:
            print(problem)
        total += len(problems)
        if problems:
            print(f"{file}: {len(problems)} problem{'s' if len(problems) > 1 else ''}; not valid")
            continue
        name = parsed.template.name if parsed.template else "?"
        print(f"{file}: valid {name} file, {parsed.rows_in} rows")
        other = [r for r in parsed.rows if target is not None and r.get("area_code") != target.code]
        if target is not None and other:
            names = sorted({str(r["area_name"]) for r in other})
            print(
                f"warning: {file}: {len(other)} row{'s' if len(other) > 1 else ''} for other areas "
                f"({', '.join(names)}) set aside: only {target.name}'s rows are reported"
            )
    if path.is_dir() and not files:
        print(f"{path}: no CSV files to check")
    if total and path.is_dir():
        print(f"{path}: {total} problem{'s' if total > 1 else ''}; not valid")
    return 2 if total else 0


def template_frame() -> pd.DataFrame:
    """Every template column with its kind, requiredness and allowed values (for the README)."""
    return pd.DataFrame(
        [
            {
                "template": t.name,
                "column": c.name,
                "required": c.required,
                "kind": c.kind,
                "allowed": ", ".join(c.choices),
                "description": c.description,
            }
            for t in TEMPLATES.values()
            for c in t.columns
        ]
    )


__all__ = [
    "CHARACTERISTICS",
    "GROUPS",
    "STRANDS",
    "TACTICS",
    "TEMPLATES",
    "Column",
    "Problem",
    "Template",
    "cmd_validate",
    "group_of",
    "infer_template",
    "load_local_dir",
    "read_local",
    "template_frame",
    "validate",
]
