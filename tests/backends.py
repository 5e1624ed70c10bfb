"""The array backends the suite runs on, and what each one lacks (declared once).

``DROPBLOCK_BACKENDS`` (comma-separated :class:`Backend` values) names the
backends the suite must run on; the default is every CPU backend. A requested
backend that cannot be imported *fails* the tests that use it, never skips.
CUDA backends are always listed once: they run where their library and a CUDA
device exist and skip with a reason otherwise (a requested one must import).

Tests state what they need with ``@pytest.mark.needs("float64", ...)`` (or take
their dtypes from :func:`dtype_params`, which marks each dtype); :data:`LACKS`
is the one table saying which backend lacks what, and the ``xp`` fixture turns
it into skips with the reason written here.
"""

from __future__ import annotations

import enum
import functools
import importlib
import os
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import numpy as np
import pytest

__all__ = [
    "DEFAULT_BACKENDS",
    "FEATURES",
    "LACKS",
    "Backend",
    "ReadOnlyNumPy",
    "backend_params",
    "dtype_params",
    "library",
    "missing_features",
    "namespace",
    "needs_marker_error",
    "requested_backends",
    "to_numpy",
    "widest_float",
]


class Backend(enum.Enum):
    """An array namespace the core is tested on; the value is its test id."""

    NUMPY = "numpy"
    NUMPY_READONLY = "numpy_readonly"  # NumPy whose arrays refuse in-place writes
    ARRAY_API_STRICT = "array_api_strict"
    TORCH = "torch"
    JAX = "jax"
    CUPY = "cupy"

    def __str__(self) -> str:
        return self.value

    @property
    def library_name(self) -> str:
        """The package to import (what a missing install is named by)."""
        return "numpy" if self is Backend.NUMPY_READONLY else self.value

    @property
    def needs_cuda(self) -> bool:
        """Computes on a CUDA device only."""
        return self is Backend.CUPY


DEFAULT_BACKENDS = (
    Backend.NUMPY,
    Backend.NUMPY_READONLY,
    Backend.ARRAY_API_STRICT,
    Backend.TORCH,
    Backend.JAX,
)


def _jax_without_x64() -> bool:
    import jax

    return not jax.config.jax_enable_x64


# feature -> backend -> (does it lack the feature now?, why). The only place a
# backend's gaps are written; tests/test_backend_fixtures.py checks every entry.
_NO_X64 = (_jax_without_x64, "JAX without 64-bit types (JAX_ENABLE_X64) makes it 32-bit")
LACKS: dict[str, dict[Backend, tuple[Callable[[], bool], str]]] = {
    "float16": {
        Backend.ARRAY_API_STRICT: (lambda: True, "the array API standard has no float16"),
    },
    "float64": {Backend.JAX: _NO_X64},
    "int64": {Backend.JAX: _NO_X64},
    "uint64": {Backend.JAX: _NO_X64},
    # Arrays that can be written in place (so a function could mutate its input).
    "mutable_arrays": {Backend.JAX: (lambda: True, "JAX arrays are immutable")},
    # stream="native": NumPy's own generator, drawn on the host.
    "native_stream": {
        b: (lambda: True, "only NumPy has the native stream")
        for b in (Backend.ARRAY_API_STRICT, Backend.TORCH, Backend.JAX, Backend.CUPY)
    },
}
FEATURES = frozenset(LACKS)


def missing_features(backend: Backend, features: Iterable[str]) -> dict[str, str]:
    """Each feature of ``features`` that ``backend`` lacks, with the reason."""
    out = {}
    for feature in features:
        if feature not in LACKS:
            raise ValueError(f"unknown feature {feature!r}; known: {sorted(FEATURES)}")
        lacks, why = LACKS[feature].get(backend, (lambda: False, ""))
        if lacks():
            out[feature] = why
    return out


def needs_marker_error(item: Any) -> str | None:
    """Why ``item``'s ``needs`` markers cannot work (unknown or no feature, or
    no ``xp`` fixture to skip through), or None when they can."""
    for marker in item.iter_markers("needs"):
        if not marker.args or set(marker.args) - FEATURES:
            return f"{item.nodeid}: unknown needs{marker.args}; known: {sorted(FEATURES)}"
        if "xp" not in getattr(item, "fixturenames", ()):
            return f"{item.nodeid}: needs{marker.args} without the xp fixture"
    return None


def dtype_params(*names: str) -> list[Any]:
    """``names`` as pytest parameters; a dtype some backend lacks carries
    ``needs(name)``, so the ``xp`` fixture skips it there with the reason."""
    return [
        pytest.param(name, id=name, marks=pytest.mark.needs(name) if name in FEATURES else ())
        for name in names
    ]


def requested_backends(text: str | None = None) -> tuple[Backend, ...]:
    """The backends ``DROPBLOCK_BACKENDS`` names (or ``text``), each once."""
    if text is None:
        text = os.environ.get("DROPBLOCK_BACKENDS", ",".join(map(str, DEFAULT_BACKENDS)))
    names = [name.strip() for name in text.split(",") if name.strip()]
    known = {b.value: b for b in Backend}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(
            f"DROPBLOCK_BACKENDS names unknown backends {unknown}; known: {sorted(known)}"
        )
    return tuple(dict.fromkeys(known[name] for name in names))


def backend_params(requested: tuple[Backend, ...]) -> list[Any]:
    """One parameter per backend: the requested ones, then every CUDA backend
    not requested (listed so that a GPU machine runs it)."""
    members = list(requested) + [b for b in Backend if b.needs_cuda and b not in requested]
    return [pytest.param(b, id=b.value) for b in members]


class ReadOnlyNumPy(ModuleType):
    """``array_api_compat.numpy`` whose functions return read-only arrays.

    A test builds its inputs with it; a core function that writes into an input
    then raises ``ValueError: assignment destination is read-only``. It is not
    itself a standard namespace (no ``__array_api_version__``): given as
    ``xp=``, the core resolves it like the raw ``numpy`` module, through an
    array it creates, to ``array_api_compat.numpy``, so the core's own arrays
    stay writeable. Arrays passed in are returned as read-only *views*: the
    caller's array keeps its flags.
    """

    def __init__(self) -> None:
        super().__init__("numpy_readonly", self.__doc__)

    def __getattr__(self, name: str) -> Any:
        if name == "__array_api_version__":
            raise AttributeError(name)
        import array_api_compat.numpy as cnp

        value = getattr(cnp, name)
        if callable(value) and not isinstance(value, type):
            return _read_only_results(value)
        return value


def _read_only(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        view = value.view()
        view.flags.writeable = False
        return view
    if isinstance(value, tuple | list):
        return type(value)(_read_only(v) for v in value)
    return value


def _read_only_results(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _read_only(fn(*args, **kwargs))

    return wrapper


def _load_namespace(backend: Backend) -> ModuleType:
    """The array-API namespace of ``backend``; ImportError if it is missing."""
    if backend is Backend.NUMPY_READONLY:
        importlib.import_module("array_api_compat.numpy")
        return ReadOnlyNumPy()
    module = {
        Backend.NUMPY: "array_api_compat.numpy",
        Backend.ARRAY_API_STRICT: "array_api_strict",
        Backend.TORCH: "array_api_compat.torch",
        Backend.JAX: "jax.numpy",
        Backend.CUPY: "array_api_compat.cupy",
    }[backend]
    return importlib.import_module(module)


def _has_cuda_device(backend: Backend) -> bool:
    if backend is Backend.CUPY:
        import cupy

        try:
            return cupy.cuda.runtime.getDeviceCount() > 0
        except cupy.cuda.runtime.CUDARuntimeError:
            return False
    return False


def namespace(backend: Backend, requested: tuple[Backend, ...]) -> ModuleType:
    """``backend``'s namespace, or a skip/failure that says why not.

    Requested and not importable: the test fails. Not requested: it skips
    (a CUDA backend runs anyway where it can). CUDA backend without a device:
    it skips.
    """
    if backend not in requested and not backend.needs_cuda:
        pytest.skip(f"{backend} is not requested (DROPBLOCK_BACKENDS)")
    try:
        xp = _load_namespace(backend)
    except ImportError as exc:
        if backend in requested:
            pytest.fail(
                f"DROPBLOCK_BACKENDS requests {backend}, which cannot be imported: {exc}",
                pytrace=False,
            )
        pytest.skip(f"{backend} is not installed (not requested in DROPBLOCK_BACKENDS)")
    if backend.needs_cuda and not _has_cuda_device(backend):
        pytest.skip(f"{backend} needs a CUDA device; none found")
    return xp


def library(backend: Backend, requested: tuple[Backend, ...]) -> ModuleType:
    """The library module itself (``torch``, ``jax``), under ``namespace``'s rules."""
    namespace(backend, requested)
    return importlib.import_module(backend.library_name)


def to_numpy(a: Any) -> np.ndarray:
    """Copy any backend's array to NumPy (tests only)."""
    if hasattr(a, "get"):  # cupy
        return a.get()
    if type(a).__module__.startswith("torch"):
        return a.detach().cpu().numpy()
    if type(a).__module__.startswith("array_api_strict"):
        return np.asarray(a._array)
    return np.asarray(a)


def widest_float(backend: Backend) -> str:
    """The widest real float ``backend`` has now: ``float64``, or ``float32``
    where it lacks ``float64`` (JAX without 64-bit types)."""
    return "float32" if missing_features(backend, ["float64"]) else "float64"
