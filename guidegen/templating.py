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

from jinja2 import Environment, StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import ErrorCollector, SourceLocation, did_you_mean
from .jinja_env import FlatGlobals
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


class _FlatSandbox(FlatGlobals, ImmutableSandboxedEnvironment):
    pass


def content_environment() -> ImmutableSandboxedEnvironment:
    """Sandboxed, autoescaping, strict: write-ups are data, not code."""
    return _FlatSandbox(
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_finalize,
        keep_trailing_newline=False,
    )


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


def _template_line(exc: BaseException) -> int | None:
    """The line of a write-up template that raised, from Jinja's rewritten traceback."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            line = frame.lineno
    return line


def _signature(record: Any, fields: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in fields if getattr(record, name, None) in (None, ""))


def check_renders(docs: Iterable[Renderable], data: Any, errors: ErrorCollector) -> None:
    """Render each write-up once per distinct shape of page it serves (which optional
    fields are empty), so an empty field printed without an `if` is caught by `check`."""
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
        body = doc.check_template() if reps_p and reps_d else None  # compiled once per doc
        for payer in reps_p.values():
            for drug in reps_d.values():
                names = page_names(payer, drug, reason, data.site)
                _check_one(doc, body, names, errors)


def _check_one(doc: Renderable, body: Any, names: dict[str, Any], errors: ErrorCollector) -> None:
    targets = [(body, doc.body_line)]
    if doc.title is not None:
        targets.append((doc.title, doc.front_lines.get("title", 1)))
    if doc.description is not None:
        targets.append((doc.description, doc.front_lines.get("description", 1)))
    for template, first_line in targets:
        try:
            template.render(names)
        except (TemplateError, SecurityError, UndefinedError, TypeError, ValueError) as exc:
            offset = _template_line(exc)
            line = first_line + offset - 1 if offset else first_line
            drug, payer = names["drug"], names["payer"]
            message = str(exc) if not isinstance(exc, EmptyValueError) else str(exc.message)
            errors.add(
                f"{message} (drug '{drug.slug}', payer '{payer.slug}')",
                SourceLocation(doc.path, line),
                "wrap optional fields in {% if drug.generic_name %}...{% endif %}"
                if isinstance(exc, EmptyValueError)
                else None,
            )
