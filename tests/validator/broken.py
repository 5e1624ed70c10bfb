"""Implementations that are broken as implementations, not as DropBlocks: what
``dropblock-core validate --target`` must judge without crashing."""

from __future__ import annotations

import numpy as np

from dropblock_core.conformance import Implementation

__all__ = [
    "raises",
    "raises_on_reseed",
    "returns_none",
    "returns_text",
    "wrong_signature",
]


def raises(x: np.ndarray, drop_prob: float, block_size: int) -> np.ndarray:
    raise RuntimeError("broken")


def wrong_signature(x: np.ndarray) -> np.ndarray:
    return x


def returns_none(x: np.ndarray, drop_prob: float, block_size: int) -> None:
    return None


def returns_text(x: np.ndarray, drop_prob: float, block_size: int) -> np.ndarray:
    return np.full(x.shape, "dropped")


def _reseed(seed: int) -> None:
    raise RuntimeError("cannot reseed")


raises_on_reseed = Implementation(lambda x, p, b: x, reseed=_reseed)
