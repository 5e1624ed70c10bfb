"""What the aliases share: checks of upstream-style arguments and the mask spec."""

from __future__ import annotations

import math
import numbers

import torch

from .._op import spec_json

__all__ = ["alias_spec", "check_fraction", "check_nonnegative", "counters"]


def check_fraction(value: object, name: str) -> float:
    """``value`` as a float in [0, 1] (upstream accepts 1), else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number in [0, 1], got {value!r}")
    if not 0.0 <= float(value) <= 1.0:  # also refuses NaN
        raise ValueError(f"drop probability {name} has to be between 0 and 1, but got {value!r}.")
    return float(value)


def check_nonnegative(value: object, name: str) -> float:
    """``value`` as a finite float >= 0, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number >= 0, got {value!r}")
    number = float(value)
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return number


def alias_spec(
    block_size: int,
    *,
    seed_region: str,
    share_channels: bool,
    normalize: str,
    gamma_scale: float,
    eps: float,
    square_block: bool,
) -> str:
    """The operator's spec for an upstream convention: the paper's gamma, keys
    drawn from torch's generator (the core's native stream on CPU)."""
    return spec_json(
        block_size,
        gamma="paper",
        seed_region=seed_region,
        normalize=normalize,
        share_channels=share_channels,
        gamma_scale=gamma_scale,
        eps=eps,
        square_block=square_block,
        stream="native",
    )


def counters(p: float, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """``drop_prob`` (0-d float64) and step 0 (0-d int64) as tensors on ``device``."""
    return (
        torch.tensor(p, dtype=torch.float64, device=device),
        torch.zeros((), dtype=torch.int64, device=device),
    )
