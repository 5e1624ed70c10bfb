"""The Keras tests run once per Keras backend, each in its own process.

``KERAS_BACKEND`` is fixed when Keras is imported, so
``tests/adapters/test_keras_backends.py`` runs this directory in a fresh
interpreter for TensorFlow, JAX and PyTorch with ``DROPBLOCK_KERAS_RUN`` set to
the backend's name. In the main test process these files are not collected.
"""

from __future__ import annotations

import os

RUN = os.environ.get("DROPBLOCK_KERAS_RUN")

if RUN is None:
    collect_ignore_glob = ["*.py"]
else:
    import keras

    assert keras.backend.backend() == RUN, (keras.backend.backend(), RUN)


def pytest_configure(config) -> None:  # noqa: ANN001
    # Keras 3.15 saves TensorFlow variables with np.array(v), which NumPy 2 flags
    # (a Keras issue, raised by its own layers' weights too).
    config.addinivalue_line(
        "filterwarnings",
        "ignore:__array__ implementation doesn't accept a copy:DeprecationWarning",
    )
    # torch 2.13's own torch.compile machinery uses its deprecated script_method.
    config.addinivalue_line(
        "filterwarnings", "ignore:`torch.jit.script_method` is deprecated:DeprecationWarning"
    )
    # torch.compile of Keras' train step (any model, Dropout too) inspects .grad of non-leaves.
    config.addinivalue_line(
        "filterwarnings", "ignore:The .grad attribute of a Tensor that is not a leaf:UserWarning"
    )
