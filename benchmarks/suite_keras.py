"""Speed of dropblock_keras against ``keras.layers.Dropout`` on TensorFlow, JAX and PyTorch.

Each backend runs in its own process (``KERAS_BACKEND`` is read once); inside
it every ratio is measured in that one process, the two candidates timed
round-robin, each time the median of ``repeats``. ``drop_prob=0.1``,
``block_size=7``, ``seed=None``, NHWC:

* ``forward``: ``layer(x, training=True)`` at each shape, compiled where the
  backend compiles (``tf.function(jit_compile=True)``: XLA; ``jax.jit`` of
  ``stateless_call``: XLA), eager on PyTorch (Keras' default there). On
  TensorFlow, Keras' ``Dropout`` draws Philox bits, which XLA runs slowly on
  CPU, so a plain XLA dropout with ThreeFry bits is timed too;
* ``train_step``: ``model.train_on_batch`` of a small CNN (three convolutions,
  64 x 32 x 32 x 3 batches) with one ``DropBlock2D`` or one ``Dropout`` after
  the second convolution, compiled with ``jit_compile=True`` on TensorFlow and
  JAX (XLA) and Keras' default (eager) on PyTorch.

Run: ``python benchmarks/suite_keras.py [repeats]`` (all three backends).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["BACKENDS", "SHAPES", "run", "run_backend"]

BACKENDS = ("tensorflow", "jax", "torch")
SHAPES = [(32, 256, 56, 56), (32, 512, 28, 28), (32, 1024, 14, 14), (32, 2048, 7, 7)]
DROP_PROB, BLOCK_SIZE = 0.1, 7


def round_robin(candidates: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median milliseconds of each candidate, timed in turns after one warm-up call each."""
    for fn in candidates.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: 1e3 * statistics.median(ts) for name, ts in times.items()}


def _training_call(layer: Any, backend: str, x: Any) -> Callable[[], Any]:
    """``layer(x, training=True)``, compiled where the backend compiles, finished on return."""
    if backend == "tensorflow":
        import tensorflow as tf

        fn = tf.function(lambda t: layer(t, training=True), jit_compile=True)
        return lambda: fn(x)  # eager execution of a tf.function returns when it is done
    if backend == "jax":
        import jax

        layer.build(tuple(x.shape))
        fn = jax.jit(lambda state, t: layer.stateless_call([], state, t, training=True))
        state = [v.value for v in layer.non_trainable_variables]
        return lambda: jax.block_until_ready(fn(state, x))
    return lambda: layer(x, training=True)


def _threefry_dropout(x: Any) -> Callable[[], Any]:
    """A plain XLA dropout drawing ThreeFry bits (TensorFlow), for reference."""
    import tensorflow as tf

    @tf.function(jit_compile=True)
    def fn(t: Any) -> Any:
        keep = tf.random.stateless_uniform(tf.shape(t), [1, 2], alg="threefry") >= DROP_PROB
        return tf.where(keep, t / (1 - DROP_PROB), tf.zeros_like(t))

    return lambda: fn(x)


def forward_rows(shapes: Sequence[tuple[int, int, int, int]], repeats: int) -> list[dict]:
    import dropblock_keras
    import keras

    backend = keras.backend.backend()
    rows = []
    for n, c, h, w in shapes:
        x = keras.random.uniform((n, h, w, c), seed=0)
        ours = dropblock_keras.DropBlock2D(DROP_PROB, BLOCK_SIZE, data_format="channels_last")
        dropout = keras.layers.Dropout(DROP_PROB)
        candidates = {
            "dropblock": _training_call(ours, backend, x),
            "dropout": _training_call(dropout, backend, x),
        }
        if backend == "tensorflow":  # Keras' Dropout draws Philox bits, slow in XLA on CPU
            candidates["threefry"] = _threefry_dropout(x)
        ms = round_robin(candidates, repeats)
        row = {
            "backend": backend,
            "case": "forward",
            "shape_nhwc": (n, h, w, c),
            "dropblock_ms": ms["dropblock"],
            "dropout_ms": ms["dropout"],
            "ratio": ms["dropblock"] / ms["dropout"],
        }
        if "threefry" in ms:
            row["threefry_dropout_ms"] = ms["threefry"]
            row["ratio_to_threefry"] = ms["dropblock"] / ms["threefry"]
        rows.append(row)
    return rows


def small_cnn(regularizer: Any) -> Any:
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((32, 32, 3))
    h = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    h = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(h)
    h = regularizer(h)
    h = keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(h)
    outputs = keras.layers.Dense(10)(keras.layers.GlobalAveragePooling2D()(h))
    model = keras.Model(inputs, outputs)
    jit = keras.backend.backend() != "torch"
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(True), jit_compile=jit)
    return model


def train_step_rows(repeats: int) -> list[dict]:
    import dropblock_keras
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (64, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 10, (64,))
    ours = small_cnn(dropblock_keras.DropBlock2D(DROP_PROB, BLOCK_SIZE))
    dropout = small_cnn(keras.layers.Dropout(DROP_PROB))
    ms = round_robin(
        {
            "dropblock": lambda: ours.train_on_batch(x, y),
            "dropout": lambda: dropout.train_on_batch(x, y),
        },
        repeats,
    )
    return [
        {
            "backend": keras.backend.backend(),
            "case": "train_step",
            "jit_compile": ours.jit_compile,
            "shape_nhwc": (64, 32, 32, 3),
            "dropblock_ms": ms["dropblock"],
            "dropout_ms": ms["dropout"],
            "ratio": ms["dropblock"] / ms["dropout"],
        }
    ]


def run_backend(shapes: Sequence[tuple[int, int, int, int]], repeats: int) -> list[dict]:
    """Every row for the backend of this process."""
    return train_step_rows(max(repeats, 10)) + forward_rows(shapes, repeats)


def run(
    shapes: Sequence[tuple[int, int, int, int]],
    repeats: int,
    backends: Sequence[str] = BACKENDS,
) -> list[dict]:
    """Every row for each backend, each backend in its own process."""
    rows = []
    for backend in backends:
        result = subprocess.run(
            [sys.executable, __file__, "--json", str(repeats), json.dumps(list(shapes))],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"},
            cwd=Path(__file__).resolve().parent,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{backend}: {result.stderr[-3000:]}")
        for row in json.loads(result.stdout.strip().splitlines()[-1]):
            row["shape_nhwc"] = tuple(row["shape_nhwc"])
            rows.append(row)
    return rows


def main(argv: Sequence[str]) -> None:
    if argv and argv[0] == "--json":
        repeats, shapes = int(argv[1]), [tuple(s) for s in json.loads(argv[2])]
        print(json.dumps(run_backend(shapes, repeats)))
        return
    repeats = int(argv[0]) if argv else 5
    print(f"dropblock_keras vs keras.layers.Dropout; p={DROP_PROB}, block {BLOCK_SIZE}, NHWC")
    for row in run(SHAPES, repeats):
        shape = "x".join(map(str, row["shape_nhwc"]))
        print(
            f"{row['backend']:>10} {row['case']:>10} {shape:>16} "
            f"{row['dropblock_ms']:10.1f} {row['dropout_ms']:10.1f} {row['ratio']:6.2f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
