"""Numbers quoted in the prose of every page are computed, recorded or cited.

A decimal number with two or more significant digits in the text of any page
of ``docs/`` (outside code and formulas; tables count) must be one of:

* **computed**: equal, at the precision it is written with, to a number
  printed by a doctest of the same page or of ``math.md`` (percentages count
  as fractions);
* **recorded**: a measurement in one of the ``RECORDS`` pages, which are the
  output of a tool run (the benchmark, the validator) and name that tool; a
  page quoting a measurement must quote the record, so a guide cannot
  disagree with the benchmarks page;
* **cited**: listed in ``CITED`` with its source (the paper, FACTS.md), and
  still quoted somewhere;
* a **version** of a named package (``torch 2.13``, ``Keras 3.15``).
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from .markdown_blocks import DOCS, code_blocks, doc_pages, prose

PAGES = [p.relative_to(DOCS).as_posix() for p in doc_pages()]

# Pages that are the record of a measurement, and the command that wrote them.
RECORDS = {
    "benchmarks.md": "python benchmarks/run.py",
    "conformance.md": "dropblock-core validate",
}

CITED = {
    "76.51": "the paper: ResNet-50 ImageNet top-1 without DropBlock",
    "78.13": "the paper: ResNet-50 ImageNet top-1 with DropBlock",
    "36.8": "the paper: RetinaNet COCO AP without DropBlock (trained from scratch)",
    "38.4": "the paper: RetinaNet COCO AP with DropBlock (trained from scratch)",
    "0.0945": "FACTS.md: torchvision measured on 56x56 (expected 0.0946)",
    "0.113": "FACTS.md: timm 1.0.31 measured on 56x56 (expected 0.1112)",
    "0.933": "FACTS.md: timm 1.0.31 measured on 7x7 (expected 0.93)",
    "0.15": "an input: the drop_prob the figures of index.md ask for",
    "0.06172839506172839": "rng.md mask vectors: checked by tests/docs/test_rng_vectors.py",
    "0.006764353426751917": "rng.md mask vectors: checked by tests/docs/test_rng_vectors.py",
}

# Pages whose quoted measurements are being rewritten on another branch: they
# must fail now (strict xfail) and are re-checked when that branch is merged.
STALE: dict[str, str] = {}

_NUMBER = re.compile(r"(?<![\w.])(\d+\.\d+)(?!\.?\d)(\s*%)?")
_CODE = re.compile(r"`[^`]*`")
_MATH = re.compile(r"\\\(.*?\\\)|\$\$.*?\$\$", re.S)
_LINK = re.compile(r"\]\([^)]*\)|\]\[[^\]]*\]|https?://\S+")  # link targets, URLs
_PACKAGE = re.compile(
    r"(?:python|numpy|scipy|torch|torchvision|timm|jax|jaxlib|flax|tensorflow(?:-cpu)?|keras"
    r"|keras-cv|dropblock)\s*(?:>=|==|<|≥)?\s*$",
    re.I,
)


def significant_digits(text: str) -> int:
    return len(text.replace(".", "").lstrip("0"))


def prose_numbers(path: Path) -> list[tuple[str, bool]]:
    """(number as written, is a percentage) for every decimal in the prose.

    Versions of a named package (``Keras 3.15``, ``jax >= 0.7``) are not numbers.
    """
    text = _LINK.sub(" ", _MATH.sub(" ", _CODE.sub(" ", prose(path))))
    return [
        (m[1], bool(m[2]))
        for m in _NUMBER.finditer(text)
        if not _PACKAGE.search(text[max(0, m.start() - 20) : m.start()])
    ]


def printed_numbers(path: Path) -> list[float]:
    """Every number in the expected output of the page's doctests."""
    parser = doctest.DocTestParser()
    out = []
    for block in code_blocks(path):
        if block.runs and block.is_doctest:
            for example in parser.get_examples(block.source):
                out += [float(v) for v in re.findall(r"-?\d+\.\d+|-?\d+", example.want)]
    return out


def recorded_numbers() -> list[float]:
    """Every decimal of the record pages."""
    return [float(w) for page in RECORDS for w, _ in prose_numbers(DOCS / page)]


def matches(written: str, percent: bool, printed: list[float]) -> bool:
    decimals = len(written.split(".")[1]) + (2 if percent else 0)
    value = float(written) / (100 if percent else 1)
    return any(round(p, decimals) == round(value, decimals) for p in printed)


def unexplained_numbers(page: str) -> tuple[int, list[str]]:
    """(numbers checked, numbers neither computed, recorded nor cited) of one page."""
    path = DOCS / page
    if page in RECORDS:
        return len(prose_numbers(path)), []
    known = printed_numbers(path) + printed_numbers(DOCS / "math.md") + recorded_numbers()
    checked, unexplained = 0, []
    for written, percent in prose_numbers(path):
        if significant_digits(written) < 2 or written in CITED:
            continue
        checked += 1
        if not matches(written, percent, known):
            unexplained.append(written + ("%" if percent else ""))
    return checked, unexplained


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(p, marks=pytest.mark.xfail(strict=True, reason=STALE[p])) if p in STALE else p
        for p in PAGES
    ],
)
def test_prose_numbers_are_computed_recorded_or_cited(page: str) -> None:
    checked, unexplained = unexplained_numbers(page)
    assert not unexplained, f"{page}: numbers not printed, recorded or cited: {unexplained}"


def test_the_check_sees_numbers() -> None:
    """The parser finds numbers on the pages that quote them (is it broken?)."""
    for page in ("index.md", "math.md", "migrating.md", "recipes.md", *RECORDS):
        assert unexplained_numbers(page)[0] > 0, page


def test_records_name_the_command_that_wrote_them() -> None:
    for page, command in RECORDS.items():
        assert command in (DOCS / page).read_text(encoding="utf-8"), (page, command)


def test_cited_numbers_are_still_quoted() -> None:
    quoted = {w for page in PAGES for w, _ in prose_numbers(DOCS / page)}
    assert set(CITED) <= quoted, set(CITED) - quoted


def test_the_checker_catches_a_wrong_number(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Drops 9.29 % (good), 0.0929 (good), 0.0931 (bad), `0.1234` (code),\n"
        "[a paper](https://arxiv.org/abs/1810.12890) (a link),\n"
        "with Keras 3.15 and jax >= 0.4.32 (versions).\n\n"
        "```pycon\n>>> round(0.092939, 4)\n0.0929\n```\n",
        encoding="utf-8",
    )
    numbers = prose_numbers(page)
    assert numbers == [("9.29", True), ("0.0929", False), ("0.0931", False)]
    printed = printed_numbers(page)
    assert [matches(w, p, printed) for w, p in numbers] == [True, True, False]
