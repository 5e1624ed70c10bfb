"""Fresh Python interpreters, for tests about what a process imports or prints.

Each child is this interpreter (``sys.executable``) with a timeout, so a hung
child fails its test instead of stalling the run; a child that fails shows the
end of its stderr.

>>> run_python("print(6 * 7)")
'42'
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path
from typing import Any

__all__ = ["frameworks_after", "install_wheel", "modules_after", "run_json", "run_python"]

FRAMEWORKS = ("torch", "jax", "flax", "tensorflow", "keras", "cupy", "timm", "torchvision")


def run_python(code: str, *args: str, timeout: float = 300, **env: str) -> str:
    """The standard output (stripped) of ``code`` run in a new interpreter with ``args``;
    ``env`` is added to this process's environment."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout.strip()


def run_json(code: str, *args: str, timeout: float = 300, **env: str) -> Any:
    """The last line ``code`` prints, read as JSON (see :func:`run_python`)."""
    return json.loads(run_python(code, *args, timeout=timeout, **env).splitlines()[-1])


@functools.cache  # several tests ask about "import dropblock_core": one child process
def modules_after(code: str) -> frozenset[str]:
    """Every module in ``sys.modules`` after ``code`` ran in a new interpreter."""
    return frozenset(run_json(f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"))


def frameworks_after(code: str, frameworks: tuple[str, ...] = FRAMEWORKS) -> list[str]:
    """Which of ``frameworks`` ``code`` imported, run in a new interpreter."""
    return sorted(set(frameworks) & modules_after(code))


def install_wheel(wheel: Path, env_dir: Path) -> Path:
    """A clean virtual environment at ``env_dir`` (no pip) with ``wheel`` installed
    offline and without its dependencies; its ``site-packages`` folder."""
    venv.create(env_dir, with_pip=False)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"), "install",
         "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=600,
    )  # fmt: skip
    return next((env_dir / "lib").glob("python3*/site-packages"))
