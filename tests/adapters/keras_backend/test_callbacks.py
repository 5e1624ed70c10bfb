"""LinearScheduler on the active backend: the ramp, the masks it drives, exact resume."""

from __future__ import annotations

import functools
from pathlib import Path

import keras
import numpy as np
import pytest
from dropblock_keras import DropBlock2D, LinearScheduler

import dropblock_core
from tests.adapters.keras_backend.support import BACKEND, numpy, positive


class CountingDropBlock2D(DropBlock2D):
    """Counts how often ``call`` runs in Python: once per trace when compiled."""

    calls = 0

    def call(self, inputs, training=None):  # noqa: ANN001, ANN201
        type(self).calls += 1
        return super().call(inputs, training=training)


def zeros(y_true, y_pred):  # noqa: ANN001, ANN201
    return keras.ops.sum(keras.ops.cast(keras.ops.equal(y_pred, 0.0), "float32"))


def identity_model(layer: DropBlock2D) -> keras.Model:
    """The model's output is the DropBlock output (identity kernel, learning rate 0)."""
    inputs = keras.Input((9, 9, 3))
    outputs = keras.layers.Dense(3, use_bias=False, kernel_initializer="identity")(layer(inputs))
    model = keras.Model(inputs, outputs)
    jit = BACKEND != "torch"  # torch.compile of Keras' train step recompiles for minutes
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse", metrics=[zeros], jit_compile=jit)
    return model


def test_the_ramp_drives_every_batchs_mask_without_retracing() -> None:
    CountingDropBlock2D.calls = 0
    layer = CountingDropBlock2D(0.3, 3, seed=8)
    model = identity_model(layer)
    x = positive((4, 9, 9, 3))
    scheduler = LinearScheduler(total_steps=4)
    history = model.fit(x, x, batch_size=4, epochs=6, verbose=0, callbacks=[scheduler])
    expected = []
    for step in range(6):
        drop = dropblock_core.linear_schedule(step, 4, 0.3)
        mask = dropblock_core.sample_mask(
            x.shape, float(np.float32(drop)), 3, seed=8, step=step, channels_last=True
        )
        expected.append(float(np.sum(~mask)))
    assert history.history["zeros"] == expected
    assert expected[0] == 0 and expected[4] > expected[1] > 0
    assert layer.step == 6 and layer.drop_prob == 0.3
    assert scheduler.get_last_drop_prob() == [0.3]
    if BACKEND != "torch":
        assert CountingDropBlock2D.calls <= 2  # traced once, not once per drop_prob


def test_layers_are_numbered_and_the_config_keeps_the_target() -> None:
    inputs = keras.Input((9, 9, 3))
    a, b = DropBlock2D(0.2, 3, seed=1), DropBlock2D(0.4, 3, seed=1)
    model = keras.Model(inputs, keras.layers.Dense(1)(b(a(inputs))))
    model.compile("sgd", "mse")
    scheduler = LinearScheduler(total_steps=10)
    model.fit(positive((4, 9, 9, 3)), positive((4, 9, 9, 1)), batch_size=2, verbose=0,
              callbacks=[scheduler])  # fmt: skip
    assert (a.layer_id, b.layer_id) == (0, 1) and a.mask_seed != b.mask_seed
    assert (a.step, b.step) == (2, 2)
    assert (a.drop_prob, b.drop_prob) == pytest.approx((0.04, 0.08))
    assert (a.get_config()["drop_prob"], b.get_config()["drop_prob"]) == (0.2, 0.4)
    assert a.auto_step and b.auto_step  # handed back when training ends


@pytest.mark.skipif(BACKEND == "torch", reason="Keras' PyTorch backend needs steps_per_execution=1")
def test_steps_per_execution_still_counts_every_batch() -> None:
    layer = DropBlock2D(0.2, 3, seed=0)
    inputs = keras.Input((9, 9, 3))
    model = keras.Model(inputs, keras.layers.Dense(1)(layer(inputs)))
    model.compile("sgd", "mse", steps_per_execution=2)
    model.fit(positive((8, 9, 9, 3)), positive((8, 9, 9, 1)), batch_size=2, epochs=2,
              verbose=0, callbacks=[LinearScheduler(total_steps=16)])  # fmt: skip
    assert layer.step == 8
    assert layer.drop_prob == pytest.approx(0.1)


def cnn() -> keras.Model:
    keras.utils.set_random_seed(1)
    inputs = keras.Input((10, 10, 3))
    h = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    h = DropBlock2D(0.2, 3, name="dropblock")(h)  # seed=None: Keras' generator
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.GlobalAveragePooling2D()(h)))
    model.compile(keras.optimizers.SGD(0.1), "mse", jit_compile=BACKEND == "jax")  # fastest
    return model


DATA = (positive((8, 10, 10, 3), seed=2), positive((8, 1), seed=3))


def fit(model: keras.Model, epochs: int, callbacks: list, initial_epoch: int = 0) -> None:
    model.fit(*DATA, batch_size=4, epochs=epochs, initial_epoch=initial_epoch, shuffle=False,
              verbose=0, callbacks=callbacks)  # fmt: skip


def assert_same_state(a: keras.Model, b: keras.Model) -> None:
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(numpy(u), numpy(v))
    la, lb = a.get_layer("dropblock"), b.get_layer("dropblock")
    assert (la.step, la.drop_prob, la.mask_seed) == (lb.step, lb.drop_prob, lb.mask_seed)


@functools.cache
def straight_run() -> keras.Model:
    """Four epochs without interruption: what both resumed runs must end with."""
    model = cnn()
    fit(model, 4, [LinearScheduler(total_steps=6)])
    return model


def test_resume_from_a_saved_model_is_exact(tmp_path: Path) -> None:
    straight = straight_run()
    first = cnn()
    fit(first, 2, [LinearScheduler(total_steps=6)])
    first.save(tmp_path / "half.keras")
    resumed = keras.saving.load_model(tmp_path / "half.keras")
    assert resumed.get_layer("dropblock").step == 4
    fit(resumed, 4, [LinearScheduler(total_steps=6)], initial_epoch=2)
    assert_same_state(straight, resumed)


class Interrupt(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):  # noqa: ANN001, ANN201
        if epoch == 2:
            raise RuntimeError("interrupted")


def test_resume_from_backup_and_restore_is_exact(tmp_path: Path) -> None:
    straight = straight_run()
    backup = str(tmp_path / "backup")
    interrupted = cnn()
    with pytest.raises(RuntimeError, match="interrupted"):
        fit(interrupted, 4, [keras.callbacks.BackupAndRestore(backup), LinearScheduler(6),
                             Interrupt()])  # fmt: skip
    resumed = cnn()  # a new process would build the model again
    fit(resumed, 4, [LinearScheduler(total_steps=6), keras.callbacks.BackupAndRestore(backup)])
    assert_same_state(straight, resumed)
