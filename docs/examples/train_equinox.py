"""Train a small ResNet with DropBlock on a synthetic data set (Equinox + optax).

The data set and DropBlock's placement: ``lines_data.py``. Each layer's
``drop_prob`` is a 0-d array (traced under ``eqx.filter_jit``); the paper's linear
ramp sets it with ``eqx.tree_at`` once per optimizer step, and the step compiles
once. The model works on one sample ``(C, H, W)``; ``jax.vmap`` gives each sample
its own key, so its own masks.
Batch norm's statistics are Equinox state (``eqx.nn.make_with_state``).

Run: ``python docs/examples/train_equinox.py`` (a few seconds on two CPU cores).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import lines_data
import numpy as np
import optax
from lines_data import BLOCK, CLASSES, DROP_PROB, EPOCHS, TOTAL_STEPS

import dropblock_core
from dropblock_jax.equinox import DropBlock


class ConvBN(eqx.Module):
    conv: eqx.nn.Conv2d
    norm: eqx.nn.BatchNorm

    def __init__(self, c_in: int, c_out: int, key, stride: int = 1, k: int = 3):
        self.conv = eqx.nn.Conv2d(
            c_in, c_out, k, stride=stride, padding=k // 2, use_bias=False, key=key
        )
        self.norm = eqx.nn.BatchNorm(
            c_out, axis_name="batch", momentum=0.9, mode="batch"
        )

    def __call__(self, x: jax.Array, state: eqx.nn.State):
        return self.norm(self.conv(x), state)


class Block(eqx.Module):
    """Basic residual block; ``drop_prob > 0`` adds DropBlock to both paths."""

    conv1: ConvBN
    conv2: ConvBN
    shortcut: ConvBN
    drops: tuple[DropBlock, ...]

    def __init__(self, c_in: int, c_out: int, stride: int, drop_prob: float, key):
        k1, k2, k3 = jax.random.split(key, 3)
        self.conv1 = ConvBN(c_in, c_out, k1, stride)
        self.conv2 = ConvBN(c_out, c_out, k2)
        self.shortcut = ConvBN(c_in, c_out, k3, stride, k=1)
        # drop_prob as an array: traced, changed by the schedule without recompiling
        rate = jnp.float32(drop_prob)
        self.drops = (
            tuple(DropBlock(rate, BLOCK) for _ in range(3)) if drop_prob else ()
        )

    def __call__(self, x: jax.Array, state: eqx.nn.State, key):
        keys = jax.random.split(key, 3) if key is not None else [None] * 3

        def drop(i: int, h: jax.Array) -> jax.Array:
            return self.drops[i](h, key=keys[i]) if self.drops else h

        h, state = self.conv1(x, state)
        h = drop(0, jax.nn.relu(h))
        h, state = self.conv2(h, state)
        shortcut, state = self.shortcut(x, state)
        return jax.nn.relu(drop(1, h) + drop(2, shortcut)), state


class SmallResNet(eqx.Module):
    stem: ConvBN
    groups: tuple[Block, Block, Block]
    head: eqx.nn.Linear

    def __init__(self, key) -> None:
        keys = jax.random.split(key, 5)
        self.stem = ConvBN(1, 16, keys[0])
        self.groups = (
            Block(16, 16, 1, 0.0, keys[1]),  # 16x16: no DropBlock early
            Block(16, 32, 2, DROP_PROB / 4, keys[2]),  # 8x8: a quarter of the rate
            Block(32, 64, 2, DROP_PROB, keys[3]),  # 4x4: the full rate
        )
        self.head = eqx.nn.Linear(64, CLASSES, key=keys[4])

    def __call__(self, x: jax.Array, state: eqx.nn.State, *, key=None):
        """One sample (1, 16, 16); ``key=None`` only in inference mode."""
        keys = jax.random.split(key, 3) if key is not None else [None] * 3
        h, state = self.stem(x, state)
        h = jax.nn.relu(h)
        for group, k in zip(self.groups, keys):
            h, state = group(h, state, k)
        return self.head(h.mean(axis=(1, 2))), state


def dropblocks(model: eqx.Module) -> list[DropBlock]:
    """Every DropBlock layer of ``model``, in tree order."""
    is_db = lambda node: isinstance(node, DropBlock)  # noqa: E731
    return [m for m in jax.tree_util.tree_leaves(model, is_leaf=is_db) if is_db(m)]


def with_drop_probs(model: SmallResNet, rates: list[jax.Array]) -> SmallResNet:
    """``model`` with each DropBlock's ``drop_prob`` replaced, in tree order."""
    return eqx.tree_at(lambda m: [d.drop_prob for d in dropblocks(m)], model, rates)


def batched(model: SmallResNet, state: eqx.nn.State, x: jax.Array, keys=None):
    """``model`` over a batch; batch norm averages over the vmapped axis."""
    call = jax.vmap(
        lambda xi, ki: model(xi, state, key=ki),
        axis_name="batch",
        in_axes=(0, None if keys is None else 0),
        out_axes=(0, None),
    )
    return call(x, keys)


def loss_fn(model: SmallResNet, state, x: jax.Array, y: jax.Array, key):
    keys = jax.random.split(key, x.shape[0])  # a key per sample: masks per sample
    logits, state = batched(model, state, x, keys)
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean(), state


optim = optax.adam(3e-3)


@eqx.filter_jit
def train_step(model: SmallResNet, state, opt_state, x, y, key):
    grads, state = eqx.filter_grad(loss_fn, has_aux=True)(model, state, x, y, key)
    params = eqx.filter(model, eqx.is_inexact_array)
    updates, opt_state = optim.update(grads, opt_state, params)
    return eqx.apply_updates(model, updates), state, opt_state


@eqx.filter_jit
def evaluate(model: SmallResNet, state, x, y) -> tuple[jax.Array, jax.Array]:
    """Loss and accuracy in inference mode (DropBlock off, running statistics)."""
    logits, _ = batched(eqx.nn.inference_mode(model), state, x)
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    return loss, (logits.argmax(1) == y).mean()


def main() -> None:
    rng = np.random.default_rng(0)
    x_train, y_train, x_test, y_test = lines_data.data_sets(rng, to=jnp.asarray)
    key, model_key = jax.random.split(jax.random.key(0))
    model, state = eqx.nn.make_with_state(SmallResNet)(model_key)
    opt_state = optim.init(eqx.filter(model, eqx.is_inexact_array))
    targets = [float(d.drop_prob) for d in dropblocks(model)]

    start = float(evaluate(model, state, x_train, y_train)[0])
    print(f"train loss at start: {start:.4f}")
    step = 0
    for epoch in range(EPOCHS):
        order = rng.permutation(len(x_train))
        for batch in lines_data.batches(order):
            rates = [
                jnp.float32(
                    dropblock_core.linear_schedule(step, TOTAL_STEPS, target)
                )
                for target in targets
            ]
            model = with_drop_probs(model, rates)  # the paper's ramp, from 0
            key, step_key = jax.random.split(key)
            model, state, opt_state = train_step(
                model, state, opt_state, x_train[batch], y_train[batch], step_key
            )
            step += 1
        print(f"epoch {epoch + 1}: drop_prob {rates[0]:.4f} / {rates[-1]:.4f}")

    end = float(evaluate(model, state, x_train, y_train)[0])
    accuracy = float(evaluate(model, state, x_test, y_test)[1])
    lines_data.report(start, end, accuracy)


if __name__ == "__main__":
    main()
