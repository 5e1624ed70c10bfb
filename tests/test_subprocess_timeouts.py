"""Every child process the suite starts has a timeout: a hung child fails its
test instead of stalling the run (read from the test sources' syntax trees)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
RUNNERS = {"run", "call", "check_call", "check_output"}  # take timeout= themselves
WAITS = {"wait", "communicate"}  # how a Popen is given one


def _subprocess_calls(tree: ast.AST) -> list[tuple[ast.Call, str]]:
    """Calls of subprocess functions, as ``subprocess.run(...)`` or imported by name."""
    imported = {
        alias.asname or alias.name: alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "subprocess"
        for alias in node.names
    }
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            if f.value.id == "subprocess":
                calls.append((node, f.attr))
        elif isinstance(f, ast.Name) and f.id in imported:
            calls.append((node, imported[f.id]))
    return calls


def _has_timeout(call: ast.Call) -> bool:
    return any(k.arg == "timeout" for k in call.keywords)


def _owners(tree: ast.AST) -> list[ast.AST]:
    """Functions and classes: the scope that starts a Popen must bound it."""
    kinds = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    return [n for n in ast.walk(tree) if isinstance(n, kinds)]


def _method_calls(scope: ast.AST, names: set[str]) -> list[ast.Call]:
    return [
        n
        for n in ast.walk(scope)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in names
    ]


def _bounded(scope: ast.AST) -> bool:
    """A wait with ``timeout=``, or a ``join(limit)`` of its waiting thread then a ``kill()``."""
    if any(_has_timeout(n) for n in _method_calls(scope, WAITS)):
        return True
    joins = [n for n in _method_calls(scope, {"join"}) if n.args or _has_timeout(n)]
    return bool(joins) and bool(_method_calls(scope, {"kill"}))


def missing_timeouts(source: str, name: str = "<test>") -> list[str]:
    """``file:line`` of each subprocess call in ``source`` that can wait forever."""
    tree = ast.parse(source)
    bad = []
    for call, fn in _subprocess_calls(tree):
        if fn in RUNNERS and not _has_timeout(call):
            bad.append(f"{name}:{call.lineno} subprocess.{fn} without timeout=")
        elif fn == "Popen":
            # The innermost function that starts it, or the class around that
            # function, must also bound the wait.
            owners = [o for o in _owners(tree) if call in ast.walk(o)]
            if not any(_bounded(o) for o in owners or [tree]):
                bad.append(f"{name}:{call.lineno} Popen never waited on with a timeout")
    return bad


def test_every_subprocess_call_in_the_suite_has_a_timeout():
    files = sorted(TESTS.rglob("*.py"))
    assert len(files) > 50
    bad = [b for path in files for b in missing_timeouts(path.read_text(), str(path))]
    assert not bad, "\n".join(bad)


def test_the_rule_sees_what_it_should():
    cases = {
        "import subprocess\nsubprocess.run(['x'])": 1,
        "import subprocess\nsubprocess.run(['x'], timeout=5)": 0,
        "from subprocess import check_output as co\nco(['x'])": 1,
        "import subprocess\ndef f():\n    p = subprocess.Popen(['x'])\n    p.wait()": 1,
        "import subprocess\ndef f():\n    p = subprocess.Popen(['x'])\n    p.wait(timeout=3)": 0,
        # a thread waits; the class joins it with a limit and kills the process after
        "import subprocess\nclass R:\n    def __init__(self):\n"
        "        self.p = subprocess.Popen(['x'])\n"
        "    def result(self):\n        self.t.join(5)\n        self.p.kill()": 0,
        "import subprocess\nclass R:\n    def __init__(self):\n"
        "        self.p = subprocess.Popen(['x'])\n"
        "    def result(self):\n        self.t.join()": 1,
    }
    for source, count in cases.items():
        assert len(missing_timeouts(source)) == count, source
