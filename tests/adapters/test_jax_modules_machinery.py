"""The JAX modules survive their frameworks' machinery: recomputation
(``nnx.remat``), saving and restoring state, serialisation (Equinox),
``jax.export``, and new input shapes under ``nnx.jit``."""

from __future__ import annotations

import io

import dropblock_jax as dj
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from dropblock_jax import equinox as dj_eqx
from dropblock_jax import nnx as dj_nnx
from flax import nnx


class Block(nnx.Module):
    def __init__(self, rngs: nnx.Rngs) -> None:
        self.conv = nnx.Conv(4, 4, (3, 3), rngs=rngs)
        self.drop = dj_nnx.DropBlock(0.3, 3, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.drop(nnx.relu(self.conv(x)))


def _loss_and_grads(model: Block, x: jax.Array, remat: bool):
    def loss_fn(model):
        call = nnx.remat(lambda m, x: m(x)) if remat else (lambda m, x: m(x))
        return (call(model, x) ** 2).mean()

    return nnx.jit(nnx.value_and_grad(loss_fn))(model)


def test_nnx_remat_recomputes_the_same_mask():
    x = jax.random.normal(jax.random.key(0), (2, 9, 9, 4))
    plain = Block(nnx.Rngs(3))
    rematted = nnx.clone(plain)  # the same parameters and RNG state
    loss, grads = _loss_and_grads(plain, x, remat=False)
    loss_r, grads_r = _loss_and_grads(rematted, x, remat=True)
    np.testing.assert_allclose(float(loss_r), float(loss), rtol=1e-6)
    for a, b in zip(jax.tree.leaves(grads_r), jax.tree.leaves(grads)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-7)
    assert any((np.asarray(g) != 0).any() for g in jax.tree.leaves(grads))


def test_nnx_state_saves_and_restores_drop_prob_step_and_rng():
    x = jax.random.normal(jax.random.key(0), (2, 9, 9, 4))
    model = Block(nnx.Rngs(5))
    schedule = dj_nnx.LinearScheduler(model, total_steps=10)
    for _ in range(3):
        schedule.step()
        model(x)
    saved = nnx.to_pure_dict(nnx.state(model))  # plain arrays, as a checkpoint holds
    expected = np.asarray(model(x))

    fresh = Block(nnx.Rngs(99))
    state = nnx.state(fresh)
    nnx.replace_by_pure_dict(state, saved)
    nnx.update(fresh, state)
    assert fresh.drop.drop_prob == model.drop.drop_prob == 0.09
    assert fresh.drop.step == 3
    np.testing.assert_array_equal(np.asarray(fresh(x)), expected)  # same RNG position


def test_nnx_new_input_shapes_under_jit():
    layer = dj_nnx.DropBlock(0.2, 3, seed=4)
    forward = nnx.jit(lambda layer, x: layer(x))
    for shape in [(2, 9, 9, 3), (1, 12, 7, 5)]:
        y = forward(layer, jnp.ones(shape))
        want = dj.keep_mask(jnp.ones(shape), jnp.float32(0.2), 3, seed=4, channels_last=True)
        assert not np.asarray(want).all()
        np.testing.assert_array_equal(np.asarray(y) != 0, np.asarray(want))


def test_equinox_serialises_and_deserialises():
    layer = dj_eqx.DropBlock(jnp.float32(0.15), (3, 2), share_channels=True)
    buffer = io.BytesIO()
    eqx.tree_serialise_leaves(buffer, layer)
    buffer.seek(0)
    template = dj_eqx.DropBlock(jnp.float32(0.0), (3, 2), share_channels=True)
    restored = eqx.tree_deserialise_leaves(buffer, template)
    assert restored.drop_prob == jnp.float32(0.15)
    x, key = jnp.ones((4, 8, 8)), jax.random.key(2)
    np.testing.assert_array_equal(np.asarray(restored(x, key=key)), np.asarray(layer(x, key=key)))


def test_jax_export_with_a_traced_drop_prob_and_key():
    def forward(x, drop_prob, key):
        return dj.dropblock(x, drop_prob, 3, seed=key, channels_last=True)

    x = jnp.ones((2, 9, 9, 4))
    args = (x, jnp.float32(0.25), jax.random.key(1))
    exported = jax.export.export(jax.jit(forward))(*args)
    restored = jax.export.deserialize(exported.serialize())
    np.testing.assert_array_equal(
        np.asarray(restored.call(*args)), np.asarray(jax.jit(forward)(*args))
    )
    other = restored.call(x, jnp.float32(0.25), jax.random.key(2))
    assert (np.asarray(other) != np.asarray(restored.call(*args))).any()
