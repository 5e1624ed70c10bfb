"""Speed of the torch adapter against ``torch.nn.Dropout`` and, when it
imports, ``torchvision.ops.drop_block2d``.

Per-channel masks, drop probability 0.1, block 7, a fresh random mask every
call (``seed=None``), float32 CPU tensors, ``threads`` torch threads (2 by
default, the project's machines). Two measurements per shape:

- a **training step**: forward and backward of ``DropBlock2d(0.1, 7)`` against
  the same step with ``nn.Dropout(0.1)`` (``ratio_train``);
- the **forward** alone against ``F.dropout`` (``ratio_forward``) and against
  torchvision's ``drop_block2d`` (``ratio_vs_torchvision``; below 0.1 means
  more than 10x faster).

The candidates take turns within each of ``repeats`` rounds, so load on the
machine hits them alike; each time is the median over the rounds, and each
ratio the median of the per-round ratios (paired measurements, robust to load
that drifts between rounds). ``python benchmarks/run.py --only torch`` (or
this file) prints the table.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from dropblock_torch import DropBlock2d, dropblock
from torch import nn

__all__ = ["SHAPES", "run", "torchvision_drop_block2d"]

SHAPES = [(32, 256, 56, 56), (32, 512, 28, 28), (32, 1024, 14, 14), (32, 2048, 7, 7)]
DROP_PROB, BLOCK = 0.1, 7


def torchvision_drop_block2d() -> tuple[Callable[..., torch.Tensor] | None, str]:
    """``torchvision.ops.drop_block2d`` and its version, or ``None`` and why not."""
    try:
        import torchvision
        from torchvision.ops import drop_block2d
    except ModuleNotFoundError:
        return None, "not installed"
    except Exception as exc:  # e.g. a torchvision built for another torch
        return None, f"import failed: {exc}"
    return drop_block2d, torchvision.__version__


def _training_step(module: nn.Module, x: torch.Tensor, grad: torch.Tensor) -> Callable[[], Any]:
    """Forward and backward of ``module`` on the leaf ``x`` (gradient not kept)."""

    def step() -> Any:
        return torch.autograd.grad(module(x), x, grad)

    return step


def _rounds(candidates: dict[str, Callable[[], Any]], repeats: int) -> dict[str, list[float]]:
    """Times in ms of each candidate, one per round; the candidates take turns."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for fn in candidates.values():  # warm-up
        fn()
    for _ in range(repeats):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1e3)
    return times


def _paired_ratio(times: dict[str, list[float]], ours: str, theirs: str) -> float:
    """Median over rounds of ``ours / theirs`` timed in the same round."""
    return statistics.median(a / b for a, b in zip(times[ours], times[theirs]))


def run(shapes: Sequence[tuple[int, ...]], repeats: int, threads: int = 2) -> list[dict[str, Any]]:
    """One row per shape: median times in ms and the ratios to the peers.

    >>> rows = run([(2, 8, 14, 14)], 3)
    >>> sorted(rows[0])[:4]
    ['dropblock_forward_ms', 'dropblock_train_ms', 'dropout_forward_ms', 'dropout_train_ms']
    """
    drop_block2d, torchvision_status = torchvision_drop_block2d()
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    layer, dropout = DropBlock2d(DROP_PROB, BLOCK), nn.Dropout(DROP_PROB)
    rows = []
    try:
        for shape in shapes:
            x = torch.randn(shape, requires_grad=True)
            grad = torch.randn(shape)
            data = x.detach()
            candidates: dict[str, Callable[[], Any]] = {
                "dropblock_train": _training_step(layer, x, grad),
                "dropout_train": _training_step(dropout, x, grad),
                "dropblock_forward": lambda: dropblock(data, DROP_PROB, BLOCK),
                "dropout_forward": lambda: F.dropout(data, DROP_PROB, training=True),
            }
            if drop_block2d is not None:
                candidates["torchvision_forward"] = lambda: drop_block2d(
                    data, DROP_PROB, BLOCK, training=True
                )
            times = _rounds(candidates, repeats)
            row: dict[str, Any] = {"shape": tuple(shape)}
            row.update({f"{name}_ms": statistics.median(v) for name, v in times.items()})
            row["ratio_train"] = _paired_ratio(times, "dropblock_train", "dropout_train")
            row["ratio_forward"] = _paired_ratio(times, "dropblock_forward", "dropout_forward")
            row["torchvision"] = torchvision_status
            row["ratio_vs_torchvision"] = (
                _paired_ratio(times, "dropblock_forward", "torchvision_forward")
                if "torchvision_forward" in times
                else None
            )
            rows.append(row)
    finally:
        torch.set_num_threads(previous_threads)
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    def fmt(value: float | None, spec: str) -> str:
        return "n/a" if value is None else format(value, spec)

    lines = [
        f"{'shape':<18} {'train ms':>9} {'Dropout':>9} {'ratio':>6} {'fwd ms':>8} "
        f"{'F.dropout':>9} {'ratio':>6} {'torchvision':>11} {'ratio':>6}"
    ]
    for row in rows:
        shape = "x".join(map(str, row["shape"]))
        lines.append(
            f"{shape:<18} {row['dropblock_train_ms']:>9.1f} {row['dropout_train_ms']:>9.1f} "
            f"{row['ratio_train']:>6.2f} {row['dropblock_forward_ms']:>8.1f} "
            f"{row['dropout_forward_ms']:>9.1f} {row['ratio_forward']:>6.2f} "
            f"{fmt(row.get('torchvision_forward_ms'), '.1f'):>11} "
            f"{fmt(row['ratio_vs_torchvision'], '.3f'):>6}"
        )
    lines.append(f"torchvision: {rows[0]['torchvision']}; torch {torch.__version__}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(_table(run(SHAPES, repeats=9)))
