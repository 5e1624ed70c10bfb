"""The one registry of checks, in run order: the validator runs it, the report
describes it, the budgets size it and the command line offers its names.

The built-in checks (``checks/``, one module each) register themselves when
that package is imported, which every reader here makes sure of first; a
check registered later runs after them. The order seeds every step (step
``i`` of a run is reseeded from ``seed * 1000 + i``), so it is part of what
makes a report reproducible.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from .check import Check

__all__ = ["check_names", "get_check", "register", "registered", "select", "unregister"]

_CHECKS: dict[str, Check[Any]] = {}
_BUILT_IN = __name__.rpartition(".")[0] + ".checks"


def _load_built_ins() -> None:
    importlib.import_module(_BUILT_IN)  # registers them, in order, once


def register(check: Check[Any]) -> Check[Any]:
    """Add ``check`` after every registered one.

    Parameters
    ----------
    check : Check
        The check to run after the registered ones.

    Returns
    -------
    Check
        ``check`` itself (so ``register`` can decorate an assignment).

    Raises
    ------
    TypeError
        If ``check`` is not a :class:`Check`.
    ValueError
        If a check of the same name is already registered.

    Examples
    --------
    >>> demo = Check("demo", "", lambda ndim: [], lambda ctx, case: None)
    >>> register(demo) is demo, check_names()[-1]
    (True, 'demo')
    >>> unregister("demo")
    """
    if not isinstance(check, Check):
        raise TypeError(f"check must be a Check, got {check!r}")
    _load_built_ins()
    if check.name in _CHECKS:
        raise ValueError(f"a check named {check.name!r} is already registered")
    _CHECKS[check.name] = check
    return check


def unregister(name: str) -> None:
    """Remove the check called ``name``.

    Parameters
    ----------
    name : str
        The name of a registered check.

    Raises
    ------
    ValueError
        If no check of that name is registered.

    Examples
    --------
    >>> register(Check("demo", "", lambda ndim: [], lambda ctx, case: None)).name
    'demo'
    >>> unregister("demo")
    >>> "demo" in check_names()
    False
    """
    _load_built_ins()
    if name not in _CHECKS:
        raise ValueError(f"no check named {name!r} is registered")
    del _CHECKS[name]


def registered() -> tuple[Check[Any], ...]:
    """Every registered check, in run order.

    Returns
    -------
    tuple of Check
        The built-in checks, then those registered since.

    Examples
    --------
    >>> registered()[0].name
    'drop rate'
    """
    _load_built_ins()
    return tuple(_CHECKS.values())


def check_names() -> tuple[str, ...]:
    """The names of the registered checks, in run order.

    Returns
    -------
    tuple of str
        One name per registered check.

    Examples
    --------
    >>> check_names()[:2]
    ('drop rate', 'block structure')
    """
    return tuple(c.name for c in registered())


def get_check(name: str) -> Check[Any]:
    """The registered check called ``name``.

    >>> get_check("rescale").sizes["quick"]
    {'calls': 4}
    """
    _load_built_ins()
    if name not in _CHECKS:
        raise ValueError(f"unknown check {name!r}; choose from {list(_CHECKS)}")
    return _CHECKS[name]


def select(names: Iterable[str] | None) -> list[Check[Any]]:
    """The registered checks called ``names`` (all when ``None``), in run order."""
    checks = registered()
    if names is None:
        return list(checks)
    wanted = set(names)
    unknown = wanted - {c.name for c in checks}
    if unknown:
        raise ValueError(f"unknown checks {sorted(unknown)}; choose from {list(check_names())}")
    return [c for c in checks if c.name in wanted]
