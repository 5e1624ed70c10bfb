"""Test helpers for DropBlock implementations, as ``numpy.testing`` is for array code.

* :func:`assert_conforms` runs the conformance validator on your function and
  raises an ``AssertionError`` that lists every failed check with its numbers,
  one line each.
* :func:`dropblock_cases` (and its parts :func:`spatial_shapes`,
  :func:`block_sizes`, :func:`drop_probs`, :func:`layouts`) are hypothesis
  strategies drawing valid DropBlock configurations; :func:`assert_drop_rate`
  holds your function's achieved drop rate on one of them to
  :func:`dropblock_core.expected_drop_rate` under the spec it claims.

Your function is ``fn(x, drop_prob, block_size) -> y`` on NumPy arrays, in
training mode, drawing its own randomness (as for :func:`dropblock_core.validate`).
The strategies need ``hypothesis`` (``python -m pip install ".[testing]"``),
which only the strategy functions import.

>>> import dropblock_core as db
>>> report = assert_conforms(lambda x, p, b: db.dropblock(x, p, b, gamma="paper"),
...                          checks=["rescale"])
>>> report.passed
True
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._validation import check_drop_prob, clip_block, normalize_block_size
from .gamma import seed_grid_shape, seed_offset

__all__ = [
    "DropBlockCase",
    "assert_conforms",
    "assert_drop_rate",
    "block_sizes",
    "drop_probs",
    "dropblock_cases",
    "layouts",
    "spatial_shapes",
]

Forward = Callable[[np.ndarray, float, Any], Any]
MIN_EXPECTED_SEEDS = 50  # seeds expected over all calls, for the normal approximation
MAX_PAIRS = 1 << 25  # unit pairs the exact variance may visit


def assert_conforms(fn: Any, *, spec: Any = "paper", budget: Any = "quick", **options: Any) -> Any:
    """Validate ``fn`` against ``spec`` and raise ``AssertionError`` if any check fails.

    ``options`` are those of :func:`dropblock_core.validate` (``ndim``,
    ``checks``, ``fn_eval``, ``grad_fn``, ``seed``, spec overrides such as
    ``seed_region="full"``...). The message names the implementation and the
    spec, then gives one line per failed case: the check, the case, what was
    measured, the bound and the explanation. Returns the
    :class:`~dropblock_core.Report` when everything passed.

    >>> def doubles(x, p, b):
    ...     return 2 * x
    >>> assert_conforms(doubles, checks=["rescale"])
    Traceback (most recent call last):
    ...
    AssertionError: doubles does not conform to spec 'paper' ...: 1 of 1 checks failed
      rescale 12x12 b=3 p=0.2: measured ...
    """
    from .conformance import validate

    report = validate(fn, spec=spec, budget=budget, **options)
    if report.passed:
        return report
    lines = [
        f"{report.target} does not conform to spec {report.spec.name!r} "
        f"({report.spec.describe()}): {len(report.failures)} of {len(report.results)} "
        "checks failed"
    ]
    for r in report.failures:
        text = f"{r.check} {r.case}: measured {r.measured}, bound {r.bound}: {r.explanation}"
        lines.append("  " + " ".join(text.split()))
    raise AssertionError("\n".join(lines))


@dataclasses.dataclass(frozen=True)
class DropBlockCase:
    """One DropBlock configuration: the input's (physical) ``shape``, the drop
    probability, the block size and the layout.

    >>> case = DropBlockCase((2, 3, 14, 14), 0.1, 7)
    >>> case.spatial, case.batch, case.channels
    ((14, 14), 2, 3)
    >>> round(case.expected_drop_rate("paper"), 4)
    0.0929
    """

    shape: tuple[int, ...]
    drop_prob: float
    block_size: int | tuple[int, ...]
    channels_last: bool = False

    @property
    def spatial(self) -> tuple[int, ...]:
        return self.shape[1:-1] if self.channels_last else self.shape[2:]

    @property
    def batch(self) -> int:
        return self.shape[0]

    @property
    def channels(self) -> int:
        return self.shape[-1] if self.channels_last else self.shape[1]

    def expected_drop_rate(self, spec: Any = "paper") -> float:
        """The drop rate ``spec`` (a name or a :class:`~dropblock_core.conformance.Spec`)
        expects: :func:`dropblock_core.expected_drop_rate` of its gamma."""
        from .conformance.spec import resolve_spec

        return resolve_spec(spec).expected_rate(self.drop_prob, self.block_size, self.spatial)


def assert_drop_rate(
    fn: Forward,
    case: DropBlockCase,
    *,
    spec: Any = "paper",
    calls: int = 64,
    sigmas: float = 5.0,
    seed: int = 0,
) -> float:
    """Assert that ``fn`` drops, on average over independent calls, the rate
    ``spec`` expects for ``case``; returns the achieved rate.

    Inputs are uniform in [0.5, 1.5) (never zero: a zero output is a dropped
    unit). The bound is ``sigmas`` standard errors of the mean, computed
    exactly under the spec (independent Bernoulli seeds, overlapping blocks,
    shared masks), not estimated, so a function that follows the spec fails
    with probability about 6e-7 at 5 sigmas. ``calls`` is raised until the
    calls expect at least 50 seeds in all, where that normal approximation holds.

    >>> import dropblock_core as db
    >>> case = DropBlockCase((4, 2, 14, 14), 0.1, 7)
    >>> rate = assert_drop_rate(lambda x, p, b: db.dropblock(x, p, b, gamma="paper"), case)
    >>> abs(rate - case.expected_drop_rate("paper")) < 0.01
    True
    """
    from .conformance.spec import resolve_spec

    claimed = resolve_spec(spec)
    drop = check_drop_prob(case.drop_prob, "case.drop_prob")
    if isinstance(calls, bool) or not isinstance(calls, int) or calls < 2:
        raise ValueError(f"calls must be an int >= 2, got {calls!r}")
    if not (isinstance(sigmas, (int, float)) and math.isfinite(sigmas) and sigmas > 0):
        raise ValueError(f"sigmas must be a positive finite number, got {sigmas!r}")
    spatial = case.spatial
    block = clip_block(normalize_block_size(case.block_size, len(spatial)), spatial)
    gamma = claimed.gamma_value(drop, case.block_size, spatial)
    expected = case.expected_drop_rate(claimed)
    masks = (1 if claimed.share_batch else case.batch) * (
        1 if claimed.share_channels else case.channels
    )
    seeds_per_call = gamma * math.prod(seed_grid_shape(block, spatial, claimed.seed_region))
    if seeds_per_call * masks > 0:
        calls = max(calls, math.ceil(MIN_EXPECTED_SEEDS / (seeds_per_call * masks)))
    variance = _mask_fraction_variance(gamma, block, spatial, claimed.seed_region)
    se = math.sqrt(variance / masks / calls)
    rng = np.random.default_rng(seed)
    fractions = []
    for _ in range(calls):
        x = rng.uniform(0.5, 1.5, size=case.shape).astype(np.float32)
        y = np.asarray(fn(x, drop, case.block_size))
        if y.shape != x.shape:
            raise AssertionError(f"output shape {y.shape} != input shape {x.shape}")
        fractions.append(float(np.mean(y == 0)))
    achieved = float(np.mean(fractions))
    if abs(achieved - expected) > sigmas * se + 1e-12:
        z = (achieved - expected) / se if se > 0 else math.inf
        raise AssertionError(
            f"drop rate on {case}: achieved {achieved:.5f} over {calls} calls, spec "
            f"{claimed.name!r} expects {expected:.5f} ± {sigmas * se:.5f} "
            f"({sigmas:g} standard errors): {z:+.1f} SE"
        )
    return achieved


def _mask_fraction_variance(
    gamma: float, block: tuple[int, ...], spatial: tuple[int, ...], seed_region: str
) -> float:
    """Exact variance of one mask's dropped fraction under Bernoulli(gamma) seeds.

    Units ``u``, ``v`` are both kept with probability ``(1-gamma)**(n_u + n_v -
    n_uv)`` (``n_uv``: seeds covering both), so ``Var = sum over pairs of
    that minus (1-gamma)**(n_u + n_v)``, divided by the squared unit count. Only
    pairs closer than a block along every axis share seeds; the others add 0.

    >>> round(_mask_fraction_variance(0.5, (1,), (4,), "valid"), 6)  # dropout: p(1-p)/4
    0.0625
    """
    per_axis = []
    for size, b in zip(spatial, block):
        offset = seed_offset(b, seed_region)
        length = size - b + 1 if seed_region == "valid" else size
        i = np.arange(size)
        lo, hi = np.maximum(i + offset - b + 1, 0), np.minimum(i + offset, length - 1)
        u, v = np.nonzero(np.abs(i[:, None] - i[None, :]) < b)
        shared = np.maximum(np.minimum(hi[u], hi[v]) - np.maximum(lo[u], lo[v]) + 1, 0)
        per_axis.append((hi[u] - lo[u] + 1, hi[v] - lo[v] + 1, shared))
    pairs = math.prod(len(a[0]) for a in per_axis)
    if pairs > MAX_PAIRS:
        raise ValueError(
            f"the exact variance for block {block} on a {spatial} map visits {pairs} unit "
            f"pairs, more than {MAX_PAIRS}: use a smaller map or block"
        )

    def outer(index: int) -> np.ndarray:
        total = np.ones(1)
        for axis in per_axis:
            total = np.multiply.outer(total, axis[index]).ravel()
        return total

    n_u, n_v, n_uv = outer(0), outer(1), outer(2)
    log_keep = math.log1p(-gamma) if gamma < 1.0 else -math.inf
    with np.errstate(invalid="ignore"):  # 0 * -inf where a unit has no seed: kept surely
        both = np.exp(np.where(n_u + n_v - n_uv > 0, (n_u + n_v - n_uv) * log_keep, 0.0))
        apart = np.exp(np.where(n_u + n_v > 0, (n_u + n_v) * log_keep, 0.0))
    return float(np.sum(both - apart)) / math.prod(spatial) ** 2


# -- hypothesis strategies ----------------------------------------------------------------


def _strategies() -> Any:
    try:
        from hypothesis import strategies
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "dropblock_core.testing's strategies need hypothesis: "
            'python -m pip install ".[testing]"'
        ) from exc
    return strategies


def spatial_shapes(
    *, ndim: int | Sequence[int] = (1, 2, 3), min_side: int = 1, max_side: int = 32
) -> Any:
    """Spatial shapes: ``ndim`` axes (one rank or several), sides in
    ``[min_side, max_side]``, squares and rectangles alike."""
    st = _strategies()
    ranks = [ndim] if isinstance(ndim, int) else list(ndim)
    side = st.integers(min_side, max_side)
    return st.sampled_from(ranks).flatmap(lambda n: st.tuples(*([side] * n)))


def block_sizes(
    spatial: Sequence[int], *, odd: bool = False, per_axis: bool = False, larger: bool = False
) -> Any:
    """Block sizes for a map: an int (or, ``per_axis=True``, one int per axis)
    up to the map's side; ``odd=True`` for implementations that refuse even
    blocks; ``larger=True`` also draws blocks larger than the map (clipped)."""
    st = _strategies()

    def sizes(limit: int) -> Any:
        top = limit + 2 if larger else limit
        values = st.integers(1, max(1, top))
        return values.map(lambda b: b if b % 2 else max(1, b - 1)) if odd else values

    if per_axis:
        return st.tuples(*(sizes(s) for s in spatial))
    return sizes(min(spatial))


def drop_probs(*, min_value: float = 0.05, max_value: float = 0.5) -> Any:
    """Drop probabilities in ``[min_value, max_value]`` (within [0, 1))."""
    check_drop_prob(min_value, "min_value")
    check_drop_prob(max_value, "max_value")
    return _strategies().floats(min_value, max_value, allow_nan=False)


def layouts() -> Any:
    """``channels_last`` flags: ``False`` (``(batch, channels, *spatial)``) or
    ``True`` (``(batch, *spatial, channels)``)."""
    return _strategies().booleans()


def dropblock_cases(
    *,
    ndim: int | Sequence[int] = (1, 2, 3),
    max_side: int = 32,
    max_batch: int = 4,
    max_channels: int = 4,
    odd_blocks: bool = False,
    per_axis_blocks: bool = False,
    channels_last: bool | None = False,
    min_drop: float = 0.05,
    max_drop: float = 0.5,
) -> Any:
    """:class:`DropBlockCase` s: a map (:func:`spatial_shapes`), a block for it
    (:func:`block_sizes`), a drop probability (:func:`drop_probs`), batch and
    channels, and a layout (``channels_last=None`` draws both).

    >>> from hypothesis import find
    >>> find(dropblock_cases(ndim=2), lambda case: True)  # the simplest case
    DropBlockCase(shape=(1, 1, 1, 1), drop_prob=..., block_size=1, channels_last=False)
    """
    st = _strategies()

    @st.composite
    def build(draw: Any) -> DropBlockCase:
        spatial = draw(spatial_shapes(ndim=ndim, max_side=max_side))
        block = draw(block_sizes(spatial, odd=odd_blocks, per_axis=per_axis_blocks))
        drop = draw(drop_probs(min_value=min_drop, max_value=max_drop))
        batch = draw(st.integers(1, max_batch))
        channels = draw(st.integers(1, max_channels))
        last = draw(layouts()) if channels_last is None else channels_last
        shape = (batch, *spatial, channels) if last else (batch, channels, *spatial)
        return DropBlockCase(shape, drop, block, last)

    return build()
