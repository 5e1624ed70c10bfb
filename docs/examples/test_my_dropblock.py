"""Conformance tests for *your* DropBlock: copy this file into your test suite,
point ``my_dropblock`` at your implementation, set ``SPEC`` to the convention
it claims, and run pytest. Needs ``python -m pip install ".[testing]"``.

``my_dropblock(x, drop_prob, block_size) -> y`` takes and returns NumPy arrays
(``(batch, channels, *spatial)``) in training mode and draws its own randomness.
For a framework's code, wrap it: ``dropblock_core.conformance.wrap_torch``,
``wrap_torch_module``, ``wrap_tf``, ``wrap_keras_layer`` or ``wrap_jax``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

import dropblock_core as db
from dropblock_core.testing import (
    assert_conforms,
    assert_drop_rate,
    dropblock_cases,
)

SPEC = "paper"  # the convention you claim: "paper", "exact" (+ overrides below)


def my_dropblock(x: np.ndarray, drop_prob: float, block_size: int) -> np.ndarray:
    """Your implementation goes here (here: the reference, paper's gamma)."""
    return db.dropblock(x, drop_prob, block_size, gamma="paper")


def test_conforms_to_its_spec():
    # Every check of the validator: drop rate, block structure, seed positions,
    # mask coupling, rescale and edge cases. A failure lists each failed check
    # with its numbers, one line each.
    assert_conforms(my_dropblock, spec=SPEC, budget="quick")


@settings(max_examples=20, deadline=None, derandomize=True)
@given(dropblock_cases(ndim=2, max_side=24, odd_blocks=True))
def test_drop_rate_matches_the_closed_form(case):
    # Random maps, blocks, drop probabilities, batches and channels: the mean
    # dropped fraction over independent calls must be within 5 standard errors
    # (computed exactly under the spec) of dropblock_core.expected_drop_rate.
    assert_drop_rate(my_dropblock, case, spec=SPEC)
