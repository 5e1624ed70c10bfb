"""The adapter contract: one set of behaviours, run against every DropBlock layer adapter.

Each behaviour is written once, against the :class:`~tests.adapters.drivers.Driver`
interface; the adapters are ``dropblock_torch.DropBlock2d``, the JAX modules
``dropblock_jax.nnx.DropBlock`` (``seed=``), ``dropblock_jax.linen.DropBlock``
and ``dropblock_jax.equinox.DropBlock`` (keys), and ``dropblock_keras.DropBlock2D``.
Keras picks its backend once per process, so its cases run in
tests/adapters/keras_backend/test_contract.py, once per backend (TensorFlow,
JAX, PyTorch: tests/adapters/test_keras_backends.py starts those processes).

Every adapter (5 adapters, 14 behaviours):

1. an inference call returns the input object itself;
2. a training call equals ``dropblock_core.dropblock`` bit for bit for the same
   seed and step (zero pattern = ``sample_mask``), for square, rectangular and
   even blocks, the paper's gamma, a full seed region, shared channels,
   per-sample normalisation (and shared batch masks where the layer has them);
3. ``drop_prob=0`` is the identity;
4. float16 / float32 / float64 inputs (those the framework has) keep their
   dtype and shape and equal the core's output;
5. the gradient is ``mask * scale`` (the core's mask, its global scale);
6. non-finite inputs: a dropped inf/NaN is exactly +0, a kept one ``x * scale``
   (tests/core/test_nonfinite.py's check);
7. the same call twice gives the same output (nothing hidden advances);
8. another seed (or key) draws another mask;
9. everything dropped gives zeros and a zero gradient, never NaN;
10. a bad ``drop_prob`` is a ValueError/TypeError naming ``drop_prob``;
11. a bad ``block_size`` is a ValueError/TypeError naming ``block_size``;
12. bad ``gamma``, ``normalize``, ``seed_region``, ``share_channels`` name themselves;
13. an input of the wrong rank is a ValueError;
14. an integer input is a TypeError.

Layers with settable state (``DropBlockLayer``: torch, NNX, Keras; 7 behaviours):

15. a set ``drop_prob`` reads back exactly, is in ``config`` and is used by the next call;
16. ``describe()`` and the repr tell the truth after ``drop_prob`` is set (the
    repr is the ``describe()`` text for torch and Keras; Flax's own for NNX);
17. a bad ``drop_prob`` / ``step`` / ``layer_id`` raises naming it and changes nothing;
18. the fixed options (``block_size``, ``gamma``, ...) are read-only (AttributeError);
19. ``step`` selects the mask (each step the core's, steps differ);
20. two layers with one seed but different ``layer_id`` draw different masks
    (``layer_seed(seed, layer_id)``'s);
21. a call (training or inference) changes no state: ``drop_prob``, ``step``,
    ``layer_id`` and the framework's variables or buffers.

Layers with a ``replica`` argument (torch, Keras): 22. the replica selects the mask.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dropblock_core as db
from tests.adapters.drivers import DRIVERS, Driver, Handle
from tests.core.test_nonfinite import check, nonfinite_input

#: The adapters this module runs against (the Keras shim replaces it with ``["keras"]``).
ADAPTERS = [name for name in DRIVERS if name != "keras"]
DROP, BLOCK, SEED = 0.3, 3, 7


def needs(*features: str) -> Callable[[Callable], Callable]:
    """Run the test only against adapters with these :data:`~tests.adapters.drivers.FEATURES`."""

    def mark(test: Callable) -> Callable:
        test.needs = features  # type: ignore[attr-defined]
        return test

    return mark


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``driver`` (and ``dtype``, ``config``): only the combinations an adapter has."""
    if "driver" not in metafunc.fixturenames:
        return
    needed = set(getattr(metafunc.function, "needs", ()))
    drivers = [DRIVERS[name]() for name in metafunc.module.ADAPTERS]
    drivers = [d for d in drivers if needed <= d.features]
    if "dtype" in metafunc.fixturenames:
        combos = [(d, t) for d in drivers for t in d.dtypes]
        ids = [f"{d.name}-{t}" for d, t in combos]
        metafunc.parametrize(("driver", "dtype"), combos, ids=ids)
    elif "config" in metafunc.fixturenames:
        combos = [(d, c) for d in drivers for c in CONFIGS if set(c.get("needs", ())) <= d.features]
        ids = [f"{d.name}-{c['id']}" for d, c in combos]
        metafunc.parametrize(("driver", "config"), combos, ids=ids)
    else:
        metafunc.parametrize("driver", drivers, ids=[d.name for d in drivers])


def positive(driver: Driver, dtype: str = "float32", seed: int = 0, c: int = 3) -> np.ndarray:
    """Inputs in [0.5, 1.5): never zero, so the zeros of an output are the mask's."""
    shape = driver.shape(2, c, 12, 10)
    return np.random.default_rng(seed).uniform(0.5, 1.5, shape).astype(dtype)


def core(driver: Driver, handle: Handle, x: np.ndarray, drop_prob: float, block: Any, **options):
    """``dropblock_core.dropblock`` and ``sample_mask`` for the layer's next training call."""
    counters = {**driver.core_kwargs(handle), "channels_last": driver.channels_last, **options}
    view = driver.core_view(x)
    out = db.dropblock(view, drop_prob, block, **counters)
    counters.pop("normalize", None)  # the scale's, not the mask's
    mask = np.broadcast_to(db.sample_mask(view.shape, drop_prob, block, **counters), view.shape)
    return driver.from_core(out), driver.from_core(mask)


def assert_core_output(driver: Driver, handle: Handle, x: np.ndarray, drop: float, block, **opts):
    got = driver.train(handle, x)
    want, mask = core(driver, handle, x, drop, block, **opts)
    np.testing.assert_array_equal(got != 0, mask)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == x.dtype and got.shape == x.shape
    return got


# -- every adapter ---------------------------------------------------------------------------


def test_inference_returns_the_input_itself(driver: Driver) -> None:
    handle = driver.build(DROP, BLOCK, seed=SEED)
    x = driver.native(positive(driver))
    assert driver.infer(handle, x) is x


CONFIGS: list[dict[str, Any]] = [
    {"id": "square", "drop": 0.3, "block": 3, "options": {}},
    {"id": "rect-even-paper", "drop": 0.2, "block": (2, 5), "options": {"gamma": "paper"}},
    {"id": "full-region", "drop": 0.25, "block": 4, "options": {"seed_region": "full"}},
    {"id": "shared-channels", "drop": 0.3, "block": 3, "options": {"share_channels": True}},
    {"id": "per-sample", "drop": 0.1, "block": 5, "options": {"normalize": "per_sample"}},
    {"id": "explicit-gamma", "drop": 0.1, "block": 1, "options": {"gamma": 0.05}},
    {
        "id": "shared-batch",
        "drop": 0.3,
        "block": 3,
        "options": {"share_batch": True, "share_channels": True},
        "needs": ("share_batch",),
    },
]


def test_training_output_is_the_cores_bit_for_bit(driver: Driver, config: dict) -> None:
    handle = driver.build(config["drop"], config["block"], seed=SEED, **config["options"])
    x = positive(driver)
    assert_core_output(driver, handle, x, config["drop"], config["block"], **config["options"])


def test_zero_drop_prob_is_the_identity(driver: Driver) -> None:
    x = positive(driver)
    np.testing.assert_array_equal(driver.train(driver.build(0.0, BLOCK, seed=SEED), x), x)


def test_dtype_and_shape_are_kept_and_values_are_the_cores(driver: Driver, dtype: str) -> None:
    handle = driver.build(0.2, 5, seed=SEED)
    out = assert_core_output(driver, handle, positive(driver, dtype), 0.2, 5)
    assert np.isfinite(out).all() and (out != 0).any()


def test_gradient_is_mask_times_scale(driver: Driver) -> None:
    handle = driver.build(0.25, 3, seed=SEED)
    x = positive(driver)
    _, mask = core(driver, handle, x, 0.25, 3)
    grad = driver.gradient(handle, x, np.ones_like(x))
    scale = np.float32(mask.size / np.count_nonzero(mask))  # the core's global scale
    np.testing.assert_array_equal(grad, mask * scale)


def test_nonfinite_inputs_follow_the_core_contract(driver: Driver) -> None:
    handle = driver.build(DROP, BLOCK, seed=SEED)
    x = driver.from_core(nonfinite_input(driver.core_view(positive(driver)).shape))
    _, keep = core(driver, handle, x, DROP, BLOCK)
    y = driver.train(handle, x)
    check(driver.core_view(y), driver.core_view(x), driver.core_view(keep), "global", DROP)


def test_the_same_call_twice_gives_the_same_output(driver: Driver) -> None:
    handle = driver.build(DROP, BLOCK, seed=SEED)
    x = positive(driver)
    np.testing.assert_array_equal(driver.train(handle, x), driver.train(handle, x))


def test_another_seed_draws_another_mask(driver: Driver) -> None:
    x = positive(driver)
    first = driver.train(driver.build(DROP, BLOCK, seed=SEED), x)
    other = driver.build(DROP, BLOCK, seed=SEED + 1)
    second = assert_core_output(driver, other, x, DROP, BLOCK)
    assert ((first != 0) != (second != 0)).any()


def test_everything_dropped_gives_zeros_and_a_zero_gradient(driver: Driver) -> None:
    handle = driver.build(0.5, 3, seed=SEED, gamma=1.0)
    x = positive(driver)
    np.testing.assert_array_equal(driver.train(handle, x), np.zeros_like(x))
    np.testing.assert_array_equal(driver.gradient(handle, x, np.ones_like(x)), np.zeros_like(x))


@pytest.mark.parametrize(
    ("value", "error"),
    [(1.0, ValueError), (-0.1, ValueError), (math.nan, ValueError), ("0.1", TypeError)],
    ids=["one", "negative", "nan", "str"],
)
def test_a_bad_drop_prob_names_itself(driver: Driver, value: Any, error: type) -> None:
    with pytest.raises(error, match="drop_prob"):
        driver.build(value, BLOCK, seed=SEED)


@pytest.mark.parametrize(
    ("value", "error"),
    [(0, ValueError), ((3, 3, 3), ValueError), (3.0, TypeError), ("3", TypeError)],
    ids=["zero", "three-sizes", "float", "str"],
)
def test_a_bad_block_size_names_itself(driver: Driver, value: Any, error: type) -> None:
    with pytest.raises(error, match="block_size"):
        driver.build(DROP, value, seed=SEED)


@pytest.mark.parametrize(
    ("option", "value", "error"),
    [
        ("gamma", "approx", ValueError),
        ("normalize", "sum", ValueError),
        ("seed_region", "same", ValueError),
        ("share_channels", "yes", TypeError),
    ],
)
def test_a_bad_option_names_itself(driver: Driver, option: str, value: Any, error: type) -> None:
    with pytest.raises(error, match=option):
        driver.build(DROP, BLOCK, seed=SEED, **{option: value})


def test_an_input_of_the_wrong_rank_is_a_value_error(driver: Driver) -> None:
    handle = driver.build(DROP, BLOCK, seed=SEED)
    with pytest.raises(ValueError):
        driver.call(handle, driver.native(positive(driver)[..., 0]))


def test_an_integer_input_is_a_type_error(driver: Driver) -> None:
    handle = driver.build(DROP, BLOCK, seed=SEED)
    with pytest.raises(TypeError, match="float"):
        driver.call(handle, driver.native(np.ones(positive(driver).shape, np.int32)))


# -- layers with settable state -----------------------------------------------------------------


@needs("settable")
def test_a_set_drop_prob_is_used_by_the_next_call(driver: Driver) -> None:
    handle = driver.build(0.1, BLOCK, seed=SEED)
    x = positive(driver)
    before = driver.train(handle, x)
    handle.layer.drop_prob = 0.3
    assert handle.layer.drop_prob == 0.3  # exactly, even where a float32 variable holds it
    assert handle.layer.config.drop_prob == 0.3
    after = assert_core_output(driver, handle, x, 0.3, BLOCK)
    assert ((before != 0) != (after != 0)).any()
    handle.layer.drop_prob = 0.0  # a schedule's first step: nothing dropped
    np.testing.assert_array_equal(driver.train(handle, x), x)


@needs("settable")
def test_describe_tells_the_truth_after_drop_prob_is_set(driver: Driver) -> None:
    handle = driver.build(0.1, (3, 5), seed=SEED, normalize="per_sample")
    handle.layer.drop_prob = 0.05
    body = "drop_prob=0.05, block_size=(3, 5), normalize='per_sample', seed=7"
    assert handle.layer.describe() == body
    if "describe_repr" in driver.features:  # torch, Keras (NNX keeps Flax's own repr)
        assert body in repr(handle.layer)
    else:
        assert "0.05" in repr(handle.layer) and "0.1," not in repr(handle.layer)


@needs("settable")
@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("drop_prob", 1.0, ValueError),
        ("drop_prob", math.nan, ValueError),
        ("drop_prob", "0.1", TypeError),
        ("step", -1, ValueError),
        ("step", 2**32, ValueError),
        ("step", True, TypeError),
        ("step", 1.5, TypeError),
        ("layer_id", -1, ValueError),
    ],
)
def test_a_bad_settable_value_names_itself_and_changes_nothing(
    driver: Driver, name: str, value: Any, error: type
) -> None:
    handle = driver.build(0.1, BLOCK, seed=SEED)
    x = positive(driver)
    before = driver.train(handle, x)
    with pytest.raises(error, match=name):
        setattr(handle.layer, name, value)
    layer = handle.layer
    assert (layer.drop_prob, layer.step, layer.layer_id) == (0.1, 0, 0)
    np.testing.assert_array_equal(driver.train(handle, x), before)


@needs("settable")
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("block_size", 5),
        ("gamma", "paper"),
        ("seed_region", "full"),
        ("normalize", "none"),
        ("share_channels", True),
        ("share_batch", True),
        ("seed", SEED + 1),
    ],
)
def test_the_fixed_options_are_read_only(driver: Driver, name: str, value: Any) -> None:
    handle = driver.build(DROP, BLOCK, seed=SEED)
    before = getattr(handle.layer, name)
    with pytest.raises(AttributeError, match=name):
        setattr(handle.layer, name, value)
    assert getattr(handle.layer, name) == before


@needs("settable")
def test_step_selects_the_mask(driver: Driver) -> None:
    handle = driver.build(DROP, BLOCK, seed=SEED)
    x = positive(driver)
    masks = []
    for step in (0, 1, 5, 2**32 - 1):
        handle.layer.step = step
        masks.append(assert_core_output(driver, handle, x, DROP, BLOCK) != 0)
    assert all((a != b).any() for a, b in zip(masks, masks[1:]))


@needs("settable")
def test_layer_id_separates_layers_with_one_seed(driver: Driver) -> None:
    x = positive(driver)
    first, second = driver.build(DROP, BLOCK, seed=SEED), driver.build(DROP, BLOCK, seed=SEED)
    np.testing.assert_array_equal(driver.train(first, x), driver.train(second, x))
    second.layer.layer_id = 1
    assert second.layer.mask_seed == db.layer_seed(SEED, 1) != SEED
    numbered = assert_core_output(driver, second, x, DROP, BLOCK)
    assert ((driver.train(first, x) != 0) != (numbered != 0)).any()


@needs("settable")
def test_a_call_changes_no_state(driver: Driver) -> None:
    handle = driver.build(DROP, BLOCK, seed=SEED)
    handle.layer.step, handle.layer.layer_id = 3, 2
    before = driver.state(handle)
    x = positive(driver)
    driver.train(handle, x)
    driver.infer(handle, driver.native(x))
    after = driver.state(handle)
    assert after.keys() == before.keys()
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value, err_msg=key)


@needs("replica")
def test_the_replica_selects_the_mask(driver: Driver) -> None:
    x = positive(driver)
    first = driver.train(driver.build(DROP, BLOCK, seed=SEED, replica=0), x)
    handle = driver.build(DROP, BLOCK, seed=SEED, replica=3)
    assert driver.core_kwargs(handle)["replica"] == 3
    other = assert_core_output(driver, handle, x, DROP, BLOCK)
    assert ((first != 0) != (other != 0)).any()
