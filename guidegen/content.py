"""Write-ups: front matter + Markdown body -> compiled templates, and the content cascade.

Reads `content/**/*.md`, checks each file's place (`guides/<payer>/<drug>/<reason>.md`,
`drugs/<drug>/<reason>.md`, `reasons/<reason>.md`) against the data, its front matter
against the schema, its Markdown against `markup.lint` and its Jinja against the names a
page provides, then compiles it once. `Content.find` answers the cascade: the most
specific write-up for a combination. Knows nothing of the site's templates or the matrix.
"""

from __future__ import annotations

import hashlib
import re
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from .data import SiteData
from .errors import ErrorCollector, SiteError, SourceLocation, did_you_mean
from .markup import lint, markdown_to_template_source, new_markdown
from .models import ContentLevel, DenialReason, Drug, FrontMatter, Offer, Payer, Site
from .schema import FRONT_MATTER, RecordChecker
from .yaml_loader import YMap, parse_yaml, read_source

CONTENT_DIR = "content"
IGNORED_SUFFIXES = ("~", ".swp", ".swo", ".tmp", ".bak")
MAX_CONTENT_BYTES = 1024 * 1024

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
_TEMPLATE_NAME = "<write-up>"


class EmptyValueError(TemplateError):
    """A variable printed by a write-up has no value for this page."""


def _finalize(value: Any) -> Any:
    if value is None:
        raise EmptyValueError("prints a field that is empty for this page")
    return value


def content_environment() -> ImmutableSandboxedEnvironment:
    """Sandboxed, autoescaping, strict: write-ups are data, not code."""
    return ImmutableSandboxedEnvironment(
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_finalize,
        keep_trailing_newline=False,
    )


def fast_environment() -> Environment:
    """For write-ups that only print page fields, test them and loop over them: such a
    template cannot reach anything the sandbox guards, and renders three times faster."""
    return Environment(autoescape=True, undefined=StrictUndefined, finalize=_finalize)


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


def _is_plain(tree: nodes.Template) -> bool:
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


@dataclass(frozen=True, eq=False)
class ContentDoc:
    """One write-up, compiled. `body` renders the HTML for a page's names."""

    path: str
    level: ContentLevel
    reason: str
    drug: str | None
    payer: str | None
    front: FrontMatter
    digest: str
    words: int
    body_line: int
    source: str = field(repr=False)
    body: Any = field(repr=False)
    check_body: Any = field(repr=False)
    title: Any = field(default=None, repr=False)
    description: Any = field(default=None, repr=False)
    front_lines: dict[str, int] = field(default_factory=dict, repr=False)
    uses: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def used_values(self, names: dict[str, Any]) -> tuple[Any, ...]:
        """The values of the fields this write-up prints: what its output depends on."""
        return tuple(getattr(names[root], attr, None) for root, attr in self.uses)


def page_names(payer: Payer, drug: Drug, reason: DenialReason, site: Site) -> dict[str, Any]:
    """The variables a write-up is rendered with."""
    offer: Offer = site.offer
    return {"payer": payer, "drug": drug, "reason": reason, "site": site, "offer": offer}


def render_doc(doc: ContentDoc, names: dict[str, Any]) -> Markup:
    """The write-up's HTML for one page (autoescaped values, sanitised by construction)."""
    return Markup(doc.body.render(names))


@dataclass
class Content:
    """Every write-up, by cascade level."""

    guides: dict[tuple[str, str, str], ContentDoc] = field(default_factory=dict)
    drugs: dict[tuple[str, str], ContentDoc] = field(default_factory=dict)
    reasons: dict[str, ContentDoc] = field(default_factory=dict)

    def find(self, payer: str, drug: str, reason: str) -> ContentDoc | None:
        """The most specific write-up for a combination: guide, then drug, then reason."""
        return (
            self.guides.get((payer, drug, reason))
            or self.drugs.get((drug, reason))
            or self.reasons.get(reason)
        )

    def has_specific(self, payer: str, drug: str, reason: str) -> bool:
        """Whether the combination has more than the reason's generic fallback."""
        return (payer, drug, reason) in self.guides or (drug, reason) in self.drugs

    def all(self) -> Iterator[ContentDoc]:
        yield from self.guides.values()
        yield from self.drugs.values()
        yield from self.reasons.values()


def _split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter text or None, body, 1-based line the body starts on)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, text, 1
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    raise ValueError("front matter is not closed")


class _Compiler:
    """Parses, checks and compiles write-ups, reporting into one ErrorCollector."""

    def __init__(self, root: Path, data: SiteData | None, errors: ErrorCollector) -> None:
        self.root = root
        self.data = data
        self.errors = errors
        self.env = content_environment()
        self.fast_env = fast_environment()
        self.md = new_markdown()
        self.uses: set[tuple[str, str]] = set()

    def place(self, rel: str) -> tuple[ContentLevel, str | None, str | None, str] | None:
        """The cascade level and slugs a content path names, or None (error reported)."""
        parts = rel.split("/")[1:]
        stem = parts[-1][: -len(".md")]
        if len(parts) == 4 and parts[0] == "guides":
            return ContentLevel.GUIDE, parts[1], parts[2], stem
        if len(parts) == 3 and parts[0] == "drugs":
            return ContentLevel.DRUG, None, parts[1], stem
        if len(parts) == 2 and parts[0] == "reasons":
            return ContentLevel.REASON, None, None, stem
        self.errors.add(
            "a write-up in an unexpected place",
            SourceLocation(rel),
            "use content/guides/<payer>/<drug>/<reason>.md, content/drugs/<drug>/<reason>.md "
            "or content/reasons/<reason>.md",
        )
        return None

    def check_slugs(self, rel: str, payer: str | None, drug: str | None, reason: str) -> bool:
        if self.data is None:
            return True
        data = self.data
        ok = True
        kinds: list[tuple[str, str | None, Iterable[Any]]] = [
            ("payer", payer, data.payers),
            ("drug", drug, data.drugs),
            ("denial reason", reason, data.reasons),
        ]
        for kind, slug, records in kinds:
            if slug is None:
                continue
            records = list(records)
            if any(r.slug == slug for r in records):
                continue
            ok = False
            renamed = next((r for r in records if slug in getattr(r, "aliases", ())), None)
            if renamed is not None:
                hint = f"'{slug}' was renamed to '{renamed.slug}'; move the file"
            else:
                hint = did_you_mean(slug, [r.slug for r in records]) or f"no {kind} has this slug"
            self.errors.add(
                f"the path names an unknown {kind} '{slug}'", SourceLocation(rel, 1), hint
            )
        if ok and drug is not None:
            record = next(d for d in data.drugs if d.slug == drug)
            if record.reasons is not None and reason not in record.reasons:
                ok = False
                self.errors.add(
                    f"drug '{drug}' gets no '{reason}' pages, so this write-up would never be used",
                    SourceLocation(rel, 1),
                    f"add '{reason}' to its reasons in {record.where} or remove the file",
                )
        return ok

    def front_matter(self, rel: str, text: str | None) -> tuple[FrontMatter, dict[str, int]] | None:
        if text is None or not text.strip():
            return FrontMatter(), {}
        try:
            value = parse_yaml(text, rel, line_offset=1)
        except SiteError as error:
            self.errors.add_error(error)
            return None
        if value is None:
            return FrontMatter(), {}
        checker = RecordChecker(FRONT_MATTER, self.errors, file=rel)
        records = checker.records(value)
        if not records:
            return None
        record = records[0][0]
        fields = checker.fields(record, "front matter", FRONT_MATTER.fields)
        if fields is None:
            return None
        assert isinstance(record, YMap)
        return FrontMatter(**fields), {k: record.key_line(k) for k in fields}

    def parse(self, rel: str, source: str, first_line: int) -> nodes.Template | None:
        try:
            return self.env.parse(source)
        except TemplateSyntaxError as exc:
            line = first_line + (exc.lineno or 1) - 1
            self.errors.add(
                f"template syntax error: {exc.message}",
                SourceLocation(rel, line),
                "Jinja tags look like {{ drug.name }} and {% if drug.condition %}",
            )
            return None

    def check_names(self, rel: str, tree: nodes.Template, first_line: int) -> bool:
        """Report names and fields a page does not provide, and include/import tags."""
        before = len(self.errors)

        def where(node: nodes.Node) -> SourceLocation:
            return SourceLocation(rel, first_line + (node.lineno or 1) - 1)

        stored = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
        for stmt in tree.find_all((nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)):
            self.errors.add("write-ups cannot include or import templates", where(stmt))
        for name in tree.find_all(nodes.Name):
            known = (
                name.name in CONTEXT_FIELDS or name.name in stored or name.name in _JINJA_GLOBALS
            )
            if name.ctx == "load" and not known:
                hint = did_you_mean(name.name, CONTEXT_FIELDS)
                self.errors.add(
                    f"unknown variable '{name.name}'",
                    where(name),
                    hint or f"write-ups can use {', '.join(CONTEXT_FIELDS)}",
                )
        for attr in tree.find_all(nodes.Getattr):
            owner = attr.node
            if not isinstance(owner, nodes.Name) or owner.name not in CONTEXT_FIELDS:
                continue
            allowed = CONTEXT_FIELDS[owner.name]
            if owner.name not in stored and attr.attr not in allowed:
                self.errors.add(
                    f"'{owner.name}' has no field '{attr.attr}'",
                    where(attr),
                    did_you_mean(attr.attr, allowed) or f"{owner.name} has {', '.join(allowed)}",
                )
        return len(self.errors) == before

    def template(self, rel: str, source: str, first_line: int) -> Any | None:
        """A checked, compiled template of a small front-matter string (title, description)."""
        tree = self.parse(rel, source, first_line)
        if tree is None or not self.check_names(rel, tree, first_line):
            return None
        self.uses |= _uses(tree)
        return self.env.from_string(source)

    def compile(self, path: Path) -> ContentDoc | None:
        rel = path.relative_to(self.root).as_posix()
        placed = self.place(rel)
        if placed is None:
            return None
        level, payer, drug, reason = placed
        slugs_ok = self.check_slugs(rel, payer, drug, reason)
        try:
            text = read_source(path, rel, MAX_CONTENT_BYTES)
        except SiteError as error:
            self.errors.add_error(error)
            return None
        try:
            front_text, body, body_line = _split_front_matter(text)
        except ValueError:
            self.errors.add(
                "front matter is not closed",
                SourceLocation(rel, 1),
                "end it with a line of three dashes: ---",
            )
            return None
        front = self.front_matter(rel, front_text)
        ok = front is not None and slugs_ok
        for issue in lint(body, body_line):
            ok = False
            self.errors.add(issue.message, SourceLocation(rel, issue.line), issue.hint)
        tree = self.parse(rel, body, body_line)
        if tree is None or not self.check_names(rel, tree, body_line):
            return None
        self.uses = _uses(tree)
        if not body.strip():
            self.errors.add(
                "the write-up has no body",
                SourceLocation(rel, body_line),
                "write the Markdown below the front matter",
            )
            return None
        if not ok or front is None:
            return None
        matter, lines = front
        title = description = None
        if matter.title is not None:
            title = self.template(rel, matter.title, lines["title"])
        if matter.description is not None:
            description = self.template(rel, matter.description, lines["description"])
        html = markdown_to_template_source(body, self.md)
        return ContentDoc(
            path=rel,
            level=level,
            reason=reason,
            drug=drug,
            payer=payer,
            front=matter,
            digest=hashlib.sha256(text.encode("utf-8")).hexdigest()[:24],
            words=len(_WORD_RE.findall(_TAG_OR_MARK_RE.sub(" ", body))),
            body_line=body_line,
            source=body,
            body=(self.fast_env if _is_plain(tree) else self.env).from_string(html),
            check_body=self.env.from_string(body),
            title=title,
            description=description,
            front_lines=lines,
            uses=tuple(sorted(self.uses)),
        )


_TAG_OR_MARK_RE = re.compile(r"\{[{%#].*?[}%#]\}|[#|*_`>]+", re.DOTALL)
_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9’'-]*")


def _uses(tree: nodes.Template) -> set[tuple[str, str]]:
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


def content_files(root: Path, errors: ErrorCollector) -> list[Path]:
    """Every write-up under content/, in a stable order; stray files reported."""
    base = root / CONTENT_DIR
    if not base.is_dir():
        return []
    found = []
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in path.relative_to(base).parts):
            continue
        if path.is_dir() or path.name.endswith(IGNORED_SUFFIXES):
            continue
        if path.suffix != ".md":
            errors.add(
                "not a Markdown write-up",
                SourceLocation(rel),
                "write-ups end in .md; move other files out of content/",
            )
            continue
        found.append(path)
    return found


def load_content(root: Path, data: SiteData | None, errors: ErrorCollector) -> Content:
    """Compile every write-up and check that every reason has its fallback."""
    compiler = _Compiler(root, data, errors)
    content = Content()
    for path in content_files(root, errors):
        doc = compiler.compile(path)
        if doc is None:
            continue
        if doc.level is ContentLevel.GUIDE:
            content.guides[(doc.payer or "", doc.drug or "", doc.reason)] = doc
        elif doc.level is ContentLevel.DRUG:
            content.drugs[(doc.drug or "", doc.reason)] = doc
        else:
            content.reasons[doc.reason] = doc
    if data is not None:
        for reason in data.reasons:
            if (
                reason.slug not in content.reasons
                and not (root / CONTENT_DIR / "reasons" / f"{reason.slug}.md").exists()
            ):
                errors.add(
                    f"denial reason '{reason.slug}' has no fallback write-up",
                    reason.where,
                    f"create content/reasons/{reason.slug}.md",
                )
    return content


def _template_line(exc: BaseException) -> int | None:
    """The line of a write-up template that raised, from Jinja's rewritten traceback."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            line = frame.lineno
    return line


def _signature(record: Any, fields: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in fields if getattr(record, name, None) in (None, ""))


def check_renders(content: Content, data: SiteData, errors: ErrorCollector) -> None:
    """Render each write-up once per distinct shape of page it serves (which optional
    fields are empty), so an empty field printed without an `if` is caught by `check`."""
    for doc in content.all():
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
        for payer in reps_p.values():
            for drug in reps_d.values():
                names = page_names(payer, drug, reason, data.site)
                _check_one(doc, names, errors)


def _check_one(doc: ContentDoc, names: dict[str, Any], errors: ErrorCollector) -> None:
    targets = [(doc.check_body, doc.body_line)]
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
