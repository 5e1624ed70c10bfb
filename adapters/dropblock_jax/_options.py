"""Construction-time checks shared by the frozen-dataclass modules (Linen, Equinox).

Linen and Equinox modules are frozen dataclasses whose ``drop_prob`` is a
field (a Python number, or an array that their ``jit`` traces), so they cannot
take :class:`dropblock_core.layer.DropBlockLayer`'s ``drop_prob`` property;
they validate their fields here with the same :class:`DropBlockConfig`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import jax

from dropblock_core._validation import check_drop_prob, normalize_block_size
from dropblock_core.config import OPTIONS, DropBlockConfig

from .layout import check_spatial_dims

__all__ = ["checked_config", "is_static_number", "mask_options"]

# The core's options a module keeps as fields of the same names.
_MASK_OPTIONS = tuple(name for name in OPTIONS if name not in ("drop_prob", "block_size", "seed"))


def is_static_number(value: Any) -> bool:
    """Whether ``value`` is a Python (or NumPy) real number, not an array.

    >>> import jax.numpy as jnp
    >>> is_static_number(0.1), is_static_number(jnp.float32(0.1)), is_static_number(True)
    (True, False, False)
    """
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, jax.Array))


def checked_config(
    drop_prob: Any, block_size: int | Sequence[int], spatial_dims: Any, **options: Any
) -> DropBlockConfig:
    """The module's configuration, checked now: a Python ``drop_prob`` and a
    concrete 0-d array are range-checked, a traced one is checked by nothing
    (it holds no value yet); ``block_size`` must have ``spatial_dims`` sizes.

    >>> checked_config(0.1, (3, 5), 2).block_size
    (3, 5)
    >>> checked_config(0.1, (3, 5), 3)
    Traceback (most recent call last):
    ...
    ValueError: block_size must be an int or 3 ints (one per spatial axis), got (3, 5)
    """
    dims = check_spatial_dims(spatial_dims)
    if not isinstance(block_size, int):
        normalize_block_size(block_size, dims)
    if is_static_number(drop_prob):
        value = check_drop_prob(drop_prob)
    elif isinstance(drop_prob, jax.Array) and not isinstance(drop_prob, jax.core.Tracer):
        if drop_prob.shape != () or not jax.numpy.issubdtype(drop_prob.dtype, jax.numpy.floating):
            raise TypeError(f"drop_prob must be a float or a 0-d float array, got {drop_prob!r}")
        value = check_drop_prob(float(drop_prob))
    elif isinstance(drop_prob, jax.core.Tracer):
        value = 0.0  # checked where it is used: a traced value cannot be read here
    else:
        raise TypeError(f"drop_prob must be a float or a 0-d float array, got {drop_prob!r}")
    return DropBlockConfig(value, block_size, **options)


def mask_options(module: Any) -> dict[str, Any]:
    """The core's options (``gamma``, ``seed_region``, ``normalize``,
    ``share_channels``, ``share_batch``) among ``module``'s fields, by name.

    >>> class Module:
    ...     gamma, normalize = "paper", "none"
    >>> mask_options(Module())
    {'gamma': 'paper', 'normalize': 'none'}
    """
    return {name: getattr(module, name) for name in _MASK_OPTIONS if hasattr(module, name)}
