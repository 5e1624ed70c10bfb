"""The paper's drop-probability schedule for jitted training loops.

``drop_prob`` is static under ``jax.jit`` (gamma is solved on the host), so a
schedule is evaluated on the host and every distinct value compiles once.
``levels`` rounds the ramp down to that many steps to bound the compilations.
"""

from __future__ import annotations

import numbers

from dropblock_core import linear_schedule

__all__ = ["scheduled_drop_prob"]


def scheduled_drop_prob(
    step: int, total_steps: int, drop_prob: float, *, levels: int | None = None
) -> float:
    """Drop probability at ``step``: linear from 0 to ``drop_prob`` over
    ``total_steps`` (``dropblock_core.linear_schedule``), then flat.

    With ``levels=k`` the ramp is rounded down to multiples of
    ``drop_prob / k``: at most ``k + 1`` distinct values, so a function jitted
    with ``drop_prob`` static compiles at most ``k + 1`` times.

    Parameters
    ----------
    step : int
        The step, >= 0.
    total_steps : int
        Steps of the ramp, >= 0.
    drop_prob : float
        The final drop probability, in [0, 1].
    levels : int, optional
        Round the ramp down to multiples of ``drop_prob / levels`` (>= 1).

    Returns
    -------
    float
        The drop probability at ``step``.

    Raises
    ------
    TypeError
        If ``step``, ``total_steps`` or ``levels`` is not an int.
    ValueError
        If one is negative (``levels`` < 1) or ``drop_prob`` is outside [0, 1].

    Examples
    --------
    >>> scheduled_drop_prob(50, 100, 0.1)
    0.05
    >>> [scheduled_drop_prob(s, 100, 0.1, levels=4) for s in (0, 24, 25, 60, 100)]
    [0.0, 0.0, 0.025, 0.05, 0.1]
    """
    exact = linear_schedule(step, total_steps, drop_prob)  # validates all three
    if levels is None:
        return exact
    if isinstance(levels, bool) or not isinstance(levels, numbers.Integral):
        raise TypeError(f"levels must be a positive int or None, got {levels!r}")
    if levels < 1:
        raise ValueError(f"levels must be >= 1, got {levels!r}")
    if total_steps == 0:
        return exact
    return linear_schedule(min(step * levels // total_steps, levels), int(levels), drop_prob)
