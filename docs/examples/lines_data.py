"""The synthetic data set and the settings the training examples share.

Each 16x16 image holds one short line in noise; its class is the line's direction
(horizontal, vertical, diagonal, anti-diagonal). DropBlock sits where the paper puts
it in a ResNet (recipes page): in the last two groups, after the convolutions and on
the shortcut, the earlier of the two at a quarter of the drop rate.

The examples import this module from their own folder: ``python
docs/examples/train_torch.py`` puts ``docs/examples`` first on ``sys.path``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

SIDE, CLASSES = 16, 4
DROP_PROB, BLOCK = 0.1, 3  # the paper: 0.1 with block 7 on 14x14 and 7x7 maps
EPOCHS, BATCH = 3, 32
TRAIN, HELD_OUT = 512, 256  # images in the training and the held-out set
TOTAL_STEPS = EPOCHS * (TRAIN // BATCH)  # optimizer steps: the schedule's length


def make_data(
    n: int, rng: np.random.Generator, *, channels_last: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` noisy float32 images with a 6-pixel line, ``(N, 1, 16, 16)`` or
    channels last ``(N, 16, 16, 1)``, and their labels (the line's direction)."""
    labels = rng.integers(0, CLASSES, n)
    images = rng.normal(0.0, 0.5, (n, SIDE, SIDE)).astype(np.float32)
    dy, dx = np.array([(0, 1), (1, 0), (1, 1), (1, -1)])[labels].T
    y0, x0 = rng.integers(3, SIDE - 3, (2, n))
    k = np.arange(-3, 3)
    rows, cols = y0[:, None] + k * dy[:, None], x0[:, None] + k * dx[:, None]
    images[np.arange(n)[:, None], rows, cols] += 1.5
    return (images[..., None] if channels_last else images[:, None]), labels


def data_sets(
    rng: np.random.Generator,
    *,
    channels_last: bool = False,
    to: Callable[[np.ndarray], Any] = np.asarray,
) -> tuple[Any, Any, Any, Any]:
    """``x_train, y_train, x_test, y_test``: :data:`TRAIN` and :data:`HELD_OUT`
    images and labels from :func:`make_data`, each converted by ``to`` (e.g.
    ``torch.from_numpy``)."""
    train = make_data(TRAIN, rng, channels_last=channels_last)
    test = make_data(HELD_OUT, rng, channels_last=channels_last)
    return tuple(to(array) for array in (*train, *test))  # type: ignore[return-value]


def batches(order: Any) -> Iterator[Any]:
    """The mini-batches of one epoch: ``order`` (a permutation of the training
    indices) cut into :data:`BATCH`-long slices, the last partial one dropped."""
    for i in range(len(order) // BATCH):
        yield order[i * BATCH : (i + 1) * BATCH]


def report(start: float, end: float, accuracy: float) -> None:
    """Print the train loss at the end and the held-out accuracy (the lines the
    test suite reads), and check that training lowered the train loss."""
    print(f"train loss at end: {end:.4f}")
    print(f"held-out accuracy: {accuracy:.4f}")
    assert end < start, f"the loss did not fall: {start:.4f} -> {end:.4f}"
