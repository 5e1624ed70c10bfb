"""The Keras 3 layers, now :mod:`dropblock_keras`'s (the same classes, on every backend).

Files saved by dropblock_tf 0.1 (``dropblock_tf>DropBlock2D``) load as these
layers: their step weight is read, and a ``total_steps`` in their config is
ignored with a warning (the schedule is ``dropblock_keras.LinearScheduler``).
"""

from __future__ import annotations

import keras
from dropblock_keras.layers import DropBlock1D, DropBlock2D, DropBlock3D

__all__ = ["DropBlock1D", "DropBlock2D", "DropBlock3D"]

for _cls in (DropBlock1D, DropBlock2D, DropBlock3D):
    keras.saving.get_custom_objects()[f"dropblock_tf>{_cls.__name__}"] = _cls
