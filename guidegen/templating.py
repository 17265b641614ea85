"""Jinja for write-ups: the names a page gives them, their environments, and their checks.

A write-up may print the page's fields (`{{ drug.name }}`), test them and loop over them.
This module knows which names and fields exist (`CONTEXT_FIELDS`), finds the ones a
template uses (its output depends on exactly those), decides whether a template needs the
sandbox, and renders each write-up once per shape of page it serves so that `check`
catches an empty field printed without an `if`. Knows nothing of files or the matrix.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from typing import Any, Protocol

from jinja2 import Environment, StrictUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import ErrorCollector, SiteError, SourceLocation, did_you_mean
from .jinja_env import FlatGlobals, SandboxedFlatGlobals
from .limits import RenderTimeout, ResultTooLarge, bounded_binop, deadline
from .models import DenialReason, Drug, Offer, Payer, Site

# The names a write-up body may use, and the fields each one offers.
CONTEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "payer": ("slug", "name", "short_name", "description"),
    "drug": (
        "slug",
        "name",
        "generic_name",
        "full_name",
        "drug_class",
        "condition",
        "prescriber",
        "benefit",
    ),
    "reason": ("slug", "name", "title_phrase", "lead"),
    "site": ("site_name", "base_url", "language", "tagline"),
    "offer": ("list_price_text", "first_letter_price_text", "promo_code"),
}
_JINJA_GLOBALS = frozenset({"range", "dict", "lipsum", "cycler", "joiner", "namespace", "loop"})


class EmptyValueError(TemplateError):
    """A variable printed by a write-up has no value for this page."""


def _finalize(value: Any) -> Any:
    if value is None:
        raise EmptyValueError("prints a field that is empty for this page")
    return value


class _FlatSandbox(SandboxedFlatGlobals):
    """The sandbox, with `*` and `**` refusing huge results (see limits)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator in self.intercepted_binops:
            try:
                return bounded_binop(operator, left, right)
            except ResultTooLarge as exc:
                raise SecurityError(str(exc)) from None
        return super().call_binop(context, operator, left, right)


def content_environment() -> ImmutableSandboxedEnvironment:
    """Sandboxed, autoescaping, strict: write-ups are data, not code."""
    return _FlatSandbox(
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_finalize,
        keep_trailing_newline=False,
    )


def text_environment() -> ImmutableSandboxedEnvironment:
    """For front matter (title, description): sandboxed and strict, and plain text out.
    The page's template escapes the result where it prints it, so nothing a front-matter
    template prints is markup, and a name with '&' is escaped once."""
    return _FlatSandbox(autoescape=False, undefined=StrictUndefined, finalize=_finalize)


def fast_environment() -> Environment:
    """For write-ups that only print page fields, test them and loop over them: such a
    template cannot reach anything the sandbox guards, and renders three times faster."""
    return FlatGlobals(autoescape=True, undefined=StrictUndefined, finalize=_finalize)


_PLAIN_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Const,
    nodes.If,
    nodes.For,
    nodes.Not,
    nodes.And,
    nodes.Or,
    nodes.Compare,
    nodes.Operand,
    nodes.CondExpr,
    nodes.Concat,
)
_PLAIN_FILTERS = frozenset(
    {
        "upper",
        "lower",
        "title",
        "capitalize",
        "trim",
        "length",
        "join",
        "default",
        "d",
        "e",
        "escape",
        "replace",
        "first",
        "last",
    }
)


def is_plain(tree: nodes.Template) -> bool:
    """Whether a write-up uses only page fields, tests, loops and harmless filters."""
    loop_names = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for node in tree.find_all(nodes.Node):
        if isinstance(node, _PLAIN_NODES):
            continue
        if isinstance(node, nodes.Name):
            if node.name in CONTEXT_FIELDS or node.name in loop_names or node.name == "loop":
                continue
            return False
        if isinstance(node, nodes.Getattr):
            owner = node.node
            allowed = isinstance(owner, nodes.Name) and node.attr in CONTEXT_FIELDS.get(
                owner.name, ()
            )
            if allowed or (
                isinstance(owner, nodes.Name)
                and owner.name == "loop"
                and not node.attr.startswith("_")
            ):
                continue
            return False
        if isinstance(node, nodes.Filter) and node.name in _PLAIN_FILTERS:
            continue
        return False
    return True


def page_names(payer: Payer, drug: Drug, reason: DenialReason, site: Site) -> dict[str, Any]:
    """The variables a write-up is rendered with."""
    offer: Offer = site.offer
    return {"payer": payer, "drug": drug, "reason": reason, "site": site, "offer": offer}


def name_problems(tree: nodes.Template) -> list[tuple[int, str, str | None]]:
    """(line, message, hint) for each name or field a page does not provide, and for
    include/import tags (lines are the template's own)."""
    problems: list[tuple[int, str, str | None]] = []

    def where(node: nodes.Node) -> int:
        return node.lineno or 1

    stored = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for stmt in tree.find_all((nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)):
        problems.append((where(stmt), "write-ups cannot include or import templates", None))
    for name in tree.find_all(nodes.Name):
        known = name.name in CONTEXT_FIELDS or name.name in stored or name.name in _JINJA_GLOBALS
        if name.ctx == "load" and not known:
            hint = did_you_mean(name.name, CONTEXT_FIELDS)
            problems.append(
                (
                    where(name),
                    f"unknown variable '{name.name}'",
                    hint or f"write-ups can use {', '.join(CONTEXT_FIELDS)}",
                )
            )
    for attr in tree.find_all(nodes.Getattr):
        owner = attr.node
        if not isinstance(owner, nodes.Name) or owner.name not in CONTEXT_FIELDS:
            continue
        allowed = CONTEXT_FIELDS[owner.name]
        if owner.name not in stored and attr.attr not in allowed:
            problems.append(
                (
                    where(attr),
                    f"'{owner.name}' has no field '{attr.attr}'",
                    did_you_mean(attr.attr, allowed) or f"{owner.name} has {', '.join(allowed)}",
                )
            )
    return problems


def uses_of(tree: nodes.Template) -> set[tuple[str, str]]:
    """The page fields a template reads (`drug.name` -> ('drug', 'name')); whole records
    passed around (`{% set d = drug %}`) count as every field of the record."""
    found: set[tuple[str, str]] = set()
    attribute_owners: set[int] = set()
    for attr in tree.find_all(nodes.Getattr):
        owner = attr.node
        if isinstance(owner, nodes.Name) and owner.name in CONTEXT_FIELDS:
            found.add((owner.name, attr.attr))
            attribute_owners.add(id(owner))
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name in CONTEXT_FIELDS and id(name) not in attribute_owners:
            found |= {(name.name, field_name) for field_name in CONTEXT_FIELDS[name.name]}
    return found


class Renderable(Protocol):
    """What `check_renders` needs of a write-up (content.ContentDoc)."""

    @property
    def path(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def drug(self) -> str | None: ...
    @property
    def payer(self) -> str | None: ...
    @property
    def body_line(self) -> int: ...
    def check_template(self) -> Any: ...
    @property
    def title(self) -> Any: ...
    @property
    def description(self) -> Any: ...
    @property
    def front_lines(self) -> dict[str, int]: ...


MAX_NESTING = 12  # {% if %}/{% for %} blocks inside one another (Python allows 20 loops)
_BLOCK_NODES = (nodes.If, nodes.For, nodes.Macro, nodes.CallBlock, nodes.FilterBlock)


def nesting_problem(tree: nodes.Template) -> tuple[int, str, str] | None:
    """(line, message, hint) when blocks nest deeper than a page may compile."""
    pending: list[tuple[nodes.Node, int]] = [(tree, 0)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, _BLOCK_NODES):
            depth += 1
            if depth > MAX_NESTING:
                return (
                    node.lineno or 1,
                    f"blocks nested {depth} deep; at most {MAX_NESTING}",
                    "flatten the nested {% if %}/{% for %} blocks",
                )
        pending.extend((child, depth) for child in node.iter_child_nodes())
    return None


def _template_line(exc: BaseException) -> int | None:
    """The line of a write-up template that raised, from Jinja's rewritten traceback."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            line = frame.lineno
    return line


def _describe(exc: BaseException) -> tuple[str, str | None]:
    """What went wrong while a write-up rendered, in an editor's words, and a hint."""
    if isinstance(exc, EmptyValueError):
        return (
            str(exc.message),
            "wrap optional fields in {% if drug.generic_name %}...{% endif %}",
        )
    if isinstance(exc, RenderTimeout):
        return (
            f"rendering {exc}",
            "a loop that runs too long? render_timeout in data/site.yaml sets the limit",
        )
    if isinstance(exc, RecursionError):
        return "recursion too deep", "a macro or loop that calls itself?"
    if isinstance(exc, MemoryError):
        return "needs more memory than a page may use", "a value built up in a loop?"
    if isinstance(exc, SecurityError):
        return f"not allowed in a write-up: {exc}", None
    if isinstance(exc, ZeroDivisionError):
        return "division by zero", None
    if isinstance(exc, OverflowError):  # the sandbox's range limit, or a float too large
        return str(exc), None
    if isinstance(exc, TemplateError) and exc.message:
        return exc.message, None
    return f"{type(exc).__name__}: {exc}", None


def writeup_error(
    exc: BaseException, path: str, first_line: int, names: dict[str, Any] | None = None
) -> SiteError:
    """A write-up's render-time exception as `path:line: message (for drug/payer)`."""
    offset = _template_line(exc)
    line = first_line + offset - 1 if offset else first_line
    message, hint = _describe(exc)
    if names is not None:
        message += f" (drug '{names['drug'].slug}', payer '{names['payer'].slug}')"
    return SiteError(message, SourceLocation(path, line), hint)


def compile_error(exc: BaseException, path: str, first_line: int) -> SiteError:
    """A write-up that parses but does not compile (nesting past Python's own limits)."""
    if isinstance(exc, TemplateSyntaxError):
        return SiteError(
            f"template syntax error: {exc.message}",
            SourceLocation(path, first_line + (exc.lineno or 1) - 1),
        )
    if isinstance(exc, RenderTimeout):
        return SiteError(f"compiling {exc}", SourceLocation(path, first_line))
    return SiteError(
        "the write-up is nested too deeply to compile",
        SourceLocation(path, first_line),
        "flatten nested blocks, lists, quotes and parentheses",
    )


def _signature(record: Any, fields: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in fields if getattr(record, name, None) in (None, ""))


def check_renders(
    docs: Iterable[Renderable], data: Any, errors: ErrorCollector, timeout: float
) -> None:
    """Render each write-up once per distinct shape of page it serves (which optional
    fields are empty), so an empty field printed without an `if` is caught at load.
    (`check` goes further: every distinct set of values, see writeup_check.)"""
    for doc in docs:
        payers = [p for p in data.payers if doc.payer in (None, p.slug)]
        reason = next((r for r in data.reasons if r.slug == doc.reason), None)
        if reason is None:
            continue
        drugs = [
            d
            for d in data.drugs
            if doc.drug in (None, d.slug) and (d.reasons is None or reason.slug in d.reasons)
        ]
        reps_p = {_signature(p, CONTEXT_FIELDS["payer"]): p for p in payers}
        reps_d = {_signature(d, CONTEXT_FIELDS["drug"]): d for d in drugs}
        if not (reps_p and reps_d):
            continue
        try:
            with deadline(timeout):
                body = doc.check_template()  # compiled once per doc
        except Exception as exc:  # noqa: BLE001 - every failure is the write-up's
            errors.add_error(compile_error(exc, doc.path, doc.body_line))
            continue
        pages = ((p, d) for p in reps_p.values() for d in reps_d.values())
        for payer, drug in pages:
            if not check_one(
                doc, body, page_names(payer, drug, reason, data.site), errors, timeout
            ):
                break  # one error per write-up: the first page that fails


def check_one(
    doc: Renderable, body: Any, names: dict[str, Any], errors: ErrorCollector, timeout: float
) -> bool:
    """Render a write-up's body, title and description for one page; False (and the
    error reported) when one of them fails."""
    targets = [(body, doc.body_line)]
    if doc.title is not None:
        targets.append((doc.title, doc.front_lines.get("title", 1)))
    if doc.description is not None:
        targets.append((doc.description, doc.front_lines.get("description", 1)))
    for template, first_line in targets:
        try:
            with deadline(timeout):
                template.render(names)
        except Exception as exc:  # noqa: BLE001 - every failure is the write-up's
            errors.add_error(writeup_error(exc, doc.path, first_line, names))
            return False
    return True
