"""Each planted defect is caught by its own check, and only by plausible ones."""

from __future__ import annotations

import pytest

from dropblock_core.conformance import validate

from .faults import FAULTS, fault


@pytest.fixture(scope="module")
def reports():
    return {
        name: validate(fault(body), budget="quick", name=name) for name, (body, _) in FAULTS.items()
    }


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_fails_exactly_its_checks(reports, name):
    report = reports[name]
    assert not report.passed
    assert set(report.failed_checks()) == FAULTS[name][1]


def _failed_cases(report, check):
    return [r.case for r in report.find(check) if r.failed]


def test_naive_gamma_under_drops_everywhere(reports):
    rates = reports["naive gamma"].find("drop rate")
    assert all(r.data["achieved"] < r.data["expected"] for r in rates)
    # 2-D: drop/b^2 is well below the paper's gamma (0.1/49 vs 0.1 at 7x7, block 7);
    # 1-D maps of 64 with block 5: 0.1/5 vs 0.1*64/(5*60): too close to tell, and passes.
    two_d = [r for r in rates if len(r.data["spatial"]) == 2]
    assert all(r.failed for r in two_d if r.data["spatial"] != [56, 56])
    (one_d,) = [r for r in rates if len(r.data["spatial"]) == 1]
    assert one_d.passed


def test_region_one_short_leaves_positions_empty(reports):
    seeds = reports["seed region one short"].find("seed positions")
    assert [r.status for r in seeds] == ["fail", "fail"]
    assert all(r.data["outside"] == 0 and r.data["pvalue"] < 1e-20 for r in seeds)


def test_full_region_blocks_start_outside(reports):
    seeds = reports["seeds in the full region"].find("seed positions")
    assert all(r.failed and r.data["outside"] > 0 for r in seeds)
    assert _failed_cases(reports["seeds in the full region"], "edge cases") == [
        "block > map 5x5 b=7"
    ]


def test_block_size_errors_name_the_size(reports):
    grown = reports["grown blocks"].find("block structure")
    assert [r.data["smallest"] for r in grown[:2]] == [[4, 4], [8, 8]]
    assert all(
        r.data["bad_masks"] == 0 for r in grown
    )  # unions of smaller blocks: only the size shows
    shrunk = reports["shrunken blocks"].find("block structure")
    assert all(r.data["bad_masks"] > 0 for r in shrunk)
    seeds = reports["shrunken blocks"].find("seed positions")
    assert {r.status for r in seeds} == {"skipped"}  # positions need whole blocks


def test_shared_masks_are_detected(reports):
    channels, batch = reports["shared masks claimed per channel"].find("mask coupling")
    assert channels.failed and channels.data["found"] == "shared"
    assert batch.passed and batch.data["found"] == "independent"


def test_missing_rescale_is_detected(reports):
    (result,) = reports["no rescale"].find("rescale")
    assert result.data["found"] == ["none"]


def test_edge_faults_fail_only_their_case(reports):
    assert _failed_cases(reports["NaN when all dropped"], "edge cases") == [
        "all dropped 3x3 b=3 p=0.99"
    ]
    assert _failed_cases(reports["float16 count overflow"], "edge cases") == [
        "float16 91x91 x16 maps, > 65504 kept"
    ]
    assert _failed_cases(reports["writes its input"], "edge cases") == ["input not modified"]
