"""dropblock_core: the reference DropBlock (Ghiasi, Lin & Le, NeurIPS 2018).

An array-API core: the paper's gamma and an exact gamma, the exact expected drop
rate, reproducible block masks for any spatial rank, the rescaled output and the
paper's linear schedule. NumPy is the default namespace; any array-API namespace
works. It never imports a deep-learning framework.

>>> import numpy as np, dropblock_core as db
>>> round(db.exact_gamma(0.1, 7, (14, 14)), 6)
0.006764
>>> db.dropblock(np.ones((1, 1, 8, 8), np.float32), 0.2, 3, seed=0).shape
(1, 1, 8, 8)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .apply import dropblock
from .gamma import exact_gamma, expected_drop_rate, paper_gamma, seed_grid_shape
from .masks import sample_mask
from .rng import layer_seed
from .schedule import linear_schedule

if TYPE_CHECKING:
    from .conformance import Report, validate

__version__ = "0.1.0"

__all__ = [
    "Report",
    "__version__",
    "dropblock",
    "exact_gamma",
    "expected_drop_rate",
    "layer_seed",
    "linear_schedule",
    "paper_gamma",
    "sample_mask",
    "seed_grid_shape",
    "validate",
]

# The validator (and SciPy's ndimage and optimize, matplotlib, rich) loads on
# first use, so that ``import dropblock_core`` costs little more than NumPy.
_LAZY = {"Report": "conformance", "validate": "conformance"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
