"""Slow, obviously-correct references the core is tested against."""

from __future__ import annotations

import itertools
import math

import numpy as np


def block_start(seed: int, block: int, region: str) -> int:
    return seed if region == "valid" else seed - block // 2


def seed_grid(block: tuple[int, ...], spatial: tuple[int, ...], region: str) -> tuple[int, ...]:
    return tuple(s - b + 1 if region == "valid" else s for s, b in zip(spatial, block))


def paint(
    seeds: np.ndarray, block: tuple[int, ...], spatial: tuple[int, ...], region: str
) -> np.ndarray:
    """Dropped set of one map: every seed paints its (clipped) block, one by one."""
    dropped = np.zeros(spatial, dtype=bool)
    for seed in zip(*np.nonzero(seeds)):
        window = []
        for s, b, size in zip(seed, block, spatial):
            start = block_start(int(s), b, region)
            window.append(slice(max(start, 0), min(start + b, size)))
        dropped[tuple(window)] = True
    return dropped


def brute_expected_drop(
    gamma: float, block: tuple[int, ...], spatial: tuple[int, ...], region: str
) -> float:
    """Expected drop fraction by enumerating every seed configuration."""
    grid = seed_grid(block, spatial, region)
    n = math.prod(grid)
    total = 0.0
    for bits in itertools.product((False, True), repeat=n):
        seeds = np.array(bits, dtype=bool).reshape(grid)
        k = int(seeds.sum())
        prob = gamma**k * (1 - gamma) ** (n - k)
        total += prob * paint(seeds, block, spatial, region).mean()
    return total


def dropped_from_seeds(
    seed_flat: np.ndarray,
    grid: tuple[int, ...],
    block: tuple[int, ...],
    spatial: tuple[int, ...],
    region: str,
) -> np.ndarray:
    """Logical (N', C', *spatial) dropped set from flat seed indices of the seed grid."""
    seeds = np.zeros(math.prod(grid), dtype=bool)
    seeds[seed_flat] = True
    seeds = seeds.reshape(grid)
    out = np.zeros((*grid[:2], *spatial), dtype=bool)
    for n in range(grid[0]):
        for c in range(grid[1]):
            out[n, c] = paint(seeds[n, c], block, spatial, region)
    return out


# Maps the gamma rules are checked on, as (spatial, block, seed region, rule): 1-D, 2-D
# (square, rectangular, even blocks), 3-D, both regions, both rules, a block filling the map
# and one larger than it (clipped), and a ResNet-sized map.
GAMMA_CASES = [
    ((56, 56), 7, "valid", "exact"),
    ((14, 14), 7, "valid", "exact"),
    ((14, 14), 7, "full", "exact"),
    ((14, 14), 7, "valid", "paper"),
    ((14, 14), 7, "full", "paper"),
    ((7, 7), 7, "valid", "exact"),
    ((5, 5), 9, "valid", "exact"),
    ((14, 21), (3, 5), "valid", "exact"),
    ((9, 16), (3, 4), "valid", "exact"),
    ((8, 8), 2, "full", "paper"),
    ((40,), 5, "full", "exact"),
    ((33,), 4, "full", "exact"),
    ((6, 9, 9), 3, "valid", "exact"),
    ((6, 5, 7), (2, 3, 2), "valid", "exact"),
]
