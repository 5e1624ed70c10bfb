"""The built-in checks, one module each; importing this package registers them.

A check is one module that builds a :class:`~dropblock_core.conformance.Check`
and passes it to :func:`~dropblock_core.conformance.register`. Every module
here is imported, so a new module is all a new check takes: the validator
runs it, the budgets size it, the report and the command line list it.

Run order: :data:`FIRST` (the order every report so far was seeded with: step
``i`` of a run is reseeded from ``seed * 1000 + i``), then the other modules
by name, so a new check never changes the steps before it.
"""

from __future__ import annotations

import importlib
import pkgutil

__all__ = ["FIRST", "modules"]

FIRST = ("rate", "blocks", "seeds", "coupling", "rescale", "edges", "gradient")


def modules() -> list[str]:
    """This package's modules in import (and so run) order.

    >>> modules()[:3]
    ['rate', 'blocks', 'seeds']
    """
    others = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in FIRST)
    return [*FIRST, *others]


for _module in modules():
    importlib.import_module(f"{__name__}.{_module}")
