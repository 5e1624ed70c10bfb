"""Verdicts on real third-party implementations installed here and in CI:
PyPI ``dropblock`` 0.3.0 (torch) and keras-cv 0.9 (TensorFlow backend).

Both claim the paper's convention; both fail it, each in its own way. Run
against the convention PyPI dropblock actually implements (gamma = p/b^2,
seeds anywhere, one mask for all channels), it passes those checks: the
validator measures conventions, it does not just reject strangers.
"""

from __future__ import annotations

import dropblock  # noqa: F401  (a missing install must fail, not skip)
import keras_cv  # noqa: F401
import pytest

from dropblock_core.conformance import validate
from dropblock_core.conformance.targets import TARGETS


def _target(name):
    return next(t for t in TARGETS if t.name == name)


def _run(name, **kwargs):
    target = _target(name)
    spec = kwargs.pop("spec", target.claims)
    return validate(
        target.build(), spec=spec, ndim=target.ndim, budget="quick", name=name, **kwargs
    )


@pytest.fixture(scope="module")
def pypi():
    return _run("PyPI dropblock DropBlock2D")


@pytest.fixture(scope="module")
def keras():
    return _run("keras-cv DropBlock2D")


def _rate(report, case):
    (r,) = [r for r in report.find("drop rate") if r.case == case]
    return r


def test_pypi_dropblock_fails_the_paper(pypi):
    assert set(pypi.failed_checks()) == {
        "drop rate",
        "block structure",
        "seed positions",
        "mask coupling",
        "edge cases",
    }
    r = _rate(pypi, "14x14 b=7 p=0.1")  # under-drops: about 0.074 where the paper gives 0.093
    assert r.failed and r.data["achieved"] < r.data["expected"] - 5 * r.data["se"]
    channels, _ = pypi.find("mask coupling")
    assert channels.data["found"] == "shared"
    failed_edges = {r.case for r in pypi.find("edge cases") if r.failed}
    assert failed_edges == {
        "all dropped 3x3 b=3 p=0.99",  # out * numel / 0: NaN
        "float16 91x91 x16 maps, > 65504 kept",  # float16 in, float32 out
        "dtype bfloat16",
    }
    assert {r.check: r.status for r in pypi.results if r.check in ("rescale", "gradient")} == {
        "rescale": "pass",
        "gradient": "pass",
    }


def test_pypi_dropblock_meets_its_own_convention():
    own = _run(
        "PyPI dropblock DropBlock2D",
        spec="paper",
        gamma="naive",
        seed_region="full",
        share_channels=True,
        checks=["drop rate", "block structure", "seed positions", "mask coupling", "rescale"],
    )
    assert own.passed, [(r.check, r.case, r.explanation) for r in own.failures]
    r = _rate(own, "14x14 b=7 p=0.1")
    assert (
        abs(r.data["expected"] - 0.0740) < 1e-3
    )  # exact expectation of p/b^2 over the full region


def test_keras_cv_fails_on_non_square_maps_only(keras):
    assert set(keras.failed_checks()) == {
        "drop rate",
        "block structure",
        "seed positions",
        "edge cases",
    }
    failed_rates = {r.case for r in keras.find("drop rate") if r.failed}
    assert failed_rates == {"14x21 b=7 p=0.1", "21x14 b=7 p=0.1"}  # the region uses W for H
    assert (
        _rate(keras, "14x21 b=7 p=0.1").data["achieved"]
        > _rate(keras, "14x21 b=7 p=0.1").data["expected"]
    )
    assert (
        _rate(keras, "21x14 b=7 p=0.1").data["achieved"]
        < _rate(keras, "21x14 b=7 p=0.1").data["expected"]
    )
    square = [r for r in keras.find("block structure") if r.case == "14x14 b=7"]
    assert square[0].passed
    assert all(r.failed for r in keras.find("seed positions"))
    assert {r.case for r in keras.find("edge cases") if r.failed} == {
        "all dropped 3x3 b=3 p=0.99",  # x / 0 * 0: NaN (documented by keras-cv)
        "float16 91x91 x16 maps, > 65504 kept",  # the float32 layer policy casts float16 up
        "dtype float64",
        "dtype bfloat16",
    }
    assert [r.status for r in keras.find("mask coupling")] == ["pass", "pass"]
    assert keras.find("gradient")[0].status == "pass"


@pytest.mark.slow
@pytest.mark.parametrize("ndim", [2, 3])
def test_the_keras_layers_are_in_the_default_run_and_pass(ndim):
    """dropblock_keras's layers, on the installed Keras backend, meet the exact spec."""
    from dropblock_core.conformance.targets import available

    ready, _ = available()
    (target,) = [t for t in ready if t.name.startswith(f"dropblock_keras DropBlock{ndim}D")]
    report = _run(target.name)
    assert report.passed, report.failed_checks()
    assert len(report.results) > 20
