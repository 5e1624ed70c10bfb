"""The type checker passes: mypy, strict, over dropblock_core and the adapters.

mypy runs with the project's configuration (``[tool.mypy]`` in pyproject.toml)
plus ``--strict`` on the command line, so the bar cannot drop by an edit of the
configuration alone. Its cache lives in ``.mypy_cache`` at the repository root
(ignored by git): a cold run analyses torch, JAX and the other frameworks
(about 30 s of CPU), a warm one takes seconds.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dropblock_core", "adapters")


def test_mypy_strict_finds_no_issue():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            *PACKAGES,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    report = out.stdout + out.stderr
    assert out.returncode == 0, report
    found = re.search(r"Success: no issues found in (\d+) source files", out.stdout)
    assert found, report
    # Every module of the core and the adapters was checked, none left out.
    sources = sum(1 for package in PACKAGES for _ in (ROOT / package).rglob("*.py"))
    assert int(found.group(1)) == sources, report
