"""Checks that need JAX's 64-bit types, run together in one child interpreter.

``JAX_ENABLE_X64`` is process-global, so these checks cannot run in the test
process; one child (JAX imported once) runs every registered snippet, each in
its own namespace with warnings as errors, and each test reads its own result.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

__all__ = ["add", "result"]

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS: dict[str, str] = {}

RUNNER = """
import contextlib, io, json, sys, traceback, warnings
warnings.simplefilter("error")
results = {}
for name, code in json.load(sys.stdin).items():
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, name, "exec"), {"__name__": name})
        results[name] = out.getvalue()
    except BaseException:
        results[name] = "FAILED\\n" + out.getvalue() + traceback.format_exc()
print(json.dumps(results))
"""


def add(name: str, code: str) -> None:
    """Register a snippet (at import of the test module that checks it)."""
    SNIPPETS[name] = textwrap.dedent(code)


@functools.cache
def _run_all(names: tuple[str, ...]) -> dict[str, str]:
    env = {**os.environ, "JAX_ENABLE_X64": "1", "JAX_PLATFORMS": "cpu"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps({name: SNIPPETS[name] for name in names}),
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def result(name: str) -> str:
    """What snippet ``name`` printed (or ``FAILED`` and the traceback)."""
    return _run_all(tuple(sorted(SNIPPETS)))[name]
