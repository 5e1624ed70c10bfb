"""How much a run samples: the full report, a quick one for tests, or your own.

Each check declares its own sample sizes under the two base budgets
(:attr:`Check.sizes`); a :class:`Budget` picks one of them and may replace
some sizes of some checks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .check import BASE_BUDGETS, Check

__all__ = ["BUDGETS", "Budget", "resolve_budget"]


@dataclasses.dataclass(frozen=True)
class Budget:
    """Sample sizes. More samples only tighten the data-driven bounds.

    Parameters
    ----------
    name : str
        The budget's name, e.g. ``"tiny"``.
    base : {"full", "quick"}, default "full"
        The base budget, whose sizes every check declares.
    sizes : mapping, optional
        Check name -> {size name -> positive int}: the sizes replacing the
        base ones of that check.

    Raises
    ------
    ValueError
        If ``base`` is not ``"full"`` or ``"quick"``.
    TypeError
        If ``name`` is not a str or ``sizes`` is not a mapping of mappings.

    Examples
    --------
    >>> from dropblock_core.conformance.registry import get_check
    >>> tiny = Budget("tiny", base="quick", sizes={"rescale": {"calls": 3}})
    >>> tiny.sizes_of(get_check("rescale")), BUDGETS["full"].sizes_of(get_check("rescale"))
    ({'calls': 3}, {'calls': 8})
    """

    name: str
    base: str = "full"
    sizes: Mapping[str, Mapping[str, int]] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"a budget's name must be a str, got {self.name!r}")
        if self.base not in BASE_BUDGETS:
            raise ValueError(f"base must be one of {BASE_BUDGETS}, got {self.base!r}")
        if not isinstance(self.sizes, Mapping) or not all(
            isinstance(v, Mapping) for v in self.sizes.values()
        ):
            raise TypeError(f"sizes must map check names to sizes, got {self.sizes!r}")

    def sizes_of(self, check: Check[Any]) -> dict[str, int]:
        """``check``'s sample sizes under this budget.

        Parameters
        ----------
        check : Check
            A check; its sizes under ``base`` are the defaults.

        Returns
        -------
        dict of str to int
            Size name -> sample size.

        Raises
        ------
        ValueError
            If this budget names a size the check does not have, or a size
            that is not a positive int.
        """
        own = dict(check.sizes[self.base])
        changed = self.sizes.get(check.name, {})
        unknown = set(changed) - set(own)
        if unknown:
            raise ValueError(
                f"budget {self.name!r}: check {check.name!r} has no sample size "
                f"{', '.join(map(repr, sorted(unknown)))}; it has {sorted(own)}"
            )
        for key, value in changed.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"budget {self.name!r}: {check.name} {key} must be a positive int, "
                    f"got {value!r}"
                )
        return {**own, **changed}


BUDGETS: dict[str, Budget] = {"full": Budget("full"), "quick": Budget("quick", base="quick")}


def resolve_budget(budget: str | Budget) -> Budget:
    """A named budget (``"full"``, ``"quick"``) or the given one.

    >>> resolve_budget("quick").base
    'quick'
    """
    if isinstance(budget, Budget):
        return budget
    if isinstance(budget, str) and budget in BUDGETS:
        return BUDGETS[budget]
    raise ValueError(
        f"budget must be one of {', '.join(map(repr, BUDGETS))} or a Budget, got {budget!r}"
    )
