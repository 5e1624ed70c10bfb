"""The rescale rules: the factor each would apply, how far kept values are
from it, and the tolerance a dtype allows (shared by the rescale, edge-case
and gradient checks)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["closest_rule", "rescale_error", "rule_errors", "scale_candidates", "tolerance"]


def tolerance(dtype: np.dtype) -> float:
    """Relative tolerance for a kept value ``x * scale`` computed in ``dtype``.

    Rounding the product and the scale costs at most a few ulps of ``dtype``
    (the factor 4), and a float32 scale adds about 64 float32 ulps of slack.

    >>> f"{tolerance(np.dtype(np.float32)):.1e}", f"{tolerance(np.dtype(np.float16)):.1e}"
    ('8.1e-06', '3.9e-03')
    """
    eps = float(np.finfo(np.float32).eps)
    try:
        own = float(np.finfo(dtype).eps)
    except (TypeError, ValueError):  # ml_dtypes.bfloat16
        own = 2.0**-7
    return 4 * max(own, eps) + 64 * eps


def scale_candidates(dropped: np.ndarray, drop_prob: float) -> dict[str, np.ndarray]:
    """The factor each rescale rule would apply, broadcastable to the input.

    ``global``: units / kept units over the tensor; ``per_sample``: the same
    per sample; ``expected``: 1 / (1 - drop_prob); ``none``: 1.

    >>> d = np.zeros((2, 1, 2, 2), bool); d[0, 0, 0] = True
    >>> {k: np.round(v.ravel(), 3).tolist() for k, v in scale_candidates(d, 0.5).items()}
    {'global': [1.333], 'per_sample': [2.0, 1.0], 'expected': [2.0], 'none': [1.0]}
    """
    n = dropped.shape[0]
    kept = (~dropped).reshape(n, -1).sum(axis=1).astype(np.float64)
    per_sample = np.divide(dropped[0].size, kept, out=np.zeros(n), where=kept > 0)
    total = kept.sum()
    shape = (n,) + (1,) * (dropped.ndim - 1)
    return {
        "global": np.array(dropped.size / total if total else 0.0).reshape((1,) * dropped.ndim),
        "per_sample": per_sample.reshape(shape),
        "expected": np.array(1.0 / (1.0 - drop_prob)).reshape((1,) * dropped.ndim),
        "none": np.ones((1,) * dropped.ndim),
    }


def rescale_error(x: np.ndarray, y: np.ndarray, scale: np.ndarray) -> float:
    """Largest relative error of the kept values ``y`` against ``x * scale``.

    >>> x = np.ones((1, 1, 2)); rescale_error(x, 2 * x, np.array(2.0).reshape(1, 1, 1))
    0.0
    """
    x64 = x.astype(np.float64)
    y64 = y.astype(np.float64)
    kept = y64 != 0
    if not kept.any():
        return 0.0
    want = np.broadcast_to(x64 * scale, x.shape)[kept]
    err = np.abs(y64[kept] - want) / np.abs(want)
    return float(err.max()) if math.isfinite(float(err.max())) else math.inf


def rule_errors(x: np.ndarray, y: np.ndarray, drop_prob: float) -> dict[str, float]:
    """Largest relative error of the kept values under each rescale rule.

    >>> x = np.ones((2, 1, 4)); y = x.copy(); y[0, 0, :2] = 0; y[y != 0] *= 8 / 6
    >>> {k: round(v, 3) for k, v in rule_errors(x, y, 0.25).items()}
    {'global': 0.0, 'per_sample': 0.333, 'expected': 0.0, 'none': 0.333}
    """
    candidates = scale_candidates(y == 0, drop_prob)
    return {rule: rescale_error(x, y, scale) for rule, scale in candidates.items()}


def closest_rule(x: np.ndarray, y: np.ndarray, drop_prob: float) -> tuple[str, float]:
    """The rescale rule that best explains the kept values, and its error.
    Edge cases use it so that a wrong rule is reported once, by the rescale check.

    >>> x = np.ones((1, 1, 4)); y = x.copy(); y[0, 0, 0] = 0
    >>> closest_rule(x, y, 0.25)
    ('none', 0.0)
    """
    errors = rule_errors(x, y, drop_prob)
    rule = min(errors, key=errors.__getitem__)
    return rule, errors[rule]
