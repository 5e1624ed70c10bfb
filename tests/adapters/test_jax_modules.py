"""The Flax NNX, Flax Linen and Equinox DropBlock modules: training under jit
(the loss falls), deterministic / inference mode, keys and masks, the traced
schedule (one trace), split/merge and layout errors. What every layer adapter
shares (core masks, dtypes, gradient, bad arguments, NNX's settable state) is
in tests/adapters/test_contract.py.

Flax, Equinox and optax are imported at the top: a missing one fails this
file (they install from the ``flax``, ``equinox`` and ``test`` extras).
"""

from __future__ import annotations

import dropblock_jax as dj
import equinox as eqx
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from dropblock_jax import equinox as dj_eqx
from dropblock_jax import linen as dj_linen
from dropblock_jax import nnx as dj_nnx
from flax import nnx

import dropblock_core as db

# A small classification problem: the label is which half of the image is brighter.
N, H, W, C, CLASSES = 16, 12, 12, 3, 2


def _data(channels_last: bool = True) -> tuple[jax.Array, jax.Array]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, H, W, C)).astype(np.float32)
    y = (x[:, :, : W // 2].mean(axis=(1, 2, 3)) > x[:, :, W // 2 :].mean(axis=(1, 2, 3))).astype(
        np.int32
    )
    if not channels_last:
        x = np.moveaxis(x, -1, 1)
    return jnp.asarray(x), jnp.asarray(y)


def _loss(logits: jax.Array, labels: jax.Array) -> jax.Array:
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


def _dropped_fraction(y: jax.Array) -> float:
    return float((np.asarray(y) == 0).mean())


# -- Flax NNX ------------------------------------------------------------------------------


class NnxCNN(nnx.Module):
    def __init__(self, rngs: nnx.Rngs) -> None:
        self.conv1 = nnx.Conv(C, 8, (3, 3), rngs=rngs)
        self.drop = dj_nnx.DropBlock(0.2, 3, rngs=rngs)
        self.conv2 = nnx.Conv(8, 8, (3, 3), rngs=rngs)
        self.head = nnx.Linear(8, CLASSES, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        x = self.drop(nnx.relu(self.conv1(x)))
        x = nnx.relu(self.conv2(x))
        return self.head(x.mean(axis=(1, 2)))


def test_nnx_trains_under_jit_and_the_loss_falls():
    x, y = _data()
    model = NnxCNN(nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, optax.adam(1e-2), wrt=nnx.Param)
    schedule = dj_nnx.LinearScheduler(model, total_steps=10)
    traces = []

    @nnx.jit
    def train_step(model, optimizer, x, y):
        traces.append(1)

        def loss_fn(model):
            return _loss(model(x), y)

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    @nnx.jit
    def eval_loss(model, x, y):
        return _loss(model(x), y)

    model.eval()
    before = float(eval_loss(model, x, y))
    model.train()
    for _ in range(30):
        train_step(model, optimizer, x, y)
        schedule.step()
    model.eval()
    after = float(eval_loss(model, x, y))
    assert after < 0.8 * before, (before, after)
    assert len(traces) == 1  # drop_prob and step changed every step: one trace
    assert model.drop.drop_prob == pytest.approx(0.2) and model.drop.step == 30


def test_nnx_eval_and_deterministic_are_the_identity():
    layer = dj_nnx.DropBlock(0.3, 3, rngs=nnx.Rngs(0))
    x = jnp.ones((2, 8, 8, 4))
    assert _dropped_fraction(layer(x)) > 0
    layer.eval()
    assert layer(x) is x
    assert _dropped_fraction(layer(x, deterministic=False)) > 0  # the call wins
    layer.train()
    assert layer(x, deterministic=True) is x
    none = dj_nnx.DropBlock(0.3, 3, deterministic=None, rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match="no deterministic value"):
        none(x)


def test_nnx_mask_is_the_core_mask_of_the_drawn_key():
    layer = dj_nnx.DropBlock(0.3, 3, rngs=nnx.Rngs(dropout=7))
    x = jnp.ones((2, 9, 9, 4))
    key = jax.random.key(11)
    y = layer(x, rngs=key)
    want = dj.dropblock(x, jnp.float32(0.3), 3, seed=key, channels_last=True)
    np.testing.assert_array_equal(np.asarray(y), np.asarray(want))
    np.testing.assert_array_equal(np.asarray(layer(x, rngs=key)), np.asarray(y))  # same key
    # the layer's own stream: a new key, a new mask, each call
    first, second = layer(x), layer(x)
    assert (np.asarray(first) != np.asarray(second)).any()


def test_nnx_seed_mode_takes_no_rngs_and_key_mode_needs_them():
    # the seed mode's masks at each step: tests/adapters/test_contract.py
    x = jnp.ones((2, 9, 9, 4))
    with pytest.raises(TypeError, match="takes no rngs"):
        dj_nnx.DropBlock(0.3, 3, seed=5)(x, rngs=jax.random.key(0))
    with pytest.raises(ValueError, match="has no rngs"):
        dj_nnx.DropBlock(0.3, 3)(x)


def test_nnx_split_merge_and_state():
    model = NnxCNN(nnx.Rngs(0))
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    schedule_state = nnx.state(model, dj_nnx.DropBlockState)
    assert {str(path[-1]) for path, _ in nnx.to_flat_state(schedule_state)} == {
        "_dropblock_drop_prob",
        "_dropblock_step",
    }
    clone = nnx.merge(graphdef, params, rest, copy=True)  # its own RNG state, same values
    x, _ = _data()
    first = np.asarray(model(x))
    np.testing.assert_array_equal(np.asarray(clone(x)), first)  # same stream position
    assert (np.asarray(model(x)) != first).any()  # the stream moved on: a new mask
    clone.drop.drop_prob = 0.05
    assert model.drop.drop_prob == pytest.approx(0.2)  # a separate module


def test_nnx_wrong_rank_is_a_clear_error():
    layer = dj_nnx.DropBlock(0.1, 3, rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match=r"4 axes \(batch, height, width, channels\).*x\[None\]"):
        layer(jnp.ones((8, 8, 4)))
    layer3d = dj_nnx.DropBlock(0.1, 3, spatial_dims=3, rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match=r"5 axes \(batch, depth, height, width, channels\)"):
        layer3d(jnp.ones((2, 8, 8, 4)))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"spatial_dims": 0}, ValueError, "spatial_dims"),
        ({"channels_last": 1}, TypeError, "channels_last"),
        ({"deterministic": "no"}, TypeError, "deterministic"),
        ({"rngs": 0}, TypeError, "rngs"),
    ],
)
def test_nnx_bad_arguments_name_themselves(kwargs, error, match):
    args = {"drop_prob": 0.1, "block_size": 3, **kwargs}
    with pytest.raises(error, match=match):
        dj_nnx.DropBlock(args.pop("drop_prob"), args.pop("block_size"), **args)


# -- Flax Linen ----------------------------------------------------------------------------


class LinenCNN(nn.Module):
    @nn.compact
    def __call__(self, x, *, train: bool, drop_prob=0.2):
        x = nn.relu(nn.Conv(8, (3, 3))(x))
        x = dj_linen.DropBlock(drop_prob, 3, deterministic=not train)(x)
        x = nn.relu(nn.Conv(8, (3, 3))(x))
        return nn.Dense(CLASSES)(x.mean(axis=(1, 2)))


def test_linen_trains_under_jit_and_the_loss_falls():
    x, y = _data()
    model = LinenCNN()
    params = model.init(jax.random.key(0), x, train=False)["params"]
    tx = optax.adam(1e-2)
    opt_state = tx.init(params)
    traces = []

    @jax.jit
    def train_step(params, opt_state, x, y, key, drop_prob):
        traces.append(1)

        def loss_fn(params):
            logits = model.apply(
                {"params": params}, x, train=True, drop_prob=drop_prob, rngs={"dropout": key}
            )
            return _loss(logits, y)

        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, opt_state = tx.update(grads, opt_state)
        return optax.apply_updates(params, updates), opt_state, loss

    def eval_loss(params):
        return float(_loss(model.apply({"params": params}, x, train=False), y))

    before = eval_loss(params)
    for step in range(30):
        p = jnp.float32(db.linear_schedule(step, 10, 0.2))
        key = jax.random.fold_in(jax.random.key(1), step)
        params, opt_state, _ = train_step(params, opt_state, x, y, key, p)
    after = eval_loss(params)
    assert after < 0.8 * before, (before, after)
    assert len(traces) == 1  # a traced drop_prob: the schedule compiles once


def test_linen_deterministic_keys_and_merge_param():
    x = jnp.ones((2, 9, 9, 4))
    layer = dj_linen.DropBlock(0.3, 3)
    assert layer.apply({}, x, deterministic=True) is x
    key = jax.random.key(3)
    # rng at the call, as nn.Dropout: the mask is the core's mask of that key
    y = layer.apply({}, x, False, key)
    np.testing.assert_array_equal(
        np.asarray(y), np.asarray(dj.dropblock(x, 0.3, 3, seed=key, channels_last=True))
    )
    # from the "dropout" collection: make_rng derives the key, the same one each apply
    a = layer.apply({}, x, deterministic=False, rngs={"dropout": key})
    b = layer.apply({}, x, deterministic=False, rngs={"dropout": key})
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    other = layer.apply({}, x, deterministic=False, rngs={"dropout": jax.random.key(4)})
    assert (np.asarray(other) != np.asarray(a)).any()
    with pytest.raises(ValueError, match="deterministic"):
        dj_linen.DropBlock(0.3, 3, deterministic=True).apply({}, x, deterministic=False)


def test_linen_wrong_rank_and_a_bad_array_drop_prob():
    with pytest.raises(ValueError, match=r"4 axes \(batch, height, width, channels\)"):
        dj_linen.DropBlock(0.1, 3).apply({}, jnp.ones((9, 9, 4)), False, jax.random.key(0))
    with pytest.raises(ValueError, match="drop_prob"):
        dj_linen.DropBlock(jnp.float32(2.0), 3)


# -- Equinox -------------------------------------------------------------------------------


class EqxCNN(eqx.Module):
    conv1: eqx.nn.Conv2d
    drop: dj_eqx.DropBlock
    conv2: eqx.nn.Conv2d
    head: eqx.nn.Linear

    def __init__(self, key: jax.Array, drop_prob=0.2) -> None:
        k1, k2, k3 = jax.random.split(key, 3)
        self.conv1 = eqx.nn.Conv2d(C, 8, 3, padding=1, key=k1)
        self.drop = dj_eqx.DropBlock(drop_prob, 3)
        self.conv2 = eqx.nn.Conv2d(8, 8, 3, padding=1, key=k2)
        self.head = eqx.nn.Linear(8, CLASSES, key=k3)

    def __call__(self, x: jax.Array, *, key: jax.Array | None = None) -> jax.Array:
        x = self.drop(jax.nn.relu(self.conv1(x)), key=key)
        x = jax.nn.relu(self.conv2(x))
        return self.head(x.mean(axis=(1, 2)))


def test_equinox_trains_under_jit_and_the_loss_falls():
    x, y = _data(channels_last=False)
    model = EqxCNN(jax.random.key(0), drop_prob=jnp.float32(0.0))
    tx = optax.adam(1e-2)
    opt_state = tx.init(eqx.filter(model, eqx.is_inexact_array))
    traces = []

    @eqx.filter_jit
    def train_step(model, opt_state, x, y, key):
        traces.append(1)

        def loss_fn(model):
            keys = jax.random.split(key, x.shape[0])
            return _loss(jax.vmap(lambda xi, ki: model(xi, key=ki))(x, keys), y)

        loss, grads = eqx.filter_value_and_grad(loss_fn)(model)
        updates, opt_state = tx.update(grads, opt_state, eqx.filter(model, eqx.is_inexact_array))
        return eqx.apply_updates(model, updates), opt_state, loss

    def eval_loss(model):
        inference = eqx.nn.inference_mode(model)
        return float(_loss(jax.vmap(inference)(x), y))

    before = eval_loss(model)
    for step in range(30):
        p = jnp.float32(db.linear_schedule(step, 10, 0.2))
        model = eqx.tree_at(lambda m: m.drop.drop_prob, model, p)
        model, opt_state, _ = train_step(model, opt_state, x, y, jax.random.key(step))
    after = eval_loss(model)
    assert after < 0.8 * before, (before, after)
    assert len(traces) == 1  # drop_prob is a traced leaf: the schedule compiles once
    # drop_prob's gradient is stopped (zero), so Adam left the last value exactly as set
    assert model.drop.drop_prob == jnp.float32(0.2)


def test_equinox_inference_is_the_identity_and_needs_no_key():
    layer = dj_eqx.DropBlock(0.3, 3)
    x = jnp.ones((4, 9, 9))
    assert layer(x, inference=True) is x
    assert eqx.nn.inference_mode(layer)(x) is x
    assert dj_eqx.DropBlock(0.0, 3)(x) is x  # p == 0, as eqx.nn.Dropout
    with pytest.raises(RuntimeError, match="requires a key"):
        layer(x)
    assert _dropped_fraction(layer(x, key=jax.random.key(0))) > 0


def test_equinox_per_sample_keys_under_vmap_give_per_sample_masks():
    layer = dj_eqx.DropBlock(0.3, 3)
    x = jnp.ones((6, 4, 10, 10))
    keys = jax.random.split(jax.random.key(5), 6)
    y = np.asarray(jax.jit(jax.vmap(lambda xi, k: layer(xi, key=k)))(x, keys))
    for i in range(6):
        want = dj.dropblock(x[i][None], 0.3, 3, seed=keys[i])[0]
        np.testing.assert_array_equal(y[i], np.asarray(want))  # the core mask of its own key
    assert all((y[i] != y[0]).any() for i in range(1, 6))
    again = np.asarray(jax.vmap(lambda xi, k: layer(xi, key=k))(x, keys))
    np.testing.assert_array_equal(again, y)  # same keys, same masks


def test_equinox_wrong_rank_is_a_clear_error():
    layer = dj_eqx.DropBlock(0.1, 3)
    with pytest.raises(ValueError, match=r"3 axes \(channels, height, width\).*jax.vmap"):
        layer(jnp.ones((2, 4, 9, 9)), key=jax.random.key(0))
    with pytest.raises(ValueError, match="block_size"):
        dj_eqx.DropBlock(0.1, (3, 3), spatial_dims=1)
