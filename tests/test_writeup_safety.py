"""Nothing a write-up prints escapes the sanitizer, whatever it mixes of Jinja, Markdown and
HTML, and whichever path (the fast one or the sandbox) renders it; text that looks like the
sanitizer's placeholders stays text; site templates cannot reach Python either."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from guidegen.content import load_content
from guidegen.data import load_site_data
from guidegen.errors import BuildFailed, ErrorCollector, SiteError
from guidegen.outputs import SiteOutputs
from guidegen.sitemodel import load_site
from guidegen.templating import content_environment, is_plain

from .conftest import edit, run
from .sitecheck import content_pages

# Tags and attributes no write-up may get onto a page, and URL schemes no link may use.
BANNED_TAGS = {
    "script",
    "style",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "form",
    "input",
    "button",
    "base",
    "meta",
    "link",
    "svg",
    "math",
    "template",
}
_BAD_URL = re.compile(r"^\s*(javascript|data|vbscript):", re.IGNORECASE)


def unsafe_markup(html: str) -> list[str]:
    """What in this HTML fragment could run script or frame another site."""
    found = []
    for tag in BeautifulSoup(html, "html.parser").find_all(True):
        if tag.name in BANNED_TAGS:
            found.append(f"<{tag.name}>")
        for name, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            cleaned = re.sub(r"[\x00-\x20]", "", text)
            if name.lower().startswith("on"):
                found.append(f"{tag.name}[{name}]")
            if name.lower() in ("href", "src", "action", "formaction", "srcset") and _BAD_URL.match(
                cleaned
            ):
                found.append(f"{tag.name}[{name}={text}]")
    return found


def angle(html: str) -> str:
    """The write-up's section of a guide page."""
    return html.split('class="angle"', 1)[1].split("</section>", 1)[0]


def page_problems(out: Path) -> list[str]:
    """Unsafe markup in the body of any built page (the head is the site's own)."""
    problems = []
    for path in content_pages(out):
        body = "<body" + path.read_text(encoding="utf-8").split("<body", 1)[1]
        problems += [f"{path.relative_to(out)}: {p}" for p in unsafe_markup(body)]
    return problems


HOSTILE_BODIES = [
    "{{ '<script>alert(1)</script>'|safe }}",
    "{% autoescape false %}{{ '<img src=x onerror=alert(1)>' }}{% endautoescape %}",
    "[Start here]({{ 'javascript:alert(1)' }})",
    "[Start here]({{ ' JaVaScRiPt:alert(1)' }})",
    "![x]({{ 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==' }})",
    '<a href="{{ drug.slug }}" onclick="{{ drug.name }}">x</a>',
    "{{ '<iframe src=\"https://evil.test\"></iframe>'|safe }}",
    "{{ ('<scr' ~ 'ipt>alert(1)</scr' ~ 'ipt>')|safe }}",
    "{% filter safe %}{{ '<svg onload=alert(1)>' }}{% endfilter %}",
    '<a href="java{% if drug.name %}{% endif %}script:alert(1)">x</a>',
    "{{ '<a href=\"javascript:alert(1)\">x</a>'|safe }}",
    "{{ '<form action=\"https://evil.test\"><input name=x></form>'|safe }}",
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_what_a_write_up_prints_is_sanitized(mini_site: Path, body: str) -> None:
    (mini_site / "content/reasons/off-label.md").write_text(
        f"## Angle\n\nBefore {body} after.\n", encoding="utf-8"
    )
    result = run(mini_site, "build")
    assert result.exit_code == 0, result.output
    out = mini_site / "output"
    assert page_problems(out) == []
    page = (out / "bluebird/betamab/off-label/index.html").read_text(encoding="utf-8")
    assert "Before" in angle(page) and "after." in angle(page)


def test_a_value_from_data_in_a_link_is_sanitized(mini_site: Path) -> None:
    """A fast-path write-up whose tag sits in an href: the payer's name is a URL here."""
    edit(mini_site / "data/payers.yaml", "name: Bluebird Plans", 'name: "javascript:alert(1)"')
    (mini_site / "content/reasons/off-label.md").write_text(
        "## Angle\n\n[Call {{ payer.short_name }}]({{ payer.name }}) or [us](https://ok.test/).\n",
        encoding="utf-8",
    )
    assert run(mini_site, "build").exit_code == 0
    page = (mini_site / "output/bluebird/betamab/off-label/index.html").read_text("utf-8")
    assert unsafe_markup(angle(page)) == []
    assert '<a href="https://ok.test/">us</a>' in angle(page)


def test_trusting_raw_html_never_lets_script_through(mini_site: Path) -> None:
    edit(
        mini_site / "data/site.yaml",
        "thin_pages: noindex",
        "thin_pages: noindex\ntrust_raw_html: true",
    )
    (mini_site / "content/reasons/off-label.md").write_text(
        '## Angle\n\n<details><summary>More</summary><div class="note">Kept.</div></details>'
        "<script>alert(1)</script><div onclick=\"x()\">d</div>{{ '<style>*{}</style>'|safe }}\n",
        encoding="utf-8",
    )
    assert run(mini_site, "build").exit_code == 0
    page = (mini_site / "output/bluebird/betamab/off-label/index.html").read_text("utf-8")
    assert '<details><summary>More</summary><div class="note">Kept.</div></details>' in page
    assert unsafe_markup(angle(page)) == [] and "<style>" not in angle(page)


@pytest.mark.parametrize(
    "text",
    ["qjxe0xq", "qjxb1xq qjxe9xq", "qjxe99xq", "qjxqe0xqjxq", "<p>qjxb0xq</p>", "xqjxe0xqjx"],
)
def test_text_like_the_sanitizers_placeholders_stays_text(mini_site: Path, text: str) -> None:
    (mini_site / "content/reasons/off-label.md").write_text(
        f"## Angle\n\nA {{{{ drug.name }}}} B {text} C {{{{ payer.name }}}}.\n", encoding="utf-8"
    )
    result = run(mini_site, "build")
    assert result.exit_code == 0, result.output
    page = (mini_site / "output/bluebird/betamab/off-label/index.html").read_text("utf-8")
    shown = BeautifulSoup(angle(page), "html.parser").get_text()
    expected = BeautifulSoup(text, "html.parser").get_text()
    assert f"A Betamab B {expected} C Bluebird Plans." in shown


# The fast path renders without the sandbox: only these constructs may take it.
@pytest.mark.parametrize(
    "source",
    [
        "{{ drug.__class__ }}",
        "{{ drug.name.__class__ }}",
        "{{ drug.name|safe }}",
        "{{ drug.name.upper() }}",
        "{{ drug['name'] }}",
        "{% autoescape false %}{{ drug.name }}{% endautoescape %}",
        "{% set x = drug %}{{ x.name }}",
        "{{ lipsum }}",
        "{{ range(3) }}",
        "{% for c in drug.name %}{{ c.__class__ }}{% endfor %}",
        "{% for c in drug.name %}{{ loop.__class__ }}{% endfor %}",
        "{{ drug.name|attr('__class__') }}",
        "{{ drug.name|format('x') }}",
        "{{ drug.name * 3 }}",
        "{% macro m() %}x{% endmacro %}{{ m() }}",
        "{% filter safe %}x{% endfilter %}",
        "{{ self }}",
    ],
)
def test_only_harmless_templates_skip_the_sandbox(source: str) -> None:
    assert not is_plain(content_environment().parse(source))


@pytest.mark.parametrize(
    "source",
    [
        "{{ drug.name }}",
        "{% if drug.condition %}{{ drug.condition|lower }}{% endif %}",
        "{% for c in drug.name %}{{ loop.index }}{{ c }}{% endfor %}",
        "{{ drug.generic_name|default('none')|upper }}",
    ],
)
def test_plain_templates_take_the_fast_path(source: str) -> None:
    assert is_plain(content_environment().parse(source))


def _loaded(root: Path) -> tuple[Any, Any]:
    errors = ErrorCollector()
    data = load_site_data(root, errors)
    content = load_content(root, data, errors)
    assert not errors, [e.render() for e in errors]
    return data, content


# Pieces a hostile or careless write-up mixes: each one is whole, so that most mixes compile.
JINJA = [
    "{{ drug.name }}",
    "{{ payer.name }}",
    "{{ drug.name|upper }}",
    "{{ '<script>alert(1)</script>'|safe }}",
    "{{ '<img src=x onerror=alert(1)>' }}",
    "{{ 'javascript:alert(1)' }}",
    "{{ '<iframe src=//evil.test></iframe>'|safe }}",
    "{% autoescape false %}{{ '<a href=javascript:x>' }}{% endautoescape %}",
    "{% if drug.condition %}<b onclick=x>{% endif %}",
    "{% for c in 'ab' %}<scr{{ c }}ipt>{% endfor %}",
    "{% filter safe %}{{ '<object data=x>' }}{% endfilter %}",
    "{# a comment #}",
    "qjxe0xq",
]
MARKDOWN = [
    "[link]({{ 'javascript:alert(1)' }})",
    "[link](javascript:alert(1))",
    "![img]({{ 'data:text/html,x' }})",
    "[ok](https://ok.test/{{ drug.slug }})",
    "**bold {{ drug.name }}**",
    "\n\n- item {{ payer.name }}\n- item\n\n",
    "\n\n| a | b |\n|---|---|\n| {{ drug.name }} | <script>x</script> |\n\n",
    "`code {{ drug.name }}`",
    "\n\n## Heading {{ reason.name }}\n\n",
]
HTML = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<iframe src="https://evil.test"></iframe>',
    "<svg><script>alert(1)</script></svg>",
    "<style>body{}</style>",
    '<a href="{{ drug.slug }}" onmouseover="{{ drug.name }}">x</a>',
    '<div style="background:url(javascript:x)">d</div>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<!-- {{ drug.name }} -->",
    "<img src=\"{{ 'javascript:alert(1)' }}\">",
]
PIECES = st.lists(st.sampled_from(JINJA + MARKDOWN + HTML + ["text", " ", "\n\n"]), max_size=12)


def _guides_showing(root: Path, rel: str) -> list[str] | None:
    """The full HTML of every guide whose write-up is `rel`, rendered as a build renders
    them; None when the site does not load (the write-up's errors, at their lines)."""
    try:
        site = load_site(root)
    except BuildFailed:
        return None
    outputs = SiteOutputs(site)
    pages = []
    for key in site.matrix.all_keys():
        if site.matrix.guide(key).doc.path == rel:
            try:
                pages.append(outputs.guide_output(key).make().decode("utf-8"))
            except SiteError:
                continue  # a file:line error for this page: nothing is published
    return pages


def _body_problems(pages: list[str]) -> list[str]:
    return [p for html in pages for p in unsafe_markup("<body" + html.split("<body", 1)[1])]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pieces=PIECES)
def test_no_mix_of_jinja_markdown_and_html_gets_script_onto_a_page(
    mini_site: Path, pieces: list[str]
) -> None:
    rel = "content/reasons/off-label.md"
    (mini_site / rel).write_text("## Angle\n\n" + "".join(pieces) + "\n", encoding="utf-8")
    pages = _guides_showing(mini_site, rel)
    event("rendered" if pages else "refused at load")
    assert _body_problems(pages or []) == [], pieces


def test_every_piece_of_the_mix_renders_safely_on_its_own(mini_site: Path) -> None:
    """The property above is not vacuous: each piece alone gives pages, all of them safe."""
    rel = "content/reasons/off-label.md"
    for piece in JINJA + MARKDOWN + HTML:
        (mini_site / rel).write_text(f"## Angle\n\nA {piece} B\n", encoding="utf-8")
        pages = _guides_showing(mini_site, rel)
        assert pages, piece
        assert _body_problems(pages) == [], piece


@pytest.mark.parametrize(
    "expression",
    [
        "lipsum.__globals__['os'].environ",
        "cycler.__init__.__globals__",
        "page.__class__.__mro__",
        "''.__class__.__subclasses__()",
        "site.__reduce_ex__(2)",
        "namespace.__init__.__globals__",
        "page.__init__.__globals__",
        "page._replace.__globals__",
        "meta.__class__.__init__.__globals__",
        "page.guide.__class__.__mro__",
        "page|attr('__class__')",
        "asset.__globals__",
    ],
)
def test_site_templates_cannot_reach_python(mini_site: Path, expression: str) -> None:
    template = mini_site / "templates/guide.html"
    lines = template.read_text(encoding="utf-8").split("\n")
    line = next(i for i, text in enumerate(lines) if "{% block main %}" in text) + 2
    lines.insert(line - 1, f"{{{{ {expression} }}}}")
    template.write_text("\n".join(lines), encoding="utf-8")
    for command in ("check", "build"):
        result = run(mini_site, command)
        assert result.exit_code == 1, result.output
        assert re.search(
            rf"templates/guide\.html:{line}: template error: .*unsafe", result.output
        ), result.output
        assert not (mini_site / "output").exists()


def test_the_fast_attribute_path_is_only_for_immutable_view_models() -> None:
    from guidegen.jinja_env import _is_view_type
    from guidegen.models import Site
    from guidegen.pages import GuidePage
    from guidegen.yaml_loader import YList, YMap

    assert _is_view_type(GuidePage) and _is_view_type(Site)
    assert not any(_is_view_type(kind) for kind in (YMap, YList, dict, list, str, type))
