"""One check's outcome: what was measured, the bound it was held to, the verdict."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

__all__ = ["STATUSES", "CheckResult", "Status"]


class Status(str, enum.Enum):
    """The verdict on one case. A ``str``: ``Status.FAIL == "fail"``, and JSON
    writes the plain word.

    ``UNSUPPORTED``: the implementation raised on an input it need not accept
    (reported, not failed). ``SKIPPED``: the check does not apply (no eval or
    gradient function, a dtype the framework lacks, too little data).

    >>> Status.judge(True), Status.judge(False).failed
    (<Status.PASS: 'pass'>, True)
    >>> Status("skipped") is Status.SKIPPED, str(Status.SKIPPED)
    (True, 'skipped')
    """

    PASS = "pass"
    FAIL = "fail"
    UNSUPPORTED = "unsupported"
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return self.value

    @property
    def failed(self) -> bool:
        """Only ``FAIL`` fails: unsupported inputs and skipped checks do not."""
        return self is Status.FAIL

    @classmethod
    def judge(cls, ok: bool) -> Status:
        """``PASS`` when ``ok``, else ``FAIL``.

        Parameters
        ----------
        ok : bool
            Whether the case met its bound.

        Returns
        -------
        Status
            ``Status.PASS`` or ``Status.FAIL``.
        """
        return cls.PASS if ok else cls.FAIL


STATUSES = tuple(s.value for s in Status)


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The result of one check on one case.

    Parameters
    ----------
    check : str
        The check's name, e.g. ``"drop rate"``.
    case : str
        The case it ran, e.g. ``"14x14 b=7 p=0.1"`` (``"-"``: the whole check).
    status : Status or str
        The verdict, or its word (``"pass"``, ``"fail"``, ``"unsupported"``,
        ``"skipped"``); stored as a :class:`Status`.
    measured : str
        What was measured, as the report shows it.
    bound : str
        What it was held to, as the report shows it.
    explanation : str
        Why the verdict, in words.
    data : dict, optional
        Raw numbers for plots and JSON; not compared by ``==``.

    Raises
    ------
    ValueError
        If ``status`` is not a :class:`Status` or its word.

    Examples
    --------
    >>> r = CheckResult(
    ...     "drop rate", "14x14 b=7 p=0.1", Status.PASS, "0.0931", "|Δ| ≤ 0.0040", "ok"
    ... )
    >>> r.passed, r.failed, r.to_dict()["status"]
    (True, False, 'pass')
    """

    check: str
    case: str
    status: Status
    measured: str
    bound: str
    explanation: str
    data: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        object.__setattr__(self, "status", Status(self.status))

    @property
    def passed(self) -> bool:
        """True unless the check failed (unsupported and skipped do not fail)."""
        return not self.status.failed

    @property
    def failed(self) -> bool:
        return self.status.failed

    def to_dict(self) -> dict[str, Any]:
        """Plain fields, for JSON (the status as its word).

        Returns
        -------
        dict
            Field name -> value; ``"status"`` is ``"pass"``, ``"fail"``...
        """
        return {**dataclasses.asdict(self), "status": self.status.value}
