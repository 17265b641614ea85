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
_PLACEHOLDER_RE = re.compile(r"qjx([eb])(\d+)xq")
_BLOCK_ONLY_P_RE = re.compile(r"<p>((?:\s*qjxb\d+xq)+)\s*</p>")
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
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def sanitize(html: str) -> str:
    """Raw HTML in a write-up cut down to the allow-list (nh3, the Rust `ammonia`)."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
    )


def markdown_to_template_source(
    body: str, md: markdown.Markdown | None = None, trust_html: bool = False
) -> str:
    """HTML for a Markdown body, with its Jinja tags restored verbatim for compilation.

    Raw HTML in the body is sanitized unless the site trusts it; the Jinja tags are
    inert placeholders while that happens, and their output is escaped when rendered."""
    tags: list[str] = []

    def protect(match: re.Match[str]) -> str:
        tag = match.group(0)
        tags.append(tag)
        kind = "e" if tag.startswith("{{") else "b"
        return f"qjx{kind}{len(tags) - 1}xq"

    converter = md or new_markdown()
    converter.reset()
    html = converter.convert(_TAG_RE.sub(protect, body))
    if not trust_html:
        html = sanitize(html)
    html = _BLOCK_ONLY_P_RE.sub(lambda m: m.group(1).strip(), html)
    return _PLACEHOLDER_RE.sub(lambda m: tags[int(m.group(2))], html)


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
