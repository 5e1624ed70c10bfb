"""A traced ``drop_prob`` through ``dropblock_jax``: one trace for a whole
schedule, gamma computed in the graph and its agreement with the host's, and a
Python-float ``drop_prob`` that keeps the core's masks bit for bit."""

from __future__ import annotations

import dropblock_jax as dj
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dropblock_core as db
from dropblock_core.masks import plan_mask
from tests.core.reference import GAMMA_CASES

EPS32 = float(np.finfo(np.float32).eps)


def test_a_20_step_schedule_with_a_traced_drop_prob_traces_once():
    traces = []

    @jax.jit
    def train_step(x, drop_prob, step):
        traces.append(1)
        return dj.dropblock(x, drop_prob, 3, seed=0, step=step)

    x = jnp.ones((4, 8, 12, 12))
    dropped = []
    for step in range(20):
        p = db.linear_schedule(step, 10, 0.3)
        y = train_step(x, jnp.float32(p), step)
        dropped.append(float((y == 0).mean()))
    assert len(traces) == 1
    assert dropped[0] == 0.0  # drop_prob 0 at step 0: nothing dropped
    assert dropped[10] > 0.2  # the ramp reached its target (0.3 in expectation)


def test_a_python_float_keeps_the_core_masks_bit_for_bit():
    x = jnp.ones((2, 4, 14, 14))
    for p in (0.05, 0.1, 0.3):
        want = db.sample_mask(x.shape, p, 7, seed=9, step=2)
        eager = dj.keep_mask(x, p, 7, seed=9, step=2)
        jitted = jax.jit(lambda s, p=p: dj.keep_mask(x, p, 7, seed=s, step=2))(9)
        np.testing.assert_array_equal(np.asarray(eager), want)
        np.testing.assert_array_equal(np.asarray(jitted), want)


def test_an_array_drop_prob_gives_the_same_mask_eagerly_and_under_jit():
    x = jnp.ones((2, 4, 14, 14))
    p = jnp.float32(0.2)
    eager = dj.dropblock(x, p, 7, seed=1, step=3)
    jitted = jax.jit(lambda x, p: dj.dropblock(x, p, 7, seed=1, step=3))(x, p)
    np.testing.assert_array_equal(np.asarray(eager), np.asarray(jitted))
    assert (np.asarray(eager) == 0).any()


@pytest.mark.parametrize("normalize", ["global", "per_sample", "expected", "none"])
def test_traced_zero_drops_nothing_and_every_rescale_works(normalize):
    x = jnp.asarray(np.random.default_rng(0).uniform(0.5, 1.5, (2, 3, 10, 10)), jnp.float32)
    f = jax.jit(lambda x, p: dj.dropblock(x, p, 3, seed=0, normalize=normalize))
    np.testing.assert_array_equal(np.asarray(f(x, jnp.float32(0.0))), np.asarray(x))
    y = np.asarray(f(x, jnp.float32(0.3)))
    mask = np.asarray(dj.keep_mask(x, jnp.float32(0.3), 3, seed=0))
    np.testing.assert_array_equal(y != 0, mask)
    scale = {
        "global": mask.size / mask.sum(),
        "expected": 1 / (1 - np.float32(0.3)),
        "none": 1.0,
    }.get(normalize)
    if scale is not None:
        np.testing.assert_allclose(y[mask], (np.asarray(x) * np.float32(scale))[mask], rtol=1e-6)


def test_a_concrete_array_drop_prob_is_range_checked():
    with pytest.raises(ValueError, match=r"drop_prob must be in \[0, 1\)"):
        dj.dropblock(jnp.ones((1, 1, 6, 6)), jnp.float32(1.0), 3, seed=0)
    with pytest.raises(TypeError, match="drop_prob"):
        dj.dropblock(jnp.ones((1, 1, 6, 6)), jnp.int32(0), 3, seed=0)


# -- agreement of the in-graph gamma with the host's ------------------------------------------

DROPS = (1e-4, 0.01, 0.1, 0.5, 0.9, 0.99)


def test_traced_gamma_agrees_with_the_host_gamma():
    """In float32 (JAX without x64) the traced gamma is within 8 float32 epsilons
    (9.5e-7) of the host's float64 gamma for the same Python drop_prob. The bound:
    the input is rounded to float32 (1/2 eps, times the condition number of gamma
    in drop_prob, at most about 2 here) and the 8 Newton steps and the closed form
    add a few roundings of sums of exponentials. Measured worst over 256 cases
    (8 maps, both regions, both rules, 8 drop_probs): 4.4e-7 exact, 1.1e-7 paper;
    over these 84 (GAMMA_CASES x DROPS): 4.4e-7 exact, 7.2e-8 paper."""
    worst = {"exact": 0.0, "paper": 0.0}
    drops = jnp.asarray(DROPS, jnp.float32)
    for spatial, block, region, rule in GAMMA_CASES:
        shape = (1, 1, *spatial)

        @jax.jit
        @jax.vmap
        def traced_gamma(q, shape=shape, block=block, region=region, rule=rule):
            return plan_mask(shape, q, block, gamma=rule, seed_region=region, xp=jnp).gamma

        for p, traced in zip(DROPS, np.asarray(traced_gamma(drops)).tolist()):
            host = plan_mask(shape, p, block, gamma=rule, seed_region=region).gamma
            worst[rule] = max(worst[rule], abs(traced - host) / host)
    assert worst["exact"] <= 8 * EPS32 and worst["paper"] <= 8 * EPS32, worst
    assert worst["exact"] > 0  # float32 really is at work (not the host's float64)


def test_traced_masks_equal_the_host_masks_on_resnet_like_maps():
    """The thresholds differ from the host's in low bits, so a word falling between
    them could flip a seed: with probability about 1e-6 per seed word. On these
    36 masks (3,010,560 units) no unit differs."""
    differ, units, masks = 0, 0, 0
    for shape, block in [((16, 32, 14, 14), 7), ((8, 16, 28, 28), 7), ((16, 64, 7, 7), 3)]:

        @jax.jit
        def traced_mask(q, s, shape=shape, block=block):
            return dj.keep_mask(jnp.zeros(shape), q, block, seed=s)

        for p in (0.05, 0.1):
            for seed in range(6):
                traced = np.asarray(traced_mask(jnp.float32(p), jnp.uint32(seed)))
                host = db.sample_mask(shape, p, block, seed=seed)
                assert not host.all()
                differ += int((traced != host).sum())
                units += host.size
                masks += 1
    assert (masks, units) == (36, 3_010_560)
    assert differ == 0
