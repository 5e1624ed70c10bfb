"""Every public front end defaults the mask options as ``DropBlockConfig`` does.

The options ``gamma``, ``seed_region``, ``normalize``, ``share_channels`` and
``share_batch`` appear, with their defaults, in the signatures of the core's
functions and of every adapter's functions and layers (each framework's users
expect explicit keyword arguments). This test keeps those copies equal to the
one definition, :class:`dropblock_core.DropBlockConfig`: it walks the public
names (``__all__``) of every public module of the core and the adapters, so a
new front end is checked without being listed here.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import Any

import dropblock_jax
import dropblock_keras
import dropblock_tf
import dropblock_torch
import pytest

import dropblock_core
from dropblock_core.config import DropBlockConfig

PACKAGES = (dropblock_core, dropblock_torch, dropblock_keras, dropblock_tf, dropblock_jax)
# Other implementations' conventions: the upstream aliases (checked against upstream in
# test_torch_compat.py and keras_backend/test_compat.py) and the validator's description
# of the implementation it checks (``Spec``: the paper's gamma by default).
OTHERS = ("dropblock_torch.compat", "dropblock_keras.compat", "dropblock_core.conformance")
NAMES = ("gamma", "seed_region", "normalize", "share_channels", "share_batch")
DEFAULTS = {f.name: f.default for f in dataclasses.fields(DropBlockConfig) if f.name in NAMES}


def public_modules(package: ModuleType) -> Iterator[ModuleType]:
    """``package`` and its modules whose dotted names have no ``_``-prefixed part."""
    yield package
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts) or info.name.startswith(OTHERS):
            continue
        yield importlib.import_module(info.name)


def front_ends() -> dict[str, Callable[..., Any]]:
    """Public callables by qualified name (a class stands for its constructor)."""
    found: dict[str, Callable[..., Any]] = {}
    for package in PACKAGES:
        for module in public_modules(package):
            for name in getattr(module, "__all__", ()):
                value = getattr(module, name)
                home = getattr(value, "__module__", "") or ""
                if (inspect.isroutine(value) or inspect.isclass(value)) and not home.startswith(
                    OTHERS
                ):
                    found.setdefault(f"{home}.{value.__qualname__}", value)
    return found


def parameters(function: Callable[..., Any]) -> Mapping[str, inspect.Parameter]:
    """``function``'s parameters (a class's: its ``__init__``'s, which NNX's metaclass
    hides from ``inspect.signature(cls)``); none without a signature (a builtin)."""
    try:
        return inspect.signature(
            function.__init__ if inspect.isclass(function) else function
        ).parameters
    except (TypeError, ValueError):
        return {}


def wrong_defaults(function: Callable[..., Any]) -> dict[str, tuple[Any, Any]]:
    """Option name -> (its default here, ``DropBlockConfig``'s) where they differ
    (in value or type: ``0`` is not ``False``); options without a default are fine."""
    wrong = {}
    for name, parameter in parameters(function).items():
        default, expected = parameter.default, DEFAULTS.get(name, inspect.Parameter.empty)
        if inspect.Parameter.empty in (default, expected):
            continue
        if (type(default), default) != (type(expected), expected):
            wrong[name] = (default, expected)
    return wrong


FRONT_ENDS = front_ends()
WITH_OPTIONS = {
    name: function
    for name, function in FRONT_ENDS.items()
    if not set(NAMES).isdisjoint(parameters(function))
}


def test_defaults_are_the_configs() -> None:
    assert DEFAULTS == {
        "gamma": "exact",
        "seed_region": "valid",
        "normalize": "global",
        "share_channels": False,
        "share_batch": False,
    }


def test_the_walk_finds_every_framework_front_end() -> None:
    # A walk that missed a package or its layers would pass the check below vacuously.
    expected = {
        "dropblock_core.apply.dropblock",
        "dropblock_core.masks.sample_mask",
        "dropblock_torch.functional.dropblock",
        "dropblock_torch.modules.DropBlock2d",
        "dropblock_tf.functional.dropblock",
        "dropblock_keras.functional.dropblock",
        "dropblock_keras.layers.DropBlock2D",
        "dropblock_jax.functional.dropblock",
        "dropblock_jax.nnx.DropBlock",
        "dropblock_jax.linen.DropBlock",
        "dropblock_jax.equinox.DropBlock",
    }
    assert expected <= set(WITH_OPTIONS), expected - set(WITH_OPTIONS)


@pytest.mark.parametrize("name", sorted(WITH_OPTIONS))
def test_front_end_defaults_the_options_as_the_config(name: str) -> None:
    assert wrong_defaults(WITH_OPTIONS[name]) == {}


def test_a_wrong_default_is_reported() -> None:
    def front_end(x: Any, *, gamma: str = "paper", share_batch: bool = False) -> Any:
        return x

    assert wrong_defaults(front_end) == {"gamma": ("paper", "exact")}

    def typed_wrong(x: Any, *, seed_region: str = "valid", share_channels: int = 0) -> Any:
        return x

    assert wrong_defaults(typed_wrong) == {"share_channels": (0, False)}
