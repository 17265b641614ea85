"""Editors' tools: JSON Schemas that agree with the validator, `new`, `stats`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest

from .conftest import ROOT, edit, run, typed
from .editor_view import schema_accepts, validator_accepts

SITE = (
    "base_url: https://x.test\nsite_name: X\nlanguage: en-US\n"
    "offer: {list_price: 40, first_letter_price: 30, promo_code: SEO25, checkout_url: 'https://x.test/go'}\n"
)
SAMPLES = [
    ("payers", "- slug: cigna\n  name: Cigna\n  aliases: [cigna-old]\n", True),
    ("payers", "- slug: Cigna\n  name: Cigna\n", False),
    ("payers", "- slug: cigna\n  nmae: Cigna\n", False),
    ("payers", "- slug: cigna\n", False),
    ("payers", "- slug: cigna\n  name: ''\n", False),
    ("payers", "- slug: cigna\n  name: Cigna\n  aliases: []\n", False),
    ("payers", "[]\n", False),
    ("payers", "- slug: yes\n  name: Y\n", True),  # YAML 1.2: 'yes' is text
    (
        "drugs",
        "- slug: ocrevus\n  name: Ocrevus\n  benefit: medical\n  reasons: [off-label]\n",
        True,
    ),
    ("drugs", "- slug: ocrevus\n  name: Ocrevus\n  benefit: infusion\n", False),
    ("drugs", "- slug: ocrevus\n  name: 12\n", False),
    ("drugs", "- slug: ocrevus\n  name: Ocrevus\n  reasons: [off-label, off-label]\n", False),
    ("drugs", "- slug: ocrevus\n  name: Ocrevus\n  reasons: off-label\n", False),
    (
        "denial_reasons",
        "- slug: off-label\n  name: Off label\n  title_phrase: as off-label\n  lead: Win.\n",
        True,
    ),
    ("denial_reasons", "- slug: off-label\n  name: Off label\n  lead: Win.\n", False),
    (
        "denial_reasons",
        "- slug: off-label\n  name: Off label\n  title_phrase: x\n  lead: Win.\n  evidence: [a, a]\n",
        False,
    ),
    ("site", SITE, True),
    ("site", SITE + "thin_pages: skip\nhost: cloudflare\ntrust_raw_html: true\n", True),
    ("site", SITE + "thin_pages: sometimes\n", False),
    ("site", SITE.replace("en-US", "English"), False),
    ("site", SITE.replace("https://x.test\n", "x.test\n", 1), False),
    ("site", SITE.replace("list_price: 40", "list_price: -1"), False),
    ("site", SITE + "colour: blue\n", False),
]


@pytest.mark.parametrize(("kind", "text", "valid"), SAMPLES)
def test_schemas_and_validator_agree(kind: str, text: str, valid: bool) -> None:
    assert validator_accepts(kind, text) is valid
    assert schema_accepts(kind, text) is valid


def test_the_sample_data_matches_its_schemas_and_names_them() -> None:
    for kind in ("site", "payers", "drugs", "denial_reasons"):
        text = (ROOT / "data" / f"{kind}.yaml").read_text(encoding="utf-8")
        assert text.startswith(f"# yaml-language-server: $schema=../schemas/{kind}.schema.json\n")
        assert schema_accepts(kind, text)


def test_schemas_are_up_to_date() -> None:
    result = run(ROOT, "schemas", "--check")
    assert result.exit_code == 0, result.output


def test_new_scaffolds_a_write_up_and_never_overwrites(mini_site: Path) -> None:
    page = mini_site / "output/bluebird/betamab/off-label/index.html"
    assert run(mini_site, "build").exit_code == 0
    before = page.read_bytes()
    result = run(mini_site, "new", "bluebird", "betamab", "off-label")
    assert result.exit_code == 0, result.output
    path = mini_site / "content/guides/bluebird/betamab/off-label.md"
    text = path.read_text(encoding="utf-8")
    assert f"updated: {dt.date.today().isoformat()}" in text and "\ndraft: true\n" in text
    assert "## Why {{ payer.short_name }} denies {{ drug.name }}" in text  # names as variables
    assert "Bluebird" not in text and "Betamab" not in text
    assert "## Documents to gather" in text
    checked = run(mini_site, "check")
    assert checked.exit_code == 0, checked.output  # a scaffold is valid as it is
    assert re.search(
        r"draft: content/guides/bluebird/betamab/off-label.md: not published "
        r"\(placeholders to fill at lines \d+, \d+, \d+, \d+, \d+;",
        checked.output,
    )
    assert run(mini_site, "build").exit_code == 0
    assert page.read_bytes() == before  # readers see nothing of the draft
    again = run(mini_site, "new", "bluebird", "betamab", "off-label")
    assert again.exit_code == 1 and "already exists" in again.output
    assert path.read_text(encoding="utf-8") == text


def test_a_scaffold_is_published_only_once_written(mini_site: Path) -> None:
    assert run(mini_site, "new", "bluebird", "betamab", "off-label").exit_code == 0
    path = mini_site / "content/guides/bluebird/betamab/off-label.md"
    text = path.read_text(encoding="utf-8").replace("draft: true\n", "")
    path.write_text(text, encoding="utf-8")
    todo = [n for n, line in enumerate(text.split("\n"), 1) if line.startswith("{# TODO")]
    result = run(mini_site, "check")
    assert result.exit_code == 1
    found = re.findall(
        r"off-label.md:(\d+): a placeholder left by `new` is still empty", result.output
    )
    assert [int(n) for n in found] == todo and len(todo) == 5
    filled = re.sub(r"\{# TODO:[^#]*#\}", "Written by an editor.", text)
    path.write_text(filled, encoding="utf-8")
    assert run(mini_site, "build").exit_code == 0
    html = (mini_site / "output/bluebird/betamab/off-label/index.html").read_text("utf-8")
    assert "Why Bluebird Plans denies Betamab" in html and "Written by an editor." in html


def test_new_never_evaluates_names(mini_site: Path) -> None:
    edit(mini_site / "data/payers.yaml", "name: Bluebird Plans", 'name: "Bluebird {{ 7*7 }}"')
    assert run(mini_site, "new", "bluebird", "betamab", "off-label").exit_code == 0
    path = mini_site / "content/guides/bluebird/betamab/off-label.md"
    text = path.read_text(encoding="utf-8").replace("draft: true\n", "")
    path.write_text(re.sub(r"\{# TODO:[^#]*#\}", "Text.", text), encoding="utf-8")
    assert run(mini_site, "build").exit_code == 0, "build failed"
    html = (mini_site / "output/bluebird/betamab/off-label/index.html").read_text("utf-8")
    assert "Bluebird {{ 7*7 }}" in html and "49" not in html.split("<main", 1)[1]


def test_a_reason_fallback_cannot_be_a_draft(mini_site: Path) -> None:
    path = mini_site / "content/reasons/off-label.md"
    path.write_text("---\ndraft: true\n---\n" + path.read_text("utf-8"), encoding="utf-8")
    result = run(mini_site, "check")
    assert result.exit_code == 1
    assert "content/reasons/off-label.md:2: a reason's fallback write-up cannot be a draft" in (
        result.output
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("bluebrid", "betamab", "off-label"),
            "unknown payer 'bluebrid' (did you mean 'bluebird'?)",
        ),
        (
            ("acme-old", "betamab", "off-label"),
            "unknown payer 'acme-old' ('acme-old' was renamed to 'acme')",
        ),
        (("acme", "betamb", "off-label"), "unknown drug 'betamb' (did you mean 'betamab'?)"),
        (
            ("acme", "alphamab", "quantity-limits"),
            "drug 'alphamab' gets no 'quantity-limits' pages",
        ),
    ],
)
def test_new_refuses_unknown_slugs(
    mini_site: Path, args: tuple[str, str, str], message: str
) -> None:
    result = run(mini_site, "new", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert not (mini_site / "content/guides" / args[0] / args[1] / f"{args[2]}.md").exists()


def test_stats_in_three_formats(mini_site: Path) -> None:
    table = run(mini_site, "stats")
    assert table.exit_code == 0
    assert table.output.startswith("33 guides: 4 indexable, 29 thin")
    assert "content/drugs/betamab/step-therapy.md  -> 3 pages" in table.output
    rows = list(csv.DictReader(io.StringIO(run(mini_site, "stats", "--format", "csv").output)))
    acme = next(r for r in rows if r["kind"] == "payer" and r["slug"] == "acme")
    assert acme == {
        "kind": "payer",
        "slug": "acme",
        "guides": "11",
        "written": "2",
        "fallback": "9",
        "coverage": "0.1818",
    }
    data = json.loads(run(mini_site, "stats", "--format", "json").output)
    assert data["summary"] == {
        "pages": 33,
        "indexable": 4,
        "thin": 29,
        "by_level": {"guide": 1, "drug": 3, "reason": 29},
    }
    missing = [r for r in data["rows"] if r["kind"] == "missing"]
    assert missing[0]["guides"] >= missing[-1]["guides"]


def test_the_scaffold_workflow_as_an_editor_types_it(sample_copy: Path) -> None:
    """docs/editors-guide.md: `new`, `check`, fill in, publish; from the site's folder."""
    page = sample_copy / "output/aetna/ocrevus/step-therapy/index.html"
    assert typed(sample_copy, "build").returncode == 0
    before = page.read_bytes()
    made = typed(sample_copy, "new", "aetna", "ocrevus", "step-therapy")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("Created content/guides/aetna/ocrevus/step-therapy.md as a draft")
    strict = typed(sample_copy, "check", "--strict")
    assert strict.returncode == 0, strict.stdout + strict.stderr  # a draft is no warning
    assert "draft: content/guides/aetna/ocrevus/step-therapy.md: not published" in strict.stdout
    assert typed(sample_copy, "build").returncode == 0
    assert page.read_bytes() == before  # the reason's fallback still shows
    path = sample_copy / "content/guides/aetna/ocrevus/step-therapy.md"
    text = path.read_text(encoding="utf-8").replace("draft: true\n", "")
    path.write_text(re.sub(r"\{# TODO:[^#]*#\}", "Aetna's own words here.", text), "utf-8")
    assert typed(sample_copy, "build").returncode == 0
    assert "Aetna&#39;s own words here." in page.read_text("utf-8") or (
        "Aetna's own words here." in page.read_text("utf-8")
    )
