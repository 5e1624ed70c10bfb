"""The one place that decides how a namespace computes masks and outputs.

:func:`mask_path` picks, once per namespace, the implementation every public
function (:func:`dropblock_core.sample_mask`, :func:`dropblock_core.dropblock`,
``apply_mask``, ``keep_scale``) dispatches to: the NumPy fast path
(:mod:`dropblock_core._numpy_fast`), or the pure array-API path
(:mod:`dropblock_core._standard`) with the namespace's native seed loop where
:mod:`dropblock_core.native` lists one (JAX, TensorFlow). Both paths are
:class:`MaskPath` subclasses (its default methods are the standard ones;
NumPy overrides where it is faster) and give the same bits.

>>> from dropblock_core._namespace import default_namespace
>>> type(mask_path(default_namespace())).__name__
'NumpyFastPath'
>>> import array_api_strict
>>> type(mask_path(array_api_strict)).__name__
'StandardPath'
"""

from __future__ import annotations

import functools
from types import ModuleType

from ._namespace import is_numpy_namespace
from ._numpy_fast import NumpyFastPath
from ._standard import MaskPath, StandardPath
from .native import native_group_bits

__all__ = ["MaskPath", "mask_path", "standard_path"]


@functools.lru_cache(maxsize=32)
def mask_path(xp: ModuleType) -> MaskPath:
    """The mask path of the array-API namespace ``xp``."""
    if is_numpy_namespace(xp):
        return NumpyFastPath()
    return standard_path(xp)


@functools.lru_cache(maxsize=32)
def standard_path(xp: ModuleType) -> StandardPath:
    """The pure array-API path for ``xp``, with its native seed loop if it has one
    (also for callers that need dense seed bits on NumPy, e.g. tests)."""
    return StandardPath(native_group_bits(xp))
