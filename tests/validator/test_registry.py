"""Checks are objects in one registry (issue 14): a check written in one place
(here, this test module) runs, is sized by the budgets, and appears in the
report, the JSON verdicts, the page and the command line; statuses are an
enum; the page reads case values from result data; the input-untouched
review judges every call, whatever the order of the checks."""

from __future__ import annotations

import json

import numpy as np
import pytest

import dropblock_core as db
from dropblock_core.cli import main
from dropblock_core.conformance import (
    BUDGETS,
    Budget,
    Check,
    CheckResult,
    Context,
    Implementation,
    Report,
    Status,
    check_names,
    register,
    registered,
    unregister,
    validate,
)
from dropblock_core.conformance.page import checks_list, rate_table
from dropblock_core.conformance.spec import SPECS
from dropblock_core.conformance.targets import reference

BUILT_IN = (
    "drop rate",
    "block structure",
    "seed positions",
    "mask coupling",
    "rescale",
    "edge cases",
    "gradient",
)
TINY_MAP = (5, 6)  # no built-in check calls the implementation on this map


def _finite_case(ctx: Context, spatial: tuple[int, ...]) -> CheckResult:
    """A tiny check: ``calls`` calls on a map, every output finite."""
    calls = ctx.sizes["calls"]
    nonfinite = sum(
        int(np.sum(~np.isfinite(y))) for _, y in ctx.probe.samples((2, 2, *spatial), 0.2, 3, calls)
    )
    return ctx.result(
        f"{'x'.join(map(str, spatial))} finite",
        nonfinite == 0,
        f"{nonfinite} non-finite in {calls} calls",
        "0",
        f"{calls} calls, outputs finite",
        {"calls": calls},
    )


TINY = Check(
    "tiny finite",
    "every output is finite over {calls} calls\non a 5x6 map.",
    lambda ndim: [TINY_MAP[:1] * ndim if ndim != 2 else TINY_MAP],
    _finite_case,
    sizes={"full": {"calls": 5}, "quick": {"calls": 2}},
)


@pytest.fixture
def tiny():
    """The tiny check, registered for one test only."""
    register(TINY)
    try:
        yield TINY
    finally:
        unregister(TINY.name)


def counting(impl: Implementation) -> tuple[Implementation, list[tuple[int, ...]]]:
    """``impl``, recording the shape of every input it is called on."""
    shapes: list[tuple[int, ...]] = []

    def forward(x, p, b):
        shapes.append(x.shape[2:])
        return impl.forward(x, p, b)

    return Implementation(forward, eval=impl.eval, reseed=impl.reseed), shapes


def test_the_registry_holds_the_built_in_checks_in_run_order():
    assert check_names() == BUILT_IN
    assert [c.name for c in registered()] == list(BUILT_IN)


def test_a_check_registered_in_a_test_runs_and_budgets_size_it(tiny):
    assert check_names() == (*BUILT_IN, "tiny finite")
    for budget, calls in (
        ("quick", 2),
        ("full", 5),
        (Budget("mine", sizes={"tiny finite": {"calls": 3}}), 3),
    ):
        impl, shapes = counting(reference())
        report = validate(impl, checks=["tiny finite"], budget=budget)
        (result,) = report.results
        assert result.check == "tiny finite" and result.status is Status.PASS
        assert result.data == {"calls": calls} and shapes == [TINY_MAP] * calls


def test_a_registered_check_appears_in_the_report_json_and_page(tiny, tmp_path):
    out = tmp_path / "report"
    argv = ["validate", "--reference-only", "--only", "paper", "--quick"]
    argv += [
        "--checks",
        "rescale",
        "tiny finite",
        "--out",
        str(out),
        "--json",
        str(tmp_path / "r.json"),
    ]
    assert main(argv) == 0
    (verdicts,) = json.loads((tmp_path / "r.json").read_text())
    assert [(r["check"], r["status"]) for r in verdicts["results"]] == [
        ("rescale", "pass"),
        ("tiny finite", "pass"),
    ]
    md = (out / "conformance.md").read_text()
    assert "8. **tiny finite**: every output is finite over 2 calls\n   on a 5x6 map." in md
    assert "| tiny finite | 5x6 finite | pass | 0 non-finite in 2 calls |" in md


def test_a_registered_check_is_offered_by_the_command_line(tiny, capsys):
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    assert "'tiny finite'" in " ".join(capsys.readouterr().out.split())


def test_a_new_check_changes_no_earlier_step(tiny):
    """Appended checks run after the built-in ones: every built-in step keeps its seed."""
    checks = ["drop rate", "edge cases"]
    before = validate(reference(gamma="paper"), checks=checks, budget="quick")
    after = validate(reference(gamma="paper"), checks=[*checks, "tiny finite"], budget="quick")
    kept = [r.to_dict() for r in after.results if r.check != "tiny finite"]
    assert kept == [r.to_dict() for r in before.results]
    assert [r.check for r in after.results][-2:] == ["tiny finite", "edge cases"]  # review last


def test_the_input_review_sees_calls_of_checks_registered_after_it(tiny):
    """``input not modified`` is the edge-case check's review: it runs after the
    cases of every check, so a write made only by a later check's call shows."""

    def writes_on_the_tiny_map(x, p, b):
        y = db.dropblock(x, p, b, seed=0)
        if x.shape[2:] == TINY_MAP:
            x[...] = y
        return y

    report = validate(writes_on_the_tiny_map, checks=["edge cases", "tiny finite"], budget="quick")
    (review,) = [r for r in report.results if r.case == "input not modified"]
    assert review is report.results[-1] and review.failed and review.measured == "modified"
    clean = validate(writes_on_the_tiny_map, checks=["edge cases"], budget="quick")
    assert [r.passed for r in clean.results if r.case == "input not modified"] == [True]


def test_registry_errors():
    with pytest.raises(TypeError, match="must be a Check"):
        register("drop rate")
    with pytest.raises(ValueError, match="already registered"):
        register(Check("rescale", "", lambda ndim: [], _finite_case))
    with pytest.raises(ValueError, match="no check named"):
        unregister("nope")
    with pytest.raises(ValueError, match="unknown checks \\['nope'\\]"):
        validate(lambda x, p, b: x, checks=["nope"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sizes": {"full": {"calls": 2}}}, "for each of"),
        ({"sizes": {"full": {"calls": 2}, "quick": {"n": 1}}}, "same samples"),
        ({"sizes": {"full": {"calls": 0}, "quick": {"calls": 1}}}, "positive int"),
        ({"name": ""}, "non-empty"),
    ],
)
def test_a_check_declares_what_it_needs(kwargs, match):
    fields = {"name": "x", "description": "", "cases": lambda ndim: [], "run": _finite_case}
    with pytest.raises(ValueError, match=match):
        Check(**{**fields, **kwargs})


def test_budget_errors():
    with pytest.raises(ValueError, match="base must be one of"):
        Budget("b", base="huge")
    with pytest.raises(ValueError, match="sizes unknown checks \\['rescal'\\]"):
        validate(reference(), checks=["rescale"], budget=Budget("b", sizes={"rescal": {}}))
    with pytest.raises(ValueError, match="has no sample size 'pairs'"):
        validate(
            reference(), checks=["rescale"], budget=Budget("b", sizes={"rescale": {"pairs": 2}})
        )
    assert BUDGETS["quick"].sizes_of(TINY) == {"calls": 2}


def test_statuses_are_an_enum_written_as_words():
    r = CheckResult("rescale", "12x12", "fail", "1", "0", "why")
    assert r.status is Status.FAIL and r.failed and r.status == "fail"
    assert json.loads(json.dumps(r.to_dict()))["status"] == "fail"
    assert Report("x", SPECS["paper"], [r]).counts() == {
        Status.PASS: 0,
        Status.FAIL: 1,
        Status.UNSUPPORTED: 0,
        Status.SKIPPED: 0,
    }
    with pytest.raises(ValueError, match="status must be one of"):
        CheckResult("rescale", "12x12", "failed", "1", "0", "why")


def test_the_rate_table_reads_case_values_from_the_results():
    """Labels are names, not data: the expected rows come from each result's data."""

    def rate(label: str, spatial: list[int], block: int, drop: float) -> CheckResult:
        data = {"spatial": spatial, "block": block, "requested": drop, "achieved": 0.5}
        return CheckResult("drop rate", label, Status.PASS, "", "", "", data)

    report = Report(
        "x", SPECS["paper"], [rate("first", [14, 14], 7, 0.1), rate("second", [12, 9], 3, 0.2)]
    )
    header, _, row, paper, exact = rate_table([report])
    assert header == "| implementation | first | second |" and row == "| x | 0.5000 | 0.5000 |"
    want = [
        SPECS["paper"].expected_rate(0.1, 7, (14, 14)),
        SPECS["paper"].expected_rate(0.2, 3, (12, 9)),
    ]
    assert paper == "| *expected, paper γ* | " + " | ".join(f"{w:.4f}" for w in want) + " |"
    assert exact == "| *expected, exact γ* | 0.1000 | 0.2000 |"


def test_the_page_lists_every_registered_check_with_its_sizes(tiny):
    lines = checks_list(BUDGETS["full"])
    assert lines[0] == "1. **drop rate**: mean dropped fraction over 32 independent calls vs"
    assert [line.split("**")[1] for line in lines if line[0].isdigit()] == [
        *BUILT_IN,
        "tiny finite",
    ]
    assert lines[-2:] == [
        "8. **tiny finite**: every output is finite over 5 calls",
        "   on a 5x6 map.",
    ]
