"""Every python code block of docs/guides/jax.md runs, each on its own."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import jax  # noqa: F401  (a missing JAX fails this file)
import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "jax.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", GUIDE.read_text(encoding="utf-8"), re.M | re.S)


def test_the_guide_has_code() -> None:
    assert len(BLOCKS) >= 7


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_guide_block_runs(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A real module, as a script's __main__ is: dataclasses (Flax Linen modules)
    # look their module up in sys.modules.
    module = types.ModuleType("guide")
    monkeypatch.setitem(sys.modules, "guide", module)
    exec(compile(code, str(GUIDE), "exec"), module.__dict__)  # noqa: S102
