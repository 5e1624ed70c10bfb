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

from ._validation import (
    SEED_REGIONS,
    check_choice,
    check_drop_prob,
    check_probability,
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
    """How far a seed sits after the start of its block: 0 (valid) or ``b // 2`` (full).

    Parameters
    ----------
    block : int
        The block's size along one axis (already clipped to the axis).
    seed_region : {"valid", "full"}
        Where seeds sit (see the module docstring); not checked here: any
        value other than ``"valid"`` is read as ``"full"``.

    Returns
    -------
    int
        The offset of a seed from its block's first position along the axis.

    Examples
    --------
    >>> seed_offset(7, "valid"), seed_offset(7, "full"), seed_offset(4, "full")
    (0, 3, 2)
    """
    return 0 if seed_region == "valid" else block // 2


def seed_grid_shape(
    block_size: int | Sequence[int], spatial_shape: int | Sequence[int], seed_region: str = "valid"
) -> tuple[int, ...]:
    """Spatial shape of the seed grid: ``S - b + 1`` (valid) or ``S`` (full) per axis.

    Parameters
    ----------
    block_size : int or sequence of int
        The block's size along each spatial axis (an int: the same on every
        axis); a block larger than the map is clipped to the map.
    spatial_shape : int or sequence of int
        The feature map's spatial sizes (an int: one axis), each >= 1.
    seed_region : {"valid", "full"}, default "valid"
        ``"valid"``: seeds are the block starts that keep the block inside the
        map; ``"full"``: a seed on every position.

    Returns
    -------
    tuple of int
        The seed grid's size along each spatial axis.

    Raises
    ------
    ValueError
        If ``seed_region`` is not ``"valid"`` or ``"full"``, a size of
        ``spatial_shape`` or of ``block_size`` is below 1, or ``block_size``
        does not give one size per spatial axis.
    TypeError
        If ``block_size`` or ``spatial_shape`` is not an int or a sequence of
        ints.

    Examples
    --------
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

    A unit whose per-axis counts are ``n_1, ..., n_d`` is covered by
    ``n = n_1 * ... * n_d`` seeds and kept with probability ``(1 - gamma) ** n``.

    Parameters
    ----------
    size : int
        The axis' size, >= 1 (not checked here).
    block : int
        The block's size along the axis, >= 1; clipped to ``size``.
    seed_region : {"valid", "full"}, default "valid"
        Where seeds sit, as in :func:`seed_grid_shape`; not checked here: any
        value other than ``"valid"`` is read as ``"full"``.

    Returns
    -------
    numpy.ndarray
        Integer array of shape ``(size,)``: the number of seed positions whose
        block covers each position, between 1 and ``block``.

    Examples
    --------
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


# Distinct coverage products beyond this many are refused (each float64 array
# of them would take more than 512 MiB): a limit of the closed form's size,
# reached only with blocks of thousands of cells per axis.
MAX_DISTINCT_COUNTS = 1 << 26


def _axis_histogram(size: int, block: int, seed_region: str) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of :func:`coverage_counts` (ascending) and how many
    positions take each, in O(distinct values) whatever ``size`` is.

    Position ``i`` is covered by ``min(i + o, L - 1) - max(i + o - b + 1, 0) + 1``
    seeds (``o`` the seed offset, ``L`` the seed count): a trapezoid, rising by
    one per position, flat, then falling by one. Each rising or falling
    position has its own value; the flat part has one value.

    >>> [v.tolist() for v in _axis_histogram(5, 3, "valid")]
    [[1, 2, 3], [2, 2, 1]]
    >>> [v.tolist() for v in _axis_histogram(10**10, 7, "full")]
    [[4, 5, 6, 7], [2, 2, 2, 9999999994]]
    """
    block = min(block, size)
    offset = seed_offset(block, seed_region)
    length = size - block + 1 if seed_region == "valid" else size
    # The count stops rising from the left at i = b - 1 - o and starts falling
    # towards the right at i = L - 1 - o.
    bends = (block - 1 - offset, length - 1 - offset)
    cuts = sorted({0, size, *(min(max(c, 0), size) for c in bends)})
    parts_values, parts_counts = [], []
    for lo, hi in zip(cuts, cuts[1:]):  # [lo, hi): the count is linear on each part
        if hi <= lo:
            continue
        first = min(lo + offset, length - 1) - max(lo + offset - block + 1, 0) + 1
        last = min(hi - 1 + offset, length - 1) - max(hi - 1 + offset - block + 1, 0) + 1
        if first == last:
            parts_values.append(np.array([first], dtype=np.int64))
            parts_counts.append(np.array([hi - lo], dtype=np.int64))
        else:
            step = 1 if last > first else -1
            parts_values.append(np.arange(first, last + step, step, dtype=np.int64))
            parts_counts.append(np.ones(hi - lo, dtype=np.int64))
    values, inverse = np.unique(np.concatenate(parts_values), return_inverse=True)
    counts = np.zeros(values.size, dtype=np.int64)
    np.add.at(counts, inverse, np.concatenate(parts_counts))
    return values, counts


def _weighted_counts(
    block: tuple[int, ...], spatial: tuple[int, ...], seed_region: str
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct products n(p) of per-axis coverage counts, with their multiplicities
    (float64 arrays), in O(number of products) whatever the map size."""
    bound = math.prod(block)  # an axis has at most b distinct counts (1 .. b)
    if bound > MAX_DISTINCT_COUNTS:
        raise ValueError(
            f"block_size={block!r} on spatial_shape={spatial!r} has up to {bound} distinct "
            f"coverage counts, more than the {MAX_DISTINCT_COUNTS} the closed form handles"
        )
    values = np.ones(1, dtype=np.float64)
    weights = np.ones(1, dtype=np.float64)
    for size, b in zip(spatial, block):
        axis_values, axis_weights = _axis_histogram(size, b, seed_region)
        values = np.multiply.outer(values, axis_values).ravel()
        weights = np.multiply.outer(weights, axis_weights).ravel()
    return values, weights


def paper_gamma(
    drop_prob: float, block_size: int | Sequence[int], spatial_shape: int | Sequence[int]
) -> float:
    """The paper's gamma, generalised: ``drop * prod(S) / (prod(b) * prod(S - b + 1))``.

    The paper calls it an approximation: overlapping blocks make the achieved
    drop rate lower than ``drop_prob`` (see :func:`expected_drop_rate`).

    Parameters
    ----------
    drop_prob : float
        The drop probability to aim at, in [0, 1).
    block_size, spatial_shape
        As for :func:`seed_grid_shape`.

    Returns
    -------
    float
        The seed probability, capped at 1.

    Raises
    ------
    ValueError
        If ``drop_prob`` is outside [0, 1), or as for :func:`seed_grid_shape`.
    TypeError
        If ``drop_prob`` is not a real number, or as for :func:`seed_grid_shape`.

    Examples
    --------
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

    Parameters
    ----------
    gamma : float
        The seed probability, in [0, 1].
    block_size, spatial_shape, seed_region
        As for :func:`seed_grid_shape` (``seed_region`` keyword-only here).

    Returns
    -------
    float
        The expected fraction of dropped units, in [0, 1].

    Raises
    ------
    ValueError
        If ``gamma`` is outside [0, 1], as for :func:`seed_grid_shape`, or if
        the clipped block has more than ``MAX_DISTINCT_COUNTS`` (2**26) cells,
        the most the closed form handles.
    TypeError
        If ``gamma`` is not a real number, or as for :func:`seed_grid_shape`.

    Examples
    --------
    >>> round(expected_drop_rate(paper_gamma(0.1, 7, (14, 14)), 7, (14, 14)), 4)
    0.0929
    >>> expected_drop_rate(0.25, 1, (3, 3))  # block 1: every unit is its own seed
    0.25
    """
    value = check_probability(gamma, "gamma")
    check_choice(seed_region, SEED_REGIONS, "seed_region")
    block, spatial = _resolve(block_size, spatial_shape)
    return _expected_drop_rate(value, block, spatial, seed_region)


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

    Parameters
    ----------
    drop_prob : float
        The drop rate to hit in expectation, in [0, 1).
    block_size, spatial_shape, seed_region
        As for :func:`seed_grid_shape` (``seed_region`` keyword-only here).

    Returns
    -------
    float
        The seed probability, in [0, 1]; 0 for ``drop_prob == 0``.

    Raises
    ------
    ValueError
        If ``drop_prob`` is outside [0, 1), as for :func:`seed_grid_shape`, or
        if the clipped block has more than ``MAX_DISTINCT_COUNTS`` cells (see
        :func:`expected_drop_rate`).
    TypeError
        If ``drop_prob`` is not a real number, or as for :func:`seed_grid_shape`.

    Examples
    --------
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
    from scipy.optimize import brentq  # imported here: SciPy's optimizer is slow to import

    u = brentq(excess, u_over, u_under, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=200)
    return -math.expm1(u)
