"""Drop-in aliases with other libraries' signatures: :mod:`.keras_cv`."""

from __future__ import annotations

from . import keras_cv

__all__ = ["keras_cv"]
