"""The drop rate: achieved against the exact expectation of the claimed spec.

The standard error is estimated over *calls*: each call draws its own masks,
so per-call drop fractions are independent whatever the implementation shares
inside a call (units within a mask, or masks shared over channels, are not).
"""

from __future__ import annotations

import math

import numpy as np

from ..check import Check, Context
from ..probe import batch_layout
from ..registry import register
from ..result import CheckResult
from .cases import MapCase, rank_cases

__all__ = ["CHECK", "SIGMAS", "case_of", "check_rate", "rate_cases"]

SIGMAS = 5.0

_OWN: dict[int, list[tuple[tuple[int, ...], int, float]]] = {
    1: [((7,), 7, 0.1), ((28,), 7, 0.1), ((112,), 7, 0.1), ((30,), 3, 0.2), ((32,), 4, 0.15)],
    2: [
        ((7, 7), 7, 0.1),
        ((14, 14), 7, 0.1),
        ((28, 28), 7, 0.1),
        ((56, 56), 7, 0.1),
        ((14, 21), 7, 0.1),
        ((21, 14), 7, 0.1),
        ((12, 12), 3, 0.2),
        ((16, 16), 4, 0.15),
    ],
    3: [((7, 7, 7), 7, 0.1), ((14, 14, 14), 7, 0.1), ((8, 10, 12), 3, 0.2), ((8, 8, 8), 4, 0.15)],
}
_OTHER: dict[int, tuple[tuple[int, ...], int, float]] = {
    1: ((64,), 5, 0.1),
    2: ((14, 14), 7, 0.1),
    3: ((10, 10, 10), 3, 0.1),
}


def rate_cases(ndim: int) -> list[MapCase]:
    """The cases for an implementation of spatial rank ``ndim``: its own maps
    (even blocks optional) and one map of each other rank (optional).

    >>> [c.label() for c in rate_cases(2)][:3]
    ['7x7 b=7 p=0.1', '14x14 b=7 p=0.1', '28x28 b=7 p=0.1']
    """
    return rank_cases(ndim, _OWN, _OTHER)


def check_rate(ctx: Context, case: MapCase) -> CheckResult:
    """Mean drop fraction over independent calls vs the spec's expected rate,
    within 5 standard errors."""
    return ctx.guarded(case.label(), lambda: _measure(ctx, case))


def _measure(ctx: Context, case: MapCase) -> CheckResult:
    sizes, spec = ctx.sizes, ctx.spec
    calls = sizes["calls"]
    units = math.prod(case.spatial)
    masks = max(4 * calls, min(sizes["masks"], sizes["elements"] // units))
    batch, channels = batch_layout(masks // calls, spec.share_batch)
    shape = (batch, channels, *case.spatial)
    fractions = np.array(
        [
            np.mean(y == 0)
            for _, y in ctx.probe.samples(
                shape, case.drop_prob, case.block, calls, optional=case.optional
            )
        ]
    )
    achieved = float(fractions.mean())
    se = max(float(fractions.std(ddof=1)) / math.sqrt(len(fractions)), 1e-9)
    expected = spec.expected_rate(case.drop_prob, case.block, case.spatial)
    z = (achieved - expected) / se
    return ctx.result(
        case.label(),
        abs(z) <= SIGMAS,
        f"{achieved:.4f} ± {se:.4f}",
        f"{expected:.4f} ± {SIGMAS * se:.4f}",
        f"requested {case.drop_prob}, achieved {achieved:.4f}, spec ({spec.gamma} gamma, "
        f"{spec.seed_region} seeds) expects {expected:.4f}: {z:+.1f} SE",
        {
            "spatial": list(case.spatial),
            "block": case.block,
            "requested": case.drop_prob,
            "expected": expected,
            "achieved": achieved,
            "se": se,
            "z": z,
            "masks": len(fractions) * batch * channels,
        },
    )


def case_of(result: CheckResult) -> MapCase | None:
    """The case a measured drop-rate result was taken on (``None`` when it
    holds no measurement: the implementation raised).

    >>> r = CheckResult("drop rate", "-", "pass", "", "", "", {"spatial": [9], "block": 3,
    ...                 "requested": 0.2})
    >>> case_of(r)
    MapCase(spatial=(9,), block=3, drop_prob=0.2, optional=False)
    """
    data = result.data
    if not {"spatial", "block", "requested"} <= set(data):
        return None
    return MapCase(tuple(data["spatial"]), data["block"], data["requested"])


CHECK = register(
    Check(
        "drop rate",
        "mean dropped fraction over {calls} independent calls vs\n"
        "the exact expected rate of the claimed gamma and seed region\n"
        "(`expected_drop_rate`); bound 5 standard errors estimated over calls (units of a\n"
        "mask, and masks an implementation shares, are not independent; calls are).",
        rate_cases,
        check_rate,
        sizes={
            "full": {"calls": 32, "masks": 16384, "elements": 1 << 22},
            "quick": {"calls": 16, "masks": 4096, "elements": 1 << 19},
        },
    )
)
