"""Markdown write-up bodies to HTML, once per file, keeping their Jinja tags intact.

A body is Markdown that may use the page's names as Jinja variables. Converting Markdown
for every page would dominate build time, so each body is converted once: Jinja tags are
swapped for inert placeholders, Python-Markdown runs, the tags are put back, and the
result is compiled as a Jinja template that each page renders in microseconds.

`lint` reports the Markdown that Python-Markdown would silently mangle (a list or table
run into the paragraph above it, nested items indented by fewer than 4 spaces, an H1).
Knows nothing of the matrix or the site's templates.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

_TAG_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_LIST_ITEM_RE = re.compile(r"^( *)([-*+]|\d{1,9}[.)])( +|$)")
_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})(\s|$)")


class _HeadingShift(Treeprocessor):
    """Moves write-up headings one level down: the page owns h1 and its section h2s."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if re.fullmatch(r"h[1-5]", element.tag):
                element.tag = f"h{int(element.tag[1]) + 1}"


class _HeadingShiftExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (library API)
        md.treeprocessors.register(_HeadingShift(md), "guidegen_heading_shift", 5)


def new_markdown() -> markdown.Markdown:
    """The Markdown converter write-ups use: tables, fenced code, sane lists."""
    return markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", _HeadingShiftExtension()],
        output_format="html",
    )


# What write-ups may contain once converted: what Markdown and its extensions produce.
# Everything else (script, style, iframe, event handlers, javascript: URLs) is removed.
ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "code",
        "em",
        "strong",
        "b",
        "i",
        "a",
        "img",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
        "abbr",
        "sup",
        "sub",
        "del",
        "ins",
        "span",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
    "abbr": {"title"},
    "code": {"class"},
}
# `trust_raw_html: true` widens the lists to layout markup an editor may write by hand;
# scripts, styles, frames, forms, event handlers and javascript:/data: URLs stay out.
TRUSTED_EXTRA_TAGS = frozenset(
    {"div", "section", "aside", "figure", "figcaption", "details", "summary", "mark", "small"}
)
TRUSTED_GLOBAL_ATTRIBUTES = frozenset({"class", "id", "lang", "dir"})
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def sanitize(html: str, trusted: bool = False) -> str:
    """HTML cut down to the allow-list (nh3, the Rust `ammonia`): no script, style, frame,
    form, event handler or URL outside http(s)/mailto/tel, whatever `trusted` says."""
    tags = set(ALLOWED_TAGS)
    attributes = {tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()}
    if trusted:
        tags |= TRUSTED_EXTRA_TAGS
        attributes["*"] = set(TRUSTED_GLOBAL_ATTRIBUTES)
    return nh3.clean(
        html, tags=tags, attributes=attributes, url_schemes=set(URL_SCHEMES), link_rel=None
    )


@dataclass(frozen=True)
class ConvertedBody:
    """A write-up body as HTML with its Jinja tags back in place.

    `tags_in_markup` says whether some Jinja tag ended up inside an HTML tag (an attribute
    such as a link's href): what it prints there was never seen by the sanitizer, so each
    page's output of such a body is sanitized again after rendering."""

    source: str
    tags_in_markup: bool


_HTML_TAG_RE = re.compile(r"<[^>]*>")


def _marker(body: str) -> str:
    """A placeholder prefix that does not occur in the body (text that merely looks like
    a placeholder stays text). Deterministic: the same body always gets the same one."""
    marker = "qjx"
    while marker in body:
        marker += "q"
    return marker


def markdown_to_template_source(
    body: str, md: markdown.Markdown | None = None, trust_html: bool = False
) -> ConvertedBody:
    """HTML for a Markdown body, with its Jinja tags restored verbatim for compilation.

    Raw HTML in the body is sanitized (to the wider list when the site trusts it); the
    Jinja tags are inert placeholders while that happens. What the tags print is escaped
    text when rendered; `ConvertedBody.tags_in_markup` flags bodies where that is not
    enough."""
    tags: list[str] = []
    marker = _marker(body)
    placeholder = re.compile(marker + r"([eb])(\d+)x" + marker)
    block_only_p = re.compile(r"<p>((?:\s*" + marker + r"b\d+x" + marker + r")+)\s*</p>")

    def protect(match: re.Match[str]) -> str:
        tag = match.group(0)
        tags.append(tag)
        kind = "e" if tag.startswith("{{") else "b"
        return f"{marker}{kind}{len(tags) - 1}x{marker}"

    converter = md or new_markdown()
    converter.reset()
    html = sanitize(converter.convert(_TAG_RE.sub(protect, body)), trust_html)
    html = block_only_p.sub(lambda m: m.group(1).strip(), html)
    in_markup = any(marker in tag for tag in _HTML_TAG_RE.findall(html))
    used: set[int] = set()

    def restore(match: re.Match[str]) -> str:
        index = int(match.group(2))
        if index >= len(tags) or index in used:  # pragma: no cover - markers are unique
            raise ValueError("a Jinja tag was duplicated by the Markdown conversion")
        used.add(index)
        return tags[index]

    return ConvertedBody(placeholder.sub(restore, html), in_markup)


@dataclass(frozen=True)
class LintIssue:
    line: int
    message: str
    hint: str


def _kind(line: str) -> str:
    if not line.strip():
        return "blank"
    if _HEADING_RE.match(line):
        return "heading"
    if _LIST_ITEM_RE.match(line):
        return "list"
    if line.lstrip().startswith("|"):
        return "table"
    return "para"


def lint(body: str, first_line: int = 1) -> list[LintIssue]:
    """Markdown that renders differently from what its author meant, with the fix."""
    issues: list[LintIssue] = []
    block: str | None = None  # kind of the first line of the current block
    last_item_indent: int | None = None
    in_fence = False
    for offset, line in enumerate(body.split("\n")):
        number = first_line + offset
        if _FENCE_RE.match(line):
            in_fence = not in_fence
            block = None
            continue
        if in_fence:
            continue
        kind = _kind(line)
        if kind == "blank":
            block = None
            continue
        if kind == "heading":
            if len(_HEADING_RE.match(line).group(1)) == 1:  # type: ignore[union-attr]
                issues.append(
                    LintIssue(
                        number,
                        "a level-1 heading in a write-up",
                        "the page has its own H1; start write-up headings at '##'",
                    )
                )
            block, last_item_indent = None, None
            continue
        if kind in ("list", "table") and block == "para":
            what = "list" if kind == "list" else "table"
            issues.append(
                LintIssue(
                    number,
                    f"this {what} follows a paragraph line without a blank "
                    f"line, so it would be run into the paragraph",
                    f"add a blank line before the {what}",
                )
            )
            block = kind
        if kind == "list":
            indent = len(_LIST_ITEM_RE.match(line).group(1))  # type: ignore[union-attr]
            if last_item_indent is not None and last_item_indent < indent < last_item_indent + 4:
                issues.append(
                    LintIssue(
                        number,
                        f"nested list item indented by {indent - last_item_indent} space(s)",
                        "indent nested list items by 4 spaces",
                    )
                )
            last_item_indent = indent
        elif block is None and not line.startswith(" "):
            last_item_indent = None
        if block is None:
            block = kind
    return issues
