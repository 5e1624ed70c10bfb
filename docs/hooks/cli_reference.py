"""MkDocs hook: the command-line reference page, generated from the argparse parsers.

``cli.md`` is written at build time from the parsers ``dropblock-core`` really
uses, so it lists every subcommand and option there is and cannot drift from
``dropblock_core/cli.py``. A subcommand that hands its arguments to a parser
of its own (``bench``) is documented from that parser: the hook runs
``main([name])`` with ``ArgumentParser.parse_args`` intercepted and takes the
parser that would have parsed them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
from collections.abc import Iterator
from typing import Any
from unittest import mock

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from dropblock_core import cli

__all__ = ["PAGE", "on_files", "page_markdown", "subcommands"]

log = logging.getLogger("mkdocs.hooks.cli_reference")

PAGE = "cli.md"
WIDTH = 88  # usage lines wrap here, like the site's code blocks


class _Parsed(Exception):
    """Raised by the intercepted ``parse_args`` to hand its parser back."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        super().__init__(parser.prog)
        self.parser = parser


def _parser_used_for(argv: list[str]) -> argparse.ArgumentParser:
    """The parser ``cli.main(argv)`` parses ``argv`` with (nothing is run)."""

    def intercept(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> Any:
        raise _Parsed(self)

    with (
        mock.patch.object(argparse.ArgumentParser, "parse_args", intercept),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        try:
            cli.main(argv)
        except _Parsed as parsed:
            return parsed.parser
    raise RuntimeError(f"dropblock-core {' '.join(argv)} parsed no arguments")


def subcommands() -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    """(name, one-line help, parser) of every subcommand, in the order of ``--help``."""
    top = cli.build_parser()
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, parser in action.choices.items():
                used = _parser_used_for([name])
                yield (
                    name,
                    helps.get(name, ""),
                    parser if used.prog == top.prog else used,
                )


def _text(text: str) -> str:
    """Plain text as Markdown (a table cell: no ``|``, ``_``, ``*`` or ``<`` markup)."""
    for char in "\\`*_|":
        text = text.replace(char, "\\" + char)
    return " ".join(text.replace("<", "&lt;").split())


def _metavar(action: argparse.Action) -> str:
    if action.nargs == 0:
        return ""
    if action.metavar is not None:
        name = str(action.metavar)
    elif action.choices is not None:
        name = "{" + ",".join(map(str, action.choices)) + "}"
    else:
        name = action.dest.upper()
    if action.nargs in ("+", "*"):
        return f" {name} [{name} ...]"
    if action.nargs == "?":
        return f" [{name}]"
    return f" {name}"


def _default(action: argparse.Action) -> str:
    value = action.default
    if value in (None, argparse.SUPPRESS) or action.nargs == 0:
        return ""
    if isinstance(value, list | tuple) and not value:
        return ""
    if isinstance(value, tuple):  # a parsed "14,14"
        return "`" + ",".join(map(str, value)) + "`"
    if isinstance(value, list):  # nargs="+"
        return "`" + " ".join(map(str, value)) + "`"
    return f"`{value}`"


def _options_table(parser: argparse.ArgumentParser) -> list[str]:
    rows = ["| option | default | description |", "|---|---|---|"]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or not action.option_strings:
            continue
        invocation = ", ".join(
            f"`{o}{_metavar(action)}`" for o in action.option_strings
        )
        described = _text(action.help or "")
        if not described and action.choices is not None:
            described = "one of " + ", ".join(f"`{c}`" for c in action.choices)
        rows.append(f"| {invocation} | {_default(action)} | {described} |")
    return rows if len(rows) > 2 else []


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = argparse.HelpFormatter(parser.prog, width=WIDTH)
    formatter.add_usage(
        parser.usage, parser._actions, parser._mutually_exclusive_groups
    )
    return formatter.format_help().strip()


def page_markdown() -> str:
    """The whole ``cli.md`` page."""
    top = cli.build_parser()
    lines = [
        "# Command line",
        "",
        "`dropblock-core` is installed with the package (its tables and plots need the",
        "`cli` extra: `rich` and `matplotlib`). This page is generated from the",
        "command's own argument parsers each time the site is built.",
        "",
        "```text",
        _usage(top),
        "```",
        "",
        _text(top.description or ""),
        "",
    ]
    for name, summary, parser in subcommands():
        summary = _text(summary)
        lines += [
            f"## `dropblock-core {name}`",
            "",
            summary[:1].upper() + summary[1:] + ".",
            "",
        ]
        if parser.description and parser.description != summary:
            lines += [_text(parser.description), ""]
        lines += ["```text", _usage(parser), "```", ""]
        table = _options_table(parser)
        lines += [*table, ""] if table else ["No options.", ""]
        if parser.epilog:
            lines += ["```text", parser.epilog.strip(), "```", ""]
    return "\n".join(lines)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated ``cli.md`` to the site."""
    files.append(File.generated(config, PAGE, content=page_markdown()))
    log.debug("generated %s", PAGE)
    return files
