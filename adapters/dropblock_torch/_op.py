"""The mask as one opaque torch operator, ``dropblock_torch::keep_mask``.

The mask depends only on the input's *shape*, never on its data, so it is
built outside autograd and outside ``torch.compile``'s tracing: a custom
operator whose fake implementation builds the output shapes from (possibly
symbolic) sizes lets ``torch.compile`` and ``torch.export`` keep the whole
forward in one graph for any batch or map size, and eager mode runs the very
same code. The values that change during training (the drop probability, the
step, the seed words) are tensor inputs, so changing them never recompiles;
everything fixed travels as one JSON string (:class:`MaskSpec`).

Where the mask is built (``backend``): ``"auto"`` uses the NumPy core (sparse
expansion) for CPU tensors, imported into torch zero-copy with DLPack, and the
core's array-API path on ``array_api_compat.torch`` on any other device, so
the mask never leaves it. ``"numpy"`` always builds on the host (copied to the
device if needed); ``"torch"`` always uses the array-API path. On the ``meta``
device the operator only computes shapes.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import torch
from torch.utils.dlpack import from_dlpack

from dropblock_core import paper_gamma, sample_mask
from dropblock_core._namespace import resolve_namespace
from dropblock_core._validation import check_choice, clip_block, normalize_block_size
from dropblock_core.apply import keep_scale
from dropblock_core.config import DropBlockConfig, config_arguments

__all__ = ["BACKENDS", "MaskSpec", "keep_mask", "numpy_to_torch", "spec_json"]

BACKENDS = ("auto", "numpy", "torch")
_Fn = TypeVar("_Fn", bound=Callable[..., Any])
_NUMPY = resolve_namespace(None)  # the core's default namespace (NumPy)
_TORCH = resolve_namespace(torch)  # array_api_compat.torch, via the core


@dataclasses.dataclass(frozen=True)
class MaskSpec:
    """Everything fixed about a mask: the configuration without ``drop_prob``
    and ``seed`` (those are tensors), plus the conventions of the upstream
    aliases in :mod:`dropblock_torch.compat`.

    ``gamma_scale`` multiplies gamma (timm), capped at 1. ``eps`` makes the
    global scale ``units / (kept + eps)`` (torchvision, timm). ``square_block``
    clips the block to ``min(block_size, *spatial)`` on every axis
    (torchvision). ``stream`` is the core's seed stream (``"native"`` for keys
    drawn from torch's generator on the NumPy path). ``backend``: see
    :data:`BACKENDS`.

    >>> spec = MaskSpec.of(DropBlockConfig(0.1, (3, 5), share_channels=True))
    >>> MaskSpec.from_json(spec.to_json()) == spec
    True
    >>> spec.config(0.2).mask_shape((8, 4, 10, 10))
    (8, 1, 10, 10)
    """

    block_size: int | tuple[int, ...]
    gamma: str | float = "exact"
    seed_region: str = "valid"
    normalize: str = "global"
    share_channels: bool = False
    share_batch: bool = False
    gamma_scale: float = 1.0
    eps: float = 0.0
    square_block: bool = False
    stream: str = "counter"
    backend: str = "auto"

    @classmethod
    def of(cls, config: DropBlockConfig, **options: Any) -> MaskSpec:
        """The spec of a validated configuration; ``options`` set the other fields."""
        fixed = config.to_dict()
        for name in ("drop_prob", "seed", "total_steps"):
            fixed.pop(name, None)
        if isinstance(fixed["block_size"], list):
            fixed["block_size"] = tuple(fixed["block_size"])
        spec = cls(**fixed, **options)
        check_choice(spec.backend, BACKENDS, "mask_backend")
        return spec

    def to_json(self) -> str:
        """The string the operator takes (a constant for ``torch.compile``)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @staticmethod
    @functools.lru_cache(maxsize=256)
    def from_json(text: str) -> MaskSpec:
        """Inverse of :meth:`to_json` (cached: the operator parses it every call)."""
        fields = json.loads(text)
        if isinstance(fields["block_size"], list):
            fields["block_size"] = tuple(fields["block_size"])
        return MaskSpec(**fields)

    def config(self, drop_prob: float) -> DropBlockConfig:
        """The core configuration for ``drop_prob`` (validated there)."""
        return DropBlockConfig(**config_arguments(vars(self), drop_prob=drop_prob))

    def core_arguments(
        self, shape: Sequence[int], drop_prob: float, channels_last: bool
    ) -> tuple[float, int | tuple[int, ...], dict[str, Any]]:
        """``(drop_prob, block_size, keyword arguments)`` for ``sample_mask``.

        Gamma is the configuration's rule, except with ``gamma_scale != 1`` or
        ``drop_prob == 1`` (both only reachable from the aliases, whose gamma is
        the paper's formula): then gamma is computed here and passed as a float.
        """
        spatial = shape[1:-1] if channels_last else shape[2:]
        block: int | tuple[int, ...] = self.block_size
        if self.square_block:
            block = min(block, *spatial) if isinstance(block, int) else block
        kwargs: dict[str, Any] = {
            "gamma": self.gamma,
            "seed_region": self.seed_region,
            "share_channels": self.share_channels,
            "share_batch": self.share_batch,
            "channels_last": channels_last,
        }
        if drop_prob >= 1.0 or self.gamma_scale != 1.0:
            if self.gamma != "paper":
                raise ValueError(
                    f"drop_prob must be in [0, 1) with gamma={self.gamma!r}, got {drop_prob!r}"
                )
            clipped = clip_block(normalize_block_size(block, len(spatial)), tuple(spatial))
            # paper_gamma is linear in drop_prob below its cap of 1 (which the
            # unscaled formula never exceeds), so 2 * gamma(0.5) is gamma(1) exactly.
            unit = 2.0 * paper_gamma(0.5, clipped, tuple(spatial))
            kwargs["gamma"] = min(1.0, self.gamma_scale * drop_prob * unit)
            drop_prob = 0.0  # only checked by the core once gamma is a number
        return drop_prob, block, kwargs


def _constant_result(fn: _Fn) -> _Fn:
    """``torch.compiler.assume_constant_result``, typed (torch leaves it
    unannotated; it marks ``fn`` and returns it)."""
    marked: _Fn = torch.compiler.assume_constant_result(fn)
    return marked


@_constant_result
def spec_json(
    block_size: int | tuple[int, ...],
    *,
    gamma: str | float = "exact",
    seed_region: str = "valid",
    normalize: str = "global",
    share_channels: bool = False,
    share_batch: bool = False,
    gamma_scale: float = 1.0,
    eps: float = 0.0,
    square_block: bool = False,
    stream: str = "counter",
    backend: str = "auto",
) -> str:
    """The validated :class:`MaskSpec` of these options, as the operator's string.

    Called with constants, so ``torch.compile`` evaluates it once while tracing
    (it cannot trace the JSON encoder) and eager calls hit a cache.

    >>> MaskSpec.from_json(spec_json(3, share_channels=True)).share_channels
    True
    """
    options: tuple[Any, ...] = (block_size, gamma, seed_region, normalize, share_channels)
    options += (share_batch, gamma_scale, eps, square_block, stream, backend)
    key = tuple(map(repr, options))  # 1, True, 1.0 and (1.0, 3) must not share a key
    if key not in _SPECS:
        if len(_SPECS) >= 256:
            _SPECS.clear()
        _SPECS[key] = _new_spec_json(*options)
    return _SPECS[key]


_SPECS: dict[tuple[Any, ...], str] = {}


def _new_spec_json(
    block_size: int | tuple[int, ...],
    gamma: str | float,
    seed_region: str,
    normalize: str,
    share_channels: bool,
    share_batch: bool,
    gamma_scale: float,
    eps: float,
    square_block: bool,
    stream: str,
    backend: str,
) -> str:
    config = DropBlockConfig(**config_arguments(locals(), drop_prob=0.0))
    spec = MaskSpec.of(
        config,
        gamma_scale=gamma_scale,
        eps=eps,
        square_block=square_block,
        stream=stream,
        backend=backend,
    )
    return spec.to_json()


def numpy_to_torch(mask: Any) -> torch.Tensor:
    """Import a NumPy mask into torch without copying (DLPack; memory is shared).

    >>> import numpy as np
    >>> m = np.ones((2, 3), dtype=bool)
    >>> numpy_to_torch(m).data_ptr() == m.ctypes.data
    True
    """
    if not mask.flags.c_contiguous:  # torch aborts on DLPack imports with negative strides
        mask = mask.copy(order="C")
    return from_dlpack(mask)


def _with_eps(scale: torch.Tensor, eps: float, units: int) -> torch.Tensor:
    """``units / (kept + eps)`` from ``scale = units / kept`` (0 stays 0)."""
    if eps == 0.0:
        return scale
    return torch.where(scale > 0, scale / (1.0 + eps * scale / units), scale)


@torch.library.custom_op("dropblock_torch::keep_mask", mutates_args=())
def keep_mask(
    seed: torch.Tensor,
    step: torch.Tensor,
    drop_prob: torch.Tensor,
    shape: list[int],
    spec: str,
    replica: int,
    channels_last: bool,
    device: torch.device,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep mask (bool, size 1 along shared axes) and float64 scale for an input
    of physical ``shape`` (``(N, *spatial, C)`` when ``channels_last``).

    ``seed`` holds the 64-bit seed as two 32-bit words ``(low, high)``,
    ``step`` is a 0-d integer tensor and ``drop_prob`` a 0-d float64 tensor;
    ``spec`` is :meth:`MaskSpec.to_json`. The scale is 0-d, or ``(N', 1, ...)``
    for ``normalize="per_sample"``. Both outputs are C-contiguous.

    >>> spec = MaskSpec.of(DropBlockConfig(0.2, 3)).to_json()
    >>> drop = torch.tensor(0.2, dtype=torch.float64)
    >>> m, s = keep_mask(torch.tensor([0, 0]), torch.tensor(0), drop, [1, 2, 8, 8], spec, 0,
    ...                  False, torch.device("cpu"))
    >>> m.shape, m.dtype, s.dtype
    (torch.Size([1, 2, 8, 8]), torch.bool, torch.float64)
    """
    mask_spec = MaskSpec.from_json(spec)
    low, high = (int(word) for word in seed.tolist())
    drop, block, kwargs = mask_spec.core_arguments(shape, float(drop_prob.item()), channels_last)
    counters: dict[str, Any] = {
        "seed": low | high << 32,
        "step": int(step.item()),
        "replica": replica,
        "stream": mask_spec.stream,
    }
    on_host = mask_spec.backend == "numpy" or (mask_spec.backend == "auto" and device.type == "cpu")
    if on_host:
        host = sample_mask(shape, drop, block, **kwargs, **counters)
        scale = keep_scale(host, drop, mask_spec.normalize, _NUMPY.float64, xp=_NUMPY)
        mask = numpy_to_torch(host).to(device)
    else:
        counters["stream"] = "counter"  # the native stream exists on NumPy only
        mask = sample_mask(shape, drop, block, xp=_TORCH, device=device, **kwargs, **counters)
        mask = mask.contiguous()
        scale = keep_scale(mask, drop, mask_spec.normalize, torch.float64, xp=_TORCH)
    scale = torch.as_tensor(scale, dtype=torch.float64, device=device).contiguous()
    return mask, _with_eps(scale, mask_spec.eps, mask.numel())


@keep_mask.register_fake
def _keep_mask_fake(
    seed: torch.Tensor,
    step: torch.Tensor,
    drop_prob: torch.Tensor,
    shape: list[int],
    spec: str,
    replica: int,
    channels_last: bool,
    device: torch.device,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Shapes only (``torch.compile``, ``torch.export``, the ``meta`` device):
    built from the sizes as given, so symbolic sizes pass through."""
    config = MaskSpec.from_json(spec).config(0.0)
    return (
        torch.empty(
            config.mask_shape(shape, channels_last=channels_last), dtype=torch.bool, device=device
        ),
        torch.empty(config.scale_shape(shape), dtype=torch.float64, device=device),
    )


@keep_mask.register_vmap
def _keep_mask_vmap(
    info: Any,
    in_dims: tuple[Any, ...],
    seed: torch.Tensor,
    step: torch.Tensor,
    drop_prob: torch.Tensor,
    *rest: Any,
) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[int | None, int | None]]:
    """Under ``torch.vmap``: one mask for the whole batch when the counters are
    not batched, else one mask per batch entry (e.g. keys drawn with
    ``randomness="different"``)."""
    counters = (seed, step, drop_prob)
    if all(dim is None for dim in in_dims[:3]):
        return keep_mask(*counters, *rest), (None, None)
    masks, scales = [], []
    for index in range(info.batch_size):
        picked = [t if d is None else t.select(d, index) for t, d in zip(counters, in_dims)]
        mask, scale = keep_mask(*picked, *rest)
        masks.append(mask)
        scales.append(scale)
    return (torch.stack(masks), torch.stack(scales)), (0, 0)
