"""dropblock_tf in fresh processes: its imports, the JAX Keras backend, tf.distribute."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

# A failed import of tensorflow must fail this file, not skip it.
import tensorflow  # noqa: F401


def run_python(code: str, **env: str) -> dict:
    """Run ``code`` in a new interpreter; it prints one JSON line last."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_import_adds_only_tensorflow_keras_and_the_core() -> None:
    out = run_python(
        """
        import json, sys
        import numpy, tensorflow, keras, dropblock_core
        before = set(sys.modules)
        import dropblock_tf
        dropblock_tf.dropblock(tensorflow.ones((1, 6, 6, 1)), 0.2, 3, seed=0)
        new = sorted({m.split(".")[0] for m in set(sys.modules) - before})
        print(json.dumps({"new": new, "torch": "torch" in sys.modules}))
        """
    )
    core_dependencies = {"numpy", "scipy", "array_api_compat"}  # pyproject's dependencies
    # SciPy loads when the core first solves gamma (not at import); its TNC
    # extension registers itself under a top-level name.
    core_dependencies.add("_moduleTNC")
    allowed = {"dropblock_tf", "dropblock_core", "tensorflow", "keras", *core_dependencies}
    assert set(out["new"]) <= allowed, out["new"]
    assert not out["torch"]


@pytest.mark.slow
def test_layers_refuse_the_jax_backend_but_the_function_works() -> None:
    out = run_python(
        """
        import json, keras, tensorflow as tf, dropblock_tf
        try:
            dropblock_tf.DropBlock2D(0.1, 3)
            message = None
        except RuntimeError as exc:
            message = str(exc)
        y = dropblock_tf.dropblock(tf.ones((1, 6, 6, 1)), 0.2, 3, seed=0)
        print(json.dumps({"backend": keras.backend.backend(), "message": message,
                          "shape": y.shape.as_list()}))
        """,
        KERAS_BACKEND="jax",
    )
    assert out["backend"] == "jax"
    assert out["message"] is not None and "TensorFlow backend" in out["message"]
    assert out["shape"] == [1, 6, 6, 1]


MIRRORED = """
import json
import numpy as np, tensorflow as tf, keras, dropblock_core
from dropblock_tf import DropBlock2D

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
steps_after_calls = int(layer.step.numpy())

with strategy.scope():
    inputs = keras.Input((8, 8, 3))
    h = DropBlock2D(0.2, 3, seed=1, name="db")(keras.layers.Conv2D(2, 3, padding="same")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(h)))
    model.compile(optimizer="sgd", loss="mse")
model.fit(np.ones((16, 8, 8, 3), np.float32), np.ones((16, 1), np.float32), batch_size=8,
          epochs=2, verbose=0)
print(json.dumps({"replicas": strategy.num_replicas_in_sync, "matches": matches,
                  "replicas_differ": replicas_differ, "steps_after_calls": steps_after_calls,
                  "steps_after_fit": int(model.get_layer("db").step.numpy())}))
"""


@pytest.mark.slow
def test_mirrored_strategy_over_two_cpu_devices() -> None:
    out = run_python(MIRRORED)
    assert out["replicas"] == 2
    assert out["matches"] == [True] * 4  # each replica draws the core's mask for its id
    assert out["replicas_differ"]
    assert out["steps_after_calls"] == 2  # once per step, not once per replica
    assert out["steps_after_fit"] == 4  # 2 global batches x 2 epochs
