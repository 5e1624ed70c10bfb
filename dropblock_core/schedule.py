"""Scheduled DropBlock: the drop probability ramps linearly during training."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from ._validation import check_drop_prob

__all__ = ["LinearDropSchedule", "linear_schedule"]


def linear_schedule(step: int, total_steps: int, drop_prob: float) -> float:
    """Drop probability at ``step``: linear from 0 at step 0 to ``drop_prob`` at
    ``total_steps``, then flat (the paper's keep_prob going from 1 to its target).

    Parameters
    ----------
    step : int
        The training step, >= 0.
    total_steps : int
        The length of the ramp, >= 0; 0 means no ramp (``drop_prob`` at once).
    drop_prob : float
        The target drop probability, in [0, 1).

    Returns
    -------
    float
        ``drop_prob * step / total_steps``, or ``drop_prob`` from ``total_steps``
        on.

    Raises
    ------
    TypeError
        If ``step`` or ``total_steps`` is not an int (a bool is refused), or
        ``drop_prob`` is not a real number.
    ValueError
        If ``step`` or ``total_steps`` is negative, or ``drop_prob`` is outside
        [0, 1).

    Examples
    --------
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
    try:
        return drop * step / total_steps
    except OverflowError:  # steps beyond the float range
        return drop * (step / total_steps)


class LinearDropSchedule:
    """The framework-free core of the adapters' ``LinearScheduler``.

    Holds the layers it drives, each one's target ``drop_prob`` (read when the
    schedule is made, as ``torch.optim.lr_scheduler`` reads ``base_lrs``) and the
    number of steps taken. Every :meth:`step` (once per optimizer step) sets
    each layer's ``drop_prob`` to ``linear_schedule(step, total_steps, target)``
    and its ``step`` (which explicit-seed masks are drawn for). Making the
    schedule numbers the layers (``layer_id = 0, 1, ...``) and applies step 0.

    ``layers`` are :class:`dropblock_core.layer.DropBlockLayer` objects of any
    framework. :meth:`state_dict` / :meth:`load_state_dict` resume exactly.

    Parameters
    ----------
    layers : sequence of DropBlockLayer
        The layers to drive, at least one; their current ``drop_prob`` is
        each one's target. Each gets its ``layer_id`` (its position here),
        ``drop_prob`` and ``step`` set.
    total_steps : int
        The length of the ramp in steps, >= 0; 0 sets the targets at once.

    Attributes
    ----------
    layers : list
        The layers driven.
    total_steps : int
        The length of the ramp.
    target_drop_probs : list of float
        Each layer's target drop probability.
    last_step : int
        The steps taken so far (0 when made).

    Raises
    ------
    ValueError
        If ``layers`` is empty or ``total_steps`` is negative.
    TypeError
        If ``total_steps`` is not an int (a bool is refused).

    Examples
    --------
    >>> from dropblock_core.layer import DropBlockLayer
    >>> class Layer(DropBlockLayer):
    ...     def __init__(self, p):
    ...         self._init_dropblock(p, 3)
    >>> a, b = Layer(0.1), Layer(0.2)
    >>> schedule = LinearDropSchedule([a, b], total_steps=4)
    >>> a.drop_prob, b.drop_prob, b.layer_id
    (0.0, 0.0, 1)
    >>> schedule.step(); schedule.step()
    >>> a.drop_prob, b.drop_prob, a.step
    (0.05, 0.1, 2)
    >>> state = schedule.state_dict()
    >>> state["last_step"], state["target_drop_probs"]
    (2, [0.1, 0.2])
    """

    layers: list[Any]
    total_steps: int
    target_drop_probs: list[float]
    last_step: int

    def __init__(self, layers: Sequence[Any], total_steps: int) -> None:
        layers = list(layers)
        if not layers:
            raise ValueError("layers must contain at least one DropBlock layer, got none")
        if isinstance(total_steps, bool) or not isinstance(total_steps, numbers.Integral):
            raise TypeError(f"total_steps must be an int, got {total_steps!r}")
        if total_steps < 0:
            raise ValueError(f"total_steps must be >= 0, got {total_steps!r}")
        self.layers = layers
        self.total_steps = int(total_steps)
        self.target_drop_probs = [float(layer.drop_prob) for layer in layers]
        self.last_step = 0
        for layer_id, layer in enumerate(layers):
            layer.layer_id = layer_id
        self._apply()

    def step(self) -> None:
        """Advance one step and set every layer's ``drop_prob`` and ``step``."""
        self.last_step += 1
        self._apply()

    def drop_probs_at(self, step: int) -> list[float]:
        """Each layer's drop probability at ``step``.

        Parameters
        ----------
        step : int
            The training step, >= 0.

        Returns
        -------
        list of float
            ``linear_schedule(step, total_steps, target)`` for each layer's
            target, in the order of :attr:`layers`.

        Raises
        ------
        TypeError
            If ``step`` is not an int (a bool is refused).
        ValueError
            If ``step`` is negative.
        """
        return [linear_schedule(step, self.total_steps, p) for p in self.target_drop_probs]

    def get_last_drop_prob(self) -> list[float]:
        """The drop probabilities set by the last step (like ``get_last_lr``).

        Returns
        -------
        list of float
            Each layer's drop probability at :attr:`last_step`, in the order of
            :attr:`layers`.
        """
        return self.drop_probs_at(self.last_step)

    def _apply(self) -> None:
        for layer, drop_prob in zip(self.layers, self.get_last_drop_prob()):
            layer.drop_prob = drop_prob
            layer.step = self.last_step

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: ``total_steps``, ``last_step``, ``target_drop_probs``.

        Returns
        -------
        dict
            Those three keys with plain Python values (a new list of targets),
            ready for :meth:`load_state_dict`, ``torch.save`` or JSON.
        """
        return {
            "total_steps": self.total_steps,
            "last_step": self.last_step,
            "target_drop_probs": list(self.target_drop_probs),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Resume from :meth:`state_dict` and set the layers for that step.

        Parameters
        ----------
        state : mapping
            A :meth:`state_dict`: ``total_steps`` and ``last_step`` (ints >= 0)
            and ``target_drop_probs`` (one float in [0, 1) per layer).

        Raises
        ------
        ValueError
            If a key is missing, the number of targets differs from the number
            of layers, ``total_steps`` or ``last_step`` is not an int >= 0, or
            a target is outside [0, 1). Nothing is changed then.
        TypeError
            If a target is not a real number.
        """
        missing = {"total_steps", "last_step", "target_drop_probs"} - set(state)
        if missing:
            raise ValueError(f"state is missing {sorted(missing)!r}")
        targets = [check_drop_prob(p, "target_drop_probs") for p in state["target_drop_probs"]]
        if len(targets) != len(self.layers):
            raise ValueError(
                f"state has {len(targets)} target_drop_probs for {len(self.layers)} layers"
            )
        for name in ("total_steps", "last_step"):
            value = state[name]
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"{name} must be an int >= 0, got {value!r}")
        self.total_steps = int(state["total_steps"])
        self.last_step = int(state["last_step"])
        self.target_drop_probs = targets
        self._apply()
