"""The functional DropBlock for Keras 3 tensors: ``dropblock_keras.dropblock``."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import keras

from dropblock_core._validation import check_choice, check_flag, normalize_block_size
from dropblock_core._validation import check_counter as check_counter_value
from dropblock_core.config import DropBlockConfig, config_arguments
from dropblock_core.masks import MaskPlan, plan_mask, sample_planned_mask

from . import _backend

__all__ = ["DATA_FORMATS", "dropblock", "dropblock_training"]

DATA_FORMATS = ("channels_last", "channels_first")
_FLOATS = ("float16", "bfloat16", "float32", "float64")


def check_data_format(data_format: str | None) -> str:
    """``data_format`` checked; ``None`` is ``keras.config.image_data_format()``."""
    if data_format is None:
        data_format = keras.config.image_data_format()
    return check_choice(data_format, DATA_FORMATS, "data_format")


def check_input(x: Any, spatial_dims: int | None, block_size: Any, channels_last: bool) -> None:
    """A floating tensor with a batch axis, a channel axis and spatial axes."""
    dtype = keras.backend.standardize_dtype(getattr(x, "dtype", None) or "unknown")
    if dtype not in _FLOATS:
        raise TypeError(f"x must have a floating dtype ({', '.join(_FLOATS)}), got {dtype}")
    rank = len(x.shape)
    layout = "(batch, *spatial, channels)" if channels_last else "(batch, channels, *spatial)"
    if rank < 3 or (spatial_dims is not None and rank != spatial_dims + 2):
        expected = f"{spatial_dims} spatial axes" if spatial_dims else "a spatial axis"
        raise ValueError(f"x must have shape {layout} with {expected}, got {tuple(x.shape)}")
    if not isinstance(block_size, int):
        normalize_block_size(block_size, rank - 2)


def check_counter(value: Any, name: str, bits: int = 32) -> Any:
    """A Python int in ``[0, 2**bits)`` or a 0-d integer tensor (a Keras
    variable's value); concrete tensors are range-checked and read, traced ones
    are taken modulo 2**32 by the core."""
    return check_counter_value(_backend.raw(value), name, bits)


def plan_for(
    shape: Sequence[int],
    drop: Any,
    config: DropBlockConfig,
    channels_last: bool,
    *,
    xp: Any = None,
) -> MaskPlan:
    """The core's mask plan; an array ``drop`` (of ``xp``) gets its gamma in the graph."""
    return plan_mask(
        tuple(shape),
        drop,
        config.block_size,
        channels_last=channels_last,
        xp=None if isinstance(drop, float) else xp,
        **config.core_kwargs(),
    )


def dropblock_training(
    x: Any,
    config: DropBlockConfig,
    drop: Any,
    *,
    seed: Any,
    step: Any,
    replica: Any,
    channels_last: bool,
) -> Any:
    """DropBlock of a checked backend tensor in training mode; shared by
    :func:`dropblock` and the layers. ``drop``, ``seed``, ``step`` and
    ``replica`` may be tensors (variables read inside a compiled step)."""
    if _backend.is_torch_compiling():  # build the mask eagerly, outside the graph
        return _backend.run_eagerly(dropblock_training)(
            x, config, drop, seed=seed, step=step, replica=replica, channels_last=channels_last
        )
    if _backend.is_eager_cpu(x):
        values = [_backend.host_number(v) for v in (drop, seed, step, replica)]
        if all(v is not None for v in values):  # the NumPy core, sparse and fast
            drop, seed, step, replica = values
            if drop == 0.0:
                return x
            plan = plan_for(x.shape, float(drop), config, channels_last)
            numpy_mask = sample_planned_mask(
                plan, seed=seed, step=step, replica=replica, stream="counter"
            )
            mask = _backend.import_mask(numpy_mask)
            return _backend.apply(x, mask, drop, config.normalize, numpy_mask)
    if isinstance(drop, float) and drop == 0.0:
        return x
    xp = _backend.namespace(x)
    if _backend.name() == "tensorflow":
        from ._tensorflow import graph_keep_mask

        mask = graph_keep_mask(
            x, config, drop, seed=seed, step=step, replica=replica, channels_last=channels_last
        )
        if mask is None:
            return x
    else:
        plan = plan_for(x.shape, drop, config, channels_last, xp=xp)
        mask = sample_planned_mask(
            plan, seed=seed, step=step, replica=replica, stream="counter", xp=xp
        )
    out = _backend.apply(x, mask, drop, config.normalize)
    if not isinstance(drop, float) and not isinstance(config.gamma, str):
        out = xp.where(drop == 0.0, x, out)  # a given gamma draws seeds whatever drop is
    return out


def dropblock(
    x: Any,
    drop_prob: float | Any,
    block_size: int | Sequence[int],
    *,
    seed: int | Any,
    step: int | Any = 0,
    replica: int | Any = 0,
    training: bool = True,
    data_format: str | None = None,
    gamma: str | float = "exact",
    seed_region: str = "valid",
    normalize: str = "global",
    share_channels: bool = False,
    share_batch: bool = False,
) -> Any:
    """DropBlock of a tensor of the active Keras backend (TensorFlow, JAX or PyTorch).

    ``x`` is ``(batch, *spatial, channels)`` (``data_format="channels_last"``)
    or ``(batch, channels, *spatial)``, with one or more spatial axes and a
    floating dtype; ``data_format=None`` follows
    ``keras.config.image_data_format()``. The mask is that of
    ``dropblock_core.sample_mask`` for the same ``seed``, ``step`` and
    ``replica``, bit for bit, eagerly and inside compiled functions
    (``tf.function`` with or without XLA, ``jax.jit``, ``torch.compile``);
    kept values are multiplied by the core's scale. ``seed``, ``step`` and
    ``replica`` are ints or 0-d integer tensors, ``drop_prob`` a float or a
    0-d floating tensor (e.g. a variable read inside a compiled step; its gamma
    is then computed in the graph). ``training=False`` or ``drop_prob == 0``
    returns ``x``. Other options are those of :func:`dropblock_core.dropblock`.

    Parameters
    ----------
    x : tensor
        A floating tensor of the active backend, with one or more spatial axes.
    drop_prob : float or tensor
        The probability of dropping a unit, in [0, 1]: a float, or a 0-d
        floating tensor (its gamma is computed in the graph).
    block_size : int or sequence of int
        The side of the square (cubic) blocks, or one side per spatial axis;
        clipped to the map.
    seed : int or tensor
        Seeds the mask (an int or a 0-d integer tensor): the mask is
        ``dropblock_core.sample_mask``'s for this ``seed``, ``step`` and
        ``replica``.
    step : int or tensor, default 0
        The training step the mask is drawn for.
    replica : int or tensor, default 0
        The data-parallel replica the mask is drawn for.
    training : bool, default True
        ``False`` returns the input unchanged.
    data_format : {"channels_last", "channels_first"}, optional
        The layout; ``None`` follows ``keras.config.image_data_format()``.
    gamma, seed_region, normalize, share_channels, share_batch
        The options of :class:`dropblock_core.DropBlockConfig`.

    Returns
    -------
    tensor
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
    >>> import numpy as np, keras, dropblock_core
    >>> x = keras.ops.ones((2, 14, 14, 4))
    >>> y = dropblock(x, 0.1, 7, seed=0, step=3, data_format="channels_last")
    >>> mask = dropblock_core.sample_mask((2, 14, 14, 4), 0.1, 7, seed=0, step=3,
    ...                                   channels_last=True)
    >>> bool(np.array_equal(keras.ops.convert_to_numpy(y) != 0, mask))
    True
    >>> dropblock(x, 0.1, 7, seed=0, training=False) is x
    True
    """
    drop = _backend.raw(drop_prob)
    is_number = isinstance(drop, numbers.Real) and not isinstance(drop, bool)
    options = config_arguments(locals(), drop_prob=float(drop) if is_number else 0.0, seed=None)
    config = DropBlockConfig(**options)
    channels_last = check_data_format(data_format) == "channels_last"
    check_flag(training, "training")
    seed = check_counter(seed, "seed", 64)
    step = check_counter(step, "step")
    replica = check_counter(replica, "replica")
    check_input(x, None, config.block_size, channels_last)
    if not training:
        return x
    return dropblock_training(
        x,
        config,
        config.drop_prob if is_number else drop,
        seed=seed,
        step=step,
        replica=replica,
        channels_last=channels_last,
    )
