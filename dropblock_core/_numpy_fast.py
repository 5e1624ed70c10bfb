"""The NumPy fast path: sparse seeds, each seed writing its block, slabs, bit tricks.

Seeds are sorted flat indices into the seed grid: the Threefry stream evaluated
only for groups that still need a word (:func:`dropblock_core.rng.seed_indices_numpy`),
or NumPy's own generator (``stream="native"``). Each seed clears its block in a
keep-mask (O(dropped cells) work), and :func:`dropblock` builds the mask a slab
of samples at a time, so the extra memory stays a fraction of a byte per
element. It gives the bits of :mod:`dropblock_core._standard` (the tests hold
the two against each other).
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from ._plan import MaskPlan, SeedDraw
from ._standard import MaskPath, constant_scale
from .rng import mask_key, seed_indices_numpy

__all__ = ["NumpyFastPath", "expand_seeds", "keep_values"]

_CHUNK_CELLS = 1 << 16  # block cells written per scatter
_SLAB_FRACTION = 16  # a slab's mask holds about 1/16 of the mask's units

# Sorted int64 seed indices and boolean masks (numpy.typing is not imported:
# ``import dropblock_core`` loads nothing of NumPy beyond ``import numpy``).
Indices = np.ndarray
BoolArray = np.ndarray


class NumpyFastPath(MaskPath):
    """The NumPy path: sorted seed indices, sparse expansion, slabs."""

    native_stream = True  # NumPy's own generator: stream="native"

    def check_device(self, device: Any) -> None:
        """NumPy arrays live on the CPU only."""
        if device is not None and not (isinstance(device, str) and device == "cpu"):
            raise ValueError(f"device must be None or 'cpu' for NumPy, got {device!r}")

    def seedless(self, plan: MaskPlan) -> bool:
        """Whether no seed can occur; gamma is concrete on NumPy, even as an array."""
        return plan.seedless(float(plan.gamma))

    def draw_seeds(
        self, plan: MaskPlan, draw: SeedDraw, *, device: Any = None, xp: ModuleType
    ) -> Indices:
        """The seeds as sorted flat indices into the seed grid (empty: none)."""
        total, gamma = plan.positions, float(plan.gamma)  # NumPy arrays are concrete
        if plan.seedless(gamma):
            return np.empty(0, dtype=np.int64)
        if draw.stream == "native":
            return _native_seed_indices(gamma, total, draw)
        if gamma >= 1.0:  # every position is a seed
            return np.arange(total, dtype=np.int64)
        k0, k1 = mask_key(draw.seed, draw.step, draw.replica)
        return seed_indices_numpy((int(k0), int(k1)), gamma, total)

    def expand_seeds(self, plan: MaskPlan, seeds: Indices, *, xp: ModuleType) -> BoolArray:
        """The keep-mask of sorted seed indices (see :func:`expand_seeds`)."""
        return expand_seeds(plan, seeds)

    def keep_scale(
        self, mask: Any, drop_prob: float | Any, normalize: str, dtype: Any, *, xp: ModuleType
    ) -> Any:
        """As the standard one, counted in float64; ``"global"`` gives a float."""
        if normalize in ("none", "expected"):
            return constant_scale(drop_prob, normalize)
        axes = None if normalize == "global" else tuple(range(1, mask.ndim))
        size = math.prod(mask.shape if axes is None else mask.shape[1:])
        kept = np.asarray(np.count_nonzero(mask, axis=axes, keepdims=axes is not None), np.float64)
        scale = np.divide(size, kept, out=np.zeros_like(kept), where=kept > 0)
        return float(scale) if axes is None else scale.astype(dtype)

    def apply_mask(
        self, x: Any, mask: Any, drop_prob: float | Any, normalize: str, *, xp: ModuleType
    ) -> Any:
        """The standard :func:`dropblock_core._standard.apply_mask`, in place on one buffer."""
        scale = self.keep_scale(mask, drop_prob, normalize, np.float64, xp=xp)
        out = keep_values(x, np.asarray(mask), np.empty_like(x))
        if not (isinstance(scale, float) and scale == 1.0):
            _rescale(out, np.asarray(scale, dtype=_wide(x)))
        return out

    def apply_seeds(
        self,
        x: Any,
        plan: MaskPlan,
        seeds: Indices,
        drop_prob: float | Any,
        normalize: str,
        *,
        xp: ModuleType,
    ) -> Any:
        """Masks built a slab of samples at a time, written straight into the output."""
        return _dropblock_slabs(x, plan, seeds, drop_prob, normalize)


def _native_seed_indices(gamma: float, total: int, draw: SeedDraw) -> Indices:
    """Bernoulli(gamma) seeds with NumPy's generator: a binomial count, then a
    uniformly random subset of that size."""
    rng = np.random.default_rng([draw.seed, int(draw.step), int(draw.replica)])
    count = int(rng.binomial(total, gamma))
    if count == total:
        return np.arange(total, dtype=np.int64)
    return np.sort(rng.choice(total, size=count, replace=False, shuffle=False))


def _wide(x: np.ndarray) -> type[np.floating[Any]]:
    """The scale is computed in float32, or float64 for float64 input."""
    return np.float64 if x.dtype == np.float64 else np.float32


def _physical_strides(plan: MaskPlan) -> tuple[int, ...]:
    """Element strides of the mask array for the logical axes (n, c, *spatial)."""
    shape = plan.mask_shape
    strides = [math.prod(shape[i + 1 :]) for i in range(len(shape))]
    if plan.channels_last:
        return (strides[0], strides[-1], *strides[1:-1])
    return tuple(strides)


def _aligned_ones(shape: tuple[int, ...], alignment: int = 64) -> BoolArray:
    """A True-filled bool array whose buffer starts on an ``alignment``-byte
    boundary (TensorFlow requires 64-byte alignment to import it by DLPack)."""
    size = math.prod(shape)
    raw = np.empty(size + alignment, dtype=np.uint8)
    offset = -raw.ctypes.data % alignment
    out = raw[offset : offset + size].view(np.bool_).reshape(shape)
    out.fill(True)
    return out


def expand_seeds(
    plan: MaskPlan, seeds: Indices, start: int = 0, stop: int | None = None
) -> BoolArray:
    """Sparse expansion: clear the block of every seed in a NumPy keep-mask.

    ``seeds`` are sorted flat seed-grid indices; only samples ``start:stop`` of
    the mask's batch axis are built (for memory-bounded slabs).
    """
    stop = plan.grid[0] if stop is None else stop
    per_sample = math.prod(plan.grid[1:])
    lo, hi = np.searchsorted(seeds, [start * per_sample, stop * per_sample])
    seeds = seeds[lo:hi] - start * per_sample
    grid = (stop - start, *plan.grid[1:])
    mask = _aligned_ones((stop - start, *plan.mask_shape[1:]))
    if seeds.size == 0:
        return mask
    flat = mask.reshape(-1)
    strides = _physical_strides(plan)
    coords = np.unravel_index(seeds, grid)
    per_chunk = max(1, _CHUNK_CELLS // math.prod(plan.block))
    ndim = len(plan.spatial)
    if not any(plan.offsets):  # valid region: every block lies inside the map
        starts = coords[0] * strides[0] + coords[1] * strides[1]
        for d in range(ndim):
            starts += coords[2 + d] * strides[2 + d]
        pattern = np.zeros((1,), dtype=np.intp)
        for b, stride in zip(plan.block, strides[2:]):
            pattern = (pattern[:, None] + np.arange(b) * stride).reshape(-1)
        for first in range(0, seeds.size, per_chunk):
            index = starts[first : first + per_chunk, None] + pattern
            flat[index.reshape(-1)] = False
        return mask
    for first in range(0, seeds.size, per_chunk):
        part = slice(first, first + per_chunk)
        index = (coords[0][part] * strides[0] + coords[1][part] * strides[1]).reshape(
            -1, *([1] * ndim)
        )
        for d, (size, b, o) in enumerate(zip(plan.spatial, plan.block, plan.offsets)):
            cells = np.clip(coords[2 + d][part, None] - o + np.arange(b), 0, size - 1)
            # Clipping maps cells outside the map onto the border cell, which the
            # clipped block contains anyway, so the union is unchanged.
            axis_shape = [-1] + [1] * ndim
            axis_shape[1 + d] = b
            index = index + (cells * strides[2 + d]).reshape(axis_shape)
        flat[index.reshape(-1)] = False
    return mask


def keep_values(x: np.ndarray, mask: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out = x`` where ``mask``, exactly ``+0.0`` elsewhere, whatever ``x``
    holds there (``x * mask`` would turn a dropped inf or NaN into NaN).

    The bit patterns are multiplied by the mask's 0/1 bytes: one pass, as fast
    as the float product (a select or a masked copy is 2-4x slower).

    >>> x = np.array([np.inf, -np.inf, np.nan, -2.0], np.float32)
    >>> keep_values(x, np.array([False, True, False, False]), np.empty_like(x)).tolist()
    [0.0, -inf, 0.0, 0.0]
    """
    if x.dtype.itemsize not in (2, 4, 8):  # e.g. long double: no integer twin
        np.copyto(out, np.where(mask, x, np.zeros((), x.dtype)))
        return out
    bits = np.dtype(f"uint{8 * x.dtype.itemsize}")
    np.multiply(x.view(bits), mask.view(np.uint8), out=out.view(bits), casting="unsafe")
    return out


def _rescale(out: np.ndarray, scale: np.ndarray) -> None:
    """``out *= scale`` in place. A kept unit whose scaled value exceeds the
    dtype's range (float16 past 65,504) becomes inf, as IEEE rounding and the
    frameworks' own dropout give, without NumPy's overflow warning."""
    with np.errstate(over="ignore"):
        np.multiply(out, scale, out=out, casting="same_kind")


def _dropblock_slabs(
    x: np.ndarray, plan: MaskPlan, seeds: Indices, drop: float, normalize: str
) -> np.ndarray:
    """Masks built a slab of samples at a time, so the extra memory stays a
    fraction of a byte per element."""
    out = np.empty_like(x)
    mask_batch = plan.grid[0]
    sample_size = math.prod(plan.mask_shape[1:])
    slab = max(1, mask_batch // _SLAB_FRACTION)
    kept = np.zeros(mask_batch, dtype=np.int64)
    for start in range(0, mask_batch, slab):
        stop = min(start + slab, mask_batch)
        mask = expand_seeds(plan, seeds, start, stop)
        rows = slice(None) if mask_batch == 1 else slice(start, stop)
        keep_values(x[rows], mask, out[rows])
        kept[start:stop] = np.count_nonzero(mask.reshape(stop - start, -1), axis=1)
    wide = _wide(x)
    if normalize == "global":
        total = int(kept.sum())
        scale: Any = sample_size * mask_batch / total if total else 0.0
    elif normalize == "per_sample":
        per = np.divide(sample_size, kept, out=np.zeros(mask_batch), where=kept > 0)
        scale = per.astype(wide).reshape(-1, *([1] * (x.ndim - 1)))
    else:
        scale = constant_scale(drop, normalize)
    _rescale(out, np.asarray(scale, dtype=wide))
    return out
