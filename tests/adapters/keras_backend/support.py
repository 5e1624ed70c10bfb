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


def gradient(layer: keras.Layer, x: np.ndarray, cotangent: np.ndarray, remat: bool = False):  # noqa: ANN201
    """``d sum(layer(x, training=True) * cotangent) / dx`` on the active backend, the
    call recomputed in the backward pass (``tf.recompute_grad``, ``jax.checkpoint``,
    torch's ``checkpoint``) or not."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        def f(t):  # noqa: ANN001, ANN202
            return layer(t, training=True) * cotangent

        f = tf.recompute_grad(f) if remat else f
        t = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(t)
            loss = tf.reduce_sum(f(t))
        return tape.gradient(loss, t).numpy()
    if BACKEND == "jax":
        import jax

        layer.build(x.shape)
        state = [v.value for v in layer.non_trainable_variables]

        def g(t):  # noqa: ANN001, ANN202
            y, _ = layer.stateless_call([], state, t, training=True)
            return (y * cotangent).sum()

        g = jax.checkpoint(g) if remat else g
        return np.asarray(jax.jit(jax.grad(g))(x))
    import torch
    from torch.utils.checkpoint import checkpoint

    t = torch.tensor(x, requires_grad=True)

    def h(t):  # noqa: ANN001, ANN202
        return layer(t, training=True) * torch.tensor(cotangent)

    out = checkpoint(h, t, use_reentrant=False) if remat else h(t)
    out.sum().backward()
    return t.grad.numpy()
