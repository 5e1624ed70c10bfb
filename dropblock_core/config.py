"""The configuration every framework adapter shares: validated once, with the
repr, the dict round trip (Keras ``get_config``, torch ``extra_repr``) and the
schedule. Adapters hold a :class:`DropBlockConfig` and call the core with
:meth:`DropBlockConfig.core_kwargs`.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from ._validation import (
    NORMALIZE_RULES,
    SEED_REGIONS,
    check_choice,
    check_drop_prob,
    check_flag,
    check_gamma,
    check_uint,
    normalize_block_size,
)
from .schedule import linear_schedule

__all__ = ["OPTIONS", "DropBlockConfig", "config_arguments"]

# The constructor arguments front ends take by name (``total_steps`` is deprecated).
OPTIONS = (
    "drop_prob",
    "block_size",
    "gamma",
    "seed_region",
    "normalize",
    "share_channels",
    "share_batch",
    "seed",
)


def config_arguments(arguments: Mapping[str, Any], **overrides: Any) -> dict[str, Any]:
    """The :class:`DropBlockConfig` arguments among a front end's own (its
    ``locals()``): every name of :data:`OPTIONS` found there, ``overrides``
    winning; other names (``x``, ``replica``, ``self``...) are left out.

    Parameters
    ----------
    arguments : mapping of str to object
        The front end's arguments by name, typically its ``locals()``.
    **overrides
        Values that replace (or add to) those found in ``arguments``.

    Returns
    -------
    dict
        Keyword arguments for :class:`DropBlockConfig`.

    Examples
    --------
    >>> def layer(drop_prob, block_size, *, share_batch=False, replica=0):
    ...     return DropBlockConfig(**config_arguments(locals()))
    >>> layer(0.1, 3, share_batch=True).describe()
    'drop_prob=0.1, block_size=3, share_batch=True'
    """
    return {name: arguments[name] for name in OPTIONS if name in arguments} | overrides


@dataclasses.dataclass(frozen=True)
class DropBlockConfig:
    """DropBlock's parameters, checked on construction.

    ``total_steps > 0`` turns on the paper's schedule: the drop probability
    ramps linearly from 0 to ``drop_prob`` over that many training steps.

    Parameters
    ----------
    drop_prob : float
        The drop probability, in [0, 1).
    block_size : int or sequence of int
        The block's size, >= 1: an int for every spatial axis, or one per axis
        (stored as a tuple).
    gamma : {"exact", "paper"} or float, default "exact"
        The seed probability: ``"exact"`` hits ``drop_prob`` in expectation
        (:func:`dropblock_core.exact_gamma`), ``"paper"`` is the paper's
        formula (:func:`dropblock_core.paper_gamma`), a float in [0, 1] is
        used as it is.
    seed_region : {"valid", "full"}, default "valid"
        ``"valid"``: blocks lie inside the map (the paper); ``"full"``: seeds
        anywhere, blocks clipped to the map.
    normalize : {"global", "per_sample", "expected", "none"}, default "global"
        The rescale of the kept units: ``"global"``, units / kept units over
        the tensor (the paper); ``"per_sample"``, the same per sample;
        ``"expected"``, ``1 / (1 - drop_prob)``; ``"none"``, no rescale.
    share_channels : bool, default False
        One mask for all channels of a sample.
    share_batch : bool, default False
        One mask for all samples of the batch.
    seed : int or None, default None
        The seed of the reproducible Threefry stream, in [0, 2**64); None:
        the framework's own generator.
    total_steps : int, default 0
        Deprecated: the length of the schedule's ramp, >= 0 (0: no ramp). The
        schedule lives in :class:`dropblock_core.LinearDropSchedule` and the
        adapters' ``LinearScheduler``; this field is going away.

    Raises
    ------
    ValueError
        If ``drop_prob`` is outside [0, 1), ``block_size`` is empty or has a
        size below 1, ``gamma`` is a float outside [0, 1] or an unknown rule,
        ``seed_region`` or ``normalize`` is not one of its choices, ``seed`` is
        outside [0, 2**64), or ``total_steps`` is negative.
    TypeError
        If ``drop_prob`` or ``gamma`` is not a real number (nor a rule name),
        ``block_size``, ``seed`` or ``total_steps`` is not an int (or
        ``block_size`` a sequence of ints), or ``share_channels`` or
        ``share_batch`` is not a bool.

    Examples
    --------
    >>> cfg = DropBlockConfig(0.1, 7, seed=3)
    >>> DropBlockConfig.from_dict(cfg.to_dict()) == cfg
    True
    >>> cfg.describe()
    'drop_prob=0.1, block_size=7, seed=3'
    """

    drop_prob: float
    block_size: int | Sequence[int]  # stored as an int or a tuple of ints
    gamma: str | float = "exact"
    seed_region: str = "valid"
    normalize: str = "global"
    share_channels: bool = False
    share_batch: bool = False
    seed: int | None = None
    total_steps: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "drop_prob", check_drop_prob(self.drop_prob))
        block = self.block_size
        if isinstance(block, Sequence) and not isinstance(block, (str, bytes)):
            set_(self, "block_size", normalize_block_size(block, len(block)) if block else ())
            if not block:
                raise ValueError(f"block_size must not be empty, got {block!r}")
        else:
            set_(self, "block_size", normalize_block_size(block, 1)[0])
        set_(self, "gamma", check_gamma(self.gamma))
        check_choice(self.seed_region, SEED_REGIONS, "seed_region")
        check_choice(self.normalize, NORMALIZE_RULES, "normalize")
        check_flag(self.share_channels, "share_channels")
        check_flag(self.share_batch, "share_batch")
        if self.seed is not None:
            set_(self, "seed", check_uint(self.seed, "seed", 64))
        if isinstance(self.total_steps, bool) or not isinstance(self.total_steps, numbers.Integral):
            raise TypeError(f"total_steps must be an int, got {self.total_steps!r}")
        if self.total_steps < 0:
            raise ValueError(f"total_steps must be >= 0, got {self.total_steps!r}")
        set_(self, "total_steps", int(self.total_steps))
        if self.total_steps:
            warnings.warn(
                "DropBlockConfig(total_steps=...) is deprecated: the schedule is "
                "dropblock_core.LinearDropSchedule (or a framework's LinearScheduler)",
                DeprecationWarning,
                stacklevel=3,
            )

    def drop_prob_at(self, step: int) -> float:
        """The drop probability at training ``step`` (the schedule, if any).

        Deprecated with ``total_steps``: use
        :meth:`dropblock_core.LinearDropSchedule.drop_probs_at` or
        :func:`dropblock_core.linear_schedule`.

        Parameters
        ----------
        step : int
            The training step, >= 0 (not checked when ``total_steps`` is 0).

        Returns
        -------
        float
            ``linear_schedule(step, total_steps, drop_prob)``, or ``drop_prob``
            when ``total_steps`` is 0.

        Raises
        ------
        TypeError
            If ``total_steps`` > 0 and ``step`` is not an int (checked by
            :func:`dropblock_core.linear_schedule`).
        ValueError
            If ``total_steps`` > 0 and ``step`` is negative.
        """
        if self.total_steps == 0:
            return self.drop_prob
        return linear_schedule(step, self.total_steps, self.drop_prob)

    def core_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`dropblock_core.dropblock` / ``sample_mask``
        (without ``drop_prob``, ``block_size``, ``seed`` and ``step``).

        Returns
        -------
        dict
            ``gamma``, ``seed_region``, ``share_channels`` and ``share_batch``
            by name. ``normalize`` is left out: only ``dropblock`` takes it.

        Examples
        --------
        >>> DropBlockConfig(0.1, 3, seed_region="full").core_kwargs()["seed_region"]
        'full'
        """
        return {
            "gamma": self.gamma,
            "seed_region": self.seed_region,
            "share_channels": self.share_channels,
            "share_batch": self.share_batch,
        }

    def mask_shape(self, shape: Sequence[Any], *, channels_last: bool = False) -> tuple[Any, ...]:
        """Shape of the keep mask for an input of ``shape``: size 1 along shared axes.

        Only indexes ``shape``, so symbolic sizes (torch ``SymInt``, ``None``
        for an unknown TensorFlow dimension) pass through unchanged.

        Parameters
        ----------
        shape : sequence
            The input's shape, ``(batch, channels, *spatial)`` or, with
            ``channels_last``, ``(batch, *spatial, channels)``; sizes may be
            symbolic.
        channels_last : bool, default False
            Where the channel axis is; keyword-only.

        Returns
        -------
        tuple
            ``shape`` with size 1 along the batch axis if ``share_batch`` and
            along the channel axis if ``share_channels``.

        Examples
        --------
        >>> DropBlockConfig(0.1, 3, share_channels=True).mask_shape((8, 16, 9, 9))
        (8, 1, 9, 9)
        >>> shared = DropBlockConfig(0.1, 3, share_batch=True)
        >>> shared.mask_shape((None, 9, 9, 4), channels_last=True)
        (1, 9, 9, 4)
        """
        dims = list(shape)
        if self.share_batch:
            dims[0] = 1
        if self.share_channels:
            dims[-1 if channels_last else 1] = 1
        return tuple(dims)

    def scale_shape(self, shape: Sequence[Any]) -> tuple[Any, ...]:
        """Shape of the rescale factor: ``()``, or ``(batch', 1, ...)`` per sample.

        Parameters
        ----------
        shape : sequence
            The input's shape (channels first or last alike); sizes may be
            symbolic.

        Returns
        -------
        tuple
            ``()`` (one scale for the tensor) unless ``normalize`` is
            ``"per_sample"``; then the mask's batch size (1 if ``share_batch``)
            followed by ``len(shape) - 1`` ones.

        Examples
        --------
        >>> DropBlockConfig(0.1, 3, normalize="per_sample").scale_shape((8, 16, 9, 9))
        (8, 1, 1, 1)
        """
        if self.normalize != "per_sample":
            return ()
        return (self.mask_shape(shape)[0],) + (1,) * (len(shape) - 1)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python fields (tuples become lists), for configs and JSON.

        Returns
        -------
        dict
            Every field by name; a tuple ``block_size`` becomes a list.

        Examples
        --------
        >>> DropBlockConfig(0.1, (3, 5)).to_dict()["block_size"]
        [3, 5]
        """
        out = dataclasses.asdict(self)
        if isinstance(out["block_size"], tuple):
            out["block_size"] = list(out["block_size"])
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DropBlockConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ``TypeError``.

        Parameters
        ----------
        data : dict
            Field names and values, as :meth:`to_dict` gives them (a list
            ``block_size`` becomes a tuple). Not modified.

        Returns
        -------
        DropBlockConfig
            The checked configuration.

        Raises
        ------
        TypeError
            If a key is not a field, a required field (``drop_prob``,
            ``block_size``) is missing, or a value has the wrong type.
        ValueError
            If a value is out of range (as the constructor).
        """
        data = dict(data)
        if isinstance(data.get("block_size"), list):
            data["block_size"] = tuple(data["block_size"])
        return cls(**data)

    def describe(self) -> str:
        """``name=value`` for the fields that differ from the defaults.

        Returns
        -------
        str
            ``drop_prob`` and ``block_size`` always, then every other field
            that differs from its default, comma-separated: a repr body.

        Examples
        --------
        >>> DropBlockConfig(0.1, 3, seed=0, share_channels=True).describe()
        'drop_prob=0.1, block_size=3, share_channels=True, seed=0'
        """
        parts = [f"drop_prob={self.drop_prob}", f"block_size={self.block_size}"]
        for field in dataclasses.fields(self)[2:]:
            value = getattr(self, field.name)
            if value != field.default:
                parts.append(f"{field.name}={value!r}")
        return ", ".join(parts)
