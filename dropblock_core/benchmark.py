"""Benchmark of the NumPy core: ratios measured in one process.

``dropblock-core bench`` (or ``python benchmarks/run.py``) times
:func:`dropblock` (per-channel masks, drop 0.1, block 7) against NumPy dropout
``x * (rng.random(x.shape, dtype=float32) >= p) / (1 - p)`` and a plain
``x * s`` on the four ResNet-50 shapes, in both seed streams; checks that the
cost does not grow with the block size; measures the extra memory per
element beyond the output (``tracemalloc``; NumPy reports its buffers to it);
and the cost of ``import dropblock_core`` against ``import numpy``
(``python -X importtime``, both in fresh interpreters of this environment).
Wall-clock numbers are noisy: read the ratios, which share one process.
"""

from __future__ import annotations

import functools
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .apply import dropblock

__all__ = [
    "RESNET_SHAPES",
    "block_size_rows",
    "import_times",
    "main",
    "memory_rows",
    "median_ms",
    "speed_rows",
    "torch_rows",
]

RESNET_SHAPES: tuple[tuple[int, int, int, int], ...] = (
    (32, 256, 56, 56),
    (32, 512, 28, 28),
    (32, 1024, 14, 14),
    (32, 2048, 7, 7),
)


def median_ms(fn: Callable[[], Any], repeats: int) -> float:
    """Median wall time of ``fn()`` in milliseconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def speed_rows(
    shapes: Sequence[tuple[int, ...]], repeats: int, drop: float = 0.1, block: int = 7
) -> list[dict[str, Any]]:
    """Times of dropblock (counter and native streams), dropout and ``x * s``."""
    rng = np.random.default_rng(0)
    rows = []
    for shape in shapes:
        x = rng.standard_normal(shape, dtype=np.float32)
        scale = np.float32(1.0 / (1.0 - drop))
        step = iter(range(10**9))
        row: dict[str, Any] = {"shape": shape}
        row["dropout_ms"] = median_ms(
            lambda: x * (rng.random(x.shape, dtype=np.float32) >= drop) * scale, repeats
        )
        row["scale_ms"] = median_ms(lambda: x * scale, repeats)
        row["native_ms"] = median_ms(lambda: dropblock(x, drop, block), repeats)
        row["counter_ms"] = median_ms(
            lambda: dropblock(x, drop, block, seed=1, step=next(step)), repeats
        )
        row["native_vs_dropout"] = row["native_ms"] / row["dropout_ms"]
        row["counter_vs_dropout"] = row["counter_ms"] / row["dropout_ms"]
        row["counter_vs_native"] = row["counter_ms"] / row["native_ms"]
        rows.append(row)
    return rows


def block_size_rows(
    shape: tuple[int, ...], repeats: int, blocks: Sequence[int] = (3, 5, 7, 9, 11, 13, 15)
) -> list[dict[str, Any]]:
    """Time per block size, native and counter streams, relative to the fastest.

    Block sizes are timed round-robin, so drifts of a shared machine hit them alike.
    """
    x = np.random.default_rng(1).standard_normal(shape, dtype=np.float32)
    streams: tuple[tuple[str, dict[str, Any]], ...] = (("native", {}), ("counter", {"seed": 3}))
    calls: dict[tuple[int, str], Callable[[], Any]] = {
        (b, stream): functools.partial(dropblock, x, 0.1, b, **kw)
        for b in blocks
        for stream, kw in streams
    }
    times: dict[tuple[int, str], list[float]] = {key: [] for key in calls}
    for fn in calls.values():
        fn()  # warm-up (exact gamma is cached, pages are touched)
    for _ in range(repeats):
        for key, fn in calls.items():
            start = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - start)
    rows = [
        {
            f"{stream}_ms": 1e3 * statistics.median(times[(b, stream)])
            for stream in ("native", "counter")
        }
        | {"block": b}
        for b in blocks
    ]
    for stream in ("native", "counter"):
        fastest = min(r[f"{stream}_ms"] for r in rows)
        for r in rows:
            r[f"{stream}_vs_fastest"] = r[f"{stream}_ms"] / fastest
    return rows


def memory_rows(shapes: Sequence[tuple[int, ...]]) -> list[dict[str, Any]]:
    """Peak memory traced during dropblock beyond its output, per element."""
    rows = []
    for shape in shapes:
        x = np.random.default_rng(2).standard_normal(shape, dtype=np.float32)
        row: dict[str, Any] = {"shape": shape}
        streams: tuple[tuple[str, dict[str, Any]], ...] = (("native", {}), ("counter", {"seed": 5}))
        for stream, kwargs in streams:
            tracemalloc.start()
            tracemalloc.reset_peak()
            out = dropblock(x, 0.1, 7, **kwargs)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            row[f"{stream}_extra_bytes_per_element"] = (peak - out.nbytes) / x.size
            del out
        rows.append(row)
    return rows


def torch_rows(shapes: Sequence[tuple[int, ...]], repeats: int) -> list[dict[str, Any]]:
    """torch dropout and torchvision's drop_block2d, when installed (else empty)."""
    try:
        import torch
    except ImportError:
        return []
    try:
        from torchvision.ops import drop_block2d
    except Exception:  # torchvision absent or built for another torch
        drop_block2d = None
    rows = []
    for shape in shapes:
        t = torch.randn(shape)
        row: dict[str, Any] = {"shape": shape}
        row["torch_dropout_ms"] = median_ms(
            lambda: torch.nn.functional.dropout(t, 0.1, training=True), repeats
        )
        if drop_block2d is not None:
            row["torchvision_ms"] = median_ms(lambda: drop_block2d(t, 0.1, 7), repeats)
        rows.append(row)
    return rows


def _cumulative_import_us(statement: str, modules: Sequence[str]) -> dict[str, int]:
    """Cumulative ``-X importtime`` microseconds of ``modules`` when a fresh
    interpreter runs ``statement`` (0 for a module it did not import)."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    found = dict.fromkeys(modules, 0)
    for line in run.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        _, cumulative, name = (part.strip() for part in line.split("|"))
        if name in found and cumulative.isdigit():
            found[name] = int(cumulative)
    return found


def import_times(repeats: int = 5) -> dict[str, float]:
    """Median cumulative import times in ms (``python -X importtime``, fresh
    interpreters, alternating): ``numpy`` alone; ``dropblock_core`` (NumPy
    included) and its ``array_api_compat`` share; ``array_api_compat.numpy``,
    which the first call on NumPy arrays loads. ``ratio`` = core / numpy.
    """
    names = ("numpy", "dropblock_core", "array_api_compat", "array_api_compat.numpy")
    samples: dict[str, list[int]] = {name: [] for name in names}
    _cumulative_import_us("import dropblock_core", names)  # warm-up: writes bytecode caches
    for _ in range(repeats):
        samples["numpy"].append(_cumulative_import_us("import numpy", ["numpy"])["numpy"])
        core = _cumulative_import_us("import dropblock_core", names[1:3])
        samples["dropblock_core"].append(core["dropblock_core"])
        samples["array_api_compat"].append(core["array_api_compat"])
        first_call = _cumulative_import_us(
            "import dropblock_core, array_api_compat.numpy", ["array_api_compat.numpy"]
        )
        samples["array_api_compat.numpy"].append(first_call["array_api_compat.numpy"])
    out = {name: statistics.median(v) / 1e3 for name, v in samples.items()}
    out["ratio"] = out["dropblock_core"] / out["numpy"]
    return out


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def _import_table(repeats: int) -> Any:
    from .cli import numbers_table

    t = import_times(repeats)
    return numbers_table(
        f"import cost: python -X importtime, cumulative, median of {repeats} fresh runs",
        (
            "import numpy",
            "import dropblock_core",
            "core / numpy",
            "of which array_api_compat",
            "array_api_compat.numpy (first call)",
        ),
        [
            (
                f"{t['numpy']:.1f} ms",
                f"{t['dropblock_core']:.1f} ms",
                f"{t['ratio']:.2f}",
                f"{t['array_api_compat']:.1f} ms",
                f"{t['array_api_compat.numpy']:.1f} ms",
            )
        ],
    )


def _speed_cells(r: dict[str, Any], t: dict[str, Any]) -> tuple[str, ...]:
    """One row of the speed table: the core's timings and torch's (``t``, empty
    when torch is not measured)."""
    tv = t.get("torchvision_ms")
    return (
        _fmt_shape(r["shape"]),
        f"{r['scale_ms']:.1f}",
        f"{r['dropout_ms']:.1f}",
        f"{r['native_ms']:.1f}",
        f"{r['counter_ms']:.1f}",
        f"{r['native_vs_dropout']:.2f}",
        f"{r['counter_vs_dropout']:.2f}",
        f"{r['counter_vs_native']:.2f}",
        f"{t['torch_dropout_ms']:.1f}" if t else "not installed",
        f"{tv:.1f}" if tv is not None else "not installed",
        f"{tv / r['native_ms']:.1f}" if tv is not None else "-",
    )


def main(argv: Sequence[str] | None = None) -> int:
    from .cli import ArgumentParser, numbers_table, positive_int

    parser = ArgumentParser(prog="dropblock-core bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=positive_int, default=7, help="timed calls per case")
    parser.add_argument("--quick", action="store_true", help="small shapes, for a smoke run")
    parser.add_argument("--no-torch", action="store_true", help="skip torch / torchvision timings")
    parser.add_argument("--imports-only", action="store_true", help="only the import-time table")
    args = parser.parse_args(argv)
    shapes = (
        [(2, s[1] // 16, s[2], s[3]) for s in RESNET_SHAPES] if args.quick else list(RESNET_SHAPES)
    )
    from rich.console import Console

    console = Console(width=140)
    console.print(_import_table(min(args.repeats, 5) if args.quick else args.repeats))
    if args.imports_only:
        return 0
    speed = speed_rows(shapes, args.repeats)
    torch_by_shape = (
        {} if args.no_torch else {r["shape"]: r for r in torch_rows(shapes, args.repeats)}
    )
    console.print(
        numbers_table(
            "dropblock (NumPy core, drop 0.1, block 7, per-channel) vs dropout; median ms",
            (
                "shape",
                "x*s",
                "NumPy dropout",
                "native",
                "counter",
                "native/dropout",
                "counter/dropout",
                "counter/native",
                "torch dropout",
                "torchvision",
                "torchvision/native",
            ),
            (_speed_cells(r, torch_by_shape.get(r["shape"], {})) for r in speed),
        )
    )
    mid = shapes[1]
    console.print(
        numbers_table(
            f"cost vs block size at {_fmt_shape(mid)} (ratio to the fastest block size)",
            ("block", "native ms", "native ratio", "counter ms", "counter ratio"),
            (
                (
                    str(r["block"]),
                    f"{r['native_ms']:.1f}",
                    f"{r['native_vs_fastest']:.2f}",
                    f"{r['counter_ms']:.1f}",
                    f"{r['counter_vs_fastest']:.2f}",
                )
                for r in block_size_rows(mid, args.repeats)
            ),
        )
    )
    console.print(
        numbers_table(
            "extra memory beyond the output (tracemalloc peak), bytes per element",
            ("shape", "native", "counter"),
            (
                (
                    _fmt_shape(r["shape"]),
                    f"{r['native_extra_bytes_per_element']:.3f}",
                    f"{r['counter_extra_bytes_per_element']:.3f}",
                )
                for r in memory_rows(shapes)
            ),
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
