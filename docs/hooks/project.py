"""MkDocs hook: the project's version and changelog on the site.

The version is read from ``dropblock_core.__version__`` (the one place it is
written; ``pyproject.toml`` reads it from there too) and shown in the header
and the footer of every page. ``CHANGELOG.md`` at the repository root becomes
the site's ``changelog.md`` page, so the changelog is kept in one file.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

import dropblock_core

__all__ = ["CHANGELOG", "on_config", "on_files"]

log = logging.getLogger("mkdocs.hooks.project")

ROOT = Path(__file__).resolve().parents[2]
CHANGELOG = ROOT / "CHANGELOG.md"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Name the version in the header (site name) and the footer."""
    version = dropblock_core.__version__
    config.site_name = f"{config.site_name} {version}"
    config.copyright = (
        f"dropblock_core {version} · Apache-2.0 · "
        "DropBlock: Ghiasi, Lin &amp; Le, NeurIPS 2018"
    )
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Publish the repository's ``CHANGELOG.md`` as ``changelog.md``."""
    files.append(
        File.generated(
            config, "changelog.md", content=CHANGELOG.read_text(encoding="utf-8")
        )
    )
    log.debug("published %s", CHANGELOG.name)
    return files
