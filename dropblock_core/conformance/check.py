"""What a conformance check is: a :class:`Check` (name, description, sample
sizes, cases, the function judging one case) and the :class:`Context` its
function receives."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from .probe import ImplementationError, Probe, Unsupported
from .result import CheckResult, Status
from .spec import Spec

__all__ = ["BASE_BUDGETS", "Check", "Context"]

# Every check says how much it samples under each of these budgets.
BASE_BUDGETS = ("full", "quick")

Case = TypeVar("Case")


@dataclasses.dataclass(frozen=True)
class Context:
    """What a check's function receives for one run.

    Parameters
    ----------
    probe : Probe
        Calls the implementation and records what each call did.
    spec : Spec
        The convention the implementation claims.
    ndim : int
        The spatial rank it is built for: cases of that rank are required,
        other ranks optional.
    check : str, default ""
        The name of the running check.
    sizes : mapping of str to int, optional
        The check's sample sizes under the run's budget.

    Examples
    --------
    >>> from dropblock_core.conformance.implementation import Implementation
    >>> ctx = Context(Probe(Implementation(lambda x, p, b: x), 0), Spec(), 2, "demo")
    >>> ctx.result("a case", True, "1", "1", "fine").status
    <Status.PASS: 'pass'>
    """

    probe: Probe
    spec: Spec
    ndim: int
    check: str = ""
    sizes: Mapping[str, int] = dataclasses.field(default_factory=dict)

    def result(
        self,
        case: str,
        status: Status | bool,
        measured: str,
        bound: str,
        explanation: str,
        data: dict[str, Any] | None = None,
    ) -> CheckResult:
        """A result of the running check.

        Parameters
        ----------
        case : str
            The case judged, as the report writes it.
        status : Status or bool
            The verdict; ``True``/``False`` is pass/fail.
        measured : str
            What was measured.
        bound : str
            What it was held to.
        explanation : str
            Why the verdict, in words.
        data : dict, optional
            Raw numbers for plots and JSON.

        Returns
        -------
        CheckResult
            The result, named after the running check.
        """
        if isinstance(status, bool):
            status = Status.judge(status)
        return CheckResult(self.check, case, status, measured, bound, explanation, data or {})

    def guarded(self, case: str, body: Callable[[], CheckResult]) -> CheckResult:
        """Run ``body``; an implementation that raises gives ``unsupported`` (an
        optional input) or ``fail`` (a required one).

        Parameters
        ----------
        case : str
            The case ``body`` judges, for the result when it raises.
        body : callable
            ``body() -> CheckResult``: calls the implementation and judges it.

        Returns
        -------
        CheckResult
            ``body()``'s result, or the ``unsupported``/``fail`` one.
        """
        try:
            return body()
        except Unsupported as exc:
            return self.result(case, Status.UNSUPPORTED, "raised", "-", f"not supported: {exc}")
        except ImplementationError as exc:
            return self.result(case, Status.FAIL, "raised", "no exception", str(exc))


@dataclasses.dataclass(frozen=True)
class Check(Generic[Case]):
    """A conformance check: everything the validator, the report and the
    budgets need to know about it, in one place (see :func:`register`).

    Parameters
    ----------
    name : str
        The name results, reports and JSON verdicts write.
    description : str
        The report's Markdown paragraph on what it measures and its bound;
        lines after the first are indented under the list item, and
        ``{size}`` fields are filled with the check's sample sizes under the
        run's budget.
    cases : callable
        ``cases(ndim)``: its cases for an implementation of spatial rank
        ``ndim``.
    run : callable
        ``run(ctx, case) -> CheckResult``: judges one case.
    sizes : mapping, optional
        For each of ``BASE_BUDGETS`` (``"full"``, ``"quick"``), the sample
        sizes the check reads from ``ctx.sizes`` (the same names under each).
    review : callable, optional
        ``review(ctx) -> CheckResult``: judged once after the cases of *every*
        selected check, on what the probe recorded over all their calls
        (e.g. whether any call wrote into its input).

    Raises
    ------
    ValueError
        If ``name`` is empty, or ``sizes`` does not size the same samples,
        each a positive int, under both base budgets.
    TypeError
        If ``cases``, ``run`` or ``review`` is not callable.

    Examples
    --------
    >>> demo = Check(
    ...     "demo", "calls it {calls} times", lambda ndim: [ndim],
    ...     lambda ctx, case: ctx.result(str(case), True, "-", "-", "ok"),
    ...     sizes={"full": {"calls": 4}, "quick": {"calls": 2}},
    ... )
    >>> demo.describe({"calls": 4})
    'calls it 4 times'
    """

    name: str
    description: str
    cases: Callable[[int], Sequence[Case]]
    run: Callable[[Context, Case], CheckResult]
    sizes: Mapping[str, Mapping[str, int]] = dataclasses.field(
        default_factory=lambda: {base: {} for base in BASE_BUDGETS}
    )
    review: Callable[[Context], CheckResult] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"a check's name must be a non-empty str, got {self.name!r}")
        for field in ("cases", "run"):
            if not callable(getattr(self, field)):
                raise TypeError(f"check {self.name!r}: {field} must be callable")
        if self.review is not None and not callable(self.review):
            raise TypeError(f"check {self.name!r}: review must be callable or None")
        if not isinstance(self.sizes, Mapping) or set(self.sizes) != set(BASE_BUDGETS):
            raise ValueError(
                f"check {self.name!r}: sizes must give the sample sizes for each of "
                f"{BASE_BUDGETS}, got {self.sizes!r}"
            )
        names = {base: set(sizes) for base, sizes in self.sizes.items()}
        if len({frozenset(n) for n in names.values()}) != 1:
            raise ValueError(f"check {self.name!r}: every budget must size the same samples")
        for sizes in self.sizes.values():
            for key, value in sizes.items():
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError(
                        f"check {self.name!r}: size {key!r} must be a positive int, got {value!r}"
                    )

    def describe(self, sizes: Mapping[str, int]) -> str:
        """The description with its ``{size}`` fields filled from ``sizes``.

        Parameters
        ----------
        sizes : mapping of str to int
            The check's sample sizes under the run's budget.

        Returns
        -------
        str
            The report's paragraph on this check.
        """
        return self.description.format_map(sizes)
