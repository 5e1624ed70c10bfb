"""A seed given as two 32-bit words ``(low, high)``: the base key itself, the
same masks as the integer ``low + high * 2**32`` on every namespace (the form a
traced 64-bit seed takes where arrays have no 64-bit integers)."""

from __future__ import annotations

import numpy as np
import pytest

import dropblock_core as db
from dropblock_core.rng import mask_key

from ..conftest import to_numpy

SEEDS = [0, 7, 2**32 - 1, 2**32, 0x0123456789ABCDEF, 2**64 - 1]


@pytest.mark.parametrize("seed", SEEDS)
def test_mask_key_of_words_is_the_key_of_the_integer(seed):
    assert mask_key((seed & 0xFFFFFFFF, seed >> 32), 5, 2) == mask_key(seed, 5, 2)


@pytest.mark.parametrize("seed", SEEDS)
def test_words_as_arrays_give_the_integer_mask(xp, seed):
    shape = (2, 3, 12, 12)
    want = db.sample_mask(shape, 0.2, 3, seed=seed, step=4, replica=1)
    word = xp.int64 if "torch" in xp.__name__ else xp.uint32
    low = xp.asarray(seed & 0xFFFFFFFF, dtype=word)
    high = xp.asarray(seed >> 32, dtype=word)
    got = db.sample_mask(shape, 0.2, 3, seed=(low, high), step=4, replica=1, xp=xp)
    np.testing.assert_array_equal(to_numpy(got), want)
    assert not want.all()  # the comparison saw dropped blocks


def test_words_as_ints_are_the_integer():
    shape = (1, 2, 9, 9)
    want = db.sample_mask(shape, 0.3, 3, seed=2**40 + 9)
    np.testing.assert_array_equal(db.sample_mask(shape, 0.3, 3, seed=(9, 2**8)), want)


def test_traced_words_under_jit():
    import jax
    import jax.numpy as jnp

    seed = 0xFEDCBA9876543210
    want = db.sample_mask((2, 2, 10, 10), 0.2, 3, seed=seed, step=3)
    f = jax.jit(
        lambda lo, hi: db.sample_mask((2, 2, 10, 10), 0.2, 3, seed=(lo, hi), step=3, xp=jnp)
    )
    got = f(jnp.uint32(seed & 0xFFFFFFFF), jnp.uint32(seed >> 32))
    np.testing.assert_array_equal(np.asarray(got), want)


@pytest.mark.parametrize(
    ("seed", "error", "match"),
    [
        ((1, 2, 3), TypeError, r"seed as words must be a pair \(low, high\)"),
        ((2**32, 0), ValueError, r"seed must be in \[0, 2\*\*32\)"),
        ((-1, 0), ValueError, "seed"),
        ((0.5, 0), TypeError, "seed"),
    ],
)
def test_bad_words_name_the_seed(seed, error, match):
    with pytest.raises(error, match=match):
        db.sample_mask((1, 1, 6, 6), 0.2, 3, seed=seed)
