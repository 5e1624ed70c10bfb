"""DropBlock applied to an array: mask, rescale, multiply."""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from ._namespace import array_namespace, device, is_jax_namespace, is_numpy_namespace
from ._validation import NORMALIZE_RULES, check_choice, check_drop_prob, check_flag
from .graph_gamma import as_drop_array, is_drop_array
from .masks import MaskPlan, _expand_numpy, draw_seeds, expand_seeds, is_sparse, plan_mask

_SLAB_FRACTION = 16  # a slab's mask holds about 1/16 of the mask's units

__all__ = ["apply_mask", "dropblock", "keep_scale"]


def _scale_dtype(xp: ModuleType, dtype: Any) -> Any:
    """The scale is computed in float32, or float64 for float64 input."""
    return xp.float64 if dtype == xp.float64 else xp.float32


def _counting_dtype(xp: ModuleType) -> Any:
    """float64 for counts and their ratio, unless the namespace lacks it (JAX
    without 64-bit types), so every backend rounds the same float64 scale."""
    if is_jax_namespace(xp):
        return xp.__array_namespace_info__().default_dtypes()["real floating"]
    return xp.float64


def _constant_scale(drop_prob: float, normalize: str) -> float:
    return 1.0 / (1.0 - drop_prob) if normalize == "expected" else 1.0


def keep_scale(mask: Any, drop_prob: float, normalize: str, xp: ModuleType, dtype: Any) -> Any:
    """The factor kept units are multiplied by (0 where everything was dropped).

    ``"global"``: units / kept units over the whole tensor (the paper);
    ``"per_sample"``: the same per sample (shape ``(batch', 1, ...)``);
    ``"expected"``: ``1 / (1 - drop_prob)``; ``"none"``: 1.
    """
    if normalize in ("none", "expected"):
        return _constant_scale(drop_prob, normalize)
    if normalize == "global":
        axes: tuple[int, ...] | None = None
        size = math.prod(mask.shape)
    else:
        axes = tuple(range(1, mask.ndim))
        size = math.prod(mask.shape[1:])
    kept = xp.count_nonzero(mask, axis=axes, keepdims=axes is not None)
    if is_numpy_namespace(xp):
        kept = np.asarray(kept, dtype=np.float64)
        scale = np.divide(size, kept, out=np.zeros_like(kept), where=kept > 0)
        return float(scale) if axes is None else scale.astype(dtype)
    kept = xp.astype(kept, dtype)
    return xp.where(kept > 0, size / xp.maximum(kept, xp.ones_like(kept)), xp.zeros_like(kept))


def dropblock(
    x: Any,
    drop_prob: float | Any,
    block_size: int | Sequence[int],
    *,
    training: bool = True,
    normalize: str = "global",
    gamma: str | float = "exact",
    seed_region: str = "valid",
    seed: int | Any | None = None,
    step: int | Any = 0,
    replica: int | Any = 0,
    channels_last: bool = False,
    share_channels: bool = False,
    share_batch: bool = False,
    stream: str | None = None,
) -> Any:
    """DropBlock: zero blocks of ``x`` and rescale the rest.

    ``x`` has shape ``(batch, channels, *spatial)`` (``channels_last=True``:
    ``(batch, *spatial, channels)``) on any array-API namespace; the result has
    the same shape, dtype, namespace and device. ``training=False`` or
    ``drop_prob == 0`` returns ``x`` itself. ``x`` is never modified.
    ``drop_prob`` may be a 0-d real array of ``x``'s namespace, possibly
    traced (see :func:`sample_mask`); then ``drop_prob == 0`` gives a mask
    that keeps everything and an output equal to ``x``.

    ``normalize``: ``"global"`` (units / kept units over the tensor, the
    paper), ``"per_sample"``, ``"expected"`` (``1 / (1 - drop_prob)``) or
    ``"none"``. The scale is computed in float32 or wider; when every unit is
    dropped the output is zeros, never NaN. Other arguments are those of
    :func:`sample_mask`.

    >>> import numpy as np
    >>> x = np.ones((2, 4, 14, 14), dtype=np.float32)
    >>> y = dropblock(x, 0.1, 7, seed=0)
    >>> y.shape, y.dtype
    ((2, 4, 14, 14), dtype('float32'))
    >>> kept = y != 0
    >>> bool(np.allclose(y[kept], y.size / kept.sum()))  # global rescale
    True
    >>> dropblock(x, 0.1, 7, training=False) is x
    True
    """
    try:
        xp = array_namespace(x)
    except TypeError as exc:
        raise TypeError(
            f"x must be an array of an array-API namespace, got {type(x).__name__}"
        ) from exc
    if not xp.isdtype(x.dtype, "real floating"):
        raise TypeError(f"x must have a real floating dtype, got {x.dtype}")
    if x.ndim < 3:
        raise ValueError(
            f"x must be (batch, channels, *spatial) with at least one spatial axis, "
            f"got shape {tuple(x.shape)!r}"
        )
    check_flag(training, "training")
    check_choice(normalize, NORMALIZE_RULES, "normalize")
    drop = as_drop_array(drop_prob, xp) if is_drop_array(drop_prob) else check_drop_prob(drop_prob)
    plan = plan_mask(
        tuple(x.shape),
        drop,
        block_size,
        gamma=gamma,
        seed_region=seed_region,
        channels_last=channels_last,
        share_channels=share_channels,
        share_batch=share_batch,
        xp=xp,
    )
    if not training or isinstance(drop, float) and drop == 0.0:
        return x
    seeds = draw_seeds(
        plan, seed=seed, step=step, replica=replica, stream=stream, xp=xp, device=device(x)
    )
    if is_sparse(seeds):
        out = _dropblock_numpy(x, plan, seeds, drop, normalize)
    else:
        out = apply_mask(x, expand_seeds(plan, seeds, xp, device(x)), drop, normalize, xp)
    if not isinstance(drop, float) and not isinstance(gamma, str):
        # A given gamma draws seeds whatever drop_prob is; as on the host,
        # drop_prob == 0 returns x (a string rule gives gamma 0 there anyway).
        out = xp.where(drop == 0.0, x, out)
    return out


def _keep_numpy(x: np.ndarray, mask: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out = x`` where ``mask``, exactly ``+0.0`` elsewhere, whatever ``x``
    holds there (``x * mask`` would turn a dropped inf or NaN into NaN).

    The bit patterns are multiplied by the mask's 0/1 bytes: one pass, as fast
    as the float product (a select or a masked copy is 2-4x slower).

    >>> x = np.array([np.inf, -np.inf, np.nan, -2.0], np.float32)
    >>> _keep_numpy(x, np.array([False, True, False, False]), np.empty_like(x)).tolist()
    [0.0, -inf, 0.0, 0.0]
    """
    if x.dtype.itemsize not in (2, 4, 8):  # e.g. long double: no integer twin
        np.copyto(out, np.where(mask, x, np.zeros((), x.dtype)))
        return out
    bits = np.dtype(f"uint{8 * x.dtype.itemsize}")
    np.multiply(x.view(bits), mask.view(np.uint8), out=out.view(bits), casting="unsafe")
    return out


def _rescale_numpy(out: np.ndarray, scale: np.ndarray) -> None:
    """``out *= scale`` in place. A kept unit whose scaled value exceeds the
    dtype's range (float16 past 65,504) becomes inf, as IEEE rounding and the
    frameworks' own dropout give, without NumPy's overflow warning."""
    with np.errstate(over="ignore"):
        np.multiply(out, scale, out=out, casting="same_kind")


def _dropblock_numpy(
    x: np.ndarray, plan: MaskPlan, seeds: np.ndarray, drop: float, normalize: str
) -> np.ndarray:
    """NumPy fast path: masks are built a slab of samples at a time, so the
    extra memory stays a fraction of a byte per element."""
    out = np.empty_like(x)
    mask_batch = plan.grid[0]
    sample_size = math.prod(plan.mask_shape[1:])
    slab = max(1, mask_batch // _SLAB_FRACTION)
    kept = np.zeros(mask_batch, dtype=np.int64)
    for start in range(0, mask_batch, slab):
        stop = min(start + slab, mask_batch)
        mask = _expand_numpy(plan, seeds, start, stop)
        rows = slice(None) if mask_batch == 1 else slice(start, stop)
        _keep_numpy(x[rows], mask, out[rows])
        kept[start:stop] = np.count_nonzero(mask.reshape(stop - start, -1), axis=1)
    wide = np.float64 if x.dtype == np.float64 else np.float32
    if normalize == "global":
        total = int(kept.sum())
        scale: Any = sample_size * mask_batch / total if total else 0.0
    elif normalize == "per_sample":
        per = np.divide(sample_size, kept, out=np.zeros(mask_batch), where=kept > 0)
        scale = per.astype(wide).reshape(-1, *([1] * (x.ndim - 1)))
    else:
        scale = _constant_scale(drop, normalize)
    _rescale_numpy(out, np.asarray(scale, dtype=wide))
    return out


def apply_mask(x: Any, mask: Any, drop_prob: float, normalize: str, xp: ModuleType) -> Any:
    """``x * scale`` where ``mask`` is True and exactly 0 elsewhere (even where
    ``x`` is inf or NaN), in ``x``'s dtype; the scale in float32 or wider."""
    wide = _scale_dtype(xp, x.dtype)
    scale = keep_scale(mask, drop_prob, normalize, xp, _counting_dtype(xp))
    if not isinstance(scale, float) and not is_numpy_namespace(xp):
        scale = xp.astype(scale, wide)  # rounded once, as on the NumPy path
    if is_numpy_namespace(xp):
        out = _keep_numpy(x, np.asarray(mask), np.empty_like(x))
        if not (isinstance(scale, float) and scale == 1.0):
            _rescale_numpy(out, np.asarray(scale, dtype=wide))
        return out
    out = xp.where(mask, x, xp.zeros_like(x))  # a dropped inf or NaN is 0 too
    if x.dtype in (xp.float32, xp.float64):
        return out * (xp.astype(scale, x.dtype) if not isinstance(scale, float) else scale)
    widened = xp.astype(out, wide) * scale
    return xp.astype(widened, x.dtype)
