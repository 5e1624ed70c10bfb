"""What differs between Keras backends, in one place.

* The array namespace the core computes with: ``jax.numpy`` on JAX,
  array-api-compat's torch namespace on PyTorch and the core's small TensorFlow
  namespace on TensorFlow (``dropblock_core._namespace.array_namespace``).
* Whether a call may use the NumPy core on the host: an eager CPU tensor whose
  ``drop_prob``, seed, step and replica can all be read without leaving a
  graph. That path is sparse and fast; its mask is imported without copying
  (DLPack). Everything else (``tf.function``/XLA, ``jax.jit``, ``torch.compile``,
  accelerators) builds the mask in the graph with the backend's own ops.
* The replica id of data-parallel training: ``tf.distribute``'s replica id on
  TensorFlow, 0 elsewhere (JAX shards one global batch, whose mask already
  differs from shard to shard).
"""

from __future__ import annotations

import numbers
import sys
from types import ModuleType
from typing import Any, cast

import keras
import numpy as np

from dropblock_core._namespace import array_namespace

__all__ = [
    "apply",
    "host_number",
    "import_mask",
    "is_eager_cpu",
    "is_torch_compiling",
    "name",
    "namespace",
    "raw",
    "replica_id",
    "run_eagerly",
]


def name() -> str:
    """The active Keras backend: ``"tensorflow"``, ``"jax"`` or ``"torch"``."""
    backend: str = keras.backend.backend()
    if backend not in ("tensorflow", "jax", "torch"):
        raise RuntimeError(
            f"dropblock_keras supports the tensorflow, jax and torch Keras backends, "
            f"got {backend!r}"
        )
    return backend


def namespace(x: Any) -> ModuleType:
    """The array-API namespace of a backend tensor."""
    return array_namespace(x)


def raw(value: Any) -> Any:
    """A Keras variable's current value (a tensor, or a tracer in a compiled
    step); anything else unchanged."""
    return value.value if isinstance(value, keras.Variable) else value


def is_eager_cpu(x: Any) -> bool:
    """Whether ``x`` is a concrete CPU tensor outside any graph or trace."""
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        return (
            tf.executing_eagerly()
            and isinstance(x, tf.Tensor)
            and hasattr(x, "numpy")
            and "GPU" not in x.device
            and "TPU" not in x.device
        )
    if backend == "jax":
        import jax

        if isinstance(x, jax.core.Tracer) or not isinstance(x, jax.Array):
            return False
        devices = x.devices()
        return len(devices) == 1 and next(iter(devices)).platform == "cpu"
    import torch

    return (
        isinstance(x, torch.Tensor)
        and x.device.type == "cpu"
        and not torch.compiler.is_compiling()
        and type(x) is torch.Tensor  # not a fake or functional tensor
    )


def is_torch_compiling() -> bool:
    """Whether this call is being traced by ``torch.compile`` (Keras' ``jit_compile``
    on the PyTorch backend)."""
    torch = sys.modules.get("torch")
    return name() == "torch" and torch is not None and torch.compiler.is_compiling()


def run_eagerly(fn: Any) -> Any:
    """``fn`` excluded from ``torch.compile`` tracing: it runs eagerly on real tensors."""
    import torch

    return torch.compiler.disable(fn, recursive=True)


def host_number(value: Any) -> float | int | None:
    """``value`` as a Python number when it can be read without leaving a
    graph (a number, an eager 0-d tensor), else ``None``."""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return cast("float | int", value)  # a Python number or a NumPy scalar
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        if not (tf.executing_eagerly() and hasattr(value, "numpy")):
            return None
    elif backend == "jax":
        import jax

        if isinstance(value, jax.core.Tracer):
            return None
    else:
        import torch

        if torch.compiler.is_compiling() or type(value) is not torch.Tensor:
            return None
    number = np.asarray(value)
    if number.shape != () or number.dtype.kind not in "iuf":
        return None  # not a number: the core's checks name the argument
    return float(number) if number.dtype.kind == "f" else int(number)


def import_mask(mask: np.ndarray) -> Any:
    """A NumPy mask as a backend tensor, without copying (DLPack)."""
    backend = name()
    if backend == "tensorflow":
        from ._tensorflow import import_numpy

        return import_numpy(mask)
    if backend == "jax":
        import jax.numpy as jnp

        return jnp.from_dlpack(mask)
    from torch.utils.dlpack import from_dlpack

    return from_dlpack(mask)


def apply(x: Any, mask: Any, drop: Any, normalize: str, numpy_mask: Any = None) -> Any:
    """``x * mask * scale`` in ``x``'s dtype (the core's rescale). On TensorFlow
    a ``numpy_mask`` (the host's copy of ``mask``) is counted on the host."""
    if name() == "tensorflow":
        from dropblock_core.apply import keep_scale

        from ._tensorflow import apply_keep_mask

        scale = None
        if numpy_mask is not None:
            scale = keep_scale(numpy_mask, drop, normalize, np.float64, xp=np)
        return apply_keep_mask(x, mask, drop, normalize, scale)
    from dropblock_core.apply import apply_mask

    return apply_mask(x, mask, drop, normalize, xp=namespace(x))


def replica_id() -> Any:
    """The data-parallel replica this call runs on: ``tf.distribute``'s replica
    id on TensorFlow (a tensor inside ``strategy.run``), 0 elsewhere."""
    if name() != "tensorflow" or "tensorflow" not in sys.modules:
        return 0
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    return 0 if context is None else context.replica_id_in_sync_group
