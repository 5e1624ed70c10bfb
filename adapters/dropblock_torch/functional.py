"""Functional DropBlock on torch tensors: ``dropblock(x, drop_prob, block_size)``.

Only the mask comes from the core (see ``_op``); ``x`` stays a torch tensor,
so autograd, devices and ``torch.compile`` work as for any torch op.

:func:`drop_blocks` is the tensor-level step every front end ends in (the
function, the layers, the upstream aliases): it takes the changing values as
tensors and answers ``__torch_function__``, so ``torch.fx`` records it as one
``call_function`` node (as it does ``torch.nn.functional.dropout``) and
``torch.compile`` traces through it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.overrides import handle_torch_function, has_torch_function

from dropblock_core._validation import check_drop_prob, check_flag, check_uint

from ._apply import masked_scale, masked_scale_
from ._op import keep_mask, spec_json

__all__ = ["as_step", "check_input", "drop_blocks", "dropblock", "seed_words"]


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
    generator: torch.Generator | None = None,
    mask_backend: str = "auto",
) -> torch.Tensor:
    """DropBlock: zero blocks of ``x`` (``(N, C, *spatial)``) and rescale the rest.

    With an int ``seed`` the zero pattern is ``dropblock_core.sample_mask(
    x.shape, drop_prob, block_size, seed=seed, step=step, replica=replica,
    ...)``, bit for bit. With ``seed=None`` the mask's key is drawn from
    ``generator`` (default: the default generator of ``x``'s device), so
    ``torch.manual_seed`` repeats a run and activation checkpointing, which
    restores that generator, redraws the same mask. Kept units are multiplied
    by the core's scale (``normalize``). ``training=False`` or
    ``drop_prob == 0`` returns ``x`` itself. The result keeps ``x``'s dtype,
    device and memory format; the gradient is ``mask * scale``.

    ``mask_backend``: ``"auto"`` (NumPy core for CPU tensors, the core's
    array-API path on torch for other devices), ``"numpy"`` or ``"torch"``.

    Parameters
    ----------
    x : torch.Tensor
        A floating tensor ``(N, C, *spatial)``, any device and memory format.
    drop_prob : float
        The probability of dropping a unit, in [0, 1]; 0 returns the input.
    block_size : int or sequence of int
        The side of the square (cubic) blocks, or one side per spatial axis;
        clipped to the map.
    training : bool, default True
        ``False`` returns the input unchanged.
    seed : int, optional
        Seeds the mask: the mask is ``dropblock_core.sample_mask``'s for this
        ``seed``, ``step`` and ``replica``, bit for bit. ``None`` draws the
        mask's key from ``generator``.
    step : int or torch.Tensor, default 0
        The training step the mask is drawn for (a 0-d integer tensor allowed).
    replica : int, default 0
        The data-parallel replica the mask is drawn for.
    gamma, seed_region, normalize, share_channels, share_batch
        The options of :class:`dropblock_core.DropBlockConfig`.
    generator : torch.Generator, optional
        Draws the key when ``seed`` is None (default: the default generator of
        ``x``'s device).
    mask_backend : {"auto", "numpy", "torch"}, default "auto"
        Where the mask is built: ``auto`` uses the NumPy core for CPU tensors
        and the core's array-API path on torch for other devices.

    Returns
    -------
    torch.Tensor
        ``x`` with blocks zeroed and kept units rescaled; same shape, dtype,
        device and memory format. ``x`` itself when not training or
        ``drop_prob`` is 0.

    Raises
    ------
    ValueError
        If an argument is out of range or not one of its choices, or ``x`` is
        not ``(N, C, *spatial)``.
    TypeError
        If an argument has the wrong type, or ``x`` is not a floating tensor.

    Examples
    --------
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
    if has_torch_function((x,)):
        return handle_torch_function(
            dropblock,
            (x,),
            x,
            drop_prob,
            block_size,
            training=training,
            seed=seed,
            step=step,
            replica=replica,
            gamma=gamma,
            seed_region=seed_region,
            normalize=normalize,
            share_channels=share_channels,
            share_batch=share_batch,
            generator=generator,
            mask_backend=mask_backend,
        )
    check_input(x)
    drop = check_drop_prob(drop_prob)
    if seed is not None:
        seed = check_uint(seed, "seed", 64)
    spec = spec_json(
        tuple(block_size) if isinstance(block_size, Sequence) else block_size,
        gamma=gamma,
        seed_region=seed_region,
        normalize=normalize,
        share_channels=share_channels,
        share_batch=share_batch,
        stream="native" if seed is None else "counter",
        backend=mask_backend,
    )
    step_tensor = as_step(step, x.device)
    replica = check_uint(replica, "replica", 32)
    if not check_flag(training, "training") or drop == 0.0:
        return x
    return drop_blocks(
        x,
        torch.tensor(drop, dtype=torch.float64, device=x.device),
        None if seed is None else seed_words(seed, x.device),
        step_tensor,
        spec=spec,
        replica=replica,
        generator=generator,
    )


def check_input(x: object, spatial_dims: int | None = None) -> torch.Tensor:
    """``x`` if it is a floating tensor of shape ``(N, C, *spatial)`` (with
    ``spatial_dims`` spatial axes, if given), else raise."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"x must have a floating dtype, got {x.dtype}")
    if x.dim() < 3:
        raise ValueError(
            f"x must be (N, C, *spatial) with at least one spatial axis, got shape {tuple(x.shape)}"
        )
    if spatial_dims is not None and x.dim() != spatial_dims + 2:
        raise ValueError(
            f"x must be (N, C) and {spatial_dims} spatial axes, got shape {tuple(x.shape)}"
        )
    return x


def as_step(value: int | torch.Tensor, device: torch.device | None = None) -> torch.Tensor:
    """A step as a 0-d int64 tensor on ``device``; a Python int is range-checked.

    A bool (or a bool tensor) is refused, as everywhere in the core.

    >>> as_step(3)
    tensor(3)
    >>> as_step(torch.tensor(True))
    Traceback (most recent call last):
    ...
    TypeError: step must be an int or a 0-d integer tensor, got tensor(True)
    """
    if isinstance(value, torch.Tensor):
        integer = not (value.is_floating_point() or value.is_complex() or value.dtype == torch.bool)
        if value.dim() != 0 or not integer:
            raise TypeError(f"step must be an int or a 0-d integer tensor, got {value!r}")
        return value if device is None else value.to(device)
    return torch.tensor(check_uint(value, "step", 32), dtype=torch.int64, device=device)


def seed_words(seed: int, device: torch.device | None = None) -> torch.Tensor:
    """A 64-bit seed as its ``(low, high)`` 32-bit words, an int64 tensor.

    >>> seed_words(2**32 + 5)
    tensor([5, 1])
    """
    return torch.tensor([seed & 0xFFFFFFFF, seed >> 32], dtype=torch.int64, device=device)


def _is_channels_last(x: torch.Tensor) -> bool:
    """True when the channel axis is the fastest in memory (channels_last / _3d)."""
    return not x.is_contiguous() and x.movedim(1, -1).is_contiguous()


def drop_blocks(
    x: torch.Tensor,
    drop_prob: torch.Tensor,
    seed: torch.Tensor | None,
    step: torch.Tensor,
    *,
    spec: str,
    replica: int = 0,
    inplace: bool = False,
    generator: torch.Generator | None = None,
    spatial_dims: int | None = None,
) -> torch.Tensor:
    """DropBlock with the changing values as tensors: ``drop_prob`` (0-d
    float64, or int64 holding its float64 bits, as the layers keep it),
    ``seed`` (the two seed words, or ``None`` to draw them from ``generator``),
    ``step`` (0-d int64); ``spec`` is a :meth:`~dropblock_torch._op.MaskSpec.to_json`
    string; ``spatial_dims`` (if given) is the rank the caller expects. Checks
    ``x`` and changes nothing but the result (and ``x`` with ``inplace=True``).

    >>> import torch, dropblock_core
    >>> spec = spec_json(3)
    >>> y = drop_blocks(torch.ones(1, 2, 8, 8), torch.tensor(0.2, dtype=torch.float64),
    ...                 seed_words(1), torch.tensor(4), spec=spec)
    >>> keep = dropblock_core.sample_mask((1, 2, 8, 8), 0.2, 3, seed=1, step=4)
    >>> bool(((y != 0).numpy() == keep).all())
    True
    """
    if has_torch_function((x, drop_prob, seed, step)):
        return handle_torch_function(
            drop_blocks,
            (x, drop_prob, seed, step),
            x,
            drop_prob,
            seed,
            step,
            spec=spec,
            replica=replica,
            inplace=inplace,
            generator=generator,
            spatial_dims=spatial_dims,
        )
    check_input(x, spatial_dims)
    if drop_prob.dtype == torch.int64:
        drop_prob = drop_prob.view(torch.float64)
    if seed is None:
        seed = torch.randint(
            0, 2**32, (2,), dtype=torch.int64, device=x.device, generator=generator
        )
    channels_last = _is_channels_last(x)
    shape = list(x.movedim(1, -1).shape if channels_last else x.shape)
    mask, scale = keep_mask(seed, step, drop_prob, shape, spec, replica, channels_last, x.device)
    if channels_last:
        mask = mask.movedim(-1, 1)
    return masked_scale_(x, mask, scale) if inplace else masked_scale(x, mask, scale)
