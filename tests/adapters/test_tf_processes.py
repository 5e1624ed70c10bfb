"""dropblock_tf in fresh processes: its imports, and its function under another Keras backend.

tf.distribute is tested with the layers in tests/adapters/test_keras_backends.py."""

from __future__ import annotations

import pytest

# A failed import of tensorflow must fail this file, not skip it.
import tensorflow  # noqa: F401

from tests.children import run_json


@pytest.mark.slow
def test_import_adds_only_tensorflow_keras_and_the_core() -> None:
    out = run_json(
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
    allowed = {"dropblock_tf", "dropblock_keras", "dropblock_core", "tensorflow", "keras"}
    allowed |= core_dependencies
    assert set(out["new"]) <= allowed, out["new"]
    assert not out["torch"]


@pytest.mark.slow
def test_the_function_takes_tf_tensors_under_the_jax_keras_backend() -> None:
    out = run_json(
        """
        import json, keras, numpy as np, tensorflow as tf, dropblock_core, dropblock_tf
        x = tf.ones((2, 6, 6, 1))
        y = dropblock_tf.dropblock(x, 0.2, 3, seed=0, step=1)
        f = tf.function(lambda x: dropblock_tf.dropblock(x, 0.2, 3, seed=0, step=1), jit_compile=True)
        want = dropblock_core.sample_mask((2, 6, 6, 1), 0.2, 3, seed=0, step=1, channels_last=True)
        print(json.dumps({"backend": keras.backend.backend(),
                          "eager": bool(np.array_equal(y.numpy() != 0, want)),
                          "xla": bool(np.array_equal(f(x).numpy() != 0, want)),
                          "layer": type(dropblock_tf.DropBlock2D(0.1, 3)).__name__}))
        """,
        KERAS_BACKEND="jax",
    )
    assert out == {"backend": "jax", "eager": True, "xla": True, "layer": "DropBlock2D"}
