"""Rescale: kept values equal ``x * scale`` for the claimed rescale rule; the rule
actually used (global, per_sample, expected, none) is detected and reported."""

from __future__ import annotations

import numpy as np

from ..check import Check, Context
from ..probe import fmt_shape
from ..registry import register
from ..result import CheckResult
from .scaling import rule_errors, tolerance

__all__ = ["CHECK", "check_rescale", "detect_rule", "rescale_maps"]


def detect_rule(errors: dict[str, float], tol: float) -> list[str]:
    """The rules whose error is within ``tol``.

    >>> detect_rule({"global": 0.0, "none": 0.3}, 1e-5)
    ['global']
    """
    return [rule for rule, err in errors.items() if err <= tol]


def rescale_maps(ndim: int) -> list[tuple[int, ...]]:
    """The one case: a map of rank ``ndim`` (block 3, drop 0.2).

    >>> rescale_maps(2)
    [(12, 12)]
    """
    return [{1: (60,), 2: (12, 12), 3: (6, 7, 8)}[ndim]]


def check_rescale(ctx: Context, spatial: tuple[int, ...]) -> CheckResult:
    label = f"{fmt_shape(spatial)} b=3 p=0.2"
    return ctx.guarded(label, lambda: _measure(ctx, spatial, label))


def _measure(ctx: Context, spatial: tuple[int, ...], label: str) -> CheckResult:
    worst: dict[str, float] = {}
    for x, y in ctx.probe.samples((4, 3, *spatial), 0.2, 3, ctx.sizes["calls"]):
        for rule, err in rule_errors(x, y, 0.2).items():
            worst[rule] = max(worst.get(rule, 0.0), err)
    tol = tolerance(np.dtype(np.float32))
    found = detect_rule(worst, tol)
    claimed = ctx.spec.normalize
    return ctx.result(
        label,
        worst[claimed] <= tol,
        f"rel. err {worst[claimed]:.1e}",
        f"≤ {tol:.1e}",
        f"claimed {claimed}, kept values match: {', '.join(found) or 'no standard rule'}",
        {"errors": worst, "found": found, "tolerance": tol},
    )


CHECK = register(
    Check(
        "rescale",
        "kept values equal x times the claimed scale (global, per_sample,\n"
        "expected, none) within a few ulps; the rule actually used is detected.",
        rescale_maps,
        check_rescale,
        sizes={"full": {"calls": 8}, "quick": {"calls": 4}},
    )
)
