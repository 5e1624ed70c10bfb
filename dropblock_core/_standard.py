"""The pure array-API mask path: what array-api-strict, torch, JAX and TensorFlow run.

Seeds are a dense boolean indicator drawn from the Threefry stream
(:func:`dropblock_core.rng.seed_bits`, with the namespace's native seed loop
where :mod:`dropblock_core.native` lists one), expanded to blocks by a
separable box dilation by doubling (``ceil(log2(block))`` ORs of shifted
slices per cell and axis). Only standard operations are used, and slicing and
reshaping only along known sizes, so the batch size may be unknown (a
TensorFlow graph tensor). :mod:`dropblock_core._numpy_fast` gives the same
bits on NumPy; the tests hold the two against each other.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from ._namespace import wide_float_dtype
from ._plan import MaskPlan, SeedDraw
from .native import GroupBits
from .rng import mask_key, seed_bits

__all__ = [
    "MaskPath",
    "StandardPath",
    "apply_mask",
    "constant_scale",
    "dilate_axis",
    "expand_seeds",
    "keep_scale",
]


class MaskPath:
    """What a mask path provides, with the pure array-API methods as defaults.

    A path draws seeds (:meth:`draw_seeds`, one kind of value per path, which
    only the same path's :meth:`expand_seeds` reads) and expands them to a
    keep-mask; the rest is built on those two. :class:`StandardPath` is this
    base with the standard seed draw; :class:`dropblock_core._numpy_fast.NumpyFastPath`
    overrides only where NumPy has faster means.
    """

    native_stream = False  # whether stream="native" (the namespace's own generator) exists

    def check_device(self, device: Any) -> None:
        """Any device of the namespace is accepted."""

    def seedless(self, plan: MaskPlan) -> bool:
        """Whether no seed can occur (see :meth:`MaskPlan.seedless`)."""
        return plan.seedless(plan.gamma)

    def draw_seeds(
        self, plan: MaskPlan, draw: SeedDraw, *, device: Any = None, xp: ModuleType
    ) -> Any:
        """The seeds of ``plan`` for ``draw``, as this path represents them."""
        raise NotImplementedError

    def expand_seeds(self, plan: MaskPlan, seeds: Any, *, xp: ModuleType) -> Any:
        """The keep-mask of a seed indicator (see :func:`expand_seeds`)."""
        return expand_seeds(plan, seeds, xp=xp)

    def sample_mask(
        self, plan: MaskPlan, draw: SeedDraw, *, device: Any = None, xp: ModuleType
    ) -> Any:
        """The keep-mask of ``plan`` for ``draw``."""
        if self.seedless(plan):
            return xp.ones(plan.mask_shape, dtype=xp.bool, device=device)
        seeds = self.draw_seeds(plan, draw, device=device, xp=xp)
        return self.expand_seeds(plan, seeds, xp=xp)

    def keep_scale(
        self, mask: Any, drop_prob: float | Any, normalize: str, dtype: Any, *, xp: ModuleType
    ) -> Any:
        """See :func:`keep_scale`."""
        return keep_scale(mask, drop_prob, normalize, dtype, xp=xp)

    def apply_mask(
        self, x: Any, mask: Any, drop_prob: float | Any, normalize: str, *, xp: ModuleType
    ) -> Any:
        """See :func:`apply_mask`."""
        return apply_mask(x, mask, drop_prob, normalize, xp=xp)

    def apply_seeds(
        self,
        x: Any,
        plan: MaskPlan,
        seeds: Any,
        drop_prob: float | Any,
        normalize: str,
        *,
        xp: ModuleType,
    ) -> Any:
        """``x`` with the blocks of ``seeds`` dropped: the keep-mask, then :meth:`apply_mask`."""
        mask = self.expand_seeds(plan, seeds, xp=xp)
        return self.apply_mask(x, mask, drop_prob, normalize, xp=xp)

    def dropblock(
        self,
        x: Any,
        plan: MaskPlan,
        draw: SeedDraw,
        drop_prob: float | Any,
        normalize: str,
        *,
        device: Any = None,
        xp: ModuleType,
    ) -> Any:
        """DropBlock of ``x``: the seeds of ``draw``, then :meth:`apply_seeds`."""
        if self.seedless(plan):
            mask = xp.ones(plan.mask_shape, dtype=xp.bool, device=device)
            return self.apply_mask(x, mask, drop_prob, normalize, xp=xp)
        seeds = self.draw_seeds(plan, draw, device=device, xp=xp)
        return self.apply_seeds(x, plan, seeds, drop_prob, normalize, xp=xp)


class StandardPath(MaskPath):
    """The standard path for one namespace, with its native seed loop (or ``None``)."""

    def __init__(self, group_bits: GroupBits | None = None) -> None:
        self.group_bits = group_bits

    def seed_bits(
        self,
        key: tuple[Any, Any],
        gamma: float | Any,
        total: int | Any,
        *,
        device: Any = None,
        xp: ModuleType,
    ) -> Any:
        """:func:`dropblock_core.rng.seed_bits` with this path's seed loop."""
        return seed_bits(key, gamma, total, device=device, group_bits=self.group_bits, xp=xp)

    def draw_seeds(
        self, plan: MaskPlan, draw: SeedDraw, *, device: Any = None, xp: ModuleType
    ) -> Any:
        """The seeds as a boolean indicator over the flattened seed grid."""
        total, gamma = plan.positions, plan.gamma
        if plan.seedless(gamma):
            return xp.zeros((total,), dtype=xp.bool, device=device)
        if isinstance(gamma, float) and gamma >= 1.0:  # every position is a seed
            return xp.ones((total,), dtype=xp.bool, device=device)
        key = mask_key(draw.seed, draw.step, draw.replica, xp=xp)
        return self.seed_bits(key, gamma, total, device=device, xp=xp)


def constant_scale(drop_prob: float | Any, normalize: str) -> float | Any:
    """``1 / (1 - drop_prob)`` for ``"expected"``, else 1."""
    return 1.0 / (1.0 - drop_prob) if normalize == "expected" else 1.0


def keep_scale(
    mask: Any, drop_prob: float | Any, normalize: str, dtype: Any, *, xp: ModuleType
) -> Any:
    """The factor kept units are multiplied by (0 where everything was dropped),
    counted in ``dtype``: a 0-d array (``"global"``), a ``(batch', 1, ...)``
    array (``"per_sample"``), or a float (``"expected"``, ``"none"``)."""
    if normalize in ("none", "expected"):
        return constant_scale(drop_prob, normalize)
    if normalize == "global":
        axes: tuple[int, ...] | None = None
        size = math.prod(mask.shape)
    else:
        axes = tuple(range(1, mask.ndim))
        size = math.prod(mask.shape[1:])
    kept = xp.astype(xp.count_nonzero(mask, axis=axes, keepdims=axes is not None), dtype)
    return xp.where(kept > 0, size / xp.maximum(kept, xp.ones_like(kept)), xp.zeros_like(kept))


def apply_mask(x: Any, mask: Any, drop_prob: float | Any, normalize: str, *, xp: ModuleType) -> Any:
    """``x * scale`` where ``mask`` is True and exactly 0 elsewhere (even where
    ``x`` is inf or NaN), in ``x``'s dtype; the scale in float32 or wider."""
    wide = xp.float64 if x.dtype == xp.float64 else xp.float32
    scale = keep_scale(mask, drop_prob, normalize, wide_float_dtype(xp), xp=xp)
    if not isinstance(scale, float):
        scale = xp.astype(scale, wide)  # rounded once, as on the NumPy path
    out = xp.where(mask, x, xp.zeros_like(x))  # a dropped inf or NaN is 0 too
    if x.dtype in (xp.float32, xp.float64):
        return out * (xp.astype(scale, x.dtype) if not isinstance(scale, float) else scale)
    widened = xp.astype(out, wide) * scale
    return xp.astype(widened, x.dtype)


def _along(axis: int, part: slice) -> tuple[slice | Any, ...]:
    return (slice(None),) * axis + (part, ...)


def _zeros_along(seeds: Any, axis: int, length: int, *, xp: ModuleType) -> Any:
    """Zeros shaped like ``seeds`` but ``length`` long along ``axis``, built from a
    slice of ``seeds`` (so the other sizes, e.g. an unknown batch, carry over)."""
    zeros = xp.zeros_like(seeds[_along(axis, slice(0, 1))])
    count = 1
    while count < length:
        zeros = xp.concat((zeros, zeros), axis=axis)
        count *= 2
    return zeros[_along(axis, slice(0, length))]


def dilate_axis(
    seeds: Any, axis: int, size: int, block: int, offset: int, *, xp: ModuleType
) -> Any:
    """OR of the seeds whose block covers each cell, along one axis.

    Cell ``i`` is covered by seeds ``i + offset - block + 1 .. i + offset``
    (clipped to the seed grid). After padding with ``block - 1 - offset``
    False cells in front, that is a window of ``block`` cells starting at
    ``i``: built by doubling (windows of 1, 2, 4, ... cells, then one last
    overlapping OR), ``ceil(log2(block))`` boolean ORs per cell.

    >>> from dropblock_core._namespace import default_namespace
    >>> xp = default_namespace()
    >>> seeds = xp.asarray([False, True, False, False])
    >>> dilate_axis(seeds, 0, 5, 2, 0, xp=xp).tolist()
    [False, True, True, False, False]
    """
    front = block - 1 - offset
    back = size + block - 1 - front - seeds.shape[axis]  # window i ends at i + block - 1
    pieces = [_zeros_along(seeds, axis, front, xp=xp)] if front else []
    pieces += [seeds] + ([_zeros_along(seeds, axis, back, xp=xp)] if back else [])
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


def expand_seeds(plan: MaskPlan, seeds: Any, *, xp: ModuleType) -> Any:
    """The keep-mask of a boolean seed indicator, with standard operations only.

    The batch size is taken from ``seeds`` (a multiple of the per-sample seed
    grid); a channels-last mask transposes the seed grid, which is smaller
    than the mask, first.
    """
    dropped = xp.reshape(seeds, (-1, *plan.grid[1:]))
    ndim = len(plan.spatial)
    first = 2
    if plan.channels_last:
        dropped = xp.permute_dims(dropped, (0, *range(2, 2 + ndim), 1))
        first = 1
    for d, (size, b, o) in enumerate(zip(plan.spatial, plan.block, plan.offsets)):
        dropped = dilate_axis(dropped, first + d, size, b, o, xp=xp)
    return xp.logical_not(dropped)
