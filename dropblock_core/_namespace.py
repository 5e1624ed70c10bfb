"""Array-namespace detection: the only module that imports array-api-compat.

Detection never imports a deep-learning framework: array-api-compat looks classes
up in ``sys.modules``, so a framework that was not imported cannot be "detected".
TensorFlow has no array-API namespace; its tensors get the small one in
:mod:`dropblock_core._namespace_tf`, imported only when such a tensor arrives.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import array_api_compat
import numpy as np
from array_api_compat import (
    is_array_api_obj,
    is_cupy_namespace,
    is_jax_namespace,
    is_numpy_namespace,
    is_torch_namespace,
)

__all__ = [
    "array_namespace",
    "default_namespace",
    "device",
    "is_array_api_obj",
    "is_cupy_namespace",
    "is_jax_namespace",
    "is_lazy_array",
    "is_numpy_namespace",
    "is_tensorflow_array",
    "is_tensorflow_namespace",
    "is_torch_namespace",
    "resolve_namespace",
    "wide_float_dtype",
    "word_dtype",
]


def is_tensorflow_array(x: Any) -> bool:
    """Whether ``x`` is a TensorFlow tensor or variable (without importing TensorFlow)."""
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(x, (tf.Tensor, tf.Variable))


def is_tensorflow_namespace(xp: ModuleType) -> bool:
    """Whether ``xp`` is the core's TensorFlow namespace (:mod:`._namespace_tf`)."""
    return getattr(xp, "__name__", None) == "dropblock_core._namespace_tf"


def array_namespace(*xs: Any) -> ModuleType:
    """The array-API namespace of ``xs``: array-api-compat's, or
    :mod:`dropblock_core._namespace_tf` for TensorFlow tensors."""
    if any(is_tensorflow_array(x) for x in xs):
        from . import _namespace_tf

        return _namespace_tf
    return array_api_compat.array_namespace(*xs)


def device(x: Any) -> Any:
    """The device of ``x`` (a TensorFlow tensor's device string)."""
    if is_tensorflow_array(x):
        return x.device
    return array_api_compat.device(x)


def is_lazy_array(x: Any) -> bool:
    """Whether ``x``'s values cannot be read without leaving a graph: a JAX
    tracer, a TensorFlow graph tensor, ..."""
    if is_tensorflow_array(x):
        return not sys.modules["tensorflow"].executing_eagerly()  # in tf.function or XLA
    return array_api_compat.is_lazy_array(x)


def default_namespace() -> ModuleType:
    """The embedded default: NumPy, through its array-API compatible wrapper."""
    return array_api_compat.array_namespace(np.empty(0))


def resolve_namespace(xp: Any) -> ModuleType:
    """Normalise ``xp`` (``None``, a raw module such as ``numpy`` or ``torch``,
    or an array-API namespace) to the array-API namespace to compute with."""
    if xp is None:
        return default_namespace()
    if not isinstance(xp, ModuleType):
        raise TypeError(f"xp must be an array namespace module or None, got {xp!r}")
    if hasattr(xp, "__array_api_version__") and not (
        is_numpy_namespace(xp) or is_torch_namespace(xp) or is_cupy_namespace(xp)
    ):
        return xp  # already a standard namespace (array_api_strict, jax.numpy, ...)
    try:
        probe = xp.empty((0,))
    except Exception as exc:  # pragma: no cover - depends on exotic modules
        raise TypeError(f"xp={xp.__name__!r} is not an array namespace: {exc}") from exc
    return array_namespace(probe)


def word_dtype(xp: ModuleType) -> Any:
    """The integer dtype that holds the generator's 32-bit words on ``xp``.

    ``uint32`` everywhere except torch, whose unsigned 32-bit type lacks most
    operations; there the words live in ``int64`` and are masked to 32 bits.
    """
    return xp.int64 if is_torch_namespace(xp) else xp.uint32


def wide_float_dtype(xp: ModuleType) -> Any:
    """The widest real floating dtype ``xp`` computes in: ``float64``, or JAX's
    default (``float32`` unless 64-bit types are enabled)."""
    if is_jax_namespace(xp):
        return xp.__array_namespace_info__().default_dtypes()["real floating"]
    return xp.float64
