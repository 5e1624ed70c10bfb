"""Keras 3 layers ``DropBlock1D``, ``DropBlock2D``, ``DropBlock3D`` (TensorFlow, JAX, PyTorch).

Each layer is a ``keras.layers.Layer`` and a
:class:`dropblock_core.layer.DropBlockLayer`. The values that change during
training live in non-trainable Keras variables, so a compiled train step reads
them without being traced again: ``drop_prob`` (set by
:class:`dropblock_keras.LinearScheduler` or by you) and ``step``, which
together with the seed and the replica determine the mask.

Where the randomness comes from: an int ``seed`` gives the masks of
``dropblock_core.sample_mask(seed=layer.mask_seed, step=layer.step, replica)``
bit for bit; ``seed=None`` takes its seed from a ``keras.random.SeedGenerator``
made with the layer, so ``keras.utils.set_random_seed`` reproduces a run. The
generator is never advanced: only ``step`` changes from one batch to the next.

Who advances ``step``: by default a training call draws its mask for the
current step and then adds 1 (as Keras' ``Dropout`` advances its generator),
so masks change from batch to batch with no callback at all. A
``LinearScheduler`` takes the step over: it sets ``auto_step = False`` on the
layers it drives and sets ``step`` after every batch. Then ``call`` leaves
every value as it was, which is what recomputation needs
(``tf.recompute_grad``, ``jax.checkpoint``): the recomputed mask is the same.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from dropblock_core._validation import check_flag, check_uint
from dropblock_core.config import config_arguments
from dropblock_core.layer import DropBlockLayer
from dropblock_core.rng import layer_seed

from . import _backend
from .functional import check_data_format, check_input, dropblock_training

__all__ = ["DropBlock1D", "DropBlock2D", "DropBlock3D", "DropBlockND"]


def _read(variable: keras.Variable) -> np.ndarray:
    """A variable's value as a NumPy array (TensorFlow's own ``numpy()``: Keras
    3.15's TensorFlow variables trip NumPy 2's ``__array__`` copy check)."""
    if _backend.name() == "tensorflow":
        value: np.ndarray = variable.value.numpy()
    else:
        value = keras.ops.convert_to_numpy(variable.value)
    return value


def _variable_dtype(kind: str) -> str:
    """float64/int64 variables, or float32/uint32 on JAX without 64-bit types."""
    if _backend.name() == "jax":
        import jax

        if not jax.enable_x64.value:
            return {"float": "float32", "int": "uint32"}[kind]
    return {"float": "float64", "int": "int64"}[kind]


class DropBlockND(keras.layers.Layer, DropBlockLayer):
    """DropBlock over ``spatial_dims`` spatial axes, on every Keras backend.

    The base of :class:`DropBlock1D`, :class:`DropBlock2D` and
    :class:`DropBlock3D`, which fix ``spatial_dims``; this class takes any
    number. Inference calls return the input.

    Parameters
    ----------
    drop_prob : float
        The probability of dropping a unit, in [0, 1]; settable (a
        ``LinearScheduler`` ramps it).
    block_size : int or sequence of int
        The side of the square (cubic) blocks, or one side per spatial axis;
        clipped to the map.
    gamma, seed_region, normalize, share_channels, share_batch
        The options of :class:`dropblock_core.DropBlockConfig`.
    seed : int, optional
        An int draws the masks of ``dropblock_core.sample_mask`` for
        ``seed=layer.mask_seed``, ``step=layer.step``; ``None`` takes a seed
        from a ``keras.random.SeedGenerator``.
    replica : int, default 0
        Added to ``tf.distribute``'s replica id.
    data_format : {"channels_last", "channels_first"}, optional
        The layout; ``None`` follows ``keras.config.image_data_format()``.
    **kwargs
        Those of ``keras.layers.Layer`` (``name``, ``dtype``...).

    Raises
    ------
    ValueError
        If an argument is out of range or not one of its choices, or the Keras
        backend is not TensorFlow, JAX or PyTorch.
    TypeError
        If an argument has the wrong type.

    Examples
    --------
    >>> import keras
    >>> layer = DropBlockND(0.1, (2, 3), seed=0)
    >>> tuple(layer(keras.ops.ones((2, 8, 8, 3)), training=True).shape)
    (2, 8, 8, 3)
    """

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
        replica: int = 0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        _backend.name()  # a clear error on an unsupported backend
        super().__init__(autocast=False, **kwargs)  # keep float16/bfloat16/float64 inputs
        self.data_format = check_data_format(data_format)
        self.replica = check_uint(replica, "replica", 32)
        self._target_drop_prob: float | None = None
        self._init_dropblock(**config_arguments(locals()))
        self.seed_generator = keras.random.SeedGenerator(None) if seed is None else None
        self._auto_step_variable = self.add_weight(
            name="auto_step",
            shape=(),
            dtype=_variable_dtype("int"),
            initializer="ones",
            trainable=False,
            aggregation="only_first_replica",
        )

    # -- DropBlockLayer: drop_prob and step in Keras variables ------------------

    def _store(self, name: str, value: float | int) -> None:
        object.__setattr__(self, f"_dropblock_{name}", value)  # the exact Python value
        if name == "layer_id":
            return  # a Python number: traces read mask_seed, which it changes
        variable = self.__dict__.get(f"_{name}_variable")
        if variable is None:
            kind = "float" if name == "drop_prob" else "int"
            variable = self.add_weight(
                name=name,
                shape=(),
                dtype=_variable_dtype(kind),
                initializer="zeros",
                trainable=False,
                aggregation="only_first_replica",
            )
            setattr(self, f"_{name}_variable", variable)
        variable.assign(value)  # not Constant(value): Keras rounds that through float32

    def _load(self, name: str) -> float | int:
        shadow: float | int = getattr(self, f"_dropblock_{name}")
        if name == "layer_id":
            return shadow
        stored = _read(getattr(self, f"_{name}_variable"))
        if np.asarray(shadow, dtype=stored.dtype) == stored:
            return shadow  # e.g. 0.1, not its float32 rounding on JAX
        return float(stored) if name == "drop_prob" else int(stored)

    @property
    def auto_step(self) -> bool:
        """Whether a training call adds 1 to ``step`` after drawing its mask
        (settable; ``True`` by default, ``False`` while a ``LinearScheduler``
        sets ``step`` before every batch: then ``call`` leaves every value as it
        was, which recomputation needs). A variable, so compiled steps follow it
        without being traced again."""
        return bool(_read(self._auto_step_variable))

    @auto_step.setter
    def auto_step(self, value: bool) -> None:
        self._auto_step_variable.assign(int(check_flag(value, "auto_step")))

    @property
    def mask_seed(self) -> int:
        """The seed masks are drawn from: ``layer_seed(seed, layer_id)``, or the
        seed of the layer's ``SeedGenerator`` when ``seed=None``."""
        if self.seed_generator is None:
            return layer_seed(self.seed, self.layer_id)
        return int(_read(self.seed_generator.state)[0])

    # -- Keras --------------------------------------------------------------------

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if self.spatial_dims is not None and len(input_shape) != self.spatial_dims + 2:
            raise ValueError(
                f"{type(self).__name__} expects inputs of rank {self.spatial_dims + 2}, "
                f"got shape {tuple(input_shape)}"
            )
        super().build(input_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not training:
            return inputs
        channels_last = self.data_format == "channels_last"
        check_input(inputs, self.spatial_dims, self.block_size, channels_last)
        if _backend.is_eager_cpu(inputs):  # Python values: the host gamma, bit-exact
            drop, step, seed = self.drop_prob, self.step, self.mask_seed
            advance: Any = int(self.auto_step)
        else:
            drop, step = self._drop_prob_variable.value, self._step_variable.value
            advance = self._auto_step_variable.value
            if self.seed_generator is None:
                seed = layer_seed(self.seed, self.layer_id)
            else:
                seed = self.seed_generator.state.value[0]
        outputs = dropblock_training(
            inputs,
            self._dropblock_fixed,
            drop,
            seed=seed,
            step=step,
            replica=self.replica + _backend.replica_id(),
            channels_last=channels_last,
        )
        # step + 1, or step + 0 (the value it holds) while a scheduler drives it.
        self._step_variable.assign(step + advance)
        return outputs

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = self.dropblock_config()
        config.pop("total_steps", None)  # the schedule lives in LinearScheduler
        if self._target_drop_prob is not None:
            config["drop_prob"] = self._target_drop_prob  # not a mid-ramp value
        return {
            **super().get_config(),
            **config,
            "replica": self.replica,
            "data_format": self.data_format,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DropBlockND:
        config = dict(config)
        total_steps = config.pop("total_steps", 0)  # dropblock_tf 0.1's in-layer schedule
        if total_steps:
            warnings.warn(
                f"total_steps={total_steps} in this layer's config is ignored: the schedule "
                "is dropblock_keras.LinearScheduler(total_steps), a callback, now",
                UserWarning,
                stacklevel=2,
            )
        return cls(**config)

    def save_own_variables(self, store: Any) -> None:
        """Save ``step`` (and the generator's seed): what an exact resume needs.
        ``drop_prob`` is not saved: the config holds its target and a scheduler
        sets the ramp from ``step``."""
        store["step"] = _read(self._step_variable)
        if self.seed_generator is not None:
            store["seed"] = _read(self.seed_generator.state)

    def load_own_variables(self, store: Any) -> None:
        keys = set(store.keys())
        if "step" in keys:
            self._step_variable.assign(store["step"])
        elif keys == {"0"}:  # a file written by dropblock_tf 0.1 (its step weight)
            self._step_variable.assign(store["0"])
        if "seed" in keys and self.seed_generator is not None:
            self.seed_generator.state.assign(store["seed"])

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, {self.describe()}>"


@keras.saving.register_keras_serializable(package="dropblock_keras")
class DropBlock1D(DropBlockND):
    """DropBlock for sequences ``(batch, length, channels)``; see :class:`DropBlockND`.

    Examples
    --------
    >>> import keras
    >>> layer = DropBlock1D(0.2, 5, seed=0)
    >>> tuple(layer(keras.ops.ones((2, 32, 4)), training=True).shape)
    (2, 32, 4)
    """

    spatial_dims = 1


@keras.saving.register_keras_serializable(package="dropblock_keras")
class DropBlock2D(DropBlockND):
    """DropBlock for images ``(batch, height, width, channels)``; see :class:`DropBlockND`.

    Examples
    --------
    >>> import numpy as np, keras, dropblock_core
    >>> layer = DropBlock2D(0.1, 7, seed=0, data_format="channels_last")
    >>> x = keras.ops.ones((2, 14, 14, 4))
    >>> y = layer(x, training=True)
    >>> mask = dropblock_core.sample_mask((2, 14, 14, 4), 0.1, 7, seed=0, step=0,
    ...                                   channels_last=True)
    >>> bool(np.array_equal(keras.ops.convert_to_numpy(y) != 0, mask)), layer.step
    (True, 1)
    >>> layer(x) is x  # inference
    True
    >>> layer
    <DropBlock2D name=drop_block2d..., drop_prob=0.1, block_size=7, seed=0>
    """

    spatial_dims = 2


@keras.saving.register_keras_serializable(package="dropblock_keras")
class DropBlock3D(DropBlockND):
    """DropBlock for volumes ``(batch, depth, height, width, channels)``; see :class:`DropBlockND`.

    Examples
    --------
    >>> import keras
    >>> layer = DropBlock3D(0.1, 3, data_format="channels_first")
    >>> tuple(layer(keras.ops.ones((1, 2, 8, 8, 8)), training=True).shape)
    (1, 2, 8, 8, 8)
    """

    spatial_dims = 3
