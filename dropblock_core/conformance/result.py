"""One check's outcome: what was measured, the bound it was held to, the verdict."""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["STATUSES", "CheckResult"]

# "unsupported": the implementation raised on an input it need not accept (reported,
# not failed). "skipped": the check does not apply (no eval or gradient function,
# a dtype the framework lacks, too little data).
STATUSES = ("pass", "fail", "unsupported", "skipped")


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The result of one check on one case.

    >>> r = CheckResult(
    ...     "drop rate", "14x14 b=7 p=0.1", "pass", "0.0931", "|Δ| ≤ 0.0040", "ok"
    ... )
    >>> r.passed, r.failed
    (True, False)
    """

    check: str
    case: str
    status: str
    measured: str
    bound: str
    explanation: str
    data: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    @property
    def passed(self) -> bool:
        """True unless the check failed (unsupported and skipped do not fail)."""
        return self.status != "fail"

    @property
    def failed(self) -> bool:
        return self.status == "fail"

    def to_dict(self) -> dict[str, Any]:
        """Plain fields, for JSON."""
        return dataclasses.asdict(self)
