"""TensorFlow's native seed loop: further Threefry word pairs only while a group needs one.

The TensorFlow twin of :mod:`dropblock_core._native_jax`: the first word pair
is drawn for every group, then ``tf.while_loop`` runs
:func:`dropblock_core.rng.take_round` on every group, one further pair per
iteration, while some group is alive (at most 16 pairs in all). The bits equal
those of all 32 rounds for every input. The number of groups may be a scalar
tensor (a batch size unknown while tracing). Works eagerly, in ``tf.function``
and under XLA; imported only for TensorFlow tensors.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import tensorflow as tf

from .rng import GROUP, initial_state, take_round
from .threefry import threefry2x32

__all__ = ["group_bits"]


def group_bits(
    key: tuple[Any, Any], thresholds: Any, groups: Any, *, device: Any = None, xp: ModuleType
) -> Any:
    """Seed bits of each group in ``groups`` (see :mod:`dropblock_core.native`).

    >>> from dropblock_core import _namespace_tf as xt
    >>> from dropblock_core.rng import bits_all_rounds, gap_thresholds, mask_key
    >>> key = mask_key(0, 3, 0)
    >>> c = xt.asarray(gap_thresholds(0.05), dtype=xt.uint32)
    >>> groups = xt.arange(100, dtype=xt.uint32)
    >>> fast = group_bits(key, c, groups, xp=xt)
    >>> bool(tf.reduce_all(fast == bits_all_rounds(key, c, groups, xp=xt)))
    True
    """

    def draw_pair(pair: Any, *state: Any) -> tuple[Any, ...]:
        counter = tf.fill(tf.shape(groups), tf.cast(pair, groups.dtype))
        for words in threefry2x32(key, (groups, counter), xp=xp):
            state = take_round(words, thresholds, state, xp=xp)
        return (pair + 1, *state)

    def needed(pair: Any, pos: Any, bits: Any, alive: Any) -> Any:
        return (pair < GROUP // 2) & tf.reduce_any(alive)

    count = groups.shape[0] if groups.shape[0] is not None else tf.shape(groups)[0]
    first = draw_pair(
        tf.constant(0, tf.int32), *initial_state(count, groups.dtype, device=device, xp=xp)
    )
    return tf.while_loop(needed, draw_pair, first, maximum_iterations=GROUP // 2 - 1)[2]
