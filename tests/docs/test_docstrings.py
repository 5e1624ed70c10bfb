"""Every public callable documents its parameters in numpydoc style.

The public API is what the API index lists: the functions and classes the
modules of ``docs/hooks/api_index.py`` export, plus the public methods those
classes define. Each one with parameters (other than ``self``/``cls``) needs a
``Parameters`` section naming every one of them, which mkdocstrings renders
as a table (``docstring_style: numpy``). Docstrings are read with griffe,
statically: no framework is imported.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator

import griffe
import pytest

from .site_files import load_hook

api_index = load_hook("api_index")


@functools.cache
def callables() -> tuple[griffe.Object, ...]:
    """The public functions, classes and methods, each once."""
    return tuple(_callables())


def _callables() -> Iterator[griffe.Object]:
    for _, _, obj in api_index.public_callables():
        yield obj
        if obj.kind is griffe.Kind.CLASS:
            for name, member in obj.members.items():
                if (
                    not name.startswith("_")
                    and not member.is_alias
                    and member.kind is griffe.Kind.FUNCTION
                    and "property" not in member.labels
                ):
                    yield member


def parameter_names(obj: griffe.Object) -> list[str]:
    """What a caller passes: the signature's parameters, without self and cls."""
    if obj.kind is griffe.Kind.CLASS:
        init = obj.members.get("__init__")
        params = obj.parameters if init is None else init.parameters
    else:
        params = obj.parameters
    return [p.name for p in params if p.name not in ("self", "cls")]


def documented_parameters(obj: griffe.Object) -> set[str] | None:
    """Names in the numpydoc ``Parameters`` section (class or ``__init__``), or None."""
    docstrings = [obj.docstring]
    if obj.kind is griffe.Kind.CLASS and "__init__" in obj.members:
        docstrings.append(obj.members["__init__"].docstring)
    found: set[str] | None = None
    for docstring in docstrings:
        if docstring is None:
            continue
        for section in docstring.parse("numpy"):
            if section.kind is griffe.DocstringSectionKind.parameters:
                found = (found or set()) | {p.name.lstrip("*") for p in section.value}
    return found


def undocumented() -> list[str]:
    """``path: missing`` for every public callable whose parameters are not all documented."""
    logging.getLogger("griffe").setLevel(logging.ERROR)  # parse warnings are not failures here
    missing = []
    for obj in callables():
        names = parameter_names(obj)
        if not names:
            continue
        documented = documented_parameters(obj)
        if documented is None:
            missing.append(f"{obj.path}: no Parameters section ({', '.join(names)})")
        elif set(n.lstrip("*") for n in names) - documented:
            missing.append(f"{obj.path}: {sorted(set(names) - documented)} not documented")
    return missing


def test_the_public_api_is_found() -> None:
    paths = {obj.path for obj in callables()}
    assert len(paths) >= 50
    for path in (
        "dropblock_core.apply.dropblock",
        "dropblock_core.conformance.validator.validate",
        "dropblock_core.conformance.spec.Spec",
        "dropblock_core.conformance.report.Report.to_markdown",
        "dropblock_core.schedule.LinearDropSchedule.load_state_dict",
    ):
        assert path in paths, path


def test_the_check_reads_numpydoc_sections() -> None:
    documented = griffe.Function(
        "f",
        parameters=griffe.Parameters(griffe.Parameter("x"), griffe.Parameter("y")),
        docstring=griffe.Docstring("Do.\n\nParameters\n----------\nx : int\n    An x.\n"),
    )
    assert parameter_names(documented) == ["x", "y"]
    assert documented_parameters(documented) == {"x"}


@pytest.mark.xfail(
    strict=True,
    reason="issue 13 phase 2: numpydoc Parameters sections are written after the adapters land",
)
def test_every_public_callable_documents_its_parameters() -> None:
    missing = undocumented()
    assert not missing, f"{len(missing)} public callables:\n" + "\n".join(missing)
