"""Built-in targets: the reference in each of its modes and the third-party
implementations, each with the spec its documentation claims.

Third-party claims: every library below cites the DropBlock paper and
documents nothing contrary, so each claims the paper's convention (paper
gamma, blocks inside the map, a mask per channel, global rescale) except
where its docs say otherwise: timm documents ``couple_channels=True`` ("all
channels share the same drop mask"), so that variant claims shared masks.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import inspect
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ..apply import dropblock
from .implementation import Implementation, seed_global_rngs
from .spec import SPECS, Spec
from .wrappers import wrap_jax, wrap_keras_layer, wrap_torch, wrap_torch_module

__all__ = ["TARGETS", "Target", "available", "reference"]


@dataclasses.dataclass(frozen=True)
class Target:
    """An implementation to validate: its name, the spec it claims, how to
    build it and the modules it needs. ``third_party``: not this project's
    (``--reference-only`` leaves it out; a user's ``--target`` is one too);
    ``source``: where its claim comes from (the report's note); ``budget``: a
    smaller named budget for slow targets (``""``: the run's)."""

    name: str
    claims: Spec
    build: Callable[[], Implementation]
    requires: tuple[str, ...] = ()
    ndim: int = 2
    third_party: bool = True
    source: str = ""
    budget: str = ""

    def missing(self) -> list[str]:
        """Required modules that are not installed."""
        return [m for m in self.requires if importlib.util.find_spec(m) is None]


@dataclasses.dataclass
class _Row:
    """A built-in target, recorded when its decorator line (``@_ours(...)``,
    ``@_theirs(...)``) is read; its factory is filled in when the decorator
    is applied."""

    fields: dict[str, Any]
    options: dict[str, Any]
    factory: Callable[..., Implementation] | None = None

    def target(self) -> Target:
        assert self.factory is not None, f"@_target({self.fields['name']!r}) never applied"
        fields = dict(self.fields)
        if fields["source"] is None:  # the factory's docstring says it
            fields["source"] = " ".join(
                (inspect.getdoc(self.factory) or "").split("\n\n")[0].split()
            )
        return Target(build=functools.partial(self.factory, **self.options), **fields)


_ROWS: list[_Row] = []
_Register = Callable[[Callable[..., Implementation]], Callable[..., Implementation]]


def _target(
    name: str,
    claims: Spec,
    *,
    requires: tuple[str, ...] = (),
    ndim: int = 2,
    third_party: bool,
    source: str | None = None,
    budget: str = "",
    **options: Any,
) -> _Register:
    """Add the decorated factory, called with ``options``, to the built-in
    targets as :class:`Target` ``name`` (the other arguments are its fields;
    ``source=None``: the first paragraph of the factory's docstring).
    Targets keep the order their decorator lines are written in, stacked
    ones too: Python evaluates stacked decorator lines top to bottom (recording the
    row here) before applying them bottom-up (filling in the factory)."""
    fields = dict(
        name=name,
        claims=claims,
        requires=requires,
        ndim=ndim,
        third_party=third_party,
        source=source,
        budget=budget,
    )
    row = _Row(fields, options)
    _ROWS.append(row)

    def register(factory: Callable[..., Implementation]) -> Callable[..., Implementation]:
        row.factory = factory
        return factory

    return register


class _Stream:
    """The reference's seed stream under test: a fixed seed and a step counting
    calls, restarted by reseeding (which also seeds the global generators)."""

    def __init__(self) -> None:
        self.seed, self.step = 0, 0

    def advance(self) -> int:
        """The next call's step."""
        self.step += 1
        return self.step

    def reseed(self, seed: int) -> None:
        self.seed, self.step = seed, 0
        seed_global_rngs(seed)


_PAPER = SPECS["paper"]
_EXACT = SPECS["exact"]
_KERAS_BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
_KERAS_SOURCE = "This project's Keras 3 layer, defaults, on the installed Keras backend."


def _ours(name: str, claims: Spec = _EXACT, **fields: Any) -> _Register:
    """:func:`_target` for this project's implementations, which claim the
    exact spec unless told otherwise."""
    return _target(name, claims, third_party=False, **fields)


def _theirs(name: str, claims: Spec = _PAPER, **fields: Any) -> _Register:
    """:func:`_target` for a third-party implementation: the paper's spec
    unless its documentation says otherwise (see the module docstring)."""
    return _target(name, claims, third_party=True, **fields)


@_ours("dropblock_core paper", _PAPER, gamma="paper", source="")
@_ours("dropblock_core exact", source="")
@_ours(
    "dropblock_core full region",
    dataclasses.replace(_PAPER, name="paper+full", seed_region="full"),
    source="",
    gamma="paper",
    seed_region="full",
)
@_ours(
    "dropblock_core shared channels, per-sample rescale, channels-last",
    dataclasses.replace(
        _EXACT, name="exact+shared+per_sample", share_channels=True, normalize="per_sample"
    ),
    source="",
    share_channels=True,
    normalize="per_sample",
    channels_last=True,
)
@_ours(
    "dropblock_core shared batch, expected rescale, 3-D",
    dataclasses.replace(
        _EXACT, name="exact+shared batch+expected", share_batch=True, normalize="expected"
    ),
    ndim=3,
    source="",
    share_batch=True,
    normalize="expected",
)
def reference(**options: Any) -> Implementation:
    """:func:`dropblock_core.dropblock` with ``options`` as an implementation:
    Threefry stream, seed fixed, step counting calls (reset by reseeding).

    >>> impl = reference(gamma="paper")
    >>> impl.reseed(0); a = impl(np.ones((1, 1, 8, 8), np.float32), 0.3, 3)
    >>> impl.reseed(0); bool(np.all(a == impl(np.ones((1, 1, 8, 8), np.float32), 0.3, 3)))
    True
    """
    stream = _Stream()

    def forward(x: np.ndarray, drop_prob: float, block_size: int) -> np.ndarray:
        step = stream.advance()
        out: np.ndarray = dropblock(
            x, drop_prob, block_size, seed=stream.seed, step=step, **options
        )
        return out

    def evaluate(x: np.ndarray, drop_prob: float, block_size: int) -> np.ndarray:
        out: np.ndarray = dropblock(x, drop_prob, block_size, training=False, **options)
        return out

    last = bool(options.get("channels_last", False))
    return Implementation(forward, eval=evaluate, reseed=stream.reseed, channels_last=last)


@_ours("dropblock_core on torch", requires=("torch", "array_api_compat"), budget="quick")
def _reference_torch() -> Implementation:
    """The core's dense array-API path (quick budget: it is slower than NumPy's).

    The reference computing on torch tensors, with autograd."""
    import array_api_compat.torch  # noqa: F401  (the torch namespace the core uses)

    stream = _Stream()
    return wrap_torch(
        lambda t, p, b: dropblock(t, p, b, seed=stream.seed, step=stream.advance()),
        fn_eval=lambda t, p, b: dropblock(t, p, b, training=False),
        reseed=stream.reseed,
    )


@_ours("dropblock_torch DropBlock2d", requires=("torch", "dropblock_torch"))
def _dropblock_torch_layer() -> Implementation:
    """This project's PyTorch layer, defaults (exact gamma, seeds from torch).

    ``dropblock_torch.DropBlock2d``: masks from torch's generator."""
    from dropblock_torch import DropBlock2d

    return wrap_torch_module(lambda p, b: DropBlock2d(p, b))


@_ours("dropblock_torch dropblock", requires=("torch", "dropblock_torch"))
def _dropblock_torch_function() -> Implementation:
    """This project's PyTorch function, defaults (exact gamma, seeds from torch).

    ``dropblock_torch.dropblock``: masks from torch's generator."""
    from dropblock_torch import dropblock as torch_dropblock

    return wrap_torch(
        lambda t, p, b: torch_dropblock(t, p, b),
        fn_eval=lambda t, p, b: torch_dropblock(t, p, b, training=False),
    )


@_ours("dropblock_jax dropblock (jit)", requires=("jax",), budget="quick")
def _jax_function() -> Implementation:
    """The JAX function under jax.jit, a key per call (the core's dense path).

    ``dropblock_jax.dropblock``: drop_prob and block static, the key traced."""
    import jax
    from dropblock_jax import dropblock as jax_dropblock

    run = jax.jit(lambda x, p, b, key: jax_dropblock(x, p, b, seed=key), static_argnums=(1, 2))
    return wrap_jax(
        lambda x, p, b, key: run(x, p, b, key),
        fn_eval=lambda x, p, b: jax_dropblock(x, p, b, seed=0, training=False),
    )


def _jax_layers(build: Callable[[float, Any, int], Any]) -> Callable[[Any, float, Any], Any]:
    """One layer per (drop_prob, block_size, spatial rank), built on first use."""
    cache: dict[tuple[Any, ...], Any] = {}

    def layer(x: Any, drop_prob: float, block_size: Any) -> Any:
        key = (drop_prob, block_size, x.ndim - 2)
        if key not in cache:
            cache[key] = build(drop_prob, block_size, x.ndim - 2)
        return cache[key]

    return layer


@_ours("dropblock_jax.nnx DropBlock", requires=("jax", "flax"), budget="quick")
def _jax_nnx() -> Implementation:
    """Flax NNX module, channels-last; drop_prob is a variable (gamma on the device).

    ``dropblock_jax.nnx.DropBlock`` called eagerly with a key."""
    from dropblock_jax.nnx import DropBlock

    layer = _jax_layers(lambda p, b, n: DropBlock(p, b, spatial_dims=n))
    return wrap_jax(
        lambda x, p, b, key: layer(x, p, b)(x, rngs=key),
        fn_eval=lambda x, p, b: layer(x, p, b)(x, deterministic=True),
        channels_last=True,
    )


@_ours("dropblock_jax.linen DropBlock", requires=("jax", "flax"), budget="quick")
def _jax_linen() -> Implementation:
    """Flax Linen module through apply, channels-last.

    ``dropblock_jax.linen.DropBlock``, a key per call."""
    from dropblock_jax.linen import DropBlock

    layer = _jax_layers(lambda p, b, n: DropBlock(p, b, spatial_dims=n))
    return wrap_jax(
        lambda x, p, b, key: layer(x, p, b).apply({}, x, False, key),
        fn_eval=lambda x, p, b: layer(x, p, b).apply({}, x, True),
        channels_last=True,
    )


@_ours(
    "dropblock_jax.equinox DropBlock (vmap)",
    dataclasses.replace(_EXACT, name="exact+per_sample", normalize="per_sample"),
    requires=("jax", "equinox"),
    budget="quick",
)
def _jax_equinox() -> Implementation:
    """Equinox module on one sample, vmapped with a key per sample: per-sample rescale.

    ``dropblock_jax.equinox.DropBlock`` under ``jax.vmap`` over the batch."""
    import jax
    from dropblock_jax.equinox import DropBlock

    layer = _jax_layers(lambda p, b, n: DropBlock(p, b, spatial_dims=n))

    def forward(x: Any, p: float, b: Any, key: Any) -> Any:
        keys = jax.random.split(key, x.shape[0])
        return jax.vmap(lambda xi, ki: layer(x, p, b)(xi, key=ki))(x, keys)

    return wrap_jax(
        forward,
        fn_eval=lambda x, p, b: jax.vmap(lambda xi: layer(x, p, b)(xi, inference=True))(x),
    )


@_theirs(
    "torchvision drop_block2d",
    requires=("torchvision",),
    source="torchvision.ops.drop_block2d docstring: DropBlock2d from the paper",
    op="drop_block2d",
)
@_theirs(
    "torchvision drop_block3d",
    requires=("torchvision",),
    ndim=3,
    source="torchvision.ops.drop_block3d docstring: DropBlock3d from the paper",
    op="drop_block3d",
)
def _torchvision(op: str) -> Implementation:
    """``torchvision.ops.<op>`` (``drop_block2d`` or ``drop_block3d``)."""
    import torchvision.ops

    fn = getattr(torchvision.ops, op)
    return wrap_torch(
        lambda t, p, b: fn(t, p, b, training=True),
        fn_eval=lambda t, p, b: fn(t, p, b, training=False),
    )


@_theirs(
    "timm DropBlock2d (couple_channels=True, default)",
    dataclasses.replace(_PAPER, name="paper+shared channels", share_channels=True),
    requires=("timm",),
    source="timm.layers.DropBlock2d docstring: the paper; couple_channels=True shares the mask",
    couple_channels=True,
)
@_theirs(
    "timm DropBlock2d (couple_channels=False)",
    requires=("timm",),
    source="timm.layers.DropBlock2d docstring: the paper; independent mask per channel",
    couple_channels=False,
)
def _timm(couple_channels: bool) -> Implementation:
    from timm.layers import DropBlock2d

    return wrap_torch_module(lambda p, b: DropBlock2d(p, b, couple_channels=couple_channels))


@_theirs(
    "PyPI dropblock DropBlock2D",
    requires=("dropblock", "torch"),
    source="dropblock.DropBlock2D docstring: as described in the paper",
    layer="DropBlock2D",
)
@_theirs(
    "PyPI dropblock DropBlock3D",
    requires=("dropblock", "torch"),
    ndim=3,
    source="dropblock.DropBlock3D docstring: an extension of the paper to 3-D",
    layer="DropBlock3D",
)
def _pypi_dropblock(layer: str) -> Implementation:
    """The PyPI ``dropblock`` package's ``layer`` (``DropBlock2D``/``3D``)."""
    import dropblock

    cls = getattr(dropblock, layer)
    return wrap_torch_module(lambda p, b: cls(p, b))


@_ours(
    f"dropblock_keras DropBlock2D ({_KERAS_BACKEND})",
    requires=("keras", "dropblock_keras"),
    source=_KERAS_SOURCE,
    layer="DropBlock2D",
)
@_ours(
    f"dropblock_keras DropBlock3D ({_KERAS_BACKEND})",
    requires=("keras", "dropblock_keras"),
    ndim=3,
    source=_KERAS_SOURCE,
    layer="DropBlock3D",
)
def _dropblock_keras_layer(layer: str) -> Implementation:
    """``dropblock_keras.<layer>`` (``DropBlock2D``/``3D``) with its defaults, on
    the installed Keras backend (``KERAS_BACKEND``): masks in the backend's own arrays."""
    import dropblock_keras

    cls = getattr(dropblock_keras, layer)
    return wrap_keras_layer(lambda p, b: cls(p, b, data_format="channels_last"))


@_theirs(
    "keras-cv DropBlock2D",
    requires=("keras_cv", "tensorflow"),
    source="keras_cv.layers.DropBlock2D docstring: the paper (TensorFlow backend)",
)
def _keras_cv() -> Implementation:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras
    from keras_cv.layers import DropBlock2D

    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            f"keras-cv runs on the TensorFlow backend, not {keras.backend.backend()!r}"
        )
    return wrap_keras_layer(lambda p, b: DropBlock2D(p, b), channels_last=True)


TARGETS: tuple[Target, ...] = tuple(row.target() for row in _ROWS)


def available(reference_only: bool = False) -> tuple[list[Target], list[tuple[Target, list[str]]]]:
    """Targets whose modules are installed, and the others with what they miss.

    >>> ready, missing = available(reference_only=True)
    >>> all(not t.third_party for t in ready)
    True
    """
    ready, missing = [], []
    for target in TARGETS:
        if reference_only and target.third_party:
            continue
        absent = target.missing()
        (missing.append((target, absent)) if absent else ready.append(target))
    return ready, missing
