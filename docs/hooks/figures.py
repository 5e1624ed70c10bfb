"""MkDocs hook: draw the documentation's figures with dropblock_core at build time.

Every figure is computed by the project's own code (``sample_mask``,
``expected_drop_rate``, ``exact_gamma``, ``coverage_counts``) and handed to
MkDocs as a generated file under ``img/generated/``: nothing is written into
``docs/``, nothing generated is committed, and the strict build still checks
that every page links to a figure that exists.

Figures are drawn at the size they are shown: at most ``CONTENT_PX`` pixels
wide (the page's content column in a 1280 px browser window), with no text
smaller than ``MIN_TEXT_PX`` pixels there (:func:`smallest_text_px`).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from mkdocs.config.defaults import MkDocsConfig  # noqa: E402
from mkdocs.structure.files import File, Files  # noqa: E402

import dropblock_core as db  # noqa: E402
from dropblock_core.gamma import coverage_counts  # noqa: E402

__all__ = [
    "CONTENT_PX",
    "DPI",
    "FIGURES",
    "MIN_TEXT_PX",
    "on_files",
    "render",
    "smallest_text_px",
]

log = logging.getLogger("mkdocs.hooks.figures")

OUT_DIR = "img/generated"
DPI = 100
CONTENT_PX = 938  # width of the content column at 1280 px (measured in Chromium)
MIN_TEXT_PX = 11.0  # smallest legible figure text, as shown on the page
KEPT, DROPPED = "#dfe7f2", "#1f3b63"
MASK_CMAP = ListedColormap(
    [DROPPED, KEPT]
)  # False (dropped) -> dark, True (kept) -> light


def _show_mask(ax: plt.Axes, mask: np.ndarray, title: str) -> None:
    ax.imshow(mask, cmap=MASK_CMAP, vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(f"{title}\ndropped {1 - mask.mean():.3f}", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])


def masks_figure() -> plt.Figure:
    """Keep masks of one 32x32 map at drop_prob 0.15 for several block sizes."""
    shape, drop = (1, 1, 32, 32), 0.15
    panels = [
        ("block 1 (dropout)", {"block_size": 1}),
        ("block 3", {"block_size": 3}),
        ("block 7", {"block_size": 7}),
        ("block (3, 11)", {"block_size": (3, 11)}),
        ("block 7, 'full'", {"block_size": 7, "seed_region": "full"}),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(9.3, 2.9))
    for ax, (title, kwargs) in zip(axes, panels):
        block = kwargs.pop("block_size")
        mask = db.sample_mask(shape, drop, block, seed=2018, **kwargs)[0, 0]
        _show_mask(ax, mask, title)
    fig.suptitle(
        "sample_mask((1, 1, 32, 32), 0.15, block, seed=2018): dark = dropped",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def channels_figure() -> plt.Figure:
    """Four channels of one sample: independent masks versus share_channels=True."""
    shape, drop, block, seed = (1, 4, 24, 24), 0.15, 5, 9
    rows = [
        ("per channel\n(default)", db.sample_mask(shape, drop, block, seed=seed)),
        (
            "share_channels=True",
            db.sample_mask(shape, drop, block, seed=seed, share_channels=True),
        ),
    ]
    fig, axes = plt.subplots(2, 4, figsize=(8.4, 5.4))
    for r, (label, mask) in enumerate(rows):
        for c in range(4):
            _show_mask(
                axes[r, c], mask[0, min(c, mask.shape[1] - 1)], f"channel {c}"
            )
        axes[r, 0].set_ylabel(label, fontsize=10)
    fig.suptitle(
        f"sample_mask((1, 4, 24, 24), 0.15, 5, seed={seed}, ...)", fontsize=11
    )
    fig.tight_layout()
    return fig


def rates_figure() -> plt.Figure:
    """Expected drop rate achieved versus requested, paper gamma against exact gamma."""
    block, sizes = 7, (7, 14, 28, 56)
    requested = np.linspace(0.0, 0.5, 51)[1:]
    fig, axes = plt.subplots(1, 2, figsize=(9.3, 5.6), sharex=True)
    for ax, region in zip(axes, ("valid", "full")):
        ax.plot([0, 0.5], [0, 0.5], color="0.5", lw=1, ls="--", label="requested")
        for k, size in enumerate(sizes):
            spatial = (size, size)
            paper = [
                db.expected_drop_rate(
                    db.paper_gamma(p, block, spatial),
                    block,
                    spatial,
                    seed_region=region,
                )
                for p in requested
            ]
            (line,) = ax.plot(
                requested, paper, lw=1.6, label=f"paper γ, {size}×{size}"
            )
            # Exact gamma: staggered so that the dots of every size stay visible.
            marks = requested[k :: len(sizes)]
            exact = [
                db.expected_drop_rate(
                    db.exact_gamma(p, block, spatial, seed_region=region),
                    block,
                    spatial,
                    seed_region=region,
                )
                for p in marks
            ]
            ax.plot(
                marks,
                exact,
                "o",
                ms=4,
                color=line.get_color(),
                label=f"exact γ, {size}×{size}",
            )
        ax.set_title(f"block 7, seed_region='{region}'", fontsize=11)
        ax.set_xlabel("requested drop_prob")
        ax.set_xlim(0, 0.5)
        ax.set_ylim(0, 0.6 if region == "valid" else 1.0)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("expected drop rate (expected_drop_rate)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="lower center", ncol=3, fontsize=9, frameon=False
    )
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    return fig


def coverage_figure() -> plt.Figure:
    """n(p): how many possible seeds cover each unit of a 14x14 map, block 7."""
    size, block = 14, 7
    fig, axes = plt.subplots(1, 2, figsize=(9.3, 5.4))
    for ax, region in zip(axes, ("valid", "full")):
        c = coverage_counts(size, block, region)
        n = np.multiply.outer(c, c)
        ax.imshow(
            n, cmap="Blues", vmin=0, vmax=n.max() * 1.25, interpolation="nearest"
        )
        for (i, j), value in np.ndenumerate(n):
            ax.text(j, i, str(value), ha="center", va="center", fontsize=8)
        grid = db.seed_grid_shape(block, (size, size), region)
        ax.set_title(
            f"seed_region='{region}': seed grid {grid[0]}×{grid[1]}\n"
            f"n(p) = c(i)·c(j), c = {c.tolist()}",
            fontsize=9,
        )
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


FIGURES: dict[str, Callable[[], plt.Figure]] = {
    "masks.png": masks_figure,
    "channels.png": channels_figure,
    "rates.png": rates_figure,
    "coverage.png": coverage_figure,
}


def smallest_text_px(
    fig: plt.Figure, dpi: float = DPI, shown_px: float = CONTENT_PX
) -> float:
    """Height in screen pixels of the figure's smallest text, when its PNG
    (``dpi``) is shown at most ``shown_px`` wide, as the page's content column does.

    >>> fig = plt.figure(figsize=(4, 2)); _ = fig.text(0.5, 0.5, "x", fontsize=9)
    >>> round(float(smallest_text_px(fig, dpi=100, shown_px=200)), 2)  # 400 px at 200
    6.25
    >>> plt.close(fig)
    """
    fig.canvas.draw()  # creates the tick labels
    texts = [
        t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
    ]
    scale = min(1.0, shown_px / (fig.get_figwidth() * dpi))
    return min(t.get_fontsize() for t in texts) * dpi / 72 * scale


def render(draw: Callable[[], plt.Figure]) -> bytes:
    """PNG bytes of one figure."""
    fig = draw()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add every figure to the site as a generated file."""
    for name, draw in FIGURES.items():
        files.append(
            File.generated(config, f"{OUT_DIR}/{name}", content=render(draw))
        )
    log.debug("generated %d figures", len(FIGURES))
    return files
