"""``LinearScheduler``: the paper's schedule as a Keras callback."""

from __future__ import annotations

import numbers
from typing import Any

import keras

from dropblock_core.schedule import LinearDropSchedule

from .layers import DropBlockND

__all__ = ["LinearScheduler", "dropblock_layers"]


def dropblock_layers(model: keras.Layer) -> list[DropBlockND]:
    """Every DropBlock layer of ``model`` (nested models included), in model order."""
    return [layer for layer in model._flatten_layers() if isinstance(layer, DropBlockND)]


class LinearScheduler(keras.callbacks.Callback):
    """Ramp every DropBlock layer's ``drop_prob`` linearly from 0 to its target
    over ``total_steps`` training batches (optimizer steps), then hold it.

    The same schedule as ``dropblock_torch.LinearScheduler``, hooked into
    ``fit``. Before the first batch it reads each layer's target (the
    ``drop_prob`` it was built with, which ``get_config`` keeps saving) and the
    layers' ``step`` (a saved weight: 0 for a new model, the number of batches
    already trained for a loaded model or a ``BackupAndRestore`` checkpoint), so
    a resumed run continues the ramp exactly. After every batch it sets each
    layer's ``drop_prob`` and ``step`` for the next one.

    It numbers the layers (``layer_id`` 0, 1, ...: two layers given the same
    seed draw different masks) and turns their ``auto_step`` off for the run:
    ``call`` then changes no value, so recomputation (remat) draws the same
    mask. With ``steps_per_execution > 1`` the callback runs once per
    execution, so the layers keep advancing ``step`` themselves inside it.

    Parameters
    ----------
    total_steps : int
        Training batches (optimizer steps) of the ramp, >= 0.

    Raises
    ------
    TypeError
        If ``total_steps`` is not an int.
    ValueError
        If ``total_steps`` is negative.

    Examples
    --------
    >>> import keras, numpy as np, dropblock_keras
    >>> layer = dropblock_keras.DropBlock2D(0.2, 3)
    >>> model = keras.Sequential(
    ...     [keras.Input((8, 8, 2)), layer, keras.layers.Flatten(), keras.layers.Dense(1)]
    ... )
    >>> model.compile("sgd", "mse")
    >>> scheduler = dropblock_keras.LinearScheduler(total_steps=4)
    >>> _ = model.fit(np.ones((6, 8, 8, 2)), np.ones((6, 1)), batch_size=2, epochs=1,
    ...               callbacks=[scheduler], verbose=0)
    >>> layer.step, round(layer.drop_prob, 6), round(scheduler.get_last_drop_prob()[0], 6)
    (3, 0.15, 0.15)
    >>> layer.get_config()["drop_prob"]  # the target, not the ramp
    0.2
    """

    def __init__(self, total_steps: int) -> None:
        super().__init__()
        if isinstance(total_steps, bool) or not isinstance(total_steps, numbers.Integral):
            raise TypeError(f"total_steps must be an int, got {total_steps!r}")
        if total_steps < 0:
            raise ValueError(f"total_steps must be >= 0, got {total_steps!r}")
        self.total_steps: int = int(total_steps)
        self.schedule: LinearDropSchedule | None = None
        self._layers: list[DropBlockND] = []
        self._first_batch: int = 0

    def set_model(self, model: keras.Model) -> None:
        """Find and number the model's DropBlock layers (Keras calls this in ``fit``).

        Parameters
        ----------
        model : keras.Model
            The model being trained.

        Raises
        ------
        ValueError
            If the model has no DropBlock layer.
        """
        super().set_model(model)
        layers = dropblock_layers(model)
        if not layers:
            raise ValueError("LinearScheduler found no DropBlock layer in the model")
        self._layers = layers
        per_batch = getattr(model, "steps_per_execution", 1) == 1
        renumbered = False
        for layer_id, layer in enumerate(layers):
            renumbered |= layer.layer_id != layer_id
            layer.layer_id = layer_id
            layer.auto_step = not per_batch  # a variable: compiled steps follow it
        if renumbered:
            model.train_function = None  # an int seed's mask_seed is traced as a constant

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Forget the last run's schedule: it is read again at the first batch.

        Parameters
        ----------
        logs : dict, optional
            Unused (Keras's callback argument).
        """
        self.schedule = None  # read the layers at the first batch, after any restore

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """At the first batch, read the layers' targets and ``step`` and start there.

        Parameters
        ----------
        batch : int
            The batch index within the epoch.
        logs : dict, optional
            Unused (Keras's callback argument).
        """
        self._first_batch = batch
        if self.schedule is not None:
            return
        self.model  # noqa: B018  (on JAX, reading the property syncs the state)
        layers = self._layers
        targets = [
            layer.drop_prob if layer._target_drop_prob is None else layer._target_drop_prob
            for layer in layers
        ]
        last_step = max(layer.step for layer in layers)
        self.schedule = LinearDropSchedule(layers, self.total_steps)
        self.schedule.load_state_dict(
            {"total_steps": self.total_steps, "last_step": last_step, "target_drop_probs": targets}
        )
        for layer, target in zip(layers, targets):
            layer._target_drop_prob = target

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Step the schedule once per batch trained (several per execution).

        Parameters, Returns and Raises are those of :meth:`on_train_batch_begin`.
        """
        if self.schedule is None:
            return
        self.model  # noqa: B018  (sync the JAX state before writing variables)
        for _ in range(batch - self._first_batch + 1):  # > 1 with steps_per_execution
            self.schedule.step()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Turn the layers' ``auto_step`` back on, for a later ``fit`` without the callback.

        Parameters
        ----------
        logs : dict, optional
            Unused (Keras's callback argument).
        """
        for layer in self._layers:
            layer.auto_step = True  # a later fit without the callback advances again

    def _started(self) -> LinearDropSchedule:
        """The schedule, which the first training batch starts."""
        if self.schedule is None:
            raise RuntimeError("the schedule starts at the first training batch")
        return self.schedule

    def get_last_drop_prob(self) -> list[float]:
        """Each layer's drop probability for the next batch.

        Returns
        -------
        list of float
            One per layer, in ``layer_id`` order.

        Raises
        ------
        RuntimeError
            Before the first training batch.
        """
        return self._started().get_last_drop_prob()

    def state_dict(self) -> dict[str, Any]:
        """``total_steps``, ``last_step`` and the targets (``LinearDropSchedule``'s).

        Returns
        -------
        dict
            ``total_steps``, ``last_step`` and ``target_drop_probs``.

        Raises
        ------
        RuntimeError
            Before the first training batch.
        """
        return self._started().state_dict()
