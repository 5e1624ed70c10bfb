"""The fast paths give the standard paths' bits exactly: the NumPy fast path
(``_numpy_fast``) against the pure array-API path (``_standard``) behind the
one dispatch (``_dispatch.mask_path``), the native JAX seed loop (``_native_jax.group_bits``) and the shifted-OR
block dilation (``_standard.dilate_axis``)."""

from __future__ import annotations

import itertools

import array_api_compat.numpy as cnp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import dropblock_core as db
from dropblock_core._dispatch import mask_path, standard_path
from dropblock_core._namespace import resolve_namespace
from dropblock_core._numpy_fast import NumpyFastPath
from dropblock_core._standard import StandardPath, dilate_axis
from dropblock_core.masks import check_draw, plan_mask
from dropblock_core.native import native_group_bits
from dropblock_core.rng import (
    bits_all_rounds,
    bits_round_by_round,
    gap_thresholds,
    mask_key,
)
from tests.backends import Backend, to_numpy

from .test_masks import _options, _shape, mask_cases

# Gammas from "almost never a second seed" to "every group needs all 16 pairs".
GAMMAS = [1e-6, 0.003, 0.05, 0.3, 0.9, 1 - 1e-6]
GROUP_COUNTS = [1, 7, 1000, 100_000]


def test_one_dispatch_picks_one_path_per_namespace():
    import array_api_strict
    import jax.numpy as jnp

    from dropblock_core import _native_jax

    assert isinstance(mask_path(cnp), NumpyFastPath)
    for xp in (array_api_strict, jnp):
        assert isinstance(mask_path(xp), StandardPath)
    assert mask_path(jnp).group_bits is _native_jax.group_bits
    assert mask_path(array_api_strict).group_bits is None


@given(mask_cases(), st.sampled_from(["global", "per_sample", "expected", "none"]))
@settings(max_examples=150, deadline=None)
def test_numpy_fast_path_equals_the_standard_path(c, normalize):
    """The same NumPy inputs through both paths: the same seeds (sorted indices
    against a boolean indicator), the same mask, the same output bit for bit."""
    shape, opts = _shape(c), _options(c)
    fast, standard = NumpyFastPath(), standard_path(cnp)
    plan = plan_mask(shape, c["drop"], c["block"], **opts)
    draw = check_draw(fast, seed=c["seed"], step=c["step"], replica=1, stream="counter", xp=cnp)
    indices = fast.draw_seeds(plan, draw, xp=cnp)
    indicator = standard.draw_seeds(plan, draw, xp=cnp)
    assert indices.dtype == np.int64 and indicator.dtype == np.bool_
    np.testing.assert_array_equal(np.flatnonzero(indicator), indices)
    mask = fast.sample_mask(plan, draw, xp=cnp)
    np.testing.assert_array_equal(mask, standard.sample_mask(plan, draw, xp=cnp))
    np.testing.assert_array_equal(fast.expand_seeds(plan, indices, xp=cnp), mask)
    np.testing.assert_array_equal(standard.expand_seeds(plan, indicator, xp=cnp), mask)
    if plan.positions == 0 or 0 in shape:
        return
    dtype = [np.float16, np.float32, np.float64][c["step"] % 3]
    x = np.random.default_rng(c["step"]).normal(size=shape).astype(dtype)
    x.flat[0] = np.inf
    x.flags.writeable = False  # neither path writes to its input
    args = (x, plan, draw, c["drop"], normalize)
    got, want = fast.dropblock(*args, xp=cnp), standard.dropblock(*args, xp=cnp)
    assert got.dtype == want.dtype == dtype
    np.testing.assert_array_equal(got.view(f"u{x.itemsize}"), want.view(f"u{x.itemsize}"))
    np.testing.assert_array_equal(
        fast.apply_mask(x, mask, c["drop"], normalize, xp=cnp).view(f"u{x.itemsize}"),
        want.view(f"u{x.itemsize}"),
    )


def test_only_jax_has_a_native_seed_loop(backend, xp):
    if backend is Backend.JAX:
        from dropblock_core import _native_jax

        assert native_group_bits(xp) is _native_jax.group_bits
    else:
        assert native_group_bits(resolve_namespace(xp)) is None


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("n_groups", GROUP_COUNTS)
def test_native_jax_loop_equals_the_standard_paths(jax, gamma, n_groups):
    """Eager and jitted, against all 32 rounds on JAX and round by round on NumPy."""
    from dropblock_core._native_jax import group_bits

    jnp = jax.numpy
    key = mask_key(2**40 + 3, 11, 1)
    thresholds = gap_thresholds(gamma)
    want = bits_round_by_round(
        key, cnp.asarray(thresholds), cnp.arange(n_groups, dtype=cnp.uint32), xp=cnp
    )
    c = jnp.asarray(thresholds)
    groups = jnp.arange(n_groups, dtype=jnp.uint32)
    standard = bits_all_rounds(key, c, groups, xp=jnp)
    eager = group_bits(key, c, groups, xp=jnp)
    traced = jax.jit(lambda k0, k1, c: group_bits((k0, k1), c, groups, xp=jnp))(
        jnp.uint32(key[0]), jnp.uint32(key[1]), c
    )
    for got in (standard, eager, traced):
        np.testing.assert_array_equal(np.asarray(got), want)
    if gamma >= 0.05 and n_groups >= 1000:  # the loop really ran many pairs
        assert np.mean([bin(int(b)).count("1") for b in want[:1000]]) > 32 * gamma / 2


@given(mask_cases())
# 11 compared cases: of the 20 drawn before assume(), 30-70 % (about half) used the
# counter stream (counted with hypothesis events over five seeds).
@settings(max_examples=11, deadline=None)
def test_jax_masks_equal_numpy_eagerly(jax, c):
    """Ranks 1-3, rectangular and even blocks, both regions, shared axes,
    channels-last, gamma rules; empty and tiny grids."""
    assume(c["stream"] != "native")  # NumPy's own generator has no JAX twin
    jnp = jax.numpy
    shape, opts = _shape(c), _options(c)
    args = (shape, c["drop"], c["block"])
    want = db.sample_mask(*args, seed=c["seed"], step=c["step"], **opts)
    got = db.sample_mask(*args, seed=c["seed"], step=c["step"], xp=jnp, **opts)
    np.testing.assert_array_equal(np.asarray(got), want)


@given(mask_cases())
@settings(max_examples=8, deadline=None)
def test_jax_masks_equal_numpy_under_jit(jax, c):
    """The same under ``jax.jit`` with seed, step and drop_prob traced (the
    in-graph gamma then decides; float32 thresholds are compared as computed)."""
    jnp = jax.numpy
    shape, opts = _shape(c), _options(c)
    seed = c["seed"] % 2**32  # a traced seed is used modulo 2**32

    @jax.jit
    def masks(seed, step, drop):
        host = db.sample_mask(shape, c["drop"], c["block"], seed=seed, step=step, xp=jnp, **opts)
        graph = db.sample_mask(shape, drop, c["block"], seed=seed, step=step, xp=jnp, **opts)
        return host, graph

    host, graph = masks(jnp.uint32(seed), jnp.uint32(c["step"]), jnp.float32(c["drop"]))
    want = db.sample_mask(shape, c["drop"], c["block"], seed=seed, step=c["step"], **opts)
    np.testing.assert_array_equal(np.asarray(host), want)
    eager = db.sample_mask(
        shape, jnp.float32(c["drop"]), c["block"], seed=seed, step=c["step"], xp=jnp, **opts
    )
    np.testing.assert_array_equal(np.asarray(graph), np.asarray(eager))


def test_many_groups_needing_many_rounds_under_jit(jax):
    """Gamma 0.6 on a 2**17-group grid: every group draws all 16 pairs."""
    jnp = jax.numpy
    shape = (8, 16, 32, 32)
    f = jax.jit(lambda t: db.sample_mask(shape, 0.6, 1, gamma=0.6, seed=7, step=t, xp=jnp))
    want = db.sample_mask(shape, 0.6, 1, gamma=0.6, seed=7, step=3)
    np.testing.assert_array_equal(np.asarray(f(jnp.uint32(3))), want)


def test_vmap_over_seeds_gives_each_seeds_mask(jax):
    """A batched key makes the loop's condition batched: each seed's own bits."""
    jnp = jax.numpy
    shape = (2, 3, 14, 14)
    f = jax.vmap(lambda s: db.sample_mask(shape, 0.3, 3, seed=s, step=2, xp=jnp))
    got = np.asarray(f(jnp.arange(4, dtype=jnp.uint32)))
    for s in range(4):
        np.testing.assert_array_equal(got[s], db.sample_mask(shape, 0.3, 3, seed=s, step=2))


def _covered(seeds: np.ndarray, size: int, block: int, offset: int) -> np.ndarray:
    """Brute force: cell i is dropped iff a seed in i+offset-block+1 .. i+offset exists."""
    out = np.zeros(seeds.shape[:-1] + (size,), dtype=bool)
    for i in range(size):
        lo, hi = max(i + offset - block + 1, 0), min(i + offset, seeds.shape[-1] - 1)
        if lo <= hi:
            out[..., i] = seeds[..., lo : hi + 1].any(axis=-1)
    return out


def test_shifted_or_dilation_is_the_union_of_blocks(xp):
    """Sizes 1..13 (odd, even, powers of 2 and not), every block 1..size, both
    regions, on every backend (read-only seeds on numpy_readonly)."""
    ns = resolve_namespace(xp)
    rng = np.random.default_rng(0)
    for size, region in itertools.product((1, 2, 5, 8, 13), ("valid", "full")):
        for block in range(1, size + 1):
            offset = 0 if region == "valid" else block // 2
            grid = size - block + 1 if region == "valid" else size
            seeds = rng.random((3, grid)) < 0.15
            got = dilate_axis(xp.asarray(seeds), 1, size, block, offset, xp=ns)
            np.testing.assert_array_equal(to_numpy(got), _covered(seeds, size, block, offset))
