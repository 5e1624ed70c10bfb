"""Applying a keep mask: ``x * scale`` where kept, exactly ``+0.0`` where dropped.

A dropped unit is 0 whatever it held (inf and NaN too), so the mask cannot
simply multiply ``x``. ``torch.where`` and ``masked_fill`` would do, but on
CPU their boolean-mask kernels are several times slower than a plain
multiply. So the mask is widened once to integers of ``x``'s width (1 kept, 0
dropped) and multiplies ``x``'s *bits*: ``bits * 1`` is ``x`` exactly and
``bits * 0`` is ``+0.0``; then one in-place multiply by the scale. The
backward pass (an autograd ``Function``) does the same to the gradient with
the saved integer mask: two vectorised passes each way, no boolean kernel.
Under ``torch.compile`` (and ``torch.export``) the plain ``torch.where``
formula is traced instead: the compiler fuses it into one kernel, and it
gives the same bits.
"""

from __future__ import annotations

import torch

__all__ = ["masked_scale", "masked_scale_"]

_BITS = {
    torch.float16: torch.int16,
    torch.bfloat16: torch.int16,
    torch.float32: torch.int32,
    torch.float64: torch.int64,
}


def _scaled(t: torch.Tensor, keep: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``t * scale`` where ``keep`` is 1, ``+0.0`` where it is 0 (``keep`` holds
    integers as wide as ``t``'s dtype). float16/bfloat16 multiply in float32,
    rounded once to ``t``'s dtype."""
    kept = (t.view(keep.dtype) * keep).view(t.dtype)
    if t.dtype in (torch.float32, torch.float64):
        return kept.mul_(scale.to(t.dtype))
    return (kept.float() * scale.float()).to(t.dtype)


class _MaskedScale(torch.autograd.Function):
    """``y = x * scale`` where kept, 0 elsewhere; ``dx = dy * scale`` where
    kept, 0 elsewhere. ``keep`` and ``scale`` are constants (no gradient)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x: torch.Tensor, keep: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        return _scaled(x, keep, scale)

    @staticmethod
    def setup_context(ctx, inputs, output):  # type: ignore[no-untyped-def]  # noqa: ANN001
        _, keep, scale = inputs
        ctx.save_for_backward(keep, scale)

    @staticmethod
    def backward(ctx, grad):  # type: ignore[no-untyped-def]  # noqa: ANN001
        keep, scale = ctx.saved_tensors
        return _MaskedScale.apply(grad, keep, scale), None, None


def masked_scale(x: torch.Tensor, mask: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``x * scale`` where ``mask`` is True and exactly 0 elsewhere (a dropped
    inf or NaN is 0 too), with the gradient ``mask * scale``. ``mask`` and
    ``scale`` broadcast against ``x``; ``scale`` is float64 and is rounded to
    ``x``'s dtype (float32 for float16 and bfloat16) before multiplying.

    >>> x = torch.tensor([1.0, float("inf"), 3.0], requires_grad=True)
    >>> y = masked_scale(x, torch.tensor([True, False, True]), torch.tensor(2.0))
    >>> y.tolist()
    [2.0, 0.0, 6.0]
    >>> y.sum().backward(); x.grad.tolist()
    [2.0, 0.0, 2.0]
    """
    if torch.compiler.is_compiling():
        if x.dtype in (torch.float32, torch.float64):
            return torch.where(mask, x * scale.to(x.dtype), 0.0)
        return torch.where(mask, x.float() * scale.float(), 0.0).to(x.dtype)
    return _MaskedScale.apply(x, mask.to(_BITS[x.dtype]), scale)


def masked_scale_(x: torch.Tensor, mask: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """:func:`masked_scale` written into ``x`` (autograd-aware in-place ops).

    >>> x = torch.tensor([1.0, float("nan"), 3.0])
    >>> masked_scale_(x, torch.tensor([True, False, True]), torch.tensor(2.0)) is x
    True
    >>> x.tolist()
    [2.0, 0.0, 6.0]
    """
    if x.dtype in (torch.float32, torch.float64):
        return x.masked_fill_(mask.logical_not(), 0.0).mul_(scale.to(x.dtype))
    return x.copy_(masked_scale(x, mask, scale))
