"""Keras 3 layers of dropblock_tf: eager, tf.function, fit/predict, .keras save/load."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from dropblock_tf import DropBlock1D, DropBlock2D, DropBlock3D

import dropblock_core


def positive(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Values in [1, 2): a zero in the output can only come from the mask."""
    return np.random.default_rng(seed).uniform(1.0, 2.0, shape).astype(np.float32)


def core_output(
    x: np.ndarray, layer: keras.layers.Layer, step: int, replica: int = 0
) -> np.ndarray:
    cfg = layer.config
    return dropblock_core.dropblock(
        x,
        cfg.drop_prob_at(step),
        cfg.block_size,
        seed=cfg.seed,
        step=step,
        replica=replica,
        normalize=cfg.normalize,
        channels_last=layer.data_format == "channels_last",
        **cfg.core_kwargs(),
    )


@pytest.mark.parametrize(
    ("cls", "shape", "data_format"),
    [
        (DropBlock1D, (2, 30, 3), "channels_last"),
        (DropBlock1D, (2, 3, 30), "channels_first"),
        (DropBlock2D, (2, 12, 10, 3), "channels_last"),
        (DropBlock2D, (2, 3, 12, 10), "channels_first"),
        (DropBlock3D, (2, 7, 6, 5, 2), "channels_last"),
        (DropBlock3D, (2, 2, 7, 6, 5), "channels_first"),
    ],
)
def test_eager_training_calls_match_core_and_advance_the_step(
    cls: type, shape: tuple[int, ...], data_format: str
) -> None:
    layer = cls(0.3, 3, seed=7, data_format=data_format)
    x = positive(shape)
    for step in range(3):
        y = layer(tf.constant(x), training=True)
        np.testing.assert_array_equal(y.numpy(), core_output(x, layer, step))
    assert int(layer.step.numpy()) == 3


def test_inference_is_identity_and_keeps_the_step() -> None:
    layer = DropBlock2D(0.3, 3, seed=0)
    x = tf.constant(positive((2, 8, 8, 3)))
    assert layer(x) is x
    assert layer(x, training=False) is x
    assert int(layer.step.numpy()) == 0


def test_replica_parameter_selects_the_core_stream() -> None:
    layer = DropBlock2D(0.3, 3, seed=1, replica=3)
    x = positive((2, 9, 9, 2))
    np.testing.assert_array_equal(
        layer(tf.constant(x), training=True).numpy(), core_output(x, layer, 0, replica=3)
    )


def test_data_format_none_follows_keras_config() -> None:
    assert DropBlock2D(0.1, 3).data_format == "channels_last"
    keras.config.set_image_data_format("channels_first")
    try:
        assert DropBlock2D(0.1, 3).data_format == "channels_first"
    finally:
        keras.config.set_image_data_format("channels_last")


def test_linear_schedule_drives_the_drop_probability() -> None:
    layer = DropBlock2D(0.4, 3, seed=2, total_steps=4)
    x = positive((4, 12, 12, 3))
    outputs = [layer(tf.constant(x), training=True).numpy() for _ in range(6)]
    np.testing.assert_array_equal(outputs[0], x)  # step 0: drop probability 0
    for step, y in enumerate(outputs):
        np.testing.assert_array_equal(y, core_output(x, layer, step))
    dropped = [np.mean(y == 0) for y in outputs]
    assert dropped[0] == 0 and dropped[4] > dropped[1] > 0


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16, tf.float64])
def test_layer_keeps_the_input_dtype(dtype: tf.DType) -> None:
    y = DropBlock2D(0.2, 3, seed=0)(tf.ones((2, 64, 64, 8), dtype), training=True)
    assert y.dtype == dtype
    values = tf.cast(y, tf.float64).numpy()
    assert np.isfinite(values).all() and (values != 0).any()


def test_tf_function_reads_and_advances_the_step_variable() -> None:
    layer = DropBlock2D(0.3, 3, seed=4)

    @tf.function(input_signature=[tf.TensorSpec([None, 10, 10, 3], tf.float32)])
    def train_call(x: tf.Tensor) -> tf.Tensor:
        return layer(x, training=True)

    for step, batch in enumerate([2, 3, 1]):
        x = positive((batch, 10, 10, 3), seed=step)
        np.testing.assert_array_equal(
            train_call(tf.constant(x)).numpy(), core_output(x, layer, step)
        )
    assert int(layer.step.numpy()) == 3
    assert train_call.experimental_get_tracing_count() == 1


def test_tf_function_gradient_is_mask_times_scale() -> None:
    layer = DropBlock2D(0.2, 3, seed=3)
    x = tf.constant(positive((2, 9, 9, 2)))

    @tf.function
    def grad(x: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
        return tape.gradient(y, x)

    g = grad(x)
    mask = dropblock_core.sample_mask((2, 9, 9, 2), 0.2, 3, seed=3, channels_last=True)
    np.testing.assert_array_equal(g.numpy(), mask * np.float32(mask.size / mask.sum()))


def small_model(seed: int | None = 1) -> keras.Model:
    inputs = keras.Input((8, 8, 3))  # batch dimension None
    h = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    h = DropBlock2D(0.2, 3, seed=seed, name="dropblock")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    return keras.Model(inputs, keras.layers.Dense(1)(h))


def test_fit_and_predict_with_a_none_batch_dimension() -> None:
    keras.utils.set_random_seed(0)
    model = small_model()
    model.compile(optimizer="sgd", loss="mse")
    x, y = positive((12, 8, 8, 3)), positive((12, 1), seed=1)
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    layer = model.get_layer("dropblock")
    assert int(layer.step.numpy()) == 6  # 3 batches x 2 epochs
    np.testing.assert_array_equal(
        model.predict(x, batch_size=5, verbose=0), model(x, training=False).numpy()
    )
    assert int(layer.step.numpy()) == 6


def test_layers_opt_out_of_xla() -> None:
    model = small_model()
    assert not model.get_layer("dropblock").supports_jit
    with pytest.warns(UserWarning, match="doesn't support `jit_compile=True`"):
        model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    assert not model.jit_compile


def test_fit_uses_the_current_step_for_every_mask() -> None:
    # One batch per epoch and an identity Dense with zero learning rate, so the
    # model's output is the DropBlock output: the metric counts its zeros per step.
    inputs = keras.Input((9, 9, 3))
    h = DropBlock2D(0.3, 3, seed=8)(inputs)
    outputs = keras.layers.Dense(3, use_bias=False, kernel_initializer="identity")(h)
    model = keras.Model(inputs, outputs)

    def zeros(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        return tf.reduce_sum(tf.cast(tf.equal(y_pred, 0.0), tf.float32))

    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse", metrics=[zeros])
    x = positive((4, 9, 9, 3))
    history = model.fit(x, x, batch_size=4, epochs=4, verbose=0)
    layer = model.layers[1]
    expected = [np.sum(core_output(x, layer, step) == 0) for step in range(4)]
    assert history.history["zeros"] == [float(e) for e in expected]


# Keras 3.15 saves TF variables with np.array(v), which NumPy 2 flags (a Keras issue).
@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy:DeprecationWarning"
)
def test_keras_save_and_load_round_trip(tmp_path: Path) -> None:
    model = small_model(seed=5)
    model.compile(optimizer="sgd", loss="mse")
    x, y = positive((8, 8, 8, 3)), positive((8, 1), seed=1)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    original, restored = model.get_layer("dropblock"), loaded.get_layer("dropblock")
    assert type(restored) is DropBlock2D
    assert int(restored.step.numpy()) == int(original.step.numpy()) == 2
    assert restored.get_config() == original.get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    h = tf.constant(positive((2, 8, 8, 4)))
    np.testing.assert_array_equal(
        restored(h, training=True).numpy(), original(h, training=True).numpy()
    )
    assert int(restored.step.numpy()) == 3


def test_get_config_round_trip_is_json() -> None:
    layer = DropBlock2D(
        0.1,
        (3, 5),
        seed=1,
        total_steps=10,
        normalize="per_sample",
        share_channels=True,
        replica=2,
        data_format="channels_first",
        name="db",
    )
    config = json.loads(json.dumps(layer.get_config()))
    clone = DropBlock2D.from_config(config)
    assert clone.config == layer.config
    assert (clone.replica, clone.data_format, clone.name) == (2, "channels_first", "db")
    assert clone.get_config() == layer.get_config()


def test_repr_describes_the_config() -> None:
    layer = DropBlock3D(0.2, 5, total_steps=100, name="db3")
    assert repr(layer) == "<DropBlock3D name=db3, drop_prob=0.2, block_size=5, total_steps=100>"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"drop_prob": 1.5}, ValueError, "drop_prob"),
        ({"block_size": (3, 3, 3)}, ValueError, "block_size"),
        ({"data_format": "NHWC"}, ValueError, "data_format"),
        ({"replica": -1}, ValueError, "replica"),
        ({"total_steps": 2.5}, TypeError, "total_steps"),
        ({"seed": -3}, ValueError, "seed"),
    ],
)
def test_bad_layer_parameters(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        DropBlock2D(**{"drop_prob": 0.1, "block_size": 3, **kwargs})


def test_wrong_rank_and_dtype_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="rank 4"):
        DropBlock2D(0.1, 3)(tf.ones((2, 8, 3)))
    with pytest.raises(TypeError, match="floating dtype"):
        DropBlock2D(0.1, 3)(tf.ones((2, 8, 8, 3), tf.int32), training=True)
