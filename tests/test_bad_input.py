"""Each class of bad input: a precise `file:line: message`, exit status 1, nothing written."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from .conftest import edit, run


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(path.relative_to(folder).as_posix().encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


# (file to change, exact old text, new text, expected message fragment)
CASES = {
    "yaml-syntax": (
        "data/payers.yaml",
        "  name: Bluebird Plans",
        "  name: [Bluebird Plans",
        "data/payers.yaml:7: YAML syntax error: did not find expected ',' or ']' "
        "(while parsing a flow sequence that starts here; noticed on line 8)",
    ),
    "yaml-tab": (
        "data/payers.yaml",
        "  name: Bluebird Plans",
        "\tname: Bluebird Plans",
        "indent with spaces; YAML does not allow tabs",
    ),
    "duplicate-key": (
        "data/payers.yaml",
        "  name: Bluebird Plans",
        "  name: Bluebird Plans\n  name: Other",
        "data/payers.yaml:8: duplicate key 'name' (first defined on line 7)",
    ),
    "wrong-shape": (
        "data/drugs.yaml",
        "  reasons: [step-therapy, off-label]",
        "  reasons: step-therapy",
        "data/drugs.yaml:8: drugs[0].reasons: must be a list ([a, b]), not str",
    ),
    "wrong-type": (
        "data/site.yaml",
        "  list_price: 40",
        "  list_price: forty",
        "data/site.yaml:6: site.offer.list_price: must be a number, not str",
    ),
    "file-not-a-list": (
        "data/payers.yaml",
        "- slug: acme",
        "payers:\n- slug: acme",
        "data/payers.yaml:1: the file is a plain list of payers",
    ),
    "missing-required": (
        "data/drugs.yaml",
        "- slug: deltanib\n  name: Deltanib",
        "- slug: deltanib",
        "data/drugs.yaml:18: drugs[3]: missing required key 'name'",
    ),
    "unknown-key": (
        "data/drugs.yaml",
        "  generic_name: betazumab",
        "  generic_nmae: betazumab",
        "data/drugs.yaml:11: drugs[1]: unknown key 'generic_nmae' (did you mean 'generic_name'?)",
    ),
    "unknown-site-key": (
        "data/site.yaml",
        "thin_pages: noindex",
        "thin_page: noindex",
        "data/site.yaml:10: site: unknown key 'thin_page' (did you mean 'thin_pages'?)",
    ),
    "bad-choice": (
        "data/site.yaml",
        "thin_pages: noindex",
        "thin_pages: no-index",
        "data/site.yaml:10: site.thin_pages: 'no-index' is not one of: noindex, skip, index "
        "(did you mean 'noindex'?)",
    ),
    "invalid-slug": (
        "data/payers.yaml",
        "- slug: bluebird",
        "- slug: Blue Bird",
        "data/payers.yaml:6: payers[1].slug: 'Blue Bird' is not a valid slug",
    ),
    "non-string-slug": (
        "data/payers.yaml",
        "- slug: bluebird",
        "- slug: true",
        "data/payers.yaml:6: payers[1].slug: was read as a true/false value (True), "
        "not text; put it in quotes",
    ),
    "duplicate-slug": (
        "data/payers.yaml",
        "- slug: cardinal",
        "- slug: bluebird",
        "data/payers.yaml:8: payers: slug 'bluebird' is used twice (first on line 6)",
    ),
    "alias-is-live-slug": (
        "data/payers.yaml",
        "aliases: [acme-old]",
        "aliases: [bluebird]",
        "data/payers.yaml:4: payers: alias 'bluebird' is the slug of a live record",
    ),
    "unknown-reason-ref": (
        "data/drugs.yaml",
        "  reasons: [step-therapy, off-label]",
        "  reasons: [step-therapy, off-lable]",
        "data/drugs.yaml:8: drugs: reasons[1]: unknown denial reason 'off-lable' "
        "(did you mean 'off-label'?)",
    ),
    "unknown-front-matter-key": (
        "content/guides/acme/alphamab/step-therapy.md",
        "reviewed_by:",
        "reviewer:",
        "content/guides/acme/alphamab/step-therapy.md:3: front matter: unknown key "
        "'reviewer' (did you mean 'reviewed_by'?)",
    ),
    "bad-front-matter-date": (
        "content/guides/acme/alphamab/step-therapy.md",
        "updated: 2026-11-01",
        "updated: next week",
        "content/guides/acme/alphamab/step-therapy.md:2: front matter.updated: must be a date",
    ),
    "unknown-template-variable": (
        "content/reasons/off-label.md",
        "{{ payer.short_name }}",
        "{{ payr.short_name }}",
        "content/reasons/off-label.md:3: unknown variable 'payr' (did you mean 'payer'?)",
    ),
    "unknown-template-field": (
        "content/reasons/off-label.md",
        "{{ drug.name }}",
        "{{ drug.brand }}",
        "content/reasons/off-label.md:3: 'drug' has no field 'brand'",
    ),
    "content-template-syntax": (
        "content/reasons/off-label.md",
        "{{ drug.name }}",
        "{{ drug.name }",
        "content/reasons/off-label.md:3: template syntax error",
    ),
    "empty-optional-field": (
        "content/reasons/off-label.md",
        "{% if drug.condition %} for {{ drug.condition }}{% endif %}",
        " for {{ drug.condition }}",
        "content/reasons/off-label.md:3: prints a field that is empty for this page",
    ),
    "list-run-into-paragraph": (
        "content/reasons/off-label.md",
        "\n1. First step",
        "1. First step",
        "content/reasons/off-label.md:4: this list follows a paragraph line",
    ),
    "site-template-syntax": (
        "templates/guide.html",
        "{% block main %}",
        "{% block main %}{% if %}",
        "templates/guide.html:{line}: template syntax error",
    ),
    "site-template-undefined": (
        "templates/guide.html",
        "<h1>{{ page.heading }}</h1>",
        "<h1>{{ page.headline }}</h1>",
        "templates/guide.html:{line}: 'page' has no field 'headline' (did you mean 'heading'?)",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["check", "build"])
def test_bad_input_is_reported_with_its_place(mini_site: Path, case: str, command: str) -> None:
    path, old, new, expected = CASES[case]
    edit(mini_site / path, old, new)
    expected = expected.replace("{line}", str(line_of_text(mini_site / path, new)))
    out = mini_site / "output"
    result = run(mini_site, command)
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert "nothing was written" in result.output
    assert not out.exists()


def line_of_text(path: Path, text: str) -> int:
    """The line on which `text` starts in a file (template lines move as templates change)."""
    source = path.read_text(encoding="utf-8")
    return source[: source.index(text)].count("\n") + 1


def content_case(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("rel", "text", "expected"),
    [
        (
            "content/guides/acme/alphamb/step-therapy.md",
            "## x\n\ntext\n",
            "content/guides/acme/alphamb/step-therapy.md:1: the path names an unknown drug 'alphamb' "
            "(did you mean 'alphamab'?)",
        ),
        (
            "content/guides/acme-old/alphamab/step-therapy.md",
            "## x\n\ntext\n",
            "unknown payer 'acme-old' ('acme-old' was renamed to 'acme'; move the file)",
        ),
        (
            "content/drugs/alphamab/quantity-limits.md",
            "## x\n\ntext\n",
            "content/drugs/alphamab/quantity-limits.md:1: drug 'alphamab' gets no 'quantity-limits' pages",
        ),
        (
            "content/reasons/prior-auth.md",
            "## x\n\ntext\n",
            "content/reasons/prior-auth.md:1: the path names an unknown denial reason 'prior-auth'",
        ),
        ("content/notes.md", "text\n", "content/notes.md: a write-up in an unexpected place"),
        (
            "content/guides/acme/betamab/step-therapy.md",
            "---\ntitle: [x\n---\nbody\n",
            "content/guides/acme/betamab/step-therapy.md:2: YAML syntax error: did not find "
            "expected ',' or ']' (while parsing a flow sequence that starts here; noticed on line 3)",
        ),
        (
            "content/guides/acme/betamab/step-therapy.md",
            "---\n- a\n- b\n---\nbody\n",
            "content/guides/acme/betamab/step-therapy.md:2: front matter must be a mapping",
        ),
        (
            "content/guides/acme/betamab/step-therapy.md",
            "---\nupdated: 2026-01-01\nbody\n",
            "content/guides/acme/betamab/step-therapy.md:1: front matter is not closed",
        ),
        (
            "content/guides/acme/betamab/step-therapy.md",
            "# Title\n\nbody\n",
            "content/guides/acme/betamab/step-therapy.md:1: a level-1 heading in a write-up",
        ),
    ],
    ids=[
        "unknown-drug",
        "renamed-payer",
        "excluded-reason",
        "unknown-reason",
        "stray-file",
        "front-matter-syntax",
        "front-matter-not-mapping",
        "front-matter-unclosed",
        "h1-in-body",
    ],
)
def test_bad_content_paths_and_files(mini_site: Path, rel: str, text: str, expected: str) -> None:
    content_case(mini_site, rel, text)
    result = run(mini_site, "check")
    assert result.exit_code == 1
    assert expected in result.output


def test_reason_without_fallback(mini_site: Path) -> None:
    (mini_site / "content/reasons/quantity-limits.md").unlink()
    result = run(mini_site, "check")
    assert result.exit_code == 1
    assert (
        "data/denial_reasons.yaml:11: denial reason 'quantity-limits' has no fallback write-up "
        "(create content/reasons/quantity-limits.md)"
    ) in result.output


def test_missing_data_file(mini_site: Path) -> None:
    (mini_site / "data/drugs.yaml").unlink()
    result = run(mini_site, "check")
    assert result.exit_code == 1
    assert "data/drugs.yaml: file is missing" in result.output


def test_not_utf8(mini_site: Path) -> None:
    (mini_site / "data/payers.yaml").write_bytes(b"- slug: acme\n  name: Caf\xe9\n")
    result = run(mini_site, "check")
    assert result.exit_code == 1
    assert "data/payers.yaml:2: file is not valid UTF-8" in result.output


def test_alias_bomb_fails_fast(mini_site: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    (mini_site / "data/site.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(mini_site, "check")
    assert result.exit_code == 1
    assert "data/site.yaml:" in result.output
    assert "YAML expands to more than" in result.output


def test_every_error_is_reported_at_once(mini_site: Path) -> None:
    edit(mini_site / "data/payers.yaml", "- slug: bluebird", "- slug: Blue Bird")
    edit(mini_site / "data/drugs.yaml", "  generic_name: betazumab", "  generic_nmae: betazumab")
    edit(mini_site / "content/reasons/off-label.md", "{{ drug.name }}", "{{ drug.brand }}")
    result = run(mini_site, "check")
    assert result.exit_code == 1
    assert "data/payers.yaml:6:" in result.output
    assert "data/drugs.yaml:11:" in result.output
    assert "content/reasons/off-label.md:3:" in result.output
    assert "3 errors; nothing was written." in result.output


def test_failed_build_leaves_previous_output_untouched(mini_site: Path) -> None:
    assert run(mini_site, "build").exit_code == 0
    out = mini_site / "output"
    before = tree_digest(out)
    edit(
        mini_site / "templates/guide.html",
        "<h1>{{ page.heading }}</h1>",
        "<h1>{{ page.headline }}</h1>",
    )
    result = run(mini_site, "build")
    assert result.exit_code == 1
    assert tree_digest(out) == before
    assert not list(mini_site.glob(".output.staging-*"))


def test_refuses_to_replace_a_folder_it_did_not_make(mini_site: Path) -> None:
    out = mini_site / "precious"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    result = run(mini_site, "build", "--out", str(out))
    assert result.exit_code == 1
    assert "refusing to replace" in result.output
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_bad_usage_exits_2(mini_site: Path) -> None:
    assert run(mini_site, "build", "--no-such-option").exit_code == 2


def test_template_errors_are_reported_even_when_data_fails(mini_site: Path) -> None:
    edit(mini_site / "data/payers.yaml", "- slug: bluebird", "- slug: Blue Bird")
    edit(mini_site / "templates/hub.html", "{% block main %}", "{% block main %}{% endfor %}")
    line = line_of_text(mini_site / "templates/hub.html", "{% endfor %}")
    result = run(mini_site, "check")
    assert result.exit_code == 1
    assert "data/payers.yaml:6:" in result.output
    assert f"templates/hub.html:{line}: template syntax error" in result.output


def test_unwritable_output_is_an_error_not_a_traceback(mini_site: Path) -> None:
    blocker = mini_site / "blocker"
    blocker.write_text("a file where a folder is needed", encoding="utf-8")
    result = run(mini_site, "build", "--out", str(blocker / "out"))
    assert result.exit_code == 1
    assert "cannot write the output: Not a directory" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1.0", "payers[1].slug: was read as a number (1.0), not text; put it in quotes"),
        ("null", "payers[1].slug: is empty"),
        ("0x10", "payers[1].slug: was read as a number (16), not text; put it in quotes"),
    ],
)
def test_slugs_that_yaml_reads_as_something_else(mini_site: Path, value: str, message: str) -> None:
    edit(mini_site / "data/payers.yaml", "- slug: bluebird", f"- slug: {value}")
    result = run(mini_site, "check")
    assert result.exit_code == 1
    assert f"data/payers.yaml:6: {message}" in result.output


def test_huge_data_file_is_refused_quickly(mini_site: Path) -> None:
    path = mini_site / "data/payers.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "#" * (11 * 1024 * 1024), encoding="utf-8")
    result = run(mini_site, "check")
    assert result.exit_code == 1
    assert "data/payers.yaml: file is 11,534," in result.output
    assert "over the 10,485,760-byte limit for a source file" in result.output


def test_write_up_not_utf8_or_too_big(mini_site: Path) -> None:
    (mini_site / "content/reasons/off-label.md").write_bytes(b"## T\n\nCaf\xe9\n")
    (mini_site / "content/reasons/step-therapy.md").write_text(
        "x" * (1024 * 1024 + 1), encoding="utf-8"
    )
    result = run(mini_site, "check")
    assert result.exit_code == 1
    assert "content/reasons/off-label.md:3: file is not valid UTF-8 (byte 0xe9" in result.output
    assert (
        "content/reasons/step-therapy.md: file is 1,048,577 bytes, over the 1,048,576-byte limit"
        in result.output
    )
