"""Threefry-2x32-20 (Salmon et al., SC'11; Random123), written with standard
array-API integer operations only.

Words are ``uint32`` arrays, or ``int64`` arrays holding values in
[0, 2**32) on namespaces whose ``uint32`` is incomplete (torch); either way the
results are the same numbers. A NumPy twin with in-place operations is the fast
path; both are checked against Random123's known-answer vectors.

>>> import numpy as np
>>> x0, x1 = threefry2x32_numpy((0, 0), np.zeros(1, np.uint32), np.zeros(1, np.uint32))
>>> hex(int(x0[0])), hex(int(x1[0]))
('0x6b200159', '0x99ba4efe')
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["MASK32", "ROTATIONS", "ROUNDS", "threefry2x32", "threefry2x32_numpy"]

MASK32 = 0xFFFFFFFF
ROUNDS = 20
ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)
_PARITY = 0x1BD11BDA
_CHUNK = 1 << 16  # counters per in-place pass of the NumPy path (fits in cache)


def _key_schedule(k0: Any, k1: Any) -> tuple[Any, Any, Any]:
    return k0, k1, k0 ^ k1 ^ _PARITY


def threefry2x32(
    key: tuple[Any, Any], counter: tuple[Any, Any], *, xp: ModuleType
) -> tuple[Any, Any]:
    """Encrypt ``counter`` words under ``key`` words; returns two word arrays.

    ``key`` entries may be Python ints or word arrays (0-d arrays broadcast);
    ``counter`` entries are word arrays of one dtype (``uint32`` or ``int64``).

    0-d counters are computed as 1-element arrays: NumPy turns 0-d results
    into scalars, whose wrapping ``uint32`` additions warn about overflow.

    Parameters
    ----------
    key : tuple of (int or array)
        The two key words ``(k0, k1)``: Python ints in [0, 2**32), or word
        arrays of the counters' dtype (0-d arrays broadcast).
    counter : tuple of (array, array)
        The two counter words ``(c0, c1)``: arrays of one shape and one dtype,
        ``uint32`` or ``int64`` holding values in [0, 2**32). Not modified.
    xp : module
        The array-API namespace of ``counter``.

    Returns
    -------
    tuple of (array, array)
        The two encrypted words ``(x0, x1)``, new arrays of ``counter``'s shape,
        dtype and namespace.

    Examples
    --------
    >>> import numpy as np
    >>> zero = np.zeros(1, np.uint32)
    >>> x0, x1 = threefry2x32((0, 0), (zero, zero), xp=np)
    >>> hex(int(x0[0])), hex(int(x1[0]))  # Random123's known answer
    ('0x6b200159', '0x99ba4efe')
    """
    if counter[0].ndim == 0 and counter[1].ndim == 0:
        x0, x1 = threefry2x32(
            key, (xp.reshape(counter[0], (1,)), xp.reshape(counter[1], (1,))), xp=xp
        )
        return xp.reshape(x0, ()), xp.reshape(x1, ())
    dtype = counter[0].dtype
    masked = dtype != xp.uint32

    def add(a: Any, b: Any) -> Any:
        return (a + b) & MASK32 if masked else a + b

    def rotl(x: Any, r: int) -> Any:  # the standard's shift functions (TensorFlow has no <<)
        left = xp.bitwise_left_shift(x, r)
        return (left & MASK32 if masked else left) | xp.bitwise_right_shift(x, 32 - r)

    k0, k1 = (xp.asarray(k, dtype=dtype) if isinstance(k, int) else k for k in key)
    ks = _key_schedule(k0, k1)
    x0 = add(counter[0], ks[0])
    x1 = add(counter[1], ks[1])
    for i in range(ROUNDS):
        x0 = add(x0, x1)
        x1 = rotl(x1, ROTATIONS[i % 8]) ^ x0
        if i % 4 == 3:
            s = (i + 1) // 4
            x0 = add(x0, ks[s % 3])
            x1 = add(add(x1, ks[(s + 1) % 3]), s)
    return x0, x1


def threefry2x32_numpy(
    key: tuple[int, int], c0: np.ndarray, c1: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """NumPy fast path of :func:`threefry2x32` (Python-int key, ``uint32`` counters).

    Works in place on cache-sized chunks of the output, 5 passes per round.

    Parameters
    ----------
    key : tuple of (int, int)
        The two key words ``(k0, k1)``, Python ints (taken modulo 2**32).
    c0 : numpy.ndarray
        The first counter word, a ``uint32`` array. Not modified.
    c1 : numpy.ndarray
        The second counter word, a ``uint32`` array of ``c0``'s shape. Not
        modified.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        The two encrypted words ``(x0, x1)``, new ``uint32`` arrays of the
        counters' shape: the same numbers as :func:`threefry2x32`.

    Examples
    --------
    >>> import numpy as np
    >>> c0, c1 = np.arange(3, dtype=np.uint32), np.zeros(3, np.uint32)
    >>> fast = threefry2x32_numpy((7, 11), c0, c1)
    >>> slow = threefry2x32((7, 11), (c0, c1), xp=np)
    >>> all(bool((f == s).all()) for f, s in zip(fast, slow))
    True
    """
    k0, k1, k2 = (np.uint32(k & MASK32) for k in _key_schedule(int(key[0]), int(key[1])))
    ks = (k0, k1, k2)
    out0 = np.add(c0, k0, dtype=np.uint32)
    out1 = np.add(c1, k1, dtype=np.uint32)
    tmp = np.empty(min(out1.size, _CHUNK), dtype=np.uint32)
    flat0, flat1 = out0.reshape(-1), out1.reshape(-1)
    for first in range(0, flat0.size, _CHUNK):
        x0, x1 = flat0[first : first + _CHUNK], flat1[first : first + _CHUNK]
        t = tmp[: x0.size]
        for i in range(ROUNDS):
            r = ROTATIONS[i % 8]
            x0 += x1
            np.left_shift(x1, np.uint32(r), out=t)
            x1 >>= np.uint32(32 - r)
            x1 |= t
            x1 ^= x0
            if i % 4 == 3:
                s = (i + 1) // 4
                x0 += ks[s % 3]
                x1 += np.uint32((int(ks[(s + 1) % 3]) + s) & MASK32)
    return out0, out1
