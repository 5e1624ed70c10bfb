"""``dropblock-core validate``: validate the built-in targets (or a user's),
print a summary, write the report folder and return the exit code."""

from __future__ import annotations

import argparse
import importlib
import json
import shlex
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import NORMALIZE_RULES, SEED_REGIONS
from ..cli import FIGURES_NOTE, has_matplotlib, non_negative_int
from .budget import BUDGETS, Budget
from .implementation import Implementation, as_implementation
from .page import write_page
from .probe import ImplementationError, Probe, Unsupported, describe_error
from .registry import check_names, select
from .report import Report
from .spec import SPEC_GAMMAS, SPECS, resolve_spec
from .summary import summary_table
from .targets import Target, available
from .validator import MAX_SEED, plan, validate

__all__ = ["EXIT_FAIL", "EXIT_OK", "EXIT_USAGE", "add_arguments", "command", "exit_code"]

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

EPILOG = """\
exit codes:
  0  every validated implementation passed every check of the spec it claims
     (unsupported inputs and skipped checks do not fail)
  1  at least one validated implementation failed its claimed spec (or none
     could be built); by default this includes installed third-party
     libraries (torchvision, timm, PyPI dropblock, keras-cv): use
     --reference-only to validate the reference alone. The report is written.
  2  usage error, nothing validated: bad option or value, --target not
     importable, --only matching no installed target, --out or --json not
     writable (checked before any check runs)

targets: the reference in several modes and every installed third-party
implementation (missing ones are listed and skipped). --target MODULE:ATTR
validates your own callable instead, against --spec and the overrides.
"""

# The figures show the reference's two main modes and every third-party target.
_FIGURE_MODES = {"dropblock_core paper", "dropblock_core exact"}


def _in_figures(target: Target) -> bool:
    return target.ndim == 2 and (target.third_party or target.name in _FIGURE_MODES)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``dropblock-core validate``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    add = parser.add_argument
    add(
        "--out",
        type=Path,
        default=Path("report"),
        help="report folder: conformance.md and img/conformance/*.png (default: report); "
        "figures need matplotlib",
    )
    add("--json", type=Path, help="also write every result as JSON to this file")
    add("--reference-only", action="store_true", help="validate only the reference's modes")
    add(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="validate only the targets whose name contains TEXT (repeatable)",
    )
    add("--list", action="store_true", help="list the built-in targets and exit")
    add(
        "--target",
        metavar="MODULE:ATTR",
        help="validate your own fn(x, drop_prob, block_size) or wrapped Implementation",
    )
    add("--spec", choices=sorted(SPECS), default="paper", help="the spec --target claims")
    add("--gamma", choices=SPEC_GAMMAS, help="--target: override the gamma rule")
    add("--seed-region", choices=SEED_REGIONS, help="--target: override the seed region")
    add("--share-channels", action=argparse.BooleanOptionalAction, help="--target: override")
    add("--share-batch", action=argparse.BooleanOptionalAction, help="--target: override")
    add(
        "--normalize",
        choices=NORMALIZE_RULES,
        help="--target: override the rescale rule",
    )
    add("--channels-last", action="store_true", help="--target takes (batch, *spatial, channels)")
    add("--ndim", type=int, choices=(1, 2, 3), default=2, help="--target: its spatial rank")
    names = check_names()
    add(
        "--checks",
        nargs="+",
        choices=names,
        metavar="CHECK",
        help="run only these checks: " + ", ".join(repr(n) for n in names),
    )
    add("--quick", action="store_true", help="smaller samples: looser bounds, faster")
    add("--seed", type=_seed, default=0, help="seed of every check (default 0)")


def _seed(text: str) -> int:
    value = non_negative_int(text)
    if value >= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected a seed below 2**32, got {text!r}")
    return value


def exit_code(reports: Sequence[Report]) -> int:
    """``EXIT_OK`` when every report passed, else ``EXIT_FAIL`` (also when
    there is no report: nothing was validated).

    >>> exit_code([])
    1
    """
    return EXIT_OK if reports and all(r.passed for r in reports) else EXIT_FAIL


def _load(text: str) -> Any:
    """The object named ``module:attr``."""
    module_name, _, attr = text.partition(":")
    if not module_name or not attr:
        raise ValueError(f"--target must look like module:function, got {text!r}")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"--target: cannot import {module_name!r}: {exc}") from exc
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"--target: {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"--target: {text!r} is not callable")
    return obj


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = ("gamma", "seed_region", "share_channels", "share_batch", "normalize")
    return {name: getattr(args, name) for name in names}


def _selected(args: argparse.Namespace) -> tuple[list[Target], list[str]]:
    """What to validate, and a line for each selected target that is not installed."""
    if args.target:
        if args.only or args.reference_only:
            raise ValueError("--only and --reference-only select built-in targets, not --target")
        impl = as_implementation(_load(args.target), channels_last=args.channels_last or None)
        spec = resolve_spec(args.spec, **_overrides(args))
        return [Target(args.target, spec, lambda: impl, ndim=args.ndim)], []
    if any(v is not None for v in _overrides(args).values()) or args.channels_last:
        raise ValueError("spec overrides and --channels-last apply to --target only")
    ready, missing = available(reference_only=args.reference_only)

    def chosen(t: Target) -> bool:
        return not args.only or any(text in t.name for text in args.only)

    # Targets run in TARGETS order: the torch-based ones first, because
    # torchvision 0.29.1 segfaults when imported after TensorFlow 2.21.
    targets = [t for t in ready if chosen(t)]
    lines = [f"{t.name} (needs {', '.join(m)})" for t, m in missing if chosen(t)]
    if not targets:
        wanted = " ".join(f"--only {text!r}" for text in args.only)
        if lines:
            raise ValueError(
                f"{wanted} matches only targets that are not installed: " + "; ".join(lines)
            )
        names = ", ".join(repr(t.name) for t in ready)
        raise ValueError(f"no installed target matches {wanted}; installed targets: {names}")
    return targets, lines


def _list(args: argparse.Namespace) -> int:
    ready, missing = available(reference_only=args.reference_only)
    for t in ready:
        print(f"ready    {t.name}  (claims {t.claims.name}: {t.claims.describe()})")
    for t, m in missing:
        print(f"missing  {t.name}  (needs {', '.join(m)})")
    return EXIT_OK


def _example_masks(impl: Implementation, seed: int) -> np.ndarray | str:
    """Six dropped sets on a 14x21 map, block 5, drop 0.2 (not square, on
    purpose), or why there are none (the implementation raised, returned
    something else...: its checks have already failed and say so)."""
    probe = Probe(impl, seed)
    try:
        impl.reseed(seed)
        y = probe.call(probe.input((6, 1, 14, 21)), 0.2, 5)
        return np.asarray(y[:, 0] == 0, dtype=bool)
    except (ImplementationError, Unsupported) as exc:
        return str(exc)
    except Exception as exc:  # the implementation under test (its reseed), not the validator
        return describe_error(exc)


def _validate_all(
    targets: Sequence[Target], checks: Sequence[str], budget: Budget, seed: int, console: Any
) -> tuple[list[Report], dict[str, np.ndarray], list[str]]:
    """Validate every target under a progress bar; broken installs are skipped."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    def steps(ndim: int) -> int:
        return len(plan(ndim, select(checks)))

    reports: list[Report] = []
    examples: dict[str, np.ndarray] = {}
    broken: list[str] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("validating", total=sum(steps(t.ndim) for t in targets))
        for target in targets:
            done = progress.tasks[0].completed
            try:
                impl = target.build()
            except Exception as exc:  # installed but broken, e.g. a torch/torchvision mismatch
                broken.append(f"{target.name} (import failed: {exc})")
                progress.update(task, completed=done + steps(target.ndim))
                continue

            def show(i: int, n: int, check: str, name: str = target.name, at: float = done) -> None:
                progress.update(task, completed=at + i, description=f"{name}: {check}")

            report = validate(
                impl,
                spec=target.claims,
                ndim=target.ndim,
                checks=checks,
                budget=BUDGETS[target.budget] if target.budget else budget,
                seed=seed,
                name=target.name,
                progress=show,
            )
            report.note = target.source
            reports.append(report)
            if _in_figures(target):
                example = _example_masks(impl, seed)
                if isinstance(example, str):
                    report.note = f"{report.note} No example masks: {example}.".strip()
                else:
                    examples[target.name] = example
    return reports, examples, broken


def _print_summary(console: Any, reports: Sequence[Report], title: str) -> None:
    console.print(summary_table(reports, title))
    for report in reports:
        for r in report.failures:
            console.print(f"[red]FAIL[/] {report.target} | {r.check} {r.case}: {r.explanation}")


def command(args: argparse.Namespace, argv: Sequence[str] | None = None) -> int:
    """Run ``dropblock-core validate`` and return its exit code; ``argv``
    (from ``validate`` on) is quoted in the report as the command to rerun."""
    from rich.console import Console

    if args.list:
        return _list(args)
    targets, missing = _selected(args)
    _check_writable(args.out, args.json)
    console = Console(width=140)
    budget = BUDGETS["quick" if args.quick else "full"]
    checks = list(args.checks or check_names())
    start = time.perf_counter()
    reports, examples, broken = _validate_all(targets, checks, budget, args.seed, console)
    seconds = time.perf_counter() - start
    _print_summary(
        console, reports, f"DropBlock conformance ({budget.name} budget, {seconds:.0f} s)"
    )
    for line in missing + broken:
        console.print(f"[dim]not run: {line}[/]")
    command_line = shlex.join(["dropblock-core", *(argv or ["validate"])])
    figures = has_matplotlib()
    written = write_page(
        reports,
        examples,
        missing + broken,
        args.out,
        command_line,
        seconds,
        budget,
        figures=figures,
        figures_note=FIGURES_NOTE,
    )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        data = [r.to_dict() for r in reports]
        args.json.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        written.append(args.json)
    console.print("wrote " + ", ".join(str(p) for p in written))
    if not figures:
        console.print(f"figures skipped: {FIGURES_NOTE}")
    code = exit_code(reports)
    if not reports:
        verdict = "no implementation could be validated"
    elif code == EXIT_OK:
        verdict = "every implementation meets its claimed spec"
    else:
        verdict = "an implementation fails its claimed spec"
    console.print(f"exit code {code}: {verdict}")
    return code


def _check_writable(out: Path, json_path: Path | None) -> None:
    """Fail with a usage error before any check runs when the report folder or
    the JSON file cannot be written."""
    for option, folder in (
        ("--out", out),
        ("--json", None if json_path is None else json_path.parent),
    ):
        if folder is None:
            continue
        if option == "--json" and json_path is not None and json_path.is_dir():
            raise ValueError(f"--json: {str(json_path)!r} is a folder, not a file")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            raise ValueError(
                f"{option}: cannot write to {str(folder)!r}: {exc.strerror or exc}"
            ) from None
