"""MkDocs hook: typeset the site's TeX as MathML when the site is built.

``pymdownx.arithmatex`` (generic mode) protects every formula from Markdown
and leaves it as ``<span class="arithmatex">\\(...\\)</span>`` (inline) or
``<div class="arithmatex">\\[...\\]</div>`` (display). This hook replaces the
TeX inside with MathML from ``latex2mathml`` (pure Python, installed by the
``docs`` extra), which browsers render natively: the built pages need no
JavaScript, no font and nothing from the network to show their math. The TeX
source stays in the ``alttext`` attribute. A formula ``latex2mathml`` cannot
convert fails the build, so no page ships raw TeX.
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any

from latex2mathml.converter import convert

__all__ = ["on_page_content", "to_mathml", "typeset"]

log = logging.getLogger("mkdocs.hooks.mathml")

# What arithmatex writes (its TeX is HTML-escaped, so it holds no "<").
_FORMULA = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*'
    r"(?P<open>\\\(|\\\[)(?P<tex>.*?)(?P<close>\\\)|\\\])\s*</(?P=tag)>",
    re.S,
)


def to_mathml(tex: str, *, display: bool) -> str:
    """MathML for one TeX formula, with the TeX kept as ``alttext``.

    >>> to_mathml(r"\\gamma^2", display=False)  # doctest: +ELLIPSIS
    '<math ... display="inline" alttext="\\\\gamma^2"><mrow><msup><mi>&#x003B3;</mi>...'
    """
    mathml = convert(tex.strip(), display="block" if display else "inline")
    alt = html.escape(" ".join(tex.split()), quote=True)
    return mathml.replace(">", f' alttext="{alt}">', 1)


def typeset(page_html: str, where: str = "page") -> tuple[str, int]:
    """Replace every arithmatex formula of ``page_html``; return HTML and count."""
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        display = match["open"] == "\\["
        tex = html.unescape(match["tex"])
        try:
            mathml = to_mathml(tex, display=display)
        except Exception as exc:  # latex2mathml raises its own exception types
            raise ValueError(f"{where}: cannot typeset {tex!r}: {exc}") from exc
        count += 1
        return f'<{match["tag"]} class="arithmatex">{mathml}</{match["tag"]}>'

    return _FORMULA.sub(replace, page_html), count


def on_page_content(html_text: str, page: Any, **kwargs: Any) -> str:
    """Typeset the formulas of one page."""
    out, count = typeset(html_text, page.file.src_uri)
    log.debug("%s: %d formulas as MathML", page.file.src_uri, count)
    return out
