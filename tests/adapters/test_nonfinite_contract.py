"""The inf/NaN contract (issue 12, case 6) for the adapters' functional forms: a
dropped unit is exactly 0 whatever its value, a kept one is ``x * scale``, and
the zeros are the core's mask. Same checks as the core's (tests/core/test_nonfinite.py)."""

from __future__ import annotations

import numpy as np
import pytest

import dropblock_core as db
from tests.core.test_nonfinite import SHAPE, check, nonfinite_input

DROP, BLOCK, SEED, STEP = 0.3, 3, 4, 1


@pytest.fixture
def x_and_keep():
    return nonfinite_input(SHAPE), db.sample_mask(SHAPE, DROP, BLOCK, seed=SEED, step=STEP)


@pytest.mark.parametrize("mask_backend", ["numpy", "torch"])
def test_torch_functional(x_and_keep, mask_backend):
    import torch
    from dropblock_torch import dropblock

    x, keep = x_and_keep
    y = dropblock(
        torch.from_numpy(x.copy()), DROP, BLOCK, seed=SEED, step=STEP, mask_backend=mask_backend
    )
    check(y.numpy(), x, keep, "global", DROP)


def test_tensorflow_functional(x_and_keep):
    import tensorflow as tf
    from dropblock_tf import dropblock

    x, keep = x_and_keep
    y = dropblock(tf.constant(x), DROP, BLOCK, seed=SEED, step=STEP, data_format="channels_first")
    check(y.numpy(), x, keep, "global", DROP)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_jax_functional(x_and_keep, jit):
    import jax
    import jax.numpy as jnp
    from dropblock_jax import dropblock

    x, keep = x_and_keep

    def run(x, seed, step):
        return dropblock(x, DROP, BLOCK, seed=seed, step=step)

    fn = jax.jit(run) if jit else run
    y = fn(jnp.asarray(x), SEED if not jit else jnp.int32(SEED), jnp.int32(STEP) if jit else STEP)
    check(np.asarray(y), x, keep, "global", DROP)
