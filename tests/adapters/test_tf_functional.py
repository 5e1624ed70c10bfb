"""dropblock_tf.dropblock: identical to the NumPy core, eagerly, in tf.function and under XLA."""

from __future__ import annotations

import dropblock_tf
import numpy as np
import pytest
import tensorflow as tf
from dropblock_keras._tensorflow import graph_keep_mask
from dropblock_tf import _dlpack, functional

import dropblock_core
from dropblock_core.config import DropBlockConfig
from tests.adapters.bad_arguments import BAD_ARGUMENTS

SHAPES = {1: (2, 3, 20), 2: (2, 3, 12, 10), 3: (2, 2, 7, 6, 5)}


def channels_last_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (shape[0], *shape[2:], shape[1])


def positive(
    shape: tuple[int, ...], dtype: np.dtype | type = np.float32, seed: int = 0
) -> np.ndarray:
    """Values in [1, 2): a zero in the output can only come from the mask."""
    return np.random.default_rng(seed).uniform(1.0, 2.0, shape).astype(dtype)


def core_output(x: np.ndarray, data_format: str, **kwargs: object) -> np.ndarray:
    return dropblock_core.dropblock(x, channels_last=data_format == "channels_last", **kwargs)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_eager_equals_core(ndim: int, data_format: str) -> None:
    shape = SHAPES[ndim]
    if data_format == "channels_last":
        shape = channels_last_shape(shape)
    x = positive(shape)
    kwargs = dict(drop_prob=0.3, block_size=3, seed=11, step=4, replica=2)
    y = dropblock_tf.dropblock(tf.constant(x), data_format=data_format, **kwargs)
    np.testing.assert_array_equal(y.numpy(), core_output(x, data_format, **kwargs))
    mask = dropblock_core.sample_mask(
        shape, 0.3, 3, seed=11, step=4, replica=2, channels_last=data_format == "channels_last"
    )
    np.testing.assert_array_equal(y.numpy() != 0, mask)


@pytest.mark.parametrize(
    "options",
    [
        {"gamma": "paper"},
        {"gamma": 0.05, "seed_region": "full"},
        {"normalize": "per_sample"},
        {"normalize": "expected"},
        {"normalize": "none"},
        {"share_channels": True},
        {"share_batch": True, "normalize": "per_sample"},
        {"block_size": (3, 5)},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_options_equal_core(options: dict, data_format: str) -> None:
    shape = (3, 13, 11, 4) if data_format == "channels_last" else (3, 4, 13, 11)
    x = positive(shape, seed=1)
    kwargs = {"drop_prob": 0.25, "block_size": 3, "seed": 5, "step": 1, **options}
    y = dropblock_tf.dropblock(tf.constant(x), data_format=data_format, **kwargs)
    np.testing.assert_array_equal(y.numpy(), core_output(x, data_format, **kwargs))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtypes_equal_core(dtype: type) -> None:
    x = positive((2, 14, 14, 3), dtype)
    y = dropblock_tf.dropblock(tf.constant(x), 0.1, 7, seed=3)
    assert y.dtype == tf.as_dtype(dtype)
    np.testing.assert_array_equal(
        y.numpy(), core_output(x, "channels_last", drop_prob=0.1, block_size=7, seed=3)
    )


def test_bfloat16_is_scaled_in_float32_and_rounded_once() -> None:
    x = positive((2, 14, 14, 3))
    xb = tf.cast(tf.constant(x), tf.bfloat16)
    y = dropblock_tf.dropblock(xb, 0.1, 7, seed=3)
    assert y.dtype == tf.bfloat16
    mask = dropblock_core.sample_mask(x.shape, 0.1, 7, seed=3, channels_last=True)
    scale = np.float32(mask.size / np.count_nonzero(mask))
    expected = tf.cast(tf.cast(xb, tf.float32) * scale, tf.bfloat16).numpy() * mask
    np.testing.assert_array_equal(y.numpy(), expected)


def test_float16_with_more_than_65504_kept_units() -> None:
    shape = (2, 64, 64, 16)  # 131072 units, ~118000 kept: the count overflows float16
    y = dropblock_tf.dropblock(tf.ones(shape, tf.float16), 0.1, 7, seed=0).numpy()
    mask = dropblock_core.sample_mask(shape, 0.1, 7, seed=0, channels_last=True)
    assert np.count_nonzero(mask) > 65504
    assert np.isfinite(y).all() and (y != 0).any()
    np.testing.assert_array_equal(y[mask], np.float16(np.float32(mask.size / mask.sum())))


def test_all_dropped_gives_zeros_not_nan() -> None:
    y = dropblock_tf.dropblock(tf.ones((2, 6, 6, 3)), 0.5, 6, gamma=1.0, seed=0)
    np.testing.assert_array_equal(y.numpy(), np.zeros((2, 6, 6, 3), np.float32))


def test_gradient_is_mask_times_scale() -> None:
    x = tf.constant(positive((2, 14, 14, 3)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = dropblock_tf.dropblock(x, 0.1, 7, seed=2, step=1)
    grad = tape.gradient(y, x)
    assert grad is not None
    mask = dropblock_core.sample_mask((2, 14, 14, 3), 0.1, 7, seed=2, step=1, channels_last=True)
    np.testing.assert_array_equal(grad.numpy(), mask * np.float32(mask.size / mask.sum()))


def test_training_false_and_zero_prob_are_identity() -> None:
    x = tf.constant(positive((2, 8, 8, 3)))
    assert dropblock_tf.dropblock(x, 0.1, 3, training=False) is x
    assert dropblock_tf.dropblock(x, 0.0, 3, seed=0) is x


def test_seed_none_draws_a_new_mask_per_call() -> None:
    # 2*32*32*8 units at p=0.3: two independent masks agree with probability ~0.
    x = tf.ones((2, 32, 32, 8))
    first = dropblock_tf.dropblock(x, 0.3, 3).numpy() != 0
    second = dropblock_tf.dropblock(x, 0.3, 3).numpy() != 0
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("xla", [False, True], ids=["graph", "xla"])
def test_tf_function_uses_the_runtime_step_and_shape(xla: bool) -> None:
    counter = tf.Variable(0, dtype=tf.int64)

    @tf.function(input_signature=[tf.TensorSpec([None, 12, 10, 3], tf.float32)], jit_compile=xla)
    def step_fn(x: tf.Tensor) -> tf.Tensor:
        y = dropblock_tf.dropblock(x, 0.3, 3, seed=9, step=counter, replica=1)
        counter.assign_add(1)
        return y

    for step, batch in enumerate([2, 5, 1]):
        x = positive((batch, 12, 10, 3), seed=step)
        y = step_fn(tf.constant(x))
        expected = core_output(
            x, "channels_last", drop_prob=0.3, block_size=3, seed=9, step=step, replica=1
        )
        np.testing.assert_array_equal(y.numpy(), expected)
    assert step_fn.experimental_get_tracing_count() == 1


def test_tf_function_static_shapes_and_gradient() -> None:
    @tf.function
    def loss_and_grad(x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = dropblock_tf.dropblock(
                x, 0.2, 3, seed=4, share_channels=True, normalize="per_sample"
            )
            assert y.shape.as_list() == x.shape.as_list()
            loss = tf.reduce_sum(y)
        return y, tape.gradient(loss, x)

    x = positive((2, 9, 9, 4))
    y, grad = loss_and_grad(tf.constant(x))
    assert grad is not None
    expected = core_output(
        x,
        "channels_last",
        drop_prob=0.2,
        block_size=3,
        seed=4,
        share_channels=True,
        normalize="per_sample",
    )
    np.testing.assert_array_equal(y.numpy(), expected)
    mask = dropblock_core.sample_mask(
        x.shape, 0.2, 3, seed=4, channels_last=True, share_channels=True
    )
    per_sample = (mask[0].size / mask.sum(axis=(1, 2, 3), keepdims=True)).astype(np.float32)
    np.testing.assert_array_equal(grad.numpy(), np.broadcast_to(mask * per_sample, x.shape))


def test_tf_function_mask_static_shape_with_shared_axes() -> None:
    config = DropBlockConfig(0.2, 3, share_channels=True, share_batch=True, normalize="per_sample")
    seen = {}

    @tf.function(input_signature=[tf.TensorSpec([None, 9, 9, 4], tf.float32)])
    def f(x: tf.Tensor) -> tf.Tensor:
        mask = graph_keep_mask(x, config, 0.2, seed=0, step=0, replica=0, channels_last=True)
        seen["mask"] = mask.shape.as_list()
        return mask

    assert f(tf.ones((3, 9, 9, 4))).shape == (1, 9, 9, 1)
    assert seen == {"mask": [1, 9, 9, 1]}


def test_seed_none_in_a_graph_draws_a_new_mask_per_call() -> None:
    f = tf.function(lambda x: dropblock_tf.dropblock(x, 0.3, 3), jit_compile=True)
    x = tf.ones((2, 32, 32, 8))
    assert not np.array_equal(f(x).numpy() != 0, f(x).numpy() != 0)


@pytest.mark.parametrize("dtype", [tf.int32, tf.bool, tf.complex64, tf.string, tf.uint8])
def test_non_floating_input_is_a_type_error(dtype: tf.DType) -> None:
    x = tf.zeros((1, 4, 4, 1), dtype) if dtype != tf.string else tf.fill((1, 4, 4, 1), "a")
    with pytest.raises(TypeError, match=f"floating dtype.*{dtype.name}"):
        dropblock_tf.dropblock(x, 0.1, 3)


@pytest.mark.parametrize(
    "x",
    [object(), "text", tf.ragged.constant([[1.0], [2.0, 3.0]])],
    ids=["object", "str", "ragged"],
)
def test_unsupported_input_is_a_type_error(x: object) -> None:
    with pytest.raises(TypeError, match="x must (be|have a floating dtype)"):
        dropblock_tf.dropblock(x, 0.1, 3)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        *BAD_ARGUMENTS,
        ({"data_format": "NHWC"}, ValueError, "data_format"),
        ({"step": -1}, ValueError, "step"),
        ({"step": tf.constant(1.0)}, TypeError, "step"),
        ({"replica": tf.constant([1, 2])}, TypeError, "replica"),
        ({"seed": "a"}, TypeError, "seed"),
    ],
)
def test_bad_parameters(kwargs: dict, error: type, match: str) -> None:
    args = {"drop_prob": 0.1, "block_size": 3, **kwargs}
    with pytest.raises(error, match=match):
        dropblock_tf.dropblock(tf.ones((1, 8, 8, 2)), **args)


def test_rank_two_input_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="spatial axis"):
        dropblock_tf.dropblock(tf.ones((4, 8)), 0.1, 3)


def test_readonly_and_negative_stride_numpy_inputs_are_not_modified() -> None:
    base = positive((2, 10, 10, 3))
    readonly = base.copy()
    readonly.flags.writeable = False
    reversed_view = base[:, ::-1]
    for x in (readonly, reversed_view):
        before = x.copy()
        y = dropblock_tf.dropblock(x, 0.2, 3, seed=1)
        np.testing.assert_array_equal(x, before)
        expected = core_output(
            np.ascontiguousarray(x), "channels_last", drop_prob=0.2, block_size=3, seed=1
        )
        np.testing.assert_array_equal(y.numpy(), expected)


class TestDLPackImport:
    """What ``import_numpy`` shares with NumPy, and what it copies."""

    def test_aligned_writable_array_is_aliased(self) -> None:
        array = _dlpack.aligned_empty((4, 16), np.float32)
        array[...] = 1.0
        tensor = _dlpack.import_numpy(array)
        array[0, 0] = 7.0  # writes through NumPy are visible in the tensor: zero-copy
        assert tensor[0, 0].numpy() == 7.0

    def test_unaligned_array_is_copied_and_usable(self) -> None:
        buffer = _dlpack.aligned_empty((4 * 16 + 8,), np.float32)
        array = buffer[8:].reshape(4, 16)  # 32 bytes past an aligned start
        array[...] = 1.0
        assert not _dlpack.is_importable(array)
        tensor = _dlpack.import_numpy(array)
        array[0, 0] = 7.0
        assert tensor[0, 0].numpy() == 1.0
        assert (
            float(tf.reduce_sum(tensor[1:3, ::2])) == 16.0
        )  # a strided read would abort if unaligned

    @pytest.mark.parametrize("kind", ["readonly", "strided"])
    def test_readonly_and_strided_arrays_are_copied(self, kind: str) -> None:
        array = _dlpack.aligned_empty((4, 16), np.float32)
        array[...] = np.arange(64).reshape(4, 16)
        if kind == "readonly":
            array.flags.writeable = False
        else:
            array = array[:, ::2]
        assert not _dlpack.is_importable(array)
        np.testing.assert_array_equal(_dlpack.import_numpy(array).numpy(), array)


def test_public_names() -> None:
    assert sorted(dropblock_tf.__all__) == [
        "DropBlock1D",
        "DropBlock2D",
        "DropBlock3D",
        "dropblock",
    ]
    for module in (dropblock_tf, functional, _dlpack):
        for name in module.__all__:
            assert hasattr(module, name), name


def test_empty_batch_and_block_larger_than_the_map() -> None:
    assert dropblock_tf.dropblock(tf.ones((0, 8, 8, 3)), 0.1, 3, seed=0).shape == (0, 8, 8, 3)
    x = positive((2, 4, 5, 3))
    y = dropblock_tf.dropblock(tf.constant(x), 0.3, 7, seed=1)  # block clipped to the 4x5 map
    np.testing.assert_array_equal(
        y.numpy(), core_output(x, "channels_last", drop_prob=0.3, block_size=7, seed=1)
    )


def test_tf_function_with_unknown_rank_is_refused_and_empty_batch_works() -> None:
    def fn(x: tf.Tensor) -> tf.Tensor:
        return dropblock_tf.dropblock(x, 0.3, 3, seed=2, data_format="channels_first")

    unknown = tf.function(fn, input_signature=[tf.TensorSpec(None, tf.float32)])
    with pytest.raises(ValueError, match="known rank"):
        unknown(tf.ones((2, 3, 9, 8)))
    f = tf.function(fn, input_signature=[tf.TensorSpec([None, 3, 9, 8], tf.float32)])
    x = positive((2, 3, 9, 8))
    expected = core_output(x, "channels_first", drop_prob=0.3, block_size=3, seed=2)
    np.testing.assert_array_equal(f(tf.constant(x)).numpy(), expected)
    assert f(tf.ones((0, 3, 9, 8))).shape == (0, 3, 9, 8)


def test_eager_step_and_replica_may_be_tensors_or_variables() -> None:
    x = tf.constant(positive((2, 9, 9, 3)))
    expected = dropblock_tf.dropblock(x, 0.3, 3, seed=1, step=3, replica=2).numpy()
    for step, replica in [
        (tf.Variable(3, dtype=tf.int64), tf.constant(2)),
        (tf.constant(3, tf.uint8), 2),
    ]:
        y = dropblock_tf.dropblock(x, 0.3, 3, seed=1, step=step, replica=replica)
        np.testing.assert_array_equal(y.numpy(), expected)
