"""DropBlock layers: ``DropBlock1d``, ``DropBlock2d``, ``DropBlock3d``.

Each is an ``nn.Module`` and a :class:`dropblock_core.layer.DropBlockLayer`
(the framework-free half: configuration, settable ``drop_prob``, ``step`` and
``layer_id``, repr). What is torch-specific lives here: the three changing
values are kept in **non-persistent buffers** (so ``state_dict()`` is empty
and strict loading works both ways, ``torch.compile`` sees tensors and never
recompiles when a scheduler changes them, ``torch.fx`` records them as
``get_attr``, and they follow ``.to(device)``). ``forward`` changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from dropblock_core._validation import check_flag, check_uint
from dropblock_core.config import config_arguments
from dropblock_core.layer import DropBlockLayer

from ._op import MaskSpec
from .functional import drop_blocks, seed_words

__all__ = ["DropBlock1d", "DropBlock2d", "DropBlock3d", "DropBlockNd"]


class DropBlockNd(nn.Module, DropBlockLayer):
    """DropBlock over ``spatial_dims`` spatial axes (Ghiasi et al., 2018).

    The base of :class:`DropBlock1d`, :class:`DropBlock2d` and
    :class:`DropBlock3d`, which fix ``spatial_dims``; this class takes any
    number. ``drop_prob`` is a plain settable attribute, read by every
    training call; the other options are fixed.

    With an int ``seed``, ``step`` is set from outside, once per optimizer
    step, by :class:`dropblock_torch.LinearScheduler` (or by you), and the
    scheduler numbers the layers (``layer_id``) so layers sharing a seed draw
    different masks. ``eval()`` makes the layer the identity; ``forward``
    never changes the layer.

    Parameters
    ----------
    drop_prob : float
        The probability of dropping a unit, in [0, 1]; a settable attribute,
        read by every training call.
    block_size : int or sequence of int
        The side of the square (cubic) blocks, or one side per spatial axis;
        clipped to the map.
    gamma, seed_region, normalize, share_channels, share_batch
        The options of :class:`dropblock_core.DropBlockConfig`.
    seed : int, optional
        ``None`` draws each mask's key from the default generator of the input's
        device, like ``nn.Dropout``; an int makes the mask
        ``dropblock_core.sample_mask(..., seed=layer.mask_seed, step=layer.step,
        replica=...)``.
    replica : int, optional
        The data-parallel replica; ``None`` uses the ``torch.distributed`` rank
        when initialised (else 0).
    inplace : bool, default False
        Write into the input.
    mask_backend : {"auto", "numpy", "torch"}, default "auto"
        Where the mask is built, as for :func:`dropblock_torch.dropblock`.

    Raises
    ------
    ValueError
        If an argument is out of range or not one of its choices.
    TypeError
        If an argument has the wrong type.

    Examples
    --------
    >>> import torch
    >>> DropBlockNd(0.1, (2, 3), seed=0)(torch.ones(2, 4, 8, 8)).shape
    torch.Size([2, 4, 8, 8])
    """

    _drop_prob_bits: torch.Tensor  # drop_prob's float64 bits (int64: .half() cannot round it)
    _step: torch.Tensor
    _seed_words: torch.Tensor  # (low, high) words of mask_seed

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
        seed: int | None = None,
        replica: int | None = None,
        inplace: bool = False,
        mask_backend: str = "auto",
    ) -> None:
        super().__init__()
        for name, shape in (("_drop_prob_bits", ()), ("_step", ()), ("_seed_words", (2,))):
            self.register_buffer(name, torch.zeros(shape, dtype=torch.int64), persistent=False)
        self._init_dropblock(**config_arguments(locals()))
        self.replica = None if replica is None else check_uint(replica, "replica", 32)
        self.inplace = check_flag(inplace, "inplace")
        self.mask_backend = mask_backend
        self._spec = MaskSpec.of(
            self._dropblock_fixed,
            backend=mask_backend,
            stream="native" if seed is None else "counter",
        ).to_json()

    # -- where DropBlockLayer keeps the changing values ---------------------------------

    def _store(self, name: str, value: float | int) -> None:
        """Keep ``value`` as a Python number (for the repr and the properties)
        and in the buffer ``forward`` reads."""
        self.__dict__[f"_dropblock_{name}"] = value
        self._write_buffer(name)

    def _load(self, name: str) -> float | int:
        value: float | int = self.__dict__[f"_dropblock_{name}"]
        return value

    def _write_buffer(self, name: str) -> None:
        with torch.no_grad():
            if name == "drop_prob":
                bits = torch.tensor(self._load(name), dtype=torch.float64).view(torch.int64)
                self._drop_prob_bits.copy_(bits)
            elif name == "step":
                self._step.fill_(self._load(name))
            elif self.mask_seed is not None:  # layer_id
                self._seed_words.copy_(seed_words(self.mask_seed))

    def _apply(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """After ``.to()``, ``.half()``, ``.to_empty()`` ...: rewrite the buffers
        from the Python values (``to_empty`` leaves them uninitialised)."""
        # torch leaves Module._apply unannotated (and mypy cannot exempt a super() call).
        result = super()._apply(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        for name in ("drop_prob", "step", "layer_id"):
            self._write_buffer(name)
        return result

    # -- the layer -------------------------------------------------------------------------

    def current_replica(self) -> int:
        """``replica`` if given, else this process's rank under ``torch.distributed``."""
        if self.replica is not None:
            return self.replica
        if dist.is_available() and dist.is_initialized():
            return dist.get_rank()
        return 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        return drop_blocks(
            x,
            self._drop_prob_bits,
            None if self.seed is None else self._seed_words,
            self._step,
            spec=self._spec,
            replica=self.current_replica(),
            inplace=self.inplace,
            spatial_dims=self.spatial_dims,
        )

    def extra_repr(self) -> str:
        names = ("layer_id", 0), ("replica", None), ("inplace", False), ("mask_backend", "auto")
        extras = [
            f"{name}={getattr(self, name)!r}"
            for name, default in names
            if getattr(self, name) != default and (name != "layer_id" or self.seed is not None)
        ]
        return ", ".join([self.describe(), *extras])


class DropBlock1d(DropBlockNd):
    """DropBlock for ``(N, C, L)`` inputs; see :class:`DropBlockNd`.

    Examples
    --------
    >>> import torch
    >>> layer = DropBlock1d(0.2, 3, seed=0)
    >>> layer(torch.ones(2, 4, 16)).shape
    torch.Size([2, 4, 16])
    """

    spatial_dims = 1


class DropBlock2d(DropBlockNd):
    """DropBlock for ``(N, C, H, W)`` inputs; see :class:`DropBlockNd`.

    Examples
    --------
    >>> import torch
    >>> layer = DropBlock2d(0.1, 7, seed=0)
    >>> layer
    DropBlock2d(drop_prob=0.1, block_size=7, seed=0)
    >>> layer.drop_prob = 0.05
    >>> layer
    DropBlock2d(drop_prob=0.05, block_size=7, seed=0)
    >>> layer.state_dict()
    OrderedDict()
    >>> x = torch.ones(2, 4, 14, 14)
    >>> bool(torch.equal(layer(x), layer(x)))  # same seed and step: same mask
    True
    >>> layer.eval()(x) is x
    True
    """

    spatial_dims = 2


class DropBlock3d(DropBlockNd):
    """DropBlock for ``(N, C, D, H, W)`` inputs; see :class:`DropBlockNd`.

    Examples
    --------
    >>> import torch
    >>> DropBlock3d(0.1, (1, 3, 3), seed=0)(torch.ones(1, 2, 4, 8, 8)).shape
    torch.Size([1, 2, 4, 8, 8])
    """

    spatial_dims = 3
