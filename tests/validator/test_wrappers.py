"""Framework wrappers: conversion, eval and gradient functions, channels-last."""

from __future__ import annotations

import array_api_compat.torch  # noqa: F401  (the namespace the core uses for torch tensors)
import jax
import ml_dtypes
import numpy as np
import tensorflow as tf
import torch

import dropblock_core as db
from dropblock_core.conformance import (
    validate,
    wrap_jax,
    wrap_tf,
    wrap_torch,
    wrap_torch_module,
)
from dropblock_core.conformance.targets import TARGETS

from .budgets import TINY


def _torch_reference(**options):
    state = {"seed": 0, "step": 0}

    def run(t, p, b):
        state["step"] += 1
        return db.dropblock(t, p, b, seed=state["seed"], step=state["step"], **options)

    def reseed(seed):
        state.update(seed=seed, step=0)

    return run, reseed


def test_reference_on_torch_passes_everything_with_its_gradient():
    target = next(t for t in TARGETS if t.name == "dropblock_core on torch")
    report = validate(target.build(), spec=target.claims, budget=TINY)
    assert report.passed, [(r.check, r.case, r.explanation) for r in report.failures]
    (grad,) = report.find("gradient")
    assert grad.status == "pass"
    bf16 = [r for r in report.results if r.case == "dtype bfloat16"]
    assert bf16[0].status == "pass"  # torch has bfloat16; ml_dtypes carries it through NumPy


def test_channels_last_wrapper():
    run, reseed = _torch_reference(channels_last=True, share_channels=True)
    impl = wrap_torch(run, channels_last=True, reseed=reseed)
    report = validate(
        impl,
        spec="exact",
        share_channels=True,
        budget="quick",
        checks=["mask coupling", "block structure", "gradient"],
    )
    assert report.passed, [(r.check, r.case, r.explanation) for r in report.failures]


def test_a_wrong_gradient_fails_only_the_gradient_check():
    run, reseed = _torch_reference()

    def detached(t, p, b):  # right values, gradient of the identity
        return run(t, p, b).detach() + t - t.detach()

    report = validate(
        wrap_torch(detached, reseed=reseed),
        spec="exact",
        budget="quick",
        checks=["rescale", "gradient"],
    )
    assert report.failed_checks() == ["gradient"]


def test_torch_without_autograd_is_unsupported_not_failed():
    run, reseed = _torch_reference()
    impl = wrap_torch(lambda t, p, b: run(t, p, b).detach(), reseed=reseed)
    report = validate(impl, spec="exact", checks=["gradient"], budget="quick")
    assert report.results[0].status == "unsupported"


def test_module_wrapper_uses_train_and_eval_modes():
    impl = wrap_torch_module(lambda p, b: torch.nn.Dropout(p))
    x = np.ones((2, 3, 4, 4), np.float32)
    assert np.array_equal(impl.eval(x, 0.5, 1), x)
    impl.reseed(0)
    y = impl(x, 0.5, 1)
    assert set(np.unique(y)) <= {0.0, 2.0} and (y == 0).any()


def test_jax_wrapper_gradient_uses_the_forward_key():
    def fn(x, p, b, key):
        return db.dropblock(x, p, b, seed=jax.random.randint(key, (), 0, 2**31 - 1))

    impl = wrap_jax(fn, fn_eval=lambda x, p, b: db.dropblock(x, p, b, training=False))
    report = validate(impl, spec="exact", checks=["gradient"], budget="quick")
    assert report.results[0].status == "pass"
    x = np.ones((1, 2, 6, 6), np.float32)
    impl.reseed(5)
    first = impl(x, 0.3, 3)
    impl.reseed(5)
    assert np.array_equal(first, impl(x, 0.3, 3))  # reseeding restarts the key sequence
    assert np.array_equal(impl.eval(x, 0.3, 3), x)


def test_jax_float64_without_x64_is_rejected():
    impl = wrap_jax(lambda x, p, b, key: x)
    try:
        impl(np.ones((1, 1, 2, 2)), 0.1, 1)
    except TypeError as exc:
        assert "jax_enable_x64" in str(exc)
    else:
        raise AssertionError("float64 must be rejected without x64")


def test_tf_wrapper_converts_dtypes_and_differentiates():
    def fn(t, p, b):  # a fixed "mask": every other column, global rescale
        keep = tf.cast(tf.range(t.shape[-1]) % 2 == 0, t.dtype)
        return t * keep * tf.cast(2.0, t.dtype)

    impl = wrap_tf(fn, fn_eval=lambda t, p, b: t)
    x = np.arange(1, 9, dtype=np.float32).reshape(1, 1, 2, 4)
    y, gx = impl.grad(x, 0.5, 1, np.ones_like(x))
    assert np.array_equal(y, x * [2, 0, 2, 0]) and np.array_equal(
        gx, np.tile([2, 0, 2, 0], (1, 1, 2, 1))
    )
    bf = impl(x.astype(ml_dtypes.bfloat16), 0.5, 1)
    assert bf.dtype == ml_dtypes.bfloat16
    report = validate(impl, checks=["rescale", "gradient"], budget="quick")
    assert {r.check: r.status for r in report.results} == {"rescale": "pass", "gradient": "pass"}
