"""Speed of ``dropblock_jax.dropblock`` against jitted Bernoulli dropout.

Three ways to run DropBlock on each shape: jitted with seed and step traced
(the core's dense path on ``jax.numpy``: the first Threefry word pair of every
group, further pairs in a ``lax.while_loop`` only while a group needs one,
then a shifted-OR block dilation), the same mask alone, and eager (the NumPy
core's sparse mask brought in through DLPack, then a jitted rescale). The
baseline is a jitted dropout whose key is folded with the traced step. Every
call is blocked on; the step changes each call; the variants are timed in
turn (round robin) and the median of ``repeats`` calls is reported, after one
warm-up call (compilation) that is timed separately.

Run: ``python benchmarks/suite_jax.py [repeats]``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import dropblock_jax as dj
import jax
import jax.numpy as jnp
import numpy as np
from dropblock_jax.mask import dense_mask, plan_for

from dropblock_core.config import DropBlockConfig

__all__ = ["SHAPES", "run", "table"]

SHAPES = [(32, 256, 56, 56), (32, 512, 28, 28), (32, 1024, 14, 14), (32, 2048, 7, 7)]
DROP_PROB, BLOCK_SIZE = 0.1, 7


def _round_robin(
    calls: dict[str, Callable[[int], Any]], repeats: int
) -> tuple[dict[str, float], dict[str, float]]:
    """(seconds of each variant's first call, median seconds of the next
    ``repeats`` calls), the variants timed in turn so load drifts hit all alike."""
    first, times = {}, {name: [] for name in calls}
    for name, call in calls.items():
        start = time.perf_counter()
        jax.block_until_ready(call(0))
        first[name] = time.perf_counter() - start
    for step in range(1, repeats + 1):
        for name, call in calls.items():
            start = time.perf_counter()
            jax.block_until_ready(call(step))
            times[name].append(time.perf_counter() - start)
    return first, {name: statistics.median(t) for name, t in times.items()}


def run(shapes: Sequence[tuple[int, ...]], repeats: int) -> list[dict[str, Any]]:
    """One row per shape: median milliseconds of each variant and ratios to dropout."""
    p, b = DROP_PROB, BLOCK_SIZE
    jit_dropblock = jax.jit(lambda x, s, t: dj.dropblock(x, p, b, seed=s, step=t))

    @jax.jit
    def jit_dropout(x: jax.Array, step: jax.Array) -> jax.Array:
        key = jax.random.fold_in(jax.random.key(0), step)
        keep = jax.random.bernoulli(key, 1.0 - p, x.shape)
        return jnp.where(keep, x / (1.0 - p), jnp.zeros_like(x))

    rows = []
    for shape in shapes:
        x = jnp.asarray(np.random.default_rng(0).standard_normal(shape, dtype=np.float32))
        plan = plan_for(shape, DropBlockConfig(p, b), False)
        seed = jnp.uint32(0)
        variants = {
            "dropout_jit": lambda t: jit_dropout(x, jnp.int32(t)),
            "dropblock_jit": lambda t: jit_dropblock(x, seed, jnp.int32(t)),
            "mask_jit": lambda t: dense_mask(plan, seed=seed, step=jnp.int32(t), replica=0),
            "dropblock_eager": lambda t: dj.dropblock(x, p, b, seed=0, step=t),
        }
        first, median = _round_robin(variants, repeats)
        ms = {name: 1e3 * median[name] for name in variants}
        row: dict[str, Any] = {"shape": shape}
        for name in ("dropblock_jit", "dropblock_eager"):  # the ratios first: what to read
            row[f"{name}_ratio"] = ms[name] / ms["dropout_jit"]
        for name in variants:
            row[f"{name}_ms"] = ms[name]
            row[f"{name}_first_s"] = first[name]
        rows.append(row)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of :func:`run`'s rows."""
    head = (
        f"{'shape':<20}{'dropout jit':>13}{'DB jit':>10}{'mask jit':>10}{'DB eager':>10}"
        f"{'jit/dropout':>13}{'eager/dropout':>15}{'DB jit 1st':>12}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{'x'.join(map(str, r['shape'])):<20}{r['dropout_jit_ms']:>10.1f} ms"
            f"{r['dropblock_jit_ms']:>7.1f} ms{r['mask_jit_ms']:>7.1f} ms"
            f"{r['dropblock_eager_ms']:>7.1f} ms{r['dropblock_jit_ratio']:>12.2f}x"
            f"{r['dropblock_eager_ratio']:>14.2f}x{r['dropblock_jit_first_s']:>10.2f} s"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(
        f"jax {jax.__version__}, {jax.devices()[0].platform}, median of {reps}, "
        f"drop_prob={DROP_PROB}, block_size={BLOCK_SIZE}, float32"
    )
    print(table(run(SHAPES, reps)))
