"""The functional DropBlock for TensorFlow tensors: ``dropblock_tf.dropblock``."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from dropblock_core._validation import check_choice, check_flag, check_uint, normalize_block_size
from dropblock_core.config import DropBlockConfig

from ._mask import keep_mask

__all__ = [
    "DATA_FORMATS",
    "FLOAT_DTYPES",
    "apply_keep_mask",
    "as_float_tensor",
    "check_counter",
    "dropblock",
    "dropblock_tensor",
]

DATA_FORMATS = ("channels_last", "channels_first")
FLOAT_DTYPES = (tf.float16, tf.bfloat16, tf.float32, tf.float64)


def as_float_tensor(x: Any) -> tf.Tensor:
    """``x`` as a dense floating tensor (float16, bfloat16, float32 or float64)."""
    if isinstance(x, (tf.SparseTensor, tf.RaggedTensor)):
        raise TypeError(f"x must be a dense tensor, got {type(x).__name__}")
    try:
        x = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"x must be a tf.Tensor or array-like, got {type(x).__name__}") from exc
    if x.dtype not in FLOAT_DTYPES:
        names = ", ".join(d.name for d in FLOAT_DTYPES)
        raise TypeError(f"x must have a floating dtype ({names}), got {x.dtype.name}")
    return x


def check_counter(value: Any, name: str) -> int | tf.Tensor:
    """A Python int in [0, 2**32) or a scalar integer tensor (checked at run time by the core)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return check_uint(value, name, 32)
    dtype = getattr(value, "dtype", None)
    shape = getattr(value, "shape", None)
    if not (tf.is_tensor(value) or isinstance(value, tf.Variable)) or shape != ():
        raise TypeError(
            f"{name} must be a non-negative int or a scalar integer tensor, got {value!r}"
        )
    if not tf.as_dtype(dtype).is_integer:
        raise TypeError(f"{name} must have an integer dtype, got {value!r}")
    return value


def apply_keep_mask(x: tf.Tensor, mask: tf.Tensor, scale: tf.Tensor) -> tf.Tensor:
    """``x * scale`` where ``mask`` is True, 0 elsewhere, in ``x``'s dtype.

    float16 and bfloat16 are scaled in float32 and rounded once, as the core does.

    >>> import tensorflow as tf
    >>> x = tf.constant([1.0, 2.0, 3.0], tf.float16)
    >>> apply_keep_mask(x, tf.constant([True, False, True]), tf.constant(1.5)).numpy()
    array([1.5, 0. , 4.5], dtype=float16)
    """
    if x.dtype in (tf.float32, tf.float64):
        kept = x * scale
    else:
        kept = tf.cast(tf.cast(x, scale.dtype) * scale, x.dtype)
    return tf.where(mask, kept, tf.zeros((), x.dtype))


def dropblock_tensor(
    x: tf.Tensor,
    config: DropBlockConfig,
    *,
    step: int | tf.Tensor,
    replica: int | tf.Tensor,
    channels_last: bool,
    scheduled: bool,
) -> tf.Tensor:
    """DropBlock (training mode) of a floating tensor with a validated config;
    shared by :func:`dropblock` and the Keras layers."""
    rank = x.shape.rank
    if rank is not None:
        if rank < 3:
            last, first = "(batch, *spatial, channels)", "(batch, channels, *spatial)"
            layout = last if channels_last else first
            raise ValueError(f"x must have shape {layout} with a spatial axis, got {x.shape}")
        normalize_block_size(config.block_size, rank - 2)
    if not scheduled and config.drop_prob == 0.0:
        return x
    mask, scale = keep_mask(
        x, config, step=step, replica=replica, channels_last=channels_last, scheduled=scheduled
    )
    return apply_keep_mask(x, mask, scale)


def dropblock(
    x: Any,
    drop_prob: float,
    block_size: int | Sequence[int],
    *,
    training: bool = True,
    seed: int | None = None,
    step: int | tf.Tensor = 0,
    replica: int | tf.Tensor = 0,
    data_format: str = "channels_last",
    gamma: str | float = "exact",
    seed_region: str = "valid",
    normalize: str = "global",
    share_channels: bool = False,
    share_batch: bool = False,
) -> tf.Tensor:
    """DropBlock of a TensorFlow tensor: zero blocks and rescale the rest.

    ``x`` is ``(batch, *spatial, channels)`` (``data_format="channels_last"``)
    or ``(batch, channels, *spatial)`` (``"channels_first"``), with 1 to 3
    spatial axes, float16, bfloat16, float32 or float64; the result has its
    shape and dtype. The zeros are exactly those of
    ``dropblock_core.sample_mask`` for the same ``seed``, ``step`` and
    ``replica``; kept values are ``x`` times the core's scale. ``seed=None``
    draws a fresh mask on every call. ``step`` and ``replica`` may be scalar
    integer tensors (e.g. a step variable inside ``tf.function``).
    ``training=False`` or ``drop_prob == 0`` returns ``x`` unchanged. Works
    eagerly and inside ``tf.function`` (not under XLA: the mask is built by
    NumPy). Other parameters are those of :func:`dropblock_core.dropblock`.

    >>> import numpy as np, tensorflow as tf, dropblock_core
    >>> x = tf.ones((2, 14, 14, 4))
    >>> y = dropblock(x, 0.1, 7, seed=0, step=3)
    >>> y.shape, y.dtype.name
    (TensorShape([2, 14, 14, 4]), 'float32')
    >>> mask = dropblock_core.sample_mask((2, 14, 14, 4), 0.1, 7, seed=0, step=3,
    ...                                   channels_last=True)
    >>> bool(np.array_equal(y.numpy() != 0, mask))
    True
    >>> dropblock(x, 0.1, 7, training=False) is x
    True
    """
    config = DropBlockConfig(
        drop_prob,
        block_size,
        gamma=gamma,
        seed_region=seed_region,
        normalize=normalize,
        share_channels=share_channels,
        share_batch=share_batch,
        seed=seed,
    )
    check_flag(training, "training")
    check_choice(data_format, DATA_FORMATS, "data_format")
    step = check_counter(step, "step")
    replica = check_counter(replica, "replica")
    x = as_float_tensor(x)
    if not training:
        return x
    return dropblock_tensor(
        x,
        config,
        step=step,
        replica=replica,
        channels_last=data_format == "channels_last",
        scheduled=False,
    )
