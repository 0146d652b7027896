"""Checks ``eqlib run`` / ``eqlib build`` make before any notebook runs.

* :func:`check_local_data`: the analyst's local files named in a params file (``local_data_dir``) are
  validated as ``eqlib data validate`` does, so a bad file is a usage error (exit 2) naming file, row
  and column, not a failed notebook; what the reader only logs at INFO (a file that is not CSV and so
  not read, rows for other areas or later periods set aside, a template with no row for the area) is
  returned as warnings to print.
* :func:`verify_raw_files`: the shipped raw files match ``data/manifest.yml`` (sha256) before they are
  used (:func:`eqlib.datacheck.verify`).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from eqlib import areas as areas_mod
from eqlib import periods as periods_mod
from eqlib.errors import DataError, UsageError

__all__ = ["check_local_data", "verify_raw_files", "LOCAL_NOTICES"]

#: INFO messages of the local reader that an analyst must see (printed as warnings)
LOCAL_NOTICES = re.compile(r"not CSV, not read|set aside|no rows for .*omitted")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if LOCAL_NOTICES.search(message):
            self.messages.append(message)


def local_dir_of(params_file: Path | None, params: dict[str, Any]) -> Path | None:
    """The ``local_data_dir`` of a params file (relative paths start at the params file's folder)."""
    value = params.get("local_data_dir")
    if not value or not isinstance(value, str):
        return None
    folder = Path(value)
    if not folder.is_absolute() and params_file is not None:
        folder = (params_file.parent / folder).resolve()
    return folder


def check_local_data(
    params_file: Path | None, params: dict[str, Any], area: areas_mod.Area, period: periods_mod.Period
) -> list[str]:
    """Validate the area's local files; the reader's notices as warnings. UsageError for a bad file."""
    folder = local_dir_of(params_file, params)
    if folder is None:
        return []
    from eqlib.sources.local import load_local_dir

    handler = _Collect()
    logger = logging.getLogger("eqlib")
    old_level = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    propagate = logger.propagate
    logger.propagate = False  # the INFO lines themselves are not printed twice
    try:
        load_local_dir(folder, area.code, period)
    except DataError as exc:
        raise UsageError(f"local data for {area.name} (local_data_dir in {params_file}): {exc}") from None
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = propagate
    return [f"local data for {area.name}: {message}" for message in handler.messages]


def verify_raw_files(root: Path) -> None:
    """Every raw file listed in ``data/manifest.yml`` is present and has its sha256; UsageError if not."""
    from eqlib import datacheck

    problems = [str(p) for p in datacheck.verify_checksums(root)]
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise UsageError(
            f"data files do not match data/manifest.yml: {shown}. Restore the files as published "
            "(eqlib data check lists them all); nothing was run"
        )
