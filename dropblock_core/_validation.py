"""Parameter checks shared by the core, the adapters and the validator.

Every check raises ``ValueError`` or ``TypeError`` naming the parameter and the
offending value; nothing here touches array data.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Sequence
from typing import Any

__all__ = [
    "GAMMA_RULES",
    "MAX_UNITS",
    "NORMALIZE_RULES",
    "SEED_REGIONS",
    "check_choice",
    "check_counter",
    "check_drop_prob",
    "check_flag",
    "check_gamma",
    "check_input_shape",
    "check_probability",
    "check_spatial_shape",
    "check_uint",
    "clip_block",
    "is_traced",
    "normalize_block_size",
]

SEED_REGIONS = ("valid", "full")
GAMMA_RULES = ("exact", "paper")
NORMALIZE_RULES = ("global", "per_sample", "expected", "none")
MAX_UNITS = 2**63 - 1  # no array holds more units; every count stays exact in int64


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _as_float(value: Any) -> float:
    """``float(value)`` of a real number; ints beyond the float range give +-inf."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def check_drop_prob(drop_prob: Any, name: str = "drop_prob") -> float:
    """Return ``drop_prob`` as a float in [0, 1) or raise."""
    if isinstance(drop_prob, bool) or not isinstance(drop_prob, numbers.Real):
        raise TypeError(f"{name} must be a real number in [0, 1), got {drop_prob!r}")
    value = _as_float(drop_prob)
    if not (0.0 <= value < 1.0):  # also rejects NaN
        raise ValueError(f"{name} must be in [0, 1), got {drop_prob!r}")
    return value


def check_probability(value: Any, name: str) -> float:
    """Return ``value`` as a float in [0, 1] (a seed probability) or raise.

    >>> check_probability(1, "gamma")
    1.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a float in [0, 1], got {value!r}")
    number = _as_float(value)
    if not (0.0 <= number <= 1.0):
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return number


def check_gamma(gamma: Any) -> str | float:
    """Return ``"exact"``, ``"paper"`` or a float in [0, 1]."""
    if isinstance(gamma, str):
        return check_choice(gamma, GAMMA_RULES, "gamma")
    if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real):
        raise TypeError(f"gamma must be 'exact', 'paper' or a float in [0, 1], got {gamma!r}")
    return check_probability(gamma, "gamma")


def check_choice(value: Any, choices: Sequence[str], name: str) -> str:
    """Return ``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def check_flag(value: Any, name: str) -> bool:
    """Return ``value`` if it is a bool."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return value


def check_uint(value: Any, name: str, bits: int) -> int:
    """Return ``value`` as a Python int in [0, 2**bits)."""
    if not _is_int(value):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r}")
    number = int(value)
    if not (0 <= number < 2**bits):
        raise ValueError(f"{name} must be in [0, 2**{bits}), got {number!r}")
    return number


def is_traced(value: Any) -> bool:
    """Whether ``value`` is an array whose contents cannot be read now: a JAX
    tracer (``jax.jit``, ``grad``, ``vmap``), a torch tensor while
    ``torch.compile`` traces or one without data (``meta``, fake, functorch
    batched), or another lazy array. Frameworks are looked up in
    ``sys.modules``, never imported.

    >>> import numpy as np
    >>> is_traced(np.array(3)), is_traced(3)
    (False, False)
    """
    jax = sys.modules.get("jax")
    if jax is not None and isinstance(value, jax.core.Tracer):
        return True
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        if value.device.type == "meta" or torch.compiler.is_compiling():
            return True
        try:
            value.item()
        except Exception:  # fake or batched tensors refuse to give their value
            return True
        return False
    if jax is not None and isinstance(value, jax.Array):
        return False  # concrete
    from ._namespace import is_array_api_obj, is_lazy_array, is_tensorflow_array

    return (is_array_api_obj(value) or is_tensorflow_array(value)) and is_lazy_array(value)


def check_counter(value: Any, name: str, bits: int) -> Any:
    """A seed, step or replica: a Python int, or a 0-d integer array, in [0, 2**bits).

    Ints and *concrete* arrays (NumPy, torch, JAX outside a trace...) are
    range-checked alike and returned as a Python int, so both give the same
    mask; a traced array (see :func:`is_traced`) cannot be read and is returned
    as it is (its value is used modulo 2**32 per word).

    >>> import numpy as np
    >>> check_counter(np.array(7, np.uint8), "step", 32)
    7
    >>> check_counter(np.array(-3, np.int8), "step", 32)
    Traceback (most recent call last):
    ...
    ValueError: step must be in [0, 2**32), got -3 (a 0-d int8 array)
    """
    if _is_int(value):
        return check_uint(value, name, bits)
    dtype = getattr(value, "dtype", None)
    if dtype is None or getattr(value, "shape", None) != () or "int" not in str(dtype):
        raise TypeError(f"{name} must be a non-negative int or a 0-d integer array, got {value!r}")
    if is_traced(value):
        return value
    number = int(value)
    if not (0 <= number < 2**bits):
        kind = getattr(dtype, "name", str(dtype))
        raise ValueError(f"{name} must be in [0, 2**{bits}), got {number} (a 0-d {kind} array)")
    return number


def check_spatial_shape(spatial_shape: Any, name: str = "spatial_shape") -> tuple[int, ...]:
    """Return the spatial shape as a tuple of positive ints (rank >= 1)."""
    if _is_int(spatial_shape):
        spatial_shape = (spatial_shape,)
    if isinstance(spatial_shape, (str, bytes)) or not isinstance(spatial_shape, Sequence):
        raise TypeError(f"{name} must be a sequence of positive ints, got {spatial_shape!r}")
    if len(spatial_shape) < 1:
        raise ValueError(f"{name} needs at least one spatial axis, got {spatial_shape!r}")
    if not all(_is_int(s) for s in spatial_shape):
        raise TypeError(f"{name} must contain ints, got {spatial_shape!r}")
    if not all(s >= 1 for s in spatial_shape):
        raise ValueError(f"{name} must contain positive sizes, got {spatial_shape!r}")
    shape = tuple(int(s) for s in spatial_shape)
    _check_units(shape, name)
    return shape


def _check_units(shape: tuple[int, ...], name: str) -> None:
    if math.prod(shape) > MAX_UNITS:
        raise ValueError(f"{name}={shape!r} has more than 2**63 - 1 units")


def check_input_shape(shape: Any, name: str = "shape") -> tuple[int, ...]:
    """Return ``(batch, channels, *spatial)`` as ints; sizes may be zero."""
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
        raise TypeError(f"{name} must be a sequence of ints, got {shape!r}")
    if not all(_is_int(s) for s in shape):
        raise TypeError(f"{name} must contain ints, got {shape!r}")
    if len(shape) < 3:
        raise ValueError(
            f"{name} must be (batch, channels, *spatial) with at least one spatial axis, "
            f"got {tuple(shape)!r}"
        )
    if any(s < 0 for s in shape):
        raise ValueError(f"{name} must not contain negative sizes, got {tuple(shape)!r}")
    sizes = tuple(int(s) for s in shape)
    _check_units(sizes, name)
    return sizes


def normalize_block_size(block_size: Any, ndim: int) -> tuple[int, ...]:
    """Return one block size per spatial axis (an int is repeated)."""
    if _is_int(block_size):
        sizes: tuple[Any, ...] = (block_size,) * ndim
    elif isinstance(block_size, Sequence) and not isinstance(block_size, (str, bytes)):
        sizes = tuple(block_size)
        if len(sizes) != ndim:
            raise ValueError(
                f"block_size must be an int or {ndim} ints (one per spatial axis), "
                f"got {block_size!r}"
            )
    else:
        raise TypeError(f"block_size must be an int or a sequence of ints, got {block_size!r}")
    for b in sizes:
        if not _is_int(b):
            raise TypeError(f"block_size must contain ints, got {block_size!r}")
        if b < 1:
            raise ValueError(f"block_size must be >= 1, got {block_size!r}")
    return tuple(int(b) for b in sizes)


def clip_block(block: tuple[int, ...], spatial: tuple[int, ...]) -> tuple[int, ...]:
    """A block larger than the map is clipped to the map, axis by axis."""
    return tuple(min(b, s) for b, s in zip(block, spatial))
