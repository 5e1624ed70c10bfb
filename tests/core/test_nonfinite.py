"""Issue 12, case 6: a dropped unit is exactly 0, whatever its value (inf, -inf, NaN),
on the NumPy fast path and the array-API path; kept units are ``x * scale``.

Before: the core returned NaN at dropped infinite units (``inf * 0``) and warned
"invalid value encountered in multiply"; pytest runs with warnings as errors.
The adapters' functional forms are held to the same contract in
tests/adapters/test_nonfinite_contract.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import dropblock_core as db
from tests.backends import to_numpy

SHAPE = (3, 4, 12, 12)


def nonfinite_input(shape, dtype=np.float32, seed=0):
    """Finite values with +inf, -inf and NaN sprinkled over a third of the units."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 1.5, size=shape).astype(dtype)
    special = rng.integers(0, 6, size=shape)
    x[special == 0] = np.inf
    x[special == 1] = -np.inf
    x[special == 2] = np.nan
    return x


def expected_output(x, keep, normalize, drop):
    """Reference result in float64: dropped units 0, kept ones x * scale."""
    keep = np.broadcast_to(keep, x.shape)
    if normalize == "global":
        scale = keep.size / keep.sum()
    elif normalize == "per_sample":
        axes = tuple(range(1, x.ndim))
        scale = keep[:, ...].size / keep.shape[0] / keep.sum(axis=axes, keepdims=True)
    elif normalize == "expected":
        scale = 1 / (1 - drop)
    else:
        scale = 1.0
    kept = x.astype(np.float64) * scale
    return np.where(keep, kept, 0.0)


def check(y, x, keep, normalize, drop):
    y = np.asarray(y)
    keep = np.broadcast_to(keep, x.shape)
    assert y.shape == x.shape and y.dtype == x.dtype
    dropped = y[~keep]
    assert dropped.size > 0 and np.all(dropped == 0), "a dropped unit is not exactly 0"
    want = expected_output(x, keep, normalize, drop)
    kept, ref = y[keep].astype(np.float64), want[keep]
    np.testing.assert_array_equal(np.isnan(kept), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(kept), np.isinf(ref))
    finite = np.isfinite(ref)
    # The scale is float64 for float64 input and float32 otherwise (long double too).
    eps = (
        np.finfo(x.dtype).eps
        if x.dtype == np.float64
        else max(np.finfo(x.dtype).eps, np.finfo(np.float32).eps)
    )
    np.testing.assert_allclose(kept[finite], ref[finite], rtol=4 * eps)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("normalize", ["global", "per_sample", "expected", "none"])
@pytest.mark.parametrize("stream", ["counter", "native"])
def test_numpy_fast_path(dtype, normalize, stream):
    x = nonfinite_input(SHAPE, dtype)
    before = x.copy()
    y = db.dropblock(x, 0.3, 3, seed=4, step=1, normalize=normalize, stream=stream)
    keep = db.sample_mask(SHAPE, 0.3, 3, seed=4, step=1, stream=stream)
    check(y, x, keep, normalize, 0.3)
    np.testing.assert_array_equal(x, before)  # never mutated (NaN == NaN here)


@pytest.mark.parametrize(
    "options",
    [
        {"share_channels": True},
        {"share_batch": True},
        {"channels_last": True},
        {"seed_region": "full", "block_size": (2, 5)},
        {"gamma": 1.0},  # everything dropped: zeros, not NaN
    ],
    ids=str,
)
def test_numpy_layouts_and_sharing(options):
    options = dict(options)
    block = options.pop("block_size", 3)
    x = nonfinite_input(SHAPE)
    y = db.dropblock(x, 0.3, block, seed=2, **options)
    keep = db.sample_mask(SHAPE, 0.3, block, seed=2, **options)
    if options.get("gamma") == 1.0:
        assert not keep.any() and np.all(y == 0)
        return
    check(y, x, keep, "global", 0.3)


def test_numpy_long_double_falls_back_to_a_select():
    x = nonfinite_input(SHAPE).astype(np.longdouble)
    y = db.dropblock(x, 0.3, 3, seed=4)
    check(y, x, db.sample_mask(SHAPE, 0.3, 3, seed=4), "global", 0.3)


@pytest.mark.parametrize("normalize", ["global", "per_sample", "none"])
def test_array_api_path(xp, normalize):
    x_np = nonfinite_input(SHAPE)
    y = db.dropblock(xp.asarray(x_np), 0.3, 3, seed=4, step=1, normalize=normalize)
    keep = db.sample_mask(SHAPE, 0.3, 3, seed=4, step=1)
    check(to_numpy(y), x_np, keep, normalize, 0.3)


def test_apply_mask_on_numpy_with_a_dense_mask():
    import array_api_compat.numpy as xnp

    from dropblock_core.apply import apply_mask

    x = nonfinite_input(SHAPE)
    keep = db.sample_mask(SHAPE, 0.3, 3, seed=8)
    check(apply_mask(x, keep, 0.3, "global", xp=xnp), x, keep, "global", 0.3)


def test_finite_input_gives_finite_output(xp):
    x_np = np.random.default_rng(3).uniform(-1e4, 1e4, size=SHAPE).astype(np.float32)
    y = to_numpy(db.dropblock(xp.asarray(x_np), 0.5, 5, seed=1))
    assert np.all(np.isfinite(y))


def test_float16_overflow_of_the_rescale_is_inf_without_a_warning():
    # Kept units whose rescaled value passes 65,504 round to inf (IEEE), as the
    # frameworks' dropout does; NumPy's "overflow" warning is not raised.
    x = np.full((1, 1, 8, 8), 60000.0, np.float16)
    y = db.dropblock(x, 0.5, 3, seed=1)
    keep = db.sample_mask(x.shape, 0.5, 3, seed=1)
    assert np.all(np.isinf(y[keep])) and np.all(y[~keep] == 0)
