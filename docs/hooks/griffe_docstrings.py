"""Griffe extension: make the project's docstrings render as Markdown.

The docstrings hold ``>>>`` examples (run as doctests) and a few Sphinx roles
(``:func:`name```). Markdown would read ``>>>`` as nested block quotes, so
every doctest run (a ``>>>`` line up to the next blank line, doctest's own
rule) becomes a fenced ``pycon`` block, and a role becomes inline code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

__all__ = ["DocstringMarkdown", "doctests_to_fences"]

_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|obj|exc|const):`~?([^`]+)`")
_FENCE = re.compile(r"^\s*(```|~~~)")


def doctests_to_fences(text: str) -> str:
    r"""Wrap doctest runs in ```` ```pycon ```` fences and turn roles into code.

    >>> doctests_to_fences("See :func:`f`.\n>>> 1 + 1\n2\n\nMore.").splitlines()
    ['See `f`.', '', '```pycon', '>>> 1 + 1', '2', '```', '', 'More.']
    """
    out: list[str] = []
    in_fence = in_doctest = False
    for line in text.splitlines():
        if in_doctest and not line.strip():
            out.append("```")
            in_doctest = False
        if not in_doctest and _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and not in_doctest and line.lstrip().startswith(">>>"):
            if out and out[-1].strip():
                out.append("")
            out.append("```pycon")
            in_doctest = True
        out.append(line if in_fence or in_doctest else _ROLE.sub(r"`\1`", line))
    if in_doctest:
        out.append("```")
    return "\n".join(out)


class DocstringMarkdown(griffe.Extension):
    """Apply :func:`doctests_to_fences` to every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = doctests_to_fences(obj.docstring.value)
