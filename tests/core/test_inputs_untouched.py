"""The core's public functions never write into the arrays they are given.

On ``numpy_readonly`` every input (x, an array drop_prob, array counters) is a
read-only array, so an in-place write raises; on every backend the inputs are
also compared with their values before the call. Each call is checked to have
computed something: dropped units are exactly those outside ``sample_mask``.
JAX arrays cannot be written at all, so JAX is skipped (``needs("mutable_arrays")``).
"""

from __future__ import annotations

import numpy as np
import pytest

import dropblock_core as db
from tests.backends import to_numpy

SHAPE = (2, 3, 10, 10)

# Every branch of dropblock: each rescale rule, shared masks, channels-last,
# both seed regions and gamma rules, an all-dropping gamma, the native stream.
OPTIONS = [
    pytest.param({}, id="default"),
    pytest.param({"normalize": "per_sample"}, id="per_sample"),
    pytest.param({"normalize": "expected"}, id="expected"),
    pytest.param({"normalize": "none"}, id="none"),
    pytest.param({"share_channels": True, "share_batch": True}, id="shared"),
    pytest.param({"channels_last": True}, id="channels_last"),
    pytest.param({"seed_region": "full", "gamma": "paper"}, id="full-paper"),
    pytest.param({"gamma": 1.0}, id="all-dropped"),
    pytest.param({"stream": "native"}, id="native", marks=pytest.mark.needs("native_stream")),
]
MASK_KEYS = ("gamma", "seed_region", "channels_last", "share_channels", "share_batch", "stream")


def _inputs(xp):
    """x without zeros, a float32 0-d drop_prob, int32 0-d counters; and their NumPy copies."""
    x_np = np.random.default_rng(0).uniform(0.5, 1.5, SHAPE).astype(np.float32)
    arrays = {
        "x": xp.asarray(x_np),
        "drop": xp.asarray(0.25, dtype=xp.float32),
        "seed": xp.asarray(11, dtype=xp.int32),
        "step": xp.asarray(3, dtype=xp.int32),
        "replica": xp.asarray(1, dtype=xp.int32),
    }
    return arrays, {name: to_numpy(a).copy() for name, a in arrays.items()}


def _assert_untouched(arrays, before):
    for name, a in arrays.items():
        np.testing.assert_array_equal(to_numpy(a), before[name], err_msg=name)


@pytest.mark.needs("mutable_arrays")
@pytest.mark.parametrize("options", OPTIONS)
def test_dropblock_leaves_its_inputs_alone(xp, options):
    arrays, before = _inputs(xp)
    counters = {k: arrays[k] for k in ("seed", "step", "replica")}
    y = db.dropblock(arrays["x"], arrays["drop"], 3, **counters, **options)
    _assert_untouched(arrays, before)
    mask_options = {k: v for k, v in options.items() if k in MASK_KEYS}
    keep = to_numpy(db.sample_mask(SHAPE, arrays["drop"], 3, **counters, xp=xp, **mask_options))
    y_np = to_numpy(y)
    assert y_np.shape == SHAPE
    np.testing.assert_array_equal(y_np != 0, np.broadcast_to(keep, SHAPE))
    assert (~keep).any()  # something was dropped: the masking really ran


@pytest.mark.needs("mutable_arrays")
@pytest.mark.parametrize("options", OPTIONS)
def test_sample_mask_leaves_its_inputs_alone(xp, options):
    arrays, before = _inputs(xp)
    counters = {k: arrays[k] for k in ("seed", "step", "replica")}
    mask_options = {k: v for k, v in options.items() if k in MASK_KEYS}
    got = to_numpy(db.sample_mask(SHAPE, arrays["drop"], 3, **counters, xp=xp, **mask_options))
    _assert_untouched(arrays, before)
    ints = {k: int(before[k]) for k in counters}  # array counters act as these ints
    want = to_numpy(db.sample_mask(SHAPE, arrays["drop"], 3, **ints, xp=xp, **mask_options))
    np.testing.assert_array_equal(got, want)
    assert (~got).any()  # the fixed seed drops blocks: a mask, not all-ones


@pytest.mark.needs("mutable_arrays")
def test_identity_cases_return_the_read_only_input(xp):
    arrays, before = _inputs(xp)
    x = arrays["x"]
    assert db.dropblock(x, 0.0, 3, seed=0) is x
    assert db.dropblock(x, 0.5, 3, seed=0, training=False) is x
    _assert_untouched(arrays, before)
