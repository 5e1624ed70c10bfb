"""Planted faulty DropBlocks: one defect each, built on the reference core so
that everything else about them is right. Each claims the paper's spec.

Every fault draws from the reproducible Threefry stream (seed, step), restarted
by ``reseed``, so the validator's verdicts on them are deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import dropblock_core as db
from dropblock_core.conformance import Implementation

__all__ = ["FAULTS", "fault", "naive_gamma_impl", "reference_paper"]

Body = Callable[[np.ndarray, float, int, dict[str, int]], np.ndarray]


def fault(body: Body) -> Implementation:
    """An implementation calling ``body(x, drop_prob, block_size, stream)``
    where ``stream`` holds the seed and a step counting calls."""
    state = {"seed": 0, "step": 0}

    def forward(x: np.ndarray, drop_prob: float, block_size: int) -> np.ndarray:
        state["step"] += 1
        return body(x, drop_prob, block_size, dict(state))

    def reseed(seed: int) -> None:
        state["seed"], state["step"] = seed, 0

    return Implementation(forward, eval=lambda x, p, b: x, reseed=reseed)


def _global_scale(keep: np.ndarray) -> float:
    kept = int(keep.sum())
    return keep.size / kept if kept else 0.0


def _apply(x: np.ndarray, keep: np.ndarray, scale: Any) -> np.ndarray:
    wide = np.float64 if x.dtype == np.float64 else np.float32
    return (x * keep * np.asarray(scale, dtype=wide)).astype(x.dtype)


def reference_paper(x: np.ndarray, p: float, b: int, s: dict[str, int]) -> np.ndarray:
    return db.dropblock(x, p, b, gamma="paper", **s)


def naive_gamma(x: np.ndarray, p: float, b: int, s: dict[str, int]) -> np.ndarray:
    """gamma = drop_prob / block**ndim (PyPI dropblock's formula), else the paper."""
    return db.dropblock(x, p, b, gamma=min(p / b ** (x.ndim - 2), 1.0), **s)


def full_region(x: np.ndarray, p: float, b: int, s: dict[str, int]) -> np.ndarray:
    """Seeds anywhere, blocks clipped at the border (timm), claimed valid."""
    return db.dropblock(x, p, b, gamma="paper", seed_region="full", **s)


def region_off_by_one(x: np.ndarray, p: float, b: int, s: dict[str, int]) -> np.ndarray:
    """Seeds never on the last valid row/column (the grid is one short per axis)."""
    spatial = x.shape[2:]
    if any(n <= b for n in spatial):
        return reference_paper(x, p, b, s)
    gamma = db.paper_gamma(p, b, spatial)
    small = db.sample_mask((*x.shape[:2], *(n - 1 for n in spatial)), p, b, gamma=gamma, **s)
    keep = np.pad(small, [(0, 0), (0, 0)] + [(0, 1)] * len(spatial), constant_values=True)
    return _apply(x, keep, _global_scale(keep))


def shrunken_blocks(x: np.ndarray, p: float, b: int, s: dict[str, int]) -> np.ndarray:
    """Blocks one smaller than asked (the paper's gamma for the asked size)."""
    gamma = db.paper_gamma(p, b, x.shape[2:])
    return db.dropblock(x, p, max(1, b - 1), gamma=gamma, **s)


def grown_blocks(x: np.ndarray, p: float, b: int, s: dict[str, int]) -> np.ndarray:
    """Blocks one larger than asked (still unions of blocks of the asked size)."""
    gamma = db.paper_gamma(p, b, x.shape[2:])
    return db.dropblock(x, p, b + 1, gamma=gamma, **s)


def shared_channels(x: np.ndarray, p: float, b: int, s: dict[str, int]) -> np.ndarray:
    """One mask for all channels, claimed per channel."""
    return db.dropblock(x, p, b, gamma="paper", share_channels=True, **s)


def no_rescale(x: np.ndarray, p: float, b: int, s: dict[str, int]) -> np.ndarray:
    """Kept values are not rescaled."""
    return db.dropblock(x, p, b, gamma="paper", normalize="none", **s)


def nan_when_all_dropped(x: np.ndarray, p: float, b: int, s: dict[str, int]) -> np.ndarray:
    """scale = size / kept with no guard: 0 * inf = NaN when everything is dropped."""
    keep = db.sample_mask(x.shape, p, b, gamma="paper", **s)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _apply(x, keep, keep.size / np.float64(keep.sum()))


def float16_count(x: np.ndarray, p: float, b: int, s: dict[str, int]) -> np.ndarray:
    """Kept units counted in the input dtype: float16 overflows past 65,504 and
    the scale becomes 0 (torchvision's defect)."""
    keep = db.sample_mask(x.shape, p, b, gamma="paper", **s)
    if x.dtype != np.float16:
        return _apply(x, keep, _global_scale(keep))
    with np.errstate(over="ignore"):
        kept = keep.astype(np.float16).sum(dtype=np.float16)
        scale = np.float16(keep.size) / kept if math.isfinite(kept) else np.float16(0)
    return (x * keep * scale).astype(np.float16)


def writes_input(x: np.ndarray, p: float, b: int, s: dict[str, int]) -> np.ndarray:
    """Correct output, computed in place in the caller's array."""
    y = reference_paper(x, p, b, s)
    x[...] = y
    return x


# fault name -> (body, the checks that must fail: the defect's own check and
# the others it plausibly shows up in)
FAULTS: dict[str, tuple[Body, set[str]]] = {
    "naive gamma": (naive_gamma, {"drop rate"}),
    "seeds in the full region": (
        full_region,
        {"drop rate", "block structure", "seed positions", "edge cases"},  # edge: block > map
    ),
    "seed region one short": (region_off_by_one, {"drop rate", "seed positions"}),
    "shrunken blocks": (shrunken_blocks, {"drop rate", "block structure"}),
    "grown blocks": (grown_blocks, {"drop rate", "block structure"}),
    "shared masks claimed per channel": (shared_channels, {"mask coupling"}),
    "no rescale": (no_rescale, {"rescale"}),
    "NaN when all dropped": (nan_when_all_dropped, {"edge cases"}),
    "float16 count overflow": (float16_count, {"edge cases"}),
    "writes its input": (writes_input, {"edge cases"}),
}


naive_gamma_impl = fault(naive_gamma)  # for ``dropblock-core validate --target``
