"""``dropblock``: a pure JAX function over the core, with explicit seed and step."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

import jax
import jax.numpy as jnp

from dropblock_core._validation import check_flag
from dropblock_core.apply import apply_mask
from dropblock_core.config import config_arguments

from .mask import check_call, mask_for

__all__ = ["dropblock"]


@functools.partial(jax.jit, static_argnames=("drop_prob", "normalize"))
def _rescaled(x: jax.Array, keep: jax.Array, drop_prob: float, normalize: str) -> jax.Array:
    """The core's ``x * mask * scale`` (scale in float32, float64 for float64 x)."""
    return cast(jax.Array, apply_mask(x, keep, drop_prob, normalize, xp=jnp))


@functools.partial(jax.jit, static_argnames=("normalize",))
def _rescaled_by_array(x: jax.Array, keep: jax.Array, drop: jax.Array, normalize: str) -> jax.Array:
    """:func:`_rescaled` for an array ``drop`` (traced: one compilation)."""
    return cast(jax.Array, apply_mask(x, keep, drop, normalize, xp=jnp))


def dropblock(
    x: Any,
    drop_prob: float | Any,
    block_size: int | Sequence[int],
    *,
    seed: int | Any,
    step: int | Any = 0,
    replica: int | Any = 0,
    training: bool = True,
    channels_last: bool = False,
    spatial_dims: int | None = None,
    gamma: str | float = "exact",
    seed_region: str = "valid",
    normalize: str = "global",
    share_channels: bool = False,
    share_batch: bool = False,
) -> jax.Array:
    """DropBlock on a JAX array: zero blocks of ``x`` and rescale the rest.

    ``x`` is ``(batch, channels, *spatial)`` (``channels_last=True``:
    ``(batch, *spatial, channels)``) with a floating dtype, which the result
    keeps. ``spatial_dims`` states the number of spatial axes (else a tuple
    ``block_size`` does, else ``x.ndim - 2``); an ``x`` whose rank cannot hold
    that layout is a ``ValueError``.

    ``drop_prob`` is a Python float, whose gamma the host solves (the mask is
    ``dropblock_core.sample_mask(x.shape, ...)`` bit for bit, eagerly and
    under ``jax.jit``), or a 0-d float array, possibly traced, whose gamma is
    computed in the graph: a schedule that changes it compiles once.

    ``seed`` is a Python int, a 0-d integer array (traced allowed; used modulo
    ``2**32``) or a JAX PRNG key (typed or raw, traced allowed; the seed its
    two words spell, see ``docs/rng.md``). ``step`` and ``replica`` are Python
    ints or 0-d integer arrays. ``block_size``, ``training`` and the options
    are static Python values. ``training=False`` or a Python ``drop_prob ==
    0`` returns ``x`` unchanged. The gradient is ``mask * scale``; when every
    unit is dropped the output is zeros.

    Parameters
    ----------
    x : jax.Array
        A floating array ``(batch, channels, *spatial)`` (``channels_last``:
        ``(batch, *spatial, channels)``).
    drop_prob : float or jax.Array
        The probability of dropping a unit, in [0, 1]: a Python float (gamma
        solved on the host) or a 0-d float array, possibly traced (gamma
        computed in the graph).
    block_size : int or sequence of int
        The side of the square (cubic) blocks, or one side per spatial axis;
        clipped to the map.
    seed : int, jax.Array or PRNG key
        A Python int, a 0-d integer array (traced allowed; used modulo
        ``2**32``) or a JAX PRNG key (typed or raw).
    step : int or jax.Array, default 0
        The training step the mask is drawn for.
    replica : int or jax.Array, default 0
        The data-parallel replica the mask is drawn for.
    training : bool, default True
        ``False`` returns the input unchanged.
    channels_last : bool, default False
        The layout of ``x``.
    spatial_dims : int, optional
        The number of spatial axes (else a tuple ``block_size`` gives it, else
        ``x.ndim - 2``).
    gamma, seed_region, normalize, share_channels, share_batch
        The options of :class:`dropblock_core.DropBlockConfig`.

    Returns
    -------
    jax.Array
        ``x`` with blocks zeroed and kept units rescaled, same shape and dtype;
        ``x`` itself when not training or a Python ``drop_prob`` is 0.

    Raises
    ------
    ValueError
        If an argument is out of range or not one of its choices, or ``x``'s
        rank cannot hold the layout.
    TypeError
        If an argument has the wrong type, or ``x`` is not floating.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> x = jnp.ones((2, 4, 14, 14), jnp.bfloat16)
    >>> y = dropblock(x, 0.1, 7, seed=0, step=5)
    >>> y.dtype
    dtype(bfloat16)
    >>> f = jax.jit(lambda x, s, t: dropblock(x, 0.1, 7, seed=s, step=t))
    >>> bool((f(x, 0, 5) == y).all())  # seed and step traced
    True
    >>> g = jax.jit(lambda x, p, k: dropblock(x, p, 7, seed=k))  # drop_prob and key traced
    >>> g(x, 0.1, jax.random.key(0)).shape
    (2, 4, 14, 14)
    >>> dropblock(x, 0.1, 7, seed=0, training=False) is x
    True
    """
    check_flag(training, "training")
    options = config_arguments(locals())
    x, config, drop, seed, plan = check_call(
        x, seed, options, channels_last, spatial_dims, floating=True
    )
    if not training or drop is None and config.drop_prob == 0.0:
        return cast(jax.Array, x)
    keep = mask_for(x, plan, config, drop, seed=seed, step=step, replica=replica)
    if drop is None:
        out = _rescaled(x, keep, config.drop_prob, config.normalize)
    else:
        out = _rescaled_by_array(x, keep, drop, config.normalize)
    return cast(jax.Array, out)  # jax.jit's wrappers return Any
