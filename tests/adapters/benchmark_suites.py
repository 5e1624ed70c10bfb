"""The benchmark suites (benchmarks/suite_*.py) loaded as modules, for their smoke tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

__all__ = ["load_suite"]

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load_suite(framework: str) -> ModuleType:
    """``benchmarks/suite_<framework>.py``, imported from its file."""
    spec = importlib.util.spec_from_file_location(
        f"suite_{framework}", BENCHMARKS / f"suite_{framework}.py"
    )
    assert spec is not None and spec.loader is not None
    suite = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(suite)
    return suite
