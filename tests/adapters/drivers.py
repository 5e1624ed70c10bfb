"""Each DropBlock layer adapter described once, for the contract (tests/adapters/test_contract.py).

A :class:`Driver` knows how to build its framework's 2-D layer, call it in
training and inference mode, read its gradient and its state, and move arrays
between NumPy and the framework. The contract's behaviours are written once,
against this interface; a driver's :attr:`~Driver.features` say which of them
apply (a frozen Linen or Equinox module has no settable ``drop_prob``).

Every driver's masks are the core's: a layer with ``seed=n`` draws
``dropblock_core.sample_mask(seed=layer_seed(n, layer_id), step=layer.step)``;
a key-based module called with ``jax.random.key(n)`` draws those of ``seed=n``
at step 0 (``dropblock_jax.keys``). :meth:`Driver.core_kwargs` gives the
counters for the core's reference, so a test compares bit for bit.

Frameworks are imported inside the methods: describing an adapter imports nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

__all__ = [
    "DRIVERS",
    "Driver",
    "EquinoxDriver",
    "Handle",
    "KerasDriver",
    "LinenDriver",
    "NnxDriver",
    "TorchDriver",
]

#: What a driver's layer may support beyond the behaviours every adapter has.
FEATURES = {
    "settable": "a DropBlockLayer: settable drop_prob, step and layer_id, read-only options",
    "replica": "a replica argument that changes the mask",
    "share_batch": "the share_batch option",
    "describe_repr": "the repr shows describe()'s text",
}


@dataclasses.dataclass
class Handle:
    """A built layer and the seed its masks come from (a key's number, for key-based modules)."""

    layer: Any
    seed: int


class Driver:
    """How the contract drives one adapter's 2-D layer (override per framework)."""

    name: ClassVar[str]
    #: ``(batch, h, w, channels)`` (True) or ``(batch, channels, h, w)``.
    channels_last: ClassVar[bool]
    #: False: the layer takes one unbatched sample (Equinox); the core sees ``x[None]``.
    batched: ClassVar[bool] = True
    #: NumPy float dtypes the framework has (by default, without JAX's 64-bit mode).
    dtypes: ClassVar[tuple[str, ...]] = ("float16", "float32", "float64")
    features: ClassVar[frozenset[str]] = frozenset()

    def shape(self, n: int, c: int, h: int, w: int) -> tuple[int, ...]:
        """The input shape of ``n`` maps of ``c`` channels, ``h`` by ``w``, in this layout."""
        if not self.batched:
            n = 1
        shape = (n, h, w, c) if self.channels_last else (n, c, h, w)
        return shape if self.batched else shape[1:]

    def core_view(self, x: np.ndarray) -> np.ndarray:
        """``x`` as the core sees it (batched)."""
        return x if self.batched else x[None]

    def from_core(self, y: np.ndarray) -> np.ndarray:
        return y if self.batched else y[0]

    def build(self, drop_prob: Any, block_size: Any, *, seed: int = 0, **options: Any) -> Handle:
        """A layer in training mode."""
        raise NotImplementedError

    def native(self, x: np.ndarray) -> Any:
        """A framework array holding a copy of ``x``."""
        raise NotImplementedError

    def numpy(self, y: Any) -> np.ndarray:
        raise NotImplementedError

    def call(self, handle: Handle, x: Any) -> Any:
        """One training call on a framework array."""
        raise NotImplementedError

    def infer(self, handle: Handle, x: Any) -> Any:
        """One inference (eval / deterministic) call on a framework array."""
        raise NotImplementedError

    def gradient(self, handle: Handle, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        """``d sum(layer(x) * cotangent) / dx`` in training mode."""
        raise NotImplementedError

    def state(self, handle: Handle) -> dict[str, Any]:
        """Everything a call could change, as plain values and NumPy arrays (settable
        layers; a frozen Linen or Equinox module cannot change)."""
        raise NotImplementedError

    def core_kwargs(self, handle: Handle) -> dict[str, Any]:
        """The core's counters for the layer's next training call."""
        layer = handle.layer
        if "settable" in self.features:
            return {"seed": layer.mask_seed, "step": layer.step}
        return {"seed": handle.seed, "step": 0}

    def train(self, handle: Handle, x: np.ndarray) -> np.ndarray:
        """One training call on a NumPy input, back as NumPy."""
        return self.numpy(self.call(handle, self.native(x)))

    def __repr__(self) -> str:
        return self.name


def _eval_call(layer: Any, x: Any) -> Any:
    """One call in eval mode (``layer.eval()``), the layer back in training mode after."""
    layer.eval()
    try:
        return layer(x)
    finally:
        layer.train()


def _layer_state(layer: Any) -> dict[str, Any]:
    return {"drop_prob": layer.drop_prob, "step": layer.step, "layer_id": layer.layer_id}


class TorchDriver(Driver):
    """``dropblock_torch.DropBlock2d``: an ``nn.Module``, ``(N, C, H, W)``, buffers for state."""

    name = "torch"
    channels_last = False
    features = frozenset({"settable", "replica", "share_batch", "describe_repr"})

    def build(self, drop_prob: Any, block_size: Any, *, seed: int = 0, **options: Any) -> Handle:
        from dropblock_torch import DropBlock2d

        return Handle(DropBlock2d(drop_prob, block_size, seed=seed, **options).train(), seed)

    def native(self, x: np.ndarray) -> Any:
        import torch

        return torch.from_numpy(x.copy())

    def numpy(self, y: Any) -> np.ndarray:
        return y.detach().numpy()

    def call(self, handle: Handle, x: Any) -> Any:
        return handle.layer(x)

    def infer(self, handle: Handle, x: Any) -> Any:
        return _eval_call(handle.layer, x)

    def gradient(self, handle: Handle, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        import torch

        t = self.native(x).requires_grad_()
        (grad,) = torch.autograd.grad(handle.layer(t), t, torch.from_numpy(cotangent))
        return grad.numpy()

    def state(self, handle: Handle) -> dict[str, Any]:
        layer = handle.layer
        buffers = {name: b.clone().numpy() for name, b in layer.named_buffers()}
        return {**_layer_state(layer), "training": layer.training, **buffers}

    def core_kwargs(self, handle: Handle) -> dict[str, Any]:
        # replica=None (the default): torch.distributed's rank, 0 outside a process group
        return {**super().core_kwargs(handle), "replica": handle.layer.current_replica()}


class _JaxDriver(Driver):
    """What the three JAX module drivers share: arrays, and the gradient through ``jax.grad``."""

    dtypes = ("float16", "float32")  # float64 needs jax_enable_x64 (tests/core/x64.py)

    def native(self, x: np.ndarray) -> Any:
        import jax.numpy as jnp

        return jnp.asarray(x.copy())

    def numpy(self, y: Any) -> np.ndarray:
        return np.asarray(y)

    def gradient(self, handle: Handle, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        import jax

        return np.asarray(
            jax.grad(lambda t: (self.call(handle, t) * cotangent).sum())(self.native(x))
        )


class NnxDriver(_JaxDriver):
    """``dropblock_jax.nnx.DropBlock`` with ``seed=``: counter masks at its ``step`` (NNX state)."""

    name = "nnx"
    channels_last = True
    features = frozenset({"settable", "share_batch"})

    def build(self, drop_prob: Any, block_size: Any, *, seed: int = 0, **options: Any) -> Handle:
        from dropblock_jax.nnx import DropBlock

        return Handle(DropBlock(drop_prob, block_size, seed=seed, **options), seed)

    def call(self, handle: Handle, x: Any) -> Any:
        return handle.layer(x)

    def infer(self, handle: Handle, x: Any) -> Any:
        return _eval_call(handle.layer, x)

    def state(self, handle: Handle) -> dict[str, Any]:
        import jax
        from flax import nnx

        leaves = jax.tree_util.tree_leaves_with_path(nnx.state(handle.layer))
        variables = {jax.tree_util.keystr(path): np.asarray(leaf) for path, leaf in leaves}
        return {**_layer_state(handle.layer), **variables}


class LinenDriver(_JaxDriver):
    """``dropblock_jax.linen.DropBlock``: a frozen Linen module; the key comes with ``apply``."""

    name = "linen"
    channels_last = True
    features = frozenset({"share_batch"})

    def build(self, drop_prob: Any, block_size: Any, *, seed: int = 0, **options: Any) -> Handle:
        from dropblock_jax.linen import DropBlock

        return Handle(DropBlock(drop_prob, block_size, **options), seed)

    def call(self, handle: Handle, x: Any) -> Any:
        import jax

        return handle.layer.apply({}, x, deterministic=False, rng=jax.random.key(handle.seed))

    def infer(self, handle: Handle, x: Any) -> Any:
        return handle.layer.apply({}, x, deterministic=True)


class EquinoxDriver(_JaxDriver):
    """``dropblock_jax.equinox.DropBlock``: one unbatched ``(C, H, W)`` sample and a key."""

    name = "equinox"
    channels_last = False
    batched = False

    def build(self, drop_prob: Any, block_size: Any, *, seed: int = 0, **options: Any) -> Handle:
        from dropblock_jax.equinox import DropBlock

        return Handle(DropBlock(drop_prob, block_size, **options), seed)

    def call(self, handle: Handle, x: Any) -> Any:
        import jax

        return handle.layer(x, key=jax.random.key(handle.seed))

    def infer(self, handle: Handle, x: Any) -> Any:
        return handle.layer(x, inference=True)


class KerasDriver(Driver):
    """``dropblock_keras.DropBlock2D`` on the process's Keras backend, ``(N, H, W, C)``.

    ``auto_step`` is off, as ``LinearScheduler`` sets it: the step is driven from
    outside, so a call changes no state (the default, a call adding 1 to ``step``,
    is tested in tests/adapters/keras_backend/test_layers.py).
    """

    name = "keras"
    channels_last = True
    features = frozenset({"settable", "replica", "share_batch", "describe_repr"})

    @property
    def dtypes(self) -> tuple[str, ...]:  # type: ignore[override]
        import keras

        if keras.backend.backend() == "jax":
            import jax

            if not jax.config.jax_enable_x64:
                return ("float16", "float32")
        return ("float16", "float32", "float64")

    def build(self, drop_prob: Any, block_size: Any, *, seed: int = 0, **options: Any) -> Handle:
        from dropblock_keras import DropBlock2D

        layer = DropBlock2D(
            drop_prob, block_size, seed=seed, data_format="channels_last", **options
        )
        layer.auto_step = False
        return Handle(layer, seed)

    def native(self, x: np.ndarray) -> Any:
        import keras

        return keras.ops.convert_to_tensor(x.copy())

    def numpy(self, y: Any) -> np.ndarray:
        import keras

        return keras.ops.convert_to_numpy(y)

    def call(self, handle: Handle, x: Any) -> Any:
        return handle.layer(x, training=True)

    def infer(self, handle: Handle, x: Any) -> Any:
        return handle.layer(x, training=False)

    def gradient(self, handle: Handle, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        from tests.adapters.keras_backend.support import gradient

        return gradient(handle.layer, x, cotangent)

    def state(self, handle: Handle) -> dict[str, Any]:
        import keras

        variables = {v.path: keras.ops.convert_to_numpy(v.value) for v in handle.layer.variables}
        return {**_layer_state(handle.layer), **variables}

    def core_kwargs(self, handle: Handle) -> dict[str, Any]:
        return {**super().core_kwargs(handle), "replica": handle.layer.replica}


#: The drivers by name; the main test process runs all but Keras, which runs
#: once per Keras backend in its own process (tests/adapters/keras_backend).
DRIVERS: dict[str, Callable[[], Driver]] = {
    "torch": TorchDriver,
    "nnx": NnxDriver,
    "linen": LinenDriver,
    "equinox": EquinoxDriver,
    "keras": KerasDriver,
}
