"""Check 1: the achieved drop rate against the exact expectation of the claimed spec.

The standard error is estimated over *calls*: each call draws its own masks,
so per-call drop fractions are independent whatever the implementation shares
inside a call (units within a mask, or masks shared over channels, are not).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..probe import batch_layout, fmt_shape
from ..result import CheckResult
from .base import Context, guarded

__all__ = ["CHECK", "RateCase", "check_rate", "rate_cases"]

CHECK = "drop rate"
SIGMAS = 5.0


class RateCase(NamedTuple):
    spatial: tuple[int, ...]
    block: int
    drop_prob: float
    optional: bool  # an exception means "not supported", not a failure


_PRIMARY: dict[int, list[tuple[tuple[int, ...], int, float]]] = {
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


def rate_cases(ndim: int) -> list[RateCase]:
    """The cases for an implementation of spatial rank ``ndim``: its own maps
    (even blocks optional) and one map of each other rank (optional).

    >>> [fmt_shape(c.spatial) for c in rate_cases(2)][:4]
    ['7x7', '14x14', '28x28', '56x56']
    """
    cases = [RateCase(s, b, p, b % 2 == 0) for s, b, p in _PRIMARY[ndim]]
    cases += [RateCase(*_OTHER[d], True) for d in sorted(_OTHER) if d != ndim]
    return cases


def check_rate(ctx: Context, case: RateCase) -> CheckResult:
    """Mean drop fraction over independent calls vs the spec's expected rate,
    within 5 standard errors."""
    label = f"{fmt_shape(case.spatial)} b={case.block} p={case.drop_prob}"
    return guarded(CHECK, label, lambda: _measure(ctx, case, label))


def _measure(ctx: Context, case: RateCase, label: str) -> CheckResult:
    budget, spec = ctx.budget, ctx.spec
    units = math.prod(case.spatial)
    masks = max(4 * budget.rate_calls, min(budget.rate_masks, budget.rate_elements // units))
    batch, channels = batch_layout(masks // budget.rate_calls, spec.share_batch)
    shape = (batch, channels, *case.spatial)
    fractions = np.array(
        [
            np.mean(y == 0)
            for _, y in ctx.probe.samples(
                shape, case.drop_prob, case.block, budget.rate_calls, optional=case.optional
            )
        ]
    )
    achieved = float(fractions.mean())
    se = max(float(fractions.std(ddof=1)) / math.sqrt(len(fractions)), 1e-9)
    expected = spec.expected_rate(case.drop_prob, case.block, case.spatial)
    z = (achieved - expected) / se
    ok = abs(z) <= SIGMAS
    return CheckResult(
        CHECK,
        label,
        "pass" if ok else "fail",
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
