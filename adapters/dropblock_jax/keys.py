"""JAX PRNG keys as DropBlock seeds.

A Threefry key (``jax.random.key(n)``, typed, or ``jax.random.PRNGKey(n)``,
a raw ``uint32[2]``) holds two 32-bit words ``(d0, d1)``, which JAX fills
from ``n`` as ``(n // 2**32, n mod 2**32)``. DropBlock reads them as the seed
``d0 * 2**32 + d1``, i.e. the core's seed words ``(low, high) = (d1, d0)``
(``docs/rng.md``, section 2). So ``seed=jax.random.key(n)`` draws the masks of
``seed=n``, and a split or folded key draws those of the integer its words spell.
No JAX random function is called: other frameworks reproduce a mask from the
key's two words alone.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["is_key", "seed_from_key"]


def _is_typed_key(value: Any) -> bool:
    dtype = getattr(value, "dtype", None)
    return dtype is not None and jnp.issubdtype(dtype, jax.dtypes.prng_key)


def _is_raw_key(value: Any) -> bool:
    return (
        isinstance(value, jax.Array)
        and getattr(value, "shape", None) == (2,)
        and value.dtype == jnp.uint32
    )


def is_key(value: Any) -> bool:
    """Whether ``value`` is a typed PRNG key or a raw ``uint32[2]`` key (also traced).

    Parameters
    ----------
    value : any
        Anything.

    Returns
    -------
    bool
        True for a typed PRNG key or a ``uint32[2]`` JAX array.

    Examples
    --------
    >>> import jax
    >>> is_key(jax.random.key(0)), is_key(jax.random.PRNGKey(0)), is_key(0)
    (True, True, False)
    """
    return _is_typed_key(value) or _is_raw_key(value)


def seed_from_key(key: Any) -> int | tuple[jax.Array, jax.Array]:
    """The DropBlock seed of a Threefry ``key``: a Python int for a concrete key
    (so eager calls take the NumPy core's fast path), else the words
    ``(low, high) = (d1, d0)`` as 0-d ``uint32`` arrays (traced keys).

    Parameters
    ----------
    key : jax.Array
        A single Threefry key: typed (``jax.random.key(n)``) or raw
        (``jax.random.PRNGKey(n)``), concrete or traced.

    Returns
    -------
    int or tuple of jax.Array
        The 64-bit seed for a concrete key, else its ``(low, high)`` words.

    Raises
    ------
    TypeError
        If ``key`` is not a PRNG key, is a key array, or is not a Threefry key.

    Examples
    --------
    >>> import jax
    >>> seed_from_key(jax.random.key(7)), seed_from_key(jax.random.PRNGKey(7))
    (7, 7)
    >>> seed_from_key(jax.random.key(1, impl="rbg"))
    Traceback (most recent call last):
    ...
    TypeError: seed must be a Threefry key (jax.random.key(n), ...), got a key of impl rbg
    """
    if _is_typed_key(key):
        if key.shape != ():
            raise TypeError(
                f"seed must be a single key (shape ()), got a key array of shape {key.shape}; "
                "use jax.vmap to give each member its own key"
            )
        impl = str(jax.random.key_impl(key))
        if impl != "threefry2x32":
            raise TypeError(
                "seed must be a Threefry key (jax.random.key(n), JAX's default), "
                f"got a key of impl {impl}"
            )
        words = jax.random.key_data(key)
    elif _is_raw_key(key):
        words = key
    else:
        raise TypeError(f"seed must be a PRNG key, got {key!r}")
    if isinstance(words, jax.core.Tracer):
        return words[1], words[0]
    high, low = (int(w) for w in words.tolist())
    return low | high << 32
