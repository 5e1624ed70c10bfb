"""DropBlock for Equinox: a module that follows ``equinox.nn.Dropout``.

Like every Equinox layer it takes **one unbatched sample**
``(channels, *spatial)`` and is ``jax.vmap``-ed over the batch with one key per
sample, so each sample draws its own mask (the core's mask of that key,
``dropblock_jax.dropblock(x[None], ..., seed=key)``) and is rescaled by its own
kept fraction. ``inference=True`` (here, at the call, or through
``equinox.nn.inference_mode``) makes it the identity; otherwise ``key`` is
required, as for ``eqx.nn.Dropout``.

Equinox modules are frozen dataclasses: ``drop_prob`` is a field (a Python
float, static under ``eqx.filter_jit``, or a 0-d array, traced, so a schedule
set with ``eqx.tree_at`` compiles once), checked with the core's
:class:`~dropblock_core.config.DropBlockConfig` rather than through
:class:`~dropblock_core.layer.DropBlockLayer`'s settable properties, which a
frozen module cannot have. Its gradient is stopped, as ``eqx.nn.Dropout``
stops ``p``'s.

>>> import jax, jax.numpy as jnp
>>> layer = DropBlock(0.1, 3)
>>> x = jnp.ones((5, 4, 8, 8))  # a batch of 5 samples (C, H, W)
>>> keys = jax.random.split(jax.random.key(0), 5)
>>> y = jax.vmap(lambda xi, k: layer(xi, key=k))(x, keys)
>>> y.shape
(5, 4, 8, 8)
>>> bool((layer(x[0], inference=True) == x[0]).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import equinox as eqx
import jax

from dropblock_core._validation import check_flag

from ._options import checked_config, is_static_number, mask_options
from .functional import dropblock
from .layout import axis_names

__all__ = ["DropBlock"]


class DropBlock(eqx.Module):
    """DropBlock as an ``eqx.Module``, with ``eqx.nn.Dropout``'s ``inference`` and ``key``.

    ``x`` is one sample ``(channels, *spatial)`` with ``spatial_dims`` spatial
    axes (default 2); any other rank is a ``ValueError`` (a batch goes through
    ``jax.vmap``). Options are those of :func:`dropblock_jax.dropblock`.

    Parameters
    ----------
    drop_prob : float or jax.Array
        The probability of dropping a unit, in [0, 1]: a float or a 0-d float
        array (``eqx.tree_at`` may change it).
    block_size : int or sequence of int
        The side of the square (cubic) blocks, or one side per spatial axis;
        clipped to the map.
    inference : bool, default False
        ``True`` makes the layer the identity (a call may override it).
    spatial_dims : int, default 2
        The number of spatial axes; ``x`` is one sample ``(channels,
        *spatial)``.
    gamma, seed_region, normalize, share_channels
        The options of :class:`dropblock_core.DropBlockConfig`.

    Raises
    ------
    ValueError
        If an argument is out of range or not one of its choices.
    TypeError
        If an argument has the wrong type.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> layer = DropBlock(0.1, 3)
    >>> layer(jnp.ones((4, 8, 8)), key=jax.random.key(0)).shape
    (4, 8, 8)
    >>> batch = jnp.ones((2, 4, 8, 8))
    >>> keys = jax.random.split(jax.random.key(0), 2)
    >>> jax.vmap(lambda x, k: layer(x, key=k))(batch, keys).shape
    (2, 4, 8, 8)
    """

    # Not static, as eqx.nn.Dropout's p and inference: eqx.tree_at may change them.
    drop_prob: float | jax.Array
    inference: bool
    block_size: int | tuple[int, ...] = eqx.field(static=True)
    spatial_dims: int = eqx.field(static=True)
    gamma: str | float = eqx.field(static=True)
    seed_region: str = eqx.field(static=True)
    normalize: str = eqx.field(static=True)
    share_channels: bool = eqx.field(static=True)

    def __init__(
        self,
        drop_prob: float | jax.Array,
        block_size: int | Sequence[int],
        inference: bool = False,
        *,
        spatial_dims: int = 2,
        gamma: str | float = "exact",
        seed_region: str = "valid",
        normalize: str = "global",
        share_channels: bool = False,
    ) -> None:
        config = checked_config(
            drop_prob,
            block_size,
            spatial_dims,
            gamma=gamma,
            seed_region=seed_region,
            normalize=normalize,
            share_channels=share_channels,
        )
        self.drop_prob = drop_prob
        self.inference = check_flag(inference, "inference")
        # DropBlockConfig stores block_size as an int or a tuple of ints
        self.block_size = cast("int | tuple[int, ...]", config.block_size)
        self.spatial_dims = int(spatial_dims)
        self.gamma = config.gamma
        self.seed_region = config.seed_region
        self.normalize = config.normalize
        self.share_channels = config.share_channels

    def __call__(
        self, x: jax.Array, *, key: Any = None, inference: bool | None = None
    ) -> jax.Array:
        """Drop blocks of one sample ``x``; ``x`` itself in inference mode.

        ``key``: a PRNG key (required unless in inference mode). ``inference``:
        if given, replaces ``self.inference``.
        """
        inference = self.inference if inference is None else check_flag(inference, "inference")
        if is_static_number(self.drop_prob) and self.drop_prob == 0:
            inference = True
        if inference:
            return x
        if key is None:
            raise RuntimeError("DropBlock requires a key when running in non-deterministic mode.")
        if x.ndim != self.spatial_dims + 1:
            raise ValueError(
                f"x must be one sample with {self.spatial_dims + 1} axes "
                f"{axis_names(self.spatial_dims, False, batch=False)} for "
                f"spatial_dims={self.spatial_dims}, got shape {tuple(x.shape)!r}; "
                "for a batch, jax.vmap the layer with one key per sample"
            )
        drop_prob = self.drop_prob
        if not is_static_number(drop_prob):
            drop_prob = jax.lax.stop_gradient(drop_prob)
        y = dropblock(
            x[None],
            drop_prob,
            self.block_size,
            seed=key,
            spatial_dims=self.spatial_dims,
            **mask_options(self),
        )
        return y[0]
