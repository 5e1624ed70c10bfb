"""TensorFlow specifics: the keep mask inside a graph, and NumPy masks imported eagerly.

In a ``tf.function`` (Keras' ``fit`` on the TensorFlow backend) the batch size
is usually unknown: Keras feeds batches from ``tf.data`` without
``drop_remainder``. The mask is therefore built for a per-sample plan (gamma
and the seed grid do not depend on the batch) over ``batch x positions``
seed positions, whatever ``batch`` turns out to be at run time; the core's
seed stream (its TensorFlow loop, :mod:`dropblock_core._native_tf`) and dense
expansion both take sizes as tensors. The result is the bits of
``dropblock_core.sample_mask``. Eagerly, masks are built by the NumPy core and
imported with DLPack (:func:`import_numpy`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import tensorflow as tf

from dropblock_core import _namespace_tf as tnp
from dropblock_core._dispatch import standard_path
from dropblock_core.config import DropBlockConfig
from dropblock_core.masks import MaskPlan
from dropblock_core.rng import mask_key

from .functional import plan_for

__all__ = [
    "ALIGNMENT",
    "aligned_empty",
    "apply_keep_mask",
    "count_kept",
    "graph_keep_mask",
    "import_numpy",
    "is_importable",
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


def _sample_plan(
    shape: tf.TensorShape, drop: Any, config: DropBlockConfig, channels_last: bool
) -> MaskPlan:
    """The core's plan for one sample (batch 1): nothing but the batch size of
    the seed grid depends on the batch."""
    per_sample = (1, *shape[1:])
    if any(size is None for size in per_sample):
        axes = "spatial and channel sizes" if channels_last else "channel and spatial sizes"
        raise ValueError(f"DropBlock needs static {axes} inside a graph, got shape {shape}")
    return plan_for(per_sample, drop, config, channels_last, xp=tnp)


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
    key = mask_key(seed, step, replica, xp=tnp)
    path = standard_path(tnp)  # with TensorFlow's seed loop
    total = batch * math.prod(plan.grid[1:])
    if isinstance(gamma, float) and gamma >= 1.0:  # every position is a seed
        bits = tf.ones(tf.reshape(total, [1]), tf.bool)
    else:  # the core's stream; its TensorFlow loop stops when no group needs a word
        bits = path.seed_bits(key, gamma, total, xp=tnp)
    return path.expand_seeds(plan, bits, xp=tnp)


def count_kept(mask: tf.Tensor) -> tf.Tensor:
    """The number of True units of a boolean mask, as ``int64``.

    XLA's CPU reductions are slow on bytes (about 2 ns a unit here); when the
    units of a sample fill whole 32-bit words, the mask is read four bytes at a
    time and their set bits counted (``PopulationCount``), several times faster.

    >>> int(count_kept(tf.constant([[True, False, True, True]])))
    3
    """
    if math.prod(mask.shape[1:]) % 4:
        return tf.math.count_nonzero(mask, dtype=tf.int64)
    words = tf.bitcast(tf.reshape(tf.cast(mask, tf.uint8), [-1, 4]), tf.uint32)
    return tf.reduce_sum(tf.cast(tf.raw_ops.PopulationCount(x=words), tf.int64))


def apply_keep_mask(
    x: tf.Tensor, mask: tf.Tensor, drop: Any, normalize: str, scale: Any = None
) -> tf.Tensor:
    """``x * mask * scale`` in ``x``'s dtype, as :func:`dropblock_core.apply.apply_mask`
    computes it (counts and their ratio in float64, rounded once to float32 or
    float64), for any batch size. ``scale`` (a float or an array, e.g. counted
    on the host already) skips the counting.

    >>> x = tf.constant([[[1.0], [2.0]], [[3.0], [4.0]]])
    >>> mask = tf.constant([[[True], [False]], [[False], [True]]])
    >>> apply_keep_mask(x, mask, 0.25, "global").numpy().ravel().tolist()  # 4 units, 2 kept
    [2.0, 0.0, 0.0, 8.0]
    >>> apply_keep_mask(x, mask, 0.25, "expected").numpy().ravel().tolist()  # 1 / 0.75
    [1.3333333730697632, 0.0, 0.0, 5.333333492279053]
    """
    wide = tf.float64 if x.dtype == tf.float64 else tf.float32
    if scale is not None:  # a float or a NumPy array: converted in ``wide`` directly
        scale = tf.convert_to_tensor(np.asarray(scale, dtype=wide.as_numpy_dtype))
    elif normalize == "none":
        scale = tf.ones((), wide)
    elif normalize == "expected":
        scale = tf.cast(1.0 / (1.0 - tf.cast(drop, tf.float64)), wide)
    else:
        if normalize == "global":
            kept = tf.cast(count_kept(mask), tf.float64)
            size = tf.cast(tf.size(mask, out_type=tf.int64), tf.float64)
        else:
            axes = list(range(1, mask.shape.rank))
            kept = tf.cast(tf.math.count_nonzero(mask, axis=axes, keepdims=True), tf.float64)
            size = float(math.prod(mask.shape[1:]))
        scale = tf.cast(tf.math.divide_no_nan(size, kept), wide)  # 0 where all is dropped
    if x.dtype in (tf.float32, tf.float64):
        return tf.where(mask, x * scale, tf.zeros((), x.dtype))
    return tf.where(mask, tf.cast(tf.cast(x, wide) * scale, x.dtype), tf.zeros((), x.dtype))
