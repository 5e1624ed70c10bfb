"""The validator's default run checks dropblock_jax: the function under jit and
the Flax NNX, Flax Linen and Equinox modules, each against the spec it claims.

JAX, Flax and Equinox are imported at the top: a missing one fails this file.
"""

from __future__ import annotations

import equinox  # noqa: F401
import flax  # noqa: F401
import jax  # noqa: F401
import pytest

from dropblock_core.conformance import validate
from dropblock_core.conformance.targets import TARGETS, available

from .budgets import TINY

JAX_TARGETS = [t for t in TARGETS if t.name.startswith("dropblock_jax")]


def test_the_default_run_includes_every_jax_target():
    names = [t.name for t in JAX_TARGETS]
    assert names == [
        "dropblock_jax dropblock (jit)",
        "dropblock_jax.nnx DropBlock",
        "dropblock_jax.linen DropBlock",
        "dropblock_jax.equinox DropBlock (vmap)",
    ]
    ready, _ = available()
    assert set(names) <= {t.name for t in ready}  # installed here, so validated by default
    assert all(not t.third_party for t in JAX_TARGETS)


@pytest.mark.parametrize("target", JAX_TARGETS, ids=lambda t: t.name)
def test_jax_target_meets_its_claim(target):
    checks = ["block structure", "mask coupling", "rescale", "edge cases", "gradient"]
    report = validate(
        target.build(), spec=target.claims, ndim=target.ndim, budget=TINY, checks=checks
    )
    assert report.passed, [(r.check, r.case, r.explanation) for r in report.failures]
    assert report.find("gradient")[0].status == "pass"  # jax.vjp through the layer
    (float64,) = [r for r in report.results if r.case == "dtype float64"]
    assert float64.status == "unsupported"  # JAX without x64 has no float64: said, not hidden


def test_nnx_drop_rate_with_gamma_computed_on_the_device():
    """The NNX layer's drop_prob is a float32 variable: gamma comes from the
    in-graph solve, and the achieved drop rate still meets the exact spec."""
    (target,) = [t for t in JAX_TARGETS if "nnx" in t.name]
    report = validate(target.build(), spec=target.claims, budget=TINY, checks=["drop rate"])
    assert report.passed, [(r.check, r.case, r.explanation) for r in report.failures]
