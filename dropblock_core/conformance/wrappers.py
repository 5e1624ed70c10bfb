"""Framework implementations as NumPy-in, NumPy-out :class:`Implementation` s.

Each wrapper converts NumPy -> framework -> NumPy around the user's function
and supplies an eval function and a gradient function (autograd,
``GradientTape``, ``jax.vjp``). Frameworks are imported inside the wrappers,
never by this module. bfloat16 travels as ``ml_dtypes.bfloat16`` on the NumPy
side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .implementation import Forward, Gradient, Implementation, seed_global_rngs

__all__ = ["wrap_jax", "wrap_keras_layer", "wrap_tf", "wrap_torch", "wrap_torch_module"]


def _bfloat16_numpy(values: np.ndarray) -> np.ndarray:
    import ml_dtypes

    return values.astype(ml_dtypes.bfloat16)


Framework = Callable[[Any, float, int], Any]


class _Bridge(NamedTuple):
    """NumPy arrays to one framework's arrays and back."""

    to_framework: Callable[[np.ndarray], Any]
    to_numpy: Callable[[Any], np.ndarray]

    def implementation(
        self,
        fn: Framework,
        fn_eval: Framework | None,
        grad: Gradient,
        *,
        channels_last: bool,
        reseed: Callable[[int], None] | None,
    ) -> Implementation:
        """``fn`` (and ``fn_eval``) called on framework arrays, NumPy in and out."""
        return Implementation(
            self._numpy_in_out(fn),
            eval=None if fn_eval is None else self._numpy_in_out(fn_eval),
            grad=grad,
            reseed=reseed or seed_global_rngs,
            channels_last=channels_last,
        )

    def _numpy_in_out(self, f: Framework) -> Forward:
        return lambda x, p, b: self.to_numpy(f(self.to_framework(x), p, b))


def _built_once(
    factory: Callable[[float, int], Any],
) -> tuple[Callable[[float, int], Any], Callable[[int], None]]:
    """``(get, reseed)``: ``get(drop_prob, block_size)`` builds a layer once per
    pair of arguments; ``reseed`` drops them all, so that the layers built next
    start from the reseeded global generators."""
    cache: dict[tuple[float, int], Any] = {}

    def get(drop_prob: float, block_size: int) -> Any:
        key = (drop_prob, block_size)
        if key not in cache:
            cache[key] = factory(drop_prob, block_size)
        return cache[key]

    def reseed(seed: int) -> None:
        cache.clear()
        seed_global_rngs(seed)

    return get, reseed


# -- torch -------------------------------------------------------------------------------


def _to_torch(x: np.ndarray) -> Any:
    """A tensor sharing ``x``'s memory (so in-place writes stay visible), or a
    bfloat16 copy."""
    import torch

    if x.dtype.name == "bfloat16":
        return torch.from_numpy(x.astype(np.float32)).to(torch.bfloat16)
    return torch.from_numpy(x)


def _from_torch(t: Any) -> np.ndarray:
    import torch

    t = t.detach().cpu()
    if t.dtype == torch.bfloat16:
        return _bfloat16_numpy(t.float().numpy())
    array: np.ndarray = t.numpy().copy()
    return array


_TORCH = _Bridge(_to_torch, _from_torch)


def wrap_torch(
    fn: Callable[[Any, float, int], Any],
    *,
    fn_eval: Callable[[Any, float, int], Any] | None = None,
    channels_last: bool = False,
    reseed: Callable[[int], None] | None = None,
) -> Implementation:
    """Wrap ``fn(tensor, drop_prob, block_size) -> tensor`` (training mode).

    Randomness comes from torch's global generator, reseeded per check. The
    gradient is taken with autograd.

    Parameters
    ----------
    fn : callable
        ``fn(tensor, drop_prob, block_size) -> tensor`` in training mode.
    fn_eval : callable, optional
        The same in inference mode.
    channels_last : bool, default False
        Whether the arrays have their channels last.
    reseed : callable, optional
        ``reseed(seed)`` seeding ``fn``'s randomness (default: the global
        generators, torch's included).

    Returns
    -------
    Implementation
        NumPy in and out (bfloat16 as ``ml_dtypes.bfloat16``), with a
        gradient function.

    Raises
    ------
    TypeError
        From the gradient function, when ``fn``'s output does not depend on
        its input through autograd (the validator reports a failed check).

    Examples
    --------
    >>> import torch, dropblock_core as db
    >>> impl = wrap_torch(lambda t, p, b: torch.nn.functional.dropout(t, p))
    >>> impl(np.ones((1, 2, 4, 4), np.float32), 0.5, 1).shape
    (1, 2, 4, 4)
    """

    def grad(
        x: np.ndarray, drop_prob: float, block_size: int, cotangent: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        t = _to_torch(np.array(x, copy=True)).requires_grad_(True)
        y = fn(t, drop_prob, block_size)
        if not getattr(y, "requires_grad", False):
            raise TypeError("the output does not depend on the input through autograd")
        y.backward(_to_torch(cotangent).to(y.dtype))
        return _from_torch(y), _from_torch(t.grad)

    return _TORCH.implementation(fn, fn_eval, grad, channels_last=channels_last, reseed=reseed)


def wrap_torch_module(
    factory: Callable[[float, int], Any], *, channels_last: bool = False
) -> Implementation:
    """Wrap a module factory ``factory(drop_prob, block_size) -> nn.Module``:
    called in ``train()`` mode, and in ``eval()`` mode for inference.

    Parameters
    ----------
    factory : callable
        ``factory(drop_prob, block_size) -> torch.nn.Module``; a module is
        built once per pair of arguments and rebuilt after every reseed.
    channels_last : bool, default False
        Whether the arrays have their channels last.

    Returns
    -------
    Implementation
        NumPy in and out, with eval and gradient functions.

    Examples
    --------
    >>> import torch
    >>> impl = wrap_torch_module(lambda p, b: torch.nn.Dropout(p))
    >>> bool(np.all(impl.eval(np.ones((1, 1, 3), np.float32), 0.5, 1) == 1))
    True
    """
    module, reseed = _built_once(factory)
    return wrap_torch(
        lambda t, p, b: module(p, b).train(True)(t),
        fn_eval=lambda t, p, b: module(p, b).train(False)(t),
        channels_last=channels_last,
        reseed=reseed,
    )


# -- TensorFlow / Keras -----------------------------------------------------------------


def _to_tf(x: np.ndarray) -> Any:
    import tensorflow as tf

    return tf.constant(x)


def _from_tf(t: Any) -> np.ndarray:
    return np.array(t.numpy(), copy=True)


_TF = _Bridge(_to_tf, _from_tf)


def wrap_tf(
    fn: Callable[[Any, float, int], Any],
    *,
    fn_eval: Callable[[Any, float, int], Any] | None = None,
    channels_last: bool = False,
    reseed: Callable[[int], None] | None = None,
) -> Implementation:
    """Wrap ``fn(tensor, drop_prob, block_size) -> tensor`` for TensorFlow
    (eager); the gradient comes from ``tf.GradientTape``. Keras layers run
    on the TensorFlow backend through :func:`wrap_keras_layer`.

    Parameters
    ----------
    fn, fn_eval, channels_last, reseed
        As for :func:`wrap_torch`, with TensorFlow tensors (``reseed``'s
        default seeds TensorFlow's global generator among the others).

    Returns
    -------
    Implementation
        NumPy in and out, with a gradient function.

    Raises
    ------
    TypeError
        From the gradient function, when ``fn``'s output does not depend on
        its input through ``GradientTape``.

    Examples
    --------
    >>> import tensorflow as tf
    >>> impl = wrap_tf(lambda t, p, b: tf.nn.dropout(t, p), channels_last=True)
    >>> impl(np.ones((1, 4, 4, 2), np.float32), 0.5, 1).shape
    (1, 4, 4, 2)
    """

    def grad(
        x: np.ndarray, drop_prob: float, block_size: int, cotangent: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        import tensorflow as tf

        t = _to_tf(x)
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = fn(t, drop_prob, block_size)
        gx = tape.gradient(y, t, output_gradients=tf.constant(cotangent, dtype=y.dtype))
        if gx is None:
            raise TypeError("the output does not depend on the input through GradientTape")
        return _from_tf(y), _from_tf(gx)

    return _TF.implementation(fn, fn_eval, grad, channels_last=channels_last, reseed=reseed)


def wrap_keras_layer(
    factory: Callable[[float, int], Any], *, channels_last: bool = True
) -> Implementation:
    """Wrap a Keras layer factory ``factory(drop_prob, block_size) -> Layer``,
    called with ``training=True`` (``False`` for inference) on the active Keras
    backend (TensorFlow, JAX or PyTorch; the gradient comes from that
    framework). Layers are rebuilt after every reseed, so their seed
    generators restart from the reseeded global state.

    Parameters
    ----------
    factory, channels_last
        As for :func:`wrap_torch_module`, with a ``keras.layers.Layer``;
        ``channels_last`` defaults to True (Keras' own default layout).

    Returns
    -------
    Implementation
        As :func:`wrap_torch_module`'s, on the active Keras backend.

    Examples
    --------
    >>> import keras
    >>> impl = wrap_keras_layer(lambda p, b: keras.layers.Dropout(p))
    >>> impl.eval(np.ones((1, 3, 3, 1), np.float32), 0.5, 1).sum()
    np.float32(9.0)
    """
    import keras

    layer, reseed = _built_once(factory)

    def train(t: Any, p: float, b: int, *key: Any) -> Any:
        return layer(p, b)(t, training=True)

    def evaluate(t: Any, p: float, b: int) -> Any:
        return layer(p, b)(t, training=False)

    backend = keras.backend.backend()
    if backend == "jax":
        impl = wrap_jax(train, fn_eval=evaluate, channels_last=channels_last)
        impl.reseed = reseed
        return impl
    wrap = wrap_torch if backend == "torch" else wrap_tf
    return wrap(train, fn_eval=evaluate, channels_last=channels_last, reseed=reseed)


# -- JAX --------------------------------------------------------------------------------


def _to_jax(x: np.ndarray) -> Any:
    import jax
    import jax.numpy as jnp

    if x.dtype == np.float64 and not jax.enable_x64.value:
        raise TypeError("float64 needs jax_enable_x64 (JAX would compute in float32)")
    return jnp.asarray(x)


_JAX = _Bridge(_to_jax, np.array)


def wrap_jax(
    fn: Callable[[Any, float, int, Any], Any],
    *,
    fn_eval: Callable[[Any, float, int], Any] | None = None,
    seed: int = 0,
    channels_last: bool = False,
) -> Implementation:
    """Wrap ``fn(x, drop_prob, block_size, key) -> y`` for JAX: each call gets
    a fresh key folded from ``seed`` and a counter (reset by reseeding); the
    gradient is ``jax.vjp`` with the same key as the forward pass.

    Parameters
    ----------
    fn : callable
        ``fn(x, drop_prob, block_size, key) -> y`` in training mode.
    fn_eval : callable, optional
        ``fn_eval(x, drop_prob, block_size) -> y`` in inference mode.
    seed : int, default 0
        Seeds the keys until the validator reseeds.
    channels_last : bool, default False
        Whether the arrays have their channels last.

    Returns
    -------
    Implementation
        NumPy in and out, with a gradient function.

    Examples
    --------
    >>> import jax
    >>> def dropout(x, p, b, key):
    ...     return x * jax.random.bernoulli(key, 1 - p, x.shape) / (1 - p)
    >>> impl = wrap_jax(dropout)
    >>> impl(np.ones((1, 2, 4, 4), np.float32), 0.5, 1).shape
    (1, 2, 4, 4)
    """
    state = {"seed": seed, "count": 0}

    def next_key() -> Any:
        import jax

        state["count"] += 1
        return jax.random.fold_in(jax.random.key(state["seed"]), state["count"])

    def grad(
        x: np.ndarray, drop_prob: float, block_size: int, cotangent: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        import jax

        key = next_key()
        y, vjp = jax.vjp(lambda t: fn(t, drop_prob, block_size, key), _to_jax(x))
        (gx,) = vjp(_to_jax(cotangent).astype(y.dtype))
        return np.array(y), np.array(gx)

    def reseed(value: int) -> None:
        state["seed"], state["count"] = value, 0
        seed_global_rngs(value)

    with_key: Framework = lambda t, p, b: fn(t, p, b, next_key())  # noqa: E731
    return _JAX.implementation(with_key, fn_eval, grad, channels_last=channels_last, reseed=reseed)
