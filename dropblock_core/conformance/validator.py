"""``validate``: run every check on an implementation and collect a :class:`Report`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from .budget import Budget, resolve_budget
from .check import Check, Context
from .implementation import Forward, Gradient, Implementation, as_implementation
from .probe import Probe, describe_error
from .registry import select
from .report import Report
from .result import CheckResult, Status
from .spec import Spec, resolve_spec

__all__ = ["MAX_SEED", "Step", "plan", "validate"]

MAX_SEED = 2**32  # step i reseeds the implementation with seed * 1000 + i

Progress = Callable[[int, int, str], None]


class Step(NamedTuple):
    """One call of a check's function: a case, or (``review=True``) its review."""

    check: Check[Any]
    case: Any = None
    review: bool = False

    def __call__(self, ctx: Context) -> CheckResult:
        if self.review:
            assert self.check.review is not None
            return self.check.review(ctx)
        return self.check.run(ctx, self.case)


def plan(ndim: int, checks: Sequence[Check[Any]] | None = None) -> list[Step]:
    """Every step of a run on an implementation of spatial rank ``ndim``, in
    order: the cases of each check (all registered ones by default), then
    their reviews, which thus judge every call made by every case.

    >>> steps = plan(2)
    >>> steps[0].check.name, steps[-1].check.name, steps[-1].review
    ('drop rate', 'edge cases', True)
    """
    checks = select(None) if checks is None else checks
    steps = [Step(check, case) for check in checks for case in check.cases(ndim)]
    return steps + [Step(check, review=True) for check in checks if check.review is not None]


def validate(
    fn: Forward | Implementation,
    *,
    spec: str | Spec = "paper",
    gamma: str | None = None,
    seed_region: str | None = None,
    share_channels: bool | None = None,
    share_batch: bool | None = None,
    normalize: str | None = None,
    ndim: int = 2,
    channels_last: bool | None = None,
    fn_eval: Forward | None = None,
    grad_fn: Gradient | None = None,
    reseed: Callable[[int], None] | None = None,
    checks: Iterable[str] | None = None,
    budget: str | Budget = "full",
    seed: int = 0,
    name: str | None = None,
    progress: Progress | None = None,
) -> Report:
    """Check a DropBlock implementation against the spec it claims.

    ``fn(x, drop_prob, block_size) -> y`` takes and returns NumPy arrays of
    shape ``(batch, channels, *spatial)`` (``(batch, *spatial, channels)``
    with ``channels_last=True``) and draws its own randomness; framework code
    is wrapped by :func:`wrap_torch`, :func:`wrap_tf`, :func:`wrap_jax`...
    which also supply the eval and gradient functions.

    Every check is reseeded from ``seed``, so a report is reproducible when
    ``fn``'s randomness follows ``reseed``. Whatever ``fn`` does (raising,
    returning something unreadable) is reported as a failed or unsupported
    case, never raised.

    Parameters
    ----------
    fn : callable or Implementation
        ``fn(x, drop_prob, block_size) -> y`` in training mode, or an
        :class:`Implementation` (what the wrappers return).
    spec : {"paper", "exact"} or Spec, default "paper"
        The convention ``fn`` claims; the next five parameters override its
        fields.
    gamma : {"paper", "exact", "naive"}, optional
        The seed probability rule, if not the spec's.
    seed_region : {"valid", "full"}, optional
        Where blocks may be seeded, if not the spec's.
    share_channels : bool, optional
        One mask for all channels, if not the spec's.
    share_batch : bool, optional
        One mask for the whole batch, if not the spec's.
    normalize : {"global", "per_sample", "expected", "none"}, optional
        The rescale rule, if not the spec's.
    ndim : {1, 2, 3}, default 2
        The spatial rank ``fn`` is built for: its cases must work; other
        ranks and even blocks are tried and reported as unsupported when
        they raise.
    channels_last : bool, optional
        ``x`` is ``(batch, *spatial, channels)``; default: the
        implementation's own (``False`` for a plain function).
    fn_eval : callable, optional
        ``fn`` in inference mode (the identity check is skipped without it).
    grad_fn : callable, optional
        ``grad_fn(x, drop_prob, block_size, cotangent) -> (y, x_grad)`` (the
        gradient check is skipped without it).
    reseed : callable, optional
        ``reseed(seed)`` seeds ``fn``'s generator (default: the global
        generators of Python, NumPy and, if imported, torch and TensorFlow).
    checks : iterable of str, optional
        A subset of the registered check names (all by default).
    budget : {"full", "quick"} or Budget, default "full"
        The sample sizes.
    seed : int, default 0
        In [0, 2**32): seeds every check.
    name : str, optional
        The report's title (default: ``fn``'s qualified name).
    progress : callable, optional
        ``progress(done, total, check_name)``, called before each step and
        once at the end.

    Returns
    -------
    Report
        One result per case of every selected check.

    Raises
    ------
    ValueError
        If ``ndim`` is not 1, 2 or 3, ``seed`` is out of range, a check name
        is unknown, or ``spec``/``budget``/an override is not one of its
        choices.
    TypeError
        If ``fn``, ``fn_eval``, ``grad_fn``, ``reseed`` or ``progress`` is not
        callable, ``checks`` is not a list of names, or ``seed``, ``name`` or
        an override has the wrong type.

    Examples
    --------
    >>> import dropblock_core as db
    >>> report = db.validate(lambda x, p, b: db.dropblock(x, p, b, gamma="paper"),
    ...                      checks=["rescale"], budget="quick")
    >>> report.passed, report.results[0].explanation
    (True, 'claimed global, kept values match: global')
    """
    impl = as_implementation(
        fn, fn_eval=fn_eval, grad_fn=grad_fn, reseed=reseed, channels_last=channels_last
    )
    claimed = resolve_spec(
        spec,
        gamma=gamma,
        seed_region=seed_region,
        share_channels=share_channels,
        share_batch=share_batch,
        normalize=normalize,
    )
    if isinstance(ndim, bool) or not isinstance(ndim, int) or ndim not in (1, 2, 3):
        raise ValueError(f"ndim must be 1, 2 or 3, got {ndim!r}")
    if checks is not None:
        if isinstance(checks, str) or not isinstance(checks, Iterable):
            raise TypeError(f"checks must be a list of check names or None, got {checks!r}")
        checks = list(checks)
        if not all(isinstance(c, str) for c in checks):
            raise TypeError(f"checks must be a list of check names or None, got {checks!r}")
    selected = select(checks)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int in [0, 2**32), got {seed!r}")
    if not 0 <= seed < MAX_SEED:
        raise ValueError(f"seed must be in [0, 2**32), got {seed!r}")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str or None, got {name!r}")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable or None, got {progress!r}")
    sizes = _sizes(resolve_budget(budget), selected)
    probe = Probe(impl, seed)
    steps = plan(ndim, selected)
    start = time.perf_counter()
    results = []
    for i, step in enumerate(steps):
        if progress is not None:
            progress(i, len(steps), step.check.name)
        probe.rng = np.random.default_rng([seed, i])
        ctx = Context(probe, claimed, ndim, step.check.name, sizes[step.check.name])
        results.append(_run_step(step, ctx, seed * 1000 + i))
    if progress is not None:
        progress(len(steps), len(steps), "done")
    label = name or getattr(fn, "__qualname__", None) or type(fn).__name__
    return Report(label, claimed, results, time.perf_counter() - start, ndim=ndim)


def _sizes(budget: Budget, checks: Sequence[Check[Any]]) -> dict[str, dict[str, int]]:
    """Each check's sample sizes; a budget sizing a check that does not exist
    is a mistake (a typo would silently keep the base sizes)."""
    unknown = set(budget.sizes) - {c.name for c in select(None)}
    if unknown:
        raise ValueError(f"budget {budget.name!r} sizes unknown checks {sorted(unknown)}")
    return {c.name: budget.sizes_of(c) for c in checks}


def _run_step(step: Step, ctx: Context, seed: int) -> CheckResult:
    """One step; whatever the implementation does to it (its ``reseed``
    raising, an output no check can read) is a failed check, never a crash."""
    try:
        ctx.probe.impl.reseed(seed)
        return step(ctx)
    except Exception as exc:
        return ctx.result(
            "-", Status.FAIL, "raised", "a result", f"could not be checked: {describe_error(exc)}"
        )
