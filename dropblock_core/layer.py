"""The framework-free half of every DropBlock layer.

A framework's layer subclasses its own module class *and* :class:`DropBlockLayer`
(einops' layer mixins are the model). The mixin holds what every front end
shares: the validated configuration, the settable ``drop_prob``, the ``step``
and ``layer_id`` that drive explicit-seed masks, the repr text and the config
dict. The framework file only decides *where* the two values that change
during training live (a torch buffer, a Keras variable, an NNX variable), by
overriding :meth:`DropBlockLayer._store` and :meth:`DropBlockLayer._load`.

Layers hold configuration, not progress: nothing here changes during a
forward call. ``drop_prob`` and ``step`` are set from outside, by a scheduler
(:class:`dropblock_core.schedule.LinearDropSchedule`) or by the user, as
optimizers and learning-rate schedulers do.

>>> class Layer(DropBlockLayer):
...     spatial_dims = 2
...     def __init__(self, drop_prob, block_size, **options):
...         self._init_dropblock(drop_prob, block_size, **options)
>>> layer = Layer(0.1, 7, seed=3)
>>> layer.drop_prob = 0.05
>>> layer.describe()
'drop_prob=0.05, block_size=7, seed=3'
>>> layer.block_size = 5
Traceback (most recent call last):
...
AttributeError: block_size is fixed when the layer is built; build a new layer to change it
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from ._validation import check_drop_prob, check_uint, normalize_block_size
from .config import DropBlockConfig
from .rng import layer_seed

__all__ = ["DropBlockLayer"]


def _fixed(name: str) -> property:
    """A read-only view of one field of the layer's configuration."""

    def get(self: DropBlockLayer) -> Any:
        return getattr(self._dropblock_fixed, name)

    def refuse(self: DropBlockLayer, value: Any) -> None:
        raise AttributeError(
            f"{name} is fixed when the layer is built; build a new layer to change it"
        )

    return property(get, refuse, doc=f"``{name}`` (fixed at construction).")


class DropBlockLayer:
    """Mixin with the configuration, ``drop_prob``, ``step`` and repr of a DropBlock layer.

    ``spatial_dims`` (a class attribute, or an instance attribute set before
    :meth:`_init_dropblock`) is the number of spatial axes the layer expects,
    or ``None`` for any number. Subclasses call :meth:`_init_dropblock` once in
    ``__init__``.
    """

    spatial_dims: int | None = None
    _dropblock_fixed: DropBlockConfig

    def _init_dropblock(
        self, drop_prob: float, block_size: int | Sequence[int], **options: Any
    ) -> None:
        """Validate the configuration and store the initial ``drop_prob``,
        ``step`` (0) and ``layer_id`` (0). ``options`` are the keyword options
        of :class:`DropBlockConfig` (``gamma`` ... ``seed``), which checks them."""
        if self.spatial_dims is not None and not isinstance(block_size, int):
            normalize_block_size(block_size, self.spatial_dims)  # one size per spatial axis
        config = DropBlockConfig(drop_prob, block_size, **options)
        object.__setattr__(self, "_dropblock_fixed", config)
        self._store("drop_prob", config.drop_prob)
        self._store("step", 0)
        self._store("layer_id", 0)

    # -- where the changing values live (override per framework) ---------------

    def _store(self, name: str, value: float | int) -> None:
        """Keep ``value`` (already validated) for ``name`` in ``drop_prob``,
        ``step``, ``layer_id``. Default: a plain attribute ``_dropblock_<name>``."""
        object.__setattr__(self, f"_dropblock_{name}", value)

    def _load(self, name: str) -> float | int:
        """The value last stored for ``name``, as a Python number."""
        value: float | int = getattr(self, f"_dropblock_{name}")
        return value

    # -- the settable values ---------------------------------------------------

    @property
    def drop_prob(self) -> float:
        """The drop probability the next training call uses (settable, in [0, 1))."""
        return float(self._load("drop_prob"))

    @drop_prob.setter
    def drop_prob(self, value: float) -> None:
        self._store("drop_prob", check_drop_prob(value))

    @property
    def step(self) -> int:
        """The training step explicit-seed masks are drawn for (settable, in [0, 2**32)).

        A scheduler sets it once per optimizer step; forward calls never change it.
        """
        return int(self._load("step"))

    @step.setter
    def step(self, value: int) -> None:
        self._store("step", check_uint(value, "step", 32))

    @property
    def layer_id(self) -> int:
        """This layer's number among a model's DropBlock layers (settable; 0 by default).

        With an explicit ``seed``, layer ``i`` draws the masks of
        ``dropblock_core.layer_seed(seed, i)``, so two layers given the same
        seed still draw different masks once a scheduler has numbered them.
        """
        return int(self._load("layer_id"))

    @layer_id.setter
    def layer_id(self, value: int) -> None:
        self._store("layer_id", check_uint(value, "layer_id", 32))

    # -- the fixed configuration -------------------------------------------------

    block_size = _fixed("block_size")
    gamma = _fixed("gamma")
    seed_region = _fixed("seed_region")
    normalize = _fixed("normalize")
    share_channels = _fixed("share_channels")
    share_batch = _fixed("share_batch")
    seed = _fixed("seed")

    @property
    def config(self) -> DropBlockConfig:
        """The whole configuration with the current ``drop_prob`` (read-only)."""
        return dataclasses.replace(self._dropblock_fixed, drop_prob=self.drop_prob)

    @property
    def mask_seed(self) -> int | None:
        """The seed masks are drawn from: ``layer_seed(seed, layer_id)``, or
        ``None`` when the layer draws from its framework's generator."""
        seed = self._dropblock_fixed.seed
        return None if seed is None else layer_seed(seed, self.layer_id)

    def describe(self) -> str:
        """``name=value`` for ``drop_prob``, ``block_size`` and every option
        that differs from its default (the body of the layer's repr).

        Returns
        -------
        str
            :meth:`DropBlockConfig.describe` of :attr:`config`, so it shows
            the current ``drop_prob``.
        """
        return self.config.describe()

    def dropblock_config(self) -> dict[str, Any]:
        """The constructor arguments, as plain Python values (for ``get_config``).

        Returns
        -------
        dict
            :meth:`DropBlockConfig.to_dict` of :attr:`config`: every field by
            name, the current ``drop_prob`` included, a tuple ``block_size`` as
            a list.
        """
        return self.config.to_dict()
