"""The functional DropBlock for TensorFlow tensors: ``dropblock_tf.dropblock``."""

from __future__ import annotations

import numbers
import secrets
from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf
from dropblock_keras._tensorflow import apply_keep_mask, graph_keep_mask, import_numpy

from dropblock_core._validation import check_choice, check_flag, check_uint, normalize_block_size
from dropblock_core.apply import keep_scale
from dropblock_core.config import DropBlockConfig, config_arguments
from dropblock_core.masks import plan_mask, sample_planned_mask

__all__ = [
    "DATA_FORMATS",
    "FLOAT_DTYPES",
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


def _eager_value(value: Any) -> int | None:
    """A Python int, or an eager integer tensor's value; ``None`` inside a graph."""
    if isinstance(value, int):
        return value
    return int(value.numpy()) if hasattr(value, "numpy") and tf.executing_eagerly() else None


def dropblock_tensor(
    x: tf.Tensor,
    config: DropBlockConfig,
    *,
    seed: int | tf.Tensor | None,
    step: int | tf.Tensor,
    replica: int | tf.Tensor,
    channels_last: bool,
) -> tf.Tensor:
    """DropBlock (training mode) of a floating tensor with a validated config.

    Eagerly the NumPy core builds the mask (sparse) and it is imported without
    copying; in a graph it is built with TensorFlow ops (XLA compiles it), for
    any batch size. ``seed=None`` draws a fresh seed per call: on the host, or
    in the graph (``tf.random.uniform``).
    """
    rank = x.shape.rank
    if rank is None:
        raise ValueError("x must have a known rank inside a graph (DropBlock plans its mask)")
    if rank < 3:
        last, first = "(batch, *spatial, channels)", "(batch, channels, *spatial)"
        layout = last if channels_last else first
        raise ValueError(f"x must have shape {layout} with a spatial axis, got {x.shape}")
    normalize_block_size(config.block_size, rank - 2)
    if config.drop_prob == 0.0:
        return x
    values = [_eager_value(v) for v in (step, replica)]
    if tf.executing_eagerly() and None not in values:
        plan = plan_mask(
            tuple(x.shape),
            config.drop_prob,
            config.block_size,
            channels_last=channels_last,
            **config.core_kwargs(),
        )
        mask = sample_planned_mask(
            plan,
            seed=secrets.randbits(64) if seed is None else seed,
            step=values[0],
            replica=values[1],
            stream="counter",
        )
        scale = keep_scale(mask, config.drop_prob, config.normalize, np.float64, xp=np)
        return apply_keep_mask(x, import_numpy(mask), config.drop_prob, config.normalize, scale)
    else:
        if seed is None:
            seed = tf.random.uniform((), maxval=2**31 - 1, dtype=tf.int64)
        mask = graph_keep_mask(
            x,
            config,
            config.drop_prob,
            seed=seed,
            step=step,
            replica=replica,
            channels_last=channels_last,
        )
        if mask is None:
            return x
    return apply_keep_mask(x, mask, config.drop_prob, config.normalize)


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
    eagerly (the NumPy core, imported with DLPack) and inside ``tf.function``
    with or without XLA (TensorFlow ops; the rank and the non-batch sizes must
    be known there). Other parameters are those of :func:`dropblock_core.dropblock`.

    Parameters
    ----------
    x : tf.Tensor
        float16, bfloat16, float32 or float64, with 1 to 3 spatial axes.
    drop_prob : float
        The probability of dropping a unit, in [0, 1]; 0 returns the input.
    block_size : int or sequence of int
        The side of the square (cubic) blocks, or one side per spatial axis;
        clipped to the map.
    training : bool, default True
        ``False`` returns the input unchanged.
    seed : int, optional
        Seeds the mask (``dropblock_core.sample_mask``'s for this ``seed``,
        ``step`` and ``replica``); ``None`` draws a fresh mask on every call.
    step : int or tf.Tensor, default 0
        The training step the mask is drawn for (a scalar integer tensor
        allowed).
    replica : int or tf.Tensor, default 0
        The data-parallel replica the mask is drawn for.
    data_format : {"channels_last", "channels_first"}, default "channels_last"
        ``(batch, *spatial, channels)`` or ``(batch, channels, *spatial)``.
    gamma, seed_region, normalize, share_channels, share_batch
        The options of :class:`dropblock_core.DropBlockConfig`.

    Returns
    -------
    tf.Tensor
        ``x`` with blocks zeroed and kept units rescaled, same shape and dtype;
        ``x`` itself when not training or ``drop_prob`` is 0.

    Raises
    ------
    ValueError
        If an argument is out of range or not one of its choices, or ``x``'s
        shape does not fit ``data_format``.
    TypeError
        If an argument has the wrong type, or ``x`` is not floating.

    Examples
    --------
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
    config = DropBlockConfig(**config_arguments(locals()))
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
        seed=seed,
        step=step,
        replica=replica,
        channels_last=data_format == "channels_last",
    )
