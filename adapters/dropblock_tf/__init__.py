"""DropBlock for TensorFlow and Keras 3 (TensorFlow backend), over ``dropblock_core``.

``dropblock`` is the functional form; ``DropBlock1D``, ``DropBlock2D`` and
``DropBlock3D`` are Keras layers with a saved step counter and the paper's
schedule. Masks are built by the NumPy core (TensorFlow has no array-API
namespace): imported with DLPack eagerly, through ``tf.numpy_function`` in a
graph. They are bit-identical to ``dropblock_core.sample_mask`` for the same
seed, step and replica.

>>> import tensorflow as tf, dropblock_tf
>>> y = dropblock_tf.dropblock(tf.ones((2, 14, 14, 3)), 0.1, 7, seed=0)
>>> y.shape
TensorShape([2, 14, 14, 3])
"""

from __future__ import annotations

from .functional import dropblock
from .layers import DropBlock1D, DropBlock2D, DropBlock3D

__all__ = ["DropBlock1D", "DropBlock2D", "DropBlock3D", "dropblock"]
