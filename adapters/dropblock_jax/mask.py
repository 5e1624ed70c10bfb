"""Keep masks on JAX: the NumPy core on the host when it can, the core's dense
path on ``jax.numpy`` otherwise.

Both paths draw the same Threefry stream, so they give the same mask for the
same ``seed``, ``step`` and ``replica``. The host path (sparse, fast) serves a
concrete ``jax.Array`` on one CPU device with a Python-float ``drop_prob`` and
Python-int counters; everything else (tracers under
``jit``/``grad``/``vmap``/``shard_map``, traced counters or keys, an array
``drop_prob``, accelerators, multi-device arrays) uses the dense path on
``jax.numpy``, compiled once per shape and configuration.

``drop_prob`` is either a Python float, whose gamma the host solves
(:func:`dense_mask`: the masks are the core's bit for bit), or a 0-d array,
concrete or traced, whose gamma is computed in the graph
(:func:`graph_mask`: a changing ``drop_prob`` does not recompile).
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

import jax
import jax.numpy as jnp

from dropblock_core._validation import check_flag, check_uint
from dropblock_core.config import DropBlockConfig, config_arguments
from dropblock_core.graph_gamma import as_drop_array, is_drop_array
from dropblock_core.masks import MaskPlan, plan_mask, sample_planned_mask

from .keys import is_key, seed_from_key
from .layout import check_rank

__all__ = [
    "Checked",
    "check_call",
    "dense_mask",
    "drop_array",
    "graph_mask",
    "host_mask",
    "keep_mask",
    "mask_for",
    "plan_for",
    "resolve_seed",
    "uses_host_path",
]


def _check_static(value: Any, name: str) -> None:
    """Reject a traced ``block_size`` with a message that says why."""
    leaves = value if isinstance(value, (tuple, list)) else (value,)
    if any(isinstance(v, jax.core.Tracer) for v in leaves):
        raise TypeError(
            f"{name} must be a Python int or a tuple of ints (static: it sets the shapes); "
            f"under jax.jit pass it through static_argnames, got {value!r}"
        )


def drop_array(drop_prob: Any) -> jax.Array | None:
    """``None`` for a Python (or NumPy) number, whose gamma the host solves;
    an array ``drop_prob`` as a 0-d ``jax.numpy`` float array (float32, float64
    with x64), range-checked when concrete.

    >>> import jax.numpy as jnp
    >>> drop_array(0.1) is None, drop_array(jnp.float32(0.1)).dtype
    (True, dtype('float32'))
    """
    if not is_drop_array(drop_prob):
        return None
    return cast(jax.Array, as_drop_array(drop_prob, xp=jnp))


def resolve_seed(seed: Any) -> Any:
    """The seed the core draws from: a PRNG key becomes its seed
    (:func:`dropblock_jax.keys.seed_from_key`); ints and 0-d integer arrays
    pass as they are. JAX functions are pure, so ``None`` is refused.

    >>> import jax
    >>> resolve_seed(jax.random.key(3)), resolve_seed(3)
    (3, 3)
    """
    if seed is None:
        raise TypeError(
            "seed must be an int, a 0-d integer array or a PRNG key (jax.random.key), got None"
        )
    return seed_from_key(seed) if is_key(seed) else seed


def plan_for(shape: Sequence[int], config: DropBlockConfig, channels_last: bool) -> MaskPlan:
    """The core's :class:`~dropblock_core.masks.MaskPlan` for ``shape`` and ``config``."""
    return plan_mask(
        tuple(shape),
        config.drop_prob,
        config.block_size,
        channels_last=channels_last,
        **config.core_kwargs(),
    )


def _is_host_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def uses_host_path(x: Any, seed: Any, step: Any, replica: Any) -> bool:
    """Whether the NumPy core builds the mask: ``x`` is a concrete ``jax.Array``
    on a single CPU device and ``seed``, ``step``, ``replica`` are Python ints
    (and ``drop_prob`` is a Python float, which the caller checks).

    >>> import jax, jax.numpy as jnp
    >>> x = jnp.ones((1, 1, 4, 4))
    >>> uses_host_path(x, 0, 3, 0), uses_host_path(x, 0, jnp.int32(3), 0)
    (True, False)
    >>> jax.jit(lambda x: jnp.asarray(uses_host_path(x, 0, 3, 0)))(x).item()  # a tracer
    False
    """
    if isinstance(x, jax.core.Tracer) or not isinstance(x, jax.Array):
        return False
    if not all(_is_host_int(v) for v in (seed, step, replica)):
        return False
    devices = x.devices()
    return len(devices) == 1 and next(iter(devices)).platform == "cpu"


def host_mask(
    plan: MaskPlan, *, seed: int, step: int, replica: int, device: Any = None
) -> jax.Array:
    """Mask from the NumPy core (sparse), imported with ``jnp.from_dlpack``.

    JAX imports a CPU buffer without copying only when it is 64-byte aligned;
    the core allocates its masks so, and the result aliases the core's mask
    (which nothing else holds). A mask that cannot hold a seed (gamma 0) is a
    plain NumPy array and may be copied. With ``device`` another than the CPU
    the mask came from, ``jax`` copies it there.

    >>> from dropblock_core.config import DropBlockConfig
    >>> plan = plan_for((1, 2, 6, 6), DropBlockConfig(0.3, 3), False)
    >>> m = host_mask(plan, seed=0, step=0, replica=0)
    >>> m.shape, m.dtype
    ((1, 2, 6, 6), dtype('bool'))
    """
    mask = sample_planned_mask(plan, seed=seed, step=step, replica=replica, stream="counter")
    return jnp.from_dlpack(mask, device=device)


def _as_word(value: Any, name: str) -> Any:
    """A Python int (range-checked; a bool is refused) becomes a ``uint32``
    array; arrays pass as they are (the core checks them), and so do the
    words of a pair ``(low, high)``."""
    if isinstance(value, tuple):
        return tuple(_as_word(word, name) for word in value)
    if isinstance(value, numbers.Integral):
        return jnp.asarray(check_uint(value, name, 32), dtype=jnp.uint32)
    return value


def _counters(seed: Any, step: Any, replica: Any) -> tuple[Any, Any, Any]:
    """Counters as jit arguments, so a new seed or step does not recompile:
    Python ints become ``uint32`` arrays, and a Python-int seed of ``2**32``
    or more its two words ``(low, high)`` (the same key, see ``docs/rng.md``)."""
    step, replica = _as_word(step, "step"), _as_word(replica, "replica")
    if _is_host_int(seed) and check_uint(seed, "seed", 64) >= 2**32:
        return _as_word((seed & 0xFFFFFFFF, seed >> 32), "seed"), step, replica
    return _as_word(seed, "seed"), step, replica


@functools.partial(jax.jit, static_argnames=("plan",))
def _compiled_mask(plan: MaskPlan, seed: Any, step: Any, replica: Any) -> jax.Array:
    mask = sample_planned_mask(
        plan, seed=seed, step=step, replica=replica, stream="counter", xp=jnp
    )
    return cast(jax.Array, mask)


def dense_mask(plan: MaskPlan, *, seed: Any, step: Any, replica: Any) -> jax.Array:
    """Mask from the core's dense path on ``jax.numpy``, compiled with
    ``jax.jit`` once per plan (works on tracers and on any device).

    Counters are traced arguments (a new seed, step or key does not
    recompile); a seed given as words ``(low, high)`` passes both words.

    >>> import jax.numpy as jnp
    >>> from dropblock_core.config import DropBlockConfig
    >>> plan = plan_for((1, 2, 6, 6), DropBlockConfig(0.3, 3), False)
    >>> m = dense_mask(plan, seed=jnp.int32(0), step=0, replica=0)
    >>> bool((m == host_mask(plan, seed=0, step=0, replica=0)).all())
    True
    """
    return cast(jax.Array, _compiled_mask(plan, *_counters(seed, step, replica)))


@functools.partial(jax.jit, static_argnames=("shape", "config", "channels_last"))
def _compiled_graph_mask(
    shape: tuple[int, ...],
    config: DropBlockConfig,
    channels_last: bool,
    drop: jax.Array,
    counters: tuple[Any, Any, Any],
) -> jax.Array:
    """:func:`graph_mask` with ``counters`` the ``(seed, step, replica)`` of :func:`_counters`."""
    seed, step, replica = counters
    plan = plan_mask(
        shape,
        drop,
        config.block_size,
        channels_last=channels_last,
        xp=jnp,
        **config.core_kwargs(),
    )
    mask = sample_planned_mask(
        plan, seed=seed, step=step, replica=replica, stream="counter", xp=jnp
    )
    return cast(jax.Array, mask)


def graph_mask(
    shape: Sequence[int],
    config: DropBlockConfig,
    channels_last: bool,
    drop: jax.Array,
    *,
    seed: Any,
    step: Any,
    replica: Any,
) -> jax.Array:
    """Mask for an array ``drop`` (0-d, concrete or traced): gamma and the gap
    thresholds are computed in the graph, compiled once per shape and
    ``config`` (whose own ``drop_prob`` is ignored), whatever ``drop`` is.

    >>> import jax, jax.numpy as jnp
    >>> from dropblock_core.config import DropBlockConfig
    >>> f = jax.jit(lambda p: graph_mask((1, 2, 9, 9), DropBlockConfig(0, 3), False, p,
    ...                                  seed=0, step=0, replica=0))
    >>> f(jnp.float32(0.3)).shape, bool(f(jnp.float32(0.0)).all())
    ((1, 2, 9, 9), True)
    """
    mask = _compiled_graph_mask(
        tuple(shape), config, channels_last, drop, _counters(seed, step, replica)
    )
    return cast(jax.Array, mask)


def mask_for(
    x: Any,
    plan: MaskPlan,
    config: DropBlockConfig,
    drop: jax.Array | None,
    *,
    seed: Any,
    step: Any,
    replica: Any,
) -> jax.Array:
    """The mask for ``x``: :func:`graph_mask` for an array ``drop``; else, for
    the host ``plan``, :func:`host_mask` if :func:`uses_host_path`, else
    :func:`dense_mask`."""
    if drop is not None:
        return graph_mask(
            x.shape, config, plan.channels_last, drop, seed=seed, step=step, replica=replica
        )
    if uses_host_path(x, seed, step, replica):
        return host_mask(plan, seed=seed, step=step, replica=replica, device=x.device)
    return dense_mask(plan, seed=seed, step=step, replica=replica)


class Checked(NamedTuple):
    """The checked arguments of :func:`check_call`."""

    x: jax.Array
    config: DropBlockConfig
    drop: jax.Array | None  # an array drop_prob (gamma in the graph), else None
    seed: Any
    plan: MaskPlan  # for an array drop: the checks only


def check_call(
    x: Any,
    seed: Any,
    options: dict[str, Any],
    channels_last: Any,
    spatial_dims: Any,
    *,
    floating: bool = False,
) -> Checked:
    """The checks :func:`keep_mask` and :func:`dropblock_jax.dropblock` share,
    in this order: a static ``block_size``, ``drop_prob`` (a float or an
    array), the options (``options``: the caller's
    :func:`~dropblock_core.config.config_arguments`), ``seed``, ``x`` (a
    floating dtype when ``floating``), ``channels_last``, the rank.

    >>> import jax.numpy as jnp
    >>> call = check_call(jnp.ones((1, 2, 8, 8)), 3, {"drop_prob": 0.1, "block_size": 3},
    ...                   False, None)
    >>> call.config.describe(), call.drop, call.seed
    ('drop_prob=0.1, block_size=3', None, 3)
    """
    _check_static(options["block_size"], "block_size")
    drop_prob = options["drop_prob"]
    drop = drop_array(drop_prob)  # an array drop_prob is checked here
    config = DropBlockConfig(
        **options | {"drop_prob": drop_prob if drop is None else 0.0, "seed": None}
    )
    seed = resolve_seed(seed)
    x = x if isinstance(x, jax.Array) else jnp.asarray(x)
    if floating and not jnp.issubdtype(x.dtype, jnp.floating):
        raise TypeError(f"x must have a floating dtype, got {x.dtype}")
    check_flag(channels_last, "channels_last")
    check_rank(x.shape, spatial_dims, options["block_size"], channels_last)
    return Checked(x, config, drop, seed, plan_for(x.shape, config, channels_last))


def keep_mask(
    x: Any,
    drop_prob: float | Any,
    block_size: int | Sequence[int],
    *,
    seed: int | Any,
    step: int | Any = 0,
    replica: int | Any = 0,
    channels_last: bool = False,
    spatial_dims: int | None = None,
    gamma: str | float = "exact",
    seed_region: str = "valid",
    share_channels: bool = False,
    share_batch: bool = False,
) -> jax.Array:
    """Boolean keep mask (True = kept) that :func:`dropblock` applies to ``x``.

    Equal to ``dropblock_core.sample_mask(x.shape, ...)`` for the same
    arguments; size 1 along shared axes.

    Parameters
    ----------
    x, drop_prob, block_size, seed, step, replica, channels_last, spatial_dims
        As for :func:`dropblock_jax.dropblock`.
    gamma, seed_region, share_channels, share_batch
        The options of :class:`dropblock_core.DropBlockConfig`.

    Returns
    -------
    jax.Array
        Boolean, True where kept; ``x``'s shape with size 1 along shared axes.

    Raises
    ------
    ValueError
        If an argument is out of range or not one of its choices, or ``x``'s
        rank cannot hold the layout.
    TypeError
        If an argument has the wrong type.

    Examples
    --------
    >>> import jax.numpy as jnp, dropblock_core as db
    >>> x = jnp.ones((2, 3, 9, 9))
    >>> m = keep_mask(x, 0.2, 3, seed=7, step=1)
    >>> bool((m == db.sample_mask(x.shape, 0.2, 3, seed=7, step=1)).all())
    True
    """
    x, config, drop, seed, plan = check_call(
        x, seed, config_arguments(locals()), channels_last, spatial_dims
    )
    return mask_for(x, plan, config, drop, seed=seed, step=step, replica=replica)
