"""keras-cv's ``DropBlock2D`` with keras-cv 0.9's signature and conventions.

Change ``from keras_cv.layers import DropBlock2D`` to
``from dropblock_keras.compat.keras_cv import DropBlock2D``: the constructor
is ``DropBlock2D(rate, block_size, seed=None, **kwargs)``, input is channels
last whatever ``keras.config.image_data_format()`` says, gamma is the paper's,
each sample and channel gets its own mask, and the output is rescaled by
units / kept units. Masks change from call to call, with or without a seed.

Deliberate differences (docs/migrating.md): seeds lie where a whole block
fits on every map (keras-cv compares rows with the map's *width*, so on
non-square maps it drops too little or too much); ``rate`` must be below 1
(keras-cv returns NaN at 1); a block larger than the map is clipped to the
map; everything dropped gives zeros, not NaN; it runs on the JAX and PyTorch
backends too.

>>> import keras
>>> layer = DropBlock2D(0.1, 7, seed=1)
>>> tuple(layer(keras.ops.ones((2, 14, 14, 3)), training=True).shape)
(2, 14, 14, 3)
>>> {k: layer.get_config()[k] for k in ("rate", "block_size", "seed")}
{'rate': 0.1, 'block_size': (7, 7), 'seed': 1}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from ..layers import DropBlockND

__all__ = ["DropBlock2D"]


@keras.saving.register_keras_serializable(package="dropblock_keras.compat.keras_cv")
class DropBlock2D(DropBlockND):
    """``keras_cv.layers.DropBlock2D(rate, block_size, seed=None, **kwargs)``:
    channels last, the paper's gamma, a mask per sample and channel.

    Parameters
    ----------
    rate : float
        The drop probability, in [0, 1].
    block_size : int or sequence of int
        The block's side, or (height, width).
    seed : int, optional
        An int makes masks reproducible (``dropblock_core.sample_mask``'s);
        ``None`` draws from a ``keras.random.SeedGenerator``.
    **kwargs
        Those of ``keras.layers.Layer`` (``name``, ``dtype``...).

    Raises
    ------
    ValueError
        If ``rate`` or ``block_size`` is out of range.
    TypeError
        If an argument has the wrong type.

    Examples
    --------
    >>> import keras
    >>> layer = DropBlock2D(0.1, 3, seed=0)
    >>> tuple(layer(keras.ops.ones((2, 8, 8, 4)), training=True).shape)
    (2, 8, 8, 4)
    >>> layer.get_config()["rate"], layer.get_config()["block_size"]
    (0.1, (3, 3))
    """

    spatial_dims = 2

    def __init__(
        self, rate: float, block_size: int | Sequence[int], seed: int | None = None, **kwargs: Any
    ) -> None:
        if isinstance(block_size, int):
            block_size = (block_size, block_size)
        super().__init__(
            rate,
            tuple(block_size),
            gamma="paper",
            seed=seed,
            data_format="channels_last",
            **kwargs,
        )

    @property
    def rate(self) -> float:
        """keras-cv's name for ``drop_prob``."""
        return self.drop_prob

    def get_config(self) -> dict[str, Any]:
        """keras-cv's config: the ``Layer`` base's, ``rate``, ``block_size`` and ``seed``.

        Returns
        -------
        dict
            ``rate`` is the target drop probability, not a schedule's ramp.
        """
        base = keras.layers.Layer.get_config(self)
        rate = self.drop_prob if self._target_drop_prob is None else self._target_drop_prob
        return {**base, "rate": rate, "block_size": tuple(self.block_size), "seed": self.seed}
