"""``validate``: run every check on an implementation and collect a :class:`Report`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np

from .budget import Budget, resolve_budget
from .checks import NAMES, Context, plan
from .implementation import Forward, Gradient, Implementation, as_implementation
from .probe import Probe
from .report import Report
from .spec import Spec, resolve_spec

__all__ = ["validate"]

Progress = Callable[[int, int, str], None]


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

    ``spec``: ``"paper"`` or ``"exact"`` (or a :class:`Spec`), with the
    overrides ``gamma``, ``seed_region``, ``share_channels``, ``share_batch``
    and ``normalize``. ``ndim``: the spatial rank the implementation is built
    for; its cases must work, other ranks and even blocks are tried and
    reported as unsupported when they raise. ``fn_eval``: ``fn`` in inference
    mode; ``grad_fn(x, drop_prob, block_size, cotangent) -> (y, x_grad)``;
    ``reseed(seed)``: seeds ``fn``'s generator (default: the global
    generators of Python, NumPy and, if imported, torch and TensorFlow).
    ``checks``: a subset of the check names; ``budget``: ``"full"`` or
    ``"quick"``. Every check is reseeded from ``seed``, so a report is
    reproducible when ``fn``'s randomness follows ``reseed``.

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
    if isinstance(ndim, bool) or ndim not in (1, 2, 3):
        raise ValueError(f"ndim must be 1, 2 or 3, got {ndim!r}")
    selected = set(NAMES if checks is None else checks)
    unknown = selected - set(NAMES)
    if unknown:
        raise ValueError(f"unknown checks {sorted(unknown)}; choose from {list(NAMES)}")
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    probe = Probe(impl, seed)
    ctx = Context(probe, claimed, resolve_budget(budget), ndim)
    steps = [(check, run) for check, run in plan(ndim) if check in selected]
    start = time.perf_counter()
    results = []
    for i, (check, run) in enumerate(steps):
        if progress is not None:
            progress(i, len(steps), check)
        impl.reseed(seed * 1000 + i)
        probe.rng = np.random.default_rng([seed, i])
        results.append(run(ctx))
    if progress is not None:
        progress(len(steps), len(steps), "done")
    label = name or getattr(fn, "__qualname__", None) or type(fn).__name__
    return Report(label, claimed, results, time.perf_counter() - start, ndim=ndim)
