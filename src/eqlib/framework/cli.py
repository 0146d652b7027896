"""``eqlib framework validate FILE``: check a params file (self-assessment and objectives)."""

from __future__ import annotations

import argparse
import sys

from eqlib.framework._validation import ParamsError
from eqlib.framework.params import load_params


def cmd_validate(args: argparse.Namespace) -> int:
    """Print every problem in ``args.file`` and return 2 when it is invalid; print a summary and return 0
    when it is valid. Never raises for a bad file."""
    try:
        params = load_params(args.file)
    except ParamsError as exc:
        problems = exc.problems
        print(
            f"{args.file}: invalid, {len(problems)} problem{'s' if len(problems) != 1 else ''}:",
            file=sys.stderr,
        )
        for p in problems:
            print(f"  - {p.describe()}", file=sys.stderr)
        return 2
    sa = params.self_assessment
    levels = sa.levels()
    n_themes = 16
    missing = [t for t in range(1, n_themes + 1) if t not in levels]
    print(
        f"{args.file}: valid. {params.area.name} {params.period.display}"
        f"{' (EXAMPLE: replace with the OPCC' + chr(39) + 's own assessment)' if params.example else ''}"
    )
    print(
        f"  self-assessment: {len(sa.themes)} of {n_themes} themes assessed, "
        f"{len(sa.criteria_met_ids())} criteria met with evidence"
    )
    if missing:
        print(f"  not assessed: themes {', '.join(map(str, missing))}")
    print(f"  objectives: {len(params.objectives)}")
    return 0
