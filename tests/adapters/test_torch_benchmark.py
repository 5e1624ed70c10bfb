"""benchmarks/suite_torch.py runs and reports one row per shape (timings are not asserted)."""

from __future__ import annotations

import torch

from tests.adapters.benchmark_suites import load_suite


def test_suite_rows() -> None:
    suite = load_suite("torch")
    threads = torch.get_num_threads()
    rows = suite.run([(2, 4, 14, 14), (1, 3, 9, 9)], repeats=2, threads=1)
    assert torch.get_num_threads() == threads  # restored
    assert [row["shape"] for row in rows] == [(2, 4, 14, 14), (1, 3, 9, 9)]
    for row in rows:
        assert row["dropblock_train_ms"] > 0 and row["dropout_train_ms"] > 0
        assert row["ratio_train"] > 0 and row["ratio_forward"] > 0
        assert row["torchvision"] == "not installed" or row["ratio_vs_torchvision"] > 0
