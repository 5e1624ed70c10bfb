"""Budgets the validator tests share."""

from __future__ import annotations

from dropblock_core.conformance import Budget

# For implementations that are slow per call (the core's dense path on torch; JAX,
# which compiles once per shape): fewer samples than the CLI's "quick".
TINY = Budget(
    "tiny",
    base="quick",
    sizes={
        "drop rate": {"calls": 8, "masks": 512, "elements": 1 << 16},
        "block structure": {"masks": 128},
        "seed positions": {"masks": 1536},
        "mask coupling": {"pairs": 6},
        "rescale": {"calls": 3},
        "edge cases": {"calls": 64},
    },
)
