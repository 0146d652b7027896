"""The content of each report section, as library functions, so that the notebooks stay thin.

One module per part of the report, matching the notebooks: :mod:`.overview` (00), :mod:`.communities` (01,
framework section 1), :mod:`.leadership` (02, section 2), :mod:`.services` (03, section 3),
:mod:`.workforce` (04, section 4), :mod:`.objectives` (05) and :mod:`.appendix` (99); :mod:`.common` holds
what they share (context, blocks, data access, measure status and display, evidence gaps), :mod:`.charts`
and :mod:`.characteristics` the chart kinds of the measure catalogue. Importing the package registers every
chart kind. A notebook imports the package::

    from eqlib.report import sections
    from eqlib.report.sections import emit

    ctx = sections.context(area, year, params_file=params_file, data_dir=data_dir, threshold=threshold)
    emit(sections.measure_cell(ctx, "03_services", "use_of_force"))
"""

from __future__ import annotations

from eqlib.report.sections import (
    services,  # noqa: F401
    workforce,  # noqa: F401
)
from eqlib.report.sections.appendix import (
    coverage_table,
    data_sources,
    methods,
    parameters_summary,
)
from eqlib.report.sections.characteristics import (
    NO_DENOMINATOR,
    has_figures,
    not_recorded_at_all,
    protected_characteristics,
    show_characteristic,
    show_strip_search,
)
from eqlib.report.sections.charts import (
    FUNNEL_X_LABEL,
)
from eqlib.report.sections.common import (
    ANALYST_METADATA,
    EXAMPLE_BANNER_CLASS,
    EXAMPLE_BANNER_TEXT,
    LOCAL_TEMPLATES,
    NOTEBOOKS,
    SECTION_MEASURES,
    AnalystNote,
    Block,
    Chart,
    Context,
    Markdown,
    MeasureBuilder,
    MeasureStatus,
    Table,
    analysis_period_end,
    analysis_period_words,
    analyst_notes,
    area_figures,
    chart_kind,
    compute_measure,
    context,
    dataset_status,
    emit,
    evidence_gaps,
    example_banner,
    figure_table,
    financial_years_from_months,
    frame,
    framework_params,
    intro,
    load,
    measure_blocks,
    measure_cell,
    measure_status,
    note_for_analyst,
    publication,
    render_text,
    section_data_status,
    select_period,
    show_measure,
)
from eqlib.report.sections.communities import (
    population_profile,
)
from eqlib.report.sections.leadership import (
    holding_to_account,
)
from eqlib.report.sections.objectives import (
    framework_gaps,
    latest_values,
    maturity_grid,
    maturity_summary,
    objectives_status,
    objectives_with_data_baselines,
    year_on_year,
)
from eqlib.report.sections.overview import (
    CI_EXPLAINED,
    WELSH_AREAS,
    benchmark,
    coverage_summary,
    key_figures,
    main_disparities,
    other_formats,
    relabel,
)

__all__ = [
    "ANALYST_METADATA",
    "AnalystNote",
    "Block",
    "CI_EXPLAINED",
    "Chart",
    "Context",
    "EXAMPLE_BANNER_CLASS",
    "EXAMPLE_BANNER_TEXT",
    "FUNNEL_X_LABEL",
    "LOCAL_TEMPLATES",
    "Markdown",
    "MeasureBuilder",
    "MeasureStatus",
    "NOTEBOOKS",
    "NO_DENOMINATOR",
    "SECTION_MEASURES",
    "Table",
    "WELSH_AREAS",
    "analysis_period_end",
    "analysis_period_words",
    "analyst_notes",
    "area_figures",
    "benchmark",
    "chart_kind",
    "compute_measure",
    "context",
    "coverage_summary",
    "coverage_table",
    "data_sources",
    "dataset_status",
    "emit",
    "evidence_gaps",
    "example_banner",
    "figure_table",
    "financial_years_from_months",
    "frame",
    "framework_gaps",
    "framework_params",
    "has_figures",
    "holding_to_account",
    "intro",
    "key_figures",
    "latest_values",
    "load",
    "main_disparities",
    "maturity_grid",
    "maturity_summary",
    "measure_blocks",
    "measure_cell",
    "measure_status",
    "methods",
    "not_recorded_at_all",
    "note_for_analyst",
    "objectives_status",
    "objectives_with_data_baselines",
    "other_formats",
    "parameters_summary",
    "population_profile",
    "protected_characteristics",
    "publication",
    "relabel",
    "render_text",
    "section_data_status",
    "select_period",
    "show_characteristic",
    "show_measure",
    "show_strip_search",
    "year_on_year",
]
