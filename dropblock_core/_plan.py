"""What a mask is before randomness (:class:`MaskPlan`) and the checked
randomness that draws it (:class:`SeedDraw`): the values both mask paths
(:mod:`dropblock_core._standard`, :mod:`dropblock_core._numpy_fast`) take.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MaskPlan", "SeedDraw"]


@dataclass(frozen=True)
class MaskPlan:
    """Everything about a mask that does not depend on randomness.

    Made by :func:`dropblock_core.masks.plan_mask`, which checks the values.

    Parameters
    ----------
    shape : tuple of int
        The input's shape, in its physical layout.
    spatial : tuple of int
        The input's spatial sizes.
    block : tuple of int
        The block's size per spatial axis, clipped to the map.
    offsets : tuple of int
        A seed's position inside its block, per spatial axis.
    grid : tuple of int
        The seed grid ``(batch', channels', *seed grid)`` in the logical
        layout, with size 1 along shared axes.
    gamma : float or 0-d array
        The seed probability: a Python float, or a 0-d array computed in the
        graph.
    channels_last : bool
        Whether the channel axis of ``shape`` is the last one.
    drop_prob : float or 0-d array
        The checked drop probability; not part of the plan's identity (the
        mask depends on it only through ``gamma``).

    Examples
    --------
    >>> plan = MaskPlan((2, 5, 5, 3), (5, 5), (3, 3), (1, 1), (2, 3, 3, 3), 0.1, True, 0.1)
    >>> plan.mask_shape, plan.positions, plan.host_gamma
    ((2, 5, 5, 3), 54, True)
    """

    shape: tuple[int, ...]  # input shape, physical layout
    spatial: tuple[int, ...]
    block: tuple[int, ...]  # clipped to the map
    offsets: tuple[int, ...]  # seed position inside its block, per axis
    grid: tuple[int, ...]  # (batch', channels', *seed grid), logical layout
    gamma: float | Any  # a Python float, or a 0-d array computed in the graph
    channels_last: bool
    # the checked drop_prob (a float, or a 0-d array); not part of the plan's
    # identity: the mask depends on it only through gamma
    drop_prob: float | Any = field(compare=False)

    @property
    def host_gamma(self) -> bool:
        """Whether gamma is a Python float (else a 0-d, possibly traced, array;
        such a plan is not hashable)."""
        return isinstance(self.gamma, float)

    @property
    def mask_shape(self) -> tuple[int, ...]:
        """Physical shape of the mask: size 1 along shared axes."""
        n, c = self.grid[:2]
        return (n, *self.spatial, c) if self.channels_last else (n, c, *self.spatial)

    @property
    def positions(self) -> int:
        """The number of seed positions (the flattened seed grid)."""
        return math.prod(self.grid)

    def seedless(self, gamma: float | Any) -> bool:
        """Whether no seed can occur: no position, or a host ``gamma`` of 0.

        Parameters
        ----------
        gamma : float or 0-d array
            The seed probability to test (a 0-d array is never taken as 0).

        Returns
        -------
        bool
            True when the seed grid is empty or ``gamma`` is the float 0.

        Examples
        --------
        >>> MaskPlan((1, 1, 3), (3,), (1,), (0,), (1, 1, 3), 0.0, False, 0.0).seedless(0.0)
        True
        """
        return self.positions == 0 or isinstance(gamma, float) and gamma == 0.0


@dataclass(frozen=True)
class SeedDraw:
    """The checked randomness of one mask: the stream and its counters.

    Made by :func:`dropblock_core.masks.check_draw`, which checks the values.

    Parameters
    ----------
    stream : {"counter", "native"}
        ``"counter"``: the Threefry stream; ``"native"``: NumPy's generator.
    seed : int, pair of words or 0-d integer array
        An int in [0, 2**64), a traced 0-d integer array, or a pair of
        (possibly traced) 32-bit words.
    step : int or 0-d integer array
        The training step: an int in [0, 2**32) or a traced 0-d integer array.
    replica : int or 0-d integer array
        The replica index: an int in [0, 2**32) or a traced 0-d integer array.

    Examples
    --------
    >>> SeedDraw("counter", 7, 0, 0).seed
    7
    """

    stream: str  # "counter" (Threefry) or "native" (NumPy's generator)
    seed: int | tuple[Any, Any] | Any
    step: int | Any
    replica: int | Any
