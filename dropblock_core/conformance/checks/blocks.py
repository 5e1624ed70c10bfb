"""Block structure: every dropped set is a union of whole blocks of the
claimed size, inside the map when the spec claims the valid seed region.
Exact: no statistics."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..check import Check, Context
from ..geometry import components, whole_blocks
from ..probe import fmt_shape
from ..registry import register
from ..result import CheckResult
from .cases import MapCase, rank_cases

__all__ = ["CHECK", "block_violations", "check_structure", "structure_cases"]

CALLS = 4

_OWN: dict[int, list[tuple[tuple[int, ...], int, float]]] = {
    1: [((40,), 5, 0.15), ((30,), 4, 0.15)],
    2: [((11, 14), 3, 0.15), ((14, 14), 7, 0.1), ((10, 13), 4, 0.15)],
    3: [((8, 9, 10), 3, 0.1), ((8, 8, 8), 4, 0.1)],
}


def structure_cases(ndim: int) -> list[MapCase]:
    """Own-rank cases (even blocks optional) and the first case of each other rank.

    >>> [(c.label(drop=False), c.optional) for c in structure_cases(2)][2:]
    [('10x13 b=4', True), ('40 b=5', True), ('8x9x10 b=3', True)]
    """
    return rank_cases(ndim, _OWN, {d: cases[0] for d, cases in _OWN.items()})


def block_violations(
    dropped: np.ndarray, block: tuple[int, ...], seed_region: str
) -> dict[str, Any]:
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


def check_structure(ctx: Context, case: MapCase) -> CheckResult:
    return ctx.guarded(case.label(drop=False), lambda: _measure(ctx, case))


def _measure(ctx: Context, case: MapCase) -> CheckResult:
    block = tuple(min(case.block, s) for s in case.spatial)
    per_call = max(1, ctx.sizes["masks"] // CALLS)
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
    return ctx.result(
        case.label(drop=False),
        ok,
        f"{found['bad_masks']}/{found['masks']} bad, smallest {shown}",
        f"0 bad, smallest {fmt_shape(block)}",
        why,
        {"bad_masks": found["bad_masks"], "masks": found["masks"], "smallest": list(smallest)},
    )


CHECK = register(
    Check(
        "block structure",
        "the morphological opening of each dropped set by the block\n"
        "reproduces it (a union of whole blocks, inside the map for the valid region), and\n"
        "the smallest lone block has exactly the block size. Exact.",
        structure_cases,
        check_structure,
        sizes={"full": {"masks": 1024}, "quick": {"masks": 256}},
    )
)
