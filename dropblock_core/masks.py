"""Block masks: seeds on the seed grid, expanded to blocks, as a boolean *keep* mask.

Two expansions give the same mask: a sparse one for NumPy (each seed writes
its block, O(dropped cells) work) and a dense one using only standard array
operations (a separable box dilation by doubling: ``ceil(log2(block))`` ORs of
shifted slices per cell and axis), which serves every other namespace. The
dense one slices and reshapes only along known sizes, so the batch size may be
unknown (a TensorFlow graph tensor).

``drop_prob`` is a Python float (gamma solved on the host; masks are the same
bits on every namespace) or a 0-d real array of the computing namespace,
possibly traced (gamma computed in the graph by :mod:`dropblock_core.graph_gamma`,
so a changing ``drop_prob`` does not recompile).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from ._namespace import is_numpy_namespace, resolve_namespace
from ._validation import (
    SEED_REGIONS,
    check_choice,
    check_counter,
    check_drop_prob,
    check_flag,
    check_gamma,
    check_input_shape,
    clip_block,
    normalize_block_size,
)
from .gamma import exact_gamma, paper_gamma, seed_grid_shape, seed_offset
from .graph_gamma import as_drop_array, drop_namespace, gamma_xp, is_drop_array
from .rng import MAX_POSITIONS, mask_key, seed_bits, seed_indices_numpy

__all__ = [
    "STREAMS",
    "MaskPlan",
    "draw_seeds",
    "expand_seeds",
    "is_sparse",
    "plan_mask",
    "sample_mask",
    "sample_planned_mask",
]

STREAMS = ("counter", "native")
_CHUNK_CELLS = 1 << 16  # block cells written per scatter in the NumPy expansion


@dataclass(frozen=True)
class MaskPlan:
    """Everything about a mask that does not depend on randomness."""

    shape: tuple[int, ...]  # input shape, physical layout
    spatial: tuple[int, ...]
    block: tuple[int, ...]  # clipped to the map
    offsets: tuple[int, ...]  # seed position inside its block, per axis
    grid: tuple[int, ...]  # (batch', channels', *seed grid), logical layout
    gamma: float | Any  # a Python float, or a 0-d array computed in the graph
    channels_last: bool

    @property
    def host_gamma(self) -> bool:
        """Whether gamma is a Python float (else a 0-d, possibly traced, array;
        such a plan is not hashable)."""
        return isinstance(self.gamma, float)

    @property
    def mask_shape(self) -> tuple[int, ...]:
        """Physical shape of the mask: size 1 along shared axes."""
        n, c = self.grid[:2]
        return (n, *self.spatial, c) if self.channels_last else (n, c, *self.spatial)


def plan_mask(
    shape: Sequence[int],
    drop_prob: float | Any,
    block_size: int | Sequence[int],
    *,
    gamma: str | float = "exact",
    seed_region: str = "valid",
    channels_last: bool = False,
    share_channels: bool = False,
    share_batch: bool = False,
    xp: ModuleType | None = None,
) -> MaskPlan:
    """Validate the parameters and resolve gamma, the block and the seed grid.

    A 0-d array ``drop_prob`` (of ``xp``; ``None``: its own namespace) gives a
    gamma computed in the graph for ``gamma="exact"``/``"paper"``.
    """
    shape = check_input_shape(shape)
    if is_drop_array(drop_prob):
        drop: float | Any = as_drop_array(drop_prob, None if xp is None else resolve_namespace(xp))
    else:
        drop = check_drop_prob(drop_prob)
    gamma_rule = check_gamma(gamma)
    check_choice(seed_region, SEED_REGIONS, "seed_region")
    for name, flag in (
        ("channels_last", channels_last),
        ("share_channels", share_channels),
        ("share_batch", share_batch),
    ):
        check_flag(flag, name)
    if channels_last:
        batch, *spatial_list, channels = shape
    else:
        batch, channels, *spatial_list = shape
    spatial = tuple(spatial_list)
    block = clip_block(normalize_block_size(block_size, len(spatial)), spatial)
    empty_map = 0 in spatial
    seed_grid = spatial if empty_map else seed_grid_shape(block, spatial, seed_region)
    grid = (1 if share_batch else batch, 1 if share_channels else channels, *seed_grid)
    if math.prod(grid) > MAX_POSITIONS:
        raise ValueError(f"shape={shape!r} has more than 2**37 seed positions")
    value: float | Any
    if empty_map or isinstance(gamma_rule, float):
        value = 0.0 if empty_map else gamma_rule
    elif not isinstance(drop, float):
        value = gamma_xp(drop, gamma_rule, block, spatial, seed_region, _namespace_of(drop, xp))
    elif drop == 0.0:
        value = 0.0
    elif gamma_rule == "exact":
        value = exact_gamma(drop, block, spatial, seed_region=seed_region)
    else:
        value = paper_gamma(drop, block, spatial)
    offsets = tuple(seed_offset(b, seed_region) for b in block)
    return MaskPlan(shape, spatial, block, offsets, grid, value, channels_last)


def _namespace_of(drop: Any, xp: ModuleType | None) -> ModuleType:
    return drop_namespace(drop) if xp is None else resolve_namespace(xp)


def _check_seed(seed: Any) -> Any:
    """A seed: an int in [0, 2**64), a 0-d integer array (used modulo 2**32)
    or a pair ``(low, high)`` of 32-bit words, ints or 0-d integer arrays (a
    64-bit seed where arrays have no 64-bit integers, e.g. a traced JAX key).
    Concrete words become the int ``low + high * 2**32``."""
    if not isinstance(seed, tuple):
        return check_counter(seed, "seed", 64)
    if len(seed) != 2:
        raise TypeError(f"seed as words must be a pair (low, high), got {seed!r}")
    low, high = (check_counter(word, "seed", 32) for word in seed)
    if isinstance(low, int) and isinstance(high, int):
        return low | high << 32
    return low, high


def sample_mask(
    shape: Sequence[int],
    drop_prob: float | Any,
    block_size: int | Sequence[int],
    *,
    gamma: str | float = "exact",
    seed_region: str = "valid",
    seed: int | Any | None = None,
    step: int | Any = 0,
    replica: int | Any = 0,
    channels_last: bool = False,
    share_channels: bool = False,
    share_batch: bool = False,
    stream: str | None = None,
    xp: ModuleType | None = None,
    device: Any = None,
) -> Any:
    """Boolean **keep** mask (True = kept) for an input of ``shape``.

    ``shape`` is ``(batch, channels, *spatial)`` (``(batch, *spatial,
    channels)`` with ``channels_last=True``). The mask has size 1 along the
    batch axis with ``share_batch=True`` and along the channel axis with
    ``share_channels=True``, so it broadcasts against the input.

    ``drop_prob`` is a Python float, or a 0-d real floating array (of ``xp``;
    with ``xp=None``, of its own namespace), possibly traced (``jax.jit``,
    ``torch.compile``): gamma and the gap thresholds are then computed in the
    graph (:mod:`dropblock_core.graph_gamma`), so a changing ``drop_prob``
    does not recompile. Concrete arrays are range-checked; traced ones cannot
    be. The in-graph gamma agrees with the host's to rounding, so masks may
    differ from those of the same Python float in rare words.

    ``gamma`` is ``"exact"`` (hits ``drop_prob`` in expectation), ``"paper"``
    or a seed probability. ``seed_region`` is ``"valid"`` (blocks inside the
    map) or ``"full"`` (seeds anywhere, blocks clipped). A block larger than
    the map is clipped to the map.

    ``stream="counter"`` (the default whenever ``seed`` is given) draws seeds
    from the reproducible Threefry stream: the same ``seed``, ``step``,
    ``replica`` and parameters give the same bits on every namespace.
    ``stream="native"`` (NumPy only; the default for NumPy without a seed)
    uses NumPy's own generator. ``seed``, ``step`` and ``replica`` are ints
    or 0-d integer arrays, range-checked alike; only a traced array (under
    ``jax.jit``, ``torch.compile``) cannot be checked, and is used modulo 2**32.

    >>> m = sample_mask((2, 3, 14, 14), 0.1, 7, seed=0)
    >>> m.shape, m.dtype
    ((2, 3, 14, 14), dtype('bool'))
    >>> bool((m == sample_mask((2, 3, 14, 14), 0.1, 7, seed=0)).all())
    True
    >>> sample_mask((4, 8, 9), 0.2, 3, seed=1, share_channels=True).shape
    (4, 1, 9)
    >>> import numpy as np  # an array drop_prob: gamma computed in the graph
    >>> sample_mask((2, 3, 14, 14), np.asarray(0.1), 7, seed=0).shape
    (2, 3, 14, 14)
    """
    if xp is None and is_drop_array(drop_prob):
        xp = _namespace_of(drop_prob, None)
    plan = plan_mask(
        shape,
        drop_prob,
        block_size,
        gamma=gamma,
        seed_region=seed_region,
        channels_last=channels_last,
        share_channels=share_channels,
        share_batch=share_batch,
        xp=xp,
    )
    return sample_planned_mask(
        plan, seed=seed, step=step, replica=replica, stream=stream, xp=xp, device=device
    )


def sample_planned_mask(
    plan: MaskPlan,
    *,
    seed: int | Any | None = None,
    step: int | Any = 0,
    replica: int | Any = 0,
    stream: str | None = None,
    xp: ModuleType | None = None,
    device: Any = None,
) -> Any:
    """:func:`sample_mask` for an already validated :class:`MaskPlan`."""
    xp = resolve_namespace(xp)
    seeds = draw_seeds(
        plan, seed=seed, step=step, replica=replica, stream=stream, xp=xp, device=device
    )
    return expand_seeds(plan, seeds, xp, device)


def is_sparse(seeds: Any) -> bool:
    """Whether :func:`draw_seeds` returned sorted flat indices (the NumPy fast path)."""
    return isinstance(seeds, np.ndarray) and seeds.dtype != np.bool_


def expand_seeds(plan: MaskPlan, seeds: Any, xp: ModuleType, device: Any = None) -> Any:
    """The keep-mask of the seeds returned by :func:`draw_seeds`."""
    if seeds is None:
        return xp.ones(plan.mask_shape, dtype=xp.bool, device=device)
    if is_sparse(seeds):
        return _expand_numpy(plan, seeds)
    return _expand_dense(plan, seeds, xp)


def draw_seeds(
    plan: MaskPlan,
    *,
    seed: int | Any | None,
    step: int | Any,
    replica: int | Any,
    stream: str | None,
    xp: ModuleType,
    device: Any = None,
) -> Any:
    """The seeds of a mask: ``None`` (no seed can occur), sorted flat indices
    (a NumPy integer array, sparse) or a boolean indicator on ``xp`` (dense)."""
    numpy_like = is_numpy_namespace(xp)
    if stream is None:
        stream = "native" if seed is None and numpy_like else "counter"
    check_choice(stream, STREAMS, "stream")
    if numpy_like and device is not None and not (isinstance(device, str) and device == "cpu"):
        raise ValueError(f"device must be None or 'cpu' for NumPy, got {device!r}")
    if stream == "native" and not numpy_like:
        raise ValueError(f"stream='native' is only available on NumPy, got xp={xp.__name__!r}")
    step = check_counter(step, "step", 32)
    replica = check_counter(replica, "replica", 32)
    if seed is None:
        import secrets  # imported here: it is only needed without a seed

        seed = secrets.randbits(64)
    else:
        seed = _check_seed(seed)

    total = math.prod(plan.grid)
    gamma = plan.gamma
    if not plan.host_gamma and numpy_like:
        gamma = float(gamma)  # NumPy arrays are concrete: the host path, same thresholds
    if total == 0 or isinstance(gamma, float) and gamma == 0.0:
        return None
    if stream == "native":
        return _native_seed_indices(gamma, total, seed, step, replica)
    if isinstance(gamma, float) and gamma >= 1.0:  # every position is a seed
        return xp.ones((total,), dtype=xp.bool, device=device)
    key = mask_key(seed, step, replica, xp)
    if numpy_like and isinstance(key[0], int):
        return seed_indices_numpy(key, gamma, total)
    return seed_bits(key, gamma, total, xp, device)


def _native_seed_indices(
    gamma: float, total: int, seed: int, step: Any, replica: Any
) -> np.ndarray:
    """Bernoulli(gamma) seeds with NumPy's generator: a binomial count, then a
    uniformly random subset of that size."""
    rng = np.random.default_rng([seed, int(step), int(replica)])
    count = int(rng.binomial(total, gamma))
    if count == total:
        return np.arange(total)
    return np.sort(rng.choice(total, size=count, replace=False, shuffle=False))


def _physical_strides(plan: MaskPlan) -> tuple[int, ...]:
    """Element strides of the mask array for the logical axes (n, c, *spatial)."""
    shape = plan.mask_shape
    strides = [math.prod(shape[i + 1 :]) for i in range(len(shape))]
    if plan.channels_last:
        return (strides[0], strides[-1], *strides[1:-1])
    return tuple(strides)


def _aligned_ones(shape: tuple[int, ...], alignment: int = 64) -> np.ndarray:
    """A True-filled bool array whose buffer starts on an ``alignment``-byte
    boundary (TensorFlow requires 64-byte alignment to import it by DLPack)."""
    size = math.prod(shape)
    raw = np.empty(size + alignment, dtype=np.uint8)
    offset = -raw.ctypes.data % alignment
    out = raw[offset : offset + size].view(bool).reshape(shape)
    out.fill(True)
    return out


def _expand_numpy(
    plan: MaskPlan, seeds: np.ndarray, start: int = 0, stop: int | None = None
) -> np.ndarray:
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


def _along(axis: int, part: slice) -> tuple[slice, ...]:
    return (slice(None),) * axis + (part, ...)


def _zeros_along(seeds: Any, axis: int, length: int, xp: ModuleType) -> Any:
    """Zeros shaped like ``seeds`` but ``length`` long along ``axis``, built from a
    slice of ``seeds`` (so the other sizes, e.g. an unknown batch, carry over)."""
    zeros = xp.zeros_like(seeds[_along(axis, slice(0, 1))])
    count = 1
    while count < length:
        zeros = xp.concat((zeros, zeros), axis=axis)
        count *= 2
    return zeros[_along(axis, slice(0, length))]


def _dilate_axis(seeds: Any, axis: int, size: int, block: int, offset: int, xp: ModuleType) -> Any:
    """OR of the seeds whose block covers each cell, along one axis.

    Cell ``i`` is covered by seeds ``i + offset - block + 1 .. i + offset``
    (clipped to the seed grid). After padding with ``block - 1 - offset``
    False cells in front, that is a window of ``block`` cells starting at
    ``i``: built by doubling (windows of 1, 2, 4, ... cells, then one last
    overlapping OR), ``ceil(log2(block))`` boolean ORs per cell.
    """
    front = block - 1 - offset
    back = size + block - 1 - front - seeds.shape[axis]  # window i ends at i + block - 1
    pieces = [_zeros_along(seeds, axis, front, xp)] if front else []
    pieces += [seeds] + ([_zeros_along(seeds, axis, back, xp)] if back else [])
    window = xp.concat(tuple(pieces), axis=axis) if len(pieces) > 1 else seeds
    width = 1
    while width < block:
        step = min(width, block - width)  # the last step may overlap: OR is idempotent
        length = window.shape[axis] - step
        window = xp.logical_or(
            window[_along(axis, slice(0, length))], window[_along(axis, slice(step, step + length))]
        )
        width += step
    return window[_along(axis, slice(0, size))]


def _expand_dense(plan: MaskPlan, seeds: Any, xp: ModuleType) -> Any:
    """Dense expansion with standard operations only. The batch size is taken
    from ``seeds`` (a multiple of the per-sample seed grid); a channels-last
    mask transposes the seed grid, which is smaller than the mask, first."""
    dropped = xp.reshape(seeds, (-1, *plan.grid[1:]))
    ndim = len(plan.spatial)
    first = 2
    if plan.channels_last:
        dropped = xp.permute_dims(dropped, (0, *range(2, 2 + ndim), 1))
        first = 1
    for d, (size, b, o) in enumerate(zip(plan.spatial, plan.block, plan.offsets)):
        dropped = _dilate_axis(dropped, first + d, size, b, o, xp)
    return xp.logical_not(dropped)
