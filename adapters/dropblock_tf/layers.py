"""Keras 3 layers (TensorFlow backend): ``DropBlock1D``, ``DropBlock2D``, ``DropBlock3D``.

Each layer holds a :class:`~dropblock_core.config.DropBlockConfig` and a
non-trainable ``int64`` weight ``step`` (saved with the model's weights) that
advances once per training call and drives the mask's ``step`` and the
schedule. The mask is built by the NumPy core, so the layers opt out of XLA
(``supports_jit = False``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

from dropblock_core._validation import check_choice, check_uint, normalize_block_size
from dropblock_core.config import DropBlockConfig

from .functional import DATA_FORMATS, as_float_tensor, dropblock_tensor

__all__ = ["DropBlock1D", "DropBlock2D", "DropBlock3D", "replica_id"]


def replica_id() -> int | tf.Tensor:
    """The ``tf.distribute`` replica id (``replica_id_in_sync_group``); 0 outside a strategy."""
    context = tf.distribute.get_replica_context()
    return 0 if context is None else context.replica_id_in_sync_group


class _DropBlock(keras.layers.Layer):
    """DropBlock over ``spatial_rank`` spatial axes; see :class:`DropBlock2D`."""

    spatial_rank = 0

    def __init__(
        self,
        drop_prob: float,
        block_size: int | Sequence[int],
        *,
        gamma: str | float = "exact",
        seed_region: str = "valid",
        normalize: str = "global",
        share_channels: bool = False,
        share_batch: bool = False,
        seed: int | None = None,
        total_steps: int = 0,
        replica: int = 0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        if keras.backend.backend() != "tensorflow":
            raise RuntimeError(
                f"dropblock_tf layers need Keras' TensorFlow backend, but the "
                f"{keras.backend.backend()!r} backend is active (KERAS_BACKEND)"
            )
        super().__init__(autocast=False, **kwargs)  # keep float16/bfloat16/float64 inputs
        self.config = DropBlockConfig(
            drop_prob,
            block_size,
            gamma=gamma,
            seed_region=seed_region,
            normalize=normalize,
            share_channels=share_channels,
            share_batch=share_batch,
            seed=seed,
            total_steps=total_steps,
        )
        normalize_block_size(self.config.block_size, self.spatial_rank)
        self.replica = check_uint(replica, "replica", 32)
        if data_format is None:
            data_format = keras.config.image_data_format()
        self.data_format = check_choice(data_format, DATA_FORMATS, "data_format")
        self.supports_jit = False
        self.step = self.add_weight(
            name="step",
            shape=(),
            dtype="int64",
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
        )

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if len(input_shape) != self.spatial_rank + 2:
            raise ValueError(
                f"{type(self).__name__} expects inputs of rank {self.spatial_rank + 2}, "
                f"got shape {tuple(input_shape)}"
            )
        super().build(input_shape)

    def call(self, inputs: tf.Tensor, training: bool | None = None) -> tf.Tensor:
        inputs = as_float_tensor(inputs)
        if not training:
            return inputs
        step = tf.convert_to_tensor(self.step.value)
        replica = self.replica + tf.cast(replica_id(), tf.int64)
        outputs = dropblock_tensor(
            inputs,
            self.config,
            step=step,
            replica=replica,
            channels_last=self.data_format == "channels_last",
            scheduled=True,
        )
        self.step.assign_add(1)
        return outputs

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            **self.config.to_dict(),
            "replica": self.replica,
            "data_format": self.data_format,
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, {self.config.describe()}>"


@keras.saving.register_keras_serializable(package="dropblock_tf")
class DropBlock1D(_DropBlock):
    """DropBlock for sequences ``(batch, length, channels)``; see :class:`DropBlock2D`.

    >>> import tensorflow as tf
    >>> layer = DropBlock1D(0.2, 5, seed=0)
    >>> layer(tf.ones((2, 32, 4)), training=True).shape
    TensorShape([2, 32, 4])
    """

    spatial_rank = 1


@keras.saving.register_keras_serializable(package="dropblock_tf")
class DropBlock2D(_DropBlock):
    """DropBlock for images ``(batch, height, width, channels)`` (Keras 3, TensorFlow backend).

    Parameters are those of :func:`dropblock_tf.dropblock`, plus
    ``total_steps`` (the paper's schedule: the drop probability ramps linearly
    from 0 over that many training calls; 0 = no ramp), ``replica`` (added to
    the ``tf.distribute`` replica id) and ``data_format`` (``None`` =
    ``keras.config.image_data_format()``; ``"channels_first"`` for
    ``(batch, channels, height, width)``). Training calls use the current
    ``step`` weight for the mask and the schedule, then add 1 to it; inference
    calls return the input.

    >>> import numpy as np, tensorflow as tf, dropblock_core
    >>> layer = DropBlock2D(0.1, 7, seed=0)
    >>> x = tf.ones((2, 14, 14, 4))
    >>> y = layer(x, training=True)
    >>> mask = dropblock_core.sample_mask((2, 14, 14, 4), 0.1, 7, seed=0, step=0,
    ...                                   channels_last=True)
    >>> bool(np.array_equal(y.numpy() != 0, mask)), int(layer.step.numpy())
    (True, 1)
    >>> layer(x) is x  # inference
    True
    >>> layer
    <DropBlock2D name=drop_block2d..., drop_prob=0.1, block_size=7, seed=0>
    """

    spatial_rank = 2


@keras.saving.register_keras_serializable(package="dropblock_tf")
class DropBlock3D(_DropBlock):
    """DropBlock for volumes ``(batch, depth, height, width, channels)``; see :class:`DropBlock2D`.

    >>> import tensorflow as tf
    >>> layer = DropBlock3D(0.1, 3, data_format="channels_first")
    >>> layer(tf.ones((1, 2, 8, 8, 8)), training=True).shape
    TensorShape([1, 2, 8, 8, 8])
    """

    spatial_rank = 3
