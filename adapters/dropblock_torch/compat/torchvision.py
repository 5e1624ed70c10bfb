"""``torchvision.ops`` DropBlock, drop-in: change only the import line.

``from dropblock_torch.compat.torchvision import drop_block2d, DropBlock2d``
gives torchvision 0.29.1's signatures, defaults, attributes (``p``,
``block_size``, ``inplace``, ``eps``) and repr, and its conventions: the
paper's gamma, seeds where the whole block fits, one mask per sample and
channel, the block clipped to ``min(block_size, *spatial)``, the global
rescale ``numel / (eps + kept)``, masks drawn from torch's generator (so
``torch.manual_seed`` repeats them). ``p`` may be 1, as upstream.

Where it deliberately differs: even block sizes work instead of raising;
float16 inputs are not zeroed (torchvision sums the mask in float16, which
overflows past 65,504 kept units); the random bits are this project's.

>>> import torch
>>> from dropblock_torch.compat.torchvision import DropBlock2d, drop_block2d
>>> layer = DropBlock2d(0.1, 7)
>>> layer
DropBlock2d(p=0.1, block_size=7, inplace=False)
>>> x = torch.ones(2, 4, 14, 14)
>>> drop_block2d(x, 0.1, 7, training=False) is x
True
>>> layer(x).shape
torch.Size([2, 4, 14, 14])
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn
from torch.overrides import handle_torch_function, has_torch_function_unary

from dropblock_core._validation import check_flag

from ..functional import drop_blocks
from ._common import alias_spec, check_fraction, check_nonnegative, counters

__all__ = ["DropBlock2d", "DropBlock3d", "drop_block2d", "drop_block3d"]


def _drop_block(
    function: Callable[..., Tensor],
    dims: int,
    input: Tensor,
    p: float,
    block_size: int,
    inplace: bool,
    eps: float,
    training: bool,
) -> Tensor:
    """The public ``function`` (torchvision's ``drop_block{dims}d``) of its arguments:
    a ``__torch_function__`` override first, then the checks and the drop."""
    if has_torch_function_unary(input):
        return handle_torch_function(
            function, (input,), input, p, block_size, inplace, eps, training
        )
    p = check_fraction(p, "p")
    if not isinstance(input, Tensor):
        raise TypeError(f"input must be a torch.Tensor, got {type(input).__name__}")
    if input.ndim != dims + 2:
        raise ValueError(f"input should be {dims + 2} dimensional. Got {input.ndim} dimensions.")
    if not check_flag(training, "training") or p == 0.0:
        return input
    spec = alias_spec(
        block_size,
        seed_region="valid",
        share_channels=False,
        normalize="global",
        gamma_scale=1.0,
        eps=check_nonnegative(eps, "eps"),
        square_block=True,
    )
    drop_prob, step = counters(p, input.device)
    return drop_blocks(
        input, drop_prob, None, step, spec=spec, inplace=check_flag(inplace, "inplace")
    )


def drop_block2d(
    input: Tensor,
    p: float,
    block_size: int,
    inplace: bool = False,
    eps: float = 1e-06,
    training: bool = True,
) -> Tensor:
    """torchvision's ``drop_block2d`` on ``(N, C, H, W)`` input (see the module docstring).

    Parameters
    ----------
    input : torch.Tensor
        A floating tensor ``(N, C, H, W)`` (:func:`drop_block3d`: ``(N, C, D, H, W)``).
    p : float
        The drop probability, in [0, 1].
    block_size : int
        The side of the square (cubic) blocks.
    inplace : bool, default False
        Write into ``input``.
    eps : float, default 1e-06
        Added to the kept count before rescaling, as torchvision does.
    training : bool, default True
        ``False`` returns ``input``.

    Returns
    -------
    torch.Tensor
        ``input`` with blocks zeroed and kept units rescaled; ``input`` itself
        when not training or ``p`` is 0.

    Raises
    ------
    ValueError
        If ``p`` is outside [0, 1], ``input`` has the wrong rank, or ``eps`` is
        negative.
    TypeError
        If ``input`` is not a tensor or an argument has the wrong type.

    Examples
    --------
    >>> import torch
    >>> drop_block2d(torch.ones(2, 3, 8, 8), 0.1, 3).shape
    torch.Size([2, 3, 8, 8])
    """
    return _drop_block(drop_block2d, 2, input, p, block_size, inplace, eps, training)


def drop_block3d(
    input: Tensor,
    p: float,
    block_size: int,
    inplace: bool = False,
    eps: float = 1e-06,
    training: bool = True,
) -> Tensor:
    """torchvision's ``drop_block3d``: :func:`drop_block2d` on ``(N, C, D, H, W)`` input.

    Parameters, Returns and Raises are those of :func:`drop_block2d`.

    Examples
    --------
    >>> import torch
    >>> drop_block3d(torch.ones(1, 2, 4, 4, 4), 0.1, 3).shape
    torch.Size([1, 2, 4, 4, 4])
    """
    return _drop_block(drop_block3d, 3, input, p, block_size, inplace, eps, training)


class DropBlock2d(nn.Module):
    """torchvision's ``DropBlock2d``: :func:`drop_block2d` with ``self.training``.

    Parameters
    ----------
    p, block_size, inplace, eps
        As for :func:`drop_block2d`; the module's attributes.
    """

    # What forward applies (a staticmethod: a plain function would become a method).
    _function = staticmethod(drop_block2d)

    def __init__(
        self, p: float, block_size: int, inplace: bool = False, eps: float = 1e-06
    ) -> None:
        super().__init__()
        self.p = p
        self.block_size = block_size
        self.inplace = inplace
        self.eps = eps

    def forward(self, input: Tensor) -> Tensor:
        """:func:`drop_block2d` (``DropBlock3d``: :func:`drop_block3d`) of ``input``,
        in training mode when ``self.training``.

        Parameters
        ----------
        input : torch.Tensor
            A floating tensor ``(N, C, H, W)`` (``DropBlock3d``: ``(N, C, D, H, W)``).

        Returns
        -------
        torch.Tensor
            The function's result.
        """
        return self._function(input, self.p, self.block_size, self.inplace, self.eps, self.training)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(p={self.p}, block_size={self.block_size}, "
            f"inplace={self.inplace})"
        )


class DropBlock3d(DropBlock2d):
    """torchvision's ``DropBlock3d``: :func:`drop_block3d` with ``self.training``;
    the parameters of :class:`DropBlock2d`."""

    _function = staticmethod(drop_block3d)
