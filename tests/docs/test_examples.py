"""Every Python example in ``docs/**/*.md`` runs, page by page.

Blocks of one page run in order in one fresh namespace; ``pycon`` blocks (and
``python`` blocks that start with ``>>>``) are doctests whose output must
match. Only blocks marked ``{.python .no-run}`` are left out (see
``markdown_blocks``), and each page's opt-outs are listed in the test id's
failure message so they stay visible.
"""

from __future__ import annotations

import doctest
import os
import sys
import types
from pathlib import Path

import pytest

from .markdown_blocks import DOCS, ROOT, CodeBlock, code_blocks, doc_pages

FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS

PAGES = doc_pages()


def run_doctest(block: CodeBlock, namespace: dict) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block.source, namespace, block.where, str(block.path), block.line)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    runner.run(test, out=report.append, clear_globs=False)
    namespace.update(test.globs)  # DocTest works on a copy of the namespace
    if runner.failures:
        pytest.fail(f"doctest failed at {block.where}:\n" + "".join(report), pytrace=False)


def run_page(path: Path) -> int:
    """Run every runnable block of ``path``; returns how many ran."""
    # A real module, as a script's __main__ is: dataclasses (Flax Linen modules)
    # look their module up in sys.modules.
    module = types.ModuleType(f"docs_{path.stem}")
    namespace: dict = module.__dict__
    ran = 0
    cwd = os.getcwd()
    os.chdir(ROOT)
    sys.modules[module.__name__] = module
    try:
        for block in code_blocks(path):
            if not block.runs:
                continue
            if block.is_doctest:
                run_doctest(block, namespace)
            else:
                code = compile(block.source, block.where, "exec")
                exec(code, namespace)  # noqa: S102 - the documentation's own examples
            ran += 1
    finally:
        os.chdir(cwd)
        sys.modules.pop(module.__name__, None)
    return ran


def test_pages_found() -> None:
    names = {p.relative_to(DOCS).as_posix() for p in PAGES}
    assert {"index.md", "math.md", "rng.md", "migrating.md", "benchmarks.md"} <= names


# Keras 3.15 saves TF variables with np.array(v), which NumPy 2 flags (a Keras issue).
@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy:DeprecationWarning"
)
@pytest.mark.parametrize("path", PAGES, ids=[p.relative_to(DOCS).as_posix() for p in PAGES])
def test_page_examples_run(path: Path) -> None:
    ran = run_page(path)
    skipped = [
        b.where for b in code_blocks(path) if b.language in {"python", "pycon"} and not b.runs
    ]
    # A page that shows Python must run at least one example of it.
    shown = [b for b in code_blocks(path) if b.language in {"python", "py", "pycon"}]
    assert ran > 0 or not shown, f"no example of {path.name} ran (opted out: {skipped})"


def test_opt_out_is_only_the_no_run_class(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nx = 1\n```\n\n"
        '``` {.python .no-run title="GPU"}\nraise SystemExit\n```\n\n'
        "!!! note\n    ```pycon\n    >>> x + 1\n    2\n    ```\n",
        encoding="utf-8",
    )
    blocks = code_blocks(page)
    assert [(b.language, b.runs, b.is_doctest) for b in blocks] == [
        ("python", True, False),
        ("python", False, False),
        ("pycon", True, True),
    ]
    assert run_page(page) == 2


def test_a_wrong_doctest_output_fails(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```pycon\n>>> 1 + 1\n3\n```\n", encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match="doctest failed"):
        run_page(page)
