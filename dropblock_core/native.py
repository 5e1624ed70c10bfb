"""Native seed loops: the seam where a namespace plugs in its own loop.

The standard seed path (:func:`dropblock_core.rng.seed_bits`) stops drawing
Threefry words once every group of 32 positions is done, but only eagerly: in a
compiled graph a Python loop cannot stop early, so the standard graph path
draws all 32 words of every group. With seeds rare (gamma ~ 0.002-0.02) almost
every group is done after its first word pair, so a namespace whose compiler
has a loop primitive (``jax.lax.while_loop``, ``tf.while_loop``) draws
further pairs only while some group needs one.

A *group-bits* function ``(key, thresholds, groups, *, device, xp) -> bits``
returns, for each group counter in ``groups``, the word whose bit ``j`` says
whether position ``j`` of that group is a seed: the same bits as
:func:`dropblock_core.rng.bits_all_rounds` for every input (the tests hold each
native path against the standard ones). :data:`NATIVE_GROUP_BITS` lists them
as ``(namespace predicate, "module:function")``, imported only when used, so
``import dropblock_core`` imports no framework. The one caller is
:func:`dropblock_core._dispatch.mask_path`, which hands the loop to the
standard path.

>>> import numpy as np
>>> from dropblock_core._namespace import default_namespace
>>> native_group_bits(default_namespace()) is None  # NumPy: the standard paths
True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol

from ._namespace import is_jax_namespace, is_tensorflow_namespace

__all__ = ["NATIVE_GROUP_BITS", "GroupBits", "native_group_bits"]


class GroupBits(Protocol):
    """The signature of a native seed loop."""

    def __call__(
        self,
        key: tuple[Any, Any],
        thresholds: Any,
        groups: Any,
        *,
        device: Any = None,
        xp: ModuleType,
    ) -> Any: ...


NATIVE_GROUP_BITS: tuple[tuple[Callable[[ModuleType], bool], str], ...] = (
    (is_jax_namespace, "dropblock_core._native_jax:group_bits"),
    (is_tensorflow_namespace, "dropblock_core._native_tf:group_bits"),
)


def native_group_bits(xp: ModuleType) -> GroupBits | None:
    """The native group-bits function for ``xp``, or ``None`` (standard paths)."""
    for predicate, target in NATIVE_GROUP_BITS:
        if predicate(xp):
            module, name = target.split(":")
            found: GroupBits = getattr(importlib.import_module(module), name)
            return found
    return None
