"""DropBlock for PyTorch over :mod:`dropblock_core`.

``dropblock(x, drop_prob, block_size, ...)`` and the layers ``DropBlock1d``,
``DropBlock2d`` and ``DropBlock3d``. The mask is the core's
``sample_mask`` bit for bit (same seed, step and replica); ``x`` itself never
leaves torch, so autograd, devices and ``torch.compile`` work as usual.

>>> import torch, dropblock_torch
>>> x = torch.randn(2, 8, 14, 14)
>>> layer = dropblock_torch.DropBlock2d(0.1, 7, seed=0)
>>> layer(x).shape
torch.Size([2, 8, 14, 14])
>>> dropblock_torch.dropblock(x, 0.1, 7, training=False) is x
True
"""

from __future__ import annotations

from .functional import dropblock
from .modules import DropBlock1d, DropBlock2d, DropBlock3d

__all__ = ["DropBlock1d", "DropBlock2d", "DropBlock3d", "dropblock"]
