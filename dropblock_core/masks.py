"""Block masks: seeds on the seed grid, expanded to blocks, as a boolean *keep* mask.

The public functions validate, resolve the namespace once and dispatch once
(:func:`dropblock_core._dispatch.mask_path`) to the NumPy fast path
(:mod:`dropblock_core._numpy_fast`: sparse seeds, each writing its block) or
the pure array-API path (:mod:`dropblock_core._standard`: a dense indicator
and a separable box dilation), which give the same mask.

``drop_prob`` is a Python float (gamma solved on the host; masks are the same
bits on every namespace) or a 0-d real array of the computing namespace,
possibly traced (gamma computed in the graph by :mod:`dropblock_core.graph_gamma`,
so a changing ``drop_prob`` does not recompile).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from ._dispatch import MaskPath, mask_path
from ._namespace import resolve_namespace
from ._plan import MaskPlan, SeedDraw
from ._validation import (
    SEED_REGIONS,
    check_choice,
    check_counter,
    check_drop_prob,
    check_flag,
    check_gamma,
    check_input_shape,
    clip_block,
    normalize_block_size,
)
from .gamma import exact_gamma, paper_gamma, seed_grid_shape, seed_offset
from .graph_gamma import as_drop_array, drop_namespace, gamma_xp, is_drop_array
from .rng import MAX_POSITIONS

__all__ = [
    "STREAMS",
    "MaskPlan",
    "SeedDraw",
    "check_draw",
    "draw_seeds",
    "expand_seeds",
    "plan_mask",
    "sample_mask",
    "sample_planned_mask",
]

STREAMS = ("counter", "native")


def plan_mask(
    shape: Sequence[int],
    drop_prob: float | Any,
    block_size: int | Sequence[int],
    *,
    gamma: str | float = "exact",
    seed_region: str = "valid",
    channels_last: bool = False,
    share_channels: bool = False,
    share_batch: bool = False,
    xp: ModuleType | None = None,
) -> MaskPlan:
    """Validate the parameters and resolve gamma, the block and the seed grid
    (the plan keeps the checked ``drop_prob``).

    Parameters
    ----------
    shape : sequence of int
        The input's shape, ``(batch, channels, *spatial)`` (``(batch,
        *spatial, channels)`` with ``channels_last=True``), with at least one
        spatial axis; sizes may be 0.
    drop_prob : float or 0-d array
        The drop probability, in [0, 1). A 0-d array (of ``xp``; ``None``: its
        own namespace) gives a gamma computed in the graph for
        ``gamma="exact"``/``"paper"``.
    block_size : int or sequence of int
        The block's size, >= 1: an int for every spatial axis, or one per
        axis; clipped to the map.
    gamma : {"exact", "paper"} or float, default "exact"
        The seed probability rule, or a seed probability in [0, 1].
    seed_region : {"valid", "full"}, default "valid"
        Where seeds sit: blocks inside the map, or anywhere with blocks clipped.
    channels_last : bool, default False
        Whether the channel axis of ``shape`` is the last one.
    share_channels : bool, default False
        One mask for all channels (the plan's grid has 1 channel).
    share_batch : bool, default False
        One mask for all samples (the plan's grid has batch 1).
    xp : module or None, default None
        The namespace an array ``drop_prob`` is computed in; None: its own.

    Returns
    -------
    MaskPlan
        The input shape, the clipped block, the seed offsets, the seed grid
        and gamma (a Python float, or a 0-d array for an array ``drop_prob``).

    Raises
    ------
    TypeError
        If ``shape`` is not a sequence of ints, ``drop_prob`` is neither a
        real number nor a 0-d real floating array, ``gamma`` is neither a
        rule name nor a real number, ``block_size`` is not an int or a
        sequence of ints, or a flag is not a bool.
    ValueError
        If ``shape`` has fewer than three axes or a negative size,
        ``drop_prob`` is outside [0, 1), ``gamma`` is a float outside [0, 1]
        or an unknown rule, ``seed_region`` is not one of its choices,
        ``block_size`` has a size below 1 or the wrong number of sizes, or
        the seed grid has more than 2**37 positions.

    Examples
    --------
    >>> plan = plan_mask((2, 3, 14, 14), 0.1, 7, share_channels=True)
    >>> plan.block, plan.grid, plan.mask_shape
    ((7, 7), (2, 1, 8, 8), (2, 1, 14, 14))
    >>> round(plan.gamma, 6)
    0.006764
    """
    shape = check_input_shape(shape)
    if is_drop_array(drop_prob):
        drop: float | Any = as_drop_array(
            drop_prob, xp=None if xp is None else resolve_namespace(xp)
        )
    else:
        drop = check_drop_prob(drop_prob)
    gamma_rule = check_gamma(gamma)
    check_choice(seed_region, SEED_REGIONS, "seed_region")
    for name, flag in (
        ("channels_last", channels_last),
        ("share_channels", share_channels),
        ("share_batch", share_batch),
    ):
        check_flag(flag, name)
    if channels_last:
        batch, *spatial_list, channels = shape
    else:
        batch, channels, *spatial_list = shape
    spatial = tuple(spatial_list)
    block = clip_block(normalize_block_size(block_size, len(spatial)), spatial)
    empty_map = 0 in spatial
    seed_grid = spatial if empty_map else seed_grid_shape(block, spatial, seed_region)
    grid = (1 if share_batch else batch, 1 if share_channels else channels, *seed_grid)
    if math.prod(grid) > MAX_POSITIONS:
        raise ValueError(f"shape={shape!r} has more than 2**37 seed positions")
    value: float | Any
    if empty_map or isinstance(gamma_rule, float):
        value = 0.0 if empty_map else gamma_rule
    elif not isinstance(drop, float):
        value = gamma_xp(
            drop, gamma_rule, block, spatial, seed_region, xp=_namespace_of(drop, xp=xp)
        )
    elif drop == 0.0:
        value = 0.0
    elif gamma_rule == "exact":
        value = exact_gamma(drop, block, spatial, seed_region=seed_region)
    else:
        value = paper_gamma(drop, block, spatial)
    offsets = tuple(seed_offset(b, seed_region) for b in block)
    return MaskPlan(shape, spatial, block, offsets, grid, value, channels_last, drop)


def _namespace_of(drop: Any, *, xp: ModuleType | None) -> ModuleType:
    return drop_namespace(drop) if xp is None else resolve_namespace(xp)


def _check_seed(seed: Any) -> Any:
    """A seed: an int in [0, 2**64), a 0-d integer array (used modulo 2**32)
    or a pair ``(low, high)`` of 32-bit words, ints or 0-d integer arrays (a
    64-bit seed where arrays have no 64-bit integers, e.g. a traced JAX key).
    Concrete words become the int ``low + high * 2**32``."""
    if not isinstance(seed, tuple):
        return check_counter(seed, "seed", 64)
    if len(seed) != 2:
        raise TypeError(f"seed as words must be a pair (low, high), got {seed!r}")
    low, high = (check_counter(word, "seed", 32) for word in seed)
    if isinstance(low, int) and isinstance(high, int):
        return low | high << 32
    return low, high


def sample_mask(
    shape: Sequence[int],
    drop_prob: float | Any,
    block_size: int | Sequence[int],
    *,
    gamma: str | float = "exact",
    seed_region: str = "valid",
    seed: int | Any | None = None,
    step: int | Any = 0,
    replica: int | Any = 0,
    channels_last: bool = False,
    share_channels: bool = False,
    share_batch: bool = False,
    stream: str | None = None,
    device: Any = None,
    xp: ModuleType | None = None,
) -> Any:
    """Boolean **keep** mask (True = kept) for an input of ``shape``.

    ``stream="counter"`` (the default whenever ``seed`` is given) draws seeds
    from the reproducible Threefry stream: the same ``seed``, ``step``,
    ``replica`` and parameters give the same bits on every namespace.
    ``seed``, ``step`` and ``replica`` given as ints or 0-d integer arrays are
    range-checked alike; only a traced array (under ``jax.jit``,
    ``torch.compile``) cannot be checked, and is used modulo 2**32.

    Parameters
    ----------
    shape : sequence of int
        The input's shape, ``(batch, channels, *spatial)`` (``(batch,
        *spatial, channels)`` with ``channels_last=True``), with at least one
        spatial axis.
    drop_prob : float or 0-d array
        The drop probability, in [0, 1): a Python float, or a 0-d real
        floating array (of ``xp``; with ``xp=None``, of its own namespace),
        possibly traced (``jax.jit``, ``torch.compile``). For an array, gamma
        and the gap thresholds are computed in the graph
        (:mod:`dropblock_core.graph_gamma`), so a changing ``drop_prob`` does
        not recompile; concrete arrays are range-checked, traced ones cannot
        be. The in-graph gamma agrees with the host's to rounding, so masks
        may differ from those of the same Python float in rare words.
    block_size : int or sequence of int
        The block's size, >= 1: an int for every spatial axis, or one per
        axis; a block larger than the map is clipped to the map.
    gamma : {"exact", "paper"} or float, default "exact"
        ``"exact"`` hits ``drop_prob`` in expectation, ``"paper"`` is the
        paper's formula, a float in [0, 1] is the seed probability itself.
    seed_region : {"valid", "full"}, default "valid"
        ``"valid"``: blocks inside the map; ``"full"``: seeds anywhere,
        blocks clipped.
    seed : int, pair of words, 0-d integer array or None, default None
        The seed, in [0, 2**64): an int, a 0-d integer array, or a pair
        ``(low, high)`` of 32-bit words (ints or 0-d integer arrays, e.g. a
        traced JAX key). None: a fresh random seed (or NumPy's generator).
    step : int or 0-d integer array, default 0
        The training step, in [0, 2**32).
    replica : int or 0-d integer array, default 0
        The replica (device) index, in [0, 2**32).
    channels_last : bool, default False
        Whether the channel axis of ``shape`` is the last one.
    share_channels : bool, default False
        One mask for all channels: the mask has size 1 along the channel axis.
    share_batch : bool, default False
        One mask for all samples: the mask has size 1 along the batch axis.
    stream : {"counter", "native"} or None, default None
        ``"counter"``: the Threefry stream; ``"native"``: NumPy's own
        generator (NumPy only; the default there without a seed).
    device : device or None, default None
        Where the mask is made (NumPy: None or ``"cpu"``).
    xp : module or None, default None
        The namespace of the mask; None: that of an array ``drop_prob``, else
        NumPy.

    Returns
    -------
    array
        The boolean keep-mask (True = kept), of shape ``shape`` with size 1
        along shared axes, so it broadcasts against the input.

    Raises
    ------
    TypeError
        As :func:`plan_mask`, or if ``seed`` is not an int, a pair of words
        or a 0-d integer array, or ``step`` or ``replica`` is not an int or a
        0-d integer array.
    ValueError
        As :func:`plan_mask`, or if ``stream`` is not one of its choices,
        ``stream="native"`` is asked off NumPy, ``device`` is not the CPU on
        NumPy, or a counter is out of its range.

    Examples
    --------
    >>> m = sample_mask((2, 3, 14, 14), 0.1, 7, seed=0)
    >>> m.shape, m.dtype
    ((2, 3, 14, 14), dtype('bool'))
    >>> bool((m == sample_mask((2, 3, 14, 14), 0.1, 7, seed=0)).all())
    True
    >>> sample_mask((4, 8, 9), 0.2, 3, seed=1, share_channels=True).shape
    (4, 1, 9)
    >>> import numpy as np  # an array drop_prob: gamma computed in the graph
    >>> sample_mask((2, 3, 14, 14), np.asarray(0.1), 7, seed=0).shape
    (2, 3, 14, 14)
    """
    if xp is None and is_drop_array(drop_prob):
        xp = _namespace_of(drop_prob, xp=None)
    plan = plan_mask(
        shape,
        drop_prob,
        block_size,
        gamma=gamma,
        seed_region=seed_region,
        channels_last=channels_last,
        share_channels=share_channels,
        share_batch=share_batch,
        xp=xp,
    )
    return sample_planned_mask(
        plan, seed=seed, step=step, replica=replica, stream=stream, device=device, xp=xp
    )


def sample_planned_mask(
    plan: MaskPlan,
    *,
    seed: int | Any | None = None,
    step: int | Any = 0,
    replica: int | Any = 0,
    stream: str | None = None,
    device: Any = None,
    xp: ModuleType | None = None,
) -> Any:
    """:func:`sample_mask` for an already validated :class:`MaskPlan`.

    Parameters
    ----------
    plan : MaskPlan
        The mask's plan (:func:`plan_mask`).
    seed, step, replica, stream, device, xp
        As for :func:`sample_mask`.

    Returns
    -------
    array
        The boolean keep-mask of shape ``plan.mask_shape``.

    Examples
    --------
    >>> plan = plan_mask((2, 3, 14, 14), 0.1, 7)
    >>> sample_planned_mask(plan, seed=0).shape
    (2, 3, 14, 14)
    """
    xp = resolve_namespace(xp)
    path = mask_path(xp)
    draw = check_draw(
        path, seed=seed, step=step, replica=replica, stream=stream, device=device, xp=xp
    )
    return path.sample_mask(plan, draw, device=device, xp=xp)


def check_draw(
    path: MaskPath,
    *,
    seed: int | Any | None,
    step: int | Any,
    replica: int | Any,
    stream: str | None,
    device: Any = None,
    xp: ModuleType,
) -> SeedDraw:
    """Check the randomness of a mask for ``path``.

    Parameters
    ----------
    path : MaskPath
        The namespace's mask path (:func:`dropblock_core._dispatch.mask_path`).
    seed : int, pair of words, 0-d integer array or None
        The seed, as for :func:`sample_mask`; None: a fresh random one.
    step : int or 0-d integer array
        The training step, in [0, 2**32).
    replica : int or 0-d integer array
        The replica index, in [0, 2**32).
    stream : {"counter", "native"} or None
        The seed stream; None: ``"native"`` where the path has one and no
        seed is given, else ``"counter"``.
    device : device or None, default None
        The device the mask is made on, checked by ``path``.
    xp : module
        The array namespace (named in the error for ``stream="native"``).

    Returns
    -------
    SeedDraw
        The stream and the checked counters: concrete values as Python ints
        (a pair of concrete words as one 64-bit seed), traced ones as they are.

    Raises
    ------
    ValueError
        If ``stream`` is not one of its choices, ``"native"`` is asked of a
        path without it, ``device`` is not one of the path's, or ``seed``,
        ``step`` or ``replica`` is out of its range.
    TypeError
        If ``seed`` is not an int, a pair of words or a 0-d integer array, or
        ``step`` or ``replica`` is not an int or a 0-d integer array.

    Examples
    --------
    >>> from dropblock_core._dispatch import mask_path
    >>> from dropblock_core._namespace import default_namespace
    >>> xp = default_namespace()
    >>> check_draw(mask_path(xp), seed=(5, 1), step=2, replica=0, stream=None, xp=xp)
    SeedDraw(stream='counter', seed=4294967301, step=2, replica=0)
    """
    if stream is None:
        stream = "native" if seed is None and path.native_stream else "counter"
    check_choice(stream, STREAMS, "stream")
    path.check_device(device)
    if stream == "native" and not path.native_stream:
        raise ValueError(f"stream='native' is only available on NumPy, got xp={xp.__name__!r}")
    step = check_counter(step, "step", 32)
    replica = check_counter(replica, "replica", 32)
    if seed is None:
        import secrets  # imported here: it is only needed without a seed

        seed = secrets.randbits(64)
    else:
        seed = _check_seed(seed)
    return SeedDraw(stream, seed, step, replica)


def draw_seeds(
    plan: MaskPlan,
    *,
    seed: int | Any | None,
    step: int | Any,
    replica: int | Any,
    stream: str | None,
    device: Any = None,
    xp: ModuleType | None = None,
) -> Any:
    """The seeds of a mask, as the namespace's path draws them.

    Parameters
    ----------
    plan : MaskPlan
        The mask's plan (:func:`plan_mask`).
    seed, step, replica, stream, device
        As for :func:`sample_mask`, checked by :func:`check_draw`.
    xp : module or None, default None
        The namespace to draw on; None: NumPy.

    Returns
    -------
    array
        Sorted flat indices into the seed grid on NumPy (empty when no seed
        can occur), a boolean indicator over it elsewhere;
        :func:`expand_seeds` reads them.

    Raises
    ------
    ValueError
        As :func:`check_draw`.
    TypeError
        As :func:`check_draw`, or if ``xp`` is not an array namespace.

    Examples
    --------
    >>> plan = plan_mask((1, 1, 9, 9), 0.3, 3)
    >>> draw_seeds(plan, seed=0, step=0, replica=0, stream="counter").tolist()
    [39, 41]
    """
    xp = resolve_namespace(xp)
    path = mask_path(xp)
    draw = check_draw(
        path, seed=seed, step=step, replica=replica, stream=stream, device=device, xp=xp
    )
    return path.draw_seeds(plan, draw, device=device, xp=xp)


def expand_seeds(plan: MaskPlan, seeds: Any, *, xp: ModuleType | None = None) -> Any:
    """The keep-mask of the seeds returned by :func:`draw_seeds` on ``xp``.

    Parameters
    ----------
    plan : MaskPlan
        The plan the seeds were drawn for.
    seeds : array
        :func:`draw_seeds`'s result on the same namespace.
    xp : module or None, default None
        The namespace of ``seeds``; None: NumPy.

    Returns
    -------
    array
        The boolean keep-mask of shape ``plan.mask_shape``: False inside each
        seed's block.

    Examples
    --------
    >>> plan = plan_mask((1, 1, 4), 0.3, 2, gamma=0.5)
    >>> import numpy as np
    >>> expand_seeds(plan, np.array([1])).tolist()
    [[[True, False, False, True]]]
    """
    xp = resolve_namespace(xp)
    return mask_path(xp).expand_seeds(plan, seeds, xp=xp)
