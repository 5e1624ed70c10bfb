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

    The message names the implementation and the spec, then gives one line
    per failed case: the check, the case, what was measured, the bound and
    the explanation.

    Parameters
    ----------
    fn : callable or Implementation
        ``fn(x, drop_prob, block_size) -> y`` on NumPy arrays, in training
        mode, or a wrapped implementation (:func:`dropblock_core.conformance.wrap_torch`...).
    spec : {"paper", "exact"} or Spec, default "paper"
        The convention ``fn`` claims.
    budget : {"quick", "full"} or Budget, default "quick"
        The sample sizes.
    **options
        Those of :func:`dropblock_core.validate` (``ndim``, ``checks``,
        ``fn_eval``, ``grad_fn``, ``seed``, spec overrides such as
        ``seed_region="full"``...).

    Returns
    -------
    Report
        The passing report.

    Raises
    ------
    AssertionError
        If any check failed.
    ValueError
        If an option is out of range (as :func:`dropblock_core.validate`).
    TypeError
        If an option has the wrong type or is unknown.

    Examples
    --------
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
    """One DropBlock configuration: the input's shape, the drop probability,
    the block size and the layout.

    Parameters
    ----------
    shape : tuple of int
        The input's physical shape: ``(batch, channels, *spatial)``, or
        ``(batch, *spatial, channels)`` when ``channels_last``.
    drop_prob : float
        The drop probability passed to the function under test.
    block_size : int or tuple of int
        The block size passed to it.
    channels_last : bool, default False
        The layout of ``shape``.

    Examples
    --------
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
        """The drop rate ``spec`` expects for this case.

        Parameters
        ----------
        spec : {"paper", "exact"} or Spec, default "paper"
            A spec's name or a :class:`~dropblock_core.conformance.Spec`.

        Returns
        -------
        float
            :func:`dropblock_core.expected_drop_rate` of the spec's gamma.

        Raises
        ------
        ValueError
            If ``spec`` is an unknown name or the case is out of range.
        TypeError
            If ``spec`` is neither a name nor a ``Spec``.
        """
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
    with probability about 6e-7 at 5 sigmas.

    Parameters
    ----------
    fn : callable
        ``fn(x, drop_prob, block_size) -> y`` on NumPy arrays, in training
        mode, drawing its own randomness.
    case : DropBlockCase
        The input shape, drop probability, block size and layout.
    spec : {"paper", "exact"} or Spec, default "paper"
        The convention ``fn`` claims.
    calls : int, default 64
        Independent calls averaged, at least 2; raised until the calls expect
        at least 50 seeds in all, where the normal approximation holds.
    sigmas : float, default 5.0
        The bound, in standard errors of the mean.
    seed : int, default 0
        Seeds the inputs.

    Returns
    -------
    float
        The achieved drop rate (fraction of zero outputs), averaged over the
        calls.

    Raises
    ------
    AssertionError
        If the achieved rate is further than ``sigmas`` standard errors from
        the expected one, or ``fn`` changes the shape.
    ValueError
        If ``calls``, ``sigmas`` or the case's drop probability is out of
        range, or the exact variance would visit too many unit pairs.
    TypeError
        If ``spec`` is neither a name nor a ``Spec``.

    Examples
    --------
    A reproducible implementation under test: each call draws the next step.

    >>> import itertools
    >>> import dropblock_core as db
    >>> steps = itertools.count()
    >>> def paper(x, p, b):
    ...     return db.dropblock(x, p, b, gamma="paper", seed=0, step=next(steps))
    >>> case = DropBlockCase((4, 2, 14, 14), 0.1, 7)
    >>> round(case.expected_drop_rate("paper"), 4)
    0.0929
    >>> round(assert_drop_rate(paper, case), 4)
    0.0899
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
    """A hypothesis strategy of spatial shapes, squares and rectangles alike.

    Parameters
    ----------
    ndim : int or sequence of int, default (1, 2, 3)
        The rank, or the ranks to draw from.
    min_side : int, default 1
        The smallest side.
    max_side : int, default 32
        The largest side.

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Tuples of ``ndim`` sides in ``[min_side, max_side]``.

    Examples
    --------
    >>> from hypothesis import find
    >>> find(spatial_shapes(ndim=2, min_side=3), lambda shape: True)
    (3, 3)
    """
    st = _strategies()
    ranks = [ndim] if isinstance(ndim, int) else list(ndim)
    side = st.integers(min_side, max_side)
    return st.sampled_from(ranks).flatmap(lambda n: st.tuples(*([side] * n)))


def block_sizes(
    spatial: Sequence[int], *, odd: bool = False, per_axis: bool = False, larger: bool = False
) -> Any:
    """A hypothesis strategy of block sizes for a map.

    Parameters
    ----------
    spatial : sequence of int
        The map's spatial shape.
    odd : bool, default False
        Only odd sizes, for implementations that refuse even blocks.
    per_axis : bool, default False
        One size per axis instead of one int.
    larger : bool, default False
        Also draw blocks up to 2 larger than the map (clipped by DropBlock).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Ints (or tuples of ints) from 1 up to the map's (smallest) side.

    Examples
    --------
    >>> from hypothesis import find
    >>> find(block_sizes((5, 9), odd=True), lambda b: b > 2)
    3
    """
    st = _strategies()

    def sizes(limit: int) -> Any:
        top = limit + 2 if larger else limit
        values = st.integers(1, max(1, top))
        return values.map(lambda b: b if b % 2 else max(1, b - 1)) if odd else values

    if per_axis:
        return st.tuples(*(sizes(s) for s in spatial))
    return sizes(min(spatial))


def drop_probs(*, min_value: float = 0.05, max_value: float = 0.5) -> Any:
    """A hypothesis strategy of drop probabilities.

    Parameters
    ----------
    min_value : float, default 0.05
        The smallest, in [0, 1].
    max_value : float, default 0.5
        The largest, in [0, 1].

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Floats in ``[min_value, max_value]``, never NaN.

    Raises
    ------
    ValueError
        If a bound is outside [0, 1].
    TypeError
        If a bound is not a real number.

    Examples
    --------
    >>> from hypothesis import find
    >>> 0.2 <= find(drop_probs(min_value=0.2, max_value=0.3), lambda p: True) <= 0.3
    True
    """
    check_drop_prob(min_value, "min_value")
    check_drop_prob(max_value, "max_value")
    return _strategies().floats(min_value, max_value, allow_nan=False)


def layouts() -> Any:
    """A hypothesis strategy of ``channels_last`` flags.

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        ``False`` (``(batch, channels, *spatial)``) or ``True``
        (``(batch, *spatial, channels)``).

    Examples
    --------
    >>> from hypothesis import find
    >>> find(layouts(), lambda last: last)
    True
    """
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
    channels, and a layout.

    Parameters
    ----------
    ndim : int or sequence of int, default (1, 2, 3)
        The spatial rank, or the ranks to draw from.
    max_side : int, default 32
        The largest spatial side.
    max_batch : int, default 4
        The largest batch.
    max_channels : int, default 4
        The most channels.
    odd_blocks : bool, default False
        Only odd block sizes.
    per_axis_blocks : bool, default False
        One block size per axis.
    channels_last : bool or None, default False
        The layout; ``None`` draws both.
    min_drop : float, default 0.05
        The smallest drop probability.
    max_drop : float, default 0.5
        The largest drop probability.

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        :class:`DropBlockCase` instances.

    Examples
    --------
    >>> from hypothesis import find
    >>> find(dropblock_cases(ndim=2), lambda case: True)  # the simplest case
    DropBlockCase(shape=(1, 1, 1, 1), drop_prob=..., block_size=1, channels_last=False)
    """
    st = _strategies()

    def build(draw: Callable[[Any], Any]) -> DropBlockCase:
        spatial = draw(spatial_shapes(ndim=ndim, max_side=max_side))
        block = draw(block_sizes(spatial, odd=odd_blocks, per_axis=per_axis_blocks))
        drop = draw(drop_probs(min_value=min_drop, max_value=max_drop))
        batch = draw(st.integers(1, max_batch))
        channels = draw(st.integers(1, max_channels))
        last = draw(layouts()) if channels_last is None else channels_last
        shape = (batch, *spatial, channels) if last else (batch, channels, *spatial)
        return DropBlockCase(shape, drop, block, last)

    return st.composite(build)()
