"""DropBlock layers: ``DropBlock1d``, ``DropBlock2d``, ``DropBlock3d``.

Each holds a validated :class:`~dropblock_core.config.DropBlockConfig` and a
persistent ``step`` buffer (int64, in the ``state_dict``) that advances once
per training forward and drives both the mask's ``step`` and the schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import torch
import torch.distributed as dist
from torch import nn

from dropblock_core._validation import (
    check_choice,
    check_flag,
    check_uint,
    normalize_block_size,
)
from dropblock_core.config import DropBlockConfig

from ._op import BACKENDS, spec_of
from .functional import apply_config, check_gamma_scale

__all__ = ["DropBlock1d", "DropBlock2d", "DropBlock3d"]


class _DropBlockNd(nn.Module):
    """DropBlock over ``spatial_dims`` spatial axes; see :class:`DropBlock2d`."""

    spatial_dims: ClassVar[int]
    step: torch.Tensor

    def __init__(
        self,
        drop_prob: float = 0.1,
        block_size: int | Sequence[int] = 7,
        *,
        gamma: str | float = "exact",
        seed_region: str = "valid",
        normalize: str = "global",
        share_channels: bool = False,
        share_batch: bool = False,
        total_steps: int = 0,
        seed: int | None = None,
        replica: int | None = None,
        inplace: bool = False,
        gamma_scale: float = 1.0,
        with_noise: bool = False,
        mask_backend: str = "auto",
    ) -> None:
        super().__init__()
        if not isinstance(block_size, int):
            normalize_block_size(block_size, self.spatial_dims)  # one size per spatial axis
        self.config = DropBlockConfig(
            drop_prob,
            block_size,
            gamma=gamma,
            seed_region=seed_region,
            normalize=normalize,
            share_channels=share_channels,
            share_batch=share_batch,
            seed=seed,
            total_steps=total_steps,
        )
        self.replica = None if replica is None else check_uint(replica, "replica", 32)
        self.inplace = check_flag(inplace, "inplace")
        self.gamma_scale = check_gamma_scale(gamma_scale)
        self.with_noise = check_flag(with_noise, "with_noise")
        self.mask_backend = check_choice(mask_backend, BACKENDS, "mask_backend")
        self._spec = spec_of(self.config)
        self.register_buffer("step", torch.zeros((), dtype=torch.int64))

    def current_replica(self) -> int:
        """``replica`` if given, else this process's rank under ``torch.distributed``."""
        if self.replica is not None:
            return self.replica
        if dist.is_available() and dist.is_initialized():
            return dist.get_rank()
        return 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() != self.spatial_dims + 2:
            raise ValueError(
                f"{type(self).__name__} expects x of shape (N, C, {self.spatial_dims} spatial "
                f"axes), got {tuple(x.shape)}"
            )
        if not self.training:
            return x
        out = apply_config(
            x,
            self.config,
            self._spec,
            step=self.step,
            replica=self.current_replica(),
            gamma_scale=self.gamma_scale,
            with_noise=self.with_noise,
            inplace=self.inplace,
            mask_backend=self.mask_backend,
        )
        with torch.no_grad():
            self.step.add_(1)
        return out

    def extra_repr(self) -> str:
        extras = [
            f"{name}={getattr(self, name)!r}"
            for name, default in (
                ("replica", None),
                ("inplace", False),
                ("gamma_scale", 1.0),
                ("with_noise", False),
                ("mask_backend", "auto"),
            )
            if getattr(self, name) != default
        ]
        return ", ".join([self.config.describe(), *extras])


class DropBlock1d(_DropBlockNd):
    """DropBlock for ``(N, C, L)`` inputs; the arguments of :class:`DropBlock2d`.

    >>> import torch
    >>> layer = DropBlock1d(0.2, 3, seed=0)
    >>> layer(torch.ones(2, 4, 16)).shape
    torch.Size([2, 4, 16])
    """

    spatial_dims = 1


class DropBlock2d(_DropBlockNd):
    """DropBlock for ``(N, C, H, W)`` inputs (Ghiasi et al., 2018).

    ``drop_prob``, ``block_size``, ``gamma``, ``seed_region``, ``normalize``,
    ``share_channels`` and ``share_batch`` are those of
    :func:`dropblock_torch.dropblock`. ``total_steps > 0`` ramps the drop
    probability linearly from 0 to ``drop_prob`` over that many training
    calls. ``seed=None`` draws a fresh mask each call (from torch's default
    generator); an int makes the mask a function of (seed, step, replica).
    ``replica=None`` uses the ``torch.distributed`` rank when initialised.

    timm's extras: ``gamma_scale`` multiplies gamma; ``with_noise`` puts N(0, 1)
    noise in dropped units and leaves kept units unscaled; ``inplace`` writes
    into the input. ``eval()`` makes the layer the identity.

    >>> import torch
    >>> layer = DropBlock2d(0.1, 7, total_steps=100, seed=0)
    >>> layer
    DropBlock2d(drop_prob=0.1, block_size=7, seed=0, total_steps=100)
    >>> y = layer(torch.ones(2, 4, 14, 14))
    >>> int(layer.step)
    1
    >>> x = torch.ones(2, 4, 14, 14)
    >>> layer.eval()(x) is x
    True
    """

    spatial_dims = 2


class DropBlock3d(_DropBlockNd):
    """DropBlock for ``(N, C, D, H, W)`` inputs; the arguments of :class:`DropBlock2d`.

    >>> import torch
    >>> DropBlock3d(0.1, (1, 3, 3), seed=0)(torch.ones(1, 2, 4, 8, 8)).shape
    torch.Size([1, 2, 4, 8, 8])
    """

    spatial_dims = 3
