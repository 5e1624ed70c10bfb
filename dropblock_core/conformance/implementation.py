"""The thing under test: a NumPy-in, NumPy-out callable and its companions."""

from __future__ import annotations

import dataclasses
import random
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Forward", "Gradient", "Implementation", "as_implementation", "seed_global_rngs"]

Forward = Callable[[np.ndarray, float, int], Any]
Gradient = Callable[[np.ndarray, float, int, np.ndarray], tuple[Any, Any]]


def seed_global_rngs(seed: int) -> None:
    """Seed Python's, NumPy's and (only if already imported) torch's and
    TensorFlow's global generators: what an implementation drawing "its own"
    randomness usually draws from.

    Parameters
    ----------
    seed : int
        The seed; NumPy's legacy generator gets ``seed % 2**32``.

    Examples
    --------
    >>> seed_global_rngs(3); a = np.random.random()
    >>> seed_global_rngs(3); a == np.random.random()
    True
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002  (the legacy global stream implementations use)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)
    if "keras" in sys.modules and hasattr(sys.modules["keras"], "utils"):
        sys.modules["keras"].utils.set_random_seed(seed)


@dataclasses.dataclass
class Implementation:
    """A DropBlock under test.

    Parameters
    ----------
    forward : callable
        ``forward(x, drop_prob, block_size) -> y`` in training mode, with
        NumPy arrays in and out (``x`` is ``(batch, channels, *spatial)``, or
        ``(batch, *spatial, channels)`` when ``channels_last``).
    eval : callable, optional
        The same in inference mode.
    grad : callable, optional
        ``grad(x, drop_prob, block_size, cotangent) -> (y, x_grad)``: one
        forward pass and its vector-Jacobian product.
    reseed : callable, default seed_global_rngs
        ``reseed(seed)``: makes the following calls reproducible.
    channels_last : bool, default False
        Whether ``x`` has its channels last.

    Examples
    --------
    >>> impl = Implementation(lambda x, p, b: x)
    >>> impl(np.ones((1, 1, 2, 2)), 0.1, 1).shape
    (1, 1, 2, 2)
    """

    forward: Forward
    eval: Forward | None = None
    grad: Gradient | None = None
    reseed: Callable[[int], None] = seed_global_rngs
    channels_last: bool = False

    def __call__(self, x: np.ndarray, drop_prob: float, block_size: int) -> Any:
        return self.forward(x, drop_prob, block_size)


def as_implementation(
    fn: Forward | Implementation,
    *,
    fn_eval: Forward | None = None,
    grad_fn: Gradient | None = None,
    reseed: Callable[[int], None] | None = None,
    channels_last: bool | None = None,
) -> Implementation:
    """``fn`` as an :class:`Implementation`; given keywords replace its companions.

    >>> impl = as_implementation(lambda x, p, b: x, channels_last=True)
    >>> impl.channels_last, impl.eval is None
    (True, True)
    """
    if isinstance(fn, Implementation):
        base = fn
    elif callable(fn):
        base = Implementation(fn)
    else:
        raise TypeError(f"fn must be callable, got {fn!r}")
    for name, value in (("fn_eval", fn_eval), ("grad_fn", grad_fn), ("reseed", reseed)):
        if value is not None and not callable(value):
            raise TypeError(f"{name} must be callable or None, got {value!r}")
    if channels_last is not None and not isinstance(channels_last, bool):
        raise TypeError(f"channels_last must be a bool or None, got {channels_last!r}")
    return dataclasses.replace(
        base,
        eval=fn_eval if fn_eval is not None else base.eval,
        grad=grad_fn if grad_fn is not None else base.grad,
        reseed=reseed if reseed is not None else base.reseed,
        channels_last=base.channels_last if channels_last is None else channels_last,
    )
