"""Gradient: the mask times the scale of the same forward pass."""

from __future__ import annotations

import numpy as np

from ..check import Check, Context
from ..probe import fmt_shape
from ..registry import register
from ..result import CheckResult, Status
from .scaling import tolerance

__all__ = ["CHECK", "check_gradient", "gradient_maps"]


def gradient_maps(ndim: int) -> list[tuple[int, ...]]:
    """The one case: a map of rank ``ndim`` (block 3, drop 0.2).

    >>> gradient_maps(3)
    [(6, 6, 6)]
    """
    return [{1: (40,), 2: (10, 10), 3: (6, 6, 6)}[ndim]]


def check_gradient(ctx: Context, spatial: tuple[int, ...]) -> CheckResult:
    """``d(y . g)/dx == g * y / x`` elementwise (x > 0), with ``g`` random."""
    label = f"{fmt_shape(spatial)} b=3 p=0.2"
    grad = ctx.probe.impl.grad
    if grad is None:
        return ctx.result(label, Status.SKIPPED, "-", "-", "no gradient function given")
    probe = ctx.probe
    shape = (2, 3, *spatial)
    x = probe.input(shape)
    g = probe.rng.normal(size=shape).astype(np.float32)
    last = probe.impl.channels_last

    def physical(a: np.ndarray) -> np.ndarray:
        return np.array(np.moveaxis(a, 1, -1) if last else a, copy=True)

    def logical(a: object) -> np.ndarray:
        a = np.asarray(a)
        return np.moveaxis(a, -1, 1) if last else a

    try:
        y, gx = grad(physical(x), 0.2, 3, physical(g))
    except Exception as exc:
        why = f"no gradient: {type(exc).__name__}: {exc}"[:200]
        return ctx.result(label, Status.UNSUPPORTED, "raised", "-", why)
    y, gx = logical(y).astype(np.float64), logical(gx).astype(np.float64)
    want = g * (y / x)
    floor = 1e-6 * float(np.max(np.abs(want), initial=1.0))
    err = float(np.max(np.abs(gx - want) / (np.abs(want) + floor)))
    tol = tolerance(np.dtype(np.float32))
    dropped = float(np.mean(y == 0))
    ok = err <= tol
    return ctx.result(
        label,
        ok,
        f"rel. err {err:.1e}",
        f"≤ {tol:.1e}",
        f"gradient {'equals' if ok else 'differs from'} upstream x mask x scale "
        f"({dropped:.2f} of the units dropped)",
        {"error": err},
    )


CHECK = register(
    Check(
        "gradient",
        "the upstream gradient times mask times scale (framework wrappers).",
        gradient_maps,
        check_gradient,
    )
)
