"""JSON Schemas of the data files and front matter, for editors' completion and checks.

Generated from the same `schema.py` specs the validator uses, so field names, kinds,
required keys and descriptions cannot drift apart; `python build.py schemas` rewrites
them into schemas/, and each data file names its schema on its first line
(`# yaml-language-server: $schema=...`) for VS Code and other editors. Cross-record rules
(unique slugs, known reasons, aliases) stay the validator's: a schema cannot see them.
"""

from __future__ import annotations

import json
from typing import Any

from .schema import (
    DRUG,
    FRONT_MATTER,
    LANG_RE,
    MAX_NAME,
    PAYER,
    PROMO_RE,
    REASON,
    SITE,
    SLUG_RE,
    Field,
    RecordSpec,
)

SCHEMA_DIR = "schemas"
FILES = {
    "site.schema.json": SITE,
    "payers.schema.json": PAYER,
    "drugs.schema.json": DRUG,
    "denial_reasons.schema.json": REASON,
    "front_matter.schema.json": FRONT_MATTER,
}
_SCALARS: dict[str, dict[str, Any]] = {
    "slug": {"type": "string", "pattern": SLUG_RE.pattern},
    "name": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_NAME,
        "pattern": r"^[^\n]*\S[^\n]*\n?$",
    },
    "text": {"type": "string", "pattern": r"\S"},
    "number": {"type": "number", "minimum": 0},
    "url": {"type": "string", "pattern": r"^https?://[^\s/]+[^\s]*$"},
    "base_url": {"type": "string", "pattern": r"^https?://[^\s/?#]+[^\s?#]*$"},
    "language": {"type": "string", "pattern": LANG_RE.pattern},
    "promo": {"type": "string", "pattern": PROMO_RE.pattern},
    "date": {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
    "bool": {"type": "boolean"},
}


def field_schema(spec: Field) -> dict[str, Any]:
    if spec.kind in _SCALARS:
        schema = dict(_SCALARS[spec.kind])
    elif spec.kind == "enum":
        schema = {"enum": list(spec.choices)}
    elif spec.kind in ("slug_list", "text_list"):
        item = _SCALARS["slug" if spec.kind == "slug_list" else "text"]
        schema = {"type": "array", "items": item, "minItems": 1, "uniqueItems": True}
    elif spec.kind == "mapping":
        schema = object_schema(spec.fields)
    else:  # pragma: no cover - every kind of schema.py is covered
        raise ValueError(f"no JSON Schema for field kind {spec.kind}")
    if spec.doc:
        schema["description"] = spec.doc
    return schema


def object_schema(fields: tuple[Field, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [f.name for f in fields if f.required],
        "properties": {f.name: field_schema(f) for f in fields},
    }


def file_schema(name: str, spec: RecordSpec) -> dict[str, Any]:
    record = object_schema(spec.fields)
    body: dict[str, Any] = (
        {"type": "array", "minItems": 1, "items": record} if spec.is_list else record
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{spec.file}: {spec.label}",
        **body,
    }


def schema_files() -> dict[str, str]:
    """File name -> JSON text of every schema (sorted keys, so the output is stable)."""
    return {
        name: json.dumps(file_schema(name, spec), indent=2) + "\n" for name, spec in FILES.items()
    }
