"""The keep mask and scale of a TensorFlow tensor, built by the NumPy core.

TensorFlow has no array-API namespace, but the mask depends only on the
input's shape: the NumPy core builds it. Eagerly the boolean mask is imported
with DLPack (:mod:`._dlpack`); in a graph (``tf.function``, ``model.fit``)
symbolic tensors cannot leave TensorFlow, so the same NumPy function runs
through ``tf.numpy_function`` on the runtime shape, step and replica.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from dropblock_core import sample_mask
from dropblock_core.apply import keep_scale
from dropblock_core.config import DropBlockConfig

from ._dlpack import import_numpy

__all__ = ["keep_mask", "numpy_keep_mask"]


def numpy_keep_mask(
    shape: tuple[int, ...],
    config: DropBlockConfig,
    *,
    step: int,
    replica: int,
    channels_last: bool,
    scheduled: bool,
    scale_dtype: type,
) -> tuple[np.ndarray, np.ndarray]:
    """The core's keep mask for ``shape`` and its scale (a ``scale_dtype`` array,
    0-d or per sample). ``scheduled``: the drop probability follows the
    config's schedule at ``step``.

    >>> cfg = DropBlockConfig(0.2, 3, seed=0)
    >>> mask, scale = numpy_keep_mask((2, 8, 8, 4), cfg, step=0, replica=0,
    ...                               channels_last=True, scheduled=False,
    ...                               scale_dtype=np.float32)
    >>> mask.shape, scale.dtype, bool(scale == np.float32(mask.size / mask.sum()))
    ((2, 8, 8, 4), dtype('float32'), True)
    """
    drop_prob = config.drop_prob_at(step) if scheduled else config.drop_prob
    mask = sample_mask(
        shape,
        drop_prob,
        config.block_size,
        seed=config.seed,
        step=step,
        replica=replica,
        channels_last=channels_last,
        **config.core_kwargs(),
    )
    scale = keep_scale(mask, drop_prob, config.normalize, np, scale_dtype)
    return mask, np.asarray(scale, dtype=scale_dtype)


def _static_shapes(
    x: tf.Tensor, config: DropBlockConfig, channels_last: bool
) -> tuple[tf.TensorShape, tf.TensorShape]:
    """Static shapes of the mask and of the scale (unknown sizes stay ``None``)."""
    if x.shape.rank is None:
        return tf.TensorShape(None), tf.TensorShape(None)
    dims = x.shape.as_list()
    if config.share_batch:
        dims[0] = 1
    if config.share_channels:
        dims[-1 if channels_last else 1] = 1
    if config.normalize == "per_sample":
        scale = [dims[0]] + [1] * (len(dims) - 1)
        return tf.TensorShape(dims), tf.TensorShape(scale)
    return tf.TensorShape(dims), tf.TensorShape([])


def keep_mask(
    x: tf.Tensor,
    config: DropBlockConfig,
    *,
    step: int | tf.Tensor,
    replica: int | tf.Tensor,
    channels_last: bool,
    scheduled: bool,
) -> tuple[tf.Tensor, tf.Tensor]:
    """Boolean keep mask (broadcastable to ``x``) and scale, as TensorFlow tensors.

    ``step`` and ``replica`` are Python ints or integer scalar tensors (a
    variable's value inside ``tf.function``).

    >>> import tensorflow as tf
    >>> x = tf.ones((2, 8, 8, 4))
    >>> mask, scale = keep_mask(x, DropBlockConfig(0.2, 3, seed=0), step=0, replica=0,
    ...                         channels_last=True, scheduled=False)
    >>> mask.dtype.name, mask.shape, scale.dtype.name
    ('bool', TensorShape([2, 8, 8, 4]), 'float32')
    """
    scale_dtype = tf.float64 if x.dtype == tf.float64 else tf.float32
    np_scale_dtype = scale_dtype.as_numpy_dtype

    def build(shape: Any, step: Any, replica: Any) -> tuple[np.ndarray, np.ndarray]:
        return numpy_keep_mask(
            tuple(int(s) for s in shape),
            config,
            step=int(step),
            replica=int(replica),
            channels_last=channels_last,
            scheduled=scheduled,
            scale_dtype=np_scale_dtype,
        )

    if tf.executing_eagerly():
        mask, scale = build(x.shape, step, replica)
        return import_numpy(mask), tf.constant(scale)
    mask, scale = tf.numpy_function(
        build,
        [tf.shape(x, out_type=tf.int64), tf.cast(step, tf.int64), tf.cast(replica, tf.int64)],
        [tf.bool, scale_dtype],
        stateful=True,
        name="dropblock_keep_mask",
    )
    mask_shape, scale_shape = _static_shapes(x, config, channels_last)
    mask.set_shape(mask_shape)
    scale.set_shape(scale_shape)
    return mask, scale
