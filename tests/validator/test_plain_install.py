"""Issue 12, case 9: ``pip install .`` without extras gives a working console script.

The wheel is built offline (hatchling, ``--no-build-isolation``) and installed
with ``--no-deps --no-index`` into a fresh virtual environment that sees only
the wheel's declared core dependencies: their installed files are linked from
this environment, resolved from the wheel's own ``Requires-Dist`` (extras
excluded). A dependency the CLI needs but the wheel does not declare is missing
there, as on a user's machine. matplotlib (the ``cli`` extra) is absent: plots
are skipped with a note.
"""

from __future__ import annotations

import email.parser
import importlib.metadata
import os
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.children import install_wheel

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _requirements(requires_dist: list[str]) -> list[str]:
    """Names required without extras (``Requires-Dist`` lines without ``extra ==``)."""
    return [
        re.split(r"[\s;<>=!~\[(]", line, maxsplit=1)[0]
        for line in requires_dist
        if "extra ==" not in line
    ]


def _closure(names: list[str]) -> set[str]:
    """The installed distributions ``names`` need, recursively."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        dist = importlib.metadata.distribution(name)
        key = dist.metadata["Name"].lower()
        if key in seen:
            continue
        seen.add(key)
        todo += _requirements(dist.requires or [])
    return seen


def _link_distributions(names: set[str], into: Path) -> None:
    """Symlink every top-level file or folder of each distribution into ``into``."""
    into.mkdir()
    for name in names:
        dist = importlib.metadata.distribution(name)
        for top in {Path(str(f)).parts[0] for f in dist.files or []}:
            source = Path(str(dist.locate_file(top)))
            if top != ".." and source.exists() and not (into / top).exists():
                (into / top).symlink_to(source)


@pytest.fixture(scope="module")
def plain_env(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("plain")  # the wheel: built once per run (tests/conftest.py)
    with zipfile.ZipFile(wheel) as zf:
        metadata = zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA")))
    message = email.parser.Parser().parsestr(metadata.decode())
    core = _requirements(message.get_all("Requires-Dist") or [])
    env_dir = tmp / "venv"
    python = env_dir / "bin" / "python"
    site = install_wheel(wheel, env_dir)
    deps = tmp / "core-deps"
    _link_distributions(_closure(core), deps)
    (site / "core_deps.pth").write_text(str(deps) + "\n")
    return {"bin": env_dir / "bin", "python": python, "tmp": tmp, "core": core}


def run(plain_env: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run(
        [str(plain_env["bin"] / "dropblock-core"), *args],
        capture_output=True,
        text=True,
        cwd=plain_env["tmp"],
        env=env,
        timeout=300,
    )


def test_the_environment_has_the_core_dependencies_only(plain_env):
    assert set(plain_env["core"]) == {"numpy", "scipy", "array-api-compat", "rich"}
    code = (
        "import importlib.util, dropblock_core\n"
        "print(dropblock_core.__file__)\n"
        "print([m for m in ('matplotlib', 'torch', 'jax', 'tensorflow', 'hypothesis')"
        " if importlib.util.find_spec(m)])\n"
    )
    out = subprocess.run(
        [str(plain_env["python"]), "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=plain_env["tmp"],
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
        timeout=300,
    )
    path, missing = out.stdout.splitlines()
    assert "site-packages" in path and str(ROOT) not in path  # the installed wheel
    assert missing == "[]"


def test_gamma(plain_env):
    out = run(plain_env, "gamma", "--shape", "14,14", "--block", "7", "--drop", "0.1")
    assert out.returncode == 0, out.stderr  # before: ModuleNotFoundError: No module named 'rich'
    assert "0.0929" in out.stdout and "0.1000" in out.stdout and out.stderr == ""


def test_validate_writes_the_report_without_figures(plain_env):
    report = plain_env["tmp"] / "report"
    out = run(
        plain_env, "validate", "--reference-only", "--quick", "--checks", "drop rate",
        "rescale", "--out", str(report),
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "exit code 0" in out.stdout and "figures skipped" in out.stdout
    md = (report / "conformance.md").read_text()
    assert "Figures skipped: matplotlib is not installed" in md
    assert md.count(": PASS") == 5  # the reference's five NumPy modes
    assert "dropblock_core on torch (needs torch)" in md  # listed as not run
    assert not (report / "img").exists()


def test_masks_print_text(plain_env):
    out = run(plain_env, "masks", "--shape", "8,8", "--block", "3", "--samples", "2")
    assert out.returncode == 0, out.stderr
    assert "no PNG written: matplotlib is not installed" in out.stderr
    assert sum(1 for line in out.stdout.splitlines() if re.fullmatch(r"[.#]{8}", line)) == 16


def test_usage_error_and_bench(plain_env):
    out = run(plain_env, "validate", "--only", "zzz_nothing")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    out = run(plain_env, "bench", "--imports-only", "--repeats", "1")
    assert out.returncode == 0, out.stderr
    assert "import numpy" in out.stdout and "core / numpy" in out.stdout
