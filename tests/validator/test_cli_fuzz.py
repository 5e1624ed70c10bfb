"""Property-based fuzzing of the command line (issue 12).

Random command lines for every subcommand: its options (and unknown ones) with
values of every kind (numbers, negative, huge, NaN/inf, empty, text, paths that
cannot be written, importable and broken targets). The only outcomes allowed:
exit 0 or 1 with the subcommand's output (``validate``: its report written, the
exit code printed), or exit 2 with a single line on stderr; never a traceback.

``validate`` runs for real on the reference's paper mode with the cheap checks
(the expensive statistical ones are exercised elsewhere); ``bench`` runs its
parser and tables on stand-in timings; ``masks`` draws text (no matplotlib).
Deterministic: ``derandomize=True``.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from dropblock_core import benchmark, cli
from dropblock_core.conformance import command
from dropblock_core.conformance.targets import TARGETS as BUILT_IN

ROOT = Path(__file__).resolve().parents[2]
FAST_CHECKS = ("block structure", "mask coupling", "rescale", "edge cases", "gradient")

VALUES = st.one_of(
    st.sampled_from(
        ["0", "1", "-1", "2", "7", "64", "65", "14,14", "3x5", "2,0", "0,3", "9,9,9", "1,2,3,4",
         "nan", "inf", "-inf", "1e999", "0.1", "0.99", "1.0", "1.5", "-0.2", "", " ", "x", ",",
         "14,", "abc", "99999999999999999999", "4294967296", "/proc/forbidden",
         "/proc/forbidden/x.png", "paper", "exact", "naive", "valid", "full", "global", "none",
         "rescale", "drop rate", "report", "r.json", "out.png"]
    ),
    st.integers(-(2**70), 2**70).map(str),
    st.floats().map(str),
    st.text(alphabet="0123456789,.x-enaif ", max_size=8),
)  # fmt: skip
TARGETS = st.sampled_from(
    ["tests.validator.broken:raises", "tests.validator.broken:returns_none",
     "tests.validator.faults:naive_gamma_impl", "json:dumps", "json:nope", "json",
     "no_such_module_xyz:f", ":", "dropblock_core:__version__"]
)  # fmt: skip
COMMON = ["--shape", "--block", "--seed-region"]
OPTIONS: dict[str, list[str]] = {
    "gamma": [*COMMON, "--drop"],
    "masks": [*COMMON, "--drop", "--gamma", "--samples", "--seed", "--out"],
    "bench": ["--repeats", "--quick", "--no-torch", "--imports-only"],
    "validate": [
        "--out", "--json", "--reference-only", "--only", "--list", "--target", "--spec",
        "--gamma", "--seed-region", "--share-channels", "--no-share-channels",
        "--share-batch", "--normalize", "--channels-last", "--ndim", "--checks", "--quick",
        "--seed",
    ],
}  # fmt: skip
FLAGS = {
    "--quick", "--no-torch", "--imports-only", "--reference-only", "--list", "--share-channels",
    "--no-share-channels", "--share-batch", "--channels-last",
}  # fmt: skip


# Valid values per option, so that commands also run (drawn two times in three).
VALID: dict[str, st.SearchStrategy[str]] = {
    "--shape": st.sampled_from(["14,14", "8x9", "20", "6,7,5", "3,3"]),
    "--block": st.sampled_from(["3", "7", "2,3", "1", "30"]),
    "--seed-region": st.sampled_from(["valid", "full"]),
    "--drop": st.sampled_from(["0.1", "0.2", "0", "0.5"]),
    "--gamma": st.sampled_from(["exact", "paper", "naive"]),
    "--samples": st.sampled_from(["1", "2", "4"]),
    "--seed": st.sampled_from(["0", "5", "4294967295"]),
    "--out": st.sampled_from(["report", "out/m.png", "x.png"]),
    "--json": st.sampled_from(["r.json", "out/r.json"]),
    "--only": st.sampled_from(["paper", "dropblock_core", "zzz"]),
    "--spec": st.sampled_from(["paper", "exact"]),
    "--normalize": st.sampled_from(["global", "per_sample", "expected", "none"]),
    "--ndim": st.sampled_from(["1", "2", "3"]),
    "--repeats": st.sampled_from(["1", "2"]),
    "--target": TARGETS,
}


@st.composite
def command_lines(draw: Any) -> list[str]:
    command = draw(st.sampled_from([*OPTIONS, *OPTIONS, "nope", "-h"]))
    argv = [command]
    for _ in range(draw(st.integers(0, 5))):
        choices = OPTIONS.get(command, [])
        option = draw(st.sampled_from([*choices, *choices, "--bogus", "-h"]))
        argv.append(option)
        if option in FLAGS or option == "-h":
            continue
        if option == "--checks":
            argv += draw(st.lists(st.sampled_from([*FAST_CHECKS, "nope"]), min_size=0, max_size=2))
        elif option == "--target":
            argv.append(draw(TARGETS))
        else:
            valid = VALID.get(option, VALUES)
            argv += draw(st.lists(st.one_of(valid, valid, VALUES), min_size=0, max_size=2))
    return argv


def _stand_in_timings(monkeypatch: pytest.MonkeyPatch) -> None:
    """bench's tables on made-up numbers: the fuzz tests the command, not the clock."""
    monkeypatch.setattr(
        benchmark,
        "speed_rows",
        lambda shapes, repeats, **_: [
            dict(shape=s, dropout_ms=2.0, scale_ms=1.0, native_ms=1.0, counter_ms=1.5,
                 native_vs_dropout=0.5, counter_vs_dropout=0.75, counter_vs_native=1.5)
            for s in shapes
        ],
    )  # fmt: skip
    monkeypatch.setattr(
        benchmark,
        "block_size_rows",
        lambda shape, repeats, **_: [
            dict(block=7, native_ms=1.0, counter_ms=1.0, native_vs_fastest=1.0,
                 counter_vs_fastest=1.0)
        ],
    )  # fmt: skip
    monkeypatch.setattr(
        benchmark,
        "memory_rows",
        lambda shapes: [
            dict(shape=s, native_extra_bytes_per_element=0.2, counter_extra_bytes_per_element=0.2)
            for s in shapes
        ],
    )
    monkeypatch.setattr(benchmark, "torch_rows", lambda shapes, repeats: [])
    monkeypatch.setattr(
        benchmark,
        "import_times",
        lambda repeats=5: {
            "numpy": 100.0,
            "dropblock_core": 110.0,
            "array_api_compat": 2.0,
            "array_api_compat.numpy": 90.0,
            "ratio": 1.1,
        },
    )


@pytest.fixture
def fast_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    paper = next(t for t in BUILT_IN if t.name == "dropblock_core paper")
    monkeypatch.setattr(command, "available", lambda reference_only=False: ([paper], []))
    # the default --checks, and its choices
    monkeypatch.setattr(command, "check_names", lambda: FAST_CHECKS)
    monkeypatch.setattr(cli, "has_matplotlib", lambda: False)
    monkeypatch.setattr(command, "has_matplotlib", lambda: False)
    _stand_in_timings(monkeypatch)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse: usage errors and --help
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(argv=command_lines())
# The cases, always among the examples:
@example(argv=["validate", "--target", "tests.validator.broken:raises"])
@example(argv=["validate", "--target", "tests.validator.broken:wrong_signature", "--quick"])
@example(argv=["validate", "--only", "zzz_nothing"])
@example(argv=["validate", "--out", "/proc/forbidden"])
@example(argv=["masks", "--samples", "0"])
@example(argv=["masks", "--out", "/proc/forbidden/m.png"])
@example(argv=["bench", "--repeats", "-1"])
@example(argv=["gamma", "--shape", "10000000000"])
def test_the_cli_exits_0_1_or_2_without_a_traceback(fast_cli, argv):
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            code, out, err = run_cli(argv)
            written = sorted(p.name for p in Path(tmp).rglob("conformance.md"))
        finally:
            os.chdir(cwd)
    event(f"{argv[0]}: exit {code}")
    assert "Traceback" not in out + err
    assert code in (0, 1, 2), (code, err)
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("dropblock-core"), err
        return
    helped = "-h" in argv or "--help" in argv
    if argv[0] == "validate" and not helped and "--list" not in argv:
        assert f"exit code {code}:" in out and written == ["conformance.md"], (argv, out, err)
    elif code == 1:
        pytest.fail(f"only validate may exit 1: {argv} {err}")
    elif argv[0] in ("gamma", "bench") and not helped:
        assert "┃" in out  # its table
