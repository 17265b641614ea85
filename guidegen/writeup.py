"""One checked write-up (`ContentDoc`) and how it renders on a page.

A body's Markdown is converted once per process and compiled as a Jinja template
(`markup.markdown_to_template_source`); each page renders it with its names, and every
exception that rendering raises becomes the write-up's own `file:line` error. What a
page prints from a write-up is sanitized (see `CompiledBody`), its size bounded, and
front matter renders as plain text. Knows nothing of the cascade, the matrix or the
site's templates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from markupsafe import Markup

from . import templating
from .errors import SiteError, SourceLocation
from .limits import MAX_WRITEUP_HTML
from .markup import markdown_to_template_source, new_markdown, sanitize
from .models import ContentLevel, FrontMatter
from .templating import content_environment, fast_environment, text_environment
from .yaml_loader import read_source

MAX_CONTENT_BYTES = 1024 * 1024


@dataclass(frozen=True, eq=False)
class ContentDoc:
    """One write-up, checked. It keeps what fingerprints and hubs need; the body and the
    front-matter templates are read and compiled when first rendered (see `body`), so a
    site with thousands of write-ups does not hold them all in every build process."""

    path: str
    level: ContentLevel
    reason: str
    drug: str | None
    payer: str | None
    front: FrontMatter
    digest: str
    words: int
    body_line: int
    file: str = field(repr=False)  # where to read the body again
    plain: bool = field(default=True, repr=False)
    trust_html: bool = field(default=False, repr=False)
    front_lines: dict[str, int] = field(default_factory=dict, repr=False)
    uses: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    todo_lines: tuple[int, ...] = field(default=(), repr=False)  # placeholders of `new`

    def used_values(self, names: dict[str, Any]) -> tuple[Any, ...]:
        """The values of the fields this write-up prints: what its output depends on."""
        return tuple([getattr(names[root], attr, None) for root, attr in self.uses])

    @property
    def source(self) -> str:
        """The Markdown body, read again from its file (the same bytes that were checked)."""
        return _body_of(self.file, self.path, self.digest)

    @property
    def title(self) -> Any:
        """The front matter's title as a template of plain text (checked at load), or None."""
        return None if self.front.title is None else _compiled_front(self.front.title)

    @property
    def description(self) -> Any:
        return None if self.front.description is None else _compiled_front(self.front.description)

    @property
    def body(self) -> CompiledBody:
        """The body as a template of HTML: Markdown converted once, Jinja tags kept.

        Compiled on first use in each process and kept in a small cache: a million-page
        site has thousands of write-ups, most of them used by a single page."""
        return _compiled_body(self.file, self.path, self.digest, self.plain, self.trust_html)

    def render_body(self, names: dict[str, Any]) -> Markup:
        """The write-up's HTML for one page. Every exception is this file's `SiteError`."""
        body = self.body
        try:
            html = body.template.render(names)
        except Exception as exc:  # noqa: BLE001 - whatever a write-up does is its own error
            raise self._located(exc, names) from None
        if len(html) > MAX_WRITEUP_HTML:
            raise SiteError(
                f"prints {len(html):,} characters of HTML on one page; at most "
                f"{MAX_WRITEUP_HTML:,}",
                SourceLocation(self.path, self.body_line),
                "a loop that repeats too much?",
            )
        return Markup(sanitize(html, self.trust_html) if body.sanitize_output else html)

    def _located(self, exc: Exception, names: dict[str, Any]) -> SiteError:
        """The body's error at the line of the file: the compiled body is converted
        HTML, so the raw body is rendered again to find where the same error comes from."""
        error = templating.writeup_error(exc, self.path, self.body_line)
        try:
            self.check_template().render(names)
        except Exception as raw:  # noqa: BLE001 - the same failure, raised by the raw body
            again = templating.writeup_error(raw, self.path, self.body_line)
            if again.problem == error.problem:
                return again
        return SiteError(error.problem, SourceLocation(self.path, self.body_line), error.hint)

    def render_title(self, names: dict[str, Any]) -> str | None:
        """The front matter's title as text for one page, or None when it has none."""
        return self._render_front(self.title, "title", names)

    def render_description(self, names: dict[str, Any]) -> str | None:
        return self._render_front(self.description, "description", names)

    def _render_front(self, template: Any, key: str, names: dict[str, Any]) -> str | None:
        if template is None:
            return None
        try:
            return str(template.render(names))
        except Exception as exc:  # noqa: BLE001 - whatever a write-up does is its own error
            raise templating.writeup_error(exc, self.path, self.front_lines.get(key, 1)) from None

    def check_template(self) -> Any:
        """The raw body as a sandboxed template, for line-accurate checks (not cached)."""
        return _environments()[1].from_string(self.source)


@lru_cache(maxsize=1)
def _environments() -> tuple[Any, Any, Any, Any]:
    """(fast environment, sandboxed environment, Markdown converter, front-matter text
    environment) of this process."""
    return fast_environment(), content_environment(), new_markdown(), text_environment()


@dataclass(frozen=True)
class CompiledBody:
    """A body's template, and whether each page's output of it is sanitized again: a
    sandboxed body may print markup (`|safe`), and a body whose Jinja tags sit inside an
    HTML tag prints where the sanitizer never looked. A fast-path body with its tags in
    text only prints escaped text between sanitized markup, so it is left as it is."""

    template: Any
    sanitize_output: bool


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _body_of(file: str, rel: str, digest: str) -> str:
    return _body_and_line(file, rel, digest)[0]


def _body_and_line(file: str, rel: str, digest: str) -> tuple[str, int]:
    """The body as checked at load (same digest), and the line it starts on."""
    text = read_source(Path(file), rel, MAX_CONTENT_BYTES)
    if text_digest(text) != digest:
        raise SiteError(
            "the write-up changed while the site was being built",
            SourceLocation(rel),
            "build again",
        )
    _, body, line = split_front_matter(text)
    return body, line


@lru_cache(maxsize=256)
def _compiled_body(file: str, rel: str, digest: str, plain: bool, trust_html: bool) -> CompiledBody:
    fast, sandboxed, md, _ = _environments()
    source, first_line = _body_and_line(file, rel, digest)
    try:
        converted = markdown_to_template_source(source, md, trust_html)
        template = (fast if plain else sandboxed).from_string(converted.source)
    except Exception as exc:  # noqa: BLE001 - whatever a write-up does is its own error
        raise templating.compile_error(exc, rel, first_line) from None
    return CompiledBody(template, converted.tags_in_markup or not plain)


@lru_cache(maxsize=256)
def _compiled_front(source: str) -> Any:
    return _environments()[3].from_string(source)


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter text or None, body, 1-based line the body starts on)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, text, 1
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    raise ValueError("front matter is not closed")


def forget_compiled() -> None:
    """Drop every compiled write-up template this process holds (see check_renders)."""
    _compiled_body.cache_clear()
    _compiled_front.cache_clear()
