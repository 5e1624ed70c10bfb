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
    """Everything about a mask that does not depend on randomness."""

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

        >>> MaskPlan((1, 1, 3), (3,), (1,), (0,), (1, 1, 3), 0.0, False, 0.0).seedless(0.0)
        True
        """
        return self.positions == 0 or isinstance(gamma, float) and gamma == 0.0


@dataclass(frozen=True)
class SeedDraw:
    """The checked randomness of one mask: the stream and its counters.

    ``seed`` is an int in [0, 2**64) or a pair of (possibly traced) 32-bit
    words; ``step`` and ``replica`` are ints or traced 0-d integer arrays.
    """

    stream: str  # "counter" (Threefry) or "native" (NumPy's generator)
    seed: int | tuple[Any, Any] | Any
    step: int | Any
    replica: int | Any
