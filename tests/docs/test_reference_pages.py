"""The generated pages (command line, API index, changelog), the version, the
citation, the install story and the figures' legibility."""

from __future__ import annotations

import contextlib
import doctest
import io
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
import tomllib
import yaml

import dropblock_core
from dropblock_core import cli

from .markdown_blocks import DOCS, ROOT, code_blocks, doc_pages
from .site_files import built, load_hook, visible_text

HOOKS = ("api_index", "cli_reference", "figures", "griffe_docstrings", "mathml", "project")
PAPER = "https://arxiv.org/abs/1810.12890"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_docstring_examples(name: str) -> None:
    hook = load_hook(name)
    result = doctest.testmod(hook, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0
    assert hook.__doc__ and hook.__all__


def help_text(argv: list[str]) -> str:
    """What ``dropblock-core ARGV --help`` prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as stop:
        cli.main([*argv, "--help"])
    assert stop.value.code == 0
    return out.getvalue()


def subcommand_names() -> list[str]:
    parser = cli.build_parser()
    (sub,) = [a for a in parser._actions if a.choices and a.dest == "command"]
    return list(sub.choices)


def test_cli_page_lists_every_subcommand_and_option(site: Path) -> None:
    code = built(site, "cli.md").read_text(encoding="utf-8")
    names = subcommand_names()
    assert {"gamma", "masks", "bench", "validate"} <= set(names)
    checked = 0
    for name in names:
        assert f'<h2 id="dropblock-core-{name}"><code>dropblock-core {name}</code>' in code, name
        # Every option its --help shows (bench's come from its own parser).
        options = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", help_text([name])))
        options.discard("--help")
        assert options or name == "bench", name
        for option in options:
            assert f"<code>{option}" in code, f"dropblock-core {name} {option}"
            checked += 1
    assert checked >= 25
    # The exit codes of validate are there too.
    assert "exit codes:" in code and "usage error" in code


def test_cli_page_is_generated_not_written() -> None:
    assert not (DOCS / "cli.md").exists() and not (DOCS / "api" / "index.md").exists()


def test_api_index_lists_the_public_api(site: Path) -> None:
    index = built(site, "api/index.md").read_text(encoding="utf-8")
    for name in dropblock_core.__all__:
        if name != "__version__":
            assert f"<code>{name}</code>" in index, name
    for package in ("dropblock_torch", "dropblock_keras", "dropblock_tf", "dropblock_jax"):
        for name in load_hook("api_index")._load(package).exports:
            assert f"<code>{name}</code>" in index, f"{package}.{name}"
    for name in ("Spec", "CheckResult", "wrap_torch", "wrap_jax", "LinearDropSchedule"):
        assert f"<code>{name}</code>" in index, name
    # Every entry links into the reference (autorefs resolved every one of them).
    links = re.findall(r'<a class="autorefs[^"]*"[^>]* href="([^"]+)"', index)
    assert len(links) >= 40 and all(".html#" in link for link in links)


def test_conformance_api_is_documented(site: Path) -> None:
    page = built(site, "api/conformance.md").read_text(encoding="utf-8")
    for name in ("Spec", "CheckResult", "Budget", "Implementation", "wrap_torch", "wrap_tf"):
        assert f'id="dropblock_core.conformance.{name}"' in page, name


def test_version_is_written_once_and_shown(site: Path) -> None:
    version = dropblock_core.__version__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "dropblock_core/__init__.py"
    assert version not in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in ("index.md", "math.md", "api/core.md"):
        html = built(site, page).read_text(encoding="utf-8")
        assert f"dropblock_core {version}" in html, page


def test_changelog_has_this_release(site: Path) -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "keepachangelog.com" in changelog
    releases = re.findall(r"^## \[([^\]]+)\]", changelog, re.M)
    assert releases and releases[0] == dropblock_core.__version__
    page = visible_text(built(site, "changelog.md").read_text(encoding="utf-8"))
    assert f"[{dropblock_core.__version__}]" in page and "Added" in page


def test_citation_cites_the_paper_and_the_project() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert cff["title"].startswith("dropblock_core") and cff["authors"] and cff["message"]
    paper = cff["preferred-citation"]
    assert paper["title"] == "DropBlock: A regularization method for convolutional networks"
    assert [a["family-names"] for a in paper["authors"]] == ["Ghiasi", "Lin", "Le"]
    assert paper["year"] == 2018 and "NeurIPS 2018" in paper["collection-title"]
    assert any(i["value"] == PAPER for i in paper["identifiers"])


def test_the_paper_is_linked(site: Path) -> None:
    assert PAPER in (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("index.md", "recipes.md"):
        assert f'href="{PAPER}"' in built(site, page).read_text(encoding="utf-8"), page


def test_one_install_story() -> None:
    """Every pip command of the docs and the README installs this checkout with
    extras (``python -m pip install ".[torch]"``), as the home page says once."""
    commands = []
    for path in [*doc_pages(), ROOT / "README.md"]:
        text = path.read_text(encoding="utf-8")
        commands += [(path.name, c) for c in re.findall(r"pip install[^\n`]*", text)]
    assert len(commands) >= 8
    story = re.compile(r'pip install (?:-e )?(?:\.|"\.\[[a-z,]+\]")(?:\s|$)')
    for page, command in commands:
        assert story.match(command), f"{page}: {command}"
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for extra in ("torch", "tensorflow", "jax", "cli"):
        assert f'".[{extra}]"' in index, extra


def test_docs_extra_installs_what_the_site_needs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    docs = " ".join(project["project"]["optional-dependencies"]["docs"])
    for package in ("mkdocs", "mkdocs-material", "mkdocstrings", "matplotlib", "latex2mathml"):
        assert package in docs, package
    assert "docs" in (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")


def test_figures_are_legible_on_the_page() -> None:
    figures = load_hook("figures")
    for name, draw in figures.FIGURES.items():
        fig = draw()
        try:
            assert fig.get_figwidth() * figures.DPI <= figures.CONTENT_PX, name
            assert figures.smallest_text_px(fig) >= figures.MIN_TEXT_PX, name
        finally:
            plt.close(fig)


def test_conformance_figures_are_legible_on_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The validator's plots, drawn for a report of several implementations."""
    import numpy as np
    from matplotlib.figure import Figure

    from dropblock_core.conformance import plots
    from dropblock_core.conformance.report import Report
    from dropblock_core.conformance.result import CheckResult
    from dropblock_core.conformance.spec import SPECS

    figures = load_hook("figures")
    saved: list[tuple[float, float]] = []  # (width in pixels, smallest text as shown)
    savefig = Figure.savefig

    def record(self: Figure, *args: object, **kwargs: object) -> None:
        dpi = float(kwargs["dpi"])  # type: ignore[arg-type]
        saved.append((self.get_figwidth() * dpi, figures.smallest_text_px(self, dpi)))
        savefig(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", record)
    reports = []
    for k, name in enumerate(["timm DropBlock2d (couple_channels=True, default)", "a", "b"]):
        results = [
            CheckResult(
                "drop rate",
                f"{s}x{s} b=7 p=0.1",
                "pass",
                "",
                "",
                "",
                {"spatial": [s, s], "block": 7, "requested": 0.1, "achieved": 0.1 + k, "se": 0.01},
            )
            for s in (7, 14, 28, 56)
        ]
        reports.append(Report(name, SPECS["paper"], results))
    masks = {r.target: np.ones((6, 14, 21), bool) for r in reports}
    plots.plot_drop_rates(reports, tmp_path / "rate.png")
    plots.plot_masks(masks, tmp_path / "masks.png", "title")
    assert len(saved) == 2
    for width, smallest in saved:
        assert width <= 960 and smallest >= figures.MIN_TEXT_PX, (width, smallest)


def test_recipes_page_runs_its_numbers() -> None:
    """The recipes are backed by computed numbers (checked by test_numbers)."""
    blocks = code_blocks(DOCS / "recipes.md")
    assert sum(b.runs and b.is_doctest for b in blocks) >= 5
    assert any(b.runs and not b.is_doctest for b in blocks)  # the ResNet block runs
