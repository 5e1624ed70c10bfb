"""Issue 12, command-line cases: the CLI never crashes on what it judges (1), an
empty selection is a usage error (2), usage errors are one line with exit 2 and
no traceback (3); ``validate`` exits 0 / 1 / 2 and always writes its report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dropblock_core import cli
from dropblock_core.cli import main
from dropblock_core.conformance import command
from dropblock_core.conformance.targets import TARGETS, Target

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--checks", "rescale", "--quick"]  # one cheap check: these tests are about the CLI


def one_line_error(capsys, prefix: str) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(prefix) and "Traceback" not in captured.err + captured.out
    return lines[0]


# -- 1. targets that raise, have the wrong signature, return None: exit 1, report written


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("raises", "RuntimeError: broken"),
        ("wrong_signature", "TypeError"),
        ("returns_none", "output shape () != input shape"),
        ("returns_text", "output dtype"),
        ("raises_on_reseed", "could not be checked"),
    ],
)
def test_broken_targets_fail_with_a_report(tmp_path, monkeypatch, capsys, target, why):
    monkeypatch.syspath_prepend(str(ROOT))
    out = tmp_path / "report"
    argv = ["validate", "--target", f"tests.validator.broken:{target}", *FAST, "--out", str(out)]
    assert main(argv) == 1  # before: a traceback from _example_masks, no report
    printed = capsys.readouterr().out
    assert "FAIL" in printed and "exit code 1" in printed
    md = (out / "conformance.md").read_text()
    assert f"### tests.validator.broken:{target}: FAIL" in md and why in md


def test_broken_targets_in_the_python_api():
    import dropblock_core as db
    from tests.validator import broken

    for fn in (broken.raises, broken.wrong_signature, broken.returns_none, broken.returns_text):
        report = db.validate(fn, budget="quick", checks=["rescale", "drop rate"])
        assert not report.passed and all(r.status != "pass" for r in report.find("drop rate"))


# -- 2. --only matching nothing is a usage error ------------------------------------------


def test_only_matching_nothing_is_a_usage_error(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["validate", "--only", "zzz_nothing", "--out", str(out)]) == 2  # before: 0
    line = one_line_error(capsys, "dropblock-core validate: error:")
    assert "no installed target matches --only 'zzz_nothing'" in line
    assert "'dropblock_core paper'" in line  # says what could have matched
    assert not out.exists()  # nothing ran, nothing written


def test_only_matching_only_missing_targets_is_a_usage_error(monkeypatch, capsys):
    keras_cv = next(t for t in TARGETS if t.name == "keras-cv DropBlock2D")
    monkeypatch.setattr(
        command, "available", lambda reference_only=False: ([], [(keras_cv, ["keras_cv"])])
    )
    assert main(["validate", "--only", "keras-cv"]) == 2
    assert "not installed: keras-cv DropBlock2D (needs keras_cv)" in one_line_error(
        capsys, "dropblock-core validate: error:"
    )


def test_only_with_target_is_a_usage_error(capsys):
    assert main(["validate", "--target", "json:dumps", "--only", "x"]) == 2
    one_line_error(capsys, "dropblock-core validate: error: --only")


def test_nothing_validated_exits_1_with_a_report(tmp_path, monkeypatch, capsys):
    def broken_build():
        raise ImportError("a torch/torchvision mismatch")

    target = TARGETS[0]
    fake = Target(target.name, target.claims, broken_build, third_party=False)
    monkeypatch.setattr(command, "available", lambda reference_only=False: ([fake], []))
    assert main(["validate", "--out", str(tmp_path), *FAST]) == 1
    assert "exit code 1: no implementation could be validated" in capsys.readouterr().out
    assert (
        "import failed: a torch/torchvision mismatch" in (tmp_path / "conformance.md").read_text()
    )


# -- 3. usage errors: exit 2, one line, no traceback ---------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["masks", "--samples", "0"], "argument --samples: expected a positive int"),
        (["masks", "--samples", "65"], "expected at most 64 masks"),
        (["masks", "--seed", "-1"], "argument --seed: expected a non-negative int"),
        (["masks", "--shape", "5000,5000"], "too large for a picture"),
        (["masks", "--shape", "14"], "--shape must be 2-D"),
        (
            ["masks", "--out", "/proc/forbidden/m.png"],
            "--out: cannot write '/proc/forbidden/m.png'",
        ),
        (["bench", "--repeats", "-1"], "argument --repeats: expected a positive int"),
        (["bench", "--repeats", "x"], "argument --repeats: expected a positive int"),
        (["gamma", "--drop", "nan"], "drop_prob must be in [0, 1), got nan"),
        (["gamma", "--drop", "1e999"], "drop_prob must be in [0, 1), got inf"),
        (["gamma", "--shape", "0,3"], "argument --shape: expected positive ints"),
        (["gamma", "--shape", "9" * 30], "spatial_shape=(999"),
        (["gamma", "--shape", "4000,4000,4000", "--block", "500"], "distinct coverage counts"),
        (["gamma", "--bogus"], "unrecognized arguments: --bogus"),
        (["validate", "--seed", "-1"], "argument --seed: expected a non-negative int"),
        (["validate", "--seed", str(2**32)], "expected a seed below 2**32"),
        (["validate", "--checks", "nope"], "argument --checks: invalid choice: 'nope'"),
        (["validate", "--ndim", "4"], "argument --ndim: invalid choice"),
        ([], "the following arguments are required: command"),
    ],
)
def test_usage_errors_are_one_line(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's errors
        code = exc.code
    assert code == 2
    line = one_line_error(capsys, "dropblock-core")
    assert message in line


def test_gamma_on_a_huge_map(capsys):
    # Before: MemoryError (74.5 GiB) in the coverage histogram.
    assert main(["gamma", "--shape", "10000000000", "--drop", "0.1"]) == 0
    assert "0.1000" in capsys.readouterr().out


def test_unwritable_report_folder_fails_before_any_check(monkeypatch, capsys):
    def never(*args, **kwargs):
        raise AssertionError("checks ran although the report cannot be written")

    monkeypatch.setattr(command, "_validate_all", never)
    argv = ["validate", "--reference-only", "--only", "paper", *FAST]
    assert main([*argv, "--out", "/proc/forbidden"]) == 2  # before: traceback after every check
    assert "--out: cannot write to '/proc/forbidden'" in one_line_error(capsys, "dropblock-core")
    assert main([*argv, "--json", "/proc/forbidden/r.json"]) == 2
    assert "--json: cannot write to '/proc/forbidden'" in one_line_error(capsys, "dropblock-core")


def test_json_path_that_is_a_folder(tmp_path, capsys):
    argv = ["validate", "--reference-only", "--only", "paper", *FAST, "--out", str(tmp_path)]
    assert main([*argv, "--json", str(tmp_path)]) == 2
    assert "is a folder" in one_line_error(capsys, "dropblock-core validate: error: --json")


# -- exit codes 0 / 1 / 2 in a real process (no traceback on stderr) ---------------------


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["validate", "--reference-only", "--only", "paper", *FAST], 0),
        (["validate", "--target", "tests.validator.broken:raises", *FAST], 1),
        (["validate", "--only", "zzz_nothing"], 2),
        (["masks", "--samples", "0"], 2),
    ],
)
def test_exit_codes_of_the_console_script(tmp_path, argv, code):
    out = subprocess.run(
        [sys.executable, "-m", "dropblock_core.cli", *argv, "--out", str(tmp_path / "r")]
        if argv[0] == "validate"
        else [sys.executable, "-m", "dropblock_core.cli", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == code, out.stderr
    assert "Traceback" not in out.stderr
    if code == 2:
        assert len(out.stderr.strip().splitlines()) == 1
    else:
        assert (tmp_path / "r" / "conformance.md").exists()


# -- the figures are optional (matplotlib is the cli extra) --------------------------------


def test_without_matplotlib(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "has_matplotlib", lambda: False)
    monkeypatch.setattr(command, "has_matplotlib", lambda: False)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # importing it would fail
    assert main(["masks", "--shape", "6,9", "--block", "3", "--samples", "2", "--drop", "0.3"]) == 0
    captured = capsys.readouterr()
    rows = [line for line in captured.out.splitlines() if set(line) <= {".", "#"} and line]
    assert len(rows) == 12 and all(len(r) == 9 for r in rows)
    assert "no PNG written: matplotlib is not installed" in captured.err
    argv = ["validate", "--reference-only", "--only", "paper", *FAST, "--out", str(tmp_path)]
    assert main(argv) == 0
    md = (tmp_path / "conformance.md").read_text()
    assert "Figures skipped: matplotlib is not installed" in md and "![" not in md
    assert "figures skipped" in capsys.readouterr().out
