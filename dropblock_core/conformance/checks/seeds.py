"""Seed positions: block positions are uniform over the claimed seed region.

Masks holding exactly one block are used: given that a mask has exactly one
seed, and seeds are i.i.d. Bernoulli(gamma) over the region, its position is
uniform there. The drop probability is chosen so that a mask holds one seed
on average (the most one-seed masks). Block starts are binned over the claimed
region; a start outside it fails outright, otherwise a chi-square test fails at
p < 1e-6: with fixed seeds the false-alarm rate per case is 1e-6 (1e-4 over a
whole report of ~100 cases), while a missing row of seed positions or a
shifted region gives p-values far below 1e-20 at these sample sizes.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.optimize import brentq

from ..check import Check, Context
from ..geometry import block_starts, components, start_range
from ..probe import batch_layout, fmt_shape
from ..registry import register
from ..result import CheckResult, Status
from ..spec import Spec

__all__ = ["CHECK", "P_FAIL", "SeedCase", "check_seeds", "one_seed_drop_prob", "seed_cases"]

P_FAIL = 1e-6
CALLS = 8
MIN_PER_BIN = 5  # the chi-square approximation needs about 5 expected counts per bin


class SeedCase(NamedTuple):
    """A (non-square) map and an odd block size."""

    spatial: tuple[int, ...]
    block: int

    def label(self) -> str:
        return f"{fmt_shape(self.spatial)} b={self.block}"


_CASES = {
    1: [SeedCase((24,), 3)],
    2: [SeedCase((8, 12), 3), SeedCase((12, 8), 3)],
    3: [SeedCase((6, 7, 8), 3)],
}


def seed_cases(ndim: int) -> list[SeedCase]:
    """Non-square maps (a region computed from the wrong axis shows) and an odd
    block (its centre, the seed of a clipped block, is unambiguous).

    >>> seed_cases(2)
    [SeedCase(spatial=(8, 12), block=3), SeedCase(spatial=(12, 8), block=3)]
    """
    return _CASES[ndim]


def one_seed_drop_prob(spec: Spec, spatial: tuple[int, ...], block: int) -> float:
    """The drop probability at which the spec expects one seed per mask.

    >>> round(one_seed_drop_prob(Spec(), (8, 12), 3), 4)  # paper: gamma * 60 positions = 1
    0.0938
    """
    ranges = [start_range(s, block, spec.seed_region) for s in spatial]
    positions = math.prod(hi - lo + 1 for lo, hi in ranges)

    def excess(p: float) -> float:
        return spec.gamma_value(p, block, spatial) * positions - 1.0

    if excess(0.95) <= 0:
        return 0.95
    return float(brentq(excess, 1e-9, 0.95, xtol=1e-10))


def check_seeds(ctx: Context, case: SeedCase) -> CheckResult:
    return ctx.guarded(case.label(), lambda: _measure(ctx, case))


def _measure(ctx: Context, case: SeedCase) -> CheckResult:
    from scipy.stats import chisquare

    spec, spatial, label = ctx.spec, case.spatial, case.label()
    block = tuple(min(case.block, s) for s in spatial)
    ranges = [start_range(s, b, spec.seed_region) for s, b in zip(spatial, block)]
    bins = tuple(hi - lo + 1 for lo, hi in ranges)
    drop = one_seed_drop_prob(spec, spatial, case.block)
    per_call = max(2, ctx.sizes["masks"] // CALLS)
    # A call whose masks are all identical (an implementation sharing the
    # axis, claimed or not) counts once.
    batch, channels = batch_layout(per_call, spec.share_batch)
    counts = np.zeros(bins, dtype=np.int64)
    outside = whole = 0
    for _, y in ctx.probe.samples((batch, channels, *spatial), drop, case.block, CALLS):
        dropped = (y == 0).reshape(-1, *spatial)
        if np.all(dropped == dropped[:1]):
            dropped = dropped[:1]
        owner, boxes, full = components(dropped)
        lone = np.bincount(owner, minlength=len(dropped)) == 1
        for k, box in enumerate(boxes):
            start = block_starts(box[1:], spatial, block) if lone[owner[k]] and full[k] else None
            if start is None:
                continue
            whole += all(s.stop - s.start == b for s, b in zip(box[1:], block))
            index = tuple(s - lo for s, (lo, _) in zip(start, ranges))
            if all(0 <= i < n for i, n in zip(index, bins)):
                counts[index] += 1
            else:
                outside += 1
    total = int(counts.sum()) + outside
    region = f"{spec.seed_region} region ({'x'.join(map(str, bins))} positions)"
    data = {"blocks": total, "outside": outside, "positions": list(bins), "drop_prob": drop}
    if whole == 0:
        return ctx.result(
            label,
            Status.SKIPPED,
            "no whole block",
            f"lone {fmt_shape(block)} blocks",
            f"no lone block has the claimed size {fmt_shape(block)}: positions cannot be "
            "recovered (the block structure check reports the size)",
            data,
        )
    if outside:
        return ctx.result(
            label,
            Status.FAIL,
            f"{outside}/{total} outside",
            f"0 outside, p ≥ {P_FAIL:g}",
            f"{outside} of {total} lone blocks start outside the claimed {region}",
            data,
        )
    if total < MIN_PER_BIN * counts.size:
        return ctx.result(
            label,
            Status.SKIPPED,
            f"{total} lone blocks",
            f"≥ {MIN_PER_BIN * counts.size}",
            f"too few lone blocks at p={drop:.3f} for a chi-square test over the {region}",
            data,
        )
    pvalue = float(chisquare(counts.ravel()).pvalue)
    ok = pvalue >= P_FAIL
    data["pvalue"] = pvalue
    empty = int((counts == 0).sum())
    return ctx.result(
        label,
        ok,
        f"p = {pvalue:.2g}",
        f"p ≥ {P_FAIL:g}",
        f"{total} lone blocks over the {region}"
        + ("" if ok else f": not uniform ({empty} positions never used)"),
        data,
    )


CHECK = register(
    Check(
        "seed positions",
        "in masks holding one block, the block's start is uniform over\n"
        "the claimed region: starts outside fail; chi-square (SciPy) fails at p < 1e-6.",
        seed_cases,
        check_seeds,
        sizes={"full": {"masks": 8192}, "quick": {"masks": 3072}},
    )
)
