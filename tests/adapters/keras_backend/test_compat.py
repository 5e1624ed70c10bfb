"""dropblock_keras.compat.keras_cv.DropBlock2D: keras-cv 0.9's signature and conventions."""

from __future__ import annotations

import inspect
import json

import keras
import numpy as np
import pytest
from dropblock_keras.compat.keras_cv import DropBlock2D

import dropblock_core
from tests.adapters.keras_backend.support import numpy, positive, tensor


def test_signature_is_keras_cvs() -> None:
    # keras_cv.layers.DropBlock2D in keras-cv 0.9.0: (rate, block_size, seed=None, **kwargs)
    parameters = inspect.signature(DropBlock2D).parameters.values()
    assert [(p.name, p.kind.name, p.default) for p in parameters] == [
        ("rate", "POSITIONAL_OR_KEYWORD", inspect.Parameter.empty),
        ("block_size", "POSITIONAL_OR_KEYWORD", inspect.Parameter.empty),
        ("seed", "POSITIONAL_OR_KEYWORD", None),
        ("kwargs", "VAR_KEYWORD", inspect.Parameter.empty),
    ]


def test_masks_are_the_cores_with_the_papers_gamma_and_change_every_call() -> None:
    keras.config.set_image_data_format("channels_first")  # keras-cv is channels-last anyway
    try:
        layer = DropBlock2D(0.1, (3, 5), seed=4)
    finally:
        keras.config.set_image_data_format("channels_last")
    x = positive((2, 14, 21, 3))
    masks = []
    for step in range(2):
        y = numpy(layer(tensor(x), training=True))
        want = dropblock_core.dropblock(
            x, 0.1, (3, 5), gamma="paper", seed=4, step=step, channels_last=True
        )
        np.testing.assert_array_equal(y, want)
        masks.append(y != 0)
    assert not np.array_equal(*masks)
    assert layer(tensor(x)) is not None and layer.rate == 0.1


def test_config_has_keras_cvs_keys_and_round_trips() -> None:
    layer = DropBlock2D(0.2, 7, seed=3, name="db")
    config = layer.get_config()
    assert (config["rate"], config["block_size"], config["seed"]) == (0.2, (7, 7), 3)
    assert not {"drop_prob", "gamma", "data_format"} & set(config)
    clone = DropBlock2D.from_config(json.loads(json.dumps(config)))
    assert clone.get_config()["block_size"] == (7, 7) and clone.name == "db"


@pytest.mark.parametrize(("rate", "block_size"), [(1.0, 3), (0.1, 0), (-0.1, 3)])
def test_bad_arguments(rate: float, block_size: int) -> None:
    with pytest.raises(ValueError):
        DropBlock2D(rate, block_size)
