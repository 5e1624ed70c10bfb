"""``dropblock-core``: the command line.

Subcommands: ``gamma`` (gamma and expected drop rates as a table), ``masks``
(a PNG of sample masks), ``bench`` (the benchmark, printing ratios),
``validate`` (the conformance validator; exit codes in its ``--help``).

Every subcommand exits 0 on success, 1 when ``validate`` finds an
implementation failing its spec, and 2 with a one-line message on a usage
error (a bad option or value, a path it cannot write): never a traceback.
Tables need ``rich`` (a dependency); the PNG figures need ``matplotlib`` (the
``cli`` extra): without it ``masks`` prints the masks as text and
``validate`` writes its report without figures, saying so.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from .gamma import exact_gamma, expected_drop_rate, paper_gamma

__all__ = [
    "ArgumentParser",
    "build_parser",
    "gamma_rows",
    "has_matplotlib",
    "main",
    "non_negative_int",
    "numbers_table",
    "positive_int",
]

EXIT_USAGE = 2
MAX_PICTURE_UNITS = 1 << 20  # units of one map drawn by ``masks`` (e.g. 1024x1024)
MAX_SAMPLES = 64  # masks drawn by ``masks``
FIGURES_NOTE = "matplotlib is not installed (pip install 'dropblock-core[cli]')"


class ArgumentParser(argparse.ArgumentParser):
    """An ``argparse`` parser whose usage errors are one line on stderr (exit 2).

    >>> ArgumentParser(prog="demo").format_usage().strip()
    'usage: demo [-h]'
    """

    def error(self, message: str) -> NoReturn:
        text = " ".join(message.split())
        self.exit(EXIT_USAGE, f"{self.prog}: error: {text} (see {self.prog} --help)\n")


def _int(text: str, lowest: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if value < lowest:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An ``argparse`` type: an int >= 1.

    >>> positive_int("3")
    3
    """
    return _int(text, 1, "a positive int")


def non_negative_int(text: str) -> int:
    """An ``argparse`` type: an int >= 0."""
    return _int(text, 0, "a non-negative int")


def has_matplotlib() -> bool:
    """Whether the figures can be drawn (``matplotlib``, the ``cli`` extra)."""
    return importlib.util.find_spec("matplotlib") is not None


def numbers_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> Any:
    """A ``rich`` table of numbers: every column right-aligned.

    Parameters
    ----------
    title : str
        The table's title.
    columns : sequence of str
        The column headers.
    rows : iterable of sequence of str
        The rows, each one formatted cell per column.

    Returns
    -------
    rich.table.Table
        The table, to print with a ``rich`` console.

    Examples
    --------
    >>> numbers_table("squares", ("n", "n**2"), [("2", "4"), ("3", "9")]).row_count
    2
    """
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*row)
    return table


def _positive_ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.replace("x", ",").split(",") if v)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected ints like 14,14 or 14x14, got {text!r}"
        ) from exc
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive ints, got {text!r}")
    return values


def _samples(text: str) -> int:
    value = positive_int(text)
    if value > MAX_SAMPLES:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_SAMPLES} masks, got {text!r}")
    return value


def _block(text: str) -> int | tuple[int, ...]:
    values = _positive_ints(text)
    return values[0] if len(values) == 1 else values


def gamma_rows(
    spatial: tuple[int, ...], block: int | tuple[int, ...], drops: Sequence[float], region: str
) -> list[dict[str, float]]:
    """One row per drop rate: paper gamma, exact gamma and their expected drop rates.

    >>> row = gamma_rows((14, 14), 7, [0.1], "valid")[0]
    >>> round(row["paper_rate"], 4), round(row["exact_rate"], 4)
    (0.0929, 0.1)
    """
    rows = []
    for drop in drops:
        paper = paper_gamma(drop, block, spatial)
        exact = exact_gamma(drop, block, spatial, seed_region=region)
        rows.append(
            {
                "drop_prob": drop,
                "paper_gamma": paper,
                "paper_rate": expected_drop_rate(paper, block, spatial, seed_region=region),
                "exact_gamma": exact,
                "exact_rate": expected_drop_rate(exact, block, spatial, seed_region=region),
            }
        )
    return rows


def _cmd_gamma(args: argparse.Namespace) -> int:
    from rich.console import Console

    shape = "x".join(map(str, args.shape))
    table = numbers_table(
        f"DropBlock gamma: map {shape}, block {args.block}, seed region {args.seed_region!r}",
        ("drop_prob", "paper γ", "drop with paper γ", "exact γ", "drop with exact γ"),
        (
            (
                f"{r['drop_prob']:.4g}",
                f"{r['paper_gamma']:.6g}",
                f"{r['paper_rate']:.4f}",
                f"{r['exact_gamma']:.6g}",
                f"{r['exact_rate']:.4f}",
            )
            for r in gamma_rows(args.shape, args.block, args.drop, args.seed_region)
        ),
    )
    Console(width=120).print(table)
    return 0


def _cmd_masks(args: argparse.Namespace) -> int:
    from .masks import sample_mask

    if len(args.shape) != 2:
        raise ValueError("--shape must be 2-D (H,W) for a picture")
    if args.shape[0] * args.shape[1] > MAX_PICTURE_UNITS:
        raise ValueError(
            f"--shape {args.shape[0]}x{args.shape[1]} is too large for a picture "
            f"(at most {MAX_PICTURE_UNITS} units)"
        )
    mask = sample_mask(
        (args.samples, 1, *args.shape),
        args.drop,
        args.block,
        gamma=args.gamma,
        seed_region=args.seed_region,
        seed=args.seed,
    )
    title = (
        f"DropBlock masks {'x'.join(map(str, args.shape))}, block {args.block}, "
        f"drop {args.drop}, gamma {args.gamma}, {args.seed_region}"
    )
    if not has_matplotlib():
        print(f"{title} ('#' = dropped):")
        for i in range(args.samples):
            print(f"\nmask {i}: dropped {1 - mask[i, 0].mean():.3f}")
            for row in mask[i, 0]:
                print("".join("." if kept else "#" for kept in row))
        print(f"\nno PNG written: {FIGURES_NOTE}", file=sys.stderr)
        return 0
    _write_masks_png(mask, args.out, title)
    print(f"wrote {args.out} ({args.samples} masks, black = dropped)")
    return 0


def _write_masks_png(mask: np.ndarray, out: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples = len(mask)
    cols = min(samples, 4)
    rows = -(-samples // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.8 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= samples:
            ax.axis("off")
        else:
            m = mask[i, 0]
            ax.imshow(np.where(m, 1.0, 0.0), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_title(f"dropped {1 - m.mean():.3f}", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=100)
    except OSError as exc:
        raise ValueError(f"--out: cannot write {str(out)!r}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)


def _cmd_validate(args: argparse.Namespace) -> int:
    from .conformance.command import command

    return command(args, args.argv)


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="dropblock-core", description="Reference DropBlock: gamma, masks, validation."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--shape", type=_positive_ints, default=(14, 14), help="spatial shape, e.g. 14,14"
        )
        p.add_argument("--block", type=_block, default=7, help="block size, e.g. 7 or 3,5")
        p.add_argument("--seed-region", choices=("valid", "full"), default="valid")

    g = sub.add_parser("gamma", help="paper and exact gamma with their expected drop rates")
    common(g)
    g.add_argument("--drop", type=float, nargs="+", default=[0.05, 0.1, 0.2, 0.3])
    g.set_defaults(func=_cmd_gamma)

    m = sub.add_parser("masks", help="write a PNG of sample masks")
    common(m)
    m.add_argument("--drop", type=float, default=0.1)
    m.add_argument("--gamma", choices=("exact", "paper"), default="exact")
    m.add_argument(
        "--samples", type=_samples, default=8, help=f"masks to draw (1 to {MAX_SAMPLES})"
    )
    m.add_argument("--seed", type=non_negative_int, default=0)
    m.add_argument("--out", type=Path, default=Path("masks.png"), help="the PNG to write")
    m.set_defaults(func=_cmd_masks)

    sub.add_parser("bench", help="time dropblock against dropout (see: bench --help)")

    from .conformance.command import add_arguments

    v = sub.add_parser(
        "validate", help="check DropBlock implementations against their claimed spec"
    )
    add_arguments(v)
    v.set_defaults(func=_cmd_validate)
    return parser


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dropblock-core`` console script: returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:  # the benchmark has its own options
        from .benchmark import main as bench_main

        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    args.argv = argv
    prefix = f"dropblock-core {args.command}: error:"
    try:
        return int(args.func(args))
    except (ValueError, TypeError, OverflowError) as exc:
        print(f"{prefix} {_one_line(exc)}", file=sys.stderr)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        print(f"{prefix} {exc.strerror or _one_line(exc)}{where}", file=sys.stderr)
    except MemoryError as exc:
        print(f"{prefix} out of memory ({_one_line(exc)})", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
