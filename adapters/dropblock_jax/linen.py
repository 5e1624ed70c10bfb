"""DropBlock for Flax Linen: a module that follows ``flax.linen.Dropout``.

``DropBlock(drop_prob, block_size, deterministic=None,
rng_collection="dropout")`` is called as ``layer(x, deterministic=None,
rng=None)`` on channels-last ``(batch, *spatial, channels)`` input. The key
comes from ``self.make_rng(rng_collection)`` (pass ``rngs={"dropout": key}``
to ``apply``) or from ``rng``; the mask is the core's mask for that key
(``dropblock_jax.dropblock(..., seed=key)``).

Linen modules are frozen dataclasses whose fields are their configuration, so
this module holds ``drop_prob`` as a field and checks its fields with the
core's :class:`~dropblock_core.config.DropBlockConfig` instead of inheriting
:class:`~dropblock_core.layer.DropBlockLayer` (whose settable ``drop_prob``
property would clash with the field). For a schedule, pass the drop
probability into ``apply`` as an array: under ``jax.jit`` it is traced and
gamma is computed in the graph, so the train step compiles once.

>>> import jax, jax.numpy as jnp
>>> layer = DropBlock(0.1, 3)
>>> x = jnp.ones((2, 8, 8, 4))
>>> y = layer.apply({}, x, deterministic=False, rngs={"dropout": jax.random.key(0)})
>>> y.shape
(2, 8, 8, 4)
>>> bool((layer.apply({}, x, deterministic=True) == x).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax

from dropblock_core._validation import check_flag

from ._options import checked_config, mask_options
from .functional import dropblock

__all__ = ["DropBlock"]


class DropBlock(nn.Module):
    """DropBlock as a ``flax.linen.Module``, with ``nn.Dropout``'s attributes.

    ``drop_prob`` is a float or a 0-d float array (traced under ``jit``);
    ``block_size`` an int or one size per spatial axis. ``x`` must have
    ``spatial_dims + 2`` axes (default 2 spatial axes), channels last by default
    (Flax's layout), else a ``ValueError``. ``deterministic=True`` makes the
    layer the identity; give it here or at the call, not both (as
    ``nn.Dropout``). The key comes from ``make_rng(rng_collection)`` unless
    the call passes ``rng``. ``gamma``, ``seed_region``, ``normalize``,
    ``share_channels`` and ``share_batch`` are those of
    :func:`dropblock_jax.dropblock`.

    Attributes
    ----------
    drop_prob : float or jax.Array
        The probability of dropping a unit, in [0, 1]: a float or a 0-d float
        array (traced under ``jit``).
    block_size : int or sequence of int
        The side of the square (cubic) blocks, or one side per spatial axis;
        clipped to the map.
    spatial_dims : int, default 2
        The number of spatial axes; ``x`` must have ``spatial_dims + 2`` axes.
    channels_last : bool, default True
        ``x`` is ``(batch, *spatial, channels)`` (Flax's layout); ``False``:
        ``(batch, channels, *spatial)``.
    deterministic : bool, optional
        ``True`` makes the layer the identity; give it here or at the call, not
        both (as ``nn.Dropout``).
    rng_collection : str, default "dropout"
        The collection ``make_rng`` draws the key from, unless the call passes
        ``rng``.
    gamma, seed_region, normalize, share_channels, share_batch
        The options of :class:`dropblock_core.DropBlockConfig`.

    Raises
    ------
    ValueError
        If an argument is out of range or not one of its choices, or ``x`` has
        the wrong rank.
    TypeError
        If an argument has the wrong type.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> layer = DropBlock(0.1, 3)
    >>> x = jnp.ones((2, 8, 8, 4))
    >>> y = layer.apply({}, x, deterministic=False, rngs={"dropout": jax.random.key(0)})
    >>> y.shape, layer.apply({}, x, deterministic=True) is x
    ((2, 8, 8, 4), True)
    """

    drop_prob: float | jax.Array
    block_size: int | Sequence[int]
    spatial_dims: int = 2
    channels_last: bool = True
    deterministic: bool | None = None
    rng_collection: str = "dropout"
    gamma: str | float = "exact"
    seed_region: str = "valid"
    normalize: str = "global"
    share_channels: bool = False
    share_batch: bool = False

    def __post_init__(self) -> None:
        checked_config(self.drop_prob, self.block_size, self.spatial_dims, **mask_options(self))
        check_flag(self.channels_last, "channels_last")
        if self.deterministic is not None:
            check_flag(self.deterministic, "deterministic")
        super().__post_init__()

    @nn.compact
    def __call__(
        self, inputs: jax.Array, deterministic: bool | None = None, rng: Any = None
    ) -> jax.Array:
        """Drop blocks of ``inputs`` and rescale the rest; ``inputs`` itself when
        deterministic. ``rng`` (a key) replaces ``make_rng(rng_collection)``."""
        deterministic = nn.merge_param("deterministic", self.deterministic, deterministic)
        if check_flag(deterministic, "deterministic"):
            return inputs
        if rng is None:
            rng = self.make_rng(self.rng_collection)
        return dropblock(
            inputs,
            self.drop_prob,
            self.block_size,
            seed=rng,
            channels_last=self.channels_last,
            spatial_dims=self.spatial_dims,
            **mask_options(self),
        )
