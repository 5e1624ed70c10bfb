"""benchmarks/suite_jax.py runs and reports one row per shape (timings are not asserted)."""

from __future__ import annotations

import jax  # noqa: F401  (a missing JAX fails this file)

from tests.adapters.benchmark_suites import load_suite


def test_suite_rows_and_table() -> None:
    suite = load_suite("jax")
    shapes = [(2, 4, 14, 14), (1, 3, 9, 9)]
    rows = suite.run(shapes, repeats=2)
    assert [row["shape"] for row in rows] == shapes
    for row in rows:
        for name in ("dropout_jit", "dropblock_jit", "mask_jit", "dropblock_eager"):
            assert row[f"{name}_ms"] > 0 and row[f"{name}_first_s"] > 0
        for name in ("dropblock_jit", "dropblock_eager"):
            assert row[f"{name}_ratio"] == row[f"{name}_ms"] / row["dropout_jit_ms"]
    lines = suite.table(rows).splitlines()
    assert len(lines) == 2 + len(shapes) and lines[2].startswith("2x4x14x14")
