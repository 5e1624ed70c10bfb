"""Property-based fuzzing of the public API (issue 12).

Each call of ``dropblock``, ``sample_mask``, ``paper_gamma``, ``exact_gamma``,
``expected_drop_rate``, ``linear_schedule`` and ``validate`` gets valid values
for every argument, then up to two of them replaced by values of every type
(hypothesis ``from_type``, 0-d NumPy arrays of every dtype, huge ints, NaN/inf
floats, strings, odd shapes). The only outcomes allowed: a correct result
(checked against an independent oracle) or a ``TypeError``/``ValueError`` whose
message names a replaced argument (or, for a valid combination the function
refuses, one of the arguments listed as able to conflict). Deterministic:
``derandomize=True``; ``--hypothesis-show-statistics`` shows the mix of outcomes.
"""

from __future__ import annotations

import decimal
import fractions
import math
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dropblock_core as db
from dropblock_core.conformance import Implementation, Report

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# -- values of every type ---------------------------------------------------------------

zero_d_arrays = st.one_of(
    hnp.arrays(hnp.scalar_dtypes(), shape=()),
    hnp.arrays(st.sampled_from(["U3", "S3"]), shape=()),
    st.integers(-(2**70), 2**70).map(lambda v: np.array(v, dtype=object)),
)
huge_ints = st.sampled_from([31, 32, 37, 63, 64, 100, 2000]).flatmap(
    lambda e: st.sampled_from([2**e, -(2**e)])
)
odd_shapes = st.lists(
    st.one_of(st.integers(-3, 30), huge_ints, st.floats(0, 9), st.none()), max_size=6
).flatmap(lambda items: st.sampled_from([tuple(items), list(items), np.array(items, dtype=object)]))
# hypothesis builds a value of each type (containers bounded below, to keep reprs short).
from_types = st.sampled_from(
    [int, float, complex, str, bytes, bool, type(None), range, slice, fractions.Fraction,
     decimal.Decimal, object, type]
).flatmap(st.from_type)  # fmt: skip
containers = st.one_of(
    st.lists(st.integers(-3, 40), max_size=4),
    st.tuples(st.integers(-3, 40), st.text(max_size=2)),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.frozensets(st.integers(0, 9), max_size=3),
)
_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    huge_ints,
    st.floats(),  # NaN, +-inf, subnormals, -0.0
    st.text(max_size=8),
    st.sampled_from(["exact", "paper", "valid", "full", "global", "counter", "native", "cpu"]),
    zero_d_arrays,
    odd_shapes,
    hnp.arrays(np.float32, hnp.array_shapes(min_dims=0, max_dims=5, max_side=3)),
    from_types,
    containers,
    st.just(np),
    st.just(math),
)


@st.composite
def any_value(draw: Any) -> Any:
    """Anything (a short repr: hypothesis quotes strategies in its notes)."""
    return draw(_ANY)


ANY = any_value()


def fuzzed(valid: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """``(args, replaced)``: valid arguments with up to two replaced by anything."""
    names = sorted(valid)
    replaced = st.sets(st.sampled_from(names), max_size=2)
    return st.tuples(st.fixed_dictionaries(valid), replaced).flatmap(
        lambda pair: st.fixed_dictionaries({name: ANY for name in pair[1]}).map(
            lambda new: ({**pair[0], **new}, pair[1])
        )
    )


def names_one_of(exc: BaseException, names: set[str]) -> bool:
    return any(re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", str(exc)) for name in names)


def call(
    fn: Any,
    args: dict[str, Any],
    replaced: set[str],
    positional: tuple[str, ...] = (),
    conflicts: set[str] = frozenset(),
) -> tuple[Any, BaseException | None]:
    """``fn`` on ``args`` (``positional`` names first, by position): ``(result,
    None)`` or ``(None, error)``; an error must name a replaced argument or one of
    ``conflicts`` (arguments whose valid values can clash)."""
    try:
        result = fn(*(args[n] for n in positional), **{
            k: v for k, v in args.items() if k not in positional
        })  # fmt: skip
    except (TypeError, ValueError) as exc:
        suspects = set(replaced) | set(conflicts)
        assert names_one_of(exc, suspects), (
            f"{type(exc).__name__} names none of {sorted(suspects)}: {exc}"
        )
        event(f"{type(exc).__name__} ({len(replaced)} replaced)")
        return None, exc
    event(f"result ({len(replaced)} replaced)")
    return result, None


# -- valid values, and an independent oracle of the results -------------------------------

drop_probs = st.floats(0.0, 0.99)
spatial_shapes = st.lists(st.integers(1, 20), min_size=1, max_size=3).map(tuple)
block_sizes = st.one_of(st.integers(1, 9), st.lists(st.integers(1, 9), min_size=1, max_size=3))
regions = st.sampled_from(["valid", "full"])
counters = st.integers(0, 2**32 - 1)


def canonical_block(block: Any, spatial: tuple[int, ...]) -> tuple[int, ...]:
    sizes = (int(block),) * len(spatial) if np.ndim(block) == 0 else tuple(int(b) for b in block)
    return tuple(min(b, s) for b, s in zip(sizes, spatial))


def as_spatial(value: Any) -> tuple[int, ...]:
    return (int(value),) if np.ndim(value) == 0 else tuple(int(v) for v in value)


GAMMA_ARGS = ("drop_prob", "block_size", "spatial_shape")


@FUZZ
@given(
    fuzzed({"drop_prob": drop_probs, "block_size": block_sizes, "spatial_shape": spatial_shapes})
)
def test_paper_gamma(case):
    args, replaced = case
    gamma, error = call(db.paper_gamma, args, replaced, GAMMA_ARGS, conflicts={"block_size"})
    if error is None:
        spatial = as_spatial(args["spatial_shape"])
        b = canonical_block(args["block_size"], spatial)
        want = float(args["drop_prob"]) * math.prod(spatial) / (math.prod(b) * math.prod(
            s - k + 1 for s, k in zip(spatial, b)
        ))  # fmt: skip
        assert isinstance(gamma, float) and gamma == pytest.approx(min(want, 1.0), rel=1e-12)


@FUZZ
@given(
    fuzzed(
        {
            "drop_prob": drop_probs,
            "block_size": block_sizes,
            "spatial_shape": spatial_shapes,
            "seed_region": regions,
        }
    )
)
def test_exact_gamma(case):
    args, replaced = case
    gamma, error = call(db.exact_gamma, args, replaced, GAMMA_ARGS, conflicts={"block_size"})
    if error is None:
        assert isinstance(gamma, float) and 0.0 <= gamma < 1.0
        rate = db.expected_drop_rate(
            gamma, args["block_size"], args["spatial_shape"], seed_region=args["seed_region"]
        )
        assert rate == pytest.approx(float(args["drop_prob"]), rel=1e-9, abs=1e-12)


@FUZZ
@given(
    fuzzed(
        {
            "gamma": st.floats(0.0, 1.0),
            "block_size": block_sizes,
            "spatial_shape": spatial_shapes,
            "seed_region": regions,
        }
    )
)
def test_expected_drop_rate(case):
    args, replaced = case
    positional = ("gamma", "block_size", "spatial_shape")
    rate, error = call(db.expected_drop_rate, args, replaced, positional, {"block_size"})
    if error is None:
        assert isinstance(rate, float) and 0.0 <= rate <= 1.0
        # Each unit is covered by 1 .. prod(b) seeds.
        g = float(args["gamma"])
        most = math.prod(canonical_block(args["block_size"], as_spatial(args["spatial_shape"])))
        assert g - 1e-12 <= rate <= 1 - (1 - g) ** most + 1e-12


@FUZZ
@given(
    fuzzed(
        {
            "step": st.integers(0, 10**6),
            "total_steps": st.integers(0, 10**6),
            "drop_prob": drop_probs,
        }
    )
)
def test_linear_schedule(case):
    args, replaced = case
    value, error = call(db.linear_schedule, args, replaced, ("step", "total_steps", "drop_prob"))
    if error is None:
        step, total, drop = int(args["step"]), int(args["total_steps"]), float(args["drop_prob"])
        want = drop if total == 0 or step >= total else drop * step / total
        assert value == pytest.approx(want, rel=1e-12) and 0.0 <= value <= drop


input_shapes = st.tuples(st.integers(0, 3), st.integers(1, 3)).flatmap(
    lambda nc: spatial_shapes.map(lambda s: (*nc, *s))
)
MASK_OPTIONS = {
    "gamma": st.one_of(st.sampled_from(["exact", "paper"]), st.floats(0.0, 1.0)),
    "seed_region": regions,
    "seed": st.one_of(st.none(), st.integers(0, 2**64 - 1)),
    "step": counters,
    "replica": counters,
    "channels_last": st.booleans(),
    "share_channels": st.booleans(),
    "share_batch": st.booleans(),
    "stream": st.sampled_from([None, "counter", "native"]),
}
# Valid values that can clash: a block tuple of another rank than the map, a map
# too small for channels_last's layout, the native stream on another namespace.
MASK_CONFLICTS = {"block_size", "shape", "x"}


def expected_mask_shape(shape: Any, options: dict[str, Any]) -> tuple[int, ...]:
    shape = tuple(int(s) for s in shape)
    last = options.get("channels_last") is True
    n, c = (shape[0], shape[-1]) if last else shape[:2]
    spatial = shape[1:-1] if last else shape[2:]
    n = 1 if options.get("share_batch") is True else n
    c = 1 if options.get("share_channels") is True else c
    return (n, *spatial, c) if last else (n, c, *spatial)


def canonical(options: dict[str, Any]) -> dict[str, Any]:
    """The same options with counters as Python ints."""
    out = dict(options)
    for name in ("seed", "step", "replica"):
        if out.get(name) is not None:
            out[name] = int(out[name])
    return out


@FUZZ
@given(
    fuzzed(
        {
            "shape": input_shapes,
            "drop_prob": drop_probs,
            "block_size": block_sizes,
            **MASK_OPTIONS,
            "xp": st.sampled_from([None, np]),
            "device": st.sampled_from([None, "cpu"]),
        }
    )
)
def test_sample_mask(case):
    args, replaced = case
    positional = ("shape", "drop_prob", "block_size")
    mask, error = call(db.sample_mask, args, replaced, positional, MASK_CONFLICTS)
    if error is None:
        assert isinstance(mask, np.ndarray) and mask.dtype == np.bool_
        assert mask.shape == expected_mask_shape(args["shape"], args)
        if args["seed"] is not None:  # reproducible: the same as with plain ints
            options = canonical({k: v for k, v in args.items() if k not in positional})
            again = db.sample_mask(
                tuple(int(s) for s in args["shape"]),
                args["drop_prob"],
                args["block_size"],
                **options,
            )
            np.testing.assert_array_equal(mask, again)


inputs = input_shapes.flatmap(
    lambda s: hnp.arrays(
        st.sampled_from([np.float16, np.float32, np.float64]),
        s,
        elements=st.floats(-1e3, 1e3, width=16),
    )
)


@FUZZ
@given(
    fuzzed(
        {
            "x": inputs,
            "drop_prob": drop_probs,
            "block_size": block_sizes,
            **MASK_OPTIONS,
            "training": st.booleans(),
            "normalize": st.sampled_from(["global", "per_sample", "expected", "none"]),
        }
    )
)
def test_dropblock(case):
    args, replaced = case
    x = args["x"]
    before = x.copy() if isinstance(x, np.ndarray) else None
    y, error = call(db.dropblock, args, replaced, ("x", "drop_prob", "block_size"), MASK_CONFLICTS)
    if before is not None:
        np.testing.assert_array_equal(x, before)  # never mutated, result or error
    if error is None:
        assert y.shape == x.shape and y.dtype == x.dtype
        finite = np.isfinite(x)
        assert not np.any(np.isnan(y[finite]))  # finite input: never NaN
        # inf only where the rescaled value leaves the dtype's range (the scale is
        # at most the number of units).
        overflow = np.abs(x.astype(np.float64)) * x.size >= np.finfo(x.dtype).max
        assert not np.any(np.isinf(y) & finite & ~overflow)
        if args["seed"] is not None and y is not x:
            mask_args = {k: v for k, v in canonical(args).items() if k in MASK_OPTIONS}
            keep = db.sample_mask(x.shape, args["drop_prob"], args["block_size"], **mask_args)
            assert np.all(y[~np.broadcast_to(keep, x.shape)] == 0)


def _ok(x, p, b):
    return db.dropblock(x, p, b, gamma="paper")


def _raises(x, p, b):
    raise RuntimeError("broken")


functions = st.sampled_from(
    [
        _ok,
        _raises,
        lambda x, p, b: None,
        lambda x, p, b: x[..., :1],
        lambda x, p, b: np.full(x.shape, np.nan, x.dtype),
        lambda x, p, b: np.full(x.shape, "a"),
        lambda x: x,
        Implementation(_ok, eval=lambda x, p, b: x),
        Implementation(_ok, reseed=_raises),
    ]
)
FAST_CHECKS = ["block structure", "mask coupling", "rescale", "edge cases", "gradient"]


@settings(FUZZ, max_examples=80)
@given(
    fuzzed(
        {
            "fn": functions,
            "checks": st.lists(st.sampled_from(FAST_CHECKS), min_size=1, max_size=2),
            "spec": st.sampled_from(["paper", "exact"]),
            "gamma": st.sampled_from([None, "paper", "exact", "naive"]),
            "seed_region": st.sampled_from([None, "valid", "full"]),
            "share_channels": st.sampled_from([None, True, False]),
            "share_batch": st.sampled_from([None, True, False]),
            "normalize": st.sampled_from([None, "global", "per_sample", "expected", "none"]),
            "ndim": st.sampled_from([1, 2, 3]),
            "channels_last": st.sampled_from([None, False]),
            "budget": st.just("quick"),
            "seed": st.integers(0, 2**32 - 1),
            "name": st.one_of(st.none(), st.text(max_size=5)),
            "fn_eval": st.sampled_from([None, _ok]),
            "reseed": st.sampled_from([None, lambda seed: None]),
        }
    )
)
def test_validate(case):
    args, replaced = case
    report, error = call(db.validate, args, replaced, ("fn",))
    if error is None:
        assert isinstance(report, Report) and report.results
        assert {r.status for r in report.results} <= {"pass", "fail", "unsupported", "skipped"}
        if args["fn"] in (_raises,) or isinstance(args["fn"], str):
            assert not report.passed
