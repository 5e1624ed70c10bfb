"""The seven checks, one module each; :func:`plan` lists every check call of a run."""

from __future__ import annotations

import functools
from collections.abc import Callable

from ..result import CheckResult
from .base import Context
from .blocks import check_structure, structure_cases
from .coupling import AXES, check_coupling
from .edges import (
    check_all_dropped,
    check_big_block,
    check_dtype,
    check_float16_count,
    check_identity,
    check_input_untouched,
)
from .gradient import check_gradient
from .rate import check_rate, rate_cases
from .rescale import check_rescale
from .seeds import check_seeds, seed_cases

__all__ = ["NAMES", "Context", "Step", "plan"]

NAMES = (
    "drop rate",
    "block structure",
    "seed positions",
    "mask coupling",
    "rescale",
    "edge cases",
    "gradient",
)

Step = tuple[str, Callable[[Context], CheckResult]]


def plan(ndim: int) -> list[Step]:
    """Every check call for an implementation of spatial rank ``ndim``, in
    order, as ``(check name, function of the context)``.

    >>> steps = plan(2)
    >>> sorted({name for name, _ in steps}) == sorted(NAMES)
    True
    """
    p = functools.partial
    steps: list[Step] = []
    steps += [("drop rate", p(check_rate, case=c)) for c in rate_cases(ndim)]
    steps += [("block structure", p(check_structure, case=c)) for c in structure_cases(ndim)]
    steps += [("seed positions", p(check_seeds, case=c)) for c in seed_cases(ndim)]
    steps += [("mask coupling", p(check_coupling, axis_name=a)) for a in AXES]
    steps += [("rescale", check_rescale)]
    steps += [
        ("edge cases", check_all_dropped),
        ("edge cases", p(check_identity, mode="train")),
        ("edge cases", p(check_identity, mode="eval")),
        ("edge cases", check_big_block),
        ("edge cases", check_float16_count),
        ("edge cases", p(check_dtype, name="float64")),
        ("edge cases", p(check_dtype, name="bfloat16")),
    ]
    steps += [("gradient", check_gradient), ("edge cases", check_input_untouched)]
    return steps
