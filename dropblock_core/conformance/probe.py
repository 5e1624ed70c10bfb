"""Calling the implementation: inputs, layout, and turning exceptions into verdicts."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import numpy as np
from numpy.typing import DTypeLike

from .implementation import Implementation

__all__ = [
    "ImplementationError",
    "Probe",
    "Unsupported",
    "batch_layout",
    "describe_error",
    "fmt_shape",
]


class Unsupported(Exception):
    """The implementation raised on an input it need not accept."""


class ImplementationError(Exception):
    """The implementation raised on an input it must accept, or returned a wrong shape."""


def fmt_shape(spatial: Sequence[int]) -> str:
    """``(14, 21)`` -> ``'14x21'``.

    >>> fmt_shape((14, 21))
    '14x21'
    """
    return "x".join(str(s) for s in spatial)


def describe_error(exc: BaseException) -> str:
    """``Type: message`` on one line, terminal escapes removed, at most 160 characters.

    >>> describe_error(ValueError("block size\\nshould be odd"))
    'ValueError: block size should be odd'
    """
    text = re.sub(r"\x1b\[[0-9;]*m|\[[0-9;]*m", "", str(exc))
    text = " ".join(text.split())
    return f"{type(exc).__name__}: {text}"[:160]


class Probe:
    """Calls an :class:`Implementation` with NumPy inputs in the logical
    ``(batch, channels, *spatial)`` layout and returns outputs in that layout.

    Inputs are uniform in [0.5, 1.5): never zero, so a zero output is a dropped
    unit and ``y / x`` is the applied scale.

    >>> probe = Probe(Implementation(lambda x, p, b: 2 * x), seed=0)
    >>> x = probe.input((1, 2, 3, 3))
    >>> bool(np.all(probe.call(x, 0.1, 3) == 2 * x))
    True
    """

    def __init__(self, impl: Implementation, seed: int) -> None:
        self.impl = impl
        self.rng = np.random.default_rng(seed)
        self.mutated = False  # set when the implementation wrote into its input

    def input(self, shape: Sequence[int], dtype: DTypeLike = np.float32) -> np.ndarray:
        """Random positive input of ``shape`` (logical layout)."""
        return self.rng.uniform(0.5, 1.5, size=tuple(shape)).astype(dtype)

    def call(
        self,
        x: np.ndarray,
        drop_prob: float,
        block_size: int,
        *,
        optional: bool = False,
        mode: str = "train",
    ) -> np.ndarray:
        """``fn(x, drop_prob, block_size)`` (``mode="eval"``: the eval function).

        An exception becomes :class:`Unsupported` when ``optional`` (1-D/3-D
        maps, even blocks, other dtypes...) and :class:`ImplementationError`
        otherwise.
        """
        fn = self.impl.forward if mode == "train" else self.impl.eval
        if fn is None:
            raise ValueError(f"no function for mode={mode!r}")
        physical = np.moveaxis(x, 1, -1) if self.impl.channels_last else x
        given = np.array(physical, copy=True, order="C")
        try:
            y = np.asarray(fn(given, drop_prob, block_size))
        except Exception as exc:
            kind = Unsupported if optional else ImplementationError
            raise kind(describe_error(exc)) from exc
        if not np.array_equal(given, physical):
            self.mutated = True
        if y.shape != physical.shape:
            raise ImplementationError(f"output shape {y.shape} != input shape {physical.shape}")
        if y.dtype.kind not in "biuf" and y.dtype.name != "bfloat16":
            raise ImplementationError(f"output dtype {y.dtype} is not a real number type")
        return np.moveaxis(y, -1, 1) if self.impl.channels_last else y

    def samples(
        self,
        shape: Sequence[int],
        drop_prob: float,
        block_size: int,
        calls: int,
        *,
        optional: bool = False,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``calls`` independent calls on fresh inputs: ``(x, y)`` pairs."""
        for _ in range(calls):
            x = self.input(shape)
            yield x, self.call(x, drop_prob, block_size, optional=optional)


def batch_layout(masks: int, share_batch: bool) -> tuple[int, int]:
    """``(batch, channels)`` holding ``masks`` masks along one axis only: the
    batch, or the channels when the spec claims masks shared over the batch.
    Sharing along the other axis (claimed or not) then cannot shrink the
    number of independent masks.

    >>> batch_layout(256, False), batch_layout(256, True)
    ((256, 1), (1, 256))
    """
    masks = max(1, masks)
    return (1, masks) if share_batch else (masks, 1)
