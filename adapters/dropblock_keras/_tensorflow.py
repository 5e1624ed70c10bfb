"""TensorFlow specifics: the keep mask inside a graph, and NumPy masks imported eagerly.

In a ``tf.function`` (Keras' ``fit`` on the TensorFlow backend) the batch size
is usually unknown: Keras feeds batches from ``tf.data`` without
``drop_remainder``. The mask is therefore built for a per-sample plan (gamma
and the seed grid do not depend on the batch) over ``batch x positions``
seed positions, whatever ``batch`` turns out to be at run time; the core's
dense expansion takes the batch size from the seeds. Seed bits come from
:func:`seed_bits`, the core's Threefry stream drawn a word pair at a time in a
``tf.while_loop`` until no group needs another word (XLA compiles it; the
result is the same bits as ``dropblock_core.sample_mask``). Eagerly, masks are
built by the NumPy core and imported with DLPack (:func:`import_numpy`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import tensorflow as tf

from dropblock_core import _namespace_tf as tnp
from dropblock_core.config import DropBlockConfig
from dropblock_core.masks import MaskPlan, expand_seeds, plan_mask
from dropblock_core.rng import GROUP, gap_thresholds, mask_key
from dropblock_core.threefry import threefry2x32

__all__ = [
    "ALIGNMENT",
    "aligned_empty",
    "apply_keep_mask",
    "graph_keep_mask",
    "import_numpy",
    "is_importable",
    "seed_bits",
]

ALIGNMENT = 64  # bytes; a 32-byte aligned import aborts TensorFlow 2.21 on x86-64


def aligned_empty(shape: tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
    """An uninitialised C-contiguous array whose data starts on an ALIGNMENT boundary.

    >>> a = aligned_empty((3, 5), np.float32)
    >>> a.shape, a.ctypes.data % ALIGNMENT, a.flags.c_contiguous
    ((3, 5), 0, True)
    """
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    buffer = np.empty(nbytes + ALIGNMENT, dtype=np.uint8)
    start = -buffer.ctypes.data % ALIGNMENT
    return buffer[start : start + nbytes].view(dtype).reshape(shape)


def is_importable(array: np.ndarray) -> bool:
    """Whether TensorFlow can alias ``array`` without a copy."""
    flags = array.flags
    aligned = array.size == 0 or array.ctypes.data % ALIGNMENT == 0
    return bool(flags.c_contiguous and flags.writeable and aligned)


def import_numpy(array: np.ndarray) -> tf.Tensor:
    """A ``tf.Tensor`` over ``array``'s memory (zero-copy), or over an aligned copy.

    TensorFlow assumes 64-byte aligned buffers: importing a less aligned one is
    accepted and then aborts the process in the first kernel that reads it, so
    such arrays are copied once. The tensor aliases the buffer it was made
    from: do not write to ``array`` afterwards.

    >>> t = import_numpy(np.array([True, False]))
    >>> t.dtype.name, t.numpy().tolist()
    ('bool', [True, False])
    """
    if not is_importable(array):
        copy = aligned_empty(array.shape, array.dtype)
        np.copyto(copy, array)
        array = copy
    return tf.experimental.dlpack.from_dlpack(array.__dlpack__())


def _gaps(words: tf.Tensor, thresholds: tf.Tensor) -> tf.Tensor:
    """``#{i : thresholds[i] <= w}`` per word: 32 comparisons, which XLA fuses
    (its sort-based ``searchsorted`` is slower)."""
    return tf.reduce_sum(tf.cast(words[:, None] >= thresholds[None, :], tf.int32), axis=1)


def seed_bits(key: tuple[Any, Any], thresholds: tf.Tensor, total: int | tf.Tensor) -> tf.Tensor:
    """Boolean seed indicator of ``total`` positions (an int or a scalar tensor).

    The stream of :mod:`dropblock_core.rng`: group ``g`` of 32 positions reads
    words ``threefry2x32(K, (g, r // 2))[r % 2]``. Word pairs are drawn for
    every group in a ``tf.while_loop`` that stops as soon as no group needs
    another word; with seed probabilities of DropBlock's size (gamma around
    0.001 to 0.03) that is a few pairs instead of the 16 a dense evaluation
    draws.

    >>> import dropblock_core as db
    >>> from dropblock_core.rng import gap_thresholds, mask_key
    >>> t = tf.constant(gap_thresholds(0.05).astype(np.int64), tf.uint32)
    >>> bits = seed_bits(mask_key(3, 1, 0), t, 200)
    >>> from dropblock_core.rng import seed_indices_numpy
    >>> want = np.zeros(200, bool); want[seed_indices_numpy(mask_key(3, 1, 0), 0.05, 200)] = True
    >>> bool(np.array_equal(bits.numpy(), want))
    True
    """
    n_groups = (tf.cast(total, tf.int64) + GROUP - 1) // GROUP
    groups = tf.cast(tf.range(n_groups), tf.uint32)
    one = tf.constant(1, tf.uint32)

    def draw(pair: tf.Tensor, pos: tf.Tensor, bits: tf.Tensor, alive: tf.Tensor) -> tuple:
        counter = tf.fill(tf.shape(groups), tf.cast(pair, tf.uint32))
        for words in threefry2x32(key, (groups, counter), tnp):
            pos = pos + 1 + _gaps(words, thresholds)
            hit = alive & (pos < GROUP)
            shift = tf.cast(tf.where(hit, pos, 0), tf.uint32)
            bits = bits | tf.where(hit, tf.bitwise.left_shift(one, shift), tf.zeros_like(bits))
            alive = hit & (pos < GROUP - 1)
        return pair + 1, pos, bits, alive

    def more(pair: tf.Tensor, pos: tf.Tensor, bits: tf.Tensor, alive: tf.Tensor) -> tf.Tensor:
        return (pair < GROUP // 2) & tf.reduce_any(alive)

    start = (
        tf.constant(0, tf.int32),
        tf.fill(tf.shape(groups), -1),
        tf.zeros_like(groups),
        tf.ones(tf.shape(groups), tf.bool),
    )
    _, _, bits, _ = tf.while_loop(more, draw, start, maximum_iterations=GROUP // 2)
    lanes = tf.cast(tf.range(GROUP), tf.uint32)
    dense = tf.bitwise.bitwise_and(tf.bitwise.right_shift(bits[:, None], lanes[None, :]), one) != 0
    return tf.reshape(dense, [-1])[: tf.cast(total, tf.int64)]


def _thresholds(gamma: Any) -> tf.Tensor:
    """The 32 gap thresholds as ``uint32`` words (host-computed for a float gamma)."""
    if isinstance(gamma, float):
        return tf.constant(gap_thresholds(gamma).astype(np.int64), tf.uint32)
    from dropblock_core.graph_gamma import gap_thresholds_xp

    return gap_thresholds_xp(gamma, tnp)


def _sample_plan(
    shape: tf.TensorShape, drop: Any, config: DropBlockConfig, channels_last: bool
) -> MaskPlan:
    """The core's plan for one sample (batch 1): nothing but the batch size of
    the seed grid depends on the batch."""
    per_sample = (1, *shape[1:])
    if any(size is None for size in per_sample):
        axes = "spatial and channel sizes" if channels_last else "channel and spatial sizes"
        raise ValueError(f"DropBlock needs static {axes} inside a graph, got shape {shape}")
    return plan_mask(
        per_sample,
        drop,
        config.block_size,
        channels_last=channels_last,
        xp=None if isinstance(drop, float) else tnp,
        **config.core_kwargs(),
    )


def graph_keep_mask(
    x: tf.Tensor,
    config: DropBlockConfig,
    drop: Any,
    *,
    seed: Any,
    step: Any,
    replica: Any,
    channels_last: bool,
) -> tf.Tensor | None:
    """The core's keep mask for ``x`` inside a graph (or ``None``: nothing is dropped).

    ``drop``, ``seed``, ``step`` and ``replica`` may be tensors; the batch size of
    ``x`` may be unknown. The mask has size 1 along shared axes.
    """
    plan = _sample_plan(x.shape, drop, config, channels_last)
    gamma = plan.gamma
    if isinstance(gamma, float) and gamma == 0.0:
        return None
    if config.share_batch:
        batch: Any = 1
    else:
        batch = x.shape[0] if x.shape[0] is not None else tf.shape(x, out_type=tf.int64)[0]
    key = mask_key(seed, step, replica, tnp)
    bits = seed_bits(key, _thresholds(gamma), batch * math.prod(plan.grid[1:]))
    if not isinstance(gamma, float):
        bits = tf.where(gamma >= 1.0, tf.ones_like(bits), bits)  # every position a seed
    elif gamma >= 1.0:
        bits = tf.ones_like(bits)
    return expand_seeds(plan, bits, tnp)


def apply_keep_mask(x: tf.Tensor, mask: tf.Tensor, drop: Any, normalize: str) -> tf.Tensor:
    """``x * mask * scale`` in ``x``'s dtype, as :func:`dropblock_core.apply.apply_mask`
    computes it (counts and their ratio in float64, rounded once to float32 or
    float64), for any batch size.

    >>> x = tf.constant([[[1.0], [2.0]], [[3.0], [4.0]]])
    >>> mask = tf.constant([[[True], [False]], [[True], [True]]])
    >>> apply_keep_mask(x, mask, 0.25, "global").numpy().ravel().tolist()
    [1.3333333730697632, 0.0, 4.0, 5.333333492279541]
    """
    wide = tf.float64 if x.dtype == tf.float64 else tf.float32
    if normalize == "none":
        scale = tf.ones((), wide)
    elif normalize == "expected":
        scale = tf.cast(1.0 / (1.0 - tf.cast(drop, tf.float64)), wide)
    else:
        axes = None if normalize == "global" else list(range(1, mask.shape.rank))
        kept = tf.cast(
            tf.math.count_nonzero(mask, axis=axes, keepdims=axes is not None), tf.float64
        )
        size = tf.cast(tf.size(mask) if axes is None else math.prod(mask.shape[1:]), tf.float64)
        ratio = tf.math.divide_no_nan(size, kept)  # 0 where everything is dropped
        scale = tf.cast(ratio, wide)
    kept_values = x * tf.cast(mask, x.dtype)
    if x.dtype in (tf.float32, tf.float64):
        return kept_values * scale
    return tf.cast(tf.cast(kept_values, wide) * scale, x.dtype)
