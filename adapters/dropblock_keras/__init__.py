"""DropBlock for Keras 3 on every backend (TensorFlow, JAX, PyTorch), over ``dropblock_core``.

``dropblock`` is the functional form; ``DropBlock1D``, ``DropBlock2D`` and
``DropBlock3D`` are layers; ``LinearScheduler`` is the paper's schedule as a
callback. Masks are built by the core on the backend's own arrays, inside
compiled functions too (XLA on TensorFlow and JAX), and are bit-identical to
``dropblock_core.sample_mask`` for the same seed, step and replica.

>>> import keras, dropblock_keras
>>> y = dropblock_keras.dropblock(keras.ops.ones((2, 14, 14, 3)), 0.1, 7, seed=0)
>>> tuple(y.shape)
(2, 14, 14, 3)
"""

from __future__ import annotations

from . import compat as compat  # dropblock_keras.compat.keras_cv
from .callbacks import LinearScheduler
from .functional import dropblock
from .layers import DropBlock1D, DropBlock2D, DropBlock3D

__all__ = ["DropBlock1D", "DropBlock2D", "DropBlock3D", "LinearScheduler", "dropblock"]
