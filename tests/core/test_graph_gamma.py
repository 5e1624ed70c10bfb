"""An array drop_prob: gamma and thresholds computed in the graph.

Precision is checked against a 60-digit solve (``decimal``) of the closed form,
and against the host's gamma; masks against the host path.
"""

from __future__ import annotations

import functools
import itertools
import math
from decimal import Decimal, localcontext

import numpy as np
import pytest

import dropblock_core as db
from dropblock_core import graph_gamma
from dropblock_core._namespace import resolve_namespace
from dropblock_core.gamma import _exact_gamma, _weighted_counts
from dropblock_core.graph_gamma import (
    as_drop_array,
    exact_gamma_xp,
    gap_thresholds_xp,
    paper_gamma_xp,
)
from dropblock_core.rng import gap_thresholds
from tests.backends import to_numpy, widest_float
from tests.core import x64

# (spatial, block): 1-D, 2-D, 3-D, block 1 (dropout), block = map, rectangular blocks.
GEOMETRIES = [
    ((40,), (5,)),
    ((1000,), (7,)),
    ((3,), (1,)),
    ((14, 14), (7, 7)),
    ((56, 56), (7, 7)),
    ((7, 7), (7, 7)),
    ((9, 13), (2, 4)),
    ((6, 7, 5), (2, 3, 2)),
    ((8, 8, 8), (3, 3, 3)),
]
DROPS = [1e-12, 1e-7, 1e-3, 0.1, 0.5, 0.9, 1 - 1e-6]
GRID = list(itertools.product(GEOMETRIES, ("valid", "full"), DROPS))
# A converged Newton iterate is off by the rounding of log keep near the root:
# a few units in the last place (measured at most 1.4 eps in float64 and
# 2.6 eps in float32 on GRID); 8 eps leaves room for other libm's.
ULPS = 8


@functools.cache
def true_gamma(drop: float, block: tuple, spatial: tuple, region: str) -> Decimal:
    """The exact gamma to ~50 digits: Newton in u = log1p(-gamma) on log keep(u)."""
    values, weights = _weighted_counts(block, spatial, region)
    with localcontext() as ctx:
        ctx.prec = 60
        total = Decimal(math.prod(spatial))
        share = [Decimal(int(w)) / total for w in weights]
        counts = [Decimal(int(v)) for v in values]
        target = (1 - Decimal(drop)).ln()
        u = target / sum(a * n for a, n in zip(share, counts))
        for _ in range(40):
            kept = [(n * u).exp() for n in counts]
            keep = sum(a * k for a, k in zip(share, kept))
            slope = sum(a * n * k for a, n, k in zip(share, counts, kept)) / keep
            u -= (keep.ln() - target) / slope
        return -(u.exp() - 1)


@pytest.fixture
def wide(backend):
    """The backend's widest float, the dtype the graph computes gamma in."""
    return widest_float(backend)


@pytest.fixture
def ns(xp):
    """The namespace the core computes with (numpy_readonly resolves to NumPy's)."""
    return resolve_namespace(xp)


def _graph_drop(xp, wide, drop):
    """``drop`` as the namespace's wide-float 0-d array, and its value as a float."""
    arr = as_drop_array(xp.asarray(drop, dtype=getattr(xp, wide)), xp=resolve_namespace(xp))
    return arr, float(to_numpy(arr))


def _eps(arr):
    return float(np.finfo(to_numpy(arr).dtype).eps)


def test_exact_gamma_in_the_graph_is_precise(xp, ns, wide):
    """Relative error vs the 60-digit gamma <= 8 eps over GRID (1-D..3-D, both
    regions, drop from 1e-12 to 1 - 1e-6). Vs the host's gamma: 8 eps plus the
    host's own error; the host solves ``1 - keep(u) - drop = 0`` in absolute
    terms, so it loses about eps64 / drop (tiny drops) and eps64 / (1 - drop)
    (drops near 1): measured 1.2e-4 at drop 1e-12, 1.6e-9 at 1e-7, 2.2e-12
    at 1 - 1e-6, <= 4e-15 in between."""
    worst = 0.0
    for (spatial, block), region, drop in GRID:
        arr, value = _graph_drop(xp, wide, drop)  # float32: the rounded value is the input
        got = exact_gamma_xp(arr, block, spatial, region, xp=ns)
        eps = _eps(got)
        truth = true_gamma(value, block, spatial, region)
        rel = float(abs(Decimal(float(to_numpy(got))) - truth) / truth)
        worst = max(worst, rel / eps)
        assert rel <= ULPS * eps, (spatial, block, region, drop, rel / eps)
        host = _exact_gamma(value, block, spatial, region)
        host_error = 4 * np.finfo(np.float64).eps * (1 / value + 1 / (1 - value))
        assert abs(float(to_numpy(got)) - host) / host <= ULPS * eps + host_error
    assert worst > 0.0  # the comparison measured something


def test_newton_steps_are_converged(xp, ns, wide, monkeypatch):
    """Four more Newton steps change no gamma on GRID by more than 2 eps."""
    cases = [(g, r, d) for g, r, d in GRID if g[0] in ((56, 56), (6, 7, 5), (1000,))]
    before = []
    for (spatial, block), region, drop in cases:
        before.append(
            to_numpy(exact_gamma_xp(_graph_drop(xp, wide, drop)[0], block, spatial, region, xp=ns))
        )
    monkeypatch.setattr(graph_gamma, "NEWTON_STEPS", graph_gamma.NEWTON_STEPS + 4)
    for ((spatial, block), region, drop), old in zip(cases, before):
        new = to_numpy(
            exact_gamma_xp(_graph_drop(xp, wide, drop)[0], block, spatial, region, xp=ns)
        )
        assert abs(float(new) - float(old)) <= 2 * _eps(new) * float(old)


def test_paper_gamma_in_the_graph(xp, ns, wide):
    """The closed form: the host's bits in float64, within 2 eps in float32."""
    for (spatial, block), _, drop in GRID:
        arr, value = _graph_drop(xp, wide, drop)
        got = float(to_numpy(paper_gamma_xp(arr, block, spatial, xp=ns)))
        want = db.paper_gamma(value, block, spatial)
        if wide == "float32":
            assert abs(got - want) <= 2 * np.finfo(np.float32).eps * want
        else:
            assert got == want


def test_thresholds_in_the_graph(xp, ns, wide):
    """Float64: the host's thresholds for the same gamma, bit for bit. Float32
    (JAX): a word's gap differs from the host's with probability
    sum|dC| / 2**32 <= 32 * 8 eps32 (measured at most 2.8e-6 on GRID)."""
    gammas = [0.0, 1e-9, 0.003, 0.1, 0.5, 0.9, 1.0 - 2**-20, 1.0]
    worst = 0.0
    for gamma in gammas:
        arr = xp.asarray(gamma, dtype=getattr(xp, wide))
        got = to_numpy(gap_thresholds_xp(arr, xp=ns)).astype(np.int64)
        want = gap_thresholds(float(to_numpy(arr))).astype(np.int64)
        assert np.all(np.diff(got) >= 0)
        if wide == "float32":
            worst = max(worst, np.abs(got - want).sum() / 2**32)
        else:
            np.testing.assert_array_equal(got, want)
    assert worst <= 32 * ULPS * np.finfo(np.float32).eps
    for (spatial, block), region, drop in GRID:  # thresholds of solved gammas
        arr, value = _graph_drop(xp, wide, drop)
        graph = gap_thresholds_xp(exact_gamma_xp(arr, block, spatial, region, xp=ns), xp=ns)
        host = gap_thresholds(_exact_gamma(value, block, spatial, region))
        diff = np.abs(to_numpy(graph).astype(np.int64) - host.astype(np.int64)).sum() / 2**32
        assert diff <= (32 * ULPS * np.finfo(np.float32).eps if wide == "float32" else 0.0)


MASKS = [
    ((2, 3, 40), 5, 0.2, {}),
    ((2, 4, 14, 14), 7, 0.1, {}),
    ((3, 2, 9, 13), (2, 4), 0.3, {"gamma": "paper"}),
    ((2, 3, 14, 14), 4, 0.15, {"seed_region": "full"}),
    ((2, 11, 10, 5), 3, 0.2, {"channels_last": True, "share_batch": True}),
    ((1, 2, 6, 7, 5), (2, 3, 2), 0.6, {"share_channels": True}),
    ((2, 2, 5, 5), 9, 0.3, {"gamma": 0.5}),
]


@pytest.mark.parametrize(("shape", "block", "drop", "opts"), MASKS)
def test_array_drop_prob_masks_match_the_host_path(xp, wide, shape, block, drop, opts):
    """The mask of an array drop_prob is the host mask of the in-graph gamma
    (float64: same thresholds, so same bits); in float32 (JAX) the host mask
    of the float drop_prob."""
    arr = xp.asarray(drop, dtype=getattr(xp, wide))
    got = to_numpy(db.sample_mask(shape, arr, block, seed=3, step=7, xp=xp, **opts))
    if wide == "float32":
        want = db.sample_mask(shape, drop, block, seed=3, step=7, **opts)
    else:
        plan = db.masks.plan_mask(shape, arr, block, xp=xp, **opts)
        host_opts = {**opts, "gamma": float(to_numpy(plan.gamma))}
        want = db.sample_mask(shape, drop, block, seed=3, step=7, **host_opts)
    np.testing.assert_array_equal(got, want)


def test_python_float_stays_the_host_path():
    """A Python float (or NumPy scalar) never reaches the graph functions."""
    plan = db.masks.plan_mask((2, 3, 14, 14), np.float32(0.1), 7)
    assert plan.host_gamma and plan.gamma == db.exact_gamma(float(np.float32(0.1)), 7, (14, 14))


def test_zero_array_drop_prob_keeps_everything(xp, ns):
    """drop_prob 0: every threshold 0, every gap 32, no seed; dropblock returns x's values."""
    zero = xp.asarray(0.0, dtype=xp.float32)
    for rule in ("exact", "paper"):
        plan = db.masks.plan_mask((2, 3, 14, 14), zero, 7, gamma=rule, xp=xp)
        assert float(to_numpy(plan.gamma)) == 0.0
        assert not to_numpy(gap_thresholds_xp(ns.asarray(plan.gamma), xp=ns)).any()
        mask = db.sample_mask((2, 3, 14, 14), zero, 7, seed=0, gamma=rule, xp=xp)
        assert to_numpy(mask).all()
    x = xp.asarray(np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32))
    for opts in ({}, {"gamma": 0.3}, {"normalize": "expected"}, {"normalize": "per_sample"}):
        np.testing.assert_array_equal(
            to_numpy(db.dropblock(x, zero, 3, seed=0, **opts)), to_numpy(x)
        )


@pytest.mark.parametrize("normalize", ["global", "per_sample", "expected", "none"])
def test_dropblock_with_an_array_drop_prob(xp, normalize):
    x_np = np.random.default_rng(1).standard_normal((3, 4, 12, 12)).astype(np.float32)
    x = xp.asarray(x_np)
    drop = xp.asarray(0.2, dtype=xp.float32)
    got = to_numpy(db.dropblock(x, drop, 3, seed=4, step=2, normalize=normalize))
    mask = to_numpy(db.sample_mask(x.shape, drop, 3, seed=4, step=2, xp=xp))
    if normalize == "expected":
        scale = np.float32(1 / (1 - float(np.float32(0.2))))
    elif normalize == "global":
        scale = np.float32(mask.size / mask.sum())
    elif normalize == "per_sample":
        per = mask.reshape(3, -1)
        scale = (per.shape[1] / per.sum(axis=1)).astype(np.float32).reshape(3, 1, 1, 1)
    else:
        scale = np.float32(1)
    np.testing.assert_allclose(got, x_np * mask * scale, rtol=2e-7, atol=0)


@pytest.mark.parametrize(
    ("drop", "exc", "needle"),
    [
        (np.asarray(1.0), ValueError, r"drop_prob must be in \[0, 1\), got 1.0"),
        (np.asarray(-0.1), ValueError, "drop_prob must be in"),
        (np.asarray(float("nan")), ValueError, "drop_prob must be in"),
        (np.asarray(0), TypeError, "drop_prob must have a real floating dtype"),
        (np.asarray(True), TypeError, "drop_prob must have a real floating dtype"),
        (np.asarray([0.1, 0.2]), ValueError, "drop_prob must be a 0-d array"),
        ("0.1", TypeError, "drop_prob must be a real number"),
        ([0.1], TypeError, "drop_prob must be a real number"),
    ],
)
def test_concrete_array_drop_prob_is_checked(drop, exc, needle):
    with pytest.raises(exc, match=needle):
        db.sample_mask((1, 2, 8, 8), drop, 3, seed=0)
    if isinstance(drop, np.ndarray):
        with pytest.raises(exc, match=needle):
            db.dropblock(np.ones((1, 2, 8, 8)), drop, 3, seed=0)


def test_concrete_array_drop_prob_is_checked_on_every_backend(xp):
    with pytest.raises(ValueError, match="drop_prob must be in"):
        db.sample_mask((1, 2, 8, 8), xp.asarray(1.5), 3, seed=0, xp=xp)
    x = xp.ones((1, 2, 8, 8))
    with pytest.raises(ValueError, match="drop_prob must be in"):
        db.dropblock(x, xp.asarray(-0.5), 3, seed=0)


def test_traced_out_of_range_drop_prob_is_sanitized(jax):
    """Traced values cannot be checked: >= 1 drops everything, < 0 or NaN nothing."""
    jnp = jax.numpy
    f = jax.jit(lambda p: db.sample_mask((2, 3, 9, 9), p, 3, seed=0, xp=jnp))
    assert not np.asarray(f(jnp.float32(1.0))).any()
    assert not np.asarray(f(jnp.float32(7.0))).any()
    assert np.asarray(f(jnp.float32(-0.5))).all()
    assert np.asarray(f(jnp.float32(float("nan")))).all()


def test_jax_schedule_with_traced_drop_prob_traces_once(jax):
    """A 20-step linear schedule through jax.jit: one trace; each step's
    output equals the eager one of the same (concrete) array drop_prob."""
    jnp = jax.numpy
    traces = []

    @jax.jit
    def step_fn(x, drop, step):
        traces.append(1)
        return db.dropblock(x, drop, 7, seed=5, step=step)

    x = jnp.asarray(np.random.default_rng(2).standard_normal((2, 4, 14, 14), np.float32))
    dropped = []
    for step in range(20):
        drop = jnp.float32(db.linear_schedule(step, 20, 0.3))
        got = step_fn(x, drop, jnp.int32(step))
        np.testing.assert_array_equal(
            np.asarray(got), np.asarray(db.dropblock(x, drop, 7, seed=5, step=step))
        )
        dropped.append(float((got == 0).mean()))
    assert len(traces) == 1
    assert dropped[0] == 0.0 and max(dropped) > 0.1  # the schedule ramps up


@pytest.mark.parametrize("normalize", ["expected", "per_sample"])
def test_jax_traced_drop_prob_rescales(jax, normalize):
    """Under jit the scale uses the traced drop_prob (expected: 1 / (1 - p))."""
    jnp = jax.numpy
    x = jnp.asarray(np.random.default_rng(3).standard_normal((2, 3, 12, 12), np.float32))
    f = jax.jit(lambda x, p: db.dropblock(x, p, 3, seed=2, step=1, normalize=normalize))
    for drop in (0.1, 0.3):
        p = jnp.float32(drop)
        mask = np.asarray(db.sample_mask(x.shape, p, 3, seed=2, step=1, xp=jnp))
        if normalize == "expected":
            scale = np.float32(1 / (1 - float(p)))
        else:
            per = mask.reshape(2, -1)
            scale = (per.shape[1] / per.sum(axis=1)).astype(np.float32).reshape(2, 1, 1, 1)
        np.testing.assert_allclose(np.asarray(f(x, p)), np.asarray(x) * mask * scale, rtol=2e-7)


def test_jax_traced_drop_prob_mask_equals_eager_and_host(jax):
    jnp = jax.numpy
    for shape, block, drop, opts in MASKS:
        f = jax.jit(lambda p, t: db.sample_mask(shape, p, block, seed=9, step=t, xp=jnp, **opts))  # noqa: B023
        got = np.asarray(f(jnp.float32(drop), jnp.int32(4)))
        eager = db.sample_mask(shape, jnp.float32(drop), block, seed=9, step=4, xp=jnp, **opts)
        np.testing.assert_array_equal(got, np.asarray(eager))
        np.testing.assert_array_equal(
            got, db.sample_mask(shape, drop, block, seed=9, step=4, **opts)
        )


x64.add(
    "float64_gamma",
    """
    import numpy as np, jax, jax.numpy as jnp, dropblock_core as db
    from dropblock_core.graph_gamma import exact_gamma_xp, gap_thresholds_xp
    from dropblock_core.rng import gap_thresholds
    g = jax.jit(lambda p: exact_gamma_xp(p, (7, 7), (14, 14), "valid", xp=jnp))(jnp.float64(0.1))
    assert g.dtype == jnp.float64, g.dtype
    assert abs(float(g) - db.exact_gamma(0.1, 7, (14, 14))) <= 2e-14 * float(g)  # 8 eps + host error
    assert (np.asarray(gap_thresholds_xp(g, xp=jnp)) == gap_thresholds(float(g))).all()
    f = jax.jit(lambda p: db.sample_mask((2, 4, 14, 14), p, 7, seed=1, xp=jnp))
    want = db.sample_mask((2, 4, 14, 14), 0.1, 7, seed=1, gamma=float(g))
    assert (np.asarray(f(jnp.float64(0.1))) == want).all()
    print("ok")
    """,
)


@pytest.mark.slow
@pytest.mark.usefixtures("jax")
def test_jax_float64_gamma_matches_host_thresholds_and_masks():
    """With 64-bit types (a child process: the flag is global, tests/core/x64.py),
    JAX computes in float64 and its thresholds and masks are the host's of the
    in-graph gamma."""
    out = x64.result("float64_gamma")
    assert out.strip() == "ok", out


@pytest.mark.filterwarnings("ignore::UserWarning")  # Dynamo's notes on lru_cache/graph breaks
def test_torch_compile_with_a_tensor_drop_prob_does_not_recompile(torch):
    from torch._dynamo.testing import CompileCounter

    counter = CompileCounter()
    f = torch.compile(lambda x, p, t: db.dropblock(x, p, 3, seed=1, step=t), backend=counter)
    x = torch.ones(2, 3, 10, 10)
    frames = []
    for step in range(3):
        drop = torch.tensor(db.linear_schedule(step + 1, 3, 0.3), dtype=torch.float64)
        got = f(x, drop, torch.tensor(step))
        want = db.dropblock(x, drop, 3, seed=1, step=step)
        assert torch.equal(got, want)
        frames.append(counter.frame_count)
    assert frames[0] > 0 and frames[1] == frames[2] == frames[0]
