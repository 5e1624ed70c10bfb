"""Mask coupling: masks are independent or shared across channels and samples, as claimed.

Shared (claimed): every call's masks are identical along the axis (exact).
Independent (claimed): the co-drop rate of neighbours along the axis in the
same call must match the co-drop rate of the same units taken from two
different calls, which are independent by construction. The difference is
averaged over pairs of calls and must stay within 5 standard errors (one-sided:
coupling raises the co-drop rate).
"""

from __future__ import annotations

import math

import numpy as np

from ..check import Check, Context
from ..probe import fmt_shape
from ..registry import register
from ..result import CheckResult

__all__ = ["AXES", "CHECK", "check_coupling", "coupling_axes", "coupling_case"]

AXES = {"channels": 1, "batch": 0}
SIGMAS = 5.0


def coupling_case(ndim: int) -> tuple[tuple[int, ...], int, float]:
    """``(spatial, block, drop_prob)``: many blocks per mask, few all-kept masks.

    >>> coupling_case(2)
    ((10, 10), 3, 0.2)
    """
    return {1: ((40,), 3, 0.2), 2: ((10, 10), 3, 0.2), 3: ((6, 6, 6), 3, 0.2)}[ndim]


def coupling_axes(ndim: int) -> list[str]:
    """The cases: channels, then the batch (whatever the rank).

    >>> coupling_axes(2)
    ['channels', 'batch']
    """
    return list(AXES)


def _codrop(a: np.ndarray, b: np.ndarray, axis: int) -> float:
    """Mean of a[i] * b[i+1] along ``axis``: neighbours' joint drop rate."""
    n = a.shape[axis]
    return float(np.mean(np.take(a, range(n - 1), axis) & np.take(b, range(1, n), axis)))


def check_coupling(ctx: Context, axis_name: str) -> CheckResult:
    """Along ``axis_name`` (a key of :data:`AXES`)."""
    spatial, block, drop = coupling_case(ctx.ndim)
    label = f"{axis_name} {fmt_shape(spatial)} b={block}"
    return ctx.guarded(label, lambda: _measure(ctx, axis_name, spatial, block, drop, label))


def _measure(
    ctx: Context, axis_name: str, spatial: tuple[int, ...], block: int, drop: float, label: str
) -> CheckResult:
    axis = AXES[axis_name]
    shared = ctx.spec.share_channels if axis_name == "channels" else ctx.spec.share_batch
    calls = [
        y == 0 for _, y in ctx.probe.samples((4, 4, *spatial), drop, block, 2 * ctx.sizes["pairs"])
    ]
    differing = sum(
        not np.array_equal(d, np.broadcast_to(np.take(d, [0], axis), d.shape)) for d in calls
    )
    diffs = np.array(
        [_codrop(a, a, axis) - _codrop(a, b, axis) for a, b in zip(calls[::2], calls[1::2])]
    )
    se = max(float(diffs.std(ddof=1)) / math.sqrt(len(diffs)), 1e-12)
    z = float(diffs.mean()) / se
    if differing == 0:
        found = "shared"
    elif z <= SIGMAS:
        found = "independent"
    else:
        found = "coupled"
    data = {"found": found, "calls_differing": differing, "z": z}
    if shared:
        ok = differing == 0
        measured, bound = f"{differing}/{len(calls)} calls differ", "0 calls differ"
    else:
        ok = z <= SIGMAS and differing > 0
        measured, bound = f"{z:+.1f} SE", f"≤ {SIGMAS:g} SE"
    claim = "shared" if shared else "independent"
    return ctx.result(
        label,
        ok,
        measured,
        bound,
        f"masks along {axis_name}: claimed {claim}, found {found} "
        f"(co-drop excess over independent calls {z:+.1f} SE)",
        data,
    )


CHECK = register(
    Check(
        "mask coupling",
        "shared axes give identical masks; independent axes show no\n"
        "excess co-drop over masks from different calls (5 standard errors).",
        coupling_axes,
        check_coupling,
        sizes={"full": {"pairs": 16}, "quick": {"pairs": 8}},
    )
)
