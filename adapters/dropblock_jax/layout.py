"""Layout guard: the input's rank must hold (batch, channels, *spatial).

The spatial rank is *stated* (``spatial_dims``) or, failing that, read from a
tuple ``block_size``; only when neither says it is it guessed as
``x.ndim - 2``. A mismatch is a ``ValueError`` that names the layout the call
expects, so an unbatched ``(C, H, W)`` sample or a forgotten
``channels_last=True`` is not silently taken for something else.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

__all__ = ["axis_names", "check_rank", "check_spatial_dims"]

_SPATIAL_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def axis_names(spatial_dims: int, channels_last: bool, batch: bool = True) -> str:
    """The axes an input must have, as text.

    >>> axis_names(2, True)
    '(batch, height, width, channels)'
    >>> axis_names(3, False, batch=False)
    '(channels, depth, height, width)'
    """
    spatial = _SPATIAL_NAMES.get(spatial_dims, tuple(f"d{i}" for i in range(1, spatial_dims + 1)))
    axes = (*spatial, "channels") if channels_last else ("channels", *spatial)
    return "(" + ", ".join((("batch",) if batch else ()) + axes) + ")"


def check_spatial_dims(spatial_dims: Any) -> int:
    """``spatial_dims`` as a positive int, or raise.

    >>> check_spatial_dims(2)
    2
    """
    if isinstance(spatial_dims, bool) or not isinstance(spatial_dims, numbers.Integral):
        raise TypeError(f"spatial_dims must be a positive int, got {spatial_dims!r}")
    if spatial_dims < 1:
        raise ValueError(f"spatial_dims must be >= 1, got {spatial_dims!r}")
    return int(spatial_dims)


def check_rank(
    shape: Sequence[int],
    spatial_dims: int | None,
    block_size: int | Sequence[int],
    channels_last: bool,
) -> int:
    """The spatial rank of an input of ``shape``; raise if its rank cannot hold
    ``(batch, channels, *spatial)`` for the stated rank.

    >>> check_rank((8, 16, 16, 3), 2, 7, True)
    2
    >>> check_rank((3, 16, 16), 2, 7, False)
    Traceback (most recent call last):
    ...
    ValueError: x must have 4 axes (batch, channels, height, width) for spatial_dims=2, got ...
    """
    ndim = len(shape)
    if spatial_dims is not None:
        wanted = check_spatial_dims(spatial_dims)
        stated = f"spatial_dims={wanted}"
    elif isinstance(block_size, Sequence) and not isinstance(block_size, (str, bytes)):
        wanted = len(block_size)
        stated = f"block_size={tuple(block_size)!r}"
    else:
        if ndim < 3:
            raise ValueError(
                f"x must have at least 3 axes (batch, channels, *spatial), got shape "
                f"{tuple(shape)!r}; pass spatial_dims to state the spatial rank"
            )
        return ndim - 2
    if ndim != wanted + 2:
        hint = (
            "; for one unbatched sample add a batch axis (x[None]) or jax.vmap the call"
            if ndim == wanted + 1
            else ""
        )
        raise ValueError(
            f"x must have {wanted + 2} axes {axis_names(wanted, channels_last)} for {stated}, "
            f"got shape {tuple(shape)!r} with {ndim}{hint}"
        )
    return wanted
