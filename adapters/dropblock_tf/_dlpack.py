"""NumPy -> TensorFlow import through DLPack (aligned, zero-copy): see
:mod:`dropblock_keras._tensorflow`, where it lives now."""

from __future__ import annotations

from dropblock_keras._tensorflow import ALIGNMENT, aligned_empty, import_numpy, is_importable

__all__ = ["ALIGNMENT", "aligned_empty", "import_numpy", "is_importable"]
