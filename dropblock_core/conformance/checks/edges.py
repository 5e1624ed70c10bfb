"""Edge cases. Everything dropped stays finite; ``drop_prob=0`` and
inference are the identity; a block larger than the map; float16 with more
kept units than float16 can count; dtypes are kept; the input is not written."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from ..check import Check, Context
from ..probe import fmt_shape
from ..registry import register
from ..result import CheckResult, Status
from .blocks import block_violations
from .scaling import closest_rule, tolerance

__all__ = [
    "CHECK",
    "FLOAT16_MAX",
    "check_all_dropped",
    "check_big_block",
    "check_dtype",
    "check_float16_count",
    "check_identity",
    "check_input_untouched",
    "edge_cases",
    "run_edge_case",
]

FLOAT16_MAX = 65504

EdgeCase = Callable[[Context], CheckResult]


def check_all_dropped(ctx: Context) -> CheckResult:
    """Block = map = 3 and drop_prob = 0.99: many calls drop every unit (most,
    with the paper's gamma); the output must stay finite (an unguarded rescale
    gives 0 * inf = NaN)."""
    spatial = (3,) * ctx.ndim
    case = f"all dropped {fmt_shape(spatial)} b=3 p=0.99"

    def body() -> CheckResult:
        nonfinite = everything = 0
        for _, y in ctx.probe.samples((1, 1, *spatial), 0.99, 3, ctx.sizes["calls"]):
            y = y.astype(np.float64)
            nonfinite += int(np.sum(~np.isfinite(y)))
            everything += bool(np.all(y == 0) | np.all(~np.isfinite(y)))
        calls = ctx.sizes["calls"]
        return ctx.result(
            case,
            nonfinite == 0,
            f"{nonfinite} non-finite",
            "0 non-finite",
            f"everything dropped in about {everything}/{calls} calls; output "
            + ("finite" if nonfinite == 0 else "has NaN/inf"),
            {"nonfinite": nonfinite, "all_dropped_calls": everything},
        )

    return ctx.guarded(case, body)


def check_identity(ctx: Context, mode: str) -> CheckResult:
    """``drop_prob=0`` (``mode="train"``) or the eval function (``"eval"``) returns ``x``."""
    spatial = (9,) * ctx.ndim
    drop = 0.0 if mode == "train" else 0.2
    case = "drop_prob=0" if mode == "train" else "inference (eval) p=0.2"
    if mode == "eval" and ctx.probe.impl.eval is None:
        return ctx.result(case, Status.SKIPPED, "-", "-", "no eval function given")

    def body() -> CheckResult:
        x = ctx.probe.input((2, 3, *spatial))
        y = ctx.probe.call(x, drop, 3, mode=mode)
        same = y.dtype == x.dtype and np.array_equal(y, x)
        changed = int(np.sum(y != x))
        return ctx.result(
            case,
            same,
            f"{changed} units changed",
            "identity",
            "output is the input" if same else f"output differs from the input ({y.dtype})",
        )

    return ctx.guarded(case, body)


def check_big_block(ctx: Context) -> CheckResult:
    """Block 7 on a 5-wide map: clipped to the map (or rejected: unsupported)."""
    spatial = (5,) * ctx.ndim
    case = f"block > map {fmt_shape(spatial)} b=7"

    def body() -> CheckResult:
        dropped, nonfinite = [], 0
        for _, y in ctx.probe.samples((2, 3, *spatial), 0.3, 7, 8, optional=True):
            nonfinite += int(np.sum(~np.isfinite(y.astype(np.float64))))
            dropped.append((y == 0).reshape(-1, *spatial))
        found = block_violations(np.concatenate(dropped), spatial, ctx.spec.seed_region)
        problems = []
        if nonfinite:
            problems.append(f"{nonfinite} non-finite values")
        if found["bad_masks"]:
            problems.append(
                f"{found['bad_masks']} of {found['masks']} masks are not unions of the block "
                f"clipped to the map ({ctx.spec.seed_region} seeds)"
            )
        return ctx.result(
            case,
            not problems,
            f"{nonfinite} non-finite, {found['bad_masks']} bad masks",
            "0, 0",
            "; ".join(problems) or "block clipped to the map",
            dict(found),
        )

    return ctx.guarded(case, body)


def check_float16_count(ctx: Context) -> CheckResult:
    """float16 input with more kept units than float16's largest value: a
    count of kept units summed in float16 overflows (torchvision: all zeros)."""
    side = math.ceil((2 * FLOAT16_MAX / 16) ** (1 / ctx.ndim))
    spatial = (side,) * ctx.ndim
    case = f"float16 {fmt_shape(spatial)} x16 maps, > {FLOAT16_MAX} kept"

    def body() -> CheckResult:
        x = ctx.probe.input((4, 4, *spatial), np.float16)
        y = ctx.probe.call(x, 0.05, 3, optional=True)
        kept = int(np.sum(y != 0))
        _, err = closest_rule(x, y, 0.05)
        tol = tolerance(np.dtype(np.float16))
        ok = y.dtype == np.float16 and kept > FLOAT16_MAX and err <= tol
        return ctx.result(
            case,
            ok,
            f"{kept} kept, rel. err {err:.1e}",
            f"> {FLOAT16_MAX} kept, ≤ {tol:.1e}",
            f"output {y.dtype}, {kept}/{x.size} units kept"
            + ("" if y.dtype == np.float16 else ", dtype not kept")
            + ("" if kept > FLOAT16_MAX else ", output zeroed")
            + ("" if err <= tol else ", kept values fit no rescale rule"),
            {"kept": kept, "error": err},
        )

    return ctx.guarded(case, body)


def _bfloat16() -> np.dtype | None:
    try:
        import ml_dtypes
    except ImportError:
        return None
    dtype: np.dtype = np.dtype(ml_dtypes.bfloat16)
    return dtype


def check_dtype(ctx: Context, name: str) -> CheckResult:
    """The output keeps the input dtype (``float64``, ``bfloat16``) and its kept
    values follow a rescale rule (which one is the rescale check's business)."""
    spatial = (12,) * ctx.ndim if ctx.ndim < 3 else (8,) * ctx.ndim
    case = f"dtype {name}"
    dtype = _bfloat16() if name == "bfloat16" else np.dtype(name)
    if dtype is None:
        return ctx.result(case, Status.SKIPPED, "-", "-", "ml_dtypes is not installed")

    def body() -> CheckResult:
        x = ctx.probe.input((2, 3, *spatial), dtype)
        y = ctx.probe.call(x, 0.2, 3, optional=True)
        _, err = closest_rule(x, y, 0.2)
        tol = tolerance(np.dtype(dtype))
        ok = y.dtype == x.dtype and err <= tol
        return ctx.result(
            case,
            ok,
            f"{y.dtype}, rel. err {err:.1e}",
            f"{x.dtype}, ≤ {tol:.1e}",
            f"{x.dtype} in, {y.dtype} out"
            + ("" if err <= tol else ", kept values fit no rescale rule"),
            {"error": err},
        )

    return ctx.guarded(case, body)


def check_input_untouched(ctx: Context) -> CheckResult:
    """Did any call of the run write into the array it was given? The check's
    review: it runs after the cases of every selected check, so it judges all
    their calls."""
    mutated = ctx.probe.mutated
    return ctx.result(
        "input not modified",
        not mutated,
        "modified" if mutated else "untouched",
        "untouched",
        "the implementation wrote into its input" if mutated else "inputs were never written",
    )


def edge_cases(ndim: int) -> list[EdgeCase]:
    """The cases, each a function of the context, in run order.

    >>> len(edge_cases(2))
    7
    """
    return [
        check_all_dropped,
        functools.partial(check_identity, mode="train"),
        functools.partial(check_identity, mode="eval"),
        check_big_block,
        check_float16_count,
        functools.partial(check_dtype, name="float64"),
        functools.partial(check_dtype, name="bfloat16"),
    ]


def run_edge_case(ctx: Context, case: EdgeCase) -> CheckResult:
    """Each edge case is its own function of the context."""
    return case(ctx)


CHECK = register(
    Check(
        "edge cases",
        "everything dropped stays finite, drop_prob=0 and inference are\n"
        "the identity, a block larger than the map, float16 with > 65,504 kept units,\n"
        "dtypes kept, the input never written.",
        edge_cases,
        run_edge_case,
        sizes={"full": {"calls": 256}, "quick": {"calls": 128}},
        review=check_input_untouched,
    )
)
