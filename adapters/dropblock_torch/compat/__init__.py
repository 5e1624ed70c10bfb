"""Drop-in aliases for the DropBlock of other libraries, built on ``dropblock_torch``.

``dropblock_torch.compat.torchvision`` mirrors ``torchvision.ops`` (0.29.1):
``drop_block2d``, ``drop_block3d``, ``DropBlock2d``, ``DropBlock3d``.
``dropblock_torch.compat.timm`` mirrors ``timm.layers`` (1.0.31):
``drop_block_2d``, ``DropBlock2d``. Each has exactly the upstream signature,
defaults, attributes and conventions (gamma, seed region, channel sharing,
rescaling), so only the import line changes; they keep this project's safe
behaviour where upstream breaks (even blocks, float16, every unit dropped).
See ``docs/migrating.md`` for where they deliberately differ.
"""

from __future__ import annotations

__all__: list[str] = []
