"""Griffe extension: make the project's docstrings render as Markdown.

The docstrings hold ``>>>`` examples (run as doctests) and a few Sphinx roles
(``:func:`name```). Markdown would read ``>>>`` as nested block quotes, so
every doctest run (a ``>>>`` line up to the next blank line, doctest's own
rule) becomes a fenced ``pycon`` block, and a role becomes inline code.
Python's power operator in prose (``2**32``) would open bold text, so a
``**`` between two word characters outside code is escaped.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

__all__ = ["DocstringMarkdown", "doctests_to_fences", "escape_power"]

_ROLE = re.compile(
    r":(?:py:)?(?:func|class|meth|mod|attr|data|obj|exc|const):`~?([^`]+)`"
)
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")
_POWER = re.compile(r"(?<=\w)\*\*(?=\w)")


def escape_power(line: str) -> str:
    """Escape ``**`` between word characters, except inside code spans.

    >>> print(escape_power("seed in [0, 2**64), step ``2**32``, **bold**"))
    seed in [0, 2\\*\\*64), step ``2**32``, **bold**
    """
    out, last = [], 0
    for span in _CODE_SPAN.finditer(line):
        out += [_POWER.sub(r"\\*\\*", line[last : span.start()]), span[0]]
        last = span.end()
    return "".join([*out, _POWER.sub(r"\\*\\*", line[last:])])


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
        out.append(
            line
            if in_fence or in_doctest
            else escape_power(_ROLE.sub(r"`\1`", line))
        )
    if in_doctest:
        out.append("```")
    return "\n".join(out)


class DocstringMarkdown(griffe.Extension):
    """Apply :func:`doctests_to_fences` to every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = doctests_to_fences(obj.docstring.value)
