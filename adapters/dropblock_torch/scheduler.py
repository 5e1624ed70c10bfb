"""``LinearScheduler``: the paper's linear drop-probability ramp, driven like
a ``torch.optim.lr_scheduler`` (construction applies step 0, ``.step()`` once
per optimizer step, ``state_dict()`` / ``load_state_dict()`` to resume).

The arithmetic is :class:`dropblock_core.schedule.LinearDropSchedule`; this
file only finds the DropBlock layers of a torch model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from dropblock_core.layer import DropBlockLayer
from dropblock_core.schedule import LinearDropSchedule

__all__ = ["LinearScheduler"]


class LinearScheduler:
    """Ramp every DropBlock layer of ``model`` from ``drop_prob = 0`` to its
    own ``drop_prob`` (read now, as the target) over ``total_steps`` steps.

    Each :meth:`step` sets ``layer.drop_prob = linear_schedule(step,
    total_steps, target)`` and ``layer.step = step`` (which explicit-seed
    masks are drawn for). Making the scheduler numbers the layers
    (``layer_id = 0, 1, ...`` in ``model.modules()`` order) and applies step 0.
    Call :meth:`step` once per optimizer step, so gradient accumulation and
    activation checkpointing do not advance it.

    Parameters
    ----------
    model : torch.nn.Module
        The model whose DropBlock layers (any
        :class:`~dropblock_core.layer.DropBlockLayer`) are scheduled.
    total_steps : int
        Steps of the ramp, >= 0; after it every layer keeps its target.

    Raises
    ------
    TypeError
        If ``model`` is not a ``torch.nn.Module`` or ``total_steps`` not an int.
    ValueError
        If ``model`` has no DropBlock layer or ``total_steps`` is negative.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from dropblock_torch import DropBlock2d
    >>> model = nn.Sequential(nn.Conv2d(3, 8, 3), DropBlock2d(0.1, 5), DropBlock2d(0.2, 3))
    >>> scheduler = LinearScheduler(model, total_steps=4)
    >>> scheduler.get_last_drop_prob()
    [0.0, 0.0]
    >>> scheduler.step(); scheduler.step()
    >>> scheduler.get_last_drop_prob(), model[2].drop_prob, model[2].step
    ([0.05, 0.1], 0.1, 2)
    >>> resumed = LinearScheduler(model, total_steps=4)
    >>> resumed.load_state_dict(scheduler.state_dict())
    >>> resumed.last_step
    2
    """

    def __init__(self, model: nn.Module, total_steps: int) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        layers = [m for m in model.modules() if isinstance(m, DropBlockLayer)]
        if not layers:
            raise ValueError(f"model has no DropBlock layer to schedule: {type(model).__name__}")
        self._schedule = LinearDropSchedule(layers, total_steps)

    @property
    def layers(self) -> list[DropBlockLayer]:
        """The scheduled layers, in ``model.modules()`` order (``layer_id`` order)."""
        return list(self._schedule.layers)

    @property
    def total_steps(self) -> int:
        """Steps until every layer reaches its target ``drop_prob``."""
        return self._schedule.total_steps

    @property
    def last_step(self) -> int:
        """Steps taken so far (``last_epoch`` of an LR scheduler)."""
        return self._schedule.last_step

    @property
    def target_drop_probs(self) -> list[float]:
        """Each layer's final ``drop_prob``."""
        return list(self._schedule.target_drop_probs)

    def step(self) -> None:
        """Advance one step and set every layer's ``drop_prob`` and ``step``."""
        self._schedule.step()

    def get_last_drop_prob(self) -> list[float]:
        """The drop probabilities set by the last step (like ``get_last_lr()``).

        Parameters, Returns and Raises are those of
        :meth:`dropblock_core.schedule.LinearDropSchedule.get_last_drop_prob`.
        """
        return self._schedule.get_last_drop_prob()

    def state_dict(self) -> dict[str, Any]:
        """``total_steps``, ``last_step`` and ``target_drop_probs``: what resuming needs.

        Parameters, Returns and Raises are those of
        :meth:`dropblock_core.schedule.LinearDropSchedule.state_dict`.
        """
        return self._schedule.state_dict()

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Resume from :meth:`state_dict`: the layers get that step's values.

        Parameters
        ----------
        state_dict : mapping
            What :meth:`state_dict` returned (for the same layers).

        Raises
        ------
        ValueError
            If ``state_dict`` does not match this scheduler's layers, or its
            values are out of range.
        TypeError
            If a value has the wrong type.
        """
        self._schedule.load_state_dict(state_dict)

    def __repr__(self) -> str:
        return (
            f"LinearScheduler(layers={len(self._schedule.layers)}, "
            f"total_steps={self.total_steps}, last_step={self.last_step})"
        )
