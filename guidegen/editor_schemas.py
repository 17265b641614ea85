"""JSON Schemas of the data files and front matter, for editors' completion and checks.

Generated from the same `schema.py` specs the validator uses, so field names, kinds,
required keys and descriptions cannot drift apart; `python build.py schemas` rewrites
them into schemas/, and each data file names its schema on its first line
(`# yaml-language-server: $schema=...`) for VS Code and other editors. Cross-record rules
(unique slugs, known reasons, aliases) stay the validator's: a schema cannot see them.
The patterns are the validator's own (`values.py`), anchored so that ECMAScript (the
editor) and Python (`jsonschema`) match them whole, never before a final newline.
"""

from __future__ import annotations

import json
from typing import Any

from .schema import DRUG, FRONT_MATTER, PAYER, REASON, SITE, Field, RecordSpec
from .values import (
    BASE_URL_PATTERN,
    DATE_PATTERN,
    END,
    LANG_PATTERN,
    LINE_CONTROLS,
    MAX_NAME,
    MAX_PRICE,
    MAX_SECONDS,
    MAX_SLUG,
    PROMO_PATTERN,
    PROSE_CONTROLS,
    SLUG_PATTERN,
    URL_PATTERN,
)

SCHEMA_DIR = "schemas"
FILES = {
    "site.schema.json": SITE,
    "payers.schema.json": PAYER,
    "drugs.schema.json": DRUG,
    "denial_reasons.schema.json": REASON,
    "front_matter.schema.json": FRONT_MATTER,
}


def whole(pattern: str) -> str:
    """A pattern that must match the whole value, in ECMAScript and in Python alike."""
    return f"^(?:{pattern}){END}"


def _filled(refused: str) -> str:
    """Text that is not only white space and holds none of the `refused` characters."""
    return r"^(?=[\s\S]*\S)" + f"[^{refused}]*{END}"


_SCALARS: dict[str, dict[str, Any]] = {
    "slug": {"type": "string", "pattern": whole(SLUG_PATTERN), "maxLength": MAX_SLUG},
    "name": {"type": "string", "maxLength": MAX_NAME, "pattern": _filled(LINE_CONTROLS)},
    "text": {"type": "string", "pattern": _filled(PROSE_CONTROLS)},
    # `not maximum 0` also refuses NaN, which passes every comparison
    "number": {
        "type": "number",
        "exclusiveMinimum": 0,
        "maximum": MAX_PRICE,
        "not": {"maximum": 0},
    },
    "seconds": {
        "type": "number",
        "exclusiveMinimum": 0,
        "maximum": MAX_SECONDS,
        "not": {"maximum": 0},
    },
    "url": {"type": "string", "pattern": whole(URL_PATTERN)},
    "base_url": {"type": "string", "pattern": whole(BASE_URL_PATTERN)},
    "language": {"type": "string", "pattern": whole(LANG_PATTERN)},
    "promo": {"type": "string", "pattern": whole(PROMO_PATTERN)},
    "date": {"type": "string", "format": "date", "pattern": whole(DATE_PATTERN)},
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
