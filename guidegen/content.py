"""Write-ups: front matter + Markdown body -> compiled templates, and the content cascade.

Reads `content/**/*.md` (only the files `sources` allows), checks each file's place
(`guides/<payer>/<drug>/<reason>.md`, `drugs/<drug>/<reason>.md`, `reasons/<reason>.md`)
against the data, its front matter against the schema, its Markdown against `markup.lint`
and its Jinja against the names a page provides, then compiles it once. `Content.find`
answers the cascade: the most specific write-up for a combination. Knows nothing of the
site's templates or the matrix.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError, nodes

from . import templating
from .data import SiteData
from .errors import BuildFailed, ErrorCollector, SiteError, SourceLocation, did_you_mean
from .markup import lint
from .models import ContentLevel, FrontMatter
from .schema import FRONT_MATTER, RecordChecker
from .sources import check_source, source_files
from .templating import (
    content_environment,
    is_plain,
    name_problems,
    nesting_problem,
    uses_of,
)
from .writeup import (
    MAX_CONTENT_BYTES,
    ContentDoc,
    forget_compiled,
    split_front_matter,
    text_digest,
)
from .yaml_loader import YMap, parse_yaml, read_source

CONTENT_DIR = "content"
IGNORED_SUFFIXES = ("~", ".swp", ".swo", ".tmp", ".bak")


@dataclass
class Content:
    """Every write-up, by cascade level: keys -> paths, and the compiled write-ups.

    A build compiles (and so checks) every write-up at load. The preview server loads
    lazily: write-ups are compiled when a page first needs them."""

    guides: dict[tuple[str, str, str], str] = field(default_factory=dict)
    drugs: dict[tuple[str, str], str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    docs: dict[str, ContentDoc] = field(default_factory=dict)
    compile_later: Callable[[str], ContentDoc] | None = None
    drafts: dict[str, ContentDoc] = field(default_factory=dict)  # checked, not published

    def doc(self, rel: str) -> ContentDoc:
        """The compiled write-up at a path (compiled now when loaded lazily)."""
        found = self.docs.get(rel)
        if found is None:
            if self.compile_later is None:
                raise KeyError(rel)
            found = self.docs[rel] = self.compile_later(rel)
        return found

    def find(self, payer: str, drug: str, reason: str) -> ContentDoc | None:
        """The most specific write-up for a combination: guide, then drug, then reason."""
        rel = (
            self.guides.get((payer, drug, reason))
            or self.drugs.get((drug, reason))
            or self.reasons.get(reason)
        )
        return None if rel is None else self.doc(rel)

    def has_specific(self, payer: str, drug: str, reason: str) -> bool:
        """Whether the combination has more than the reason's generic fallback."""
        return (payer, drug, reason) in self.guides or (drug, reason) in self.drugs

    def paths(self) -> Iterator[str]:
        yield from self.guides.values()
        yield from self.drugs.values()
        yield from self.reasons.values()

    def all(self) -> Iterator[ContentDoc]:
        for rel in self.paths():
            yield self.doc(rel)

    def add(
        self, rel: str, level: ContentLevel, payer: str | None, drug: str | None, reason: str
    ) -> None:
        if level is ContentLevel.GUIDE:
            self.guides[(payer or "", drug or "", reason)] = rel
        elif level is ContentLevel.DRUG:
            self.drugs[(drug or "", reason)] = rel
        else:
            self.reasons[reason] = rel


class _Compiler:
    """Parses, checks and compiles write-ups, reporting into one ErrorCollector."""

    def __init__(self, root: Path, data: SiteData | None, errors: ErrorCollector) -> None:
        self.root = root
        self.data = data
        self.errors = errors
        self.env = content_environment()
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
            if slug is None or kind in data.unread:
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
            record = next((d for d in data.drugs if d.slug == drug), None)
            if record is not None and record.reasons is not None and reason not in record.reasons:
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
            tree = self.env.parse(source)
        except TemplateSyntaxError as exc:
            line = first_line + (exc.lineno or 1) - 1
            self.errors.add(
                f"template syntax error: {exc.message}",
                SourceLocation(rel, line),
                "Jinja tags look like {{ drug.name }} and {% if drug.condition %}",
            )
            return None
        except (RecursionError, MemoryError):
            self.errors.add(
                "a Jinja expression is nested too deeply to read",
                SourceLocation(rel, first_line),
                "remove the extra parentheses or brackets",
            )
            return None
        problem = nesting_problem(tree)
        if problem is not None:
            line, message, hint = problem
            self.errors.add(message, SourceLocation(rel, first_line + line - 1), hint)
            return None
        return tree

    def check_names(self, rel: str, tree: nodes.Template, first_line: int) -> bool:
        """Report names and fields a page does not provide, and include/import tags."""
        problems = name_problems(tree)
        for line, message, hint in problems:
            self.errors.add(message, SourceLocation(rel, first_line + line - 1), hint)
        return not problems

    def check_front(self, rel: str, source: str, first_line: int) -> None:
        """Check a small front-matter template (title, description) and note its names."""
        tree = self.parse(rel, source, first_line)
        if tree is not None and self.check_names(rel, tree, first_line):
            self.uses |= uses_of(tree)

    def compile(self, path: Path) -> ContentDoc | None:
        rel = path.relative_to(self.root).as_posix()
        placed = self.place(rel)
        if placed is None:
            return None
        level, payer, drug, reason = placed
        slugs_ok = self.check_slugs(rel, payer, drug, reason)
        try:
            check_source(path, self.root)
            text = read_source(path, rel, MAX_CONTENT_BYTES)
        except SiteError as error:
            self.errors.add_error(error)
            return None
        try:
            front_text, body, body_line = split_front_matter(text)
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
        ok = tree is not None and self.check_names(rel, tree, body_line) and ok
        self.uses = uses_of(tree) if tree is not None else set()
        if not body.strip():
            ok = False
            self.errors.add(
                "the write-up has no body",
                SourceLocation(rel, body_line),
                "write the Markdown below the front matter",
            )
        if front is None:
            return None
        matter, lines = front
        todo = tuple(body_line + i for i, text in enumerate(body.split("\n")) if TODO in text)
        if level is ContentLevel.REASON and matter.draft:
            self.errors.add(
                "a reason's fallback write-up cannot be a draft: every page of the reason needs it",
                SourceLocation(rel, lines.get("draft", 1)),
                "remove 'draft: true'",
            )
            return None
        if todo and not matter.draft:
            for line in todo:
                self.errors.add(
                    "a placeholder left by `new` is still empty",
                    SourceLocation(rel, line),
                    "write this part and remove the {# TODO ... #} comment, or put "
                    "'draft: true' back in the front matter until the write-up is done",
                )
            return None
        if matter.title is not None:
            self.check_front(rel, matter.title, lines["title"])
        if matter.description is not None:
            self.check_front(rel, matter.description, lines["description"])
        if not ok or tree is None:
            return None
        return ContentDoc(
            path=rel,
            level=level,
            reason=reason,
            drug=drug,
            payer=payer,
            front=matter,
            digest=text_digest(text),
            words=len(_WORD_RE.findall(_TAG_OR_MARK_RE.sub(" ", body))),
            body_line=body_line,
            file=str(path),
            plain=is_plain(tree),
            trust_html=self.data.site.trust_raw_html if self.data is not None else False,
            front_lines=lines,
            uses=tuple(sorted(self.uses)),
            todo_lines=todo,
        )


_TAG_OR_MARK_RE = re.compile(r"\{[{%#].*?[}%#]\}|[#|*_`>]+", re.DOTALL)
_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9’'-]*")


def content_files(root: Path, errors: ErrorCollector) -> list[Path]:
    """Every write-up under content/, in a stable order; stray and refused files reported
    (links out of the source folders, special files: see `sources`)."""
    found = []
    for path in source_files(root / CONTENT_DIR, root, errors, skip_hidden=True):
        if path.name.endswith(IGNORED_SUFFIXES):
            continue
        if path.suffix != ".md":
            errors.add(
                "not a Markdown write-up",
                SourceLocation(path.relative_to(root).as_posix()),
                "write-ups end in .md; move other files out of content/",
            )
            continue
        found.append(path)
    return found


def check_renders(content: Content, data: SiteData, errors: ErrorCollector) -> None:
    """Render every write-up once per shape of page it serves (see templating).

    Every compiled write-up template is dropped after it: the front matter the check
    compiled (it compiles bodies apart, uncached) and any body an earlier use of this
    process did. Pages compile the ones they use, and the build's workers, forked after the
    check, would otherwise each start with the last few hundred of them, counted in every
    process."""
    templating.check_renders(content.all(), data, errors, data.site.render_timeout)
    forget_compiled()


def load_content(
    root: Path, data: SiteData | None, errors: ErrorCollector, lazy: bool = False
) -> Content:
    """Find every write-up and check its place; compile (and check) them all, or, when
    `lazy`, each one when a page first needs it. Every reason must have its fallback."""
    compiler = _Compiler(root, data, errors)
    content = Content()
    for path in content_files(root, errors):
        rel = path.relative_to(root).as_posix()
        if lazy:
            placed = compiler.place(rel)
            if placed is not None:
                level, payer, drug, reason = placed
                if compiler.check_slugs(rel, payer, drug, reason) and not is_draft(path, rel):
                    content.add(rel, level, payer, drug, reason)
            continue
        doc = compiler.compile(path)
        if doc is not None and doc.front.draft:
            content.drafts[rel] = doc
        elif doc is not None:
            content.add(rel, doc.level, doc.payer, doc.drug, doc.reason)
            content.docs[rel] = doc
    if lazy:
        content.compile_later = functools.partial(_compile_now, root, data)
    if data is not None:
        for record in data.reasons:
            if (
                record.slug not in content.reasons
                and not (root / CONTENT_DIR / "reasons" / f"{record.slug}.md").exists()
            ):
                errors.add(
                    f"denial reason '{record.slug}' has no fallback write-up",
                    record.where,
                    f"create content/reasons/{record.slug}.md",
                )
    return content


TODO = "{# TODO"  # how `new` marks what an editor still has to write


def is_draft(path: Path, rel: str) -> bool:
    """Whether a write-up's front matter says `draft: true` (read without compiling it;
    a file that cannot be read or parsed is not a draft, and fails when compiled)."""
    try:
        front = split_front_matter(read_source(path, rel, MAX_CONTENT_BYTES))[0]
        value = parse_yaml(front, rel) if front else None
    except (SiteError, ValueError):
        return False
    return isinstance(value, dict) and value.get("draft") is True


def _compile_now(root: Path, data: SiteData | None, rel: str) -> ContentDoc:
    """Compile one write-up on demand; its problems raise BuildFailed."""
    errors = ErrorCollector()
    doc = _Compiler(root, data, errors).compile(root / rel)
    errors.raise_if_any()
    if doc is None:  # pragma: no cover - compile reports why it returns None
        raise BuildFailed([SiteError("the write-up could not be read", SourceLocation(rel))])
    return doc
