"""The convention an implementation claims: gamma rule, seed region, mask
sharing and rescale rule, and what that convention predicts."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from .._validation import (
    GAMMA_RULES,
    NORMALIZE_RULES,
    SEED_REGIONS,
    check_choice,
    check_drop_prob,
    check_flag,
    check_spatial_shape,
    normalize_block_size,
)
from ..gamma import exact_gamma, expected_drop_rate, paper_gamma

__all__ = ["SPECS", "SPEC_GAMMAS", "Spec", "resolve_spec"]

# The gamma rules a spec can claim: the core's, and PyPI dropblock's naive one.
SPEC_GAMMAS = (*GAMMA_RULES, "naive")


@dataclasses.dataclass(frozen=True)
class Spec:
    """A DropBlock convention: what an implementation claims to do.

    Parameters
    ----------
    name : str, default "custom"
        The label reports show.
    gamma : {"paper", "exact", "naive"}, default "paper"
        The seed probability: the paper's formula, the exact one (hits the
        requested drop rate in expectation) or ``drop_prob / prod(block)``
        (PyPI ``dropblock``).
    seed_region : {"valid", "full"}, default "valid"
        Seeds where whole blocks fit inside the map, or anywhere (blocks
        centred and clipped at the border).
    share_channels : bool, default False
        One mask for all channels of a sample.
    share_batch : bool, default False
        One mask for all samples of a batch.
    normalize : {"global", "per_sample", "expected", "none"}, default "global"
        How kept units are rescaled.

    Raises
    ------
    ValueError
        If ``gamma``, ``seed_region`` or ``normalize`` is not one of its choices.
    TypeError
        If ``share_channels`` or ``share_batch`` is not a bool.

    Examples
    --------
    >>> spec = SPECS["paper"]
    >>> spec.describe()
    'gamma=paper, seeds=valid, masks per channel, per sample, rescale=global'
    >>> round(spec.expected_rate(0.1, 7, (14, 14)), 4)
    0.0929
    """

    name: str = "custom"
    gamma: str = "paper"
    seed_region: str = "valid"
    share_channels: bool = False
    share_batch: bool = False
    normalize: str = "global"

    def __post_init__(self) -> None:
        check_choice(self.gamma, SPEC_GAMMAS, "gamma")
        check_choice(self.seed_region, SEED_REGIONS, "seed_region")
        check_choice(self.normalize, NORMALIZE_RULES, "normalize")
        check_flag(self.share_channels, "share_channels")
        check_flag(self.share_batch, "share_batch")

    def gamma_value(
        self, drop_prob: float, block_size: int | Sequence[int], spatial: Sequence[int]
    ) -> float:
        """The seed probability this convention uses.

        Parameters
        ----------
        drop_prob : float
            The requested drop probability, in [0, 1].
        block_size : int or sequence of int
            The block's side, or one side per spatial axis.
        spatial : sequence of int
            The feature map's spatial shape.

        Returns
        -------
        float
            gamma, the probability that a unit seeds a block.

        Raises
        ------
        ValueError
            If ``drop_prob``, ``block_size`` or ``spatial`` is out of range.
        TypeError
            If one of them has the wrong type.

        Examples
        --------
        >>> Spec(gamma="naive").gamma_value(0.1, 5, (20, 20))
        0.004
        """
        drop = check_drop_prob(drop_prob)
        spatial = check_spatial_shape(tuple(spatial))
        if self.gamma == "paper":
            return paper_gamma(drop, block_size, spatial)
        if self.gamma == "exact":
            return exact_gamma(drop, block_size, spatial, seed_region=self.seed_region)
        block = normalize_block_size(block_size, len(spatial))
        return min(drop / math.prod(block), 1.0)

    def expected_rate(
        self, drop_prob: float, block_size: int | Sequence[int], spatial: Sequence[int]
    ) -> float:
        """Expected fraction of dropped units under this convention.

        Parameters
        ----------
        drop_prob, block_size, spatial
            As for :meth:`gamma_value`.

        Returns
        -------
        float
            The expected dropped fraction of the map's units.

        Raises
        ------
        ValueError
            As for :meth:`gamma_value`.
        TypeError
            As for :meth:`gamma_value`.

        Examples
        --------
        >>> round(Spec(gamma="exact").expected_rate(0.1, 7, (14, 14)), 4)
        0.1
        """
        gamma = self.gamma_value(drop_prob, block_size, spatial)
        return expected_drop_rate(gamma, block_size, tuple(spatial), seed_region=self.seed_region)

    def describe(self) -> str:
        """One line: the five choices.

        Returns
        -------
        str
            ``gamma=..., seeds=..., masks ..., ..., rescale=...``.
        """
        return (
            f"gamma={self.gamma}, seeds={self.seed_region}, "
            f"masks {'shared over channels' if self.share_channels else 'per channel'}, "
            f"{'shared over the batch' if self.share_batch else 'per sample'}, "
            f"rescale={self.normalize}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain fields, for JSON.

        Returns
        -------
        dict
            Field name -> value, ``name`` included.

        Examples
        --------
        >>> Spec().to_dict()["seed_region"]
        'valid'
        """
        return dataclasses.asdict(self)


SPECS: dict[str, Spec] = {
    "paper": Spec(name="paper"),
    "exact": Spec(name="exact", gamma="exact"),
}


def resolve_spec(spec: str | Spec = "paper", **overrides: Any) -> Spec:
    """A named or given :class:`Spec` with the non-``None`` ``overrides`` applied.

    Parameters
    ----------
    spec : {"paper", "exact"} or Spec, default "paper"
        The convention to start from.
    **overrides
        :class:`Spec` fields (``gamma``, ``seed_region``, ``share_channels``,
        ``share_batch``, ``normalize``) to change; ``None`` keeps the field.

    Returns
    -------
    Spec
        ``spec`` itself when nothing changes, else a copy named
        ``"<name>+<field>=<value>,..."``.

    Raises
    ------
    ValueError
        If ``spec`` is an unknown name, or an override is not one of its choices.
    TypeError
        If ``spec`` is neither a name nor a :class:`Spec`, an override is not
        a field, or its value has the wrong type.

    Examples
    --------
    >>> resolve_spec("paper", seed_region="full", share_channels=True).describe()
    'gamma=paper, seeds=full, masks shared over channels, per sample, rescale=global'
    >>> resolve_spec("paper").name, resolve_spec("paper", gamma="naive").name
    ('paper', 'paper+gamma=naive')
    """
    if isinstance(spec, str):
        base = SPECS.get(spec)
        if base is None:
            raise ValueError(
                f"spec must be one of {', '.join(map(repr, SPECS))} or a Spec, got {spec!r}"
            )
    elif isinstance(spec, Spec):
        base = spec
    else:
        raise TypeError(f"spec must be a name or a Spec, got {spec!r}")
    fields = {f.name for f in dataclasses.fields(Spec)} - {"name"}
    unknown = set(overrides) - fields
    if unknown:
        raise TypeError(f"unknown spec override(s): {', '.join(sorted(unknown))}")
    for key, value in overrides.items():
        kind = bool if key in ("share_channels", "share_batch") else str
        if value is not None and not isinstance(value, kind):
            raise TypeError(f"{key} must be a {kind.__name__} or None, got {value!r}")
    changes = {k: v for k, v in overrides.items() if v is not None and v != getattr(base, k)}
    if not changes:
        return base
    suffix = ",".join(f"{k}={v}" for k, v in sorted(changes.items()))
    return dataclasses.replace(base, name=f"{base.name}+{suffix}", **changes)
