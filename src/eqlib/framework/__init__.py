"""The APCC Equality Framework as data: the framework itself, the Police Race Action Plan outcome areas,
an OPCC's self-assessment and equality objectives (params files), the evidence map from eqlib's measures
to the framework's criteria, holding the force to account, year-on-year comparison and summaries.

Public API::

    from eqlib.framework import load_framework, load_params
    fw = load_framework()                         # 4 sections, 16 themes, 48 descriptors, criteria
    params = load_params("params/south-wales-2021-22.yml")
    params.self_assessment, params.objectives
"""

from eqlib.framework._validation import ParamsError, Problem
from eqlib.framework.model import (
    LEVELS,
    Criterion,
    Descriptor,
    Framework,
    OutcomeArea,
    RaceActionPlan,
    Section,
    Theme,
    evidence_map,
    level_number,
    load_framework,
    load_race_action_plan,
)
from eqlib.framework.objectives import STATUS_RULE, STATUSES, Objective, objective_status
from eqlib.framework.params import Params, load_params, params_for, params_path
from eqlib.framework.self_assessment import CriterionMet, Evidence, SelfAssessment, ThemeAssessment

__all__ = [
    "LEVELS",
    "STATUSES",
    "STATUS_RULE",
    "Criterion",
    "CriterionMet",
    "Descriptor",
    "Evidence",
    "Framework",
    "Objective",
    "OutcomeArea",
    "Params",
    "ParamsError",
    "Problem",
    "RaceActionPlan",
    "Section",
    "SelfAssessment",
    "Theme",
    "ThemeAssessment",
    "evidence_map",
    "level_number",
    "load_framework",
    "load_params",
    "load_race_action_plan",
    "objective_status",
    "params_for",
    "params_path",
]
