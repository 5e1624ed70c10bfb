"""Check 5: kept values equal ``x * scale`` for the claimed rescale rule; the rule
actually used (global, per_sample, expected, none) is detected and reported."""

from __future__ import annotations

import numpy as np

from ..probe import fmt_shape
from ..result import CheckResult
from .base import Context, guarded, rescale_error, scale_candidates, tolerance

__all__ = ["CHECK", "check_rescale", "detect_rule", "rule_errors"]

CHECK = "rescale"


def rule_errors(x: np.ndarray, y: np.ndarray, drop_prob: float) -> dict[str, float]:
    """Largest relative error of the kept values under each rescale rule.

    >>> x = np.ones((2, 1, 4)); y = x.copy(); y[0, 0, :2] = 0; y[y != 0] *= 8 / 6
    >>> {k: round(v, 3) for k, v in rule_errors(x, y, 0.25).items()}
    {'global': 0.0, 'per_sample': 0.333, 'expected': 0.0, 'none': 0.333}
    """
    candidates = scale_candidates(y == 0, drop_prob)
    return {rule: rescale_error(x, y, scale) for rule, scale in candidates.items()}


def detect_rule(errors: dict[str, float], tol: float) -> list[str]:
    """The rules whose error is within ``tol``."""
    return [rule for rule, err in errors.items() if err <= tol]


def check_rescale(ctx: Context) -> CheckResult:
    spatial = {1: (60,), 2: (12, 12), 3: (6, 7, 8)}[ctx.ndim]
    label = f"{fmt_shape(spatial)} b=3 p=0.2"
    return guarded(CHECK, label, lambda: _measure(ctx, spatial, label))


def _measure(ctx: Context, spatial: tuple[int, ...], label: str) -> CheckResult:
    worst: dict[str, float] = {}
    for x, y in ctx.probe.samples((4, 3, *spatial), 0.2, 3, ctx.budget.rescale_calls):
        for rule, err in rule_errors(x, y, 0.2).items():
            worst[rule] = max(worst.get(rule, 0.0), err)
    tol = tolerance(np.dtype(np.float32))
    found = detect_rule(worst, tol)
    claimed = ctx.spec.normalize
    ok = worst[claimed] <= tol
    return CheckResult(
        CHECK,
        label,
        "pass" if ok else "fail",
        f"rel. err {worst[claimed]:.1e}",
        f"≤ {tol:.1e}",
        f"claimed {claimed}, kept values match: {', '.join(found) or 'no standard rule'}",
        {"errors": worst, "found": found, "tolerance": tol},
    )
