"""DropBlock for raw TensorFlow tensors, over ``dropblock_core``.

``dropblock`` is the functional form for ``tf.Tensor`` code (whatever Keras
backend is active). Eagerly its mask is built by the NumPy core and imported
with DLPack (no copy); inside ``tf.function`` (with or without XLA) it is built
in the graph with TensorFlow ops. Either way it is bit-identical to
``dropblock_core.sample_mask`` for the same seed, step and replica.

``DropBlock1D``, ``DropBlock2D`` and ``DropBlock3D`` are the Keras 3 layers of
:mod:`dropblock_keras` (the same classes), kept here so old imports work.

>>> import tensorflow as tf, dropblock_tf
>>> y = dropblock_tf.dropblock(tf.ones((2, 14, 14, 3)), 0.1, 7, seed=0)
>>> y.shape
TensorShape([2, 14, 14, 3])
"""

from __future__ import annotations

from .functional import dropblock
from .layers import DropBlock1D, DropBlock2D, DropBlock3D

__all__ = ["DropBlock1D", "DropBlock2D", "DropBlock3D", "dropblock"]
