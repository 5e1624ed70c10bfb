"""The suite's backend plumbing (tests/backends.py, tests/conftest.py) keeps its word:
requested backends fail when missing, CUDA backends appear once, the LACKS table
is true of every backend, ``needs`` markers skip with the declared reason, and
the read-only NumPy variant refuses in-place writes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from types import ModuleType

import array_api_compat.numpy as cnp
import numpy as np
import pytest

import dropblock_core as db
from dropblock_core._namespace import resolve_namespace
from tests import backends
from tests.backends import (
    FEATURES,
    LACKS,
    Backend,
    ReadOnlyNumPy,
    backend_params,
    missing_features,
    namespace,
    needs_marker_error,
    requested_backends,
    to_numpy,
)

ROOT = Path(__file__).resolve().parents[1]
DTYPES = ("float16", "float64", "int64", "uint64")


def test_requested_backends_are_parsed_once_each_in_order():
    assert requested_backends("torch, numpy,torch") == (Backend.TORCH, Backend.NUMPY)
    assert requested_backends("") == ()
    with pytest.raises(ValueError, match=r"unknown backends \['tf'\]; known: \["):
        requested_backends("numpy,tf")


def test_a_cuda_backend_is_listed_once_requested_or_not():
    def ids(requested):
        return [p.id for p in backend_params(requested)]

    assert ids((Backend.NUMPY,)) == ["numpy", "cupy"]
    assert ids((Backend.NUMPY, Backend.CUPY)) == ["numpy", "cupy"]  # before: cupy twice
    assert ids((Backend.CUPY, Backend.JAX)) == ["cupy", "jax"]


def _no_import(backend):
    raise ImportError(f"No module named {backend.library_name!r}")


def test_a_requested_backend_that_cannot_be_imported_fails(monkeypatch):
    monkeypatch.setattr(backends, "_load_namespace", _no_import)
    for backend in (Backend.TORCH, Backend.CUPY):
        with pytest.raises(pytest.fail.Exception, match=f"requests {backend}, which cannot be"):
            namespace(backend, (Backend.NUMPY, backend))
    with pytest.raises(pytest.skip.Exception, match="torch is not requested"):
        namespace(Backend.TORCH, (Backend.NUMPY,))
    with pytest.raises(pytest.skip.Exception, match="cupy is not installed"):
        namespace(Backend.CUPY, (Backend.NUMPY,))


def test_a_cuda_backend_without_a_device_skips(monkeypatch):
    fake = ModuleType("fake_cupy")
    monkeypatch.setattr(backends, "_load_namespace", lambda backend: fake)
    monkeypatch.setattr(backends, "_has_cuda_device", lambda backend: False)
    for requested in ((Backend.CUPY,), ()):
        with pytest.raises(pytest.skip.Exception, match="cupy needs a CUDA device; none found"):
            namespace(Backend.CUPY, requested)
    monkeypatch.setattr(backends, "_has_cuda_device", lambda backend: True)
    assert namespace(Backend.CUPY, ()) is fake


def _has(feature: str, xp: ModuleType) -> bool:
    """Whether ``xp`` has ``feature``, found out by trying it."""
    if feature in DTYPES:
        if not hasattr(xp, feature):
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # JAX warns, then truncates to 32 bits
            return xp.asarray(1, dtype=getattr(xp, feature)).dtype == getattr(xp, feature)
    if feature == "mutable_arrays":
        a = xp.zeros((3,))
        try:
            a[0] = 1.0
        except TypeError:
            return False  # the array type has no in-place writes (JAX)
        except ValueError as exc:
            return "read-only" in str(exc)  # numpy_readonly: writes exist, and are refused
        return float(to_numpy(a)[0]) == 1.0
    if feature == "native_stream":
        try:
            db.sample_mask((1, 1, 4, 4), 0.1, 2, seed=0, stream="native", xp=xp)
        except ValueError as exc:
            assert "stream='native' is only available on NumPy" in str(exc)
            return False
        return True
    raise AssertionError(f"no probe for {feature!r}")


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_the_lacks_table_is_true(backend, xp, feature):
    """Every backend has exactly the features LACKS does not deny it."""
    lacks = feature in missing_features(backend, [feature])
    assert _has(feature, xp) is not lacks, (backend, feature, LACKS[feature].get(backend))


def test_unknown_features_are_refused():
    with pytest.raises(ValueError, match="unknown feature 'float17'"):
        missing_features(Backend.NUMPY, ["float17"])


def test_read_only_numpy_refuses_in_place_writes():
    xp = ReadOnlyNumPy()
    base = np.ones(4)
    a = xp.asarray(base)
    writes = [
        lambda: a.__setitem__(0, 2.0),
        lambda: a.__iadd__(1.0),
        lambda: np.multiply(a, 2.0, out=a),
    ]
    for write in writes:
        with pytest.raises(ValueError, match="read-only"):
            write()
    assert base.flags.writeable and np.all(base == 1.0)  # the caller's array is not changed
    assert all(not m.flags.writeable for m in xp.meshgrid(xp.arange(2), xp.arange(3)))
    assert not hasattr(xp, "__array_api_version__")
    assert resolve_namespace(xp) is cnp  # given as xp=, the core computes with NumPy's


PROBE = """
import pytest

from tests.backends import dtype_params


@pytest.mark.parametrize("dtype", dtype_params("float32", "float16"))
def test_probe(xp, dtype):
    assert xp.asarray(1.0, dtype=getattr(xp, dtype)).dtype == getattr(xp, dtype)
"""
# torch (requested) and cupy (not requested) cannot be imported in the probe run.
RUN = (
    "import sys; sys.modules['torch'] = sys.modules['cupy'] = None; import pytest;"
    " sys.exit(pytest.main(sys.argv[1:]))"
)


def _run_probe(tmp_path: Path, source: str, requested: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers\n")
    (tmp_path / "test_probe.py").write_text(textwrap.dedent(source))
    env = {**os.environ, "DROPBLOCK_BACKENDS": requested, "COLUMNS": "500"}  # whole lines
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    args = ["-p", "tests.conftest", "-p", "no:cacheprovider", "-rA", str(tmp_path)]
    return subprocess.run(
        [sys.executable, "-c", RUN, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )


def test_the_fixtures_fail_skip_and_run_as_declared(tmp_path):
    out = _run_probe(tmp_path, PROBE, "numpy,array_api_strict,torch")
    lines = {line.split(" - ")[0]: line for line in out.stdout.splitlines()}
    assert out.returncode == 1, out.stdout + out.stderr
    for test in ("numpy-float32", "numpy-float16", "array_api_strict-float32"):
        assert f"PASSED test_probe.py::test_probe[{test}]" in lines, out.stdout
    for test in ("torch-float32", "torch-float16"):  # requested, missing: an error
        line = lines[f"ERROR test_probe.py::test_probe[{test}]"]
        assert "DROPBLOCK_BACKENDS requests torch, which cannot be imported" in line
    skipped = [line for line in out.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skipped == [  # strict's float16; the unrequested cupy (both dtypes)
        "SKIPPED [1] test_probe.py:7: array_api_strict: no float16: the array API standard has no float16",
        "SKIPPED [2] test_probe.py:7: cupy is not installed (not requested in DROPBLOCK_BACKENDS)",
    ], out.stdout
    assert "3 passed, 3 skipped, 2 errors" in out.stdout.splitlines()[-1]


class _Item:
    """What needs_marker_error reads of a collected test."""

    def __init__(self, fixturenames, *markers):
        self.nodeid, self.fixturenames, self.markers = "t.py::test", fixturenames, markers

    def iter_markers(self, name):
        return iter(self.markers if name == "needs" else ())


@pytest.mark.parametrize(
    ("fixtures", "marker", "message"),
    [
        (["xp"], pytest.mark.needs("float17").mark, "t.py::test: unknown needs('float17',)"),
        (["xp"], pytest.mark.needs().mark, "t.py::test: unknown needs()"),
        (["x"], pytest.mark.needs("float16").mark, "needs('float16',) without the xp fixture"),
        (["xp"], pytest.mark.needs("float16", "int64").mark, None),
    ],
)
def test_a_needs_marker_that_cannot_work_is_refused(fixtures, marker, message):
    """conftest turns this message into a usage error at collection."""
    error = needs_marker_error(_Item(fixtures, marker))
    if message is None:
        assert error is None
    else:
        assert message in error
