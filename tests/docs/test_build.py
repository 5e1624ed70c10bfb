"""The site builds with ``mkdocs build --strict`` and holds what it promises.

MkDocs, Material and mkdocstrings are imported at the top: a missing docs
dependency fails this file, it never skips it.
"""

from __future__ import annotations

import ast
import doctest
import re
from pathlib import Path

import material  # noqa: F401 - the theme must be installed
import mkdocs  # noqa: F401
import mkdocstrings  # noqa: F401
import yaml

import dropblock_core

from .markdown_blocks import DOCS, ROOT
from .site_files import built, load_hook

griffe_docstrings = load_hook("griffe_docstrings")

FIGURES = ("masks.png", "channels.png", "rates.png", "coverage.png")
ADAPTERS = {
    "dropblock_torch": "torch",
    "dropblock_keras": "keras",
    "dropblock_tf": "tensorflow",
    "dropblock_jax": "jax",
}


def nav_pages() -> list[str]:
    def walk(entry: object) -> list[str]:
        if isinstance(entry, str):
            return [entry]
        if isinstance(entry, dict):
            return [p for value in entry.values() for p in walk(value)]
        if isinstance(entry, list):
            return [p for item in entry for p in walk(item)]
        return []

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    return walk(config["nav"])


def public_names(package_init: Path) -> list[str]:
    """``__all__`` of a module, read without importing it (no framework import)."""
    tree = ast.parse(package_init.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    raise AssertionError(f"{package_init} has no __all__")


def test_nav_lists_every_page() -> None:
    pages = nav_pages()
    for page in (
        "index.md",
        "math.md",
        "rng.md",
        "migrating.md",
        "benchmarks.md",
        "conformance.md",
        "guides/pytorch.md",
        "guides/tensorflow.md",
        "guides/keras.md",
        "guides/jax.md",
    ):
        assert page in pages
    assert all(p.startswith("api/") for p in pages if "api" in p)


def test_strict_build_writes_every_page(site: Path) -> None:
    for page in nav_pages():
        assert built(site, page).is_file(), page


def test_figures_are_generated_at_build_time(site: Path) -> None:
    for name in FIGURES:
        data = (site / "img" / "generated" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000, name
    # Nothing generated lives in the source tree.
    assert not (DOCS / "img" / "generated").exists()
    assert not list((site).rglob("*.py")), "hooks must not be copied into the site"


def test_pages_link_their_figures(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    math = built(site, "math.md").read_text(encoding="utf-8")
    assert "img/generated/masks.png" in index and "img/generated/channels.png" in index
    assert "img/generated/rates.png" in math and "img/generated/coverage.png" in math


def test_api_reference_documents_the_public_api(site: Path) -> None:
    core = built(site, "api/core.md").read_text(encoding="utf-8")
    for name in dropblock_core.__all__:
        if name != "__version__":  # documented where defined or where re-exported
            assert re.search(rf'id="dropblock_core(\.\w+)*\.{name}"', core), name
    config = built(site, "api/config.md").read_text(encoding="utf-8")
    assert 'id="dropblock_core.config.DropBlockConfig"' in config
    rng = built(site, "api/rng.md").read_text(encoding="utf-8")
    for name in ("rng.mask_key", "rng.gap_thresholds", "threefry.threefry2x32", "masks.plan_mask"):
        assert f'id="dropblock_core.{name}"' in rng, name
    for package, page in ADAPTERS.items():
        html = built(site, f"api/{page}.md").read_text(encoding="utf-8")
        for name in public_names(ROOT / "adapters" / package / "__init__.py"):
            assert f'id="{package}.{name}"' in html, f"{package}.{name}"


def test_docstring_examples_render_as_code(site: Path) -> None:
    core = built(site, "api/core.md").read_text(encoding="utf-8")
    assert "<blockquote>" not in core  # ">>>" read as Markdown quotes
    assert '<span class="gp">&gt;&gt;&gt; </span>' in core  # a highlighted pycon prompt


def test_doctests_become_fences() -> None:
    text = "Uses :func:`sample_mask`.\n>>> 1 + 1\n2\n\nAfter.\n```text\n>>> kept\n```"
    assert griffe_docstrings.doctests_to_fences(text).splitlines() == [
        "Uses `sample_mask`.",
        "",
        "```pycon",
        ">>> 1 + 1",
        "2",
        "```",
        "",
        "After.",
        "```text",
        ">>> kept",
        "```",
    ]


def test_hook_docstring_examples() -> None:
    result = doctest.testmod(griffe_docstrings, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
