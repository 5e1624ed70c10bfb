"""dropblock_keras.dropblock on the active backend: the core's masks, eagerly and compiled."""

from __future__ import annotations

import dropblock_keras
import keras
import numpy as np
import pytest

import dropblock_core
from tests.adapters.bad_arguments import BAD_ARGUMENTS
from tests.adapters.keras_backend.support import BACKEND, compiled, numpy, positive, tensor

SHAPES = {1: (2, 3, 20), 2: (2, 3, 12, 10), 3: (2, 2, 7, 6, 5)}


def physical(shape: tuple[int, ...], data_format: str) -> tuple[int, ...]:
    return (shape[0], *shape[2:], shape[1]) if data_format == "channels_last" else shape


def core(x: np.ndarray, data_format: str, **kwargs: object) -> np.ndarray:
    return dropblock_core.dropblock(x, channels_last=data_format == "channels_last", **kwargs)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_eager_equals_core(ndim: int, data_format: str) -> None:
    x = positive(physical(SHAPES[ndim], data_format))
    kwargs = dict(drop_prob=0.3, block_size=3, seed=11, step=4, replica=2)
    y = dropblock_keras.dropblock(tensor(x), data_format=data_format, **kwargs)
    np.testing.assert_array_equal(numpy(y), core(x, data_format, **kwargs))


@pytest.mark.parametrize(
    "options",
    [
        {"gamma": "paper", "normalize": "none"},
        {"gamma": 0.05, "seed_region": "full", "normalize": "expected"},
        {"share_channels": True, "normalize": "per_sample"},
        {"share_batch": True, "block_size": (3, 5)},
        {"block_size": 20},  # larger than the map: clipped
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
@pytest.mark.parametrize("xla", [True, False], ids=["xla", "graph"])
def test_compiled_masks_are_the_cores(options: dict, xla: bool) -> None:
    """Inside tf.function (with and without XLA), jax.jit and torch.compile, with
    traced seed, step, replica and drop_prob, the zeros are the core's."""
    if not xla and BACKEND != "tensorflow":
        pytest.skip("only TensorFlow compiles without XLA")
    x = positive((3, 13, 11, 4), seed=1)
    kwargs = {"block_size": 3, **options}

    def fn(x, drop, seed, step, replica):  # noqa: ANN001, ANN202
        return dropblock_keras.dropblock(
            x, drop, seed=seed, step=step, replica=replica, data_format="channels_last", **kwargs
        )

    run = compiled(fn, xla)
    for drop, seed, step, replica in [(0.25, 5, 1, 0), (0.1, 2**32 + 7, 9, 3), (0.4, 0, 2**31, 1)]:
        y = numpy(
            run(
                tensor(x),
                tensor(drop, "float32"),
                tensor(seed % 2**32, "uint32" if BACKEND == "jax" else "int64"),
                tensor(step, "uint32" if BACKEND == "jax" else "int64"),
                tensor(replica, "int32"),
            )
        )
        mask = dropblock_core.sample_mask(
            x.shape,
            float(np.float32(drop)),
            kwargs["block_size"],
            seed=seed % 2**32,
            step=step,
            replica=replica,
            channels_last=True,
            **{k: v for k, v in kwargs.items() if k not in ("block_size", "normalize")},
        )
        np.testing.assert_array_equal(y != 0, np.broadcast_to(mask, x.shape))


@pytest.mark.parametrize("drop", [0.0, 0.1])
def test_compiled_python_float_drop_prob_is_bit_exact(drop: float) -> None:
    """A Python drop_prob is solved on the host: output equal to the core's."""
    x = positive((2, 14, 14, 3))
    run = compiled(
        lambda x, step: dropblock_keras.dropblock(
            x, drop, 7, seed=3, step=step, data_format="channels_last"
        )
    )
    step = tensor(5, "uint32" if BACKEND == "jax" else "int64")
    want = core(x, "channels_last", drop_prob=drop, block_size=7, seed=3, step=5)
    np.testing.assert_allclose(numpy(run(tensor(x), step)), want, rtol=1e-6, atol=0)
    np.testing.assert_array_equal(numpy(run(tensor(x), step)) != 0, want != 0)


def test_traced_drop_prob_zero_keeps_everything() -> None:
    x = positive((2, 9, 9, 2))
    run = compiled(
        lambda x, p: dropblock_keras.dropblock(x, p, 3, seed=1, data_format="channels_last")
    )
    np.testing.assert_array_equal(numpy(run(tensor(x), tensor(0.0, "float32"))), x)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_dtypes_are_kept(dtype: str) -> None:
    if dtype == "float64" and BACKEND == "jax":
        pytest.skip("JAX without 64-bit types has no float64")
    x = keras.ops.ones((2, 64, 64, 8), dtype=dtype)
    y = dropblock_keras.dropblock(x, 0.2, 3, seed=0, data_format="channels_last")
    assert keras.backend.standardize_dtype(y.dtype) == dtype
    values = numpy(keras.ops.cast(y, "float32"))
    assert np.isfinite(values).all() and (values != 0).any() and (values == 0).any()


def test_training_false_and_drop_zero_return_x() -> None:
    x = tensor(positive((2, 8, 8, 3)))
    assert dropblock_keras.dropblock(x, 0.3, 3, seed=0, training=False) is x
    assert dropblock_keras.dropblock(x, 0.0, 3, seed=0) is x


def test_data_format_none_follows_keras_config() -> None:
    x = positive((2, 3, 12, 12))  # channels first
    keras.config.set_image_data_format("channels_first")
    try:
        y = dropblock_keras.dropblock(tensor(x), 0.3, 3, seed=2)
    finally:
        keras.config.set_image_data_format("channels_last")
    np.testing.assert_array_equal(
        numpy(y), core(x, "channels_first", drop_prob=0.3, block_size=3, seed=2)
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        *BAD_ARGUMENTS,
        ({"data_format": "NHWC"}, ValueError, "data_format"),
        ({"training": "yes"}, TypeError, "training"),
        ({"normalize": "max"}, ValueError, "normalize"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs: dict, error: type, match: str) -> None:
    arguments = {"drop_prob": 0.1, "block_size": 3, "seed": 0, **kwargs}
    with pytest.raises(error, match=match):
        dropblock_keras.dropblock(tensor(positive((2, 8, 8, 3))), **arguments)


def test_bad_inputs_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="spatial axis"):
        dropblock_keras.dropblock(tensor(positive((2, 8))), 0.1, 3, seed=0)
    with pytest.raises(TypeError, match="floating dtype"):
        dropblock_keras.dropblock(keras.ops.ones((2, 8, 8, 3), "int32"), 0.1, 3, seed=0)
