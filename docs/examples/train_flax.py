"""Train a small ResNet with DropBlock on a synthetic data set (Flax NNX + optax).

The data set and DropBlock's placement: ``lines_data.py``. ``drop_prob`` is
NNX state that ``nnx.jit`` traces: ``LinearScheduler``, stepped outside the train
step once per optimizer step, ramps it from 0 and the step compiles once.

Run: ``python docs/examples/train_flax.py`` (a few seconds on two CPU cores).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import lines_data
import numpy as np
import optax
from flax import nnx
from lines_data import BLOCK, CLASSES, DROP_PROB, EPOCHS, TOTAL_STEPS

from dropblock_jax.nnx import DropBlock, LinearScheduler


class ConvBN(nnx.Module):
    def __init__(
        self, c_in: int, c_out: int, rngs: nnx.Rngs, stride: int = 1, k: int = 3
    ):
        self.conv = nnx.Conv(
            c_in, c_out, (k, k), strides=stride, use_bias=False, rngs=rngs
        )
        self.norm = nnx.BatchNorm(c_out, momentum=0.9, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.norm(self.conv(x))


class Block(nnx.Module):
    """Basic residual block; ``drop_prob > 0`` adds DropBlock to both paths."""

    def __init__(
        self, c_in: int, c_out: int, stride: int, drop_prob: float, rngs: nnx.Rngs
    ) -> None:
        self.conv1 = ConvBN(c_in, c_out, rngs, stride)
        self.conv2 = ConvBN(c_out, c_out, rngs)
        self.shortcut = ConvBN(c_in, c_out, rngs, stride, k=1)
        self.drops = nnx.List(
            [DropBlock(drop_prob, BLOCK, rngs=rngs) for _ in range(3)]
            if drop_prob
            else []
        )

    def drop(self, i: int, x: jax.Array) -> jax.Array:
        return self.drops[i](x) if self.drops else x

    def __call__(self, x: jax.Array) -> jax.Array:
        h = self.drop(0, nnx.relu(self.conv1(x)))
        h = self.drop(1, self.conv2(h))
        return nnx.relu(h + self.drop(2, self.shortcut(x)))


class SmallResNet(nnx.Module):
    def __init__(self, rngs: nnx.Rngs) -> None:
        self.stem = ConvBN(1, 16, rngs)
        self.group1 = Block(16, 16, 1, 0.0, rngs)  # 16x16: no DropBlock early
        self.group2 = Block(16, 32, 2, DROP_PROB / 4, rngs)  # 8x8: a quarter
        self.group3 = Block(32, 64, 2, DROP_PROB, rngs)  # 4x4: the full rate
        self.head = nnx.Linear(64, CLASSES, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        h = nnx.relu(self.stem(x))
        h = self.group3(self.group2(self.group1(h)))
        return self.head(h.mean(axis=(1, 2)))


def cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


@nnx.jit
def train_step(model: SmallResNet, optimizer: nnx.Optimizer, x, y) -> jax.Array:
    def loss_fn(model: SmallResNet) -> jax.Array:
        return cross_entropy(model(x), y)

    loss, grads = nnx.value_and_grad(loss_fn)(model)
    optimizer.update(model, grads)
    return loss


@nnx.jit
def evaluate(model: SmallResNet, x, y) -> tuple[jax.Array, jax.Array]:
    """Loss and accuracy (call in eval mode: DropBlock off)."""
    logits = model(x)
    return cross_entropy(logits, y), (logits.argmax(1) == y).mean()


def main() -> None:
    rng = np.random.default_rng(0)
    x_train, y_train, x_test, y_test = lines_data.data_sets(
        rng, channels_last=True, to=jnp.asarray
    )
    model = SmallResNet(nnx.Rngs(params=0, dropout=1))
    optimizer = nnx.Optimizer(model, optax.adam(3e-3), wrt=nnx.Param)
    scheduler = LinearScheduler(model, total_steps=TOTAL_STEPS)

    model.eval()
    start = float(evaluate(model, x_train, y_train)[0])
    print(f"train loss at start: {start:.4f}")
    for epoch in range(EPOCHS):
        model.train()
        order = rng.permutation(len(x_train))
        for batch in lines_data.batches(order):
            train_step(model, optimizer, x_train[batch], y_train[batch])
            scheduler.step()  # once per optimizer step, outside the jitted step
        rates = scheduler.get_last_drop_prob()
        print(f"epoch {epoch + 1}: drop_prob {rates[0]:.4f} / {rates[-1]:.4f}")

    model.eval()
    end = float(evaluate(model, x_train, y_train)[0])
    accuracy = float(evaluate(model, x_test, y_test)[1])
    lines_data.report(start, end, accuracy)


if __name__ == "__main__":
    main()
