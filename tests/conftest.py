"""Backend fixtures for the whole suite (the backends themselves: tests/backends.py).

- ``backend`` / ``xp``: each requested :class:`~tests.backends.Backend` and its
  array-API namespace. ``xp`` skips a backend that lacks what the test's
  ``needs`` markers ask for, with the reason declared in ``LACKS``.
- ``jax`` / ``torch``: the library itself, for tests about one framework's
  machinery (``jax.jit``, ``torch.compile``); they follow the same rules.
- ``wheel``: the project's wheel, built once per run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.backends import (
    FEATURES,
    Backend,
    backend_params,
    library,
    missing_features,
    namespace,
    needs_marker_error,
    requested_backends,
    to_numpy,
)

__all__ = ["to_numpy"]  # kept importable from here for older test modules

REQUESTED = requested_backends()
ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"needs(*features): the test needs these backend features ({', '.join(sorted(FEATURES))});"
        " the xp fixture skips a backend that lacks one",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A ``needs`` marker names known features and sits on a test that takes ``xp``."""
    for item in items:
        error = needs_marker_error(item)
        if error:
            raise pytest.UsageError(error)


@pytest.fixture(params=backend_params(REQUESTED))
def backend(request: pytest.FixtureRequest) -> Backend:
    return request.param


@pytest.fixture
def xp(backend: Backend, request: pytest.FixtureRequest) -> ModuleType:
    """The namespace of each requested backend; an import failure fails the test."""
    ns = namespace(backend, REQUESTED)
    needed = [feature for marker in request.node.iter_markers("needs") for feature in marker.args]
    missing = missing_features(backend, needed)
    if missing:
        pytest.skip(f"{backend}: " + "; ".join(f"no {f}: {why}" for f, why in missing.items()))
    return ns


@pytest.fixture(scope="session")
def jax() -> ModuleType:
    """``jax``, when JAX is requested (session scope: usable with hypothesis)."""
    return library(Backend.JAX, REQUESTED)


@pytest.fixture(scope="session")
def torch() -> ModuleType:
    """``torch``, when PyTorch is requested."""
    return library(Backend.TORCH, REQUESTED)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel ``pip wheel .`` builds, offline (hatchling, no build isolation)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(out), str(ROOT)],
        check=True,
        timeout=600,
    )  # fmt: skip
    (path,) = out.glob("dropblock_core-*.whl")
    return path
