"""``dropblock_core.testing``: assert_conforms, the exact-variance drop-rate
assertion, the hypothesis strategies and the test file the docs tell users to copy."""

from __future__ import annotations

import importlib.util
import itertools
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dropblock_core as db
from dropblock_core.testing import (
    DropBlockCase,
    _mask_fraction_variance,
    assert_conforms,
    assert_drop_rate,
    block_sizes,
    dropblock_cases,
    spatial_shapes,
)
from tests.core.reference import paint, seed_grid

from .faults import FAULTS, fault, full_region, naive_gamma_impl

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "test_my_dropblock.py"


def paper(x, p, b):
    return db.dropblock(x, p, b, gamma="paper")


# -- assert_conforms --------------------------------------------------------------------


def test_assert_conforms_returns_the_report_when_everything_passes():
    report = assert_conforms(paper, checks=["drop rate", "rescale"])
    assert report.passed and len(report.results) > 5


def test_assert_conforms_lists_each_failure_on_one_line():
    with pytest.raises(AssertionError) as info:
        assert_conforms(naive_gamma_impl, checks=["drop rate", "rescale"])
    header, *lines = str(info.value).splitlines()
    report = db.validate(naive_gamma_impl, checks=["drop rate", "rescale"], budget="quick")
    assert header.endswith(f"{len(report.failures)} of {len(report.results)} checks failed")
    assert "does not conform to spec 'paper' (gamma=paper, seeds=valid" in header
    assert len(lines) == len(report.failures) >= 3
    for line, result in zip(lines, report.failures):
        assert line.startswith(f"  drop rate {result.case}: measured {result.measured}, bound ")
        assert "SE" in line  # the z-score is part of the explanation


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_assert_conforms_catches_every_planted_fault(name):
    body, checks = FAULTS[name]
    with pytest.raises(AssertionError, match="does not conform") as info:
        assert_conforms(fault(body), checks=sorted(checks))
    lines = str(info.value).splitlines()[1:]
    assert lines and all(any(line.startswith(f"  {c} ") for c in checks) for line in lines)


def test_assert_conforms_passes_options_through():
    full = lambda x, p, b: db.dropblock(x, p, b, gamma="paper", seed_region="full")  # noqa: E731
    with pytest.raises(AssertionError):
        assert_conforms(full, checks=["drop rate"])
    assert_conforms(full, checks=["drop rate"], seed_region="full")
    with pytest.raises(ValueError, match="budget"):
        assert_conforms(paper, budget="tiny")


# -- the exact variance behind assert_drop_rate ------------------------------------------


def brute_variance(gamma, block, spatial, region):
    """Variance of one mask's dropped fraction, enumerating every seed configuration."""
    grid = seed_grid(block, spatial, region)
    n = math.prod(grid)
    mean = square = 0.0
    for bits in itertools.product((False, True), repeat=n):
        seeds = np.array(bits, dtype=bool).reshape(grid)
        k = int(seeds.sum())
        prob = gamma**k * (1 - gamma) ** (n - k)
        fraction = paint(seeds, block, spatial, region).mean()
        mean += prob * fraction
        square += prob * fraction**2
    return square - mean**2


@pytest.mark.parametrize(
    ("block", "spatial", "region"),
    [
        ((3,), (5,), "valid"),
        ((2,), (6,), "full"),
        ((4,), (4,), "valid"),
        ((2, 3), (3, 4), "valid"),
        ((2, 2), (3, 3), "full"),
        ((3, 3), (4, 4), "valid"),
        ((1, 2, 2), (2, 2, 3), "valid"),
        ((1,), (9,), "valid"),
    ],
)
@pytest.mark.parametrize("gamma", [0.05, 0.4, 1.0])
def test_variance_matches_enumeration(block, spatial, region, gamma):
    got = _mask_fraction_variance(gamma, block, spatial, region)
    assert got == pytest.approx(brute_variance(gamma, block, spatial, region), rel=1e-9, abs=1e-15)


def test_variance_matches_the_core_by_sampling():
    # 20,000 masks of the core on 14x14, b=7: the sample variance of the dropped
    # fraction against the exact one, within 5 standard errors of a variance
    # estimate (its SE from the sample's fourth central moment).
    gamma = db.paper_gamma(0.1, 7, (14, 14))
    mask = db.sample_mask((20000, 1, 14, 14), 0.1, 7, gamma="paper", seed=3)
    fractions = 1 - mask.reshape(20000, -1).mean(axis=1)
    sample = fractions.var(ddof=1)
    m4 = np.mean((fractions - fractions.mean()) ** 4)
    se = math.sqrt((m4 - sample**2) / len(fractions))
    exact = _mask_fraction_variance(gamma, (7, 7), (14, 14), "valid")
    assert abs(sample - exact) <= 5 * se, (sample, exact, se)


# -- assert_drop_rate ---------------------------------------------------------------------


@settings(max_examples=40, deadline=None, derandomize=True)
@given(dropblock_cases(ndim=(1, 2, 3), max_side=16, channels_last=None))
def test_the_reference_passes_on_random_cases(case):
    def fn(x, p, b):
        return db.dropblock(x, p, b, gamma="paper", channels_last=case.channels_last)

    achieved = assert_drop_rate(fn, case)
    assert 0.0 <= achieved <= 1.0


@pytest.mark.parametrize(
    ("name", "fn"),
    [
        ("naive gamma", lambda x, p, b: db.dropblock(x, p, b, gamma=min(p / b**2, 1.0))),
        ("full region", lambda x, p, b: db.dropblock(x, p, b, gamma="paper", seed_region="full")),
        ("exact gamma", lambda x, p, b: db.dropblock(x, p, b)),
    ],
)
def test_wrong_conventions_fail(name, fn):
    # The exact gamma drops 0.1 where the paper's expects 0.0929: 1024 calls of
    # 32 masks resolve that (about 13 standard errors).
    case = DropBlockCase((8, 4, 14, 14), 0.1, 7)
    with pytest.raises(AssertionError, match=r"spec 'paper' expects 0\.0929\d ± .* SE"):
        assert_drop_rate(fn, case, calls=1024)
    assert_drop_rate(paper, case, calls=1024)


def test_assert_drop_rate_claims_and_arguments():
    case = DropBlockCase((4, 2, 12, 12), 0.2, 3)
    exact = lambda x, p, b: db.dropblock(x, p, b)  # noqa: E731
    assert_drop_rate(exact, case, spec="exact")
    shared = lambda x, p, b: db.dropblock(x, p, b, gamma="paper", share_channels=True)  # noqa: E731
    assert_drop_rate(shared, case, spec=db.conformance.resolve_spec("paper", share_channels=True))
    with pytest.raises(ValueError, match="calls"):
        assert_drop_rate(paper, case, calls=1)
    with pytest.raises(ValueError, match="sigmas"):
        assert_drop_rate(paper, case, sigmas=float("nan"))
    with pytest.raises(ValueError, match="case.drop_prob"):
        assert_drop_rate(paper, DropBlockCase((1, 1, 5), 1.5, 3))
    with pytest.raises(AssertionError, match="output shape"):
        assert_drop_rate(lambda x, p, b: x[0], case)


def test_rare_seeds_raise_the_number_of_calls():
    # Spatial dropout (block = map) with one mask per call: at 64 calls the
    # normal approximation would rest on ~3 expected seeds; calls are raised.
    case = DropBlockCase((1, 1, 6, 6), 0.05, 6)
    calls = []

    def counting(x, p, b):
        calls.append(1)
        return paper(x, p, b)

    assert_drop_rate(counting, case)
    assert len(calls) == math.ceil(50 / 0.05)


# -- the strategies -------------------------------------------------------------------


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    dropblock_cases(ndim=(1, 2, 3), channels_last=None, odd_blocks=True, per_axis_blocks=True),
    st.data(),
)
def test_cases_are_valid_inputs_of_the_core(case, data):
    assert len(case.shape) == len(case.spatial) + 2
    assert all(b % 2 == 1 for b in case.block_size) and len(case.block_size) == len(case.spatial)
    assert all(b <= s for b, s in zip(case.block_size, case.spatial))
    assert 0.05 <= case.drop_prob <= 0.5
    mask = db.sample_mask(
        case.shape, case.drop_prob, case.block_size, seed=0, channels_last=case.channels_last
    )
    assert mask.shape == case.shape
    assert 0.0 <= case.expected_drop_rate() <= case.drop_prob + 1e-12
    block = data.draw(block_sizes(case.spatial, larger=True))
    assert 1 <= block <= min(case.spatial) + 2


@settings(max_examples=50, deadline=None, derandomize=True)
@given(spatial_shapes(ndim=3, min_side=2, max_side=5))
def test_spatial_shapes_respect_their_bounds(spatial):
    assert len(spatial) == 3 and all(2 <= s <= 5 for s in spatial)


# -- the file the documentation asks users to copy ------------------------------------------


def test_the_docs_show_the_example_file_verbatim():
    page = (ROOT / "docs" / "testing.md").read_text()
    assert EXAMPLE.read_text().strip() in page


def test_the_example_file_passes_with_pytest():
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-3000:]
    assert "2 passed" in out.stdout


def test_the_example_file_fails_for_a_wrong_implementation(monkeypatch):
    spec = importlib.util.spec_from_file_location("user_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "my_dropblock", fault(full_region).forward)
    with pytest.raises(AssertionError, match="does not conform"):
        module.test_conforms_to_its_spec()
    # One failing case, without hypothesis's search and shrinking around it.
    property_test = module.test_drop_rate_matches_the_closed_form.hypothesis.inner_test
    with pytest.raises(AssertionError, match="drop rate"):
        property_test(DropBlockCase((4, 2, 14, 14), 0.1, 7))
