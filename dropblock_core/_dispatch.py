"""The one place that decides how a namespace computes masks and outputs.

:func:`mask_path` picks, once per namespace, the implementation every public
function (:func:`dropblock_core.sample_mask`, :func:`dropblock_core.dropblock`,
``apply_mask``, ``keep_scale``) dispatches to: the NumPy fast path
(:mod:`dropblock_core._numpy_fast`), or the pure array-API path
(:mod:`dropblock_core._standard`) with the namespace's native seed loop where
:mod:`dropblock_core.native` lists one (JAX, TensorFlow). Both paths satisfy
:class:`MaskPath` and give the same bits.

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
from typing import Any, Protocol

from ._namespace import is_numpy_namespace
from ._numpy_fast import NumpyFastPath
from ._plan import MaskPlan, SeedDraw
from ._standard import StandardPath
from .native import native_group_bits

__all__ = ["MaskPath", "mask_path", "standard_path"]


class MaskPath(Protocol):
    """What a mask path provides; ``draw_seeds`` returns one kind of value per path
    (sorted indices on NumPy, a boolean indicator elsewhere), which only the same
    path's ``expand_seeds`` reads."""

    native_stream: bool  # whether stream="native" (the namespace's own generator) exists

    def check_device(self, device: Any) -> None: ...

    def draw_seeds(
        self, plan: MaskPlan, draw: SeedDraw, *, device: Any = None, xp: ModuleType
    ) -> Any: ...

    def expand_seeds(self, plan: MaskPlan, seeds: Any, *, xp: ModuleType) -> Any: ...

    def sample_mask(
        self, plan: MaskPlan, draw: SeedDraw, *, device: Any = None, xp: ModuleType
    ) -> Any: ...

    def keep_scale(
        self, mask: Any, drop_prob: float | Any, normalize: str, dtype: Any, *, xp: ModuleType
    ) -> Any: ...

    def apply_mask(
        self, x: Any, mask: Any, drop_prob: float | Any, normalize: str, *, xp: ModuleType
    ) -> Any: ...

    def dropblock(
        self,
        x: Any,
        plan: MaskPlan,
        draw: SeedDraw,
        drop_prob: float | Any,
        normalize: str,
        *,
        device: Any = None,
        xp: ModuleType,
    ) -> Any: ...


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
