"""The seed stream of ``docs/rng.md``, reimplemented from the page's text alone.

Plain Python integers, no NumPy and no ``dropblock_core``: if this module and
the core agree on every vector, the page is precise enough to reimplement the
masks bit for bit.
"""

from __future__ import annotations

import math
from itertools import product

__all__ = [
    "block_cells",
    "gap",
    "gap_thresholds",
    "keep_mask",
    "mask_key",
    "seed_indices",
    "seed_of_key",
    "threefry2x32",
    "trace_group",
    "word",
]

M32 = 0xFFFFFFFF
ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)
PARITY = 0x1BD11BDA


def threefry2x32(key: tuple[int, int], counter: tuple[int, int]) -> tuple[int, int]:
    """Threefry-2x32 with 20 rounds: key and counter are two 32-bit words each."""
    ks = (key[0], key[1], key[0] ^ key[1] ^ PARITY)
    x0 = (counter[0] + ks[0]) & M32
    x1 = (counter[1] + ks[1]) & M32
    for i in range(20):
        x0 = (x0 + x1) & M32
        r = ROTATIONS[i % 8]
        x1 = ((x1 << r) | (x1 >> (32 - r))) & M32
        x1 ^= x0
        if i % 4 == 3:
            s = (i + 1) // 4
            x0 = (x0 + ks[s % 3]) & M32
            x1 = (x1 + ks[(s + 1) % 3] + s) & M32
    return x0, x1


def mask_key(seed: int, step: int, replica: int) -> tuple[int, int]:
    """K = threefry2x32((seed mod 2**32, seed >> 32), (step, replica))."""
    return threefry2x32((seed & M32, seed >> 32), (step, replica))


def seed_of_key(d0: int, d1: int) -> int:
    """A JAX Threefry key's data words (d0, d1) are the seed d0 * 2**32 + d1."""
    return d0 * 2**32 + d1


def word(key: tuple[int, int], group: int, r: int) -> int:
    """w(g, r) = threefry2x32(K, (g, r // 2))[r % 2]."""
    return threefry2x32(key, (group, r // 2))[r % 2]


def gap_thresholds(gamma: float) -> list[int]:
    """C[i] = min(floor(2**32 * -expm1((i + 1) * log1p(-gamma))), 2**32 - 1)."""
    out = []
    for i in range(32):
        prob = 1.0 if gamma >= 1.0 else -math.expm1((i + 1) * math.log1p(-gamma))
        out.append(min(math.floor(prob * 2.0**32), M32))
    return out


def gap(w: int, thresholds: list[int]) -> int:
    """#{i : C[i] <= w}."""
    return sum(c <= w for c in thresholds)


def trace_group(key: tuple[int, int], gamma: float, group: int) -> list[tuple[int, int, int, int]]:
    """(r, w, gap, pos) for every round of one group, up to the round that ends it."""
    thresholds = gap_thresholds(gamma)
    rows = []
    pos = -1
    for r in range(32):
        w = word(key, group, r)
        g = gap(w, thresholds)
        pos = pos + 1 + g
        rows.append((r, w, g, pos))
        if pos >= 32:
            break
    return rows


def seed_indices(seed: int, step: int, replica: int, gamma: float, total: int) -> list[int]:
    """Flat indices (C order of the seed grid) of the positions that hold a seed."""
    if gamma == 0.0 or total == 0:
        return []
    if gamma >= 1.0:
        return list(range(total))
    key = mask_key(seed, step, replica)
    found = []
    for group in range(-(-total // 32)):
        for _, _, _, pos in trace_group(key, gamma, group):
            if pos < 32 and 32 * group + pos < total:
                found.append(32 * group + pos)
    return found


def block_cells(s: int, size: int, block: int, region: str) -> range:
    """Cells along one axis dropped by a seed at seed-grid index ``s``."""
    block = min(block, size)
    start = s if region == "valid" else s - block // 2
    return range(max(start, 0), min(start + block, size))


def keep_mask(
    shape: tuple[int, ...],
    block: tuple[int, ...],
    seeds: list[int],
    *,
    region: str = "valid",
    channels_last: bool = False,
    share_channels: bool = False,
    share_batch: bool = False,
) -> dict[tuple[int, ...], bool]:
    """The keep mask as {physical index: kept}, for the mask's own shape."""
    if channels_last:
        n, *spatial, c = shape
    else:
        n, c, *spatial = shape
    block = tuple(min(b, s) for b, s in zip(block, spatial))
    grid_spatial = [s if region == "full" else s - b + 1 for s, b in zip(spatial, block)]
    grid = [1 if share_batch else n, 1 if share_channels else c, *grid_spatial]
    logical = {idx: True for idx in product(*(range(k) for k in (*grid[:2], *spatial)))}
    for flat in seeds:
        coords = []
        for size in reversed(grid):
            coords.append(flat % size)
            flat //= size
        nn, cc, *s = reversed(coords)
        for cell in product(
            *(block_cells(si, sz, b, region) for si, sz, b in zip(s, spatial, block))
        ):
            logical[(nn, cc, *cell)] = False
    if not channels_last:
        return logical
    return {(i[0], *i[2:], i[1]): kept for i, kept in logical.items()}
