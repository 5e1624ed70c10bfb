"""The small TensorFlow array namespace (dropblock_core._namespace_tf) against
array-api-strict on the same inputs, and the core's dense path on it."""

from __future__ import annotations

import array_api_strict as xs
import numpy as np
import pytest
import tensorflow as tf

import dropblock_core as db
from dropblock_core import _namespace_tf as xt
from dropblock_core._namespace import array_namespace, device, is_lazy_array

RNG = np.random.default_rng(0)
INTS = RNG.integers(0, 2**32, (3, 5), dtype=np.uint32)
FLOATS = RNG.uniform(0.01, 0.99, (3, 5))
BOOLS = RNG.random((3, 5)) < 0.4


def both(fn, *arrays: np.ndarray):  # noqa: ANN001, ANN201
    """fn on array-api-strict and on the TensorFlow namespace, as NumPy arrays."""
    strict = fn(xs, *[xs.asarray(a) for a in arrays])
    flow = fn(xt, *[xt.asarray(a) for a in arrays])
    return np.asarray(strict._array if hasattr(strict, "_array") else strict), flow.numpy()


CASES = {
    "astype": (lambda xp, a: xp.astype(a, xp.int64), INTS),
    "arange": (lambda xp: xp.arange(2, 11, 3, dtype=xp.uint32),),
    "full": (lambda xp: xp.full((2, 3), 7, dtype=xp.uint32),),
    "zeros": (lambda xp: xp.zeros((2, 3), dtype=xp.int32),),
    "ones_bool": (lambda xp: xp.ones((2, 3), dtype=xp.bool),),
    "full_like": (lambda xp, a: xp.full_like(a, 0xFFFFFFFF), INTS),
    "zeros_like": (lambda xp, a: xp.zeros_like(a), FLOATS),
    "ones_like": (lambda xp, a: xp.ones_like(a), BOOLS),
    "broadcast_to": (lambda xp, a: xp.broadcast_to(a[:, None, :], (3, 4, 5)), FLOATS),
    "reshape": (lambda xp, a: xp.reshape(a, (5, 3)), INTS),
    "stack": (lambda xp, a, b: xp.stack((a, b), axis=2), INTS, INTS[::-1]),
    "concat": (lambda xp, a, b: xp.concat((a, b), axis=1), BOOLS, BOOLS),
    "permute_dims": (lambda xp, a: xp.permute_dims(a, (1, 0)), FLOATS),
    "cumulative_sum": (
        lambda xp, a: xp.cumulative_sum(xp.astype(a, xp.int32), axis=1, include_initial=True),
        BOOLS,
    ),
    "sum_uint32": (lambda xp, a: xp.sum(a, axis=1, dtype=xp.uint32), INTS),
    "sum_float": (lambda xp, a: xp.sum(a), FLOATS),
    "count_nonzero": (lambda xp, a: xp.count_nonzero(a, axis=(0, 1), keepdims=True), BOOLS),
    "any": (lambda xp, a: xp.any(a, axis=0), BOOLS),
    "where": (lambda xp, c, a, b: xp.where(c, a, b), BOOLS, INTS, INTS[::-1]),
    "maximum": (lambda xp, a, b: xp.maximum(a, b), FLOATS, FLOATS[::-1]),
    "minimum": (lambda xp, a, b: xp.minimum(a, b), FLOATS, FLOATS[::-1]),
    "left_shift": (lambda xp, a: xp.bitwise_left_shift(a, xp.asarray(13, dtype=xp.uint32)), INTS),
    "right_shift": (lambda xp, a: xp.bitwise_right_shift(a, xp.asarray(7, dtype=xp.uint32)), INTS),
    "operators": (lambda xp, a, b: (a + b) ^ (a & b) | ~b, INTS, INTS[::-1]),
    "logical_not": (lambda xp, a: xp.logical_not(a), BOOLS),
    "exp": (lambda xp, a: xp.exp(a), FLOATS),
    "expm1": (lambda xp, a: xp.expm1(a), FLOATS),
    "log": (lambda xp, a: xp.log(a), FLOATS),
    "log1p": (lambda xp, a: xp.log1p(-a), FLOATS),
    "floor": (lambda xp, a: xp.floor(a * 2.0**32), FLOATS),
    "slicing": (lambda xp, a: a[(slice(None), slice(-1, None), ...)], INTS),
}


@pytest.mark.parametrize("name", list(CASES))
def test_function_equals_array_api_strict(name: str) -> None:
    fn, *arrays = CASES[name]
    strict, flow = both(fn, *arrays)
    assert strict.shape == flow.shape and strict.dtype == flow.dtype
    if strict.dtype.kind == "f":  # libm implementations differ in the last bits
        np.testing.assert_array_max_ulp(flow, strict, maxulp=4)
    else:
        np.testing.assert_array_equal(flow, strict)


def test_isdtype_and_the_dtypes() -> None:
    assert xt.isdtype(xt.float32, "real floating") and xt.isdtype(xt.uint32, "integral")
    assert not xt.isdtype(xt.bool, ("integral", "real floating"))
    assert xt.isdtype(xt.int64, xt.int64)


def test_detection_never_needs_an_import_and_knows_graphs() -> None:
    t = tf.ones((2, 2))
    assert array_namespace(t) is xt and array_namespace(tf.Variable(1.0)) is xt
    assert not is_lazy_array(t) and "CPU" in device(t)

    @tf.function
    def lazy(x):  # noqa: ANN001, ANN202
        return tf.constant(is_lazy_array(x))

    assert bool(lazy(t))


@pytest.mark.parametrize("jit", [None, False, True], ids=["eager", "graph", "xla"])
@pytest.mark.parametrize(
    "options",
    [
        {"channels_last": True},
        {"seed_region": "full", "gamma": "paper"},
        {"share_channels": True, "share_batch": True},
        {"block_size": (2, 5)},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
def test_core_masks_on_tensorflow_equal_numpy(options: dict, jit: bool | None) -> None:
    kwargs = {"block_size": 3, **options}
    shape = (3, 9, 11, 4) if options.get("channels_last") else (3, 4, 9, 11)
    want = db.sample_mask(shape, 0.3, seed=7, step=2, replica=1, **kwargs)

    def mask(step):  # noqa: ANN001, ANN202
        return db.sample_mask(shape, 0.3, seed=7, step=step, replica=1, xp=xt, **kwargs)

    run = mask if jit is None else tf.function(mask, jit_compile=jit, autograph=False)
    step = 2 if jit is None else tf.constant(2, tf.int64)
    np.testing.assert_array_equal(run(step).numpy(), want)


def test_core_dropblock_takes_tensorflow_tensors_and_a_traced_drop_prob() -> None:
    x = np.random.default_rng(1).uniform(1, 2, (2, 3, 12, 12)).astype(np.float32)

    @tf.function(jit_compile=True, autograph=False)
    def run(x, drop):  # noqa: ANN001, ANN202
        return db.dropblock(x, drop, 3, seed=4, step=1)

    y = run(tf.constant(x), tf.constant(0.25, tf.float64)).numpy()
    np.testing.assert_array_equal(y != 0, db.sample_mask(x.shape, 0.25, 3, seed=4, step=1))
    eager = db.dropblock(tf.constant(x), 0.25, 3, seed=4, step=1)
    np.testing.assert_array_equal(eager.numpy(), db.dropblock(x, 0.25, 3, seed=4, step=1))
