"""Train a small ResNet with DropBlock on a synthetic data set (Keras 3).

Runs on any Keras backend: ``KERAS_BACKEND=tensorflow``, ``jax`` or ``torch``. The
data set and DropBlock's placement: ``lines_data.py``. The ``LinearScheduler``
callback ramps the drop rate from 0 over the training batches; on TensorFlow and
JAX the train step is compiled with XLA, masks included.

Run: ``KERAS_BACKEND=jax python docs/examples/train_keras.py`` (a few seconds).
"""

from __future__ import annotations

import keras
import lines_data
import numpy as np
from lines_data import BATCH, BLOCK, CLASSES, DROP_PROB, EPOCHS, TOTAL_STEPS

import dropblock_keras


def conv_bn(x, filters: int, stride: int = 1, k: int = 3):
    x = keras.layers.Conv2D(
        filters, k, strides=stride, padding="same", use_bias=False
    )(x)
    return keras.layers.BatchNormalization(momentum=0.9)(x)


def block(x, filters: int, stride: int, drop_prob: float):
    """Basic residual block; ``drop_prob > 0`` adds DropBlock to both paths."""

    def drop(h):
        return dropblock_keras.DropBlock2D(drop_prob, BLOCK)(h) if drop_prob else h

    h = drop(keras.layers.ReLU()(conv_bn(x, filters, stride)))
    h = drop(conv_bn(h, filters))
    shortcut = drop(conv_bn(x, filters, stride, k=1))
    return keras.layers.ReLU()(keras.layers.Add()([h, shortcut]))


def small_resnet(input_shape: tuple[int, ...]) -> keras.Model:
    inputs = keras.Input(input_shape)
    h = keras.layers.ReLU()(conv_bn(inputs, 16))
    h = block(h, 16, 1, 0.0)  # 16x16: no DropBlock in the early groups
    h = block(h, 32, 2, DROP_PROB / 4)  # 8x8 ("group 3"): a quarter of the rate
    h = block(h, 64, 2, DROP_PROB)  # 4x4 ("group 4"): the full rate
    h = keras.layers.GlobalAveragePooling2D()(h)
    return keras.Model(inputs, keras.layers.Dense(CLASSES)(h))


def main() -> None:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train, x_test, y_test = lines_data.data_sets(rng, channels_last=True)
    model = small_resnet(x_train.shape[1:])
    model.compile(
        keras.optimizers.Adam(3e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        # XLA on TensorFlow and JAX, masks built in the graph. Keras' PyTorch
        # backend does not compile by default: torch.compile would take longer
        # than this whole training.
        jit_compile=keras.backend.backend() != "torch",
    )
    scheduler = dropblock_keras.LinearScheduler(total_steps=TOTAL_STEPS)

    start, _ = model.evaluate(x_train, y_train, batch_size=256, verbose=0)
    print(f"train loss at start: {start:.4f}")
    model.fit(
        x_train,
        y_train,
        batch_size=BATCH,
        epochs=EPOCHS,
        callbacks=[scheduler],
        shuffle=True,
        verbose=2,
    )
    rates = scheduler.get_last_drop_prob()
    print(f"drop_prob at end: {rates[0]:.4f} / {rates[-1]:.4f}")

    end, _ = model.evaluate(x_train, y_train, batch_size=256, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
    lines_data.report(start, end, accuracy)


if __name__ == "__main__":
    main()
