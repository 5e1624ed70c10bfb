"""Every public callable documents itself in numpydoc style.

The public API is what the API index lists: the functions and classes the
modules of ``docs/hooks/api_index.py`` export (the core, the conformance
validator, the testing helpers and every adapter, its Flax/Equinox modules and
compat aliases included), plus the public methods those classes define. Each
one with parameters (other than ``self``/``cls``) needs a ``Parameters``
section naming exactly its parameters (a class documents its constructor's);
a function returning something needs a ``Returns`` (or ``Yields``) section;
one that rejects bad input itself (a ``raise ValueError``/``raise TypeError``
in its body, or a call to one of the core's argument checks) needs a
``Raises`` section naming what it raises. mkdocstrings renders the sections as
tables (``docstring_style: numpy``). Docstrings are read with griffe,
statically: no framework is imported.

Sections are written once and shared, by one rule each:

- a class that defines no constructor of its own and no ``Parameters``
  section documents the parameters of the base whose ``__init__`` it
  inherits; that base must be public and document them
  (``DropBlock2D(DropBlockND)``);
- a function or method whose docstring says "Parameters, Returns and Raises
  are those of :func:`X`" (or ``:meth:``) shares X's sections; X must be
  public, documented, and take the same parameter names
  (``drop_block3d`` and ``drop_block2d``).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator

import griffe

from .site_files import load_hook

api_index = load_hook("api_index")

# Where a class rejects bad constructor arguments.
_CONSTRUCTORS = ("__init__", "__post_init__", "__new__")
_RAISE = re.compile(r"\braise (ValueError|TypeError)\b")
# The layer base validates every constructor argument of the adapters' layers.
_VALIDATING_METHODS = ("_init_dropblock",)
# A docstring sharing another callable's sections.
_SHARED = re.compile(
    r"Parameters,\s+Returns\s+and\s+Raises\s+are\s+those\s+of\s+:(?:func|meth):`~?([\w.]+)`"
)


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
    """What a caller passes: the signature's parameters, without self and cls.

    A Flax Linen module is a dataclass griffe does not see as one: its
    annotated public attributes are its constructor's parameters.
    """
    if obj.kind is griffe.Kind.CLASS:
        init = obj.members.get("__init__")
        if is_linen_module(obj):
            return [
                name
                for name, member in obj.members.items()
                if member.kind is griffe.Kind.ATTRIBUTE
                and member.annotation is not None
                and not name.startswith("_")
                and "ClassVar" not in str(member.annotation)
            ]
        params = obj.parameters if init is None else init.parameters
    else:
        params = obj.parameters
    return [p.name for p in params if p.name not in ("self", "cls")]


def is_linen_module(obj: griffe.Object) -> bool:
    """A Flax Linen module: a dataclass griffe sees no ``__init__`` of; as Flax
    documents ``nn.Dropout``, its fields are an ``Attributes`` section."""
    return (
        obj.kind is griffe.Kind.CLASS
        and "__init__" not in obj.members
        and any(str(base).endswith("nn.Module") for base in obj.bases)
    )


def _docstrings(obj: griffe.Object) -> list[griffe.Docstring]:
    docstrings = [obj.docstring]
    if obj.kind is griffe.Kind.CLASS and "__init__" in obj.members:
        docstrings.append(obj.members["__init__"].docstring)
    return [d for d in docstrings if d is not None]


def sections(
    obj: griffe.Object, kind: griffe.DocstringSectionKind
) -> list[griffe.DocstringSection]:
    """The numpydoc sections of one kind in the docstring (and ``__init__``'s)."""
    return [
        section
        for docstring in _docstrings(obj)
        for section in docstring.parse("numpy")
        if section.kind is kind
    ]


def documented_parameters(obj: griffe.Object) -> set[str] | None:
    """Names in the numpydoc ``Parameters`` section (class or ``__init__``), or None."""
    kind = griffe.DocstringSectionKind
    found = sections(obj, kind.attributes if is_linen_module(obj) else kind.parameters)
    if not found:
        return None
    # numpydoc's "a, b : type" documents several; griffe splits it in Parameters only
    return {
        name.strip().lstrip("*")
        for section in found
        for p in section.value
        for name in p.name.split(",")
    }


def returns_something(obj: griffe.Object) -> bool:
    """A function (not a class) annotated to return something other than None."""
    if obj.kind is not griffe.Kind.FUNCTION or obj.returns is None:
        return False
    return str(obj.returns) not in ("None", "NoReturn", "Never")


def _source(obj: griffe.Object) -> str:
    try:
        return obj.source
    except (OSError, ValueError, TypeError):  # generated (dataclass __init__), no file
        return ""


def raised_on_bad_input(obj: griffe.Object, checks: frozenset[str]) -> set[str]:
    """ValueError/TypeError the callable raises itself; a call of one of the core's
    argument ``checks`` (or of the layer base's) counts as raising either."""
    if obj.kind is griffe.Kind.CLASS:
        parts = [obj.members[n] for n in _CONSTRUCTORS if n in obj.members]
    else:
        parts = [obj]
    raised: set[str] = set()
    for part in parts:
        body = _source(part)
        raised |= set(_RAISE.findall(body))
        if any(re.search(rf"\b{name}\(", body) for name in checks | set(_VALIDATING_METHODS)):
            raised.add("ValueError or TypeError")
    return raised - {"ValueError or TypeError"} if len(raised) > 1 else raised


@functools.cache
def argument_checks() -> frozenset[str]:
    """The core's argument checks: ``dropblock_core._validation``'s exports."""
    module = api_index._load("dropblock_core")["_validation"]
    return frozenset(module.exports or [])


def documented_raises(obj: griffe.Object) -> set[str]:
    """The exception names of the ``Raises`` sections."""
    return {
        str(item.annotation)
        for section in sections(obj, griffe.DocstringSectionKind.raises)
        for item in section.value
    }


def is_public(obj: griffe.Object) -> bool:
    """No part of the path is private, and the module exports the top-level name
    (when it has an ``__all__``)."""
    module = obj.module
    rest = obj.path.removeprefix(module.path + ".").split(".")
    if any(part.startswith("_") for part in rest):
        return False
    return module.exports is None or rest[0] in module.exports


def shared_from(obj: griffe.Object) -> str | None:
    """The X of "Parameters, Returns and Raises are those of :func:`X`", or None."""
    found = _SHARED.search(" ".join(obj.docstring.value.split())) if obj.docstring else None
    return found.group(1) if found else None


def resolve(obj: griffe.Object, name: str) -> griffe.Object | None:
    """``name`` as written in ``obj``'s docstring: relative to its module (or
    class), else a full dotted path."""
    for scope in (obj.parent, obj.module):
        try:
            found = scope[name]
        except (KeyError, ValueError):
            continue
        return found.final_target if found.is_alias else found
    try:
        found = obj.modules_collection[name]
    except (KeyError, ValueError):
        return None
    return found.final_target if found.is_alias else found


def constructor_owner(obj: griffe.Object) -> griffe.Object | None:
    """The base whose ``__init__`` a class without a constructor or a
    ``Parameters`` section of its own inherits, or None."""
    if (
        obj.kind is not griffe.Kind.CLASS
        or any(name in obj.members for name in _CONSTRUCTORS)
        or is_linen_module(obj)
        or sections(obj, griffe.DocstringSectionKind.parameters)
    ):
        return None
    try:
        bases = obj.mro()
    except ValueError:  # a base griffe cannot resolve
        return None
    return next((base for base in bases if "__init__" in base.members), None)


def shared_problems(obj: griffe.Object, name: str, target: griffe.Object | None) -> list[str]:
    """What is wrong with sharing the sections of ``target`` (written ``name``)."""
    if target is None:
        return [f"shares the sections of {name}, which is not found"]
    if not is_public(target):
        return [f"shares the sections of {target.path}, which is not public"]
    if parameter_names(target) and documented_parameters(target) is None or problems(target):
        return [f"shares the sections of {target.path}, which does not document them"]
    if parameter_names(target) != parameter_names(obj):
        return [
            f"shares the sections of {target.path}, whose parameters "
            f"{parameter_names(target)} are not {parameter_names(obj)}"
        ]
    return []


def shares(obj: griffe.Object) -> tuple[str, griffe.Object | None] | None:
    """(name, callable) whose sections ``obj`` shares by one of the two rules, or None."""
    if (name := shared_from(obj)) is not None:
        return name, resolve(obj, name)
    if (owner := constructor_owner(obj)) is not None:
        return owner.path, owner
    return None


def problems(obj: griffe.Object) -> list[str]:
    """What the docstring of one public callable lacks (empty: nothing)."""
    if (shared := shares(obj)) is not None:
        return shared_problems(obj, *shared)
    found = []
    names = {n.lstrip("*") for n in parameter_names(obj)}
    documented = documented_parameters(obj)
    if names and documented is None:
        found.append(f"no Parameters section ({', '.join(sorted(names))})")
    elif documented is not None and documented != names:
        if names - documented:
            found.append(f"{sorted(names - documented)} not in Parameters")
        if documented - names:
            found.append(f"Parameters names {sorted(documented - names)}, not in the signature")
    if returns_something(obj) and not (
        sections(obj, griffe.DocstringSectionKind.returns)
        or sections(obj, griffe.DocstringSectionKind.yields)
    ):
        found.append(f"no Returns section (returns {obj.returns})")
    raised = raised_on_bad_input(obj, argument_checks())
    if raised:
        listed = documented_raises(obj)
        if not listed:
            found.append(f"no Raises section (raises {' and '.join(sorted(raised))})")
        elif missing := {r for r in raised if " or " not in r} - listed:
            found.append(f"{sorted(missing)} not in Raises")
        elif not listed & {"ValueError", "TypeError"}:
            found.append("Raises names neither ValueError nor TypeError")
    return found


def undocumented() -> list[str]:
    """``path: what is missing`` for every public callable whose docstring lacks a section."""
    logging.getLogger("griffe").setLevel(logging.ERROR)  # parse warnings are not failures here
    return [f"{obj.path}: {'; '.join(p)}" for obj in callables() if (p := problems(obj))]


def counts() -> dict[str, int]:
    """How many public callables there are, take parameters, document them all."""
    logging.getLogger("griffe").setLevel(logging.ERROR)
    with_params = [obj for obj in callables() if parameter_names(obj)]
    return {
        "callables": len(callables()),
        "with parameters": len(with_params),
        "parameters documented": sum(
            not problems(obj)
            if shares(obj)
            else documented_parameters(obj) == {n.lstrip("*") for n in parameter_names(obj)}
            for obj in with_params
        ),
        "complete": sum(not problems(obj) for obj in callables()),
    }


# The Parameters and Returns sections of ``f(x: int) -> int`` in the check's own tests.
X_SECTIONS = """
    Parameters
    ----------
    x : int
        An x.

    Returns
    -------
    int
        ``x``.
"""


def test_the_public_api_is_found() -> None:
    paths = {obj.path for obj in callables()}
    assert len(paths) >= 50
    for path in (
        "dropblock_core.apply.dropblock",
        "dropblock_core.conformance.validator.validate",
        "dropblock_core.conformance.spec.Spec",
        "dropblock_core.conformance.report.Report.to_markdown",
        "dropblock_core.schedule.LinearDropSchedule.load_state_dict",
        "dropblock_core.conformance.wrappers.wrap_torch",
        "dropblock_core.testing.assert_conforms",
        "dropblock_torch.compat.torchvision.drop_block2d",
        "dropblock_keras.compat.keras_cv.DropBlock2D",
        "dropblock_jax.nnx.DropBlock",
        "dropblock_jax.linen.DropBlock",
        "dropblock_jax.equinox.DropBlock",
        "dropblock_jax.keys.seed_from_key",
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


def test_the_check_reports_each_missing_section() -> None:
    code = f'''
def bare(x: int) -> int:
    """Do."""
    if x < 0:
        raise ValueError(x)
    return x

def stale(x: int) -> None:
    """Do.

    Parameters
    ----------
    y : int
        Gone.
    """

def checked(x: int) -> None:
    """Do.

    Parameters
    ----------
    x : int
        An x.
    """
    check_flag(x, "x")

def complete(x: int) -> int:
    """Do.
{X_SECTIONS}
    Raises
    ------
    ValueError
        If ``x`` is negative.
    """
    if x < 0:
        raise ValueError(x)
    return x
'''
    with griffe.temporary_visited_module(code) as module:
        found = {name: problems(module[name]) for name in module.members}
    assert found == {
        "bare": [
            "no Parameters section (x)",
            "no Returns section (returns int)",
            "no Raises section (raises ValueError)",
        ],
        "stale": [
            "['x'] not in Parameters",
            "Parameters names ['y'], not in the signature",
        ],
        "checked": ["no Raises section (raises ValueError or TypeError)"],
        "complete": [],
    }


def test_every_public_callable_documents_its_parameters() -> None:
    missing = undocumented()
    assert not missing, (
        f"{len(missing)} of {len(callables())} public callables lack numpydoc sections:\n"
        + "\n".join(missing)
    )


def test_the_check_lets_a_callable_share_documented_sections() -> None:
    documented = f'''{X_SECTIONS}    """
    return x
'''
    constructor = '''
    Parameters
    ----------
    x : int
        An x.
    """

    def __init__(self, x: int) -> None:
        self.x = x
'''
    code = f'''
__all__ = [
    "Base", "Child", "Hidden", "Bare", "OfBare", "bare",
    "f", "g", "missing", "undocumented", "renamed", "private", "method",
]

class Base:
    """A base.
{constructor}
    def forward(self, x: int) -> int:
        """Run.
{documented}
class Child(Base):
    """Base's parameters."""

    def forward(self, x: int) -> int:
        """Parameters, Returns and Raises are those of :meth:`Base.forward`."""
        return x

class _Private:
    """A private base.
{constructor}
class Hidden(_Private):
    """A private base's parameters."""

class Bare:
    """No sections."""

    def __init__(self, x: int) -> None:
        self.x = x

class OfBare(Bare):
    """An undocumented base's parameters."""

def f(x: int) -> int:
    """Do.
{documented}
def g(x: int) -> int:
    """Parameters, Returns and Raises are those of :func:`f`."""
    return x

def missing(x: int) -> int:
    """Parameters, Returns and Raises are those of :func:`nowhere`."""
    return x

def bare(x: int) -> int:
    """Do."""
    return x

def undocumented(x: int) -> int:
    """Parameters, Returns and Raises are those of :func:`bare`."""
    return x

def renamed(y: int) -> int:
    """Parameters, Returns and Raises are those
    of :func:`f`."""
    return y

def _f(x: int) -> int:
    """Do.
{documented}
def private(x: int) -> int:
    """Parameters, Returns and Raises are those of :func:`_f`."""
    return x
'''
    with griffe.temporary_visited_module(code) as module:
        found = {
            name: problems(module[name])
            for name in ("Child", "Hidden", "OfBare", "g", "missing", "undocumented", "renamed")
        }
        found["Child.forward"] = problems(module["Child.forward"])
        found["private"] = problems(module["private"])
    assert found == {
        "Child": [],
        "Child.forward": [],
        "g": [],
        "Hidden": ["shares the sections of module._Private, which is not public"],
        "OfBare": ["shares the sections of module.Bare, which does not document them"],
        "missing": ["shares the sections of nowhere, which is not found"],
        "undocumented": ["shares the sections of module.bare, which does not document them"],
        "renamed": ["shares the sections of module.f, whose parameters ['x'] are not ['y']"],
        "private": ["shares the sections of module._f, which is not public"],
    }
