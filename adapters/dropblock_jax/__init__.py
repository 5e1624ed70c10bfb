"""DropBlock for JAX: a pure function over ``dropblock_core``, and modules.

``dropblock(x, drop_prob, block_size, seed=..., step=...)`` works eagerly and
under ``jax.jit``, ``jax.grad``, ``jax.vmap`` and ``jax.shard_map``; with a
Python-float ``drop_prob`` its mask is ``dropblock_core.sample_mask`` bit for
bit, and a traced ``drop_prob`` computes gamma in the graph. ``seed`` may be a
PRNG key. Imports only JAX and the core; the modules
``dropblock_jax.nnx`` (Flax NNX), ``dropblock_jax.linen`` (Flax Linen) and
``dropblock_jax.equinox`` import their framework when imported.

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
