"""The seed probability gamma: the paper's formula, the exact expected drop rate
and the exact gamma that hits a requested drop rate.

Seeds are independent Bernoulli(gamma) draws on a *seed grid*; each seed drops a
block. Along one axis of size ``S`` with block ``b`` (clipped to ``S``):

* ``seed_region="valid"``: seeds are block starts ``0 .. S-b`` (the paper's
  green box); the block of seed ``s`` covers ``[s, s+b-1]``.
* ``seed_region="full"``: seeds sit on every position ``0 .. S-1``; the block of
  seed ``s`` covers ``[s - b//2, s - b//2 + b - 1]`` clipped to the map (timm,
  PaddleDetection).

A unit covered by ``n`` possible seeds is kept with probability ``(1-gamma)**n``,
so the expected drop rate is ``1 - mean((1-gamma)**n)``: a closed form.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
from scipy.optimize import brentq

from ._validation import (
    SEED_REGIONS,
    check_choice,
    check_drop_prob,
    check_spatial_shape,
    clip_block,
    normalize_block_size,
)

__all__ = [
    "coverage_counts",
    "exact_gamma",
    "expected_drop_rate",
    "paper_gamma",
    "seed_grid_shape",
    "seed_offset",
]


def _resolve(
    block_size: int | Sequence[int], spatial_shape: int | Sequence[int]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    spatial = check_spatial_shape(spatial_shape)
    block = clip_block(normalize_block_size(block_size, len(spatial)), spatial)
    return block, spatial


def seed_offset(block: int, seed_region: str) -> int:
    """How far a seed sits after the start of its block: 0 (valid) or ``b // 2`` (full)."""
    return 0 if seed_region == "valid" else block // 2


def seed_grid_shape(
    block_size: int | Sequence[int], spatial_shape: int | Sequence[int], seed_region: str = "valid"
) -> tuple[int, ...]:
    """Spatial shape of the seed grid: ``S - b + 1`` (valid) or ``S`` (full) per axis.

    >>> seed_grid_shape(7, (14, 14))
    (8, 8)
    >>> seed_grid_shape((3, 20), (5, 9), "full")
    (5, 9)
    """
    check_choice(seed_region, SEED_REGIONS, "seed_region")
    block, spatial = _resolve(block_size, spatial_shape)
    if seed_region == "full":
        return spatial
    return tuple(s - b + 1 for s, b in zip(spatial, block))


def coverage_counts(size: int, block: int, seed_region: str = "valid") -> np.ndarray:
    """For each position ``i`` of one axis, how many seed positions cover it.

    >>> coverage_counts(5, 3).tolist()
    [1, 2, 3, 2, 1]
    >>> coverage_counts(5, 3, "full").tolist()
    [2, 3, 3, 3, 2]
    """
    block = min(block, size)
    offset = seed_offset(block, seed_region)
    length = size - block + 1 if seed_region == "valid" else size
    i = np.arange(size)
    lo = np.maximum(i + offset - block + 1, 0)
    hi = np.minimum(i + offset, length - 1)
    return hi - lo + 1


def _weighted_counts(
    block: tuple[int, ...], spatial: tuple[int, ...], seed_region: str
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct products n(p) of per-axis coverage counts, with their multiplicities."""
    values = np.ones(1, dtype=np.float64)
    weights = np.ones(1, dtype=np.float64)
    for size, b in zip(spatial, block):
        axis_values, axis_weights = np.unique(
            coverage_counts(size, b, seed_region), return_counts=True
        )
        values = np.multiply.outer(values, axis_values).ravel()
        weights = np.multiply.outer(weights, axis_weights).ravel()
    return values, weights


def paper_gamma(
    drop_prob: float, block_size: int | Sequence[int], spatial_shape: int | Sequence[int]
) -> float:
    """The paper's gamma, generalised: ``drop * prod(S) / (prod(b) * prod(S - b + 1))``.

    The paper calls it an approximation: overlapping blocks make the achieved
    drop rate lower than ``drop_prob`` (see :func:`expected_drop_rate`).

    >>> round(paper_gamma(0.1, 7, (14, 14)), 6)
    0.00625
    >>> paper_gamma(0.1, 1, (5,))  # block 1 is dropout
    0.1
    """
    drop = check_drop_prob(drop_prob)
    block, spatial = _resolve(block_size, spatial_shape)
    numerator = drop * math.prod(spatial)
    denominator = math.prod(block) * math.prod(s - b + 1 for s, b in zip(spatial, block))
    return min(numerator / denominator, 1.0)


def expected_drop_rate(
    gamma: float,
    block_size: int | Sequence[int],
    spatial_shape: int | Sequence[int],
    *,
    seed_region: str = "valid",
) -> float:
    """Exact expected fraction of dropped units when seeds are Bernoulli(``gamma``).

    Accounts for overlapping blocks and borders; no sampling.

    >>> round(expected_drop_rate(paper_gamma(0.1, 7, (14, 14)), 7, (14, 14)), 4)
    0.0929
    >>> expected_drop_rate(0.25, 1, (3, 3))  # block 1: every unit is its own seed
    0.25
    """
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float, np.floating, np.integer)):
        raise TypeError(f"gamma must be a float in [0, 1], got {gamma!r}")
    if not (0.0 <= float(gamma) <= 1.0):
        raise ValueError(f"gamma must be in [0, 1], got {gamma!r}")
    check_choice(seed_region, SEED_REGIONS, "seed_region")
    block, spatial = _resolve(block_size, spatial_shape)
    return _expected_drop_rate(float(gamma), block, spatial, seed_region)


def _expected_drop_rate(
    gamma: float, block: tuple[int, ...], spatial: tuple[int, ...], seed_region: str
) -> float:
    values, weights = _weighted_counts(block, spatial, seed_region)
    if gamma >= 1.0:
        kept = np.where(values > 0, 0.0, 1.0)
    else:
        kept = np.exp(values * math.log1p(-gamma))
    return float(1.0 - np.dot(weights, kept) / math.prod(spatial))


def exact_gamma(
    drop_prob: float,
    block_size: int | Sequence[int],
    spatial_shape: int | Sequence[int],
    *,
    seed_region: str = "valid",
) -> float:
    """The gamma whose :func:`expected_drop_rate` equals ``drop_prob``.

    Found by Brent's method (SciPy) on the closed form, which rises strictly
    from 0 at gamma = 0 to 1 at gamma = 1; results are cached.

    >>> g = exact_gamma(0.1, 7, (14, 14))
    >>> round(g, 6), round(expected_drop_rate(g, 7, (14, 14)), 12)
    (0.006764, 0.1)
    """
    drop = check_drop_prob(drop_prob)
    check_choice(seed_region, SEED_REGIONS, "seed_region")
    block, spatial = _resolve(block_size, spatial_shape)
    return _exact_gamma(drop, block, spatial, seed_region)


@functools.lru_cache(maxsize=4096)
def _exact_gamma(
    drop: float, block: tuple[int, ...], spatial: tuple[int, ...], seed_region: str
) -> float:
    if drop == 0.0:
        return 0.0
    values, weights = _weighted_counts(block, spatial, seed_region)
    total = float(math.prod(spatial))

    # Solve in u = log1p(-gamma) <= 0 for relative precision at tiny gamma.
    def excess(u: float) -> float:
        return 1.0 - float(np.dot(weights, np.exp(values * u))) / total - drop

    # Every unit is covered by between min(n) >= 1 and max(n) seeds, so the root
    # lies between the u where all units would keep exactly 1 - drop at either count.
    u_over = math.log1p(-drop) / float(values.min())  # excess >= 0 here
    u_under = math.log1p(-drop) / float(values.max())  # excess <= 0 here
    at_over, at_under = excess(u_over), excess(u_under)
    if at_over <= 0.0 or at_under >= 0.0:  # equal counts: a bound is the root (to rounding)
        return -math.expm1(u_over if abs(at_over) <= abs(at_under) else u_under)
    u = brentq(excess, u_over, u_under, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=200)
    return -math.expm1(u)
