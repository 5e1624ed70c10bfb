"""How much sampling each check does: the full report and a quick one for tests."""

from __future__ import annotations

import dataclasses

__all__ = ["BUDGETS", "Budget", "resolve_budget"]


@dataclasses.dataclass(frozen=True)
class Budget:
    """Sample sizes. More samples only tighten the data-driven bounds.

    ``rate_calls``: independent calls per drop-rate case (the standard error is
    estimated over them); ``rate_masks`` / ``rate_elements``: masks and units
    per case at most; ``structure_masks``, ``seed_masks``: masks per case;
    ``coupling_pairs``: pairs of calls; ``rescale_calls``; ``edge_calls``:
    calls for the all-dropped edge case.
    """

    name: str
    rate_calls: int
    rate_masks: int
    rate_elements: int
    structure_masks: int
    seed_masks: int
    coupling_pairs: int
    rescale_calls: int
    edge_calls: int


BUDGETS: dict[str, Budget] = {
    "full": Budget("full", 32, 16384, 1 << 22, 1024, 8192, 16, 8, 256),
    "quick": Budget("quick", 16, 4096, 1 << 19, 256, 3072, 8, 4, 128),
}


def resolve_budget(budget: str | Budget) -> Budget:
    """A named budget (``"full"``, ``"quick"``) or the given one.

    >>> resolve_budget("quick").rate_calls
    16
    """
    if isinstance(budget, Budget):
        return budget
    if isinstance(budget, str) and budget in BUDGETS:
        return BUDGETS[budget]
    raise ValueError(
        f"budget must be one of {', '.join(map(repr, BUDGETS))} or a Budget, got {budget!r}"
    )
