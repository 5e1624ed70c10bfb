"""Functional DropBlock on torch tensors: ``dropblock(x, drop_prob, block_size)``.

Only the mask comes from the core (see ``_op``); ``x`` stays a torch tensor,
so autograd, devices and ``torch.compile`` work as for any torch op.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch

from dropblock_core._validation import check_flag, check_uint
from dropblock_core.config import DropBlockConfig

from ._op import keep_mask, spec_of

__all__ = ["apply_config", "check_gamma_scale", "dropblock"]

_WIDE = (torch.float32, torch.float64)


def dropblock(
    x: torch.Tensor,
    drop_prob: float,
    block_size: int | Sequence[int],
    *,
    training: bool = True,
    seed: int | None = None,
    step: int | torch.Tensor = 0,
    replica: int = 0,
    gamma: str | float = "exact",
    seed_region: str = "valid",
    normalize: str = "global",
    share_channels: bool = False,
    share_batch: bool = False,
    mask_backend: str = "auto",
) -> torch.Tensor:
    """DropBlock: zero blocks of ``x`` (``(N, C, *spatial)``) and rescale the rest.

    The zero pattern is ``dropblock_core.sample_mask(x.shape, drop_prob,
    block_size, seed=seed, step=step, replica=replica, ...)``, bit for bit, and
    kept units are multiplied by the core's scale (``normalize``). With
    ``seed=None`` a 64-bit seed is drawn from torch's default generator, so
    ``torch.manual_seed`` makes runs repeatable. ``training=False`` or
    ``drop_prob == 0`` returns ``x`` itself. The result keeps ``x``'s dtype,
    device and memory format; the gradient is ``mask * scale``.

    ``mask_backend``: ``"auto"`` (NumPy core for CPU tensors, the core's
    array-API path on torch for other devices), ``"numpy"`` or ``"torch"``.

    >>> import torch
    >>> x = torch.ones(2, 4, 14, 14)
    >>> y = dropblock(x, 0.1, 7, seed=0, step=3)
    >>> y.shape, y.dtype
    (torch.Size([2, 4, 14, 14]), torch.float32)
    >>> kept = y != 0
    >>> bool(torch.allclose(y[kept], torch.tensor(y.numel() / kept.sum().item())))
    True
    >>> dropblock(x, 0.1, 7, training=False) is x
    True
    """
    config = DropBlockConfig(
        drop_prob,
        block_size,
        gamma=gamma,
        seed_region=seed_region,
        normalize=normalize,
        share_channels=share_channels,
        share_batch=share_batch,
        seed=seed,
    )
    spec = _spec(drop_prob, block_size, gamma, seed_region, normalize, share_channels, share_batch)
    return apply_config(
        x,
        config,
        spec,
        training=training,
        step=step,
        replica=replica,
        mask_backend=mask_backend,
    )


@torch.compiler.assume_constant_result
def _spec(
    drop_prob: float,
    block_size: int | Sequence[int],
    gamma: str | float,
    seed_region: str,
    normalize: str,
    share_channels: bool,
    share_batch: bool,
) -> str:
    """The operator's configuration string: a constant for ``torch.compile``, which
    cannot trace the JSON encoder (the seed travels separately, as a tensor)."""
    config = DropBlockConfig(
        drop_prob,
        block_size,
        gamma=gamma,
        seed_region=seed_region,
        normalize=normalize,
        share_channels=share_channels,
        share_batch=share_batch,
    )
    return spec_of(config)


def _check_input(x: object) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"x must have a floating dtype, got {x.dtype}")
    if x.dim() < 3:
        raise ValueError(
            f"x must be (N, C, *spatial) with at least one spatial axis, got shape {tuple(x.shape)}"
        )
    return x


def check_gamma_scale(gamma_scale: float) -> float:
    """Return ``gamma_scale`` (timm's factor on gamma) as a finite float >= 0."""
    if isinstance(gamma_scale, bool) or not isinstance(gamma_scale, numbers.Real):
        raise TypeError(f"gamma_scale must be a real number >= 0, got {gamma_scale!r}")
    if not math.isfinite(gamma_scale) or gamma_scale < 0:
        raise ValueError(f"gamma_scale must be a finite number >= 0, got {gamma_scale!r}")
    return float(gamma_scale)


def _as_counter(value: int | torch.Tensor, name: str) -> torch.Tensor:
    """A step as a 0-d integer tensor (a Python int is range-checked first)."""
    if isinstance(value, torch.Tensor):
        if value.dim() != 0 or value.is_floating_point() or value.is_complex():
            raise TypeError(f"{name} must be an int or a 0-d integer tensor, got {value!r}")
        return value
    return torch.tensor(check_uint(value, name, 32), dtype=torch.int64)


def _seed_words(seed: int | None) -> torch.Tensor:
    """The seed's (low, high) 32-bit words; ``None`` draws them from torch."""
    if seed is None:
        return torch.randint(0, 2**32, (2,), dtype=torch.int64)
    return torch.tensor([seed & 0xFFFFFFFF, seed >> 32], dtype=torch.int64)


def _is_channels_last(x: torch.Tensor) -> bool:
    """True when the channel axis is the fastest in memory (channels_last / _3d)."""
    return x.dim() >= 3 and not x.is_contiguous() and x.movedim(1, -1).is_contiguous()


def apply_config(
    x: torch.Tensor,
    config: DropBlockConfig,
    spec: str,
    *,
    training: bool = True,
    step: int | torch.Tensor = 0,
    replica: int = 0,
    gamma_scale: float = 1.0,
    with_noise: bool = False,
    inplace: bool = False,
    mask_backend: str = "auto",
) -> torch.Tensor:
    """DropBlock with a prepared :class:`DropBlockConfig` (``spec = spec_of(config)``);
    the modules call this. ``step`` drives the mask and ``config``'s schedule.

    ``with_noise`` (timm): dropped units become N(0, 1) noise from torch's
    default generator and kept units are not rescaled. ``inplace`` writes the
    result into ``x``.

    >>> import torch, dropblock_core
    >>> from dropblock_torch._op import spec_of
    >>> cfg = DropBlockConfig(0.2, 3, seed=1)
    >>> y = apply_config(torch.ones(1, 2, 8, 8), cfg, spec_of(cfg), with_noise=True)
    >>> keep = torch.from_numpy(dropblock_core.sample_mask((1, 2, 8, 8), 0.2, 3, seed=1))
    >>> bool((y[keep] == 1).all()), bool((y[~keep] != 1).all())  # kept: unscaled; dropped: noise
    (True, True)
    """
    x = _check_input(x)
    check_flag(training, "training")
    check_flag(with_noise, "with_noise")
    check_flag(inplace, "inplace")
    if not training or config.drop_prob == 0.0:
        return x
    channels_last = _is_channels_last(x)
    shape = list(x.movedim(1, -1).shape if channels_last else x.shape)
    mask, scale = keep_mask(
        _seed_words(config.seed),
        _as_counter(step, "step"),
        shape,
        spec,
        check_uint(replica, "replica", 32),
        check_gamma_scale(gamma_scale),
        channels_last,
        x.device,
        mask_backend,
    )
    if channels_last:
        mask = mask.movedim(-1, 1)
    if with_noise:
        noise = torch.randn_like(x)
        if inplace:
            return x.mul_(mask).add_(noise.masked_fill_(mask, 0))
        return torch.where(mask, x, noise)
    dropped = mask.logical_not()
    if x.dtype in _WIDE:  # x * scale rounded once, as the core does
        scale = scale.to(x.dtype)
        out = x.mul_(scale) if inplace else x * scale
        return out.masked_fill_(dropped, 0)
    # float16 / bfloat16: multiply in float32, round once to x's dtype.
    out = (x.to(torch.float32) * scale.to(torch.float32)).masked_fill_(dropped, 0).to(x.dtype)
    return x.copy_(out) if inplace else out
