"""The reference passes every check in every mode; the API and the report."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rich.console import Console

import dropblock_core as db
from dropblock_core.conformance import SPECS, Report, Spec, resolve_spec
from dropblock_core.conformance.targets import TARGETS, reference
from tests.children import frameworks_after

NUMPY_REFERENCE = [t for t in TARGETS if not t.third_party and not t.requires]


@pytest.mark.parametrize("target", NUMPY_REFERENCE, ids=lambda t: t.name)
def test_reference_mode_passes_everything(target):
    report = db.validate(target.build(), spec=target.claims, ndim=target.ndim, budget="quick")
    assert report.passed, [(r.check, r.case, r.explanation) for r in report.failures]
    statuses = {r.check: set() for r in report.results}
    for r in report.results:
        statuses[r.check].add(r.status)
    # every check really ran: each has passing cases (gradient: NumPy has none)
    assert all("pass" in s for c, s in statuses.items() if c != "gradient")
    assert statuses["gradient"] == {"skipped"}


def test_detected_conventions_match_the_modes():
    target = next(t for t in TARGETS if "per-sample" in t.name)
    report = db.validate(
        target.build(), spec=target.claims, checks=["mask coupling", "rescale"], budget="quick"
    )
    channels, batch = report.find("mask coupling")
    assert (channels.data["found"], batch.data["found"]) == ("shared", "independent")
    assert report.find("rescale")[0].data["found"] == ["per_sample"]


@pytest.mark.parametrize(
    ("mode", "claim"),
    [({"gamma": "exact"}, "paper"), ({"gamma": "paper"}, "exact")],
)
def test_drop_rate_tells_exact_from_paper_gamma(mode, claim):
    # 14x14, block 7, drop 0.1: 0.1000 (exact) vs 0.0929 (paper)
    report = db.validate(reference(**mode), spec=claim, checks=["drop rate"])
    (r,) = [r for r in report.results if r.case == "14x14 b=7 p=0.1"]
    assert r.failed
    assert abs(r.data["expected"] - r.data["achieved"]) > 5 * r.data["se"]


def test_reports_are_reproducible():
    def run() -> list[dict]:
        report = db.validate(
            reference(gamma="paper"), checks=["drop rate", "seed positions"], budget="quick", seed=3
        )
        return [r.to_dict() for r in report.results]

    assert run() == run()


def test_validating_numpy_imports_no_framework():
    code = (
        "import sys, dropblock_core as db\n"
        "from dropblock_core.conformance.targets import reference\n"
        "r = db.validate(reference(), budget='quick', checks=['rescale', 'edge cases'])\n"
        "assert r.passed\n"
    )
    assert frameworks_after(code) == []


def test_spec_overrides_and_names():
    spec = resolve_spec("paper", gamma="naive", seed_region="full", share_channels=True)
    assert (spec.gamma, spec.seed_region, spec.share_channels, spec.share_batch) == (
        "naive",
        "full",
        True,
        False,
    )
    assert resolve_spec(spec) is spec
    assert spec.expected_rate(0.1, 7, (14, 14)) == pytest.approx(
        db.expected_drop_rate(0.1 / 49, 7, (14, 14), seed_region="full")
    )
    assert SPECS["exact"].expected_rate(0.1, 7, (14, 21)) == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"spec": "tf"}, ValueError, "spec must be one of"),
        ({"spec": 3}, TypeError, "spec must be"),
        ({"gamma": "half"}, ValueError, "gamma must be one of"),
        ({"seed_region": "middle"}, ValueError, "seed_region"),
        ({"share_channels": "yes"}, TypeError, "share_channels"),
        ({"checks": ["speed"]}, ValueError, "unknown checks"),
        ({"budget": "huge"}, ValueError, "budget must be"),
        ({"ndim": 4}, ValueError, "ndim"),
        ({"seed": -1}, ValueError, "seed"),
        ({"fn_eval": 3}, TypeError, "fn_eval"),
    ],
)
def test_bad_arguments_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        db.validate(lambda x, p, b: x, **kwargs)


def test_fn_must_be_callable():
    with pytest.raises(TypeError, match="fn must be callable"):
        db.validate(None)


def test_an_implementation_that_raises_fails_required_cases():
    def broken(x, p, b):
        raise RuntimeError("boom")

    report = db.validate(broken, checks=["drop rate", "rescale"], budget="quick")
    statuses = {(r.case, r.status) for r in report.results}
    assert ("14x14 b=7 p=0.1", "fail") in statuses  # required: the implementation's own rank
    assert ("64 b=5 p=0.1", "unsupported") in statuses  # other ranks: optional
    assert all("RuntimeError: boom" in r.explanation for r in report.results)


def test_wrong_output_shape_fails():
    report = db.validate(lambda x, p, b: x[:, :1], checks=["rescale"], budget="quick")
    assert report.results[0].failed and "output shape" in report.results[0].explanation


def test_report_renders_as_markdown_json_and_rich():
    report = db.validate(
        reference(), checks=["rescale", "mask coupling"], budget="quick", name="ref"
    )
    assert isinstance(report, Report) and isinstance(report.spec, Spec)
    md = report.to_markdown()
    assert md.startswith("### ref: PASS")
    assert md.count("\n| ") == 1 + len(report.results)  # header + one row per result
    data = json.loads(report.to_json())
    assert data["passed"] is True and len(data["results"]) == 3
    assert {"measured", "bound", "explanation", "status"} <= set(data["results"][0])
    console = Console(record=True, width=200)
    console.print(report)
    assert "ref: PASS" in console.export_text()


def test_probe_never_hands_out_the_callers_array():
    seen = []
    report = db.validate(
        lambda x, p, b: seen.append(x) or np.array(x), checks=["rescale"], budget="quick"
    )
    assert report.passed and all(a.flags.c_contiguous and a.flags.writeable for a in seen)
