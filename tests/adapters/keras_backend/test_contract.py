"""The adapter contract (tests/adapters/test_contract.py) for ``dropblock_keras.DropBlock2D``
on this process's Keras backend: the same behaviours, written once, with the Keras driver."""

from __future__ import annotations

from tests.adapters.test_contract import *  # noqa: F403  (the tests and their parametrization)

ADAPTERS = ["keras"]
