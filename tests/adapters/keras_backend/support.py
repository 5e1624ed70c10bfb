"""What the per-backend Keras tests share: compiling a function on the active
backend, arrays to NumPy, positive inputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

BACKEND = keras.backend.backend()


def positive(shape: tuple[int, ...], seed: int = 0, dtype: str = "float32") -> np.ndarray:
    """Values in [1, 2): a zero in the output can only come from the mask."""
    return np.random.default_rng(seed).uniform(1.0, 2.0, shape).astype(dtype)


def numpy(x: Any) -> np.ndarray:
    return keras.ops.convert_to_numpy(x)


def tensor(x: Any, dtype: str | None = None) -> Any:
    return keras.ops.convert_to_tensor(x, dtype=dtype)


def compiled(fn: Callable, xla: bool = True) -> Callable:
    """``fn`` compiled the backend's way: ``tf.function`` (XLA or not), ``jax.jit``,
    ``torch.compile``."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=xla, autograph=False)
    if BACKEND == "jax":
        import jax

        return jax.jit(fn)
    import torch

    return torch.compile(fn)


def layer_call(layer: keras.Layer, xla: bool = True) -> Callable:
    """``layer(x, training=True)`` as a compiled function of ``x`` that reads the
    layer's variables and writes back what the call assigns (JAX is stateless:
    the variables go in and come out explicitly)."""
    if BACKEND != "jax":
        return compiled(lambda x: layer(x, training=True), xla)
    import jax

    @jax.jit
    def run(trainable: list, non_trainable: list, x: Any) -> tuple:
        return layer.stateless_call(trainable, non_trainable, x, training=True)

    def call(x: Any) -> Any:
        if not layer.built:
            layer.build(tuple(x.shape))
        y, non_trainable = run(
            [v.value for v in layer.trainable_variables],
            [v.value for v in layer.non_trainable_variables],
            x,
        )
        for variable, value in zip(layer.non_trainable_variables, non_trainable):
            variable.assign(value)
        return y

    return call
