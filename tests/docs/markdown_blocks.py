"""Read the documentation's Markdown: fenced code blocks, pages, tables.

Code-block conventions of ``docs/`` (the tests in this folder enforce them):

* ```` ```python ```` blocks run with ``exec``, in page order, in one
  namespace per page; a block whose first line starts with ``>>>`` runs as
  a doctest instead.
* ```` ```pycon ```` blocks are doctests: the printed output must match.
* A block opts out only with the ``no-run`` class, written in attribute-list
  form: ```` ``` {.python .no-run title="Two GPUs"} ````. Use it only for
  code that needs a GPU or several processes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DOCS",
    "ROOT",
    "CodeBlock",
    "code_blocks",
    "doc_pages",
    "prose",
    "tables",
]

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>.*)$")
RUNNABLE = {"python", "py", "python3", "pycon"}


@dataclass(frozen=True)
class CodeBlock:
    """One fenced block of a page."""

    path: Path
    line: int  # 1-based line of the opening fence
    language: str
    classes: tuple[str, ...]
    source: str

    @property
    def runs(self) -> bool:
        return self.language in RUNNABLE and "no-run" not in self.classes

    @property
    def is_doctest(self) -> bool:
        return self.language == "pycon" or self.source.lstrip().startswith(">>>")

    @property
    def where(self) -> str:
        try:
            name = self.path.relative_to(ROOT).as_posix()
        except ValueError:
            name = str(self.path)
        return f"{name}:{self.line}"


def _parse_info(info: str) -> tuple[str, tuple[str, ...]]:
    """Language and classes of a fence's info string (``python`` or ``{.python .x}``)."""
    info = info.strip()
    if info.startswith("{"):
        classes = tuple(re.findall(r"(?<![\w=\"'])\.([\w-]+)", info))
        return (classes[0] if classes else ""), classes[1:]
    words = info.split()
    return (words[0].lower() if words else ""), ()


def code_blocks(path: Path) -> list[CodeBlock]:
    """Every fenced block of a Markdown file, indented ones (admonitions, tabs) too."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[CodeBlock] = []
    i = 0
    while i < len(lines):
        match = _OPEN.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence = match["indent"], match["fence"]
        language, classes = _parse_info(match["info"])
        body: list[str] = []
        j = i + 1
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        while j < len(lines) and not closing.match(lines[j]):
            line = lines[j]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            j += 1
        if j == len(lines):
            raise ValueError(f"{path}:{i + 1}: unclosed code fence")
        blocks.append(CodeBlock(path, i + 1, language, classes, "\n".join(body) + "\n"))
        i = j + 1
    return blocks


def doc_pages() -> list[Path]:
    """Every Markdown page under ``docs/``, sorted."""
    return sorted(DOCS.rglob("*.md"))


def prose(path: Path) -> str:
    """A page without its fenced code blocks."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fenced: set[int] = set()
    for block in code_blocks(path):
        n = block.source.count("\n")
        fenced.update(range(block.line - 1, block.line + n + 1))
    return "\n".join(line for k, line in enumerate(lines) if k not in fenced)


def tables(text: str) -> list[list[dict[str, str]]]:
    """Markdown pipe tables of ``text`` as lists of {header: cell} rows."""
    found: list[list[dict[str, str]]] = []
    lines = text.splitlines()
    i = 0
    while i + 1 < len(lines):
        head, rule = lines[i].strip(), lines[i + 1].strip()
        if head.startswith("|") and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", rule):
            names = [c.strip() for c in head.strip("|").split("|")]
            rows = []
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                rows.append(dict(zip(names, cells)))
                i += 1
            found.append(rows)
        else:
            i += 1
    return found
