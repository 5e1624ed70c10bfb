"""dropblock_keras on every Keras backend, each in its own interpreter.

``KERAS_BACKEND`` is read once, when Keras is imported, so each backend gets a
fresh process: the per-backend suite (``tests/adapters/keras_backend``), the
portable ``.keras`` files (saved on each backend, loaded on the other two) and
``tf.distribute.MirroredStrategy`` over two CPU devices. A backend whose
framework is missing fails here, it is never skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BACKENDS = ("tensorflow", "jax", "torch")
ROOT = Path(__file__).resolve().parents[2]


def run(
    args: list[str], backend: str, timeout: int = 900, **env: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", **env},
    )


def run_python(code: str, backend: str, **env: str) -> dict:
    """Run ``code`` on ``backend`` in a new interpreter; it prints one JSON line last."""
    result = run([sys.executable, "-c", textwrap.dedent(code)], backend, **env)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_keras_suite_passes_on_the_backend(backend: str) -> None:
    result = run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:logging",
            "tests/adapters/keras_backend",
        ],  # fmt: skip
        backend,
        DROPBLOCK_KERAS_RUN=backend,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "passed" in summary and "failed" not in summary and "error" not in summary


SAVE = """
import json, sys
import numpy as np, keras
from dropblock_keras import DropBlock2D, LinearScheduler

keras.utils.set_random_seed(0)
inputs = keras.Input((10, 10, 3))
h = keras.layers.Conv2D(4, 3, padding="same")(inputs)
h = DropBlock2D(0.2, 3, name="db")(h)
h = DropBlock2D(0.1, (3, 5), seed=9, data_format="channels_last", name="db_seeded")(h)
model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(h)))
model.compile("sgd", "mse")
x = np.random.default_rng(0).uniform(1, 2, (6, 10, 10, 3)).astype("float32")
model.fit(x, np.ones((6, 2), "float32"), batch_size=3, verbose=0, callbacks=[LinearScheduler(8)])
model.save(sys.argv[1])
np.save(sys.argv[1] + ".npy", model.predict(x, verbose=0))
layer = model.get_layer("db")
print(json.dumps({"step": layer.step, "seed": layer.mask_seed}))
"""

LOAD = """
import json, sys
import numpy as np, keras
import dropblock_keras  # registers the layers

x = np.random.default_rng(0).uniform(1, 2, (6, 10, 10, 3)).astype("float32")
out = {}
for path in sys.argv[1:]:
    model = keras.saving.load_model(path)
    layer = model.get_layer("db")
    step = layer.step
    y = model(keras.ops.convert_to_tensor(x), training=True)  # DropBlock runs after loading
    out[path] = {
        "close": bool(np.allclose(model.predict(x, verbose=0), np.load(path + ".npy"), rtol=1e-5, atol=1e-6)),
        "step": step,
        "seed": layer.mask_seed,
        "drop_prob": layer.drop_prob,
        "train_shape": list(y.shape),
    }
print(json.dumps(out))
"""


@pytest.mark.slow
def test_keras_files_saved_on_one_backend_load_on_the_others(tmp_path: Path) -> None:
    saved = {}
    for backend in BACKENDS:
        path = str(tmp_path / f"{backend}.keras")
        result = run([sys.executable, "-c", SAVE, path], backend)
        assert result.returncode == 0, result.stderr[-4000:]
        saved[path] = json.loads(result.stdout.strip().splitlines()[-1])
    for backend in BACKENDS:
        others = [p for p in saved if not p.endswith(f"{backend}.keras")]
        result = run([sys.executable, "-c", LOAD, *others], backend)
        assert result.returncode == 0, result.stderr[-4000:]
        loaded = json.loads(result.stdout.strip().splitlines()[-1])
        for path in others:
            assert loaded[path]["close"], (backend, path)
            assert loaded[path]["step"] == saved[path]["step"] == 2
            assert loaded[path]["seed"] == saved[path]["seed"]  # the generator's seed travels
            assert loaded[path]["drop_prob"] == 0.2  # the target, from the config
            assert loaded[path]["train_shape"] == [6, 2]


MIRRORED = """
import json
import numpy as np, tensorflow as tf, keras, dropblock_core
from dropblock_keras import DropBlock2D, LinearScheduler

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    layer = DropBlock2D(0.3, 3, seed=5)
x = np.random.default_rng(0).uniform(1, 2, (2, 10, 10, 3)).astype(np.float32)

@tf.function
def train_call():
    return strategy.run(lambda: layer(tf.constant(x), training=True))

matches = []
for step in range(2):
    outputs = strategy.experimental_local_results(train_call())
    for replica, y in enumerate(outputs):
        want = dropblock_core.dropblock(x, 0.3, 3, seed=5, step=step, replica=replica, channels_last=True)
        matches.append(bool(np.array_equal(y.numpy(), want)))
replicas_differ = not np.array_equal(outputs[0].numpy(), outputs[1].numpy())
steps_after_calls = layer.step

with strategy.scope():
    inputs = keras.Input((8, 8, 3))
    h = DropBlock2D(0.2, 3, seed=1, name="db")(keras.layers.Conv2D(2, 3, padding="same")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(h)))
    model.compile(optimizer="sgd", loss="mse")  # "auto": no XLA under tf.distribute
model.fit(np.ones((16, 8, 8, 3), np.float32), np.ones((16, 1), np.float32), batch_size=8,
          epochs=2, verbose=0)
fit_steps = model.get_layer("db").step
model.fit(np.ones((16, 8, 8, 3), np.float32), np.ones((16, 1), np.float32), batch_size=8,
          epochs=2, verbose=0, callbacks=[LinearScheduler(8)])
print(json.dumps({"replicas": strategy.num_replicas_in_sync, "matches": matches,
                  "replicas_differ": replicas_differ, "steps_after_calls": steps_after_calls,
                  "steps_after_fit": fit_steps, "steps_scheduled": model.get_layer("db").step,
                  "drop_prob": model.get_layer("db").drop_prob}))
"""


@pytest.mark.slow
def test_mirrored_strategy_over_two_cpu_devices() -> None:
    out = run_python(MIRRORED, "tensorflow")
    assert out["replicas"] == 2
    assert out["matches"] == [True] * 4  # each replica draws the core's mask for its id (XLA)
    assert out["replicas_differ"]
    assert out["steps_after_calls"] == 2  # once per step, not once per replica
    assert out["steps_after_fit"] == 4  # 2 global batches x 2 epochs
    assert out["steps_scheduled"] == 8 and out["drop_prob"] == 0.2  # the scheduler resumed at 4
