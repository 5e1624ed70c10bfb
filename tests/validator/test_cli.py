"""``dropblock-core validate``: exit codes, the report folder, --target."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from dropblock_core.cli import main
from dropblock_core.conformance import validate

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"


def test_reference_only_passes_and_writes_the_report(tmp_path, capsys):
    out = tmp_path / "report"
    argv = [
        "validate",
        "--reference-only",
        "--only",
        "paper",
        "--quick",
        "--out",
        str(out),
        "--json",
        str(tmp_path / "r.json"),
    ]
    assert main(argv) == 0
    md = (out / "conformance.md").read_text()
    assert "dropblock-core validate --reference-only --only paper --quick" in md
    assert (
        "### dropblock_core paper: PASS" in md and "| dropblock_core paper | paper | PASS |" in md
    )
    for name in ("drop_rate.png", "masks.png"):
        assert (out / "img" / "conformance" / name).read_bytes()[:8] == PNG
        assert f"img/conformance/{name}" in md
    (report,) = json.loads((tmp_path / "r.json").read_text())
    assert report["target"] == "dropblock_core paper" and report["passed"] is True
    printed = capsys.readouterr().out
    assert "PASS" in printed and "exit code 0" in printed


def test_a_failing_target_exits_1(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(ROOT))
    argv = [
        "validate",
        "--target",
        "tests.validator.faults:naive_gamma_impl",
        "--checks",
        "drop rate",
        "--quick",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 1
    assert "FAIL" in capsys.readouterr().out
    assert ": FAIL" in (tmp_path / "conformance.md").read_text()


def test_target_with_its_own_convention_exits_0(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    argv = [
        "validate",
        "--target",
        "tests.validator.faults:naive_gamma_impl",
        "--gamma",
        "naive",
        "--checks",
        "drop rate",
        "rescale",
        "--quick",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target", "no_such_module_xyz:f"], "cannot import"),
        (["--target", "json:no_such_attr"], "no attribute"),
        (["--target", "json"], "module:function"),
        (["--gamma", "naive"], "--target only"),
    ],
)
def test_usage_errors_exit_2(tmp_path, capsys, argv, message):
    assert main(["validate", *argv, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_list_shows_ready_and_missing_targets(capsys):
    assert main(["validate", "--list"]) == 0
    out = capsys.readouterr().out
    assert "ready    dropblock_core paper" in out
    assert "keras-cv DropBlock2D" in out and "PyPI dropblock DropBlock2D" in out


def test_help_documents_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    out = capsys.readouterr().out
    assert "exit codes:" in out and "--reference-only" in out


def test_verdict_json_feeds_the_ci_verdict_check(tmp_path, monkeypatch, capsys):
    """CI reads ``--json`` with scripts/check_verdicts.py: statuses are plain words."""
    monkeypatch.syspath_prepend(str(ROOT))
    spec = importlib.util.spec_from_file_location(
        "check_verdicts", ROOT / "scripts/check_verdicts.py"
    )
    check_verdicts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_verdicts)
    verdicts = tmp_path / "verdicts.json"
    argv = ["validate", "--reference-only", "--only", "paper", "--quick", "--checks", "edge cases"]
    assert main([*argv, "--out", str(tmp_path), "--json", str(verdicts)]) == 0
    assert check_verdicts.main(["", str(verdicts), "dropblock_core paper"]) == 0
    # torchvision's established defect, planted: it fails "edge cases" only, as recorded.
    from tests.validator.faults import FAULTS, fault

    report = validate(fault(FAULTS["float16 count overflow"][0]), checks=["edge cases"],
                      budget="quick", name="torchvision drop_block2d")  # fmt: skip
    verdicts.write_text(json.dumps([report.to_dict()]))
    assert check_verdicts.main(["", str(verdicts)]) == 0
    assert "ok      torchvision drop_block2d: fails ['edge cases']" in capsys.readouterr().out
