"""``timm.layers`` DropBlock, drop-in: change only the import line.

``from dropblock_torch.compat.timm import drop_block_2d, DropBlock2d`` gives
timm 1.0.31's signatures, defaults, attributes (``drop_prob``,
``gamma_scale``, ``block_size``, ``with_noise``, ``inplace``,
``couple_channels``, ``scale_by_keep``) and conventions: the paper's gamma
times ``gamma_scale``, seeds anywhere on the map with blocks centred on them
and clipped at the border (``seed_region="full"``), one mask shared by all
channels unless ``couple_channels=False``, the global rescale
``numel / (kept + 1e-7)`` when ``scale_by_keep``, and with ``with_noise`` the
dropped units replaced by N(0, 1) noise of the mask's shape (kept units not
rescaled). Masks are drawn from torch's generator. The module accepts and
ignores timm's removed ``batchwise`` and ``fast`` arguments and warns on others.

Where it deliberately differs: gamma is capped at 1 instead of failing in
``bernoulli_``; a dropped inf or NaN becomes exactly 0 (or noise) rather than
NaN; the random bits are this project's.

>>> import torch
>>> from dropblock_torch.compat.timm import DropBlock2d
>>> layer = DropBlock2d(0.1, 7)
>>> layer.drop_prob, layer.couple_channels
(0.1, True)
>>> zeros = layer(torch.ones(2, 4, 14, 14)) == 0
>>> bool((zeros == zeros[:, :1]).all())  # one mask for all channels
True
"""

from __future__ import annotations

import warnings

import torch
from torch import nn
from torch.overrides import handle_torch_function, has_torch_function_unary

from dropblock_core._validation import check_flag

from .._op import keep_mask
from ..functional import drop_blocks
from ._common import alias_spec, check_fraction, check_nonnegative, counters

__all__ = ["DropBlock2d", "drop_block_2d"]

_REMOVED_ARGUMENTS = frozenset({"batchwise", "fast"})  # timm < 1.0.23


# timm's signatures, annotations included (tests/adapters/test_torch_compat.py):
# no return annotation, **kwargs and forward's x unannotated.
def drop_block_2d(  # type: ignore[no-untyped-def]
    x: torch.Tensor,
    drop_prob: float = 0.1,
    block_size: int = 7,
    gamma_scale: float = 1.0,
    with_noise: bool = False,
    inplace: bool = False,
    couple_channels: bool = True,
    scale_by_keep: bool = True,
):  # noqa: ANN201  (timm's function has no return annotation)
    """timm's ``drop_block_2d`` on ``(B, C, H, W)`` input (see the module docstring).

    Parameters
    ----------
    x : torch.Tensor
        A floating tensor ``(B, C, H, W)``.
    drop_prob : float, default 0.1
        The drop probability, in [0, 1].
    block_size : int, default 7
        The block's side, clipped to each spatial side (rectangular blocks on
        rectangular maps).
    gamma_scale : float, default 1.0
        Multiplies the paper's gamma, >= 0.
    with_noise : bool, default False
        Fill dropped units with standard normal noise instead of zeros (kept
        units are not rescaled).
    inplace : bool, default False
        Write into ``x``.
    couple_channels : bool, default True
        One mask for all channels of a sample.
    scale_by_keep : bool, default True
        Rescale kept units by the kept fraction of the batch.

    Returns
    -------
    torch.Tensor
        ``x`` with blocks dropped (always in training mode: timm's function has
        no ``training`` argument).

    Raises
    ------
    ValueError
        If ``drop_prob`` is outside [0, 1], ``x`` is not 4-d, or ``gamma_scale``
        is negative.
    TypeError
        If ``x`` is not a tensor or a flag is not a bool.

    Examples
    --------
    >>> import torch
    >>> drop_block_2d(torch.ones(2, 3, 8, 8), 0.1, 3).shape
    torch.Size([2, 3, 8, 8])
    """
    if has_torch_function_unary(x):
        return handle_torch_function(
            drop_block_2d,
            (x,),
            x,
            drop_prob,
            block_size,
            gamma_scale,
            with_noise,
            inplace,
            couple_channels,
            scale_by_keep,
        )
    drop_prob = check_fraction(drop_prob, "drop_prob")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"x must be (B, C, H, W), got shape {tuple(x.shape)}")
    with_noise = check_flag(with_noise, "with_noise")
    inplace = check_flag(inplace, "inplace")
    spec = alias_spec(
        block_size,
        seed_region="full",
        share_channels=check_flag(couple_channels, "couple_channels"),
        normalize="global" if check_flag(scale_by_keep, "scale_by_keep") else "none",
        gamma_scale=check_nonnegative(gamma_scale, "gamma_scale"),
        eps=1e-7,
        square_block=False,
    )
    drop, step = counters(drop_prob, x.device)
    if not with_noise:
        return drop_blocks(x, drop, None, step, spec=spec, inplace=inplace)
    seed = torch.randint(0, 2**32, (2,), dtype=torch.int64, device=x.device)
    channels_last = not x.is_contiguous() and x.movedim(1, -1).is_contiguous()
    shape = list(x.movedim(1, -1).shape if channels_last else x.shape)
    mask, _ = keep_mask(seed, step, drop, shape, spec, 0, channels_last, x.device)
    if channels_last:
        mask = mask.movedim(-1, 1)
    noise = torch.randn(mask.shape, dtype=x.dtype, device=x.device)
    out = torch.where(mask, x, noise)  # kept units unchanged, dropped ones noise
    return x.copy_(out) if inplace else out


class DropBlock2d(nn.Module):
    """timm's ``DropBlock2d``: :func:`drop_block_2d` in training mode when
    ``drop_prob`` is not 0, the identity otherwise.

    Parameters
    ----------
    drop_prob, block_size, gamma_scale, with_noise, inplace, couple_channels, scale_by_keep
        As for :func:`drop_block_2d`; the module's attributes.
    **kwargs
        timm's removed ``batchwise`` and ``fast`` are accepted silently; any
        other name warns, as timm does.

    Examples
    --------
    >>> import torch
    >>> layer = DropBlock2d(0.1, 3)
    >>> layer(torch.ones(2, 3, 8, 8)).shape
    torch.Size([2, 3, 8, 8])
    >>> layer.eval()(torch.ones(1, 1, 4, 4)).sum().item()  # the identity
    16.0
    """

    def __init__(  # type: ignore[no-untyped-def]
        self,
        drop_prob: float = 0.1,
        block_size: int = 7,
        gamma_scale: float = 1.0,
        with_noise: bool = False,
        inplace: bool = False,
        couple_channels: bool = True,
        scale_by_keep: bool = True,
        **kwargs,
    ):
        super().__init__()
        self.drop_prob = drop_prob
        self.gamma_scale = gamma_scale
        self.block_size = block_size
        self.with_noise = with_noise
        self.inplace = inplace
        self.couple_channels = couple_channels
        self.scale_by_keep = scale_by_keep
        for name in kwargs:
            if name not in _REMOVED_ARGUMENTS:
                warnings.warn(
                    f"DropBlock2d() got unexpected keyword argument '{name}'", stacklevel=2
                )

    def forward(self, x):  # type: ignore[no-untyped-def]  # timm's signature
        """:func:`drop_block_2d` of ``x`` in training mode when ``drop_prob`` is not 0.

        Parameters
        ----------
        x : torch.Tensor
            A floating tensor ``(B, C, H, W)``.

        Returns
        -------
        torch.Tensor
            The result of :func:`drop_block_2d`, or ``x`` itself.
        """
        if not self.training or not self.drop_prob:
            return x
        return drop_block_2d(
            x,
            drop_prob=self.drop_prob,
            block_size=self.block_size,
            gamma_scale=self.gamma_scale,
            with_noise=self.with_noise,
            inplace=self.inplace,
            couple_channels=self.couple_channels,
            scale_by_keep=self.scale_by_keep,
        )
