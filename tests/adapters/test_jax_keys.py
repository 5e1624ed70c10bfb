"""PRNG keys as seeds of ``dropblock_jax`` (docs/rng.md, section 2) and the
layout guard (``spatial_dims``)."""

from __future__ import annotations

import dropblock_jax as dj
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from dropblock_jax.keys import is_key, seed_from_key

import dropblock_core as db

from ..docs import rng_spec as spec
from ..docs.markdown_blocks import DOCS, tables

SHAPE = (2, 3, 12, 12)


def _words(key: jax.Array) -> tuple[int, int]:
    data = jax.random.key_data(key) if key.dtype != jnp.uint32 else key
    d0, d1 = (int(w) for w in np.asarray(data))
    return d0, d1


def _masks(key):
    """The mask of ``key`` eagerly, under jit, and through keep_mask."""
    x = jnp.ones(SHAPE)
    eager = dj.dropblock(x, 0.2, 3, seed=key, step=4) != 0
    jitted = jax.jit(lambda x, k: dj.dropblock(x, 0.2, 3, seed=k, step=4))(x, key) != 0
    mask = jax.jit(lambda k: dj.keep_mask(x, 0.2, 3, seed=k, step=4))(key)
    return [np.asarray(m) for m in (eager, jitted, mask)]


@pytest.mark.parametrize("n", [0, 5, 2**31 - 1])
@pytest.mark.parametrize("make", [jax.random.key, jax.random.PRNGKey], ids=["typed", "raw"])
def test_key_of_n_draws_the_masks_of_seed_n(make, n):
    want = db.sample_mask(SHAPE, 0.2, 3, seed=n, step=4)
    for got in _masks(make(n)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("how", ["split", "fold_in"])
def test_any_key_is_the_seed_its_words_spell(how):
    base = jax.random.key(2024)
    key = jax.random.split(base)[1] if how == "split" else jax.random.fold_in(base, 99)
    d0, d1 = _words(key)
    assert d0 >= 2**16  # a high word that matters
    seed = d0 * 2**32 + d1  # docs/rng.md: seed = d0 * 2**32 + d1
    assert seed_from_key(key) == seed
    want = db.sample_mask(SHAPE, 0.2, 3, seed=seed, step=4)
    assert not want.all()
    for got in _masks(key):
        np.testing.assert_array_equal(got, want)
    raw = jax.random.key_data(key)
    for got in _masks(raw):
        np.testing.assert_array_equal(got, want)


def test_a_64_bit_key_under_x64():
    with jax.enable_x64(True):
        n = 2**40 + 12345
        key = jax.random.key(n)
        assert _words(key) == (n >> 32, n & 0xFFFFFFFF)
        want = db.sample_mask(SHAPE, 0.2, 3, seed=n, step=4)
        for got in _masks(key):
            np.testing.assert_array_equal(got, want)


def test_same_key_same_mask_other_key_other_mask():
    key = jax.random.key(7)
    f = jax.jit(lambda k: dj.keep_mask(jnp.ones(SHAPE), 0.2, 3, seed=k))
    np.testing.assert_array_equal(np.asarray(f(key)), np.asarray(f(key)))
    keys = jax.random.split(key, 4)
    masks = [np.asarray(f(k)) for k in keys]
    assert all((masks[i] != masks[0]).any() for i in range(1, 4))


def test_vmap_over_keys_gives_each_key_its_mask():
    keys = jax.random.split(jax.random.key(3), 5)
    x = jnp.ones(SHAPE)
    out = np.asarray(jax.vmap(lambda k: dj.keep_mask(x, 0.2, 3, seed=k))(keys))
    for i, key in enumerate(keys):
        want = db.sample_mask(SHAPE, 0.2, 3, seed=seed_from_key(key))
        np.testing.assert_array_equal(out[i], want)
    assert all((out[i] != out[0]).any() for i in range(1, 5))


KEY_TABLE = [
    t
    for t in tables((DOCS / "rng.md").read_text(encoding="utf-8"))
    if t and "key" == next(iter(t[0]))
]


def test_the_key_table_of_the_rng_spec():
    """docs/rng.md, section 2: each key's words and seed, from JAX, the adapter and
    the spec's reimplementation; the masks of the key are those of the seed."""
    (rows,) = KEY_TABLE
    assert len(rows) >= 4
    for row in rows:
        key_cell, data_cell, seed_cell = row.values()
        key = eval(key_cell.strip("`"), {"jax": jax})  # noqa: S307 - the page's own expressions
        d0, d1 = (int(w, 16) for w in data_cell.strip("`").split())
        seed = int(seed_cell)
        assert _words(key) == (d0, d1)
        assert spec.seed_of_key(d0, d1) == seed_from_key(key) == seed
        want = db.sample_mask(SHAPE, 0.2, 3, seed=seed, step=1)
        np.testing.assert_array_equal(
            np.asarray(dj.keep_mask(jnp.ones(SHAPE), 0.2, 3, seed=key, step=1)), want
        )


def test_is_key():
    assert is_key(jax.random.key(0)) and is_key(jax.random.PRNGKey(0))
    assert not is_key(0) and not is_key(jnp.uint32(0)) and not is_key(jnp.zeros(2, jnp.int32))


@pytest.mark.parametrize(
    ("seed", "match"),
    [
        (jax.random.key(0, impl="rbg"), "Threefry key.*impl rbg"),
        (jax.random.split(jax.random.key(0), 2), r"single key \(shape \(\)\).*jax.vmap"),
        (jnp.zeros(2, jnp.int32), "seed must be a non-negative int or a 0-d integer array"),
        (None, "PRNG key"),
    ],
    ids=["rbg", "key-array", "int32-pair", "none"],
)
def test_bad_keys_are_type_errors(seed, match):
    with pytest.raises(TypeError, match=match):
        dj.dropblock(jnp.ones(SHAPE), 0.2, 3, seed=seed)


# -- the layout guard ------------------------------------------------------------------------


def test_spatial_dims_states_the_rank():
    x = jnp.ones((2, 4, 9, 9))
    y = dj.dropblock(x, 0.2, 3, seed=0, spatial_dims=2)
    np.testing.assert_array_equal(np.asarray(y), np.asarray(dj.dropblock(x, 0.2, 3, seed=0)))
    m = dj.keep_mask(jnp.ones((2, 9, 9, 4)), 0.2, 3, seed=0, spatial_dims=2, channels_last=True)
    assert m.shape == (2, 9, 9, 4)


@pytest.mark.parametrize(
    ("shape", "kwargs", "match"),
    [
        ((4, 9, 9), {"spatial_dims": 2}, r"4 axes \(batch, channels, height, width\).*x\[None\]"),
        (
            (9, 9, 4),
            {"spatial_dims": 2, "channels_last": True},
            r"4 axes \(batch, height, width, channels\)",
        ),
        ((2, 4, 9, 9), {"spatial_dims": 3}, r"5 axes \(batch, channels, depth, height, width\)"),
        ((4, 9, 9), {"block_size": (3, 3)}, r"for block_size=\(3, 3\).*x\[None\]"),
        ((9, 9), {}, "at least 3 axes"),
        ((2, 4, 9, 9), {"spatial_dims": 0}, "spatial_dims must be >= 1"),
    ],
)
def test_a_rank_that_cannot_hold_the_layout_is_a_clear_error(shape, kwargs, match):
    kwargs = {"block_size": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        dj.dropblock(jnp.ones(shape), 0.2, seed=0, **kwargs)
    with pytest.raises(ValueError, match=match):
        jax.jit(lambda x: dj.keep_mask(x, 0.2, seed=0, **kwargs))(jnp.ones(shape))


def test_spatial_dims_must_be_an_int():
    with pytest.raises(TypeError, match="spatial_dims must be a positive int"):
        dj.dropblock(jnp.ones((1, 1, 6, 6)), 0.2, 3, seed=0, spatial_dims=2.0)


def test_new_keys_and_wide_seeds_do_not_recompile():
    from dropblock_jax import mask as jmask

    x = jnp.ones((2, 3, 11, 11))
    keys = jax.random.split(jax.random.key(8), 3)
    assert all(seed_from_key(k) >= 2**32 for k in keys)  # both words in use
    before = jmask._compiled_graph_mask._cache_size()
    for key in keys:  # concrete keys, an array drop_prob: the graph path
        dj.dropblock(x, jnp.float32(0.2), 3, seed=key)
    assert jmask._compiled_graph_mask._cache_size() == before + 1
    before = jmask._compiled_mask._cache_size()
    for seed in (2**32, 2**40 + 1, 2**64 - 1):  # wide int seeds, a traced step: dense path
        got = dj.keep_mask(x, 0.2, 3, seed=seed, step=jnp.int32(1))
        np.testing.assert_array_equal(
            np.asarray(got), db.sample_mask(x.shape, 0.2, 3, seed=seed, step=1)
        )
    assert jmask._compiled_mask._cache_size() == before + 1
