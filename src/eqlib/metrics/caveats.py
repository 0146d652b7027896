"""Caveats as data: a code per caveat, its plain-English text, and functions that attach codes to figures.

A figure frame (:data:`eqlib.metrics.FIGURE_COLUMNS`) carries its caveats in the ``caveats`` column as
a tuple of codes. :func:`text` gives the sentence the report and :mod:`eqlib.report.narrative` print.
Codes that explain a missing value (a GSS symbol) are listed in :data:`REASONS`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from eqlib.metrics._frame import is_small_population, map_codes

#: count below which a figure is flagged as based on a small number (Public Health England treats
#: rates on fewer than 10 events as unreliable and switches to exact methods there)
SMALL_COUNT = 10
#: "not stated" share above which a figure is flagged (Home Office / EFF comment when over 10%)
NOT_STATED_HIGH = 0.10

CAVEATS: dict[str, str] = {
    "small_count": "This figure is based on fewer than 10 events, so it is unreliable and can change a lot "
    "from year to year.",
    "small_population": "This area has a very small resident population (City of London, British Transport "
    "Police), so rates per head of resident population are not meaningful.",
    "not_stated_high": "More than 10% of records did not state ethnicity, so rates by ethnic group are "
    "understated and disparities may be larger or smaller.",
    "old_census_denominator": "Rates use Census 2011 populations, which are out of date for this period.",
    "partial_period": "Data are missing for part of this period (at least one month), so counts are "
    "incomplete.",
    "derived_count": "This count is derived from a published rate multiplied by a population, not published "
    "itself; it is approximate.",
    "perceived_ethnicity": "Ethnicity is as perceived by the officer, not self-defined.",
    "incident_not_person": "Counts are incidents, not people: one person can be counted more than once.",
    "police_uk_not_official": "Counts come from police.uk open data, which are not official statistics and "
    "can differ from Home Office figures.",
    "tactic_uses_not_people": "Counts are tactic uses, not people or incidents: one incident can involve "
    "several tactics and one person several incidents. Tactic uses are not "
    "independent events, so an interval that treats them as independent counts is "
    "too narrow.",
    "mixed_officer_defined_structural": "Officer-defined ethnicity has no Mixed category, so everyone who "
    "self-defines as Mixed is recorded by the officer as another group: "
    "this disagreement is built into the categories, not a finding about "
    "officers.",
    "hate_strands_overlap": "One offence can be flagged with more than one hate crime strand, so the strands "
    "overlap and must not be added together.",
    "published_nationally": "This count is already published nationally by its source, so it is not "
    "suppressed (suppression protects small local counts).",
    "arrest_classification_2001": "The Home Office arrest tables use the 2001 ethnic classification: Asian "
    "excludes Chinese and Other includes Chinese; the populations are grouped "
    "the same way.",
    "forces_excluded_national": "Forces that did not supply data (Lancashire in 2017/18 and 2018/19) are left "
    "out of the national count and of its population, as the Home Office does.",
    "population_by_sex_unavailable": "No census table of residents by sex ships with eqlib (the census files "
    "here are by ethnic group only), so women's share of the workforce "
    "cannot be compared with their share of the area's population.",
    "sex_recording_2021": "In 2021 forces implemented the Police Workforce Data Standards and many records "
    "had an unknown sex (gender was used where sex was not known); women's shares are "
    "over those recorded as female or male.",
    # reasons for a missing value (with a GSS symbol)
    "missing_count": "The count is not available.",
    "missing_denominator": "There is no population or total to divide by.",
    "zero_denominator": "The population or total is zero, so a rate cannot be calculated.",
    "zero_reference": "The reference group has no events, so a ratio cannot be calculated.",
    "too_few_periods": "Fewer than three periods of data, so a trend cannot be estimated.",
    "model_failed": "The trend model could not be estimated from these counts (for example all zero).",
    "rri_insufficient": "Too few people or events for a reliable relative rate index (group under 1% of "
    "the population, or a small count).",
    "suppressed": "Suppressed to protect confidentiality (a small number, or one that would reveal one).",
    "small_denominator": "The rate is not shown because its denominator is under 100.",
    "group_missing_in_period": "This group has no record for this period in the source data.",
    "interval_undefined": "The interval cannot be calculated by the chosen method (a zero count).",
    # protected characteristics other than ethnicity (eqlib.metrics.characteristics)
    "no_population_denominator": "No resident population by age or sex for force areas is shipped with eqlib, "
    "so these are shares of searches, not rates per head of population; a ratio "
    "compares numbers of searches, not the likelihood of being searched.",
    "not_recorded_high": "More than 10% of searches did not record this characteristic, so the shares are of "
    "the searches that did and may not describe all searches.",
    "characteristic_not_recorded": "The force did not record this in any of its police.uk search records for "
    "the period, so no figure can be given.",
}

#: codes that explain a missing value
REASONS: tuple[str, ...] = (
    "missing_count",
    "missing_denominator",
    "zero_denominator",
    "zero_reference",
    "too_few_periods",
    "model_failed",
    "suppressed",
    "small_denominator",
    "group_missing_in_period",
    "interval_undefined",
    "characteristic_not_recorded",
)


def text(code: str) -> str:
    """The plain-English sentence for a caveat code (KeyError naming the known codes otherwise)."""
    try:
        return CAVEATS[code]
    except KeyError:
        raise KeyError(f"Unknown caveat code {code!r}; known: {', '.join(CAVEATS)}") from None


def caveats_frame() -> pd.DataFrame:
    """Every caveat code and its text, for the notes sheet of a workbook."""
    return pd.DataFrame({"code": list(CAVEATS), "text": list(CAVEATS.values())})


def add(frame: pd.DataFrame, mask: pd.Series | np.ndarray | bool, code: str) -> pd.DataFrame:
    """Append ``code`` to the ``caveats`` of the rows where ``mask`` is true (no duplicates).

    Returns a new frame; ``frame`` is not changed.
    """
    text(code)  # validates the code
    out = frame.copy(deep=False)  # copy-on-write: changes to ``out`` never reach ``frame``
    if "caveats" not in out.columns:
        out["caveats"] = [() for _ in range(len(out))]
    if isinstance(mask, bool):
        mask = np.full(len(out), mask)
    flags = np.asarray(mask, dtype=bool)
    if not flags.any():
        return out
    if len(flags) != len(out):
        raise ValueError(f"caveats.add: mask of length {len(flags)} for {len(out)} rows")
    current = [c if type(c) is tuple else tuple(c) for c in out["caveats"]]  # noqa: E721
    for i in np.flatnonzero(flags).tolist():
        if code not in current[i]:
            current[i] = current[i] + (code,)
    out["caveats"] = current
    return out


def add_all(frame: pd.DataFrame, pairs: Iterable[tuple[pd.Series | np.ndarray | bool, str]]) -> pd.DataFrame:
    """:func:`add` for several ``(mask, code)`` pairs in one pass: the same result as applying
    ``add`` for each pair in order. Returns a new frame; ``frame`` is not changed."""
    out = frame.copy(deep=False)
    if "caveats" not in out.columns:
        out["caveats"] = [() for _ in range(len(out))]
    todo = []
    for mask, code in pairs:
        text(code)  # validates the code
        flags = np.full(len(out), mask) if isinstance(mask, bool) else np.asarray(mask, dtype=bool)
        if not flags.any():
            continue
        if len(flags) != len(out):
            raise ValueError(f"caveats.add: mask of length {len(flags)} for {len(out)} rows")
        todo.append((flags, code))
    if not todo:
        return out
    current = [c if type(c) is tuple else tuple(c) for c in out["caveats"]]  # noqa: E721
    for flags, code in todo:
        for i in np.flatnonzero(flags).tolist():
            if code not in current[i]:
                current[i] = current[i] + (code,)
    out["caveats"] = current
    return out


def codes_of(frame: pd.DataFrame) -> list[str]:
    """Every distinct caveat code used in a figure frame, in :data:`CAVEATS` order."""
    used = {c for codes in frame["caveats"] for c in codes}
    return [c for c in CAVEATS if c in used]


def standard(
    figure: pd.DataFrame,
    *,
    small_count: int = SMALL_COUNT,
    measure: str | None = None,
    census_year: int | None = None,
    flags: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Attach the caveats that follow from a figure and its inputs.

    - ``small_count``: ``count`` below ``small_count`` (not for suppressed or missing counts);
    - ``small_population``: areas flagged ``Area.small_population`` (City of London, BTP);
    - ``perceived_ethnicity`` and ``incident_not_person``: use of force measures;
    - ``old_census_denominator``: ``census_year`` 2011 for a period starting on or after 1 April 2021
      (the Home Office moved to Census 2021 populations from that year);
    - ``flags``: an optional frame keyed by area_code and period with boolean columns ``derived``,
      ``partial``, ``police_uk`` and a float column ``not_stated_share``; they give ``derived_count``,
      ``partial_period``, ``police_uk_not_official`` and ``not_stated_high`` (> 10%).
    """
    out = figure
    pairs: list[tuple[np.ndarray, str]] = []
    counts = pd.to_numeric(out["count"], errors="coerce")
    pairs.append(((counts < small_count).to_numpy(), "small_count"))
    pairs.append((_small_population(out["area_code"]), "small_population"))
    if measure is None:
        measures, measure_index = pd.factorize(out["measure"].astype(str))
        force_of = np.array([m.startswith("use_of_force") for m in measure_index], dtype=bool)
        force = force_of[measures] if len(measure_index) else np.zeros(len(out), dtype=bool)
    else:
        force = np.full(len(out), str(measure).startswith("use_of_force"))
    pairs.append((force, "perceived_ethnicity"))
    pairs.append((force, "incident_not_person"))
    if census_year is not None and census_year < 2021:
        pairs.append(
            (
                (_period_starts(out["period"]) >= pd.Timestamp("2021-04-01")).to_numpy(),
                "old_census_denominator",
            )
        )
    if flags is not None and len(flags):
        # each figure's row of ``flags`` (by area_code and period; -1 where it has none)
        row_of = {
            key: i
            for i, key in enumerate(zip(flags["area_code"].tolist(), flags["period"].tolist(), strict=True))
        }
        if len(row_of) != len(flags):
            raise ValueError("caveats.standard: flags has more than one row for an area and period")
        position = np.array(
            [
                row_of.get(key, -1)
                for key in zip(out["area_code"].tolist(), out["period"].tolist(), strict=True)
            ],
            dtype=np.int64,
        )
        found = position >= 0
        take = np.where(found, position, 0)
        for column, code in (
            ("derived", "derived_count"),
            ("partial", "partial_period"),
            ("police_uk", "police_uk_not_official"),
        ):
            if column in flags.columns:
                values = flags[column].fillna(False).astype(bool).to_numpy()
                pairs.append((found & values[take] if len(values) else found, code))
        if "not_stated_share" in flags.columns:
            share = pd.to_numeric(flags["not_stated_share"], errors="coerce").fillna(0).to_numpy()
            pairs.append((found & (share[take] > NOT_STATED_HIGH), "not_stated_high"))
    return add_all(out, pairs)


def _small_population(codes: pd.Series) -> np.ndarray:
    """``Area.small_population`` of each row's area code (looked up once per code)."""
    index, uniques = pd.factorize(codes)
    if (index < 0).any():  # a missing code: as map_codes does
        return map_codes(codes, is_small_population).to_numpy(dtype=bool)
    small = np.array([is_small_population(code) for code in uniques], dtype=bool)
    return small[index] if len(uniques) else np.zeros(len(codes), dtype=bool)


def _period_starts(periods: Iterable[str]) -> pd.Series:
    from eqlib.periods import parse

    cache: dict[str, pd.Timestamp] = {}
    values = []
    for p in periods:
        if p not in cache:
            try:
                cache[p] = pd.Timestamp(parse(p).start)
            except Exception:  # noqa: BLE001 - unreadable labels are not flagged
                cache[p] = pd.NaT
        values.append(cache[p])
    return pd.Series(values)
