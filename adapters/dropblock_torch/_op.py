"""The mask as one opaque torch operator, ``dropblock_torch::keep_mask``.

The mask depends only on the input's shape, never on its data, so it is built
outside autograd and outside ``torch.compile``'s tracing: a custom operator
whose fake implementation knows the output shapes lets ``torch.compile`` keep
the whole forward in one graph, and eager mode runs the very same code.

Where the mask is built (``backend``): ``"auto"`` uses the NumPy core (sparse
expansion) for CPU tensors, imported into torch zero-copy with DLPack, and the
core's array-API path on ``array_api_compat.torch`` on any other device, so
the mask never leaves it. ``"numpy"`` always builds on the host (copied to the
device if needed); ``"torch"`` always uses the array-API path.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import torch

from dropblock_core import sample_mask
from dropblock_core._namespace import resolve_namespace
from dropblock_core._validation import check_choice
from dropblock_core.apply import keep_scale
from dropblock_core.config import DropBlockConfig
from dropblock_core.masks import plan_mask

__all__ = ["BACKENDS", "config_from_spec", "keep_mask", "numpy_to_torch", "spec_of"]

BACKENDS = ("auto", "numpy", "torch")
_NUMPY = resolve_namespace(None)  # the core's default namespace (NumPy)
_TORCH = resolve_namespace(torch)  # array_api_compat.torch, via the core


def spec_of(config: DropBlockConfig) -> str:
    """The configuration as the JSON string the operator takes.

    >>> config_from_spec(spec_of(DropBlockConfig(0.1, (3, 5)))) == DropBlockConfig(0.1, (3, 5))
    True
    """
    return json.dumps(config.to_dict(), sort_keys=True)


@functools.lru_cache(maxsize=256)
def config_from_spec(spec: str) -> DropBlockConfig:
    """Inverse of :func:`spec_of` (cached: the operator parses it every call)."""
    return DropBlockConfig.from_dict(json.loads(spec))


def numpy_to_torch(mask: Any) -> torch.Tensor:
    """Import a NumPy mask into torch without copying (DLPack; memory is shared).

    >>> import numpy as np
    >>> m = np.ones((2, 3), dtype=bool)
    >>> numpy_to_torch(m).data_ptr() == m.ctypes.data
    True
    """
    if not mask.flags.c_contiguous:  # torch aborts on DLPack imports with negative strides
        mask = mask.copy(order="C")
    return torch.from_dlpack(mask)


def _core_kwargs(
    config: DropBlockConfig, shape: list[int], drop: float, gamma_scale: float, channels_last: bool
) -> dict[str, Any]:
    """The core's keyword arguments; gamma multiplied by ``gamma_scale`` (timm), at most 1."""
    kwargs = {**config.core_kwargs(), "channels_last": channels_last}
    if gamma_scale != 1.0:
        plan = plan_mask(shape, drop, config.block_size, **kwargs)
        kwargs["gamma"] = min(1.0, plan.gamma * gamma_scale)
    return kwargs


@torch.library.custom_op("dropblock_torch::keep_mask", mutates_args=())
def keep_mask(
    seed: torch.Tensor,
    step: torch.Tensor,
    shape: list[int],
    spec: str,
    replica: int,
    gamma_scale: float,
    channels_last: bool,
    device: torch.device,
    backend: str,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep mask (bool, size 1 along shared axes) and float64 scale for an input
    of physical ``shape`` (``(N, *spatial, C)`` when ``channels_last``).

    ``seed`` holds the 64-bit seed as two 32-bit words ``(low, high)``;
    ``step`` is a 0-d integer tensor (it also drives the schedule). The scale
    is 0-d, or ``(N', 1, ...)`` for ``normalize="per_sample"``.

    >>> m, s = keep_mask(torch.tensor([0, 0]), torch.tensor(0), [1, 2, 8, 8],
    ...                  spec_of(DropBlockConfig(0.2, 3)), 0, 1.0, False,
    ...                  torch.device("cpu"), "auto")
    >>> m.shape, m.dtype, s.dtype
    (torch.Size([1, 2, 8, 8]), torch.bool, torch.float64)
    """
    check_choice(backend, BACKENDS, "mask_backend")
    config = config_from_spec(spec)
    low, high = (int(word) for word in seed.tolist())
    step_value = int(step.item())
    drop = config.drop_prob_at(step_value)
    kwargs = _core_kwargs(config, shape, drop, gamma_scale, channels_last)
    kwargs.update(seed=low | high << 32, step=step_value, replica=replica)
    if backend == "numpy" or (backend == "auto" and device.type == "cpu"):
        host = sample_mask(shape, drop, config.block_size, **kwargs)
        scale = keep_scale(host, drop, config.normalize, _NUMPY, _NUMPY.float64)
        mask = numpy_to_torch(host).to(device)
    else:
        mask = sample_mask(shape, drop, config.block_size, xp=_TORCH, device=device, **kwargs)
        scale = keep_scale(mask, drop, config.normalize, _TORCH, torch.float64)
    return mask, torch.as_tensor(scale, dtype=torch.float64, device=device)


@keep_mask.register_fake
def _keep_mask_fake(
    seed: torch.Tensor,
    step: torch.Tensor,
    shape: list[int],
    spec: str,
    replica: int,
    gamma_scale: float,
    channels_last: bool,
    device: torch.device,
    backend: str,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Shapes only, for ``torch.compile`` (the mask's shape never depends on the step)."""
    config = config_from_spec(spec)
    kwargs = {**config.core_kwargs(), "channels_last": channels_last}
    mask_shape = plan_mask(shape, config.drop_prob, config.block_size, **kwargs).mask_shape
    per_sample = config.normalize == "per_sample"
    scale_shape = (mask_shape[0],) + (1,) * (len(shape) - 1) if per_sample else ()
    return (
        torch.empty(mask_shape, dtype=torch.bool, device=device),
        torch.empty(scale_shape, dtype=torch.float64, device=device),
    )
