"""dropblock_keras layers on the active backend: core masks, fit with XLA, seeds, remat, saving.

What every layer adapter shares (core masks per step, settable and read-only
attributes, dtypes, gradient, bad arguments, wrong rank or dtype) is the
contract, run here by test_contract.py."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
from dropblock_keras import DropBlock1D, DropBlock2D, DropBlock3D, LinearScheduler

import dropblock_core
from tests.adapters.keras_backend.support import (
    BACKEND,
    gradient,
    layer_call,
    numpy,
    positive,
    tensor,
)


def core_mask(layer: DropBlock2D, shape: tuple[int, ...], step: int, replica: int = 0):  # noqa: ANN201
    return dropblock_core.sample_mask(
        shape,
        layer.drop_prob,
        layer.block_size,
        seed=layer.mask_seed,
        step=step,
        replica=replica,
        channels_last=layer.data_format == "channels_last",
        **layer.config.core_kwargs(),
    )


@pytest.mark.parametrize(
    ("cls", "shape", "data_format"),
    [
        (DropBlock1D, (2, 30, 3), "channels_last"),
        (DropBlock2D, (2, 3, 12, 10), "channels_first"),
        (DropBlock3D, (2, 7, 6, 5, 2), "channels_last"),
    ],
)
@pytest.mark.parametrize("seed", [7, None])
def test_eager_calls_draw_the_cores_masks_and_advance_the_step(
    cls: type, shape: tuple[int, ...], data_format: str, seed: int | None
) -> None:
    layer = cls(0.3, 3, seed=seed, data_format=data_format)
    x = positive(shape)
    for step in range(3):
        y = numpy(layer(tensor(x), training=True))
        np.testing.assert_array_equal(y != 0, core_mask(layer, shape, step))
    assert layer.step == 3


@pytest.mark.parametrize("xla", [True, False], ids=["xla", "graph"])
@pytest.mark.parametrize("seed", [12345678901, None])
def test_compiled_calls_draw_the_cores_masks(xla: bool, seed: int | None) -> None:
    if not xla and BACKEND != "tensorflow":
        pytest.skip("only TensorFlow compiles without XLA")
    layer = DropBlock2D(0.2, 3, seed=seed, data_format="channels_last")
    layer.layer_id = 2
    layer.drop_prob = 0.25  # a settable variable, read inside the compiled call
    call = layer_call(layer, xla)
    x = positive((4, 10, 9, 3))
    for step in range(3):
        y = numpy(call(tensor(x)))
        np.testing.assert_array_equal(y != 0, core_mask(layer, x.shape, step))
    assert layer.step == 3


def test_inference_is_the_identity_and_keeps_the_step() -> None:
    layer = DropBlock2D(0.3, 3, seed=0)
    x = tensor(positive((2, 8, 8, 3)))
    assert layer(x) is x
    assert layer(x, training=False) is x
    assert layer.step == 0


def test_get_config_round_trip_is_json() -> None:
    layer = DropBlock2D(
        0.1,
        (3, 5),
        seed=1,
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


def test_data_format_none_follows_keras_config() -> None:
    assert DropBlock2D(0.1, 3).data_format == "channels_last"
    keras.config.set_image_data_format("channels_first")
    try:
        assert DropBlock2D(0.1, 3).data_format == "channels_first"
    finally:
        keras.config.set_image_data_format("channels_last")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"data_format": "NHWC"}, ValueError, "data_format"),
        ({"replica": -1}, ValueError, "replica"),
        ({"seed": -3}, ValueError, "seed"),
    ],
)
def test_bad_layer_parameters(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        DropBlock2D(**{"drop_prob": 0.1, "block_size": 3, **kwargs})


def small_cnn(seed: int | None = 1, dropout: bool = False) -> keras.Model:
    inputs = keras.Input((12, 12, 3))
    h = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    if dropout:
        h = keras.layers.Dropout(0.1, name="dropblock")(h)
    else:
        h = DropBlock2D(0.1, 3, seed=seed, name="dropblock")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    return keras.Model(inputs, keras.layers.Dense(1)(h))


@pytest.mark.parametrize("jit_compile", [True, "auto"])
def test_fit_two_epochs_compiled(jit_compile: bool | str) -> None:
    keras.utils.set_random_seed(0)
    model = small_cnn()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "doesn't support jit_compile" fallback
        model.compile(optimizer="adam", loss="mse", jit_compile=jit_compile)
    reference = small_cnn(dropout=True)
    reference.compile(optimizer="adam", loss="mse", jit_compile=jit_compile)
    assert model.jit_compile == reference.jit_compile  # the layer never turns XLA off
    if jit_compile is True:
        assert model.jit_compile
    assert model.get_layer("dropblock").supports_jit
    x, y = positive((10, 12, 12, 3)), positive((10, 1), seed=1)
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)  # a last batch of 2
    assert np.isfinite(history.history["loss"]).all()
    assert model.get_layer("dropblock").step == 6  # 3 batches x 2 epochs
    np.testing.assert_allclose(  # inference: the identity (XLA's convolution rounds apart)
        model.predict(x, batch_size=5, verbose=0),
        numpy(model(tensor(x), training=False)),
        rtol=1e-5,
    )


def trained(global_seed: int) -> keras.Model:
    keras.utils.set_random_seed(global_seed)
    model = small_cnn(seed=None)
    model.compile(optimizer="sgd", loss="mse", jit_compile=BACKEND != "torch")
    model.fit(positive((8, 12, 12, 3)), positive((8, 1), seed=1), batch_size=4, epochs=2, verbose=0)
    return model


def test_set_random_seed_reproduces_a_run_with_seed_none() -> None:
    first, again = trained(3), trained(3)
    for a, b in zip(first.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(numpy(a), numpy(b))
    assert first.get_layer("dropblock").mask_seed == again.get_layer("dropblock").mask_seed


def test_seed_none_draws_its_seed_from_keras_global_seed() -> None:
    keras.utils.set_random_seed(5)
    a = DropBlock2D(0.1, 3)
    keras.utils.set_random_seed(5)
    b = DropBlock2D(0.1, 3)
    c = DropBlock2D(0.1, 3)
    assert a.mask_seed == b.mask_seed != c.mask_seed


@pytest.mark.parametrize("seed", [4, None])
def test_recomputation_gives_the_plain_gradient(seed: int | None) -> None:
    """tf.recompute_grad / jax.checkpoint / torch checkpoint recompute the call in
    the backward pass: with the step driven from outside, call changes no state,
    so the recomputed mask is the forward's."""
    layer = DropBlock2D(0.3, 3, seed=seed)
    layer.auto_step = False  # what LinearScheduler sets
    x = positive((2, 10, 10, 3))
    layer.step = 7
    weights = positive(x.shape, seed=9)
    plain = gradient(layer, x, weights, remat=False)
    recomputed = gradient(layer, x, weights, remat=True)
    np.testing.assert_array_equal(recomputed, plain)
    mask = core_mask(layer, x.shape, 7)
    assert np.array_equal(plain != 0, mask) and layer.step == 7


def test_a_driven_call_changes_no_state() -> None:
    layer = DropBlock2D(0.3, 3)
    layer.auto_step = False
    x = tensor(positive((2, 10, 10, 3)))
    before = [numpy(v).copy() for v in layer.variables]
    for call in (lambda t: layer(t, training=True), layer_call(layer)):
        call(x)
        for old, new in zip(before, layer.variables):
            np.testing.assert_array_equal(numpy(new), old)


def test_keras_file_round_trip(tmp_path: Path) -> None:
    model = small_cnn(seed=None)
    model.compile(optimizer="sgd", loss="mse")
    x, y = positive((8, 12, 12, 3)), positive((8, 1), seed=1)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[LinearScheduler(10)])
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    original, restored = model.get_layer("dropblock"), loaded.get_layer("dropblock")
    assert type(restored) is DropBlock2D
    assert restored.step == original.step == 2
    assert restored.mask_seed == original.mask_seed  # seed=None: the generator's seed is saved
    assert restored.get_config() == original.get_config()
    assert restored.drop_prob == 0.1 != original.drop_prob  # the target, not the ramp
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
