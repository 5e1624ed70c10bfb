"""JAX's native seed loop: further Threefry word pairs only while a group needs one.

The first word pair is drawn for every group; then ``jax.lax.while_loop``
runs :func:`dropblock_core.rng.take_round` on every group, one further pair per
iteration, while some group is alive (at most 16 pairs in all).
Groups that are done ignore their later words, so the bits equal those of all
32 rounds (:func:`dropblock_core.rng.bits_all_rounds`) for every input: no
capacity, no fallback. Imported only for ``jax.numpy`` arrays.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from jax import lax

from .rng import GROUP, initial_state, take_round
from .threefry import threefry2x32

__all__ = ["group_bits"]


def group_bits(
    key: tuple[Any, Any], thresholds: Any, groups: Any, *, device: Any = None, xp: ModuleType
) -> Any:
    """Seed bits of each group in ``groups`` (see :mod:`dropblock_core.native`).

    >>> import jax.numpy as jnp
    >>> from dropblock_core.rng import bits_all_rounds, gap_thresholds, mask_key
    >>> key = mask_key(0, 3, 0)
    >>> c = jnp.asarray(gap_thresholds(0.05))
    >>> groups = jnp.arange(100, dtype=jnp.uint32)
    >>> fast = group_bits(key, c, groups, xp=jnp)
    >>> bool((fast == bits_all_rounds(key, c, groups, xp=jnp)).all())
    True
    """

    def draw_pair(loop: tuple[Any, Any]) -> tuple[Any, Any]:
        pair, state = loop
        counter = xp.broadcast_to(xp.astype(pair, groups.dtype), groups.shape)
        for words in threefry2x32(key, (groups, counter), xp=xp):
            state = take_round(words, thresholds, state, xp=xp)
        return pair + 1, state

    def needed(loop: tuple[Any, Any]) -> Any:
        pair, (_, _, alive) = loop
        return (pair < GROUP // 2) & xp.any(alive)

    # The first pair outside the loop: the carry then derives from the key, so
    # it varies over the same mapped axes as the key does (shard_map, vmap).
    state = initial_state(groups.shape[0], groups.dtype, device=device, xp=xp)
    first = draw_pair((xp.asarray(0, dtype=xp.int32), state))
    return lax.while_loop(needed, draw_pair, first)[1][1]
