"""The JSON Schemas, read as an editor reads YAML (1.2), agree with `check` (issue 20 item 6).

Each variant is one value in one field: `check` (the loader and the validator) and the
schema (a YAML 1.2 core-schema parser, then JSON Schema validation) must both accept it
or both refuse it; the schema patterns must behave the same in ECMAScript (the editor's
regex engine, through Node.js) as in Python.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from guidegen import yaml_loader
from guidegen.editor_schemas import schema_files
from guidegen.yaml_loader import parse_yaml

from .conftest import ROOT, run
from .editor_view import (
    check_messages,
    editor_load,
    ruamel_default,
    schema_accepts,
    schema_problems,
    validator_accepts,
)

SITE = (
    "base_url: {base_url}\nsite_name: {site_name}\nlanguage: {language}\n"
    "trust_raw_html: {trust_raw_html}\n"
    "offer:\n  list_price: {list_price}\n  first_letter_price: 0.01\n"
    "  promo_code: {promo_code}\n  checkout_url: {checkout_url}\n"
)
SITE_DEFAULTS = {
    "base_url": "https://x.test",
    "site_name": "X",
    "language": "en-US",
    "trust_raw_html": "false",
    "list_price": "40",
    "promo_code": "SEO25",
    "checkout_url": "https://x.test/go",
}
TEMPLATES = {
    "payers": (
        "- slug: {slug}\n  name: {name}\n  short_name: {short_name}\n",
        {"slug": "cigna", "name": "Cigna", "short_name": "Cigna"},
    ),
    "drugs": (
        "- slug: ocrevus\n  name: {name}\n  reasons: [{reason}]\n",
        {"name": "Ocrevus", "reason": "off-label"},
    ),
    "denial_reasons": (
        "- slug: off-label\n  name: Off label\n  title_phrase: {title_phrase}\n  lead: {lead}\n",
        {"title_phrase": "as off-label", "lead": "Win."},
    ),
    "front_matter": (
        "title: {title}\ndescription: {description}\nupdated: {updated}\nnoindex: {noindex}\n",
        {"title": "T", "description": "D", "updated": "2026-11-01", "noindex": "false"},
    ),
    "site": (SITE, SITE_DEFAULTS),
}

# (file, field, YAML text of the value, whether both accept it)
VARIANTS = [
    ("payers", "slug", "yes", True),
    ("payers", "slug", "no", True),
    ("payers", "slug", "on", True),
    ("payers", "slug", "2026-01-01", True),
    ("payers", "slug", "No", False),
    ("payers", "slug", "true", False),
    ("payers", "slug", "True", False),
    ("payers", "slug", "TRUE", False),
    ("payers", "slug", "~", False),
    ("payers", "slug", "null", False),
    ("payers", "slug", "0x10", False),
    ("payers", "slug", "017", False),
    ("payers", "slug", "1_000", False),
    ("payers", "slug", "1:30", False),
    ("payers", "slug", r'"cigna\n"', False),
    ("payers", "slug", r'"cigna\r"', False),
    ("payers", "slug", r'"cig\tna"', False),
    ("payers", "slug", '" cigna"', False),
    ("payers", "slug", r'"cig\0na"', False),
    ("payers", "slug", "c" * 100, True),
    ("payers", "slug", "c" * 101, False),
    ("payers", "name", "No", True),
    ("payers", "name", "2026-01-01", True),
    ("payers", "name", "1:30", True),
    ("payers", "name", "1_000", True),
    ("payers", "name", "0b11", True),
    ("payers", "name", "y", True),
    ("payers", "name", ".5", False),
    ("payers", "name", "+1", False),
    ("payers", "name", "0o17", False),
    ("payers", "name", "1e2", False),
    ("payers", "name", "FALSE", False),
    ("payers", "name", "''", False),
    ("payers", "name", "' '", False),
    ("payers", "name", r'"Cigna\n"', False),
    ("payers", "name", r'"Ci\tgna"', False),
    ("payers", "name", r'"Ci\egna"', False),
    ("payers", "name", r'"Ci\x85gna"', False),
    ("payers", "name", r'"Ci\x7fgna"', False),
    ("payers", "name", r'"Ci\u202Egna"', False),
    ("payers", "name", r'"Ci\u2069gna"', False),
    ("payers", "name", r'"Ci\u2028gna"', False),
    ("payers", "name", r'"Ci\uFEFFgna"', False),
    ("payers", "name", '"Caf\u00e9 \u00c9tudes"', True),
    ("payers", "name", "x" * 120, True),
    ("payers", "name", "x" * 121, False),
    ("payers", "short_name", "NO", True),
    ("drugs", "name", "Off", True),
    ("drugs", "reason", "step-therapy", True),
    ("drugs", "reason", "yes", False),  # a good slug, but not a known reason: check only
    ("denial_reasons", "title_phrase", "for failing step therapy", True),
    ("denial_reasons", "lead", r'"line one\nline two\tand a tab"', True),
    ("denial_reasons", "lead", r'"bad\u202Elead"', False),
    ("denial_reasons", "lead", r'"bad\rlead"', False),
    ("site", "language", "no", True),
    ("site", "language", "nb-NO", True),
    ("site", "language", "NO", False),
    ("site", "language", r'"en-US\n"', False),
    ("site", "promo_code", "NO", True),
    ("site", "promo_code", "yes", True),
    ("site", "promo_code", r'"SEO25\n"', False),
    ("site", "promo_code", "1e2", False),
    ("site", "promo_code", "~", False),
    ("site", "list_price", "1e2", True),
    ("site", "list_price", ".5", True),
    ("site", "list_price", "+1", True),
    ("site", "list_price", "0x10", True),
    ("site", "list_price", "0o17", True),
    ("site", "list_price", "017", True),
    ("site", "list_price", "100000", True),
    ("site", "list_price", "100001", False),
    ("site", "list_price", "1_000", False),
    ("site", "list_price", "1:30", False),
    ("site", "list_price", "2026-01-01", False),
    ("site", "list_price", ".nan", False),
    ("site", "list_price", ".inf", False),
    ("site", "list_price", "-.inf", False),
    ("site", "list_price", "-1", False),
    ("site", "list_price", "0", False),
    ("site", "list_price", "'40'", False),
    ("site", "list_price", "true", False),
    ("site", "list_price", "~", False),
    ("site", "trust_raw_html", "true", True),
    ("site", "trust_raw_html", "True", True),
    ("site", "trust_raw_html", "FALSE", True),
    ("site", "trust_raw_html", "yes", False),
    ("site", "trust_raw_html", "on", False),
    ("site", "trust_raw_html", "y", False),
    ("site", "trust_raw_html", "1", False),
    ("site", "trust_raw_html", "~", False),
    ("site", "base_url", "https://x.test/", True),
    ("site", "base_url", "http://localhost:8000/docs", True),
    ("site", "base_url", "HTTPS://x.test", False),
    ("site", "base_url", "https://user:pw@x.test", False),
    ("site", "base_url", "https://x.test/?q=1", False),
    ("site", "base_url", "https://x.test/#top", False),
    ("site", "base_url", "'https://x.test/a b'", False),
    ("site", "base_url", r'"https://x.test\n"', False),
    ("site", "base_url", "https://", False),
    ("site", "base_url", "x.test", False),
    ("site", "checkout_url", "https://x.test/go?src=guide#top", True),
    ("site", "checkout_url", "https://pay@x.test/go", False),
    ("site", "checkout_url", "Http://x.test/go", False),
    ("site", "checkout_url", "//x.test/go", False),
    ("site", "checkout_url", r'"https://x.test/g\u202Eo"', False),
    ("front_matter", "updated", "2026-11-01", True),
    ("front_matter", "updated", "'2026-11-01'", True),
    ("front_matter", "updated", "2026-13-01", False),
    ("front_matter", "updated", "2026-02-30", False),
    ("front_matter", "updated", "2026-11-01 10:00", False),
    ("front_matter", "updated", "20261101", False),
    ("front_matter", "updated", r'"2026-11-01\n"', False),
    ("front_matter", "noindex", "yes", False),
    ("front_matter", "noindex", "TRUE", True),
    ("front_matter", "title", "2026-01-01", True),
    ("front_matter", "title", "off", True),
    ("front_matter", "description", r'"two\nlines"', True),
    ("front_matter", "description", r'"bad\0"', False),
]
# Rules a schema cannot express: the validator's alone, so the verdicts differ on purpose.
CROSS_RECORD_ONLY = {("drugs", "reason", "yes")}


def text_of(kind: str, field: str, value: str) -> str:
    template, defaults = TEMPLATES[kind]
    return template.format(**{**defaults, field: value})


@pytest.mark.parametrize(("kind", "field", "value", "valid"), VARIANTS)
def test_editor_and_check_agree(kind: str, field: str, value: str, valid: bool) -> None:
    text = text_of(kind, field, value)
    assert validator_accepts(kind, text) is valid, check_messages(kind, text)
    if (kind, field, value) in CROSS_RECORD_ONLY:
        assert schema_accepts(kind, text)
        return
    assert schema_accepts(kind, text) is valid, schema_problems(kind, text)


def test_the_variants_cover_every_file_and_the_defaults_are_valid() -> None:
    assert {kind for kind, *_ in VARIANTS} == set(TEMPLATES)
    for kind, (template, defaults) in TEMPLATES.items():
        text = template.format(**defaults)
        assert validator_accepts(kind, text) and schema_accepts(kind, text), kind


SCALARS = [
    "yes",
    "No",
    "no",
    "NO",
    "on",
    "Off",
    "y",
    "n",
    "true",
    "True",
    "TRUE",
    "false",
    "FALSE",
    "~",
    "null",
    "Null",
    "NULL",
    "",
    "0x10",
    "0o17",
    "017",
    "+1",
    "-1",
    ".5",
    "1.",
    "1e2",
    "-1.5E-3",
    ".inf",
    "-.Inf",
    "+.INF",
    ".nan",
    ".NaN",
    "1:30",
    "190:20:30",
    "0b11",
    "1_000",
    "2026-01-01",
    "2026-01-01 10:00:00",
    "'yes'",
    "0x1F",
    "-0x10",
    "<<x",
]
# Where ruamel.yaml's default mode reads more than the YAML 1.2 core schema does.
RUAMEL_EXTRAS = {"0b11", "1_000", "-0x10", "2026-01-01", "2026-01-01 10:00:00"}


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("scalar", SCALARS)
def test_the_loader_reads_plain_values_as_yaml_12_parsers_do(scalar: str) -> None:
    ours = parse_yaml(f"a: {scalar}\n", "x.yaml")["a"]
    assert same(ours, editor_load(f"a: {scalar}\n")["a"]), ours
    theirs = ruamel_default(f"a: {scalar}\n")["a"]
    if scalar in RUAMEL_EXTRAS:
        assert isinstance(ours, str) and not isinstance(theirs, str)
    else:
        assert same(ours, theirs), (ours, theirs)


def test_the_loader_still_uses_libyaml() -> None:
    assert yaml.__with_libyaml__
    assert issubclass(yaml_loader._Loader, yaml.CSafeLoader)
    assert yaml_loader._Loader("a: 1").__class__.__mro__[1] is yaml.CSafeLoader


def test_the_data_files_stay_as_they_were_read() -> None:
    """The sample data reads the same under YAML 1.2 as it did under 1.1, but for what
    was a mistake before (no value of it was a date, a yes/no or a sexagesimal number)."""
    for name in ("site", "payers", "drugs", "denial_reasons"):
        text = (ROOT / "data" / f"{name}.yaml").read_text(encoding="utf-8")
        assert parse_yaml(text, name) == yaml.safe_load(text), name


def _patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return found + [p for value in node.values() for p in _patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in _patterns(value)]
    return []


PROBES = [
    "cigna",
    "cigna\n",
    "cigna\r\n",
    "\ncigna",
    "en-US",
    "en-US\n",
    "SEO25",
    "SEO25\n",
    "https://x.test",
    "https://x.test\n",
    "https://x.test/a b",
    "https://u@x.test",
    "Cigna",
    "Cigna\n",
    " ",
    "",
    "Ci\u202egna",
    "Ci\u2028gna",
    "Ci\ufeffgna",
    "Ci\x85gna",
    "Ci\tgna",
    "2026-11-01",
    "2026-11-01\n",
    "two\nlines",
    "\u00a0",
    "x\u3000",
    "caf\u00e9",
]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_schema_patterns_match_the_same_in_ecmascript_and_python() -> None:
    """The editor compiles patterns as ECMAScript with the 'u' flag; jsonschema uses
    Python's `re.search`. Both must give every probe the same verdict."""
    import re

    patterns = sorted({p for text in schema_files().values() for p in _patterns(json.loads(text))})
    script = (
        "const [patterns, probes] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(patterns.map(p => probes.map(s => new RegExp(p, 'u').test(s)))));"
    )
    result = subprocess.run(
        ["node", "-e", script],
        input=json.dumps([patterns, PROBES]),
        capture_output=True,
        text=True,
        check=True,
    )
    ecmascript = json.loads(result.stdout)
    python = [[re.search(p, s) is not None for s in PROBES] for p in patterns]
    assert ecmascript == python
    slug = next(p for p in patterns if "a-z0-9]+(-" in p)
    assert ecmascript[patterns.index(slug)][:4] == [True, False, False, False]


def test_vscode_maps_each_data_file_to_its_schema() -> None:
    settings = json.loads((ROOT / ".vscode/settings.json").read_text(encoding="utf-8"))
    assert settings["yaml.yamlVersion"] == "1.2"
    mapping = settings["yaml.schemas"]
    for name in ("site", "payers", "drugs", "denial_reasons"):
        assert mapping[f"schemas/{name}.schema.json"] == f"data/{name}.yaml"
        assert f"{name}.schema.json" in schema_files()
        assert (ROOT / "data" / f"{name}.yaml").is_file()


def test_schemas_check_says_missing_or_out_of_date(tmp_path: Path) -> None:
    assert run(tmp_path, "schemas").exit_code == 0
    (tmp_path / "schemas/payers.schema.json").unlink()
    drugs = tmp_path / "schemas/drugs.schema.json"
    drugs.write_text(drugs.read_text(encoding="utf-8") + " ", encoding="utf-8")
    result = run(tmp_path, "schemas", "--check")
    assert result.exit_code == 1
    assert result.output == (
        "error: schemas/payers.schema.json: missing; schemas/drugs.schema.json: out of date "
        "(run: python build.py schemas)\n"
    )
    assert not (tmp_path / "schemas/payers.schema.json").exists()  # --check writes nothing
    result = run(tmp_path, "schemas")
    assert result.exit_code == 0 and "(2 updated)" in result.output
    assert run(tmp_path, "schemas", "--check").exit_code == 0
