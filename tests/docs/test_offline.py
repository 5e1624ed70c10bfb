"""The built site reads well with no network, from disk, without an emoji font.

Formulas are MathML written at build time (``docs/hooks/mathml.py``):
``latex2mathml`` is imported here so that a missing ``docs`` extra fails this
file instead of skipping it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import latex2mathml  # noqa: F401 - the docs extra must be installed
import pytest
import yaml

from .markdown_blocks import DOCS, ROOT, doc_pages, prose
from .site_files import built, html_pages, load_hook, visible_text

mathml = load_hook("mathml")

_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)
_ASSET_TAGS = re.compile(r"<(script|link|img|iframe|source)\b[^>]*>", re.I)
_ATTR = re.compile(r"\b(src|href)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.I)
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)|@import\s+['\"]([^'\"]+)", re.I)
_CODE_WIDTH = 88  # columns; the content column of a 1280 px window shows 114 (Chromium)
# Emoji and pictographs an emoji font is needed for (✅ U+2705, ❌ U+274C, ➖ U+2796, ...).
_EMOJI = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff\ufe0f]")


def _attr(tag: str, name: str) -> str | None:
    for key, value in _ATTR.findall(tag):
        if key.lower() == name:
            return html.unescape(value.strip("\"'"))
    return None


def external_assets(page_html: str) -> list[str]:
    """Scripts, stylesheets, fonts, images and frames a page loads from another host."""
    found = []
    for match in _ASSET_TAGS.finditer(page_html):
        tag, kind = match[0], match[1].lower()
        if kind == "link":  # a stylesheet, font, icon or preload (not a hyperlink)
            url = _attr(tag, "href")
        else:
            url = _attr(tag, "src")
        if url and _EXTERNAL.match(url):
            found.append(f"{kind}: {url}")
    for style in re.findall(r"<style\b[^>]*>(.*?)</style>", page_html, re.S | re.I):
        found += [f"css: {u}" for u in css_urls(style) if _EXTERNAL.match(u)]
    return found


def css_urls(css: str) -> list[str]:
    return [a or b for a, b in _CSS_URL.findall(css)]


def test_external_asset_detector_works() -> None:
    page = (
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
        '<script src="//unpkg.com/mathjax@3/es5/tex-mml-chtml.js"></script>'
        '<script src="assets/javascripts/bundle.js"></script>'
        '<a href="https://arxiv.org/abs/1810.12890">paper</a>'
        "<style>@font-face{src:url(https://x.invalid/f.woff2)}</style>"
    )
    assert external_assets(page) == [
        "link: https://fonts.googleapis.com/css?family=Roboto",
        "script: //unpkg.com/mathjax@3/es5/tex-mml-chtml.js",
        "css: https://x.invalid/f.woff2",
    ]


def test_pages_load_nothing_from_another_host(site: Path) -> None:
    pages = html_pages(site)
    assert len(pages) > 15
    for page in pages:
        assert not external_assets(page.read_text(encoding="utf-8")), page.relative_to(site)
    stylesheets = list(site.rglob("*.css"))
    assert stylesheets
    for sheet in stylesheets:
        urls = css_urls(sheet.read_text(encoding="utf-8"))
        assert not [u for u in urls if _EXTERNAL.match(u)], sheet.relative_to(site)


def formulas_in_source(path: Path) -> int:
    """Inline ``\\(...\\)`` and display ``$$ ... $$`` formulas in a page's prose."""
    text = prose(path)
    return text.count("\\(") + len(re.findall(r"^\s*\$\$\s*$", text, re.M)) // 2


@pytest.mark.parametrize("page", [p.relative_to(DOCS).as_posix() for p in doc_pages()])
def test_every_formula_is_mathml_and_no_tex_is_left(site: Path, page: str) -> None:
    page_html = built(site, page).read_text(encoding="utf-8")
    assert page_html.count("<math ") == formulas_in_source(DOCS / page)
    text = visible_text(page_html)
    for delimiter in ("\\(", "\\)", "\\[", "\\]", "$$"):
        assert delimiter not in text, f"{page}: raw TeX {delimiter!r} left after rendering"


def test_the_math_pages_hold_formulas(site: Path) -> None:
    """The page-by-page check is not vacuous: the math pages are full of MathML."""
    counts = {p: formulas_in_source(DOCS / p) for p in ("math.md", "rng.md", "migrating.md")}
    assert min(counts.values()) > 10, counts
    math_page = built(site, "math.md").read_text(encoding="utf-8")
    assert 'display="block"' in math_page and "<mfrac>" in math_page


def test_tex_becomes_mathml_with_its_source_kept() -> None:
    page = (
        '<p>rate <span class="arithmatex">\\(1 - \\mathrm{keep\\_prob}\\)</span></p>'
        '<div class="arithmatex">\\[\n\\frac{a}{b^2} &lt; 1\n\\]</div>'
    )
    out, count = mathml.typeset(page)
    assert count == 2 and "\\(" not in out and "\\[" not in out
    assert 'display="inline" alttext="1 - \\mathrm{keep\\_prob}"' in out
    assert '<mi mathvariant="normal">&#x0005F;</mi>' in out  # the underscore, no backslash
    assert 'display="block"' in out and "<mfrac>" in out and "&#x0003C;" in out


def test_keep_prob_has_no_stray_backslash(site: Path) -> None:
    math_page = built(site, "math.md").read_text(encoding="utf-8")
    assert "\\text{keep\\_prob}" not in (DOCS / "math.md").read_text(encoding="utf-8")
    assert "keep\\_prob</mtext>" not in math_page


def test_site_works_opened_from_disk(site: Path) -> None:
    """Every relative link of every page names an HTML file or asset that exists,
    never a folder (which a browser shows as a directory listing from file://)."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["use_directory_urls"] is False
    checked = 0
    for page in html_pages(site):
        for href in re.findall(r'<a\b[^>]*\bhref="([^"]*)"', page.read_text(encoding="utf-8")):
            parts = urlsplit(html.unescape(href))
            if parts.scheme or parts.netloc or not parts.path:
                continue  # another host, or an anchor on the same page
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{page.relative_to(site)} links to {href}"
            checked += 1
    assert checked > 100


def test_no_emoji_anywhere(site: Path) -> None:
    for path in [*doc_pages(), ROOT / "README.md"]:
        found = _EMOJI.findall(path.read_text(encoding="utf-8"))
        assert not found, f"{path.relative_to(ROOT)}: {found}"
    for page in html_pages(site):
        found = _EMOJI.findall(visible_text(page.read_text(encoding="utf-8")))
        assert not found, f"{page.relative_to(site)}: {found}"


def test_no_number_turned_bold(site: Path) -> None:
    """``2**32`` in prose or a docstring must not open bold text."""
    for page in html_pages(site):
        page_html = page.read_text(encoding="utf-8")
        assert not re.search(r"\d<(strong|em)>", page_html), page.relative_to(site)
    rng_api = visible_text(built(site, "api/rng.md").read_text(encoding="utf-8"))
    assert "2**64" in rng_api and "2**32" in rng_api


def test_code_lines_fit_the_page(site: Path) -> None:
    """Every line of every code block (pages and docstrings) is at most 88 columns."""
    long = []
    for page in html_pages(site):
        for block in re.findall(r"<pre\b[^>]*>(.*?)</pre>", page.read_text(encoding="utf-8"), re.S):
            for line in html.unescape(re.sub(r"<[^>]+>", "", block)).splitlines():
                if len(line) > _CODE_WIDTH:
                    long.append(f"{page.relative_to(site)}: {line}")
    assert not long, "\n".join(long)


def test_error_text_keeps_its_markup_characters(site: Path) -> None:
    """keras-cv's error names keep their underscores; ``<class ...>`` is shown."""
    conformance = visible_text(built(site, "conformance.md").read_text(encoding="utf-8"))
    assert "__wrapped__Split_num_split_4_device_/job:localhost" in conformance
    assert "<class 'numpy.dtype[bfloat16]'>" in conformance
