"""Scheduled DropBlock: the drop probability ramps linearly during training."""

from __future__ import annotations

import numbers

from ._validation import check_drop_prob

__all__ = ["linear_schedule"]


def linear_schedule(step: int, total_steps: int, drop_prob: float) -> float:
    """Drop probability at ``step``: linear from 0 at step 0 to ``drop_prob`` at
    ``total_steps``, then flat (the paper's keep_prob going from 1 to its target).

    >>> [linear_schedule(s, 4, 0.1) for s in (0, 2, 4, 100)]
    [0.0, 0.05, 0.1, 0.1]
    >>> linear_schedule(3, 0, 0.1)  # no ramp
    0.1
    """
    drop = check_drop_prob(drop_prob)
    for name, value in (("step", step), ("total_steps", total_steps)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an int, got {value!r}")
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value!r}")
    if total_steps == 0 or step >= total_steps:
        return drop
    return drop * step / total_steps
