"""Figures for the report: achieved drop rate across map sizes, example masks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .report import Report
from .spec import SPECS

__all__ = ["DPI", "plot_drop_rates", "plot_masks", "square_rate_points"]

# Drawn at the size a documentation page shows them (at most 960 px wide) with
# text of at least 9 pt, i.e. 12.5 px.
DPI = 100


def square_rate_points(
    report: Report, block: int = 7, drop: float = 0.1
) -> list[tuple[int, float, float]]:
    """``(side, achieved, standard error)`` of the drop-rate results on square
    2-D maps with this block and drop probability.

    >>> square_rate_points(Report("empty", SPECS["paper"], []))
    []
    """
    points = []
    for r in report.find("drop rate"):
        d = r.data
        spatial = d.get("spatial", [])
        if (
            len(spatial) == 2
            and spatial[0] == spatial[1]
            and d["block"] == block
            and d["requested"] == drop
        ):
            points.append((spatial[0], d["achieved"], d["se"]))
    return sorted(points)


def plot_drop_rates(
    reports: Sequence[Report], path: Path, block: int = 7, drop: float = 0.1, top: float = 0.25
) -> Path:
    """Achieved drop rate vs map side for every report with such results,
    against the requested rate and the paper's exact expectation. Points
    above ``top`` are drawn at the top edge with their value written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9.6, 6.4))
    noted: set[str] = set()
    sides = np.arange(block, 57)
    paper = [SPECS["paper"].expected_rate(drop, block, (int(s), int(s))) for s in sides]
    ax.axhline(drop, color="black", lw=1, label=f"requested {drop}")
    ax.plot(sides, paper, color="gray", ls=":", label="paper γ: exact expectation")
    for i, report in enumerate(reports):
        points = square_rate_points(report, block, drop)
        if not points:
            continue
        side, achieved, se = (np.array(v) for v in zip(*points))
        side = side * (1 + 0.012 * (i - len(reports) / 2))  # spread overlapping markers
        shown = np.minimum(achieved, top * 0.98)
        line = ax.errorbar(
            side,
            shown,
            yerr=5 * se,
            fmt="o-" if report.passed else "s--",
            ms=4,
            capsize=2,
            label=f"{report.target} ({report.verdict()})",
        )
        for s_, a in zip(side, achieved):
            if a > top * 0.98 and f"{a:.2f}" not in noted:
                noted.add(f"{a:.2f}")
                ax.annotate(
                    f"{a:.2f}↑",
                    (s_, top * 0.98),
                    textcoords="offset points",
                    xytext=(4, -10),
                    fontsize=9,
                    color=line[0].get_color(),
                )
    ax.set_xscale("log", base=2)
    ax.set_xticks([7, 14, 28, 56], labels=["7", "14", "28", "56"])
    ax.set_xlabel(f"map side (square map, block {block})")
    ax.set_ylabel("achieved drop rate (bars: ±5 SE)")
    ax.set_ylim(0, top)
    ax.set_title(f"Achieved vs requested drop rate (drop_prob={drop}, block {block})", fontsize=11)
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def plot_masks(examples: dict[str, np.ndarray], path: Path, title: str) -> Path:
    """One row per implementation: its dropped sets (``(masks, H, W)``, black = dropped)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = max(1, len(examples))
    cols = max((len(m) for m in examples.values()), default=1)
    width = min(9.6, 1.6 * cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(width, width / cols * 0.8 * rows + 0.5), squeeze=False
    )
    for row, (name, masks) in zip(axes, examples.items()):
        for ax, mask in zip(row, masks):
            ax.imshow(
                np.where(mask, 0.0, 1.0), cmap="gray", vmin=0, vmax=1, interpolation="nearest"
            )
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_title(name, loc="left", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
