"""DropBlock for PyTorch over :mod:`dropblock_core`.

``dropblock(x, drop_prob, block_size, ...)``, the layers ``DropBlock1d``,
``DropBlock2d`` and ``DropBlock3d`` and ``LinearScheduler`` (the paper's
drop-probability ramp, driven like an LR scheduler). With an explicit seed the
mask is the core's ``sample_mask`` bit for bit (same seed, step and replica);
``x`` itself never leaves torch, so autograd, devices, ``torch.compile``,
``torch.export``, ``torch.fx`` and ``torch.func`` work as usual.
``dropblock_torch.compat`` holds drop-in aliases of torchvision's and timm's
DropBlock.

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
from .scheduler import LinearScheduler

__all__ = ["DropBlock1d", "DropBlock2d", "DropBlock3d", "LinearScheduler", "dropblock"]
