"""Write-ups: cascade, front matter, Markdown rendering, template names, escaping, sandbox."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from guidegen import writeup as write_ups
from guidegen.content import load_content
from guidegen.data import load_site_data
from guidegen.errors import ErrorCollector
from guidegen.markup import lint, markdown_to_template_source
from guidegen.models import ContentLevel
from guidegen.sitemodel import load_site
from guidegen.templating import page_names

from .conftest import ROOT, edit


def load(root: Path):  # type: ignore[no-untyped-def]
    errors = ErrorCollector()
    data = load_site_data(root, errors)
    content = load_content(root, data, errors)
    assert not errors, [e.render() for e in errors]
    assert data is not None
    return data, content


def test_cascade_takes_the_most_specific_write_up(mini_site: Path) -> None:
    _, content = load(mini_site)
    assert content.find("acme", "alphamab", "step-therapy").level is ContentLevel.GUIDE  # type: ignore[union-attr]
    assert content.find("bluebird", "alphamab", "off-label").level is ContentLevel.DRUG  # type: ignore[union-attr]
    assert content.find("bluebird", "alphamab", "step-therapy").level is ContentLevel.REASON  # type: ignore[union-attr]
    assert content.has_specific("acme", "alphamab", "step-therapy")
    assert not content.has_specific("bluebird", "betamab", "step-therapy")


def test_front_matter_is_typed(mini_site: Path) -> None:
    _, content = load(mini_site)
    doc = content.find("acme", "alphamab", "step-therapy")
    assert doc.front.updated == dt.date(2026, 11, 1)
    assert doc.front.reviewed_by == "Test Reviewer"
    assert doc.body_line == 6


def test_body_renders_names_escaped(mini_site: Path) -> None:
    edit(
        mini_site / "data/payers.yaml",
        "  short_name: Acme",
        '  short_name: "Acme <script>alert(1)</script> & Co"',
    )
    data, content = load(mini_site)
    doc = content.doc(content.reasons["step-therapy"])
    html = doc.render_body(page_names(data.payers[0], data.drugs[0], data.reasons[0], data.site))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co denied Alphamab for test disease" in html
    assert "<script>" not in html


def test_markdown_features() -> None:
    html = markdown_to_template_source(
        "## Heading {{ drug.name }}\n\n| A | B |\n|---|---|\n| {{ x|upper }} | 2 |\n\n"
        "1. one\n2. two\n    - nested\n\n{% if drug.condition %}\n\nCond.\n\n{% endif %}\n"
    ).source
    assert "<h3>Heading {{ drug.name }}</h3>" in html
    assert "<td>{{ x|upper }}</td>" in html
    assert "<ol>\n<li>one</li>\n<li>two<ul>\n<li>nested</li>" in html
    assert "{% if drug.condition %}\n<p>Cond.</p>\n{% endif %}" in html


def test_lint_finds_what_markdown_would_mangle() -> None:
    issues = lint("Intro line\n- item\n- item\n\n- a\n  - b\n\nText\n| a |\n", first_line=10)
    assert [(i.line, i.message.split(",")[0]) for i in issues] == [
        (11, "this list follows a paragraph line without a blank line"),
        (15, "nested list item indented by 2 space(s)"),
        (18, "this table follows a paragraph line without a blank line"),
    ]
    assert lint("```\nText\n- not a list\n```\n") == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{{ drug.__class__ }}", "'drug' has no field '__class__'"),
        ("{% include 'x.html' %}", "write-ups cannot include or import templates"),
        ("{{ cycler.__init__.__globals__ }}", "content/reasons/off-label.md:"),
    ],
)
def test_write_ups_cannot_reach_python(mini_site: Path, body: str, message: str) -> None:
    (mini_site / "content/reasons/off-label.md").write_text(f"## T\n\n{body}\n", encoding="utf-8")
    errors = ErrorCollector()
    data = load_site_data(mini_site, errors)
    content = load_content(mini_site, data, errors)
    from guidegen.content import check_renders

    if not errors and data is not None:
        check_renders(content, data, errors)
    assert any(message in e.render() for e in errors), [e.render() for e in errors]


def test_word_count_ignores_markup(mini_site: Path) -> None:
    _, content = load(mini_site)
    doc = content.doc(content.drugs[("alphamab", "off-label")])
    assert doc.words == 7  # "Alphamab off-label at" + "A drug-level write-up for" (tags dropped)


def test_plain_write_ups_skip_the_sandbox_and_others_keep_it(mini_site: Path) -> None:
    from jinja2.sandbox import SandboxedEnvironment

    guide = mini_site / "content/guides/acme/alphamab/step-therapy.md"
    _, content = load(mini_site)
    plain = content.find("acme", "alphamab", "step-therapy")
    assert not isinstance(plain.body.template.environment, SandboxedEnvironment)
    guide.write_text(
        "## T\n\n{% for word in drug.name.split() %}{{ word.upper() }}{% endfor %}\n",
        encoding="utf-8",
    )
    _, content = load(mini_site)
    guarded = content.find("acme", "alphamab", "step-therapy")
    assert isinstance(guarded.body.template.environment, SandboxedEnvironment)


def test_bodies_are_read_again_when_rendered_and_must_be_what_was_checked(
    mini_site: Path,
) -> None:
    """Write-ups keep no body in memory; the bytes read to render are the ones checked."""
    from guidegen.errors import SiteError

    _, content = load(mini_site)
    doc = content.find("acme", "alphamab", "step-therapy")
    assert doc is not None and "source" not in vars(doc)
    assert doc.source.strip() and doc.source in (mini_site / doc.path).read_text()
    (mini_site / doc.path).write_text(
        (mini_site / doc.path).read_text() + "\nAdded later.\n", encoding="utf-8"
    )
    with pytest.raises(SiteError, match="changed while the site was being built"):
        _ = doc.body


def test_the_load_check_leaves_no_compiled_write_up_behind() -> None:
    """A build's workers are forked after the check: they should not each inherit the
    templates it compiled, only compile the ones their pages use."""
    site = load_site(ROOT)
    assert write_ups._compiled_body.cache_info().currsize == 0
    assert write_ups._compiled_front.cache_info().currsize == 0
    key = next(iter(site.matrix.all_keys()))
    guide = site.matrix.guide(key)
    assert "<" in guide.doc.render_body(
        page_names(guide.payer, guide.drug, guide.reason, site.data.site)
    )
    assert write_ups._compiled_body.cache_info().currsize == 1
