"""Fixture: a small set of *executed* report notebooks, as papermill + eqlib.batch leave them.

``write_fixture(folder)`` writes ``00_overview.ipynb`` ... ``99_data_and_methods.ipynb`` (with
outputs) and ``figures/rates.png`` into ``folder`` (standing for ``_build/<area>/<year>/``) and
returns the facts a reader should see, computed here with eqlib's own metric function, so the
tests compare the rendered report against the metric rather than against a typed-in number.

The notebooks use every piece of the Quarto subset in the contract (docs/notebook-contract.md):
tags ``parameters`` / ``injected-parameters`` + ``remove-cell``, ``#| echo``, ``#| include: false``,
``#| output: asis``, ``text/markdown`` outputs, a figure with ``fig-alt``, a table with a caption,
cross-references, a stderr warning, and secrets that must NOT appear in the report.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat
import pandas as pd
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

# strings that must never reach the report
SECRETS = {
    "code": "SECRET_CODE_VALUE = 12345",
    "parameters": "PARAMETER_CELL_SECRET",
    "injected": "INJECTED_SECRET",
    "include_false": "INCLUDE_FALSE_SECRET",
    "output_false": "OUTPUT_FALSE_SECRET",
    "stderr": "STDERR_WARNING_SECRET",
}


def _md_output(text: str, execution_count: int = 1):
    return new_output(
        "display_data", data={"text/markdown": text, "text/plain": "<IPython.core.display.Markdown object>"}
    )


def _code(source: str, outputs=(), tags=(), count: int = 1):
    cell = new_code_cell(source, outputs=list(outputs), execution_count=count)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _notebook(cells) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def _common_head(area: str, year: str) -> list:
    return [
        _code(f'area = "south-wales"\nyear = "2021-22"\n# {SECRETS["parameters"]}', tags=["parameters"]),
        _code(
            f'# Parameters\narea = "{area}"\nyear = "{year}"\n# {SECRETS["injected"]}',
            tags=["injected-parameters", "remove-cell"],
        ),
    ]


def key_rate() -> dict:
    """The key number: the Black stop and search rate per 1,000, computed by eqlib.metrics.rates."""
    from eqlib.metrics.rates import rates

    counts = pd.DataFrame(
        {"area_code": "W15000003", "period": "2021-22", "group": ["Black", "White"], "count": [321.0, 4120.0]}
    )
    population = pd.DataFrame(
        {"area_code": "W15000003", "group": ["Black", "White"], "population": [19_872.0, 1_180_446.0]}
    )
    frame = rates(counts, population, include_minority=False, include_all=False)
    black = frame.loc[frame["group"] == "Black"].iloc[0]
    white = frame.loc[frame["group"] == "White"].iloc[0]
    return {
        "black": float(black["value"]),
        "white": float(white["value"]),
        "ratio": float(black["value"]) / float(white["value"]),
    }


def write_fixture(folder: Path, *, area_name: str = "South Wales", year: str = "2021-22") -> dict:
    """Write the executed fixture notebooks into ``folder``; return what the report must show."""
    from eqlib.report import figures

    folder.mkdir(parents=True, exist_ok=True)
    facts = key_rate()
    key = f"{facts['black']:.1f}"
    ratio = f"{facts['ratio']:.1f}"

    # the figure: saved by the notebook next to itself, shown as markdown with alt text
    fig, ax = figures.new_figure(height=3.0)
    ax.bar(["Black", "White"], [facts["black"], facts["white"]], color=["#0072B2", "#E69F00"])
    ax.set_ylabel("Searches per 1,000 people")
    figures.save(fig, "rates", folder=folder / "figures")
    alt = (
        f"Bar chart of stop and search rates per 1,000 people in {area_name}, 2021/22: Black {key}, "
        f"White {facts['white']:.1f}. Black people were {ratio} times as likely to be searched."
    )
    figure_md = figures.figure_markdown("rates", "Stop and search rate per 1,000 people by ethnic group", alt)
    table_md = figures.table_markdown(
        pd.DataFrame(
            {
                "Ethnic group": ["Black", "White"],
                "Searches": [321, 4120],
                "Rate per 1,000": [facts["black"], facts["white"]],
            }
        ),
        "Stop and search by ethnic group, 2021/22",
        "searches",
    )

    overview = _notebook(
        [
            *_common_head(area_name, year),
            new_markdown_cell(
                "# Executive summary\n\nThis report sets out equality information for the year."
            ),
            _code(
                "#| output: asis\nprint(summary_sentence)",
                outputs=[
                    new_output(
                        "stream",
                        name="stdout",
                        text=f"In {year.replace('-', '/')} Black people were stopped and searched "
                        f"at a rate of **{key} per 1,000** people ({ratio} times the White "
                        "rate; see @fig-rates).\n",
                    )
                ],
            ),
            new_markdown_cell("## Key findings"),
            _code(
                "figures.markdown(findings)",
                outputs=[
                    _md_output(
                        f"- The key number: **{key}** searches per 1,000 Black residents.\n"
                        "- Workforce representation is set out in @tbl-searches and the workforce chapter."
                    )
                ],
            ),
        ]
    )
    communities = _notebook(
        [
            *_common_head(area_name, year),
            new_markdown_cell("# Communities\n\nHow the police use their powers, by ethnic group."),
            new_markdown_cell("## Stop and search"),
            _code(
                f"{SECRETS['code']}\nfigures.show(fig, 'rates', caption, alt)",
                outputs=[_md_output(figure_md)],
            ),
            _code("figures.table(frame, caption, 'searches')", outputs=[_md_output(table_md)]),
            _code(
                "import warnings\nwarnings.warn('x')",
                outputs=[new_output("stream", name="stderr", text=f"UserWarning: {SECRETS['stderr']}\n")],
            ),
            new_markdown_cell("### Trend\n\nThe disparity shown in @fig-rates has narrowed."),
        ]
    )
    leadership = _notebook(
        [
            *_common_head(area_name, year),
            new_markdown_cell("# Leadership and organisational commitment"),
            _code(
                "#| include: false\nprint('hidden')",
                outputs=[new_output("stream", name="stdout", text=SECRETS["include_false"])],
            ),
            new_markdown_cell("## Governance\n\nThe PCC holds the Chief Constable to account."),
        ]
    )
    services = _notebook(
        [
            *_common_head(area_name, year),
            new_markdown_cell("# Services and complaints"),
            _code(
                "#| output: false\nprint('hidden')",
                outputs=[new_output("stream", name="stdout", text=SECRETS["output_false"])],
            ),
            _code(
                "figures.markdown(gap)",
                outputs=[
                    _md_output(
                        "## Complaints\n\nNo local complaints file was supplied: this is listed as an evidence gap."
                    )
                ],
            ),
        ]
    )
    workforce = _notebook(
        [
            *_common_head(area_name, year),
            new_markdown_cell(
                "# Workforce\n\n## Representation\n\nOfficers by ethnic group against the population."
            ),
        ]
    )
    objectives = _notebook(
        [
            *_common_head(area_name, year),
            new_markdown_cell("# Objectives and self-assessment"),
            _code(
                "figures.markdown(objectives)",
                outputs=[
                    _md_output(
                        "## Equality objectives\n\n1. Reduce disproportionality in stop and search.\n"
                        "2. Increase the representation of ethnic minority officers."
                    )
                ],
            ),
        ]
    )
    appendix = _notebook(
        [
            *_common_head(area_name, year),
            new_markdown_cell("# Data and methods"),
            _code(
                "figures.markdown(sources)",
                outputs=[
                    _md_output(
                        "## Sources\n\n| Source | Publisher | Licence | SHA-256 |\n|:---|:---|:---|:---|\n"
                        "| Stop and search records | police.uk | Open Government Licence v3.0 | "
                        f"`{hashlib.sha256(b'fixture').hexdigest()}` |\n\n"
                        ": Data sources and checksums {#tbl-sources}\n\n"
                        "Contains public sector information licensed under the Open Government Licence v3.0.\n\n"
                        "## Suppression rule\n\nCounts below 5 are suppressed and shown as [c].\n\n"
                        "## Software\n\nProduced with eqlib."
                    )
                ],
            ),
        ]
    )
    for name, nb in (
        ("00_overview", overview),
        ("01_communities", communities),
        ("02_leadership", leadership),
        ("03_services", services),
        ("04_workforce", workforce),
        ("05_objectives", objectives),
        ("99_data_and_methods", appendix),
    ):
        nbformat.write(nb, folder / f"{name}.ipynb")
    return {
        "key_number": key,
        "ratio": ratio,
        "alt": alt,
        "facts": facts,
        "headings": [
            "Executive summary",
            "Communities",
            "Leadership and organisational commitment",
            "Services and complaints",
            "Workforce",
            "Objectives and self-assessment",
            "Data and methods",
        ],
    }
