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
    dropped the output is zeros, never NaN. ``xp`` is ``x``'s namespace
    (``None``: detected from ``x``). Other arguments are those of
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
