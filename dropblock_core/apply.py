"""DropBlock applied to an array: mask, rescale, multiply."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

from ._dispatch import mask_path
from ._namespace import array_namespace, device, resolve_namespace
from ._validation import NORMALIZE_RULES, check_choice, check_flag
from .masks import check_draw, plan_mask

__all__ = ["apply_mask", "dropblock", "keep_scale"]


def keep_scale(
    mask: Any, drop_prob: float | Any, normalize: str, dtype: Any, *, xp: ModuleType
) -> Any:
    """The factor kept units are multiplied by (0 where everything was dropped).

    Parameters
    ----------
    mask : array
        The boolean keep-mask, of namespace ``xp``.
    drop_prob : float or 0-d array
        The drop probability (used by ``"expected"`` only).
    normalize : str
        ``"global"``: units / kept units over the whole tensor (the paper);
        ``"per_sample"``: the same per sample (shape ``(batch', 1, ...)``);
        ``"expected"``: ``1 / (1 - drop_prob)``; ``"none"``: 1.
    dtype : dtype
        The floating dtype the counts are divided in (NumPy counts in float64).
    xp : module
        The array namespace of ``mask``.

    Returns
    -------
    float or array
        The scale: a float for ``"expected"`` and ``"none"`` (and ``"global"``
        on NumPy), else an array of ``dtype``.

    Examples
    --------
    >>> import numpy as np
    >>> from dropblock_core._namespace import default_namespace
    >>> keep_scale(np.array([True, False, True, True]), 0.25, "global", np.float64,
    ...            xp=default_namespace())
    1.3333333333333333
    """
    return mask_path(xp).keep_scale(mask, drop_prob, normalize, dtype, xp=xp)


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
    xp: ModuleType | None = None,
) -> Any:
    """DropBlock: zero blocks of ``x`` and rescale the rest.

    The result has ``x``'s shape, dtype, namespace and device; ``x`` is never
    modified. The mask is :func:`dropblock_core.sample_mask`'s, whose
    arguments these are.

    Parameters
    ----------
    x : array
        The input, ``(batch, channels, *spatial)`` (``channels_last=True``:
        ``(batch, *spatial, channels)``) with at least one spatial axis, of a
        real floating dtype, on any array-API namespace.
    drop_prob : float or 0-d array
        The drop probability, in [0, 1): a Python float, or a 0-d real array
        of ``x``'s namespace, possibly traced (see
        :func:`dropblock_core.sample_mask`); for an array, ``drop_prob == 0``
        gives an output equal to ``x``.
    block_size : int or sequence of int
        The block's size, >= 1: an int for every spatial axis, or one per
        axis; a block larger than the map is clipped to the map.
    training : bool, default True
        False returns ``x`` itself (as does a float ``drop_prob`` of 0).
    normalize : {"global", "per_sample", "expected", "none"}, default "global"
        The rescale of the kept units: ``"global"``, units / kept units over
        the tensor (the paper); ``"per_sample"``, the same per sample;
        ``"expected"``, ``1 / (1 - drop_prob)``; ``"none"``, no rescale. The
        scale is computed in float32 or wider; when every unit is dropped the
        output is zeros, never NaN.
    gamma : {"exact", "paper"} or float, default "exact"
        The seed probability: ``"exact"`` hits ``drop_prob`` in expectation,
        ``"paper"`` is the paper's formula, a float in [0, 1] is used as it is.
    seed_region : {"valid", "full"}, default "valid"
        ``"valid"``: blocks lie inside the map (the paper); ``"full"``: seeds
        anywhere, blocks clipped to the map.
    seed : int, pair of words, 0-d integer array or None, default None
        The seed of the Threefry stream, in [0, 2**64) (see
        :func:`dropblock_core.sample_mask`); None: a fresh random seed, or
        NumPy's own generator on NumPy.
    step : int or 0-d integer array, default 0
        The training step, in [0, 2**32): one of the two counters of the mask key.
    replica : int or 0-d integer array, default 0
        The replica (device) index, in [0, 2**32): the other counter.
    channels_last : bool, default False
        Whether the channel axis is the last one.
    share_channels : bool, default False
        One mask for all channels of a sample.
    share_batch : bool, default False
        One mask for all samples of the batch.
    stream : {"counter", "native"} or None, default None
        ``"counter"``: the reproducible Threefry stream (the default when
        ``seed`` is given); ``"native"``: NumPy's generator (NumPy only, the
        default there without a seed).
    xp : module or None, default None
        ``x``'s array namespace; None: detected from ``x``.

    Returns
    -------
    array
        ``x`` with the dropped blocks exactly 0 and the kept units rescaled;
        ``x`` itself when ``training=False`` or ``drop_prob`` is the float 0.

    Raises
    ------
    TypeError
        If ``x`` is not an array of an array-API namespace or has no real
        floating dtype, ``training`` or a flag is not a bool, ``drop_prob``
        is neither a real number nor a 0-d real floating array, ``block_size``
        is not an int or a sequence of ints, ``seed`` is not an int, a pair
        of words or a 0-d integer array, or ``step`` or ``replica`` is not an
        int or a 0-d integer array.
    ValueError
        If ``x`` has fewer than three axes, ``drop_prob`` is outside [0, 1),
        ``block_size`` has a size below 1 or the wrong number of sizes,
        ``gamma`` is a float outside [0, 1] or an unknown rule,
        ``normalize``, ``seed_region`` or ``stream`` is not one of its
        choices, ``stream="native"`` is asked off NumPy, a counter is out of
        its range, or the seed grid has more than 2**37 positions.

    Examples
    --------
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
    if xp is None:
        try:
            xp = array_namespace(x)
        except TypeError as exc:
            raise TypeError(
                f"x must be an array of an array-API namespace, got {type(x).__name__}"
            ) from exc
    else:
        xp = resolve_namespace(xp)
    if not xp.isdtype(x.dtype, "real floating"):
        raise TypeError(f"x must have a real floating dtype, got {x.dtype}")
    if x.ndim < 3:
        raise ValueError(
            f"x must be (batch, channels, *spatial) with at least one spatial axis, "
            f"got shape {tuple(x.shape)!r}"
        )
    check_flag(training, "training")
    check_choice(normalize, NORMALIZE_RULES, "normalize")
    plan = plan_mask(
        tuple(x.shape),
        drop_prob,
        block_size,
        gamma=gamma,
        seed_region=seed_region,
        channels_last=channels_last,
        share_channels=share_channels,
        share_batch=share_batch,
        xp=xp,
    )
    drop = plan.drop_prob
    if not training or isinstance(drop, float) and drop == 0.0:
        return x
    where = device(x)
    path = mask_path(xp)  # the one dispatch
    draw = check_draw(
        path, seed=seed, step=step, replica=replica, stream=stream, device=where, xp=xp
    )
    out = path.dropblock(x, plan, draw, drop, normalize, device=where, xp=xp)
    if not isinstance(drop, float) and not isinstance(gamma, str):
        # A given gamma draws seeds whatever drop_prob is; as on the host,
        # drop_prob == 0 returns x (a string rule gives gamma 0 there anyway).
        out = xp.where(drop == 0.0, x, out)
    return out


def apply_mask(x: Any, mask: Any, drop_prob: float | Any, normalize: str, *, xp: ModuleType) -> Any:
    """``x * scale`` where ``mask`` is True and exactly 0 elsewhere.

    Parameters
    ----------
    x : array
        The input, of a real floating dtype.
    mask : array
        The boolean keep-mask, broadcasting against ``x``.
    drop_prob : float or 0-d array
        The drop probability (for ``normalize="expected"``).
    normalize : str
        The rescale rule, see :func:`keep_scale`.
    xp : module
        The array namespace of ``x``.

    Returns
    -------
    array
        ``x``'s shape and dtype; dropped units are exactly 0 even where ``x``
        is inf or NaN; the scale is computed in float32 or wider.

    Examples
    --------
    >>> import numpy as np
    >>> from dropblock_core._namespace import default_namespace
    >>> x = np.array([1.0, np.inf, 3.0, 4.0], np.float32)
    >>> keep = np.array([True, False, True, True])
    >>> apply_mask(x, keep, 0.25, "none", xp=default_namespace()).tolist()
    [1.0, 0.0, 3.0, 4.0]
    """
    return mask_path(xp).apply_mask(x, mask, drop_prob, normalize, xp=xp)
