"""The migration guide's claims about the installed peers, measured.

The PyPI ``dropblock`` package and keras-cv are installed in the test
environment (imported at the top: missing, this file fails). Each is run on
many samples and its mean dropped fraction compared with the expectation the
guide prints, within 5 standard errors of the per-sample fractions; the same
bound must *exclude* the other conventions, so the check can tell them apart.
"""

from __future__ import annotations

import doctest

import dropblock
import keras_cv
import numpy as np
import pytest
import tensorflow as tf
import torch

import dropblock_core as db

from .markdown_blocks import DOCS, code_blocks

Z = 5.0  # standard errors


@pytest.fixture(scope="module")
def guide() -> dict:
    """The namespace of migrating.md's doctests (its helper functions and imports)."""
    namespace: dict = {}
    parser = doctest.DocTestParser()
    for block in code_blocks(DOCS / "migrating.md"):
        if block.runs and block.is_doctest:
            test = parser.get_doctest(block.source, namespace, block.where, None, block.line)
            runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
            runner.run(test, out=lambda _: None, clear_globs=False)
            assert not runner.failures, block.where
            namespace.update(test.globs)
    assert {"expected", "keras_cv_expected"} <= set(namespace)
    return namespace


def mean_and_se(per_sample: np.ndarray) -> tuple[float, float]:
    return float(per_sample.mean()), float(per_sample.std(ddof=1) / np.sqrt(per_sample.size))


@pytest.mark.parametrize("size", [14, 7])
def test_pypi_dropblock_drop_rate(guide: dict, size: int) -> None:
    torch.manual_seed(size)
    layer = dropblock.DropBlock2D(drop_prob=0.1, block_size=7).train()
    y = layer(torch.ones(16384, 1, size, size))
    rate, se = mean_and_se((y == 0).float().mean(dim=(1, 2, 3)).numpy())
    claimed = guide["expected"](0.1 / 7**2, "full", size)
    assert abs(rate - claimed) < Z * se, (rate, se, claimed)
    # The other conventions are excluded at the same bound.
    assert abs(rate - guide["expected"]("paper", "valid", size)) > Z * se
    assert abs(rate - 0.1) > Z * se


def test_pypi_dropblock_shares_channels() -> None:
    torch.manual_seed(0)
    y = dropblock.DropBlock2D(drop_prob=0.3, block_size=3).train()(torch.ones(8, 5, 12, 12))
    zeros = y == 0
    assert zeros.any() and bool((zeros == zeros[:, :1]).all())


@pytest.mark.parametrize("shape", [(14, 14), (28, 14), (14, 28)])
def test_keras_cv_drop_rate(guide: dict, shape: tuple[int, int]) -> None:
    layer = keras_cv.layers.DropBlock2D(0.1, 7, seed=sum(shape))
    y = layer(tf.ones((8000, *shape, 1)), training=True).numpy()
    rate, se = mean_and_se((y == 0).mean(axis=(1, 2, 3)))
    claimed = guide["keras_cv_expected"](*shape)
    assert abs(rate - claimed) < Z * se, (rate, se, claimed)
    if shape[0] != shape[1]:  # the correct valid region is excluded
        correct = db.expected_drop_rate(db.paper_gamma(0.1, 7, shape), 7, shape)
        assert abs(rate - correct) > Z * se


def test_keras_cv_masks_are_per_channel() -> None:
    y = keras_cv.layers.DropBlock2D(0.3, 3, seed=1)(tf.ones((4, 12, 12, 6)), training=True).numpy()
    zeros = y == 0
    assert zeros.any() and not bool((zeros == zeros[..., :1]).all())


def test_keras_cv_block_larger_than_map_gives_nan() -> None:
    y = keras_cv.layers.DropBlock2D(0.1, 8, seed=0)(tf.ones((2, 7, 7, 1)), training=True).numpy()
    assert np.isnan(y).all()
    # dropblock_core clips the block instead: channel dropout, never NaN.
    out = db.dropblock(np.ones((2, 1, 7, 7), np.float32), 0.1, 8, seed=0)
    assert np.isfinite(out).all()
