"""Speed of dropblock_tf's eager forward against ``tf.nn.dropout`` (CPU).

Shapes are given as NCHW (as in the project's other suites) and run in the
layout TensorFlow prefers, NHWC (``data_format="channels_last"``), with
``drop_prob=0.1``, ``block_size=7`` and ``seed=None`` (a fresh mask per call).
Each time is the median of ``repeats`` calls after one warm-up call.

Run: ``python benchmarks/suite_tf.py [repeats]``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import dropblock_tf
import tensorflow as tf

__all__ = ["SHAPES", "median_ms", "run"]

SHAPES = [(32, 256, 56, 56), (32, 512, 28, 28), (32, 1024, 14, 14), (32, 2048, 7, 7)]
DROP_PROB, BLOCK_SIZE = 0.1, 7


def median_ms(fn: Callable[[], Any], repeats: int) -> float:
    """Median wall time of ``fn()`` in milliseconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()  # eager CPU ops finish before returning
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def run(shapes: Sequence[tuple[int, int, int, int]], repeats: int) -> list[dict[str, Any]]:
    """One row per NCHW shape: DropBlock and dropout times (ms) and their ratio."""
    rows = []
    for n, c, h, w in shapes:
        x = tf.random.uniform((n, h, w, c))
        ours = median_ms(lambda: dropblock_tf.dropblock(x, DROP_PROB, BLOCK_SIZE), repeats)
        dropout = median_ms(lambda: tf.nn.dropout(x, DROP_PROB), repeats)
        rows.append(
            {
                "shape_nchw": (n, c, h, w),
                "layout": "NHWC",
                "dropblock_ms": ours,
                "dropout_ms": dropout,
                "ratio": ours / dropout,
            }
        )
    return rows


def main(argv: Sequence[str]) -> None:
    repeats = int(argv[0]) if argv else 10
    threads = tf.config.threading.get_intra_op_parallelism_threads() or "default"
    print(
        f"dropblock_tf eager forward vs tf.nn.dropout; p={DROP_PROB}, block {BLOCK_SIZE}, "
        f"NHWC, median of {repeats}, TF {tf.__version__}, intra-op threads {threads}"
    )
    print(f"{'shape (NCHW)':>20} {'dropblock ms':>13} {'dropout ms':>11} {'ratio':>6}")
    for row in run(SHAPES, repeats):
        shape = "x".join(map(str, row["shape_nchw"]))
        times = f"{row['dropblock_ms']:13.1f} {row['dropout_ms']:11.1f} {row['ratio']:6.2f}"
        print(f"{shape:>20} {times}")


if __name__ == "__main__":
    main(sys.argv[1:])
