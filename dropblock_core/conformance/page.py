"""The report folder: ``conformance.md`` (summary, drop-rate table, figures,
every report) and its figures under ``img/conformance/``."""

from __future__ import annotations

import importlib.metadata
import platform
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .budget import Budget
from .report import Report, markdown_text
from .result import CheckResult
from .spec import SPECS

__all__ = ["SUMMARY_COLUMNS", "findings", "rate_table", "summary_rows", "write_page"]

SUMMARY_COLUMNS = (
    "implementation",
    "claims",
    "verdict",
    "pass/fail/n.a.",
    "failed checks",
    "drop @14x14 b=7 p=0.1",
    "seconds",
)
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
_HEADLINE = "14x14 b=7 p=0.1"
_RATE_COLUMNS = 4  # drop-rate cases per table: the tables fit a 1280 px browser window


def _versions() -> str:
    found = [f"Python {platform.python_version()}"]
    for name in _VERSIONED:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def _rate(report: Report, case: str, *, mark: bool = True) -> str:
    """Achieved drop rate of one case, ``-`` if not measured; failures marked in words."""
    for r in report.find("drop rate"):
        if r.case == case and r.status in ("pass", "fail") and "achieved" in r.data:
            return f"{r.data['achieved']:.4f}" + (" **fail**" if r.failed and mark else "")
    return "-"


def summary_rows(reports: Sequence[Report]) -> list[list[str]]:
    """One row per report (the columns of :data:`SUMMARY_COLUMNS`).

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
                f"{c['pass']}/{c['fail']}/{c['unsupported'] + c['skipped']}",
                ", ".join(r.failed_checks()) or "-",
                _rate(r, _HEADLINE, mark=False),
                f"{r.seconds:.1f}",
            ]
        )
    return rows


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
    and the exact gamma's expectations."""
    cases: list[str] = []
    for report in reports:
        for r in report.find("drop rate"):
            if len(r.data.get("spatial", [])) == 2 and r.case not in cases:
                cases.append(r.case)
    rows = [r for r in reports if r.ndim == 2 and any(_rate(r, c) != "-" for c in cases)]
    if not cases or not rows:
        return []
    lines: list[str] = []
    for start in range(0, len(cases), columns):
        chunk = cases[start : start + columns]
        if lines:
            lines.append("")
        lines += [
            "| implementation | " + " | ".join(chunk) + " |",
            "|---|" + "---|" * len(chunk),
        ]
        lines += [f"| {r.target} | " + " | ".join(_rate(r, c) for c in chunk) + " |" for r in rows]
        for name in ("paper", "exact"):
            expected = []
            for case in chunk:
                shape, block, drop = case.split(" ")
                spatial = tuple(int(s) for s in shape.split("x"))
                rate = SPECS[name].expected_rate(float(drop[2:]), int(block[2:]), spatial)
                expected.append(f"{rate:.4f}")
            lines.append(f"| *expected, {name} γ* | " + " | ".join(expected) + " |")
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
        "| " + " | ".join(SUMMARY_COLUMNS) + " |",
        "|" + "---|" * len(SUMMARY_COLUMNS),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in summary_rows(reports)]
    if missing:
        lines += ["", "Not run: " + "; ".join(missing) + "."]
    if any(not r.passed for r in reports):
        lines += ["", "## Findings", "", "First failed case of each failed check:", ""]
        lines += findings(reports)
    lines += [
        "",
        "## Achieved drop rates (2-D maps)",
        "",
        f"Mean dropped fraction over {budget.rate_calls} independent calls; **fail**: more",
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
        f"1. **drop rate**: mean dropped fraction over {budget.rate_calls} independent calls vs",
        "   the exact expected rate of the claimed gamma and seed region",
        "   (`expected_drop_rate`); bound 5 standard errors estimated over calls (units of a",
        "   mask, and masks an implementation shares, are not independent; calls are).",
        "2. **block structure**: the morphological opening of each dropped set by the block",
        "   reproduces it (a union of whole blocks, inside the map for the valid region), and",
        "   the smallest lone block has exactly the block size. Exact.",
        "3. **seed positions**: in masks holding one block, the block's start is uniform over",
        "   the claimed region: starts outside fail; chi-square (SciPy) fails at p < 1e-6.",
        "4. **mask coupling**: shared axes give identical masks; independent axes show no",
        "   excess co-drop over masks from different calls (5 standard errors).",
        "5. **rescale**: kept values equal x times the claimed scale (global, per_sample,",
        "   expected, none) within a few ulps; the rule actually used is detected.",
        "6. **edge cases**: everything dropped stays finite, drop_prob=0 and inference are",
        "   the identity, a block larger than the map, float16 with > 65,504 kept units,",
        "   dtypes kept, the input never written.",
        "7. **gradient**: the upstream gradient times mask times scale (framework wrappers).",
        "",
        "## Results per implementation",
        "",
    ]
    for report in reports:
        lines += [report.to_markdown(), f"Validated in {report.seconds:.1f} s.", ""]
    page = out / "conformance.md"
    page.write_text("\n".join(lines), encoding="utf-8")
    return [page, *written]
