"""dropblock_jax against the NumPy core: masks bit for bit (eager, jit, vmap),
values, dtypes, gradients, errors, the schedule and the DLPack import."""

from __future__ import annotations

import importlib
import inspect

import dropblock_jax as dj
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from dropblock_jax import mask as jmask

import dropblock_core as db
from dropblock_core.config import DropBlockConfig
from tests.adapters.bad_arguments import BAD_ARGUMENTS
from tests.children import frameworks_after

# (shape, drop_prob, block_size, options): 1-D, 2-D, 3-D maps and every option
CASES = [
    ((2, 3, 14, 14), 0.1, 7, {}),
    ((2, 3, 10, 12), 0.3, (3, 4), {"gamma": "paper"}),  # even block, non-square map
    ((3, 2, 9, 9), 0.2, 3, {"seed_region": "full"}),
    ((2, 11, 11, 4), 0.25, 5, {"channels_last": True}),
    ((4, 5, 8, 8), 0.3, 2, {"share_channels": True}),
    ((4, 5, 8, 8), 0.3, 3, {"share_batch": True}),
    ((2, 2, 40), 0.2, 5, {}),  # 1-D
    ((1, 2, 6, 7, 5), 0.3, (2, 3, 2), {"channels_last": True}),  # 3-D
    ((2, 2, 6, 6), 0.1, 1, {"gamma": 0.05}),  # block 1 = dropout, explicit gamma
]
CASE_IDS = [f"{s}-b{b}-{sorted(o)}" for s, _, b, o in CASES]


def _rng_input(shape, dtype=np.float32, seed=0):
    # values bounded away from zero, so the zero pattern of the output is the mask's
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1, 1], size=shape)).astype(dtype)


def _jitted(drop, block, opts):
    return jax.jit(
        lambda x, s, t, r: dj.dropblock(x, drop, block, seed=s, step=t, replica=r, **opts)
    )


def test_default_config_has_x64_off():
    # the rest of this file runs with JAX's default 32-bit types
    assert not jax.config.jax_enable_x64
    assert jnp.ones(1).dtype == jnp.float32


@pytest.mark.parametrize(("shape", "drop", "block", "opts"), CASES, ids=CASE_IDS)
def test_zero_pattern_is_the_numpy_core_mask_eager_and_jit(shape, drop, block, opts):
    x = jnp.asarray(_rng_input(shape))
    jit_f = _jitted(drop, block, opts)
    for seed, step, replica in [(0, 0, 0), (123456789, 7, 3), (2**32 - 1, 1, 0)]:
        want = db.sample_mask(shape, drop, block, seed=seed, step=step, replica=replica, **opts)
        want = np.broadcast_to(want, shape)
        assert jmask.uses_host_path(x, seed, step, replica)  # eager: NumPy core + DLPack
        eager = dj.dropblock(x, drop, block, seed=seed, step=step, replica=replica, **opts)
        traced = jit_f(x, jnp.uint32(seed), jnp.int32(step), jnp.int32(replica))
        np.testing.assert_array_equal(np.asarray(eager) != 0, want)
        np.testing.assert_array_equal(np.asarray(traced) != 0, want)


@pytest.mark.parametrize(("shape", "drop", "block", "opts"), CASES, ids=CASE_IDS)
def test_keep_mask_equals_sample_mask(shape, drop, block, opts):
    x = jnp.zeros(shape)
    want = db.sample_mask(shape, drop, block, seed=5, step=2, **opts)
    got = dj.keep_mask(x, drop, block, seed=5, step=2, **opts)
    assert got.dtype == jnp.bool_ and got.shape == want.shape
    np.testing.assert_array_equal(np.asarray(got), want)


def test_host_and_dense_paths_give_identical_masks():
    shape, opts = (2, 6, 7, 5, 3), {"share_batch": True}
    plan = jmask.plan_for(shape, DropBlockConfig(0.3, (2, 3, 2), **opts), True)
    traced = jax.jit(lambda s, t, r: jmask.dense_mask(plan, seed=s, step=t, replica=r))
    for seed, step, replica in [(0, 0, 0), (99, 3, 1), (2**31 + 5, 12, 0), (2**32 - 1, 1, 9)]:
        host = np.asarray(jmask.host_mask(plan, seed=seed, step=step, replica=replica))
        dense = jmask.dense_mask(plan, seed=seed, step=step, replica=replica)
        inside_jit = traced(jnp.uint32(seed), jnp.int32(step), jnp.int32(replica))
        np.testing.assert_array_equal(np.asarray(dense), host)
        np.testing.assert_array_equal(np.asarray(inside_jit), host)
    wide = 2**40 + 17  # a Python-int seed with a high word
    np.testing.assert_array_equal(
        np.asarray(jmask.dense_mask(plan, seed=wide, step=2, replica=0)),
        np.asarray(jmask.host_mask(plan, seed=wide, step=2, replica=0)),
    )


def test_which_path_is_used():
    x = jnp.ones((1, 1, 4, 4))
    assert jmask.uses_host_path(x, 0, 3, 1)
    assert jmask.uses_host_path(x, np.int64(2), 3, 1)  # any integral host scalar
    assert not jmask.uses_host_path(x, jnp.int32(0), 3, 1)  # a device scalar
    assert not jmask.uses_host_path(np.ones((1, 1, 4, 4)), 0, 0, 0)  # not a jax.Array
    seen = []
    jax.jit(lambda x: seen.append(jmask.uses_host_path(x, 0, 0, 0)) or x)(x)
    jax.grad(lambda x: seen.append(jmask.uses_host_path(x, 0, 0, 0)) or x.sum())(x)
    assert seen == [False, False]  # tracers never take the host path


def test_seed_step_replica_change_the_mask_without_retracing():
    shape, traces = (2, 4, 12, 12), []

    @jax.jit
    def f(x, seed, step, replica):
        traces.append(1)
        return dj.keep_mask(x, 0.2, 3, seed=seed, step=step, replica=replica)

    x = jnp.zeros(shape)
    masks = [np.asarray(f(x, s, t, r)) for s, t, r in [(1, 0, 0), (1, 1, 0), (2, 1, 0), (2, 1, 1)]]
    assert len(traces) == 1
    for i in range(len(masks)):
        for j in range(i):
            assert (masks[i] != masks[j]).any()


@pytest.mark.parametrize("normalize", ["global", "per_sample", "expected", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_values_equal_the_numpy_core(normalize, dtype):
    shape = (3, 4, 11, 11)
    x_np = _rng_input(shape, dtype)
    want = db.dropblock(x_np, 0.2, 3, seed=4, step=9, normalize=normalize)
    eager = dj.dropblock(jnp.asarray(x_np), 0.2, 3, seed=4, step=9, normalize=normalize)
    traced = jax.jit(lambda x, s: dj.dropblock(x, 0.2, 3, seed=s, step=9, normalize=normalize))(
        jnp.asarray(x_np), 4
    )
    for got in (eager, traced):
        assert got.dtype == dtype
        np.testing.assert_array_equal(np.asarray(got), want)


def test_bfloat16_keeps_dtype_and_scales_in_float32():
    shape = (2, 3, 10, 10)
    x = jnp.asarray(_rng_input(shape), dtype=jnp.bfloat16)
    mask = db.sample_mask(shape, 0.3, 3, seed=8)
    scale = np.float32(mask.size / np.count_nonzero(mask))
    want = (np.asarray(x.astype(jnp.float32)) * mask * scale).astype(jnp.bfloat16)
    for got in (
        dj.dropblock(x, 0.3, 3, seed=8),
        jax.jit(lambda x, s: dj.dropblock(x, 0.3, 3, seed=s))(x, 8),
    ):
        assert got.dtype == jnp.bfloat16
        np.testing.assert_array_equal(np.asarray(got.astype(jnp.float32)), want.astype(np.float32))


def test_float16_with_more_kept_units_than_float16_can_count():
    shape = (2, 4, 128, 128)  # 131072 units, ~118000 kept > 65504 (float16 max)
    x_np = np.ones(shape, np.float16)
    want = db.dropblock(x_np, 0.1, 5, seed=1)
    kept = np.count_nonzero(want)
    assert kept > np.finfo(np.float16).max
    for got in (
        dj.dropblock(jnp.asarray(x_np), 0.1, 5, seed=1),
        jax.jit(lambda x, s: dj.dropblock(x, 0.1, 5, seed=s))(jnp.asarray(x_np), 1),
    ):
        got = np.asarray(got)
        assert got.dtype == np.float16 and np.isfinite(got).all()
        np.testing.assert_array_equal(got, want)


def test_everything_dropped_gives_zeros_and_zero_gradient():
    x = jnp.ones((2, 2, 6, 6))
    f = lambda x, s: dj.dropblock(x, 0.5, 3, seed=s, gamma=1.0)  # noqa: E731
    for y in (f(x, 0), jax.jit(f)(x, 0)):
        np.testing.assert_array_equal(np.asarray(y), np.zeros(x.shape, np.float32))
    g = jax.jit(jax.grad(lambda x, s: f(x, s).sum()))(x, 0)
    np.testing.assert_array_equal(np.asarray(g), np.zeros(x.shape, np.float32))


def test_gradient_is_mask_times_scale():
    shape = (2, 3, 12, 12)
    x = jnp.asarray(_rng_input(shape))
    mask = db.sample_mask(shape, 0.2, 4, seed=6, step=2)
    want = mask * np.float32(mask.size / np.count_nonzero(mask))
    loss = lambda x, s, t: dj.dropblock(x, 0.2, 4, seed=s, step=t).sum()  # noqa: E731
    np.testing.assert_array_equal(np.asarray(jax.grad(loss)(x, 6, 2)), want)
    np.testing.assert_array_equal(np.asarray(jax.jit(jax.grad(loss))(x, 6, 2)), want)


def test_vmap_over_examples_shares_one_mask():
    # vmap over a leading axis of x with a fixed seed: the mask depends only on
    # (seed, step, replica, shape), so every member gets the same one
    stacked = jnp.asarray(_rng_input((3, 2, 4, 9, 9)))
    member = (2, 4, 9, 9)
    want = db.sample_mask(member, 0.2, 3, seed=3, step=1)
    f = jax.vmap(lambda xi: dj.dropblock(xi, 0.2, 3, seed=3, step=1))
    for ys in (f(stacked), jax.jit(f)(stacked)):
        for i in range(stacked.shape[0]):
            np.testing.assert_array_equal(np.asarray(ys[i]) != 0, want)
            np.testing.assert_array_equal(
                np.asarray(ys[i]), np.asarray(dj.dropblock(stacked[i], 0.2, 3, seed=3, step=1))
            )


@pytest.mark.parametrize("axis", ["seed", "step", "replica"])
def test_vmap_over_counters_gives_each_member_its_own_mask(axis):
    shape = (2, 3, 9, 9)
    x = jnp.asarray(_rng_input(shape))
    values = jnp.arange(4, dtype=jnp.int32) + 10
    base = {"seed": 1, "step": 2, "replica": 0}

    def one(v):
        return dj.dropblock(x, 0.2, 3, **{**base, axis: v})

    runs = [jax.jit(jax.vmap(one))(values)]
    if axis == "seed":  # eager vmap too (op by op, slower)
        runs.append(jax.vmap(one)(values))
    for ys in runs:
        masks = np.asarray(ys) != 0
        for i, v in enumerate(values.tolist()):
            want = db.sample_mask(shape, 0.2, 3, **{**base, axis: v})
            np.testing.assert_array_equal(masks[i], want)
        assert all((masks[i] != masks[0]).any() for i in range(1, len(masks)))


def test_float64_under_x64_scales_in_float64():
    shape = (2, 3, 10, 10)
    x_np = _rng_input(shape, np.float64)
    want = db.dropblock(x_np, 0.2, 3, seed=2**40 + 3, step=4)
    with jax.enable_x64(True):
        x = jnp.asarray(x_np)
        assert x.dtype == jnp.float64
        eager = dj.dropblock(x, 0.2, 3, seed=2**40 + 3, step=4)
        assert eager.dtype == jnp.float64
        np.testing.assert_array_equal(np.asarray(eager), want)
        # a traced seed is used modulo 2**32, so compare with a 32-bit seed
        traced = jax.jit(lambda x, s, t: dj.dropblock(x, 0.2, 3, seed=s, step=t))(
            x, jnp.int64(77), jnp.int64(4)
        )
        assert traced.dtype == jnp.float64
        np.testing.assert_array_equal(
            np.asarray(traced), db.dropblock(x_np, 0.2, 3, seed=77, step=4)
        )


@pytest.mark.parametrize("dtype", [jnp.int32, jnp.bool_, jnp.complex64])
def test_non_floating_input_is_a_type_error(dtype):
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        dj.dropblock(jnp.zeros((1, 1, 4, 4), dtype), 0.1, 2, seed=0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        *BAD_ARGUMENTS,
        ({"normalize": "mean"}, ValueError, "normalize"),
        ({"gamma": "guess"}, ValueError, "gamma"),
        ({"share_channels": None}, TypeError, "share_channels"),
        ({"seed": None}, TypeError, "seed"),
        ({"replica": True}, TypeError, "replica"),
        ({"step": jnp.float32(1)}, TypeError, "step"),
    ],
)
def test_bad_parameters_name_themselves(kwargs, error, match):
    args = {"drop_prob": 0.1, "block_size": 3, "seed": 0, **kwargs}
    with pytest.raises(error, match=match):
        dj.dropblock(jnp.ones((1, 1, 6, 6)), **args)


def test_bad_shape_is_a_value_error():
    with pytest.raises(ValueError, match="shape"):
        dj.dropblock(jnp.ones((6, 6)), 0.1, 3, seed=0)


def test_traced_block_size_says_it_is_static():
    x = jnp.ones((1, 1, 6, 6))
    with pytest.raises(TypeError, match="block_size must be a Python int.*static_argnames"):
        jax.jit(lambda x, b: dj.keep_mask(x, 0.1, b, seed=0))(x, 3)


def test_eval_mode_and_zero_drop_return_x_itself():
    x = jnp.ones((1, 2, 6, 6))
    assert dj.dropblock(x, 0.1, 3, seed=0, training=False) is x
    assert dj.dropblock(x, 0.0, 3, seed=0) is x


def test_numpy_input_is_accepted_and_not_modified():
    x_np = _rng_input((2, 2, 8, 8))
    before = x_np.copy()
    y = dj.dropblock(x_np, 0.3, 3, seed=0)
    assert isinstance(y, jax.Array)
    np.testing.assert_array_equal(x_np, before)
    np.testing.assert_array_equal(np.asarray(y), db.dropblock(before, 0.3, 3, seed=0))


def test_host_mask_aliases_the_core_mask(monkeypatch):
    # the core allocates masks 64-byte aligned, which JAX imports without a copy
    made = []

    def spy(*args, **kwargs):
        made.append(db.masks.sample_planned_mask(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(jmask, "sample_planned_mask", spy)
    shape = (2, 3, 16, 16)
    x = jnp.ones(shape)
    y = dj.dropblock(x, 0.2, 3, seed=1, step=4)
    assert len(made) == 1 and made[0].ctypes.data % 64 == 0
    plan = jmask.plan_for(shape, DropBlockConfig(0.2, 3), False)
    imported = jmask.host_mask(plan, seed=1, step=4, replica=0, device=x.device)
    assert imported.unsafe_buffer_pointer() == made[1].ctypes.data  # zero-copy
    np.testing.assert_array_equal(np.asarray(imported), made[1])
    np.testing.assert_array_equal(np.asarray(y) != 0, made[1])


def test_dlpack_import_copies_an_unaligned_buffer():
    # what happens to a mask that is not 64-byte aligned: a copy with the same values
    buf = np.zeros(2 * 3 * 8 * 8 + 128, np.uint8)
    start = (-buf.ctypes.data) % 64 + 16  # NumPy's own alignment is 16
    unaligned = buf[start : start + 2 * 3 * 8 * 8].view(np.bool_).reshape(2, 3, 8, 8)
    unaligned[0, 1] = True
    copied = jnp.from_dlpack(unaligned, device=jax.devices("cpu")[0])
    assert copied.unsafe_buffer_pointer() != unaligned.ctypes.data
    np.testing.assert_array_equal(np.asarray(copied), unaligned)


def test_scheduled_drop_prob_follows_the_core_schedule():
    total = 100
    for step in range(0, 130, 7):
        assert dj.scheduled_drop_prob(step, total, 0.1) == db.linear_schedule(step, total, 0.1)
        stepped = dj.scheduled_drop_prob(step, total, 0.1, levels=4)
        assert 0.0 <= stepped <= db.linear_schedule(step, total, 0.1)
    for k in range(5):  # at multiples of total / levels the two agree
        step = k * total // 4
        assert dj.scheduled_drop_prob(step, total, 0.1, levels=4) == pytest.approx(
            db.linear_schedule(step, total, 0.1), rel=1e-15
        )
    assert dj.scheduled_drop_prob(7, 0, 0.1, levels=4) == 0.1


@pytest.mark.parametrize(
    ("levels", "error"), [(0, ValueError), (-2, ValueError), (True, TypeError), (1.5, TypeError)]
)
def test_scheduled_drop_prob_rejects_bad_levels(levels, error):
    with pytest.raises(error, match="levels"):
        dj.scheduled_drop_prob(3, 10, 0.1, levels=levels)


def test_schedule_under_jit_compiles_once_per_level():
    traces = []

    def step_fn(x, seed, step, drop_prob):
        traces.append(drop_prob)
        return dj.dropblock(x, drop_prob, 3, seed=seed, step=step)

    f = jax.jit(step_fn, static_argnames="drop_prob")
    x = jnp.ones((1, 2, 8, 8))
    total, levels = 40, 4
    for step in range(total + 10):
        f(x, 0, step, drop_prob=dj.scheduled_drop_prob(step, total, 0.2, levels=levels))
    assert len(traces) == levels + 1 == len(set(traces))


def test_all_lists_the_public_names():
    for name in (
        "dropblock_jax.functional",
        "dropblock_jax.mask",
        "dropblock_jax.schedule",
        "dropblock_jax.keys",
        "dropblock_jax.layout",
        "dropblock_jax._options",
        "dropblock_jax.nnx",
        "dropblock_jax.linen",
        "dropblock_jax.equinox",
    ):
        module = importlib.import_module(name)
        public = {
            n
            for n, v in vars(module).items()
            if not n.startswith("_") and getattr(v, "__module__", None) == name
        }
        assert sorted(module.__all__) == sorted(public), name
    assert sorted(dj.__all__) == ["dropblock", "keep_mask", "scheduled_drop_prob"]
    assert all(callable(getattr(dj, n)) for n in dj.__all__)


def test_signature_is_the_contract():
    params = inspect.signature(dj.dropblock).parameters
    assert list(params)[:3] == ["x", "drop_prob", "block_size"]
    assert all(params[n].kind is inspect.Parameter.KEYWORD_ONLY for n in list(params)[3:])
    assert params["seed"].default is inspect.Parameter.empty  # the seed is explicit


def test_package_imports_no_other_framework():
    code = (
        "import sys, dropblock_jax, jax.numpy as jnp\n"
        "dropblock_jax.dropblock(jnp.ones((1, 1, 6, 6)), 0.2, 3, seed=0)\n"
    )
    assert frameworks_after(code) == ["jax"]
