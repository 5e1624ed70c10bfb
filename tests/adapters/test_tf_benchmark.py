"""benchmarks/suite_tf.py runs and reports one row per shape (timings are not asserted)."""

from __future__ import annotations

import tensorflow  # noqa: F401  (a missing TensorFlow fails this file)

from tests.adapters.benchmark_suites import load_suite


def test_suite_rows() -> None:
    suite = load_suite("tf")
    rows = suite.run([(2, 4, 14, 14), (1, 3, 9, 9)], repeats=2)
    assert [row["shape_nchw"] for row in rows] == [(2, 4, 14, 14), (1, 3, 9, 9)]
    for row in rows:
        assert row["layout"] == "NHWC"
        assert row["dropblock_ms"] > 0 and row["dropout_ms"] > 0
        assert row["ratio"] == row["dropblock_ms"] / row["dropout_ms"]
