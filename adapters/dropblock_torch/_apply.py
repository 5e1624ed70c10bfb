"""Applying a keep mask: ``x * scale`` where kept, exactly ``+0.0`` where dropped.

A dropped unit is 0 whatever it held (inf and NaN too), so the mask cannot
simply multiply ``x``; and on CPU the boolean-mask kernels (``torch.where``,
``masked_fill``) are several times slower than a plain multiply. So, in
eager mode:

- **CPU, float32/float64, a mask per unit** (the common case): one dense
  multiply by the scale into a new tensor laid out like the mask, then the
  dropped units (about ``drop_prob`` of them) are set to 0 by a NumPy
  boolean store through a view of that tensor. The backward pass does the
  same to the gradient with the saved drop mask: one dense pass each way,
  like ``nn.Dropout``'s backward.
- **Otherwise** (shared masks, float16/bfloat16, other devices, inside
  ``torch.func`` transforms): the mask is widened to integers of ``x``'s width
  (1 kept, 0 dropped) and multiplies ``x``'s *bits* (``bits * 1`` is ``x``,
  ``bits * 0`` is ``+0.0``), then one multiply by the scale.

Both are autograd ``Function`` s whose mask and scale get no gradient. Under
``torch.compile`` (and ``torch.export``) the plain ``torch.where`` formula is
traced instead: the compiler fuses it into one kernel, with the same bits.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["masked_scale", "masked_scale_"]

_BITS = {
    torch.float16: torch.int16,
    torch.bfloat16: torch.int16,
    torch.float32: torch.int32,
    torch.float64: torch.int64,
}
_WIDE = (torch.float32, torch.float64)


def _memory_order(t: torch.Tensor) -> torch.Tensor | None:
    """A 1-D view of ``t`` in memory order, or ``None`` if ``t`` is not dense."""
    order = sorted(range(t.dim()), key=lambda d: t.stride(d), reverse=True)
    permuted = t.permute(order)
    return permuted.view(-1) if permuted.is_contiguous() else None


def _scaled(t: torch.Tensor, keep: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``t * scale`` where ``keep`` is 1, ``+0.0`` where it is 0 (``keep`` holds
    integers as wide as ``t``'s dtype). float16/bfloat16 multiply in float32,
    rounded once to ``t``'s dtype."""
    kept = (t.view(keep.dtype) * keep).view(t.dtype)
    if t.dtype in _WIDE:
        return kept.mul_(scale.to(t.dtype))
    return (kept.float() * scale.float()).to(t.dtype)


def _run(function: type[torch.autograd.Function], *args: Any) -> torch.Tensor:
    """``function.apply(*args)`` typed: torch leaves ``apply`` unannotated, and
    the functions here return one tensor."""
    out: torch.Tensor = function.apply(*args)
    return out


class _MaskedScale(torch.autograd.Function):
    """Integer-mask form: ``y = x * scale`` where kept, 0 elsewhere, and the
    same for the gradient. ``keep`` and ``scale`` get no gradient."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x: torch.Tensor, keep: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        return _scaled(x, keep, scale)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        _, keep, scale = inputs
        ctx.save_for_backward(keep, scale)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[Any, ...]:
        keep, scale = ctx.saved_tensors
        return _run(_MaskedScale, grad, keep, scale), None, None


def _scaled_on_host(
    t: torch.Tensor, dropped: Any, template: torch.Tensor, scale: torch.Tensor
) -> torch.Tensor:
    """``t * scale`` laid out like ``template``, then 0 where ``dropped`` (a NumPy
    bool array over the units in memory order) is True."""
    out = torch.empty_like(template, dtype=t.dtype)
    torch.mul(t, scale, out=out)
    flat = _memory_order(out)
    assert flat is not None  # empty_like keeps the template's dense layout
    flat.numpy()[dropped] = 0.0
    return out


class _HostMaskedScale(torch.autograd.Function):
    """Host form (CPU): ``dropped`` is the inverted mask as a NumPy bool array
    in the memory order of ``template`` (the mask, whose layout the result
    and the gradient take)."""

    @staticmethod
    def forward(
        x: torch.Tensor, dropped: Any, template: torch.Tensor, scale: torch.Tensor
    ) -> torch.Tensor:
        return _scaled_on_host(x, dropped, template, scale)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        _, ctx.dropped, template, scale = inputs
        ctx.layout = (template.shape, template.stride())
        ctx.save_for_backward(scale)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[Any, ...]:
        (scale,) = ctx.saved_tensors
        shape, stride = ctx.layout
        template = torch.empty_strided(shape, stride, dtype=torch.bool, device=grad.device)
        return _run(_HostMaskedScale, grad, ctx.dropped, template, scale), None, None, None


def _dropped_on_host(x: torch.Tensor, mask: torch.Tensor) -> Any:
    """The inverted mask as a NumPy bool array in memory order when the host
    form applies, else ``None``."""
    if (
        x.device.type != "cpu"
        or mask.device.type != "cpu"
        or x.dtype not in _WIDE
        or mask.shape != x.shape
        or torch._C._functorch.is_functorch_wrapped_tensor(x)
        or torch._C._functorch.is_functorch_wrapped_tensor(mask)
    ):
        return None
    flat = _memory_order(mask)
    return None if flat is None else ~flat.numpy()


def masked_scale(x: torch.Tensor, mask: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``x * scale`` where ``mask`` is True and exactly 0 elsewhere (a dropped
    inf or NaN is 0 too), with the gradient ``mask * scale``. ``mask`` and
    ``scale`` broadcast against ``x``; ``scale`` is float64 and is rounded to
    ``x``'s dtype (float32 for float16 and bfloat16) before multiplying. The
    result is laid out like ``mask`` when the mask is per unit.

    >>> x = torch.tensor([1.0, float("inf"), 3.0], requires_grad=True)
    >>> y = masked_scale(x, torch.tensor([True, False, True]), torch.tensor(2.0))
    >>> y.tolist()
    [2.0, 0.0, 6.0]
    >>> y.sum().backward(); x.grad.tolist()
    [2.0, 0.0, 2.0]
    """
    if torch.compiler.is_compiling():
        if x.dtype in _WIDE:
            return torch.where(mask, x * scale.to(x.dtype), 0.0)
        return torch.where(mask, x.float() * scale.float(), 0.0).to(x.dtype)
    dropped = _dropped_on_host(x, mask)
    if dropped is not None:
        return _run(_HostMaskedScale, x, dropped, mask, scale.to(x.dtype))
    return _run(_MaskedScale, x, mask.to(_BITS[x.dtype]), scale)


def masked_scale_(x: torch.Tensor, mask: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """:func:`masked_scale` written into ``x`` (autograd-aware in-place ops).

    >>> x = torch.tensor([1.0, float("nan"), 3.0])
    >>> masked_scale_(x, torch.tensor([True, False, True]), torch.tensor(2.0)) is x
    True
    >>> x.tolist()
    [2.0, 0.0, 6.0]
    """
    if x.dtype in _WIDE:
        return x.masked_fill_(mask.logical_not(), 0.0).mul_(scale.to(x.dtype))
    return x.copy_(masked_scale(x, mask, scale))
