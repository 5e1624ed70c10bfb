"""MkDocs hook: the API index page, generated from the modules' ``__all__``.

``api/index.md`` lists every public function and class of ``MODULES`` (what
their ``__all__`` exports), each linked to its entry in the API reference and
described by the first line of its docstring. The modules are read with griffe,
statically, so no framework is imported; an object re-exported by several
modules is listed once, under the first. Each link is an autorefs reference,
so the strict build fails if a public object has no entry in the reference.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import griffe
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

__all__ = ["MODULES", "PAGE", "on_files", "page_markdown", "public_callables"]

log = logging.getLogger("mkdocs.hooks.api_index")

ROOT = Path(__file__).resolve().parents[2]
SEARCH_PATHS = [str(ROOT), str(ROOT / "adapters")]
PAGE = "api/index.md"

# Module -> what it is; the order of the page.
MODULES = {
    "dropblock_core": "the core: DropBlock, masks, gamma, schedule",
    "dropblock_core.gamma": "gamma and the expected drop rate",
    "dropblock_core.apply": "masks applied to arrays",
    "dropblock_core.masks": "mask plans and seeds",
    "dropblock_core.rng": "the reproducible seed stream",
    "dropblock_core.threefry": "the Threefry-2x32 block cipher",
    "dropblock_core.schedule": "the linear schedule",
    "dropblock_core.layer": "the framework-free layer base",
    "dropblock_core.config": "the adapters' shared configuration",
    "dropblock_core.conformance": "the conformance validator",
    "dropblock_core.testing": "assertions and hypothesis strategies for your tests",
    "dropblock_torch": "PyTorch",
    "dropblock_torch.compat.torchvision": "the torchvision compatible aliases",
    "dropblock_torch.compat.timm": "the timm compatible aliases",
    "dropblock_keras": "Keras 3 on every backend",
    "dropblock_keras.compat.keras_cv": "the keras-cv compatible alias",
    "dropblock_tf": "TensorFlow tensors",
    "dropblock_jax": "JAX",
    "dropblock_jax.nnx": "Flax NNX modules and schedule",
    "dropblock_jax.linen": "the Flax Linen module",
    "dropblock_jax.equinox": "the Equinox module",
    "dropblock_jax.keys": "PRNG keys as seeds",
}

_ROLE = re.compile(
    r":(?:py:)?(?:func|class|meth|mod|attr|data|obj|exc|const):`~?([^`]+)`"
)


@functools.cache
def _loader() -> griffe.GriffeLoader:
    """One loader for every package, so aliases between them resolve
    (``dropblock_tf``'s layers are ``dropblock_keras``'s)."""
    return griffe.GriffeLoader(search_paths=SEARCH_PATHS)


@functools.cache
def _package(name: str) -> griffe.Object:
    for package in dict.fromkeys(m.partition(".")[0] for m in MODULES):
        _loader().load(package)
    return _loader().modules_collection[name]


def _load(module: str) -> griffe.Object:
    package, _, rest = module.partition(".")
    root = _package(package)
    return root[rest] if rest else root


def public_callables() -> Iterator[tuple[str, str, griffe.Object]]:
    """(module, exported name, resolved object) of every exported function and
    class of ``MODULES``, each object once (under the first module exporting it)."""
    seen: set[str] = set()
    for module in MODULES:
        mod = _load(module)
        for name in mod.exports or []:
            obj = mod[name]
            target = obj.final_target if obj.is_alias else obj
            if target.kind not in (griffe.Kind.FUNCTION, griffe.Kind.CLASS):
                continue
            if target.path in seen:
                continue
            seen.add(target.path)
            yield module, name, target


def _summary(obj: griffe.Object) -> str:
    if obj.docstring is None:
        return ""
    first = obj.docstring.value.strip().split("\n\n")[0]
    text = " ".join(_ROLE.sub(r"`\1`", first).split())
    return text.replace("|", "\\|")


def page_markdown() -> str:
    """The whole ``api/index.md`` page."""
    lines = [
        "# API index",
        "",
        "Every public function and class, by module: what the module's `__all__`",
        "exports, with the first line of its docstring. Generated when the site is",
        "built; an object re-exported by several modules is listed under the first.",
        "",
    ]
    rows: dict[str, list[str]] = {}
    for module, name, obj in public_callables():
        kind = "class" if obj.kind is griffe.Kind.CLASS else "function"
        rows.setdefault(module, []).append(
            f"| [`{name}`][{module}.{name}] | {kind} | {_summary(obj)} |"
        )
    for module, what in MODULES.items():
        if module in rows:
            lines += [f"## `{module}`", "", what[:1].upper() + what[1:] + ".", ""]
            lines += [
                "| name | kind | summary |",
                "|---|---|---|",
                *rows[module],
                "",
            ]
    return "\n".join(lines)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated ``api/index.md`` to the site."""
    files.append(File.generated(config, PAGE, content=page_markdown()))
    log.debug("generated %s", PAGE)
    return files
