"""benchmarks/suite_tf.py runs and reports one row per shape (timings are not asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import tensorflow  # noqa: F401  (a missing TensorFlow fails this file)

SUITE = Path(__file__).resolve().parents[2] / "benchmarks" / "suite_tf.py"


def test_suite_rows() -> None:
    spec = importlib.util.spec_from_file_location("suite_tf", SUITE)
    assert spec is not None and spec.loader is not None
    suite = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(suite)
    rows = suite.run([(2, 4, 14, 14), (1, 3, 9, 9)], repeats=2)
    assert [row["shape_nchw"] for row in rows] == [(2, 4, 14, 14), (1, 3, 9, 9)]
    for row in rows:
        assert row["layout"] == "NHWC"
        assert row["dropblock_ms"] > 0 and row["dropout_ms"] > 0
        assert row["ratio"] == row["dropblock_ms"] / row["dropout_ms"]
