"""YAML and JSON Schemas as an editor sees them, to compare with what `check` says.

VS Code's YAML extension parses with a YAML 1.2 parser and the core schema (no
timestamps: a date is a string) and validates with JSON Schema. Here ruamel.yaml reads
the text with the core schema's resolution table, transcribed from the YAML 1.2.2 spec
(10.3.2); ruamel's default 1.2 mode goes beyond the core schema (timestamps, 1_000,
0b11), which `ruamel_default` keeps for the comparison that shows it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import jsonschema
from ruamel.yaml import YAML
from ruamel.yaml.resolver import BaseResolver

from guidegen.editor_schemas import schema_files
from guidegen.errors import ErrorCollector
from guidegen.records import build_drugs, build_payers, build_reasons, build_site
from guidegen.schema import FRONT_MATTER, RecordChecker
from guidegen.yaml_loader import parse_yaml

# YAML 1.2.2, 10.3.2: the core schema's tag resolution (plus the merge key).
_CORE = (
    ("null", r"~|null|Null|NULL|", [*"~nN", ""]),
    ("bool", r"true|True|TRUE|false|False|FALSE", list("tTfF")),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", list("-+0123456789")),
    (
        "float",
        r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)",
        list("-+.0123456789"),
    ),
    ("merge", r"<<", ["<"]),
)


class CoreResolver(BaseResolver):
    """ruamel.yaml's resolver reduced to the YAML 1.2 core schema."""

    def __init__(self, version: Any = None, loader: Any = None) -> None:
        super().__init__(loader)

    @property
    def processing_version(self) -> Any:
        return (1, 2)


for _name, _pattern, _first in _CORE:
    CoreResolver.add_implicit_resolver_base(
        f"tag:yaml.org,2002:{_name}", re.compile(f"^(?:{_pattern})$"), _first
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):  # only an explicit !!timestamp gets here
        return value.isoformat()
    return value


def editor_load(text: str) -> Any:
    """The value the editor's YAML 1.2 core-schema parser reads."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Resolver = CoreResolver
    return _plain(yaml.load(text))


def ruamel_default(text: str) -> Any:
    """ruamel.yaml in its default (YAML 1.2, safe) mode."""
    return YAML(typ="safe", pure=True).load(text)


def schema_problems(kind: str, text: str) -> list[str]:
    """What the editor's JSON Schema validation reports (with format checks)."""
    schema = json.loads(schema_files()[f"{kind}.schema.json"])
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return [error.message for error in validator.iter_errors(editor_load(text))]


def schema_accepts(kind: str, text: str) -> bool:
    return not schema_problems(kind, text)


def check_messages(kind: str, text: str) -> list[str]:
    """What `check`'s validation of one file reports."""
    errors = ErrorCollector()
    display = "content/x.md" if kind == "front_matter" else f"data/{kind}.yaml"
    value = parse_yaml(text, display)
    if kind == "payers":
        build_payers(value, errors)
    elif kind == "drugs":
        build_drugs(value, ["step-therapy", "off-label"], errors)
    elif kind == "denial_reasons":
        build_reasons(value, errors)
    elif kind == "site":
        build_site(value, errors)
    else:
        checker = RecordChecker(FRONT_MATTER, errors, file=display)
        for record, label in checker.records(value):
            checker.fields(record, label, FRONT_MATTER.fields)
    return [error.render() for error in errors]


def validator_accepts(kind: str, text: str) -> bool:
    return not check_messages(kind, text)
