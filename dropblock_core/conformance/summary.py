"""The summary of a run: one row per implementation, written as Markdown on the
report page and printed as a rich table on the console."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .checks.cases import MapCase
from .checks.rate import CHECK as RATE
from .report import Report
from .result import Status

__all__ = [
    "HEADLINE",
    "SUMMARY_COLUMNS",
    "achieved_rate",
    "summary_markdown",
    "summary_rows",
    "summary_table",
]

# The drop-rate case quoted for every implementation: the paper's block on a
# 14x14 map (ResNet's group 4), where the conventions differ most visibly.
HEADLINE = MapCase((14, 14), 7, 0.1)

SUMMARY_COLUMNS = (
    "implementation",
    "claims",
    "verdict",
    "pass/fail/n.a.",
    "failed checks",
    f"drop @{HEADLINE.label()}",
    "seconds",
)


def achieved_rate(report: Report, case: str, *, mark: bool = True) -> str:
    """Achieved drop rate of the drop-rate case labelled ``case``, ``-`` if it
    was not measured; failures marked in words (``mark``).

    >>> from dropblock_core.conformance import SPECS
    >>> achieved_rate(Report("x", SPECS["paper"], []), HEADLINE.label())
    '-'
    """
    for r in report.find(RATE.name):
        if r.case == case and r.status in (Status.PASS, Status.FAIL) and "achieved" in r.data:
            return f"{r.data['achieved']:.4f}" + (" **fail**" if r.failed and mark else "")
    return "-"


def summary_rows(reports: Sequence[Report]) -> list[list[str]]:
    """One row per report (the columns of :data:`SUMMARY_COLUMNS`).

    >>> from dropblock_core.conformance import SPECS
    >>> summary_rows([Report("x", SPECS["paper"], [])])
    [['x', 'paper', 'PASS', '0/0/0', '-', '-', '0.0']]
    """
    rows = []
    for r in reports:
        c = r.counts()
        rows.append(
            [
                r.target,
                r.spec.name,
                r.verdict(),
                f"{c[Status.PASS]}/{c[Status.FAIL]}/{c[Status.UNSUPPORTED] + c[Status.SKIPPED]}",
                ", ".join(r.failed_checks()) or "-",
                achieved_rate(r, HEADLINE.label(), mark=False),
                f"{r.seconds:.1f}",
            ]
        )
    return rows


def summary_markdown(reports: Sequence[Report]) -> list[str]:
    """The summary as the lines of a Markdown table.

    >>> print("\\n".join(summary_markdown([])))
    | implementation | claims | verdict | pass/fail/n.a. | failed checks | drop @14x14 b=7 p=0.1 | seconds |
    |---|---|---|---|---|---|---|
    """  # noqa: E501
    lines = ["| " + " | ".join(SUMMARY_COLUMNS) + " |", "|" + "---|" * len(SUMMARY_COLUMNS)]
    return lines + ["| " + " | ".join(row) + " |" for row in summary_rows(reports)]


def summary_table(reports: Sequence[Report], title: str) -> Any:
    """The summary as a ``rich.table.Table``, verdicts in colour."""
    from rich.table import Table

    table = Table(title=title)
    for column in SUMMARY_COLUMNS:
        table.add_column(column, overflow="fold")
    for row in summary_rows(reports):
        style = "green" if row[2] == "PASS" else "bold red"
        table.add_row(*row[:2], f"[{style}]{row[2]}[/]", *row[3:])
    return table
