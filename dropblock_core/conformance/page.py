"""The report folder: ``conformance.md`` (summary, drop-rate table, figures,
every report) and its figures under ``img/conformance/``."""

from __future__ import annotations

import importlib.metadata
import platform
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .budget import Budget
from .checks.cases import MapCase
from .checks.rate import CHECK as RATE
from .checks.rate import case_of
from .registry import registered
from .report import Report, markdown_text
from .result import CheckResult
from .spec import SPECS
from .summary import achieved_rate, summary_markdown

__all__ = ["checks_list", "findings", "rate_table", "write_page"]

_VERSIONED = (
    "numpy",
    "scipy",
    "torch",
    "torchvision",
    "timm",
    "dropblock",
    "tensorflow",
    "tensorflow-cpu",
    "keras",
    "keras-cv",
)
_RATE_COLUMNS = 4  # drop-rate cases per table: the tables fit a 1280 px browser window


def _versions() -> str:
    found = [f"Python {platform.python_version()}"]
    for name in _VERSIONED:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def findings(reports: Sequence[Report]) -> list[str]:
    """One Markdown bullet per failing report: the first failed case of each failed check.

    >>> bad = CheckResult("rescale", "12x12", "fail", "1", "0", "claimed global, found none")
    >>> findings([Report("x", SPECS["paper"], [bad])])
    ['- **x**: rescale (12x12): claimed global, found none.']
    """
    lines = []
    for report in reports:
        first: dict[str, CheckResult] = {}
        for r in report.failures:
            first.setdefault(r.check, r)
        if first:
            parts = [f"{c} ({r.case}): {markdown_text(r.explanation)}" for c, r in first.items()]
            lines.append(f"- **{report.target}**: " + "; ".join(parts) + ".")
    return lines


def rate_table(reports: Sequence[Report], columns: int = _RATE_COLUMNS) -> list[str]:
    """Markdown tables of achieved drop rates: one row per 2-D report, one
    column per 2-D case (at most ``columns`` cases a table), then the paper's
    and the exact gamma's expectations (from each case's measured data)."""
    cases: dict[str, MapCase] = {}
    for report in reports:
        for r in report.find(RATE.name):
            case = case_of(r)
            if case is not None and len(case.spatial) == 2:
                cases.setdefault(r.case, case)
    rows = [r for r in reports if r.ndim == 2 and any(achieved_rate(r, c) != "-" for c in cases)]
    if not cases or not rows:
        return []
    lines: list[str] = []
    labels = list(cases)
    for start in range(0, len(labels), columns):
        chunk = labels[start : start + columns]
        if lines:
            lines.append("")
        lines += [
            "| implementation | " + " | ".join(chunk) + " |",
            "|---|" + "---|" * len(chunk),
        ]
        lines += [
            f"| {r.target} | " + " | ".join(achieved_rate(r, c) for c in chunk) + " |" for r in rows
        ]
        for name in ("paper", "exact"):
            expected = [
                f"{SPECS[name].expected_rate(c.drop_prob, c.block, c.spatial):.4f}"
                for c in (cases[label] for label in chunk)
            ]
            lines.append(f"| *expected, {name} γ* | " + " | ".join(expected) + " |")
    return lines


def checks_list(budget: Budget) -> list[str]:
    """The registered checks as a numbered Markdown list, each with its
    description under ``budget``.

    >>> from dropblock_core.conformance import BUDGETS
    >>> print("\\n".join(checks_list(BUDGETS["quick"])[:2]))
    1. **drop rate**: mean dropped fraction over 16 independent calls vs
       the exact expected rate of the claimed gamma and seed region
    """
    lines = []
    for number, check in enumerate(registered(), 1):
        item = f"{number}. "
        first, *rest = check.describe(budget.sizes_of(check)).split("\n")
        lines.append(f"{item}**{check.name}**: {first}")
        lines += [" " * len(item) + line for line in rest]
    return lines


def write_page(
    reports: Sequence[Report],
    examples: dict[str, np.ndarray],
    missing: Sequence[str],
    out: Path,
    command_line: str,
    seconds: float,
    budget: Budget,
    *,
    figures: bool = True,
    figures_note: str = "",
) -> list[Path]:
    """Write ``out/conformance.md`` and its figures; return the files written.

    ``examples``: dropped sets to draw per implementation; ``missing``: one
    line per target that was not run. ``figures=False`` (no matplotlib) writes
    the page without figures, saying why (``figures_note``).
    """
    written = []
    rate_calls = budget.sizes_of(RATE)["calls"]
    if figures:
        from .plots import plot_drop_rates, plot_masks

        img = out / "img" / "conformance"
        shown = [r for r in reports if r.target in examples] or list(reports)
        rate_png = plot_drop_rates(shown, img / "drop_rate.png")
        masks_png = plot_masks(
            examples,
            img / "masks.png",
            "Example dropped sets (black): 14x21 map, block 5, drop 0.2",
        )
        written = [rate_png, masks_png]
        rate_figure = [
            f"![achieved vs requested drop rate]({rate_png.relative_to(out).as_posix()})"
        ]
        masks_figure = [f"![example masks]({masks_png.relative_to(out).as_posix()})"]
    else:
        rate_figure = masks_figure = [f"Figures skipped: {figures_note}."]
    lines = [
        "# Conformance of DropBlock implementations",
        "",
        "Generated by the validator (`dropblock_core.validate`); regenerate with:",
        "",
        "```",
        command_line,
        "```",
        "",
        f"Environment: {_versions()}. Budget `{budget.name}`; whole run {seconds:.0f} s.",
        "Targets whose library is missing are skipped: regenerate where all of them are",
        "installed (torchvision needs its own torch pairing, e.g. torch 2.14.1 with 0.29.1).",
        "",
        "Each implementation is held to the spec it *claims*: its documentation cites the",
        "DropBlock paper (paper γ, blocks inside the map, a mask per channel, global rescale);",
        "timm documents shared masks for `couple_channels=True`. A failure means the",
        "implementation does not do what it says. *n.a.* counts inputs it rejects",
        "(unsupported: 1-D/3-D maps, even blocks, dtypes) and checks that do not apply.",
        "",
        "## Summary",
        "",
        *summary_markdown(reports),
    ]
    if missing:
        lines += ["", "Not run: " + "; ".join(missing) + "."]
    if any(not r.passed for r in reports):
        lines += ["", "## Findings", "", "First failed case of each failed check:", ""]
        lines += findings(reports)
    lines += [
        "",
        "## Achieved drop rates (2-D maps)",
        "",
        f"Mean dropped fraction over {rate_calls} independent calls; **fail**: more",
        "than 5 standard errors from what the claimed spec expects.",
        "",
        *rate_table(reports),
        "",
        *rate_figure,
        "",
        "## Example masks",
        "",
        *masks_figure,
        "",
        "## The checks",
        "",
        *checks_list(budget),
        "",
        "## Results per implementation",
        "",
    ]
    for report in reports:
        lines += [report.to_markdown(), f"Validated in {report.seconds:.1f} s.", ""]
    page = out / "conformance.md"
    page.write_text("\n".join(lines), encoding="utf-8")
    return [page, *written]
