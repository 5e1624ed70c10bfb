"""dropblock(): rescale rules, identities, dtypes, memory safety and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dropblock_core as db


def _x(shape=(3, 4, 12, 12), dtype=np.float32, seed=0):
    return np.random.default_rng(seed).uniform(0.5, 2.0, size=shape).astype(dtype)


@pytest.mark.parametrize("stream", ["counter", "native"])
def test_global_rescale(stream):
    x = _x()
    y = db.dropblock(x, 0.2, 3, seed=1, stream=stream)
    mask = db.sample_mask(x.shape, 0.2, 3, seed=1, stream=stream)
    np.testing.assert_array_equal(y == 0, ~mask)
    scale = np.float32(mask.size / mask.sum())
    np.testing.assert_allclose(y[mask], x[mask] * scale, rtol=1e-6)


def test_per_sample_expected_and_none_rescale():
    x = _x()
    mask = db.sample_mask(x.shape, 0.3, 5, seed=2)
    per = db.dropblock(x, 0.3, 5, seed=2, normalize="per_sample")
    for n in range(x.shape[0]):
        scale = mask[n].size / mask[n].sum()
        np.testing.assert_allclose(per[n][mask[n]], x[n][mask[n]] * np.float32(scale), rtol=1e-6)
    exp = db.dropblock(x, 0.3, 5, seed=2, normalize="expected")
    np.testing.assert_allclose(exp[mask], x[mask] * np.float32(1 / 0.7), rtol=1e-6)
    none = db.dropblock(x, 0.3, 5, seed=2, normalize="none")
    np.testing.assert_array_equal(none[mask], x[mask])
    assert np.all(none[~mask] == 0)


def test_global_rescale_with_shared_masks_counts_the_broadcast_tensor():
    x = _x((4, 6, 10, 10))
    y = db.dropblock(x, 0.3, 3, seed=3, share_channels=True, share_batch=True)
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] * np.float32(kept.size / kept.sum()), rtol=1e-6)


@given(
    x=hnp.arrays(
        np.float32,
        hnp.array_shapes(min_dims=3, max_dims=5, min_side=1, max_side=7),
        elements=st.floats(-1e4, 1e4, width=32),
    ),
    drop=st.floats(0.0, 0.95),
    block=st.integers(1, 8),
    normalize=st.sampled_from(["global", "per_sample", "expected", "none"]),
    seed=st.integers(0, 2**32),
)
@settings(max_examples=150, deadline=None)
def test_output_properties(x, drop, block, normalize, seed):
    before = x.copy()
    y = db.dropblock(x, drop, block, seed=seed, normalize=normalize)
    np.testing.assert_array_equal(x, before)  # never modified
    assert y.shape == x.shape and y.dtype == x.dtype
    assert np.all(np.isfinite(y))
    mask = db.sample_mask(x.shape, drop, block, seed=seed)
    assert np.all(y[~mask] == 0)
    if drop == 0.0:
        assert y is x


def test_identity_cases_return_x_itself():
    x = _x()
    assert db.dropblock(x, 0.0, 3, seed=0) is x
    assert db.dropblock(x, 0.5, 3, seed=0, training=False) is x


def test_all_dropped_gives_zeros_not_nan():
    x = _x((2, 3, 4, 4))
    for normalize in ("global", "per_sample"):
        y = db.dropblock(x, 0.5, 4, gamma=1.0, seed=0, normalize=normalize)
        assert np.all(y == 0) and not np.any(np.isnan(y))


def test_float16_with_more_kept_units_than_float16_max():
    # torchvision sums the mask in float16: past 65,504 kept units it returns zeros.
    x = np.ones((4, 64, 32, 32), dtype=np.float16)  # 262,144 units
    y = db.dropblock(x, 0.1, 5, seed=0)
    assert y.dtype == np.float16
    mask = db.sample_mask(x.shape, 0.1, 5, seed=0)
    assert mask.sum() > 65_504
    assert np.all(np.isfinite(y)) and np.any(y != 0)
    np.testing.assert_allclose(y[mask], np.float16(mask.size / mask.sum()), rtol=1e-3)


def test_read_only_and_non_contiguous_inputs():
    base = _x((3, 12, 12, 4))
    x = np.moveaxis(base, -1, 1)  # non-contiguous view
    x.flags.writeable = False
    y = db.dropblock(x, 0.2, 3, seed=5)
    want = db.dropblock(np.ascontiguousarray(x), 0.2, 3, seed=5)
    np.testing.assert_array_equal(y, want)
    flipped = _x()[:, :, ::-1, ::-1]  # negative strides
    np.testing.assert_array_equal(
        db.dropblock(flipped, 0.2, 3, seed=1), db.dropblock(flipped.copy(), 0.2, 3, seed=1)
    )


def test_empty_batch_and_one_by_one_maps():
    assert db.dropblock(np.ones((0, 3, 5, 5), np.float32), 0.2, 3, seed=0).shape == (0, 3, 5, 5)
    y = db.dropblock(np.ones((64, 8, 1, 1), np.float32), 0.2, 3, seed=0)
    assert y.shape == (64, 8, 1, 1)
    kept = y != 0
    # 1x1 maps with the block clipped to 1: dropout with rate 0.2 (5 standard errors).
    assert abs((1 - kept.mean()) - 0.2) <= 5 * math.sqrt(0.2 * 0.8 / kept.size)


@pytest.mark.parametrize(
    ("kwargs", "exc", "needle"),
    [
        (dict(x=np.ones((2, 3, 5, 5), dtype=np.int32)), TypeError, "x must"),
        (dict(x=np.ones((2, 3, 5, 5), dtype=bool)), TypeError, "x must"),
        (dict(x=np.ones((2, 5), dtype=np.float32)), ValueError, "shape"),
        (dict(x=[[[1.0]]]), TypeError, "x must be an array"),
        (dict(normalize="mean"), ValueError, "normalize"),
        (dict(training="yes"), TypeError, "training"),
        (dict(drop_prob=1.2), ValueError, "drop_prob"),
        (dict(block_size=-2), ValueError, "block_size"),
        (dict(block_size=(2, 2, 2)), ValueError, "block_size"),
        (dict(seed=-5), ValueError, "seed"),
    ],
)
def test_bad_input(kwargs, exc, needle):
    args = dict(x=np.ones((2, 3, 5, 5), np.float32), drop_prob=0.1, block_size=3, seed=0)
    args.update(kwargs)
    with pytest.raises(exc, match=needle):
        db.dropblock(args.pop("x"), args.pop("drop_prob"), args.pop("block_size"), **args)


def test_bad_input_is_rejected_even_in_inference():
    with pytest.raises(ValueError, match="drop_prob"):
        db.dropblock(np.ones((1, 1, 4, 4), np.float32), 2.0, 3, training=False)
