"""Same seed and step: the same mask bits and outputs on every namespace."""

from __future__ import annotations

import numpy as np
import pytest

import dropblock_core as db
from tests.backends import dtype_params, to_numpy

# (shape, block, drop, options): 1-D, 2-D, 3-D, rectangular and even blocks,
# channels-last, shared masks, both regions and gamma rules.
MASK_TABLE = [
    ((2, 3, 40), 5, 0.2, {}),
    ((2, 4, 14, 14), 7, 0.1, {}),
    ((3, 2, 9, 13), (2, 4), 0.3, {}),
    ((2, 3, 14, 14), 4, 0.15, {"seed_region": "full"}),
    ((2, 11, 10, 5), 3, 0.2, {"channels_last": True}),
    ((3, 5, 12, 12), 3, 0.25, {"share_channels": True}),
    ((4, 2, 8, 8), 3, 0.25, {"share_batch": True, "gamma": "paper"}),
    ((1, 2, 6, 7, 5), (2, 3, 2), 0.2, {}),
    ((2, 2, 5, 5), 9, 0.3, {"gamma": 0.5}),
    ((0, 2, 5, 5), 3, 0.3, {}),
]


def _xp_int(xp, value):
    return xp.asarray(value, dtype=xp.int32)


@pytest.mark.parametrize(("shape", "block", "drop", "opts"), MASK_TABLE)
@pytest.mark.parametrize(("seed", "step"), [(0, 0), (2**40 + 7, 3), (123, 2**32 - 1)])
def test_masks_are_bit_identical_across_backends(xp, shape, block, drop, opts, seed, step):
    want = db.sample_mask(shape, drop, block, seed=seed, step=step, **opts)
    got = db.sample_mask(shape, drop, block, seed=seed, step=step, xp=xp, **opts)
    assert got.dtype == xp.bool
    np.testing.assert_array_equal(to_numpy(got), want)


@pytest.mark.parametrize(("shape", "block", "drop", "opts"), MASK_TABLE[:9])
def test_jax_jit_with_traced_seed_and_step(jax, shape, block, drop, opts):
    jnp = jax.numpy

    @jax.jit
    def mask(seed, step):
        return db.sample_mask(shape, drop, block, seed=seed, step=step, xp=jnp, **opts)

    for seed, step in [(5, 0), (2**31 - 1, 77)]:
        want = db.sample_mask(shape, drop, block, seed=seed, step=step, **opts)
        got = mask(jnp.asarray(seed, dtype=jnp.int32), jnp.asarray(step, dtype=jnp.int32))
        np.testing.assert_array_equal(np.asarray(got), want)


def test_traced_replica_gives_independent_masks(jax):
    jnp = jax.numpy

    f = jax.jit(lambda r: db.sample_mask((2, 3, 14, 14), 0.2, 3, seed=1, replica=r, xp=jnp))
    m0, m1 = np.asarray(f(jnp.int32(0))), np.asarray(f(jnp.int32(1)))
    np.testing.assert_array_equal(m1, db.sample_mask((2, 3, 14, 14), 0.2, 3, seed=1, replica=1))
    assert not np.array_equal(m0, m1)


@pytest.mark.parametrize("dtype", dtype_params("float32", "float64", "float16"))
@pytest.mark.parametrize("normalize", ["global", "per_sample", "expected", "none"])
def test_dropblock_matches_numpy_on_every_backend(xp, dtype, normalize):
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((3, 4, 12, 12)).astype(dtype)
    x = xp.asarray(x_np)
    assert x.dtype == getattr(xp, dtype)  # a backend that lacks it is skipped (LACKS)
    want = db.dropblock(x_np, 0.2, 3, seed=4, step=2, normalize=normalize)
    got = db.dropblock(x, 0.2, 3, seed=4, step=2, normalize=normalize)
    assert got.dtype == x.dtype
    got_np = to_numpy(got)
    np.testing.assert_array_equal(got_np == 0, want == 0)
    tol = {"float16": 2e-3, "float32": 1e-6, "float64": 1e-12}[dtype]
    np.testing.assert_allclose(got_np, want, rtol=tol, atol=0)


def test_bfloat16_keeps_dtype_and_scale(torch):
    x = torch.ones((2, 3, 10, 10), dtype=torch.bfloat16)
    y = db.dropblock(x, 0.2, 3, seed=1)
    assert y.dtype == torch.bfloat16
    mask = db.sample_mask((2, 3, 10, 10), 0.2, 3, seed=1)
    expected = mask.size / mask.sum()
    kept = y[torch.from_numpy(mask)].float()
    assert torch.all(torch.isfinite(y.float()))
    assert torch.allclose(kept, torch.full_like(kept, expected), rtol=2**-7)


def test_jax_dropblock_under_jit_and_grad(jax):
    jnp = jax.numpy
    x = jnp.asarray(np.random.default_rng(1).standard_normal((2, 3, 14, 14)), dtype=jnp.float32)

    def loss(x, seed, step):
        return jnp.sum(db.dropblock(x, 0.2, 5, seed=seed, step=step))

    grad = jax.jit(jax.grad(loss))(x, jnp.int32(3), jnp.int32(9))
    mask = db.sample_mask(x.shape, 0.2, 5, seed=3, step=9)
    scale = mask.size / mask.sum()
    np.testing.assert_allclose(np.asarray(grad), mask * np.float32(scale), rtol=1e-6)
