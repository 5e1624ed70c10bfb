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
    """A DropBlock convention.

    ``gamma``: ``"paper"`` (the paper's formula), ``"exact"`` (hits the
    requested drop rate in expectation) or ``"naive"`` (``drop_prob /
    prod(block)``, PyPI ``dropblock``). ``seed_region``: ``"valid"`` (blocks
    inside the map) or ``"full"`` (seeds anywhere, blocks centred and clipped).
    ``share_channels`` / ``share_batch``: one mask for all channels / samples.
    ``normalize``: ``"global"``, ``"per_sample"``, ``"expected"`` or ``"none"``.

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
        """Expected fraction of dropped units under this convention."""
        gamma = self.gamma_value(drop_prob, block_size, spatial)
        return expected_drop_rate(gamma, block_size, tuple(spatial), seed_region=self.seed_region)

    def describe(self) -> str:
        """One line: the five choices."""
        return (
            f"gamma={self.gamma}, seeds={self.seed_region}, "
            f"masks {'shared over channels' if self.share_channels else 'per channel'}, "
            f"{'shared over the batch' if self.share_batch else 'per sample'}, "
            f"rescale={self.normalize}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain fields, for JSON."""
        return dataclasses.asdict(self)


SPECS: dict[str, Spec] = {
    "paper": Spec(name="paper"),
    "exact": Spec(name="exact", gamma="exact"),
}


def resolve_spec(spec: str | Spec = "paper", **overrides: Any) -> Spec:
    """A named or given :class:`Spec` with the non-``None`` ``overrides`` applied.

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
