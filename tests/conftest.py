"""Backends for the whole suite.

``DROPBLOCK_BACKENDS`` (comma-separated) names the namespaces the suite must
run on; the default is every CPU backend this project supports. A requested
backend that cannot be imported makes the tests that use it *fail*, never
skip. CuPy is added when a CUDA device is present and skips with a reason
otherwise.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import numpy as np
import pytest

CPU_BACKENDS = ("numpy", "array_api_strict", "torch", "jax")


def requested_backends() -> list[str]:
    text = os.environ.get("DROPBLOCK_BACKENDS", ",".join(CPU_BACKENDS))
    return [name.strip() for name in text.split(",") if name.strip()]


def _cuda_available() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def load_namespace(name: str) -> ModuleType:
    """The array-API namespace of a backend; raises if it is not installed."""
    if name == "numpy":
        import array_api_compat.numpy as xp
    elif name == "array_api_strict":
        xp = importlib.import_module("array_api_strict")
    elif name == "torch":
        import array_api_compat.torch as xp
    elif name == "jax":
        xp = importlib.import_module("jax.numpy")
    elif name == "cupy":
        import array_api_compat.cupy as xp
    else:
        raise ValueError(f"unknown backend {name!r}")
    return xp


def to_numpy(a: object) -> np.ndarray:
    """Copy any backend's array to NumPy (tests only)."""
    if hasattr(a, "get"):  # cupy
        return a.get()
    if type(a).__module__.startswith("torch"):
        return a.detach().cpu().numpy()  # type: ignore[attr-defined]
    if type(a).__module__.startswith("array_api_strict"):
        return np.asarray(a._array)  # type: ignore[attr-defined]
    return np.asarray(a)


BACKEND_PARAMS = [pytest.param(name, id=name) for name in requested_backends()] + [
    pytest.param(
        "cupy",
        id="cupy",
        marks=pytest.mark.skipif(not _cuda_available(), reason="CuPy needs a CUDA device"),
    )
]


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def xp(backend: str) -> ModuleType:
    """Each requested namespace; an import failure fails the test."""
    return load_namespace(backend)
