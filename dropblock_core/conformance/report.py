"""The verdict on one implementation: results per check, as a rich table,
Markdown and JSON."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from .result import CheckResult, Status
from .spec import Spec

__all__ = ["Report", "markdown_text"]

# Words, not emoji: the page must read the same without an emoji font.
_MARK = {
    Status.PASS: "pass",
    Status.FAIL: "**FAIL**",
    Status.UNSUPPORTED: "unsupported",
    Status.SKIPPED: "skipped",
}
_STYLE = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.UNSUPPORTED: "yellow",
    Status.SKIPPED: "dim",
}


def markdown_text(text: str) -> str:
    """``text`` as literal Markdown: error messages keep their ``_``, ``*`` and ``<...>``.

    >>> print(markdown_text("in __wrapped__Split_num <class 'x'> a|b"))
    in \\_\\_wrapped\\_\\_Split\\_num &lt;class 'x'&gt; a\\|b
    """
    text = re.sub(r"([\\`*_|])", r"\\\1", text.replace("\n", " "))
    return text.replace("<", "&lt;").replace(">", "&gt;")


@dataclasses.dataclass
class Report:
    """All results for one implementation against the spec it claims.

    Parameters
    ----------
    target : str
        The implementation's name.
    spec : Spec
        The convention it claims.
    results : list of CheckResult
        One per case of every check run, in run order.
    seconds : float, default 0.0
        How long the run took.
    note : str, default ""
        A remark the Markdown report adds after the spec.
    ndim : int, default 2
        The spatial rank the implementation was validated for.

    Examples
    --------
    >>> ok = CheckResult("rescale", "12x12", Status.PASS, "0", "0", "ok")
    >>> r = Report("demo", Spec(), [ok])
    >>> r.passed, r.counts()["pass"]
    (True, 1)
    >>> print(r.to_markdown().splitlines()[0])
    ### demo: PASS
    """

    target: str
    spec: Spec
    results: list[CheckResult]
    seconds: float = 0.0
    note: str = ""
    ndim: int = 2  # spatial rank the implementation was validated for

    @property
    def passed(self) -> bool:
        """True when no check failed (unsupported and skipped cases do not fail)."""
        return not any(r.failed for r in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.failed]

    def counts(self) -> dict[Status, int]:
        """Number of results per status.

        Returns
        -------
        dict of Status to int
            Every status, with 0 for those absent; the keys are also their
            words: ``counts()["pass"]``.
        """
        out = dict.fromkeys(Status, 0)
        for r in self.results:
            out[r.status] += 1
        return out

    def failed_checks(self) -> list[str]:
        """Names of the checks with at least one failed case, in order.

        Returns
        -------
        list of str
            Each failed check once; empty when the report passed.
        """
        return list(dict.fromkeys(r.check for r in self.failures))

    def find(self, check: str) -> list[CheckResult]:
        """The results of one check.

        Parameters
        ----------
        check : str
            A check's name, e.g. ``"drop rate"``.

        Returns
        -------
        list of CheckResult
            Its results in run order; empty if it did not run.
        """
        return [r for r in self.results if r.check == check]

    def verdict(self) -> str:
        """The one-word verdict.

        Returns
        -------
        str
            ``"PASS"`` or ``"FAIL"``.
        """
        return "PASS" if self.passed else "FAIL"

    def to_dict(self) -> dict[str, Any]:
        """Everything, as plain values for JSON.

        Returns
        -------
        dict
            ``target``, ``passed``, ``spec``, ``seconds``, ``note``, ``ndim``
            and ``results`` (each a :meth:`CheckResult.to_dict`).
        """
        return {
            "target": self.target,
            "passed": self.passed,
            "spec": self.spec.to_dict(),
            "seconds": round(self.seconds, 3),
            "note": self.note,
            "ndim": self.ndim,
            "results": [r.to_dict() for r in self.results],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text.

        Parameters
        ----------
        indent : int or None, default 2
            ``json.dumps``'s indent; ``None`` writes one line.

        Returns
        -------
        str
            The JSON document (non-ASCII characters kept).
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_markdown(self, level: int = 3) -> str:
        """A heading with the verdict, the claimed spec, then one table row per result.

        Parameters
        ----------
        level : int, default 3
            The heading's level (``###``).

        Returns
        -------
        str
            Markdown; error text is escaped so it shows literally.
        """
        lines = [
            f"{'#' * level} {self.target}: {self.verdict()}",
            "",
            f"Claimed spec `{self.spec.name}`: {self.spec.describe()}."
            + (f" {self.note}" if self.note else ""),
            "",
            "| check | case | result | measured | bound | explanation |",
            "|---|---|---|---|---|---|",
        ]
        for r in self.results:
            cells = (
                markdown_text(r.check),
                markdown_text(r.case),
                _MARK[r.status],
                markdown_text(r.measured),
                markdown_text(r.bound),
                markdown_text(r.explanation),
            )
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def rich_table(self) -> Any:
        """A ``rich.table.Table`` of the results (needs ``rich``).

        Returns
        -------
        rich.table.Table
            One row per result, the status coloured.
        """
        from rich.table import Table

        table = Table(title=f"{self.target}: {self.verdict()} (claims {self.spec.describe()})")
        for column in ("check", "case", "result", "measured", "bound", "explanation"):
            table.add_column(column, overflow="fold")
        for r in self.results:
            table.add_row(
                r.check,
                r.case,
                f"[{_STYLE[r.status]}]{r.status.value}[/]",
                r.measured,
                r.bound,
                r.explanation,
            )
        return table

    def __rich__(self) -> Any:
        return self.rich_table()
