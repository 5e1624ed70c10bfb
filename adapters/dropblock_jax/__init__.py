"""DropBlock for JAX: a pure function over ``dropblock_core``.

``dropblock(x, drop_prob, block_size, seed=..., step=...)`` works eagerly and
under ``jax.jit``, ``jax.grad``, ``jax.vmap`` and ``jax.shard_map``; its mask is
``dropblock_core.sample_mask`` bit for bit. Imports only JAX and the core.

>>> import jax.numpy as jnp, dropblock_jax
>>> y = dropblock_jax.dropblock(jnp.ones((1, 2, 8, 8)), 0.2, 3, seed=0)
>>> y.shape, y.dtype
((1, 2, 8, 8), dtype('float32'))
"""

from __future__ import annotations

from .functional import dropblock
from .mask import keep_mask
from .schedule import scheduled_drop_prob

__all__ = ["dropblock", "keep_mask", "scheduled_drop_prob"]
