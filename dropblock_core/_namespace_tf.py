"""A small array-API namespace over TensorFlow ops: just what the core's dense
mask path, its rescale and the in-graph gamma use.

TensorFlow has no array-API namespace (array-api-compat rejects its tensors),
so this module supplies the standard functions the core calls, implemented with
TensorFlow ops that work eagerly, in ``tf.function`` graphs and under XLA
(``jit_compile=True``). It has no ``searchsorted`` on purpose: the core then
counts gaps with 32 fused comparisons, which XLA compiles well (its sort-based
search does not). Sizes given as scalar tensors (an unknown batch) are fine.
Arrays are plain ``tf.Tensor`` objects: the operators the core uses on them
(``+ - & | ^ ~``, comparisons, slicing) are TensorFlow's own.

It is imported only when a TensorFlow tensor reaches the core
(:func:`dropblock_core._namespace.array_namespace`), never by
``import dropblock_core``. Its functions are tested against array-api-strict on
the same inputs.

>>> import tensorflow as tf
>>> from dropblock_core import _namespace_tf as xp
>>> ones = xp.asarray([1, 2, 3], dtype=xp.int32)
>>> xp.cumulative_sum(ones, include_initial=True).numpy()
array([0, 1, 3, 6])
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

__all__ = [
    "__array_api_version__",
    "__array_namespace_info__",
    "any",
    "arange",
    "asarray",
    "astype",
    "bfloat16",
    "bitwise_left_shift",
    "bitwise_right_shift",
    "bool",
    "broadcast_to",
    "concat",
    "count_nonzero",
    "cumulative_sum",
    "exp",
    "expm1",
    "float16",
    "float32",
    "float64",
    "floor",
    "full",
    "full_like",
    "int8",
    "int32",
    "int64",
    "is_tensorflow_array",
    "isdtype",
    "log",
    "log1p",
    "logical_and",
    "logical_not",
    "logical_or",
    "maximum",
    "minimum",
    "ones",
    "ones_like",
    "permute_dims",
    "reshape",
    "stack",
    "sum",
    "uint8",
    "uint32",
    "where",
    "zeros",
    "zeros_like",
]

__array_api_version__ = "2024.12"

bool = tf.bool  # noqa: A001  (the standard's name)
int8, int32, int64 = tf.int8, tf.int32, tf.int64
uint8, uint32 = tf.uint8, tf.uint32
float16, bfloat16, float32, float64 = tf.float16, tf.bfloat16, tf.float32, tf.float64

_KINDS = {
    "bool": (tf.bool,),
    "signed integer": (tf.int8, tf.int16, tf.int32, tf.int64),
    "unsigned integer": (tf.uint8, tf.uint16, tf.uint32, tf.uint64),
    "real floating": (tf.float16, tf.bfloat16, tf.float32, tf.float64),
    "complex floating": (tf.complex64, tf.complex128),
}
_KINDS["integral"] = _KINDS["signed integer"] + _KINDS["unsigned integer"]
_KINDS["numeric"] = _KINDS["integral"] + _KINDS["real floating"] + _KINDS["complex floating"]


def is_tensorflow_array(x: Any) -> builtins.bool:
    """Whether ``x`` is a TensorFlow tensor or variable (eager or symbolic)."""
    return isinstance(x, (tf.Tensor, tf.Variable))


class _Info:
    """The part of ``__array_namespace_info__()`` the core reads."""

    def default_dtypes(self, *, device: Any = None) -> dict[str, Any]:
        return {
            "real floating": tf.float32,
            "complex floating": tf.complex64,
            "integral": tf.int64,
            "indexing": tf.int64,
        }

    def default_device(self) -> None:
        return None


def __array_namespace_info__() -> _Info:
    return _Info()


def isdtype(dtype: Any, kind: str | Any | tuple[Any, ...]) -> builtins.bool:
    """The standard's ``isdtype`` for TensorFlow dtypes.

    >>> isdtype(float32, "real floating"), isdtype(uint32, ("bool", "signed integer"))
    (True, False)
    """
    if isinstance(kind, tuple):
        return builtins.any(isdtype(dtype, k) for k in kind)
    if isinstance(kind, str):
        return tf.as_dtype(dtype) in _KINDS[kind]
    same: builtins.bool = tf.as_dtype(dtype) == tf.as_dtype(kind)
    return same


def asarray(obj: Any, /, *, dtype: Any = None, device: Any = None, copy: Any = None) -> tf.Tensor:
    """A tensor of ``obj`` (a tensor is cast when ``dtype`` differs)."""
    if is_tensorflow_array(obj):
        obj = tf.convert_to_tensor(obj)
        return obj if dtype is None or obj.dtype == dtype else tf.cast(obj, dtype)
    if dtype is not None and isinstance(obj, np.ndarray):
        obj = obj.astype(tf.as_dtype(dtype).as_numpy_dtype)
    return tf.convert_to_tensor(obj, dtype=dtype)


def astype(x: Any, dtype: Any, /, *, copy: Any = True, device: Any = None) -> tf.Tensor:
    x = tf.convert_to_tensor(x)
    return x if x.dtype == dtype else tf.cast(x, dtype)


def arange(
    start: int,
    /,
    stop: int | None = None,
    step: int = 1,
    *,
    dtype: Any = None,
    device: Any = None,
) -> tf.Tensor:
    if stop is None:
        start, stop = 0, start
    dtype = tf.int64 if dtype is None else tf.as_dtype(dtype)
    if dtype.is_floating:
        return tf.range(start, stop, step, dtype=dtype)
    return tf.cast(tf.range(start, stop, step, dtype=tf.int64), dtype)  # no uint32 range kernel


def _shape(shape: int | Sequence[int]) -> list[int]:
    return [shape] if isinstance(shape, int) else list(shape)


def full(shape: Any, fill_value: Any, *, dtype: Any = None, device: Any = None) -> tf.Tensor:
    value = tf.constant(fill_value, dtype=dtype)
    return tf.fill(_shape(shape), value)


def zeros(shape: Any, *, dtype: Any = None, device: Any = None) -> tf.Tensor:
    return tf.zeros(_shape(shape), dtype=tf.float32 if dtype is None else dtype)


def ones(shape: Any, *, dtype: Any = None, device: Any = None) -> tf.Tensor:
    return tf.ones(_shape(shape), dtype=tf.float32 if dtype is None else dtype)


def full_like(x: Any, /, fill_value: Any, *, dtype: Any = None, device: Any = None) -> tf.Tensor:
    dtype = x.dtype if dtype is None else dtype
    return tf.fill(tf.shape(x), tf.constant(fill_value, dtype=dtype))


def zeros_like(x: Any, /, *, dtype: Any = None, device: Any = None) -> tf.Tensor:
    return tf.zeros_like(x, dtype=dtype)


def ones_like(x: Any, /, *, dtype: Any = None, device: Any = None) -> tf.Tensor:
    return tf.ones_like(x, dtype=dtype)


def broadcast_to(x: Any, /, shape: Sequence[int]) -> tf.Tensor:
    return tf.broadcast_to(x, list(shape))


def reshape(x: Any, /, shape: Sequence[int], *, copy: Any = None) -> tf.Tensor:
    return tf.reshape(x, list(shape))


def stack(arrays: Sequence[Any], /, *, axis: int = 0) -> tf.Tensor:
    return tf.stack(list(arrays), axis=axis)


def concat(arrays: Sequence[Any], /, *, axis: int | None = 0) -> tf.Tensor:
    if axis is None:
        return tf.concat([tf.reshape(a, [-1]) for a in arrays], axis=0)
    return tf.concat(list(arrays), axis=axis)


def permute_dims(x: Any, /, axes: Sequence[int]) -> tf.Tensor:
    return tf.transpose(x, list(axes))


def cumulative_sum(
    x: Any, /, *, axis: int | None = None, dtype: Any = None, include_initial: Any = False
) -> tf.Tensor:
    if axis is None:
        if x.shape.rank != 1:
            raise ValueError("axis is required for arrays of more than one dimension")
        axis = 0
    if dtype is not None:
        x = astype(x, dtype)
    elif x.dtype in (tf.int8, tf.int16, tf.int32, tf.bool):
        x = tf.cast(x, tf.int64)  # the standard's default integer, as array-api-strict
    if include_initial:
        axis = axis % x.shape.rank
        pad = [[0, 0]] * x.shape.rank
        pad[axis] = [1, 0]
        x = tf.pad(x, pad)
    return tf.cumsum(x, axis=axis)


def _axes(axis: int | tuple[int, ...] | None) -> Any:
    return list(axis) if isinstance(axis, tuple) else axis


def sum(  # noqa: A001  (the standard's name)
    x: Any, /, *, axis: Any = None, dtype: Any = None, keepdims: Any = False
) -> tf.Tensor:
    if dtype is not None:
        x = astype(x, dtype)
    elif x.dtype in (tf.int8, tf.int16, tf.int32, tf.bool):
        x = tf.cast(x, tf.int64)
    elif x.dtype in (tf.uint8, tf.uint16):
        x = tf.cast(x, tf.uint32)  # no uint64 reductions on CPU; the core never sums these
    return tf.reduce_sum(x, axis=_axes(axis), keepdims=keepdims)


def count_nonzero(x: Any, /, *, axis: Any = None, keepdims: Any = False) -> tf.Tensor:
    return tf.math.count_nonzero(x, axis=_axes(axis), keepdims=keepdims, dtype=tf.int64)


def any(x: Any, /, *, axis: Any = None, keepdims: Any = False) -> tf.Tensor:  # noqa: A001
    return tf.reduce_any(tf.cast(x, tf.bool), axis=_axes(axis), keepdims=keepdims)


def _pair(x1: Any, x2: Any) -> tuple[tf.Tensor, tf.Tensor]:
    """Two operands as tensors of one dtype (a Python scalar takes the tensor's)."""
    if is_tensorflow_array(x1) and not is_tensorflow_array(x2):
        x1 = tf.convert_to_tensor(x1)
        return x1, tf.convert_to_tensor(x2, dtype=x1.dtype)
    if is_tensorflow_array(x2) and not is_tensorflow_array(x1):
        x2 = tf.convert_to_tensor(x2)
        return tf.convert_to_tensor(x1, dtype=x2.dtype), x2
    return tf.convert_to_tensor(x1), tf.convert_to_tensor(x2)


def where(condition: Any, x1: Any, x2: Any, /) -> tf.Tensor:
    return tf.where(condition, *_pair(x1, x2))


def maximum(x1: Any, x2: Any, /) -> tf.Tensor:
    return tf.maximum(*_pair(x1, x2))


def minimum(x1: Any, x2: Any, /) -> tf.Tensor:
    return tf.minimum(*_pair(x1, x2))


def bitwise_left_shift(x1: Any, x2: Any, /) -> tf.Tensor:
    return tf.bitwise.left_shift(*_pair(x1, x2))


def bitwise_right_shift(x1: Any, x2: Any, /) -> tf.Tensor:
    return tf.bitwise.right_shift(*_pair(x1, x2))


def logical_not(x: Any, /) -> tf.Tensor:
    return tf.logical_not(x)


def logical_and(x1: Any, x2: Any, /) -> tf.Tensor:
    return tf.logical_and(x1, x2)


def logical_or(x1: Any, x2: Any, /) -> tf.Tensor:
    return tf.logical_or(x1, x2)


def exp(x: Any, /) -> tf.Tensor:
    return tf.exp(x)


def expm1(x: Any, /) -> tf.Tensor:
    return tf.math.expm1(x)


def log(x: Any, /) -> tf.Tensor:
    return tf.math.log(x)


def log1p(x: Any, /) -> tf.Tensor:
    return tf.math.log1p(x)


def floor(x: Any, /) -> tf.Tensor:
    return tf.floor(x)
