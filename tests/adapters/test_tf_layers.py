"""dropblock_tf's layers are dropblock_keras's; files written by dropblock_tf 0.1 still load.

The layers themselves are tested on every backend in tests/adapters/keras_backend.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import dropblock_keras
import dropblock_tf
import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf
from dropblock_tf import DropBlock1D, DropBlock2D, DropBlock3D

import dropblock_core


def test_the_layers_are_dropblock_keras_layers() -> None:
    assert (DropBlock1D, DropBlock2D, DropBlock3D) == (
        dropblock_keras.DropBlock1D,
        dropblock_keras.DropBlock2D,
        dropblock_keras.DropBlock3D,
    )
    from dropblock_tf.layers import DropBlock2D as FromLayers

    assert FromLayers is DropBlock2D


def test_layers_do_not_turn_xla_off() -> None:
    inputs = keras.Input((8, 8, 3))
    outputs = keras.layers.Dense(1)(DropBlock2D(0.2, 3, seed=1)(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    assert model.jit_compile and all(layer.supports_jit for layer in model.layers)


def _as_dropblock_tf_01(path: Path, old: Path) -> None:
    """Rewrite a .keras file as dropblock_tf 0.1 wrote it: its registered name, a
    ``total_steps`` in the config and the step weight under the key "0"."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(old, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                for layer in config["config"]["layers"]:
                    if layer["class_name"] == "DropBlock2D":
                        layer["registered_name"] = "dropblock_tf>DropBlock2D"
                        layer["module"] = None
                        layer["config"]["total_steps"] = 100
                data = json.dumps(config).encode()
            target.writestr(item, data)
    with h5py.File(_extract_weights(old), "r+") as weights:
        group = weights["layers/drop_block2d/vars"]
        group.move("step", "0")
    _repack_weights(old)


def _extract_weights(path: Path) -> Path:
    out = path.with_suffix(".weights.h5")
    with zipfile.ZipFile(path) as archive:
        out.write_bytes(archive.read("model.weights.h5"))
    return out


def _repack_weights(path: Path) -> None:
    weights = path.with_suffix(".weights.h5").read_bytes()
    rewritten = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(rewritten, "w") as target:
        for item in source.infolist():
            data = weights if item.filename == "model.weights.h5" else source.read(item.filename)
            target.writestr(item, data)
    rewritten.replace(path)


# Keras 3.15 saves TF variables with np.array(v), which NumPy 2 flags (a Keras issue).
@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy:DeprecationWarning"
)
def test_a_dropblock_tf_01_file_loads(tmp_path: Path) -> None:
    inputs = keras.Input((8, 8, 3))
    layer = DropBlock2D(0.2, 3, seed=5, name="drop_block2d")
    model = keras.Model(inputs, keras.layers.Dense(1)(layer(inputs)))
    layer.step = 7
    model.save(tmp_path / "new.keras")
    _as_dropblock_tf_01(tmp_path / "new.keras", tmp_path / "old.keras")
    with pytest.warns(UserWarning, match="total_steps=100 .*LinearScheduler"):
        loaded = keras.saving.load_model(tmp_path / "old.keras")
    restored = loaded.get_layer("drop_block2d")
    assert type(restored) is DropBlock2D and restored.step == 7 and restored.drop_prob == 0.2
    x = np.random.default_rng(0).uniform(1, 2, (2, 8, 8, 3)).astype(np.float32)
    y = restored(tf.constant(x), training=True).numpy()
    mask = dropblock_core.sample_mask(x.shape, 0.2, 3, seed=5, step=7, channels_last=True)
    np.testing.assert_array_equal(y != 0, mask)


def test_the_function_does_not_need_the_layers() -> None:
    assert dropblock_tf.dropblock(tf.ones((1, 6, 6, 1)), 0.2, 3, seed=0).shape == (1, 6, 6, 1)
