"""Bad arguments every framework's ``dropblock`` function refuses with an error
naming the parameter: the core checks them for all. Each framework's test adds
the cases only it has (its tensors as counters, its own keywords)."""

from __future__ import annotations

from typing import Any

__all__ = ["BAD_ARGUMENTS"]

# (keyword arguments, exception type, text the message must contain)
BAD_ARGUMENTS: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"drop_prob": 1.0}, ValueError, "drop_prob"),
    ({"drop_prob": "0.1"}, TypeError, "drop_prob"),
    ({"block_size": 0}, ValueError, "block_size"),
    ({"block_size": (3, 3, 3)}, ValueError, "block_size"),
    ({"normalize": "sum"}, ValueError, "normalize"),
    ({"gamma": "approx"}, ValueError, "gamma"),
    ({"seed_region": "same"}, ValueError, "seed_region"),
    ({"training": 1}, TypeError, "training"),
    ({"seed": -1}, ValueError, "seed"),
    ({"seed": 1.5}, TypeError, "seed"),
    ({"step": 2**32}, ValueError, "step"),
    ({"step": 1.5}, TypeError, "step"),
]
