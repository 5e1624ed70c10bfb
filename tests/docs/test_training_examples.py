"""The end-to-end training examples (``docs/examples/train_*.py``) run and learn.

Each script runs in its own process, as a user runs it (Keras once per backend,
each in its own process, since Keras picks its backend at import). The selected
runs start together and the tests wait for them, so the compilations overlap on
the machine's cores. A run passes when the script exits 0 and the train loss it
prints at the end is below the one it printed before training (the scripts assert
that too), and its held-out accuracy is more than 5 standard errors above chance.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .markdown_blocks import DOCS, ROOT

EXAMPLES = DOCS / "examples"
RUNS = {
    "torch": ("train_torch.py", {}),
    "keras-tensorflow": ("train_keras.py", {"KERAS_BACKEND": "tensorflow"}),
    "keras-jax": ("train_keras.py", {"KERAS_BACKEND": "jax"}),
    "keras-torch": ("train_keras.py", {"KERAS_BACKEND": "torch"}),
    "flax": ("train_flax.py", {}),
    "equinox": ("train_equinox.py", {}),
}
TIMEOUT_S = 480  # per run, generous: a shared CI machine compiles slowly
CLASSES, HELD_OUT = 4, 256  # what the scripts generate


def _env(extra: dict[str, str]) -> dict[str, str]:
    path = os.pathsep.join([str(ROOT), str(ROOT / "adapters")])
    return {
        **os.environ,
        "PYTHONPATH": path,
        # Several runs share the cores: one thread each (tiny networks gain
        # nothing from more, and oversubscribed threads are much slower).
        "OMP_NUM_THREADS": "1",
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        **extra,
    }


class Run:
    """One script started in its own process; :meth:`result` waits for it."""

    def __init__(self, name: str) -> None:
        script, env = RUNS[name]
        self.name = name
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, str(EXAMPLES / script)],
            cwd=ROOT,
            env=_env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output = ""
        self.seconds = math.nan  # wall time until the process ended
        self.waiter = threading.Thread(target=self._wait, daemon=True)
        self.waiter.start()

    def _wait(self) -> None:
        self.output, _ = self.process.communicate()
        self.seconds = time.perf_counter() - self.started

    def result(self) -> tuple[int, str]:
        self.waiter.join(max(0.0, self.started + TIMEOUT_S - time.perf_counter()))
        if self.waiter.is_alive():
            self.process.kill()
            self.waiter.join()
            pytest.fail(f"{self.name} ran over {TIMEOUT_S} s:\n{self.output[-3000:]}")
        return self.process.returncode, self.output


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest):
    """Start every selected run at once; kill what is left at the end."""
    selected = [
        item.callspec.params["name"]
        for item in request.session.items
        if getattr(item, "module", None) is request.module and hasattr(item, "callspec")
    ]
    started = {name: Run(name) for name in dict.fromkeys(selected)}
    yield started
    for run in started.values():
        if run.process.poll() is None:
            run.process.kill()
        run.waiter.join()


def printed(output: str, label: str) -> float:
    """The number a script printed as ``label: <number>`` (exactly once)."""
    found = re.findall(rf"^{re.escape(label)}: ([0-9.]+)$", output, flags=re.MULTILINE)
    assert len(found) == 1, f"expected one line {label!r}, found {found}:\n{output[-3000:]}"
    return float(found[0])


@pytest.mark.slow
@pytest.mark.parametrize("name", list(RUNS))
def test_example_trains(name: str, runs: dict[str, Run]) -> None:
    returncode, output = runs[name].result()
    assert returncode == 0, f"{name} exited {returncode}:\n{output[-3000:]}"
    start = printed(output, "train loss at start")
    end = printed(output, "train loss at end")
    accuracy = printed(output, "held-out accuracy")
    assert end < start, f"{name}: loss {start} -> {end}"
    # Chance is 1/4; its standard error over the held-out set is sqrt(p(1-p)/n).
    chance = 1 / CLASSES
    bound = chance + 5 * math.sqrt(chance * (1 - chance) / HELD_OUT)
    assert accuracy > bound, f"{name}: held-out accuracy {accuracy} <= {bound:.3f}"
    print(f"{name}: {runs[name].seconds:.1f} s, loss {start} -> {end}, acc {accuracy}")


def test_every_example_is_run() -> None:
    scripts = {path.name for path in EXAMPLES.glob("train_*.py")}
    assert scripts == {script for script, _ in RUNS.values()}


def test_a_failing_script_fails_the_check(tmp_path: Path) -> None:
    """The parser finds nothing in an output without the lines (the check can fail)."""
    with pytest.raises(AssertionError, match="expected one line"):
        printed("train loss at start: 1.0\n", "train loss at end")
