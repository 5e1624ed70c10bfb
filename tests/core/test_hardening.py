"""Issue 12, core cases: 0-d array counters are checked like ints (4), no overflow
warning from Threefry (5), the coverage-count histogram in O(distinct counts) (7),
and huge or odd parameters give ValueError/TypeError naming them."""

from __future__ import annotations

import math
import subprocess
import sys
import time

import numpy as np
import pytest

import dropblock_core as db
from dropblock_core._validation import check_counter, is_traced
from dropblock_core.gamma import MAX_DISTINCT_COUNTS, _axis_histogram, coverage_counts
from dropblock_core.threefry import threefry2x32
from tests.backends import dtype_params, to_numpy
from tests.core import x64

SHAPE, DROP, BLOCK = (2, 3, 14, 14), 0.2, 3
INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


def _mask(**kwargs):
    return db.sample_mask(SHAPE, DROP, BLOCK, **kwargs)


# -- 4. 0-d integer arrays are range-checked like ints, on every namespace ---------------


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_numpy_0d_counters_give_the_int_mask(dtype):
    value = np.array(100, dtype=dtype)
    want = _mask(seed=100, step=100, replica=100)
    np.testing.assert_array_equal(_mask(seed=value, step=value, replica=value), want)
    y = db.dropblock(np.ones(SHAPE, np.float32), DROP, BLOCK, seed=value, step=value)
    np.testing.assert_array_equal(y != 0, _mask(seed=100, step=100))


def test_wide_numpy_seed_keeps_its_high_word():
    # Before: the high word was dropped (the mask of seed=0).
    got = _mask(seed=np.array(2**40, np.uint64))
    np.testing.assert_array_equal(got, _mask(seed=2**40))
    assert not np.array_equal(got, _mask(seed=0))


@pytest.mark.parametrize(
    ("name", "value", "bits"),
    [
        ("seed", np.array(-1), 64),  # before: the mask of seed=2**32-1
        ("step", np.array(-3, np.int8), 32),  # before: the mask of step=2**32-3
        ("replica", np.array(-1, np.int16), 32),
        ("step", np.array(2**32, np.uint64), 32),
        ("replica", np.array(2**40, np.int64), 32),
    ],
)
def test_out_of_range_numpy_counters_are_refused(name, value, bits):
    with pytest.raises(ValueError, match=rf"{name} must be in \[0, 2\*\*{bits}\), got -?\d+"):
        _mask(**{"seed": 0, name: value})
    with pytest.raises(ValueError, match=name):  # as the same Python int is
        _mask(**{"seed": 0, name: int(value)})


@pytest.mark.parametrize(
    "value", [np.array(True), np.array(1.0), np.array([1, 2]), "3", 2.0, True, None]
)
def test_non_integer_counters_are_type_errors(value):
    with pytest.raises(TypeError, match="step"):
        _mask(seed=0, step=value)


@pytest.mark.parametrize("dtype", dtype_params("int8", "int32", "int64", "uint8", "uint32"))
def test_concrete_counters_of_every_namespace_are_checked(xp, dtype):
    good = xp.asarray(7, dtype=getattr(xp, dtype))
    want = _mask(seed=7, step=7)
    got = db.sample_mask(SHAPE, DROP, BLOCK, seed=good, step=good, xp=xp)
    np.testing.assert_array_equal(to_numpy(got), want)
    if dtype.startswith("int"):
        bad = xp.asarray(-1, dtype=getattr(xp, dtype))
        for name in ("seed", "step", "replica"):
            with pytest.raises(ValueError, match=rf"{name} must be in \[0, 2\*\*\d+\), got -1"):
                db.sample_mask(SHAPE, DROP, BLOCK, xp=xp, **{"seed": 0, name: bad})


def test_jax_concrete_counters_are_checked_and_traced_ones_pass(jax):
    jnp = jax.numpy
    with pytest.raises(ValueError, match="seed must be in"):  # before: seed 2**32-1's mask
        db.sample_mask(SHAPE, DROP, BLOCK, seed=jnp.int32(-1), xp=jnp)
    with pytest.raises(ValueError, match="step must be in"):
        db.sample_mask(SHAPE, DROP, BLOCK, seed=0, step=jnp.int32(-1))
    assert not is_traced(jnp.int32(3))
    seen = []

    @jax.jit
    def traced(seed):
        seen.append(is_traced(seed))
        return db.sample_mask(SHAPE, DROP, BLOCK, seed=seed, xp=jnp)

    np.testing.assert_array_equal(np.asarray(traced(jnp.int32(9))), _mask(seed=9))
    assert seen == [True]


x64.add(
    "uint64_seed",
    f"""
    import numpy as np, jax.numpy as jnp, dropblock_core as db
    shape = {SHAPE!r}
    m = db.sample_mask(shape, 0.2, 3, seed=jnp.uint64(2**40 + 5), xp=jnp)
    want = db.sample_mask(shape, 0.2, 3, seed=2**40 + 5)
    five = db.sample_mask(shape, 0.2, 3, seed=5)
    print(bool((np.asarray(m) == want).all()), bool((np.asarray(m) == five).all()))
    """,
)


@pytest.mark.usefixtures("jax")
def test_jax_uint64_seed_keeps_its_high_word():
    # Needs 64-bit JAX types: run in the child interpreter of tests/core/x64.py.
    out = x64.result("uint64_seed")
    assert out.split() == ["True", "False"], out  # before: False True


def test_torch_counters_are_checked(torch):
    want = _mask(seed=3, step=4)
    got = _mask(seed=torch.tensor(3), step=torch.tensor(4, dtype=torch.uint8))
    np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="step must be in"):
        _mask(seed=0, step=torch.tensor(-3, dtype=torch.int8))
    assert is_traced(torch.empty((), dtype=torch.int64, device="meta"))
    assert not is_traced(torch.tensor(3))


def test_check_counter_returns_ints_for_concrete_values():
    assert check_counter(np.uint64(2**63), "seed", 64) == 2**63
    assert type(check_counter(np.array(5, np.int16), "step", 32)) is int


# -- 5. no overflow warning from 0-d words (pytest runs with -W error) -----------------


def test_zero_d_threefry_words_do_not_warn():
    import array_api_compat.numpy as xnp

    big = np.asarray(0xFFFFFFFF, dtype=np.uint32)
    x0, x1 = threefry2x32((big, big), (big, big), xp=xnp)  # raised RuntimeWarning before
    v0, v1 = threefry2x32((big, big), (big[None], big[None]), xp=xnp)
    assert (x0.shape, x1.shape) == ((), ())
    assert (int(x0), int(x1)) == (int(v0[0]), int(v1[0]))


def test_array_counters_do_not_warn_in_a_strict_interpreter():
    code = (
        "import numpy as np, dropblock_core as db\n"
        "x = np.ones((2, 3, 14, 14), np.float32)\n"
        "db.dropblock(x, 0.1, 7, seed=np.array(2**40, np.uint64), step=np.array(5, np.int8))\n"
        "db.sample_mask(x.shape, 0.1, 7, seed=np.int64(3), step=np.array(2**32 - 1, np.uint32))\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert out.stdout.strip() == "ok" and out.stderr == ""


# -- 7. coverage-count histogram in O(distinct counts) --------------------------------


@pytest.mark.parametrize("region", ["valid", "full"])
def test_axis_histogram_matches_the_per_position_counts(region):
    for size in range(1, 41):
        for block in range(1, size + 3):
            values, counts = np.unique(coverage_counts(size, block, region), return_counts=True)
            got_values, got_counts = _axis_histogram(size, block, region)
            assert got_values.tolist() == values.tolist(), (size, block)
            assert got_counts.tolist() == counts.tolist(), (size, block)
            assert got_values.dtype == values.dtype


def test_huge_maps_are_closed_form():
    # Before: MemoryError (74.5 GiB for the per-position counts).
    start = time.process_time()
    gamma = db.exact_gamma(0.1, 7, (10**10,))
    assert db.expected_drop_rate(gamma, 7, (10**10,)) == pytest.approx(0.1, rel=1e-12)
    assert db.exact_gamma(0.1, 7, (10**9, 10**8)) == pytest.approx(
        db.exact_gamma(0.1, 7, (10**8, 10**9)), rel=1e-12
    )
    # Far from the borders every unit is covered by b seeds in each axis:
    # the exact gamma tends to 1 - (1 - p)**(1 / b) as the map grows.
    assert gamma == pytest.approx(-math.expm1(math.log1p(-0.1) / 7), rel=1e-8)
    assert time.process_time() - start < 5  # O(distinct counts), not O(map)


def test_results_are_bit_identical_to_the_per_position_histogram():
    def old_weighted(block, spatial, region):
        values, weights = np.ones(1), np.ones(1)
        for size, b in zip(spatial, block):
            v, c = np.unique(coverage_counts(size, b, region), return_counts=True)
            values = np.multiply.outer(values, v).ravel()
            weights = np.multiply.outer(weights, c).ravel()
        return values, weights

    from dropblock_core.gamma import _weighted_counts

    for block, spatial in [((7, 7), (14, 14)), ((3, 5), (20, 9)), ((2, 3, 4), (9, 8, 7))]:
        for region in ("valid", "full"):
            old = old_weighted(block, spatial, region)
            new = _weighted_counts(block, spatial, region)
            for a, b in zip(old, new):
                assert a.dtype == b.dtype == np.float64
                np.testing.assert_array_equal(a, b)


def test_too_many_distinct_counts_is_a_value_error():
    side = math.isqrt(MAX_DISTINCT_COUNTS) + 1
    with pytest.raises(ValueError, match="block_size"):
        db.exact_gamma(0.1, (side, side), (3 * side, 3 * side))


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: db.paper_gamma(0.1, 3, (2**62, 2**62)), "spatial_shape"),
        (lambda: db.expected_drop_rate(0.1, 3, (10**30,)), "spatial_shape"),
        (lambda: db.sample_mask((1, 1, 2**63), 0.1, 3), "shape"),
        (lambda: db.sample_mask((1, 1, 2**40), 0.1, 3), "shape"),
        (lambda: db.paper_gamma(2**2000, 3, (5,)), "drop_prob"),
        (lambda: db.expected_drop_rate(-(2**2000), 3, (5,)), "gamma"),
        (lambda: db.sample_mask((1, 1, 5), 0.1, 3, gamma=2**2000), "gamma"),
        (lambda: db.sample_mask((1, 1, 5), 0.1, 3, seed=0, device="gpu"), "device"),
        (lambda: db.dropblock(np.ones(5, np.float32), 0.1, 3), "x"),
    ],
)
def test_huge_or_odd_parameters_are_value_errors_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_linear_schedule_with_huge_steps():
    assert db.linear_schedule(2**1999, 2**2000, 0.2) == pytest.approx(0.1)
