"""The built site: where each page's HTML is, its visible text, the docs hooks.

``mkdocs.yml`` sets ``use_directory_urls: false``, so ``a/b.md`` is built as
``a/b.html`` and the site works opened from disk.
"""

from __future__ import annotations

import html
import importlib.util
import re
from pathlib import Path
from types import ModuleType

from .markdown_blocks import DOCS

__all__ = ["built", "html_pages", "load_hook", "visible_text"]

_HIDDEN = re.compile(r"<(script|style|pre|code|math|svg)\b.*?</\1>|<!--.*?-->|<[^>]+>", re.S | re.I)


def built(site: Path, page: str) -> Path:
    """The HTML file of a page: ``a/b.md`` -> ``a/b.html``."""
    return site / (page[: -len(".md")] + ".html")


def html_pages(site: Path) -> list[Path]:
    """Every page of the site (not the search index, not the 404 page)."""
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


def visible_text(page_html: str) -> str:
    """The prose of a page: tags, scripts, code, MathML and comments removed."""
    body = page_html.split('<article class="md-content__inner md-typeset">', 1)[-1]
    body = body.split("</article>", 1)[0]
    return html.unescape(_HIDDEN.sub(" ", body))


def load_hook(name: str) -> ModuleType:
    """A module of ``docs/hooks`` (not a package: MkDocs and griffe load them by path)."""
    spec = importlib.util.spec_from_file_location(
        f"docs_hooks_{name}", DOCS / "hooks" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
