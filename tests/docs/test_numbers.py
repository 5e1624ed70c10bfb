"""Numbers quoted in the prose are computed by the page's own examples.

A decimal number with two or more significant digits in the text of
``index.md``, ``math.md`` or ``migrating.md`` (outside code and formulas) must
equal, at the precision it is written with, a number printed by a doctest of
the same page or of ``math.md`` (percentages count as fractions). The few
numbers that are cited rather than computed are listed in ``CITED`` with their
source, and must still occur in the docs.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from .markdown_blocks import DOCS, code_blocks, prose

PAGES = ("index.md", "math.md", "migrating.md")

CITED = {
    "76.51": "the paper: ResNet-50 ImageNet top-1 without DropBlock",
    "78.13": "the paper: ResNet-50 ImageNet top-1 with DropBlock",
    "0.0945": "FACTS.md: torchvision measured on 56x56 (expected 0.0946)",
    "0.113": "FACTS.md: timm 1.0.31 measured on 56x56 (expected 0.1112)",
    "0.933": "FACTS.md: timm 1.0.31 measured on 7x7 (expected 0.93)",
    "0.15": "an input: the drop_prob the figures of index.md ask for",
}

_NUMBER = re.compile(r"(?<![\w.])(\d+\.\d+)(?!\.?\d)(\s*%)?")
_CODE = re.compile(r"`[^`]*`")
_MATH = re.compile(r"\\\(.*?\\\)|\$\$.*?\$\$", re.S)


def significant_digits(text: str) -> int:
    return len(text.replace(".", "").lstrip("0"))


def prose_numbers(path: Path) -> list[tuple[str, bool]]:
    """(number as written, is a percentage) for every decimal in the prose."""
    text = _MATH.sub(" ", _CODE.sub(" ", prose(path)))
    return [(m[1], bool(m[2])) for m in _NUMBER.finditer(text)]


def printed_numbers(path: Path) -> list[float]:
    """Every number in the expected output of the page's doctests."""
    parser = doctest.DocTestParser()
    out = []
    for block in code_blocks(path):
        if block.runs and block.is_doctest:
            for example in parser.get_examples(block.source):
                out += [float(v) for v in re.findall(r"-?\d+\.\d+|-?\d+", example.want)]
    return out


def matches(written: str, percent: bool, printed: list[float]) -> bool:
    decimals = len(written.split(".")[1]) + (2 if percent else 0)
    value = float(written) / (100 if percent else 1)
    return any(round(p, decimals) == round(value, decimals) for p in printed)


@pytest.mark.parametrize("page", PAGES)
def test_prose_numbers_are_computed(page: str) -> None:
    path = DOCS / page
    printed = printed_numbers(path) + printed_numbers(DOCS / "math.md")
    checked, unexplained = 0, []
    for written, percent in prose_numbers(path):
        if significant_digits(written) < 2 or written in CITED:
            continue
        checked += 1
        if not matches(written, percent, printed):
            unexplained.append(written + ("%" if percent else ""))
    assert not unexplained, f"{page}: numbers not printed by any example: {unexplained}"
    assert checked > 0, f"{page}: no number was checked (is the parser broken?)"


def test_cited_numbers_are_still_quoted() -> None:
    quoted = {w for page in PAGES for w, _ in prose_numbers(DOCS / page)}
    assert set(CITED) <= quoted, set(CITED) - quoted


def test_the_checker_catches_a_wrong_number(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Drops 9.29 % (good), 0.0929 (good), 0.0931 (bad), `0.1234` (code).\n\n"
        "```pycon\n>>> round(0.092939, 4)\n0.0929\n```\n",
        encoding="utf-8",
    )
    numbers = prose_numbers(page)
    assert numbers == [("9.29", True), ("0.0929", False), ("0.0931", False)]
    printed = printed_numbers(page)
    assert [matches(w, p, printed) for w, p in numbers] == [True, True, False]
