"""DropBlock for Flax NNX: a module that follows ``nnx.Dropout``.

``DropBlock(drop_prob, block_size, *, rngs=..., deterministic=False,
rng_collection="dropout")`` is called as ``layer(x, deterministic=None,
rngs=None)`` on channels-last ``(batch, *spatial, channels)`` input (Flax's
layout). ``model.train()`` / ``model.eval()`` switch it, as they switch
``nnx.Dropout``. Each training call draws a fresh key from its RNG stream, as
``nnx.Dropout`` does, and the mask is the core's mask for that key
(``dropblock_jax.dropblock(..., seed=key)``).

``drop_prob`` and ``step`` are NNX state (:class:`DropBlockState` variables),
so ``nnx.jit`` traces them: a schedule that changes ``drop_prob`` every step
(:class:`LinearScheduler`) compiles once, and gamma is computed in the graph.
The configuration comes from :class:`dropblock_core.layer.DropBlockLayer`.

>>> import jax.numpy as jnp
>>> from flax import nnx
>>> layer = DropBlock(0.1, 3, rngs=nnx.Rngs(0))
>>> y = layer(jnp.ones((2, 8, 8, 4)))
>>> y.shape
(2, 8, 8, 4)
>>> layer.eval()
>>> bool((layer(jnp.ones((2, 8, 8, 4))) == 1).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from dropblock_core._validation import check_flag
from dropblock_core.config import config_arguments
from dropblock_core.layer import DropBlockLayer
from dropblock_core.schedule import LinearDropSchedule

from .functional import dropblock
from .layout import check_spatial_dims

__all__ = ["DropBlock", "DropBlockState", "LinearScheduler", "dropblock_layers"]


class DropBlockState(nnx.Variable[jax.Array]):
    """The NNX variable type of a DropBlock layer's ``drop_prob`` and ``step``:
    state that ``nnx.jit`` traces, that ``nnx.split`` / ``nnx.state`` carry
    and that an optimizer over ``nnx.Param`` leaves alone."""


def _first(call_value: bool | None, layer_value: bool | None) -> bool:
    """``deterministic`` resolved as ``nnx.Dropout`` resolves it."""
    value = layer_value if call_value is None else call_value
    if value is None:
        raise ValueError(
            "DropBlock got no deterministic value: pass deterministic=True/False to the "
            "constructor or the call, or use model.train() / model.eval()"
        )
    return check_flag(value, "deterministic")


class DropBlock(nnx.Module, DropBlockLayer):
    """DropBlock as an ``nnx.Module``, with ``nnx.Dropout``'s arguments.

    ``x`` is ``(batch, *spatial, channels)`` with ``spatial_dims`` spatial axes
    (``channels_last=False``: ``(batch, channels, *spatial)``); any other rank
    is a ``ValueError``. ``deterministic`` (here, at the call, or through
    ``model.train()`` / ``model.eval()``) turns the layer into the identity.

    Randomness: without ``seed``, each training call draws a key from ``rngs``
    (an ``nnx.Rngs``, whose ``rng_collection`` stream is used, an
    ``nnx.RngStream``, or a key passed at the call), exactly as
    ``nnx.Dropout``. With ``seed=n`` the layer needs no ``rngs``: it draws the
    counter-based masks of ``layer_seed(n, layer_id)`` at its ``step``, which
    a :class:`LinearScheduler` advances (the same masks as the PyTorch and
    Keras layers). Other options are those of :func:`dropblock_jax.dropblock`.

    Parameters
    ----------
    drop_prob : float
        The probability of dropping a unit, in [0, 1]; settable (a
        :class:`LinearScheduler` ramps it).
    block_size : int or sequence of int
        The side of the square (cubic) blocks, or one side per spatial axis;
        clipped to the map.
    spatial_dims : int, default 2
        The number of spatial axes of ``x``.
    channels_last : bool, default True
        ``x`` is ``(batch, *spatial, channels)`` (Flax's layout); ``False``:
        ``(batch, channels, *spatial)``.
    deterministic : bool or None, default False
        ``True`` makes the layer the identity; ``None`` leaves it to the call or
        to ``model.train()`` / ``model.eval()``.
    rng_collection : str, default "dropout"
        The stream of ``rngs`` the keys are drawn from.
    rngs : nnx.Rngs or nnx.RngStream, optional
        Where each training call draws its key when ``seed`` is None (a call may
        pass its own).
    gamma, seed_region, normalize, share_channels, share_batch
        The options of :class:`dropblock_core.DropBlockConfig`.
    seed : int, optional
        Counter-based masks of ``layer_seed(seed, layer_id)`` at the layer's
        ``step``, the same masks as the PyTorch and Keras layers; then ``rngs``
        must be None.

    Raises
    ------
    TypeError
        If both ``seed`` and ``rngs`` are given, ``rngs`` is of the wrong kind,
        or an argument has the wrong type.
    ValueError
        If an argument is out of range or not one of its choices.

    Examples
    --------
    >>> from flax import nnx
    >>> layer = DropBlock(0.2, 3, seed=0)
    >>> layer.drop_prob = 0.1
    >>> layer.drop_prob, layer.step  # read back: a float32 variable, shown as 0.1
    (0.1, 0)
    >>> DropBlock(0.1, 3, seed=0, rngs=nnx.Rngs(0))
    Traceback (most recent call last):
    ...
    TypeError: pass seed= (counter-based masks at the layer's step) or rngs= ..., not both
    """

    _dropblock_drop_prob: DropBlockState
    _dropblock_step: DropBlockState

    def __init__(
        self,
        drop_prob: float,
        block_size: int | Sequence[int],
        *,
        spatial_dims: int = 2,
        channels_last: bool = True,
        deterministic: bool | None = False,
        rng_collection: str = "dropout",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
        gamma: str | float = "exact",
        seed_region: str = "valid",
        normalize: str = "global",
        share_channels: bool = False,
        share_batch: bool = False,
        seed: int | None = None,
    ) -> None:
        self.spatial_dims = check_spatial_dims(spatial_dims)
        self.channels_last = check_flag(channels_last, "channels_last")
        if deterministic is not None:
            check_flag(deterministic, "deterministic")
        self.deterministic = deterministic
        if not isinstance(rng_collection, str):
            raise TypeError(f"rng_collection must be a str, got {rng_collection!r}")
        self.rng_collection = rng_collection
        if seed is not None and rngs is not None:
            raise TypeError(
                "pass seed= (counter-based masks at the layer's step) or rngs= "
                "(a new key per call), not both"
            )
        if isinstance(rngs, nnx.Rngs):
            self.rngs = rngs[rng_collection].fork()
        elif isinstance(rngs, nnx.RngStream):
            self.rngs = rngs.fork()
        elif rngs is None:
            self.rngs = nnx.data(None)
        else:
            raise TypeError(f"rngs must be an nnx.Rngs, an nnx.RngStream or None, got {rngs!r}")
        self._init_dropblock(**config_arguments(locals()))

    # drop_prob and step are DropBlockState variables (traced by nnx.jit);
    # layer_id, set once by a scheduler, is a static Python int.
    def _store(self, name: str, value: float | int) -> None:
        attribute = f"_dropblock_{name}"
        if name == "layer_id":
            setattr(self, attribute, int(value))
            return
        array = jnp.asarray(value, dtype=float if name == "drop_prob" else jnp.uint32)
        variable = vars(self).get(attribute)
        if variable is None:
            setattr(self, attribute, DropBlockState(array))
        else:
            variable.set_value(array)

    def _load(self, name: str) -> float | int:
        stored = getattr(self, f"_dropblock_{name}")
        if name == "layer_id":
            return int(stored)
        value = np.asarray(stored.get_value())[()]
        # the shortest decimal that rounds to the stored float32: 0.1 reads back as 0.1
        return float(str(value)) if name == "drop_prob" else int(value)

    def _key(self, rngs: Any) -> jax.Array:
        """A new key from ``rngs`` (the call's, else the layer's), as ``nnx.Dropout`` draws it."""
        rngs = self.rngs if rngs is None else rngs
        if rngs is None:
            raise ValueError(
                "deterministic is False but DropBlock has no rngs: pass rngs= (an nnx.Rngs) "
                "to the constructor or the call, or seed= to the constructor"
            )
        if isinstance(rngs, nnx.Rngs):
            return cast(jax.Array, rngs[self.rng_collection]())
        if isinstance(rngs, nnx.RngStream):
            return rngs()
        if isinstance(rngs, jax.Array):
            return rngs
        raise TypeError(f"rngs must be an nnx.Rngs, an nnx.RngStream or a key, got {rngs!r}")

    def __call__(
        self,
        x: jax.Array,
        *,
        deterministic: bool | None = None,
        rngs: nnx.Rngs | nnx.RngStream | jax.Array | None = None,
    ) -> jax.Array:
        """Drop blocks of ``x`` and rescale the rest; ``x`` itself when deterministic."""
        if _first(deterministic, self.deterministic):
            return x
        if self.seed is not None:
            if rngs is not None:
                raise TypeError("this DropBlock draws from its seed; it takes no rngs")
            seed: Any = self.mask_seed
        else:
            seed = self._key(rngs)
        fixed = self._dropblock_fixed
        return dropblock(
            x,
            self._dropblock_drop_prob.get_value(),
            fixed.block_size,
            seed=seed,
            step=self._dropblock_step.get_value(),
            channels_last=self.channels_last,
            spatial_dims=self.spatial_dims,
            normalize=fixed.normalize,
            **fixed.core_kwargs(),
        )


def dropblock_layers(model: nnx.Module) -> list[DropBlock]:
    """The :class:`DropBlock` layers of ``model``, in ``nnx.iter_modules`` order.

    Parameters
    ----------
    model : nnx.Module
        A model, or a single layer.

    Returns
    -------
    list of DropBlock
        Every :class:`DropBlock` of the model (the model itself included), in
        ``nnx.iter_modules`` order.

    Examples
    --------
    >>> len(dropblock_layers(DropBlock(0.1, 3, seed=0)))
    1
    """
    return [m for _, m in nnx.iter_modules(model) if isinstance(m, DropBlock)]


class LinearScheduler(LinearDropSchedule):
    """The paper's linear schedule for every :class:`DropBlock` of an NNX model.

    Call :meth:`step` once per optimizer step, outside the jitted train step:
    it sets each layer's ``drop_prob`` (and ``step``) variable, which
    ``nnx.jit`` traces, so the train step compiles once. ``state_dict`` /
    ``load_state_dict`` resume exactly (see
    :class:`dropblock_core.schedule.LinearDropSchedule`).

    Parameters
    ----------
    model : nnx.Module
        The model whose :class:`DropBlock` layers are scheduled (numbered 0, 1,
        ... in ``nnx.iter_modules`` order).
    total_steps : int
        Steps of the ramp, >= 0.

    Raises
    ------
    ValueError
        If ``model`` has no :class:`DropBlock` layer or ``total_steps`` is
        negative.
    TypeError
        If ``total_steps`` is not an int.

    Examples
    --------
    >>> from flax import nnx
    >>> layer = DropBlock(0.1, 3, rngs=nnx.Rngs(0))
    >>> schedule = LinearScheduler(layer, total_steps=4)
    >>> schedule.step(); schedule.step()
    >>> schedule.get_last_drop_prob(), layer.drop_prob, layer.step
    ([0.05], 0.05, 2)
    """

    def __init__(self, model: nnx.Module, total_steps: int) -> None:
        layers = dropblock_layers(model)
        if not layers:
            raise ValueError(f"{type(model).__name__} has no dropblock_jax.nnx.DropBlock layer")
        super().__init__(layers, total_steps)
