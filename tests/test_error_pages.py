"""Every kind of mistake shows the offending line with its number, in the terminal (`check`
and `build` typed in the site's folder) and on the preview's error page; template errors
speak of the template's names ('page' has no field 'headng'), never of Python classes."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from guidegen.devserver import Preview
from guidegen.errors import SiteError, SourceLocation, with_source_lines

from .conftest import edit, typed

GUIDE_MD = "content/guides/acme/alphamab/step-therapy.md"
DRUG_MD = "content/drugs/alphamab/off-label.md"

# (file, old, new, the error line, the quoted line after it)
CASES = {
    "yaml-syntax": (
        "data/drugs.yaml",
        "  name: Alphamab",
        "  name: [Alphamab",
        "error: data/drugs.yaml:2: YAML syntax error: ",
        "    2 |   name: [Alphamab",
    ),
    "unknown-key": (
        "data/drugs.yaml",
        "  generic_name: alphazumab",
        "  generic_nmae: alphazumab",
        "error: data/drugs.yaml:3: drugs[0]: unknown key 'generic_nmae' "
        "(did you mean 'generic_name'?)",
        "    3 |   generic_nmae: alphazumab",
    ),
    "write-up-field": (
        GUIDE_MD,
        "Acme wants cheaper drugs",
        "{{ drug.nmae }} wants cheaper drugs",
        f"error: {GUIDE_MD}:8: 'drug' has no field 'nmae' (did you mean 'name'?)",
        "    8 | {{ drug.nmae }} wants cheaper drugs tried first.",
    ),
    "write-up-syntax": (
        GUIDE_MD,
        "Acme wants cheaper drugs",
        "{{ drug.name wants cheaper drugs",
        f"error: {GUIDE_MD}:8: template syntax error: ",
        "    8 | {{ drug.name wants cheaper drugs tried first.",
    ),
    "template-field": (
        "templates/guide.html",
        "{{ page.heading }}",
        "{{ page.headng }}",
        "error: templates/guide.html:12: 'page' has no field 'headng' (did you mean 'heading'?)",
        "   12 |   <h1>{{ page.headng }}</h1>",
    ),
    "template-nested-field": (
        "templates/guide.html",
        "{{ guide.reason.lead }}",
        "{{ guide.reason.laed }}",
        "error: templates/guide.html:13: 'guide.reason' has no field 'laed' (did you mean 'lead'?)",
        '   13 |   <p class="lead">{{ guide.reason.laed }}</p>',
    ),
    "template-item": (
        "templates/guide.html",
        "{{ page.heading }}",
        "{{ page['headingg'] }}",
        "error: templates/guide.html:12: 'page' has no field 'headingg' (did you mean 'heading'?)",
        "   12 |   <h1>{{ page['headingg'] }}</h1>",
    ),
    "template-name": (
        "templates/guide.html",
        "{{ page.heading }}",
        "{{ pag.heading }}",
        "error: templates/guide.html:12: 'pag' is undefined (did you mean 'page'?)",
        "   12 |   <h1>{{ pag.heading }}</h1>",
    ),
    "template-field-nothing-close": (
        "templates/guide.html",
        "{{ page.heading }}",
        "{{ page.zzz }}",
        "error: templates/guide.html:12: 'page' has no field 'zzz'",
        "   12 |   <h1>{{ page.zzz }}</h1>",
    ),
    "template-syntax": (
        "templates/guide.html",
        "{{ page.heading }}",
        "{{ page.heading }",
        "error: templates/guide.html:12: template syntax error: unexpected '}'",
        "   12 |   <h1>{{ page.heading }</h1>",
    ),
}


def break_site(site: Path, case: str) -> tuple[str, str]:
    path, old, new, error, quoted = CASES[case]
    edit(site / path, old, new)
    return error, quoted


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["check", "build"])
def test_the_terminal_quotes_the_offending_line(mini_site: Path, case: str, command: str) -> None:
    error, quoted = break_site(mini_site, case)
    result = typed(mini_site, command)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(error))
    if case == "template-field-nothing-close":
        assert lines[at] == error
    assert lines[at + 1] == quoted
    assert "guidegen" not in result.stderr and "object" not in result.stderr
    assert "Traceback" not in result.stderr and "1 problems" not in result.stderr
    assert not (mini_site / "output").exists()


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_error_page_quotes_the_offending_line(mini_site: Path, case: str) -> None:
    error, quoted = break_site(mini_site, case)
    preview = Preview(mini_site)
    answers: list[str] = []
    body = b"".join(
        preview({"PATH_INFO": "/acme/alphamab/step-therapy/"}, lambda s, h: answers.append(s))
    ).decode()
    assert answers == ["500 Internal Server Error"]
    where, _, message = error.removeprefix("error: ").partition(": ")
    assert f"<code>{where}</code>: {html.escape(message.split(' (did you')[0])}" in body
    assert f"<pre>{html.escape(quoted)}</pre>" in body
    assert "guidegen" not in body and " object" not in body
    assert "<h1>1 problem to fix</h1>" in body


def test_a_line_is_read_only_from_files_inside_the_root(mini_site: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("a secret\n", encoding="utf-8")
    errors = [
        SiteError("x", SourceLocation("../secret.txt", 1)),
        SiteError("x", SourceLocation(str(outside), 1)),
        SiteError("x", SourceLocation("data/drugs.yaml", 999)),
        SiteError("x", SourceLocation("data/missing.yaml", 1)),
        SiteError("x", SourceLocation("data/drugs.yaml", 0)),
        SiteError("x", SourceLocation("data/drugs.yaml", 1), source_line="kept"),
        SiteError("x", SourceLocation("data/drugs.yaml", 1)),
    ]
    with_source_lines(errors, mini_site)
    assert [e.source_line for e in errors] == [
        None,
        None,
        None,
        None,
        None,
        "kept",
        "- slug: alphamab",
    ]
    assert errors[-1].context() == "    1 | - slug: alphamab"
    assert errors[0].context() is None
