"""The Jinja environment class every template of the site is compiled by.

Two changes to how Jinja runs a template, both invisible in the pages it makes:

- globals in one dict instead of a ChainMap (`FlatGlobals.make_globals`);
- `{{ value }}` escaped to a plain string (`output_escape`) instead of a `Markup`.

Jinja escapes a printed value with `markupsafe.escape`, which builds a `Markup` object
through its Python `__new__`, and for a value that is already markup calls `__html__`
twice. A printed value is only ever yielded and then joined into the output (a macro, a
block set or a `caller()` joins its own output and marks the result safe itself), so its
type is never looked at again: the escaped text alone is enough. A guide prints about 75
values; this saves about a fifth of the time its template takes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import MutableMapping, MutableSequence, MutableSet
from typing import Any

from jinja2 import Environment, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import _escape_inner  # type: ignore[attr-defined]  # MarkupSafe 3: str in, str out


def output_escape(value: Any) -> str:
    """The HTML-escaped text of a printed value: exactly `str(markupsafe.escape(value))`."""
    if type(value) is str:
        return _escape_inner(value)
    html = getattr(value, "__html__", None)
    if html is not None:
        return html()  # type: ignore[no-any-return]
    return _escape_inner(str(value))


class _OutputCodeGenerator(CodeGenerator):
    """Jinja's code generator, with printed values escaped by `output_escape`."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        self.writeline(f"from {__name__} import output_escape")
        super().visit_Template(node, frame)

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("output_escape(")
        if finalize.src is not None:
            self.write(finalize.src)


class FlatGlobals(Environment):
    """An environment whose templates keep their globals in one dict, and print through
    `output_escape`.

    Jinja 3 gives each template a `ChainMap` over the environment's globals, and every render
    copies the globals into its context key by key, through the ChainMap's Python methods:
    about a tenth of the cost of a guide's template. A dict behaves as Jinja 2 did: a
    template sees the globals as they were when it was loaded (here they are all set before
    any template is)."""

    code_generator_class = _OutputCodeGenerator

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **d} if d else dict(self.globals)


class SandboxedFlatGlobals(FlatGlobals, ImmutableSandboxedEnvironment):
    """`FlatGlobals` in Jinja's immutable sandbox: templates and write-ups arrive by pull
    request, so none may reach Python's internals (`lipsum.__globals__`, `__class__`,
    `mro`), call unsafe methods or mutate the values they are given.

    The sandbox checks every attribute a template reads (a guide reads about 75): is it
    internal (functions, frames, generators, types), does it mutate a list, dict, set or
    deque? For the generator's own view models (a class of this package that is none of
    those containers) the answer depends on the name alone, so a public name is read
    directly and only the rest take the sandbox's full check (238 -> 80 µs a guide's
    template; tests/test_writeup_safety.py tries the escapes through both paths)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        kind = type(obj)
        if kind in _VIEW_TYPES:
            if attribute[0] != "_":
                try:
                    return getattr(obj, attribute)
                except AttributeError:
                    pass
        elif kind not in _OTHER_TYPES:
            (_VIEW_TYPES if _is_view_type(kind) else _OTHER_TYPES).add(kind)
            return self.getattr(obj, attribute)
        return ImmutableSandboxedEnvironment.getattr(self, obj, attribute)


_VIEW_TYPES: set[type] = set()  # classified on first sight
_OTHER_TYPES: set[type] = set()


def _is_view_type(kind: type) -> bool:
    """A class of this package that is no container a template could mutate."""
    return kind.__module__.startswith(_PACKAGE) and not issubclass(
        kind, (list, dict, set, deque, MutableMapping, MutableSequence, MutableSet)
    )


_PACKAGE = __name__.rpartition(".")[0] + "."
