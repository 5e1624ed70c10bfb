"""Gamma and the gap thresholds computed in the graph from an array ``drop_prob``.

A 0-d array ``drop_prob`` -- possibly traced: a ``jax.jit`` tracer, a
``torch.compile`` fake tensor, a TensorFlow graph tensor -- cannot be solved on
the host, so a schedule that changes it every step would recompile. These
functions compute gamma and the 32 gap thresholds (``rng.gap_thresholds``) with
standard array-API operations only, from static host data:

* ``"paper"``: the closed form ``drop * prod(S) / (prod(b) * prod(S - b + 1))``;
* ``"exact"``: :data:`NEWTON_STEPS` Newton steps, in ``u = log1p(-gamma)``, on
  ``log keep(u) = log1p(-drop)`` where ``keep(u) = sum_n a_n exp(n u)`` is the
  expected kept fraction over the coverage-count histogram
  (``gamma._weighted_counts``). ``log keep`` is convex and increasing in ``u``,
  and the start ``log1p(-drop) / mean(n)`` lies right of the root (Jensen), so
  the steps descend monotonically; at most 5 were needed on the tested grid.

They compute in float64, or float32 on JAX without 64-bit types. A Python-float
``drop_prob`` never comes here: the host gamma is used and masks stay
bit-identical. Traced values cannot be range-checked: a traced ``drop_prob``
of 1 or more gives gamma 1 (everything dropped); a negative or NaN one gives 0.

>>> import numpy as np, dropblock_core as db
>>> from dropblock_core._namespace import default_namespace
>>> xp = default_namespace()
>>> g = exact_gamma_xp(xp.asarray(0.1), (7, 7), (14, 14), "valid", xp=xp)
>>> bool(abs(float(g) - db.exact_gamma(0.1, 7, (14, 14))) < 1e-15)
True
"""

from __future__ import annotations

import math
import numbers
import sys
from types import ModuleType
from typing import Any

from ._namespace import array_namespace, wide_float_dtype, word_dtype
from .gamma import _weighted_counts
from .threefry import MASK32

__all__ = [
    "NEWTON_STEPS",
    "as_drop_array",
    "concrete_float",
    "drop_namespace",
    "exact_gamma_xp",
    "gamma_xp",
    "gap_thresholds_xp",
    "is_drop_array",
    "paper_gamma_xp",
]

NEWTON_STEPS = 8
_GROUP = 32  # rng.GROUP (rng imports this module)
_EXPECTED = "drop_prob must be a real number in [0, 1) or a 0-d real floating array, got {!r}"


def is_drop_array(drop_prob: Any) -> bool:
    """Whether ``drop_prob`` takes the in-graph path: not a Python/NumPy real number.

    >>> import numpy as np
    >>> is_drop_array(0.1), is_drop_array(np.float32(0.1)), is_drop_array(np.asarray(0.1))
    (False, False, True)
    """
    return not isinstance(drop_prob, numbers.Real)


def concrete_float(value: Any) -> float | None:
    """The value of a 0-d array as a float, or ``None`` when it cannot be read
    without leaving a graph (a JAX tracer, a TensorFlow graph tensor, a torch
    fake or meta tensor, anything under ``torch.compile``).

    >>> import numpy as np
    >>> concrete_float(np.asarray(0.25))
    0.25
    """
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        if torch.compiler.is_compiling() or value.device.type == "meta":
            return None
        fake = sys.modules.get("torch._subclasses.fake_tensor")
        if fake is not None and isinstance(value, fake.FakeTensor):
            return None
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError):  # tracers and graph tensors refuse
        return None


def drop_namespace(drop_prob: Any) -> ModuleType:
    """The array-API namespace of an array ``drop_prob`` (``TypeError`` if none)."""
    try:
        return array_namespace(drop_prob)
    except TypeError as exc:
        raise TypeError(_EXPECTED.format(drop_prob)) from exc


def as_drop_array(drop_prob: Any, *, xp: ModuleType | None = None) -> Any:
    """Check an array ``drop_prob`` and return it as a 0-d array of ``xp`` in the
    wide float dtype. ``xp=None`` takes the namespace of ``drop_prob``.

    A concrete value is range-checked like a float; a traced one cannot be.

    >>> import numpy as np
    >>> as_drop_array(np.asarray(0.5, dtype=np.float32)).dtype
    dtype('float64')
    >>> as_drop_array(np.asarray(1.5))
    Traceback (most recent call last):
    ...
    ValueError: drop_prob must be in [0, 1), got 1.5
    """
    xp = drop_namespace(drop_prob) if xp is None else xp
    dtype = getattr(drop_prob, "dtype", None)
    if dtype is None or getattr(drop_prob, "shape", None) is None:
        raise TypeError(_EXPECTED.format(drop_prob))
    drop = xp.asarray(drop_prob)
    if not xp.isdtype(drop.dtype, "real floating"):
        raise TypeError(f"drop_prob must have a real floating dtype, got {dtype}")
    if tuple(drop.shape) != ():
        raise ValueError(f"drop_prob must be a 0-d array, got shape {tuple(drop.shape)}")
    value = concrete_float(drop)
    if value is not None and not (0.0 <= value < 1.0):
        raise ValueError(f"drop_prob must be in [0, 1), got {value!r}")
    return xp.astype(drop, wide_float_dtype(xp))


def paper_gamma_xp(
    drop: Any, block: tuple[int, ...], spatial: tuple[int, ...], *, xp: ModuleType
) -> Any:
    """:func:`dropblock_core.paper_gamma` of a 0-d array (same operations, so
    float64 results equal the host's bit for bit).

    >>> import numpy as np
    >>> from dropblock_core._namespace import default_namespace
    >>> xp = default_namespace()
    >>> float(paper_gamma_xp(xp.asarray(0.1), (7, 7), (14, 14), xp=xp))
    0.00625
    """
    numerator = drop * float(math.prod(spatial))
    denominator = float(math.prod(block) * math.prod(s - b + 1 for s, b in zip(spatial, block)))
    gamma = xp.minimum(numerator / denominator, xp.ones_like(drop))
    return _sanitize(drop, gamma, xp=xp)


def exact_gamma_xp(
    drop: Any,
    block: tuple[int, ...],
    spatial: tuple[int, ...],
    seed_region: str,
    *,
    xp: ModuleType,
) -> Any:
    """:func:`dropblock_core.exact_gamma` of a 0-d array: :data:`NEWTON_STEPS`
    Newton steps on the closed form (see the module docstring).

    >>> import numpy as np
    >>> from dropblock_core._namespace import default_namespace
    >>> xp = default_namespace()
    >>> float(exact_gamma_xp(xp.asarray(0.0), (3,), (9,), "valid", xp=xp))
    0.0
    """
    values, weights = _weighted_counts(block, spatial, seed_region)
    total = float(math.prod(spatial))
    dtype = drop.dtype
    device = getattr(drop, "device", None)
    share = xp.asarray(weights / total, dtype=dtype, device=device)
    counts = xp.asarray(values, dtype=dtype, device=device)
    safe = xp.where((drop >= 0.0) & (drop < 1.0), drop, xp.zeros_like(drop))
    target = xp.log1p(-safe)  # log of the kept fraction to reach
    mean_count = float(weights @ values) / total
    lo = target / float(values.min())  # here every unit keeps <= 1 - drop
    hi = target / float(values.max())  # here every unit keeps >= 1 - drop
    u = target / mean_count  # keep(u) >= exp(mean(n) u) = 1 - drop: right of the root
    one = xp.ones_like(u)
    for _ in range(NEWTON_STEPS):
        nu = counts * u
        kept = xp.exp(nu)
        keep = xp.sum(share * kept)
        keep_minus_one = xp.sum(share * xp.expm1(nu))  # precise when keep is near 1
        near_one = keep_minus_one >= -0.5  # both branches are evaluated: keep them finite
        log_keep = xp.where(
            near_one, xp.log1p(xp.maximum(keep_minus_one, -0.5 * one)), xp.log(keep)
        )
        slope = xp.sum(share * counts * kept) / keep  # d log keep / du, in [min n, max n]
        u = xp.minimum(xp.maximum(u - (log_keep - target) / slope, lo), hi)
    return _sanitize(drop, -xp.expm1(u), xp=xp)


def _sanitize(drop: Any, gamma: Any, *, xp: ModuleType) -> Any:
    """Unchecked traced values: drop >= 1 gives gamma 1; drop <= 0 or NaN gives 0."""
    one, zero = xp.ones_like(gamma), xp.zeros_like(gamma)
    return xp.where(drop >= 1.0, one, xp.where(drop > 0.0, gamma, zero))


def gamma_xp(
    drop: Any,
    rule: str,
    block: tuple[int, ...],
    spatial: tuple[int, ...],
    seed_region: str,
    *,
    xp: ModuleType,
) -> Any:
    """Gamma for ``rule`` (``"exact"`` or ``"paper"``) from a 0-d ``drop`` array."""
    if rule == "paper":
        return paper_gamma_xp(drop, block, spatial, xp=xp)
    return exact_gamma_xp(drop, block, spatial, seed_region, xp=xp)


def gap_thresholds_xp(gamma: Any, *, xp: ModuleType) -> Any:
    """:func:`dropblock_core.rng.gap_thresholds` of a 0-d ``gamma`` array, as
    words of ``xp`` (``uint32``; ``int64`` on torch). In float64 the formula
    and its rounding are the host's; in float32 they may differ in low bits.

    >>> import numpy as np
    >>> from dropblock_core._namespace import default_namespace
    >>> xp = default_namespace()
    >>> gap_thresholds_xp(xp.asarray(0.5), xp=xp)[:3].tolist()
    [2147483648, 3221225472, 3758096384]
    """
    device = getattr(gamma, "device", None)
    rounds = xp.arange(1, _GROUP + 1, dtype=gamma.dtype, device=device)
    certain = gamma >= 1.0
    log_miss = xp.log1p(-xp.where(certain, xp.zeros_like(gamma), gamma))
    prob = xp.where(certain, xp.ones_like(rounds), -xp.expm1(rounds * log_miss))  # P(gap <= i)
    scaled = xp.floor(prob * 2.0**32)
    full = scaled >= float(MASK32)  # float32 rounds 2**32 - 1 up to 2**32
    word = word_dtype(xp)
    words = xp.astype(xp.where(full, xp.zeros_like(scaled), scaled), word)
    return xp.where(full, xp.full_like(words, MASK32), words)
