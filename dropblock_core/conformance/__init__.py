"""Conformance validator: does a DropBlock implementation do what it claims?

:func:`validate` calls an implementation many times on NumPy inputs and holds
it to a :class:`Spec` (the paper's convention by default) with every
registered :class:`Check`: drop rate, block structure, seed positions, mask
coupling, rescale, edge cases and gradient are built in, and
:func:`register` adds one. Framework code is wrapped by :func:`wrap_torch`,
:func:`wrap_tf`, :func:`wrap_jax` (imported lazily: validating a NumPy
callable imports no framework).
"""

from __future__ import annotations

from . import checks  # noqa: F401  (the built-in checks register themselves, in order)
from .budget import BUDGETS, Budget
from .check import Check, Context
from .implementation import Implementation, seed_global_rngs
from .registry import check_names, register, registered, unregister
from .report import Report
from .result import CheckResult, Status
from .spec import SPECS, Spec, resolve_spec
from .validator import validate
from .wrappers import wrap_jax, wrap_keras_layer, wrap_tf, wrap_torch, wrap_torch_module

__all__ = [
    "BUDGETS",
    "SPECS",
    "Budget",
    "Check",
    "CheckResult",
    "Context",
    "Implementation",
    "Report",
    "Spec",
    "Status",
    "check_names",
    "register",
    "registered",
    "resolve_spec",
    "seed_global_rngs",
    "unregister",
    "validate",
    "wrap_jax",
    "wrap_keras_layer",
    "wrap_tf",
    "wrap_torch",
    "wrap_torch_module",
]
