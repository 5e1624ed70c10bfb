"""Check 2: every dropped set is a union of whole blocks of the claimed size,
inside the map when the spec claims the valid seed region. Exact: no statistics."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..geometry import components, whole_blocks
from ..probe import fmt_shape
from ..result import CheckResult
from .base import Context, guarded

__all__ = ["CHECK", "StructureCase", "block_violations", "check_structure", "structure_cases"]

CHECK = "block structure"
CALLS = 4


class StructureCase(NamedTuple):
    spatial: tuple[int, ...]
    block: int
    drop_prob: float
    optional: bool


_PRIMARY: dict[int, list[tuple[tuple[int, ...], int, float]]] = {
    1: [((40,), 5, 0.15), ((30,), 4, 0.15)],
    2: [((11, 14), 3, 0.15), ((14, 14), 7, 0.1), ((10, 13), 4, 0.15)],
    3: [((8, 9, 10), 3, 0.1), ((8, 8, 8), 4, 0.1)],
}


def structure_cases(ndim: int) -> list[StructureCase]:
    """Own-rank cases (even blocks optional) and the first case of each other rank.

    >>> [(fmt_shape(c.spatial), c.block, c.optional) for c in structure_cases(2)][2:]
    [('10x13', 4, True), ('40', 5, True), ('8x9x10', 3, True)]
    """
    cases = [StructureCase(s, b, p, b % 2 == 0) for s, b, p in _PRIMARY[ndim]]
    cases += [StructureCase(*_PRIMARY[d][0], True) for d in sorted(_PRIMARY) if d != ndim]
    return cases


def block_violations(dropped: np.ndarray, block: tuple[int, ...], seed_region: str) -> dict:
    """Masks that are not unions of whole blocks, and the smallest extent per
    axis of components not touching the border there (a lone block: ``block``).

    >>> d = np.zeros((3, 9, 9), bool); d[0, 1:4, 1:4] = True; d[1, 2:4, 5:7] = True
    >>> v = block_violations(d, (3, 3), "valid"); v["bad_masks"], v["smallest"]
    (1, (2, 2))
    """
    spatial = dropped.shape[1:]
    bad = ~whole_blocks(dropped, block, seed_region)
    _, boxes, _ = components(dropped)
    smallest = []
    for axis, size in enumerate(spatial):
        inner = [b[1 + axis] for b in boxes if b[1 + axis].start > 0 and b[1 + axis].stop < size]
        smallest.append(min((s.stop - s.start for s in inner), default=None))
    return {"bad_masks": int(bad.sum()), "masks": len(dropped), "smallest": tuple(smallest)}


def check_structure(ctx: Context, case: StructureCase) -> CheckResult:
    label = f"{fmt_shape(case.spatial)} b={case.block}"
    return guarded(CHECK, label, lambda: _measure(ctx, case, label))


def _measure(ctx: Context, case: StructureCase, label: str) -> CheckResult:
    block = tuple(min(case.block, s) for s in case.spatial)
    per_call = max(1, ctx.budget.structure_masks // CALLS)
    shape = (2, max(1, per_call // 2), *case.spatial)
    dropped = np.concatenate(
        [
            (y == 0).reshape(-1, *case.spatial)
            for _, y in ctx.probe.samples(
                shape, case.drop_prob, case.block, CALLS, optional=case.optional
            )
        ]
    )
    found = block_violations(dropped, block, ctx.spec.seed_region)
    smallest = found["smallest"]
    size_ok = all(s is None or s == b for s, b in zip(smallest, block))
    ok = found["bad_masks"] == 0 and size_ok
    where = "inside the map" if ctx.spec.seed_region == "valid" else "clipped at the border"
    shown = "x".join("-" if s is None else str(s) for s in smallest)
    if ok:
        why = f"every dropped set is a union of whole {fmt_shape(block)} blocks {where}"
    elif found["bad_masks"]:
        why = (
            f"{found['bad_masks']} of {found['masks']} masks are not unions of whole "
            f"{fmt_shape(block)} blocks {where}"
        )
    else:
        why = f"the smallest lone block is {shown}, not {fmt_shape(block)}"
    return CheckResult(
        CHECK,
        label,
        "pass" if ok else "fail",
        f"{found['bad_masks']}/{found['masks']} bad, smallest {shown}",
        f"0 bad, smallest {fmt_shape(block)}",
        why,
        {"bad_masks": found["bad_masks"], "masks": found["masks"], "smallest": list(smallest)},
    )
