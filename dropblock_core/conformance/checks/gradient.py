"""Check 7: the gradient is the mask times the scale of the same forward pass."""

from __future__ import annotations

import numpy as np

from ..probe import fmt_shape
from ..result import CheckResult
from .base import Context, tolerance

__all__ = ["CHECK", "check_gradient"]

CHECK = "gradient"


def check_gradient(ctx: Context) -> CheckResult:
    """``d(y . g)/dx == g * y / x`` elementwise (x > 0), with ``g`` random."""
    spatial = {1: (40,), 2: (10, 10), 3: (6, 6, 6)}[ctx.ndim]
    label = f"{fmt_shape(spatial)} b=3 p=0.2"
    grad = ctx.probe.impl.grad
    if grad is None:
        return CheckResult(CHECK, label, "skipped", "-", "-", "no gradient function given")
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
        return CheckResult(CHECK, label, "unsupported", "raised", "-", why)
    y, gx = logical(y).astype(np.float64), logical(gx).astype(np.float64)
    want = g * (y / x)
    floor = 1e-6 * float(np.max(np.abs(want), initial=1.0))
    err = float(np.max(np.abs(gx - want) / (np.abs(want) + floor)))
    tol = tolerance(np.dtype(np.float32))
    dropped = float(np.mean(y == 0))
    ok = err <= tol
    return CheckResult(
        CHECK,
        label,
        "pass" if ok else "fail",
        f"rel. err {err:.1e}",
        f"≤ {tol:.1e}",
        f"gradient {'equals' if ok else 'differs from'} upstream x mask x scale "
        f"({dropped:.2f} of the units dropped)",
        {"error": err},
    )
