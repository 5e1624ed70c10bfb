"""The case most checks run: a map, a block size and a drop probability."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from ..probe import fmt_shape

__all__ = ["MapCase", "rank_cases"]

Triple = tuple[tuple[int, ...], int, float]


class MapCase(NamedTuple):
    """``spatial`` map, ``block`` size and ``drop_prob``; ``optional``: an
    exception means "not supported", not a failure.

    >>> case = MapCase((14, 21), 7, 0.1)
    >>> case.label(), case.label(drop=False)
    ('14x21 b=7 p=0.1', '14x21 b=7')
    """

    spatial: tuple[int, ...]
    block: int
    drop_prob: float
    optional: bool = False

    def label(self, *, drop: bool = True) -> str:
        """The case as the report names it."""
        text = f"{fmt_shape(self.spatial)} b={self.block}"
        return f"{text} p={self.drop_prob}" if drop else text


def rank_cases(
    ndim: int, own: Mapping[int, Sequence[Triple]], other: Mapping[int, Triple]
) -> list[MapCase]:
    """The ``own`` cases of rank ``ndim`` (required, but even blocks optional),
    then the ``other`` case of every other rank (optional).

    >>> rank_cases(2, {2: [((9, 9), 3, 0.1), ((8, 8), 2, 0.1)]}, {1: ((20,), 3, 0.1)})
    ... # doctest: +NORMALIZE_WHITESPACE
    [MapCase(spatial=(9, 9), block=3, drop_prob=0.1, optional=False),
     MapCase(spatial=(8, 8), block=2, drop_prob=0.1, optional=True),
     MapCase(spatial=(20,), block=3, drop_prob=0.1, optional=True)]
    """
    cases = [MapCase(s, b, p, b % 2 == 0) for s, b, p in own[ndim]]
    cases += [MapCase(*other[d], True) for d in sorted(other) if d != ndim]
    return cases
