"""Every known-answer vector of ``docs/rng.md`` against the code and the spec.

Each table row is checked twice: against ``dropblock_core`` and against
``rng_spec``, a reimplementation written from the page alone. Tables are found
by their headers; a missing or empty table fails.
"""

from __future__ import annotations

import ast
import math

import numpy as np
import pytest

import dropblock_core as db
from dropblock_core.masks import draw_seeds, plan_mask
from dropblock_core.rng import gap_thresholds, mask_key
from dropblock_core.threefry import threefry2x32_numpy

from . import rng_spec as spec
from .markdown_blocks import DOCS, tables

PAGE = (DOCS / "rng.md").read_text(encoding="utf-8")


def table(*columns: str) -> list[dict[str, str]]:
    """The rows of the one table of rng.md whose header starts with ``columns``."""
    found = [t for t in tables(PAGE) if t and tuple(t[0])[: len(columns)] == columns]
    assert len(found) == 1, f"rng.md must hold exactly one table with columns {columns}"
    assert found[0], f"the table {columns} of rng.md is empty"
    return found[0]


def words(cell: str) -> tuple[int, ...]:
    return tuple(int(w, 16) for w in cell.strip("`").split())


def literal(cell: str):
    return ast.literal_eval(cell.strip("`"))


def options(cell: str) -> dict:
    call = ast.parse(f"f({cell.strip('`')})", mode="eval").body
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}


THREEFRY = table("key (k0, k1)", "counter (c0, c1)", "output (x0, x1)")
KEYS = table("seed", "step", "replica", "mask key (K0, K1)")
THRESHOLDS = table("gamma", "C[0]", "C[1]", "C[2]", "C[31]")
TRACE = table("group g", "round r", "counter (g, r // 2)", "word w(g, r)", "gap", "pos", "seed at")
MASK_CALLS = table("#", "shape", "drop_prob", "block_size", "options", "seed", "step", "replica")
MASK_RESULTS = table("#", "gamma", "seed grid", "seed indices")


def joined(left: list[dict[str, str]], right: list[dict[str, str]]) -> list[dict[str, str]]:
    """Rows of two tables with the same ``#`` column, merged (every number in both)."""
    assert [r["#"] for r in left] == [r["#"] for r in right], (
        "the two tables must list the same rows"
    )
    return [{**a, **b} for a, b in zip(left, right)]


MASKS = joined(MASK_CALLS, MASK_RESULTS)


@pytest.mark.parametrize("row", THREEFRY, ids=lambda r: r["counter (c0, c1)"])
def test_threefry_vectors(row: dict[str, str]) -> None:
    key, counter, expected = (words(row[c]) for c in row)
    assert spec.threefry2x32(key, counter) == expected
    x0, x1 = threefry2x32_numpy(
        key, np.array([counter[0]], np.uint32), np.array([counter[1]], np.uint32)
    )
    assert (int(x0[0]), int(x1[0])) == expected


def test_random123_vectors_are_all_there() -> None:
    assert {words(r["output (x0, x1)"]) for r in THREEFRY} >= {
        (0x6B200159, 0x99BA4EFE),
        (0x1CB996FC, 0xBB002BE7),
        (0xC4923A9C, 0x483DF7A0),
    }


@pytest.mark.parametrize("row", KEYS, ids=lambda r: f"{r['seed']}-{r['step']}-{r['replica']}")
def test_mask_key_vectors(row: dict[str, str]) -> None:
    seed, step, replica = (int(row[c]) for c in ("seed", "step", "replica"))
    expected = words(row["mask key (K0, K1)"])
    assert spec.mask_key(seed, step, replica) == expected
    assert mask_key(seed, step, replica) == expected


@pytest.mark.parametrize("row", THRESHOLDS, ids=lambda r: r["gamma"])
def test_threshold_vectors(row: dict[str, str]) -> None:
    gamma = float(row["gamma"])
    expected = [int(row[f"C[{i}]"]) for i in (0, 1, 2, 31)]
    for thresholds in (spec.gap_thresholds(gamma), gap_thresholds(gamma).tolist()):
        assert [thresholds[i] for i in (0, 1, 2, 31)] == expected


def test_worked_example_trace() -> None:
    """The trace table is the spec's walk through the worked example's groups."""
    key = spec.mask_key(0, 1, 0)
    assert mask_key(0, 1, 0) == key
    expected = []
    for group in (0, 1):
        for r, w, gap, pos in spec.trace_group(key, 0.1, group):
            seed_at = "done" if pos >= 32 else 32 * group + pos
            expected.append((group, r, (group, r // 2), w, gap, pos, seed_at))
    got = []
    for row in TRACE:
        at = row["seed at"].split()[0]
        got.append(
            (
                int(row["group g"]),
                int(row["round r"]),
                literal(row["counter (g, r // 2)"]),
                words(row["word w(g, r)"])[0],
                int(row["gap"]),
                int(row["pos"]),
                at if at == "done" else int(at),
            )
        )
    assert got == expected
    assert [r["seed at"] for r in TRACE if "discarded" in r["seed at"]] == [
        "38 ≥ T, discarded",
        "56 ≥ T, discarded",
    ]


@pytest.mark.parametrize("row", MASKS, ids=lambda r: f"{r['shape']}-{r['options']}-{r['seed']}")
def test_mask_vectors(row: dict[str, str]) -> None:
    shape, block = literal(row["shape"]), literal(row["block_size"])
    drop = float(row["drop_prob"])
    opts = options(row["options"])
    seed, step, replica = (int(row[c]) for c in ("seed", "step", "replica"))
    expected = literal(row["seed indices"])

    plan = plan_mask(shape, drop, block, **opts)
    assert plan.gamma == float(row["gamma"])
    assert plan.grid == literal(row["seed grid"])
    total = math.prod(plan.grid)

    # The spec, from the page alone.
    assert spec.seed_indices(seed, step, replica, plan.gamma, total) == expected
    # The core's own seeds (sparse NumPy path).
    seeds = draw_seeds(plan, seed=seed, step=step, replica=replica, stream="counter", xp=np)
    core = (
        []
        if seeds is None
        else (np.flatnonzero(seeds).tolist() if seeds.dtype == bool else seeds.tolist())
    )
    assert core == expected

    # The whole mask, rebuilt from the seeds with section 6.
    mask = db.sample_mask(shape, drop, block, seed=seed, step=step, replica=replica, **opts)
    n_spatial = len(shape) - 2
    blocks = block if isinstance(block, tuple) else (block,) * n_spatial
    rebuilt = spec.keep_mask(
        shape,
        blocks,
        expected,
        region=opts.get("seed_region", "valid"),
        channels_last=opts.get("channels_last", False),
        share_channels=opts.get("share_channels", False),
        share_batch=opts.get("share_batch", False),
    )
    assert len(rebuilt) == mask.size
    assert all(bool(mask[index]) == kept for index, kept in rebuilt.items())


def test_vectors_cover_the_spec() -> None:
    """The mask vectors exercise every branch the page describes."""
    opts = [options(r["options"]) for r in MASKS]
    assert {o.get("seed_region", "valid") for o in opts} == {"valid", "full"}
    for flag in ("share_channels", "share_batch", "channels_last"):
        assert any(o.get(flag) for o in opts), flag
    assert {str(o.get("gamma")) for o in opts} >= {"paper", "exact", "1.0"}
    assert any(int(r["seed"]) >= 2**32 for r in MASKS)  # a high key word
    assert any(int(r["replica"]) > 0 for r in MASKS) and any(int(r["step"]) > 0 for r in MASKS)
    assert {len(literal(r["shape"])) for r in MASKS} >= {3, 4, 5}  # 1-D, 2-D, 3-D
    assert any(math.prod(literal(r["seed grid"])) > 64 for r in MASKS)  # several groups


def test_spec_reimplementation_matches_the_core_beyond_the_table() -> None:
    """Random parameters: the page's algorithm and sample_mask agree bit for bit."""
    rng = np.random.default_rng(20181203)
    drawn = 0
    for _ in range(25):
        ndim = int(rng.integers(1, 4))
        spatial = tuple(int(s) for s in rng.integers(1, 9, size=ndim))
        block = tuple(int(b) for b in rng.integers(1, 6, size=ndim))
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), *spatial)
        opts = {
            "gamma": float(rng.choice([0.03, 0.1, 0.3])),
            "seed_region": str(rng.choice(["valid", "full"])),
            "share_channels": bool(rng.integers(2)),
            "share_batch": bool(rng.integers(2)),
        }
        seed, step, replica = (
            int(rng.integers(2**63)),
            int(rng.integers(2**32)),
            int(rng.integers(4)),
        )
        plan = plan_mask(shape, 0.1, block, **opts)
        seeds = spec.seed_indices(seed, step, replica, plan.gamma, math.prod(plan.grid))
        drawn += len(seeds)
        rebuilt = spec.keep_mask(
            shape,
            block,
            seeds,
            region=opts["seed_region"],
            share_channels=opts["share_channels"],
            share_batch=opts["share_batch"],
        )
        mask = db.sample_mask(shape, 0.1, block, seed=seed, step=step, replica=replica, **opts)
        assert len(rebuilt) == mask.size
        assert all(bool(mask[i]) == kept for i, kept in rebuilt.items()), (shape, block, opts)
    assert drawn > 25  # the comparison saw seeds, not just empty masks
