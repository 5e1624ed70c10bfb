"""Speed of the torch adapter's forward against ``torch.nn.functional.dropout``
and, when it imports, ``torchvision.ops.drop_block2d``.

Per-channel masks, drop probability 0.1, block 7, a fresh random mask every
call (``seed=None``), float32 CPU tensors, torch's default thread count. Each
time is the median of ``repeats`` calls; the candidates take turns within a
repeat, so load on the machine hits them alike. Run
``python benchmarks/suite_torch.py`` for the table.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from dropblock_torch import dropblock

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


def _time_ms(fn: Callable[[], Any], times: list[float]) -> None:
    start = time.perf_counter()
    fn()
    times.append((time.perf_counter() - start) * 1e3)


def run(shapes: Sequence[tuple[int, ...]], repeats: int) -> list[dict[str, Any]]:
    """One row per shape: median forward times in ms and the ratios to the peers.

    >>> rows = run([(2, 8, 14, 14)], 3)
    >>> sorted(rows[0])[:3]
    ['dropblock_torch_ms', 'dropout_ms', 'ratio_vs_dropout']
    """
    drop_block2d, torchvision_status = torchvision_drop_block2d()
    rows = []
    for shape in shapes:
        x = torch.randn(shape)
        candidates: dict[str, Callable[[], Any]] = {
            "dropblock_torch": lambda: dropblock(x, DROP_PROB, BLOCK),
            "dropout": lambda: F.dropout(x, DROP_PROB, training=True),
        }
        if drop_block2d is not None:
            candidates["torchvision"] = lambda: drop_block2d(x, DROP_PROB, BLOCK, training=True)
        times: dict[str, list[float]] = {name: [] for name in candidates}
        for fn in candidates.values():  # warm-up
            fn()
        for _ in range(repeats):
            for name, fn in candidates.items():
                _time_ms(fn, times[name])
        ms = {name: statistics.median(values) for name, values in times.items()}
        row: dict[str, Any] = {
            "shape": tuple(shape),
            "dropblock_torch_ms": ms["dropblock_torch"],
            "dropout_ms": ms["dropout"],
            "ratio_vs_dropout": ms["dropblock_torch"] / ms["dropout"],
            "torchvision": torchvision_status,
            "torchvision_ms": ms.get("torchvision"),
            "ratio_vs_torchvision": (
                ms["dropblock_torch"] / ms["torchvision"] if "torchvision" in ms else None
            ),
        }
        rows.append(row)
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    def fmt(value: float | None, spec: str) -> str:
        return "n/a" if value is None else format(value, spec)

    lines = [
        f"{'shape':<20} {'adapter ms':>11} {'dropout ms':>11} {'ratio':>6} "
        f"{'torchvision ms':>15} {'ratio':>6}",
    ]
    for row in rows:
        shape = "x".join(map(str, row["shape"]))
        lines.append(
            f"{shape:<20} {row['dropblock_torch_ms']:>11.1f} {row['dropout_ms']:>11.1f} "
            f"{row['ratio_vs_dropout']:>6.2f} {fmt(row['torchvision_ms'], '.1f'):>15} "
            f"{fmt(row['ratio_vs_torchvision'], '.2f'):>6}"
        )
    lines.append(f"torchvision: {rows[0]['torchvision']}; torch threads: {torch.get_num_threads()}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(_table(run(SHAPES, repeats=7)))
