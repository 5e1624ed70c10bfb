"""Every python code block of the TensorFlow and Keras guides runs (each on its own)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tensorflow  # noqa: F401  (a missing TensorFlow fails this file)

GUIDES = Path(__file__).resolve().parents[2] / "docs" / "guides"
GUIDE = GUIDES / "tensorflow.md"
BLOCKS = [
    block
    for page in ("tensorflow.md", "keras.md")
    for block in re.findall(r"```python\n(.*?)```", (GUIDES / page).read_text(), flags=re.DOTALL)
]


def test_the_guide_has_code() -> None:
    assert len(BLOCKS) >= 6


# Keras 3.15 saves TF variables with np.array(v), which NumPy 2 flags (a Keras issue).
@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy:DeprecationWarning"
)
@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_guide_block_runs(code: str) -> None:
    exec(compile(code, str(GUIDE), "exec"), {"__name__": "guide"})
