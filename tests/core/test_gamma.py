"""gamma, expected drop rate and exact gamma against enumeration and sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dropblock_core as db
from dropblock_core.gamma import coverage_counts

from .reference import brute_expected_drop, seed_grid

SMALL_CASES = [
    # (block, spatial, region): every seed grid has <= 12 positions, so enumeration is exact
    ((3,), (5,), "valid"),
    ((2,), (7,), "valid"),  # even block
    ((4,), (4,), "valid"),  # block = map: spatial dropout
    ((9,), (4,), "valid"),  # block larger than the map: clipped
    ((3,), (6,), "full"),
    ((4,), (5,), "full"),  # even block, full region
    ((2, 3), (3, 4), "valid"),  # rectangular block, non-square map
    ((2, 2), (3, 3), "full"),
    ((3, 3), (4, 4), "valid"),
    ((2, 1, 2), (3, 2, 3), "valid"),  # 3-D
    ((1,), (10,), "valid"),  # block 1 is dropout
]


@pytest.mark.parametrize(("block", "spatial", "region"), SMALL_CASES)
@pytest.mark.parametrize("gamma", [0.05, 0.3, 0.8])
def test_expected_drop_rate_matches_enumeration(block, spatial, region, gamma):
    clipped = tuple(min(b, s) for b, s in zip(block, spatial))
    want = brute_expected_drop(gamma, clipped, spatial, region)
    got = db.expected_drop_rate(gamma, block, spatial, seed_region=region)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(("block", "spatial", "region"), SMALL_CASES)
def test_exact_gamma_hits_the_rate_by_enumeration(block, spatial, region):
    for drop in (0.01, 0.1, 0.5, 0.9):
        gamma = db.exact_gamma(drop, block, spatial, seed_region=region)
        clipped = tuple(min(b, s) for b, s in zip(block, spatial))
        assert brute_expected_drop(gamma, clipped, spatial, region) == pytest.approx(drop, rel=1e-9)


def test_paper_numbers():
    # The FACTS: 14x14, b=7, p=0.1 achieves 0.0929 with the paper's gamma.
    gamma = db.paper_gamma(0.1, 7, (14, 14))
    assert gamma == pytest.approx(0.1 * 196 / (49 * 64))
    assert db.expected_drop_rate(gamma, 7, (14, 14)) == pytest.approx(0.0929, abs=5e-5)
    # Rectangular maps use (1-kp) H W / (b^2 (H-b+1)(W-b+1)).
    assert db.paper_gamma(0.1, 3, (10, 20)) == pytest.approx(0.1 * 200 / (9 * 8 * 18))
    # timm/full-region over-drop at 14x14 with the paper's gamma.
    assert db.expected_drop_rate(gamma, 7, (14, 14), seed_region="full") == pytest.approx(
        0.209, abs=5e-4
    )


def test_block_equal_to_map_is_spatial_dropout():
    assert db.paper_gamma(0.3, 5, (5, 5)) == pytest.approx(0.3)
    assert db.exact_gamma(0.3, 5, (5, 5)) == pytest.approx(0.3)
    assert db.exact_gamma(0.3, 9, (5, 5)) == pytest.approx(0.3)  # clipped


@given(
    spatial=st.lists(st.integers(1, 40), min_size=1, max_size=3),
    block=st.integers(1, 12),
    drop=st.floats(0.0, 0.95),
    region=st.sampled_from(["valid", "full"]),
)
@settings(max_examples=150, deadline=None)
def test_exact_gamma_inverts_expected_drop_rate(spatial, block, drop, region):
    gamma = db.exact_gamma(drop, block, spatial, seed_region=region)
    assert 0.0 <= gamma < 1.0
    rate = db.expected_drop_rate(gamma, block, spatial, seed_region=region)
    assert rate == pytest.approx(drop, rel=1e-9, abs=1e-12)


@given(
    spatial=st.lists(st.integers(1, 30), min_size=1, max_size=3),
    block=st.integers(1, 9),
    g1=st.floats(0.0, 1.0),
    g2=st.floats(0.0, 1.0),
    region=st.sampled_from(["valid", "full"]),
)
@settings(max_examples=100, deadline=None)
def test_expected_drop_rate_is_monotone_and_bounded(spatial, block, g1, g2, region):
    lo, hi = sorted((g1, g2))
    r_lo = db.expected_drop_rate(lo, block, spatial, seed_region=region)
    r_hi = db.expected_drop_rate(hi, block, spatial, seed_region=region)
    assert 0.0 <= r_lo <= r_hi + 1e-15 <= 1.0 + 1e-15
    assert db.expected_drop_rate(1.0, block, spatial, seed_region=region) == pytest.approx(1.0)
    assert db.expected_drop_rate(0.0, block, spatial, seed_region=region) == 0.0


def test_paper_gamma_undershoots_in_the_valid_region():
    for size in (7, 8, 14, 28, 56):
        gamma = db.paper_gamma(0.1, 7, (size, size))
        assert db.expected_drop_rate(gamma, 7, (size, size)) <= 0.1 + 1e-12


def test_coverage_counts_sum_to_block_times_seeds():
    for size in range(1, 20):
        for b in range(1, 25):
            for region in ("valid", "full"):
                counts = coverage_counts(size, b, region)
                clipped = min(b, size)
                (grid,) = seed_grid((clipped,), (size,), region)
                # Every seed covers its (clipped) block: the counts add up block sizes.
                starts = np.arange(grid) - (0 if region == "valid" else clipped // 2)
                covered = np.minimum(starts + clipped, size) - np.maximum(starts, 0)
                assert counts.sum() == covered.sum()


@pytest.mark.parametrize(
    ("call", "exc", "needle"),
    [
        (lambda: db.paper_gamma(1.0, 3, (5,)), ValueError, "drop_prob"),
        (lambda: db.paper_gamma(-0.1, 3, (5,)), ValueError, "drop_prob"),
        (lambda: db.paper_gamma(math.nan, 3, (5,)), ValueError, "drop_prob"),
        (lambda: db.paper_gamma(True, 3, (5,)), TypeError, "drop_prob"),
        (lambda: db.paper_gamma("0.1", 3, (5,)), TypeError, "drop_prob"),
        (lambda: db.paper_gamma(0.1, 0, (5,)), ValueError, "block_size"),
        (lambda: db.paper_gamma(0.1, 2.5, (5,)), TypeError, "block_size"),
        (lambda: db.paper_gamma(0.1, True, (5,)), TypeError, "block_size"),
        (lambda: db.paper_gamma(0.1, (3, 3), (5,)), ValueError, "block_size"),
        (lambda: db.paper_gamma(0.1, 3, ()), ValueError, "spatial_shape"),
        (lambda: db.paper_gamma(0.1, 3, (0, 4)), ValueError, "spatial_shape"),
        (lambda: db.paper_gamma(0.1, 3, (4.0, 4)), TypeError, "spatial_shape"),
        (lambda: db.expected_drop_rate(1.5, 3, (5,)), ValueError, "gamma"),
        (lambda: db.expected_drop_rate(math.nan, 3, (5,)), ValueError, "gamma"),
        (lambda: db.expected_drop_rate("x", 3, (5,)), TypeError, "gamma"),
        (
            lambda: db.expected_drop_rate(0.1, 3, (5,), seed_region="same"),
            ValueError,
            "seed_region",
        ),
        (lambda: db.exact_gamma(0.1, 3, (5,), seed_region="VALID"), ValueError, "seed_region"),
    ],
)
def test_bad_input_names_the_parameter(call, exc, needle):
    with pytest.raises(exc, match=needle):
        call()
