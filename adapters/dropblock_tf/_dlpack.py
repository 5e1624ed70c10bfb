"""NumPy -> TensorFlow import through DLPack, safe against TensorFlow's alignment check.

``tf.experimental.dlpack.from_dlpack`` wraps the NumPy buffer without copying
(the tensor aliases the array's memory), but TensorFlow assumes 64-byte aligned
buffers: an import of a less aligned array is accepted and then *aborts the
process* (``Check failed: IsAligned()``) in the first kernel that reads it.
:func:`import_numpy` therefore imports an array as it is only when it is
C-contiguous, writeable and aligned, and otherwise copies it once into an
aligned buffer first.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

__all__ = ["ALIGNMENT", "aligned_empty", "import_numpy", "is_importable"]

ALIGNMENT = 64  # bytes; a 32-byte aligned import aborts TensorFlow 2.21 on x86-64


def aligned_empty(shape: tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
    """An uninitialised C-contiguous array whose data starts on an ALIGNMENT boundary.

    >>> a = aligned_empty((3, 5), np.float32)
    >>> a.shape, a.ctypes.data % ALIGNMENT, a.flags.c_contiguous
    ((3, 5), 0, True)
    """
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    buffer = np.empty(nbytes + ALIGNMENT, dtype=np.uint8)
    start = -buffer.ctypes.data % ALIGNMENT
    return buffer[start : start + nbytes].view(dtype).reshape(shape)


def is_importable(array: np.ndarray) -> bool:
    """Whether TensorFlow can alias ``array`` without a copy."""
    flags = array.flags
    aligned = array.size == 0 or array.ctypes.data % ALIGNMENT == 0
    return bool(flags.c_contiguous and flags.writeable and aligned)


def import_numpy(array: np.ndarray) -> tf.Tensor:
    """A ``tf.Tensor`` over ``array``'s memory (zero-copy), or over an aligned copy.

    The tensor aliases the buffer it was made from: do not write to ``array``
    afterwards.

    >>> import numpy as np
    >>> t = import_numpy(np.array([True, False]))
    >>> t.dtype.name, t.numpy().tolist()
    ('bool', [True, False])
    """
    if not is_importable(array):
        copy = aligned_empty(array.shape, array.dtype)
        np.copyto(copy, array)
        array = copy
    return tf.experimental.dlpack.from_dlpack(array.__dlpack__())
