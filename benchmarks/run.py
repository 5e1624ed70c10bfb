"""Run every benchmark in one process per suite and print the ratios.

    python benchmarks/run.py                 # core + every adapter suite
    python benchmarks/run.py --only core     # one suite: core, torch, tf, jax, keras
    python benchmarks/run.py --quick         # small shapes (smoke run)

The core suite is ``dropblock_core.benchmark`` (also ``dropblock-core bench``);
``suite_<framework>.py`` beside this file time each adapter against its
framework's own dropout. Times are medians; the ratios are what to read.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESNET_SHAPES = [(32, 256, 56, 56), (32, 512, 28, 28), (32, 1024, 14, 14), (32, 2048, 7, 7)]
ADAPTER_SUITES = ("torch", "tf", "jax", "keras")  # keras: one process per Keras backend


def _print_rows(title: str, rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    cells = []
    for row in rows:
        line = []
        for column in columns:
            value = row.get(column, "")
            if isinstance(value, float):
                value = f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
            elif isinstance(value, tuple):
                value = "x".join(map(str, value))
            line.append(str(value))
        cells.append(line)
    for i, column in enumerate(columns):  # values whole, long names wrapped
        width = max(len(line[i]) for line in cells)
        table.add_column(column, justify="right", overflow="fold", min_width=width)
    for line in cells:
        table.add_row(*line)
    Console(width=160).print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("core", *ADAPTER_SUITES))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    shapes = [(2, c // 16, h, w) for _, c, h, w in RESNET_SHAPES] if args.quick else RESNET_SHAPES
    if args.only in (None, "core"):
        core_args = ["--repeats", str(args.repeats)] + (["--quick"] if args.quick else [])
        subprocess.run([sys.executable, "-m", "dropblock_core.benchmark", *core_args], check=True)
    sys.path.insert(0, str(HERE))
    for name in ADAPTER_SUITES:
        if args.only not in (None, name):
            continue
        try:
            suite = importlib.import_module(f"suite_{name}")
        except ImportError as exc:  # the framework is not installed
            print(f"{name}: skipped ({exc})")
            continue
        _print_rows(
            f"{name} adapter vs its framework's dropout (median ms, ratios)",
            suite.run(shapes, args.repeats),
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
