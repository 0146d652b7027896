"""Parameter resolution: the area, year, params file, suppression threshold and example flag of a run.

``eqlib run``/``build`` (:mod:`eqlib.batch`, :mod:`eqlib.cli`) and a notebook's context
(:func:`eqlib.report.sections.common.context`) resolve their parameters here, with the same checks and
the same messages: an unknown area or year, a malformed or mismatched params file or a negative threshold
is a :class:`~eqlib.errors.UsageError` (exit 2) naming the file, line and key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from eqlib import areas as areas_mod
from eqlib import paths, safe_yaml
from eqlib import periods as periods_mod
from eqlib.errors import EqlibError, UsageError
from eqlib.framework import params as fw_params
from eqlib.periods import normalise_year  # noqa: F401 (the CLI's year rule lives with the periods)

#: counts under this are suppressed unless the params file or --threshold says otherwise
DEFAULT_THRESHOLD = 5


def resolve_area(name: str) -> areas_mod.Area:
    """A territorial force area from a slug, code or name; UsageError with the closest matches."""
    try:
        area = areas_mod.resolve(name)
    except areas_mod.UnknownAreaError as exc:
        raise UsageError(str(exc)) from None
    if not area.territorial:
        raise UsageError(
            f"{name!r} is {area.name}: eqlib run covers the 43 territorial police force areas "
            "(each has a Police and Crime Commissioner or equivalent)"
        )
    return area


def resolve_params_file(
    area: areas_mod.Area, period: periods_mod.Period, params_file: str | Path | None, root: Path
) -> Path | None:
    """The params file: the one given, else ``params/<slug>-<year>.yml``, else ``params/defaults.yml``."""
    if params_file is not None:
        path = Path(params_file)
        if not path.is_absolute():
            path = Path.cwd() / path
        if not path.is_file():
            raise UsageError(f"params file {str(params_file)!r} does not exist")
        return path.resolve()
    for candidate in (
        paths.params_dir(root) / f"{area.slug}-{period.label}.yml",
        paths.params_dir(root) / "defaults.yml",
    ):
        if candidate.is_file():
            return candidate.resolve()
    return None


def read_params(path: Path | None) -> dict[str, Any]:
    """Parse a params YAML file (a mapping); UsageError naming the file and line when it is malformed.

    The file is read by :func:`eqlib.safe_yaml.load_file` (the same reader as
    :func:`eqlib.framework.params.load_params`) and validated by :func:`eqlib.framework.params.validate`,
    whose errors become usage errors.
    """
    if path is None:
        return {}
    try:
        data, _ = safe_yaml.load_file(path)  # alias bombs, deep nesting, bad dates
    except yaml.YAMLError as exc:
        line, column, problem = safe_yaml.position(exc)
        where = f", line {line}, column {column}" if line is not None else ""
        raise UsageError(
            f"params file {path}{where}: not valid YAML ({problem}); expected a YAML mapping "
            "such as the example in params/defaults.yml"
        ) from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"params file {path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(
            f"params file {path}: expected a YAML mapping (key: value) at the top level, "
            f"found a {type(data).__name__}"
        )
    threshold = data.get("threshold", data.get("suppression_threshold"))
    if threshold is not None and (
        not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 0
    ):
        raise UsageError(f"params file {path}, key 'threshold': {threshold!r}; expected a whole number >= 0")
    try:
        fw_params.validate(path)
    except (EqlibError, ValueError) as exc:
        raise UsageError(f"params file {path}: {exc}") from None
    return data


def check_params_match(
    path: Path | None, params: dict[str, Any], area: areas_mod.Area, period: periods_mod.Period
) -> None:
    """A params file written for another area or year must not be applied silently."""
    if path is None:
        return
    if params.get("area") not in (None, ""):
        try:
            other = areas_mod.resolve(str(params["area"]))
        except areas_mod.UnknownAreaError as exc:
            raise UsageError(f"params file {path}, key 'area': {exc}") from None
        if other.code != area.code:
            raise UsageError(
                f"params file {path} is for {other.name} (key 'area'), not {area.name}; "
                f"expected params/{area.slug}-{period.label}.yml or a file with area: {area.slug}"
            )
    if params.get("year") not in (None, ""):
        try:
            year = normalise_year(params["year"])
        except UsageError as exc:
            raise UsageError(f"params file {path}, key 'year': {exc}") from None
        if year != period:
            raise UsageError(f"params file {path} is for {year.display} (key 'year'), not {period.display}")


def check_threshold(threshold: int | None) -> int | None:
    if threshold is None:
        return None
    if isinstance(threshold, bool) or not isinstance(threshold, int):
        raise UsageError(f"--threshold {threshold!r}: expected a whole number >= 0")
    if threshold < 0:
        raise UsageError(
            f"--threshold {threshold}: the small-number suppression threshold cannot be negative; "
            f"expected a whole number >= 0 (default {DEFAULT_THRESHOLD})"
        )
    return threshold


def params_threshold(params: dict[str, Any]) -> int:
    """The suppression threshold a params mapping sets (``threshold`` or ``suppression_threshold``)."""
    return int(params.get("threshold", params.get("suppression_threshold", DEFAULT_THRESHOLD)))


def is_example(params: dict[str, Any]) -> bool:
    """True for params marked ``example: true`` (illustrative self-assessment and objectives)."""
    return params.get("example") is True


@dataclass(frozen=True)
class RunParams:
    """One area-year's resolved parameters."""

    area: areas_mod.Area
    period: periods_mod.Period
    params_file: Path | None
    params: dict[str, Any]
    threshold: int

    @property
    def example(self) -> bool:
        return is_example(self.params)


def resolve(
    area: str, year: str | int, params_file: str | Path | None, threshold: int | None, root: Path
) -> RunParams:
    """Area, year, params file (given, else the area-year's, else the defaults), its contents, and the
    threshold (given, else the params file's, else :data:`DEFAULT_THRESHOLD`), each checked."""
    resolved_area = resolve_area(area)
    period = normalise_year(year)
    path = resolve_params_file(resolved_area, period, params_file, root)
    params = read_params(path)
    check_threshold(threshold)
    chosen = params_threshold(params) if threshold is None else int(threshold)
    return RunParams(resolved_area, period, path, params, chosen)
