"""Declarative schema of site.yaml, payers.yaml, drugs.yaml, denial_reasons.yaml and front matter.

Each file is a `RecordSpec` of `Field`s (kind, required, a description that also feeds
editor help). `RecordChecker` checks located values against a spec and collects *every*
problem as `file:line: path.to.field: what is wrong (hint)`, with a did-you-mean for
misspelt keys and choices; the checks of single values are `values.py`. Turning checked
values into records is `records.py`. No I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ErrorCollector, SourceLocation, did_you_mean
from .models import ThinPolicy
from .values import SCALAR_CHECKS, Problem, as_date, shown, type_name
from .yaml_loader import YList, YMap, line_of

RESERVED_PAYER_SLUGS = frozenset({"drugs", "reasons", "assets", "sitemaps", "static", "search"})


@dataclass(frozen=True)
class Field:
    """One allowed key of a record: its kind, whether it is required, a description."""

    name: str
    kind: str
    required: bool = False
    doc: str = ""
    choices: tuple[str, ...] = ()
    fields: tuple[Field, ...] = ()


@dataclass(frozen=True)
class RecordSpec:
    """How one data file is shaped: a list of records (or one mapping) of these fields."""

    file: str
    label: str
    fields: tuple[Field, ...]
    is_list: bool = True


_LIST_ITEM_KIND = {"slug_list": "slug", "text_list": "text"}

PAYER = RecordSpec(
    "data/payers.yaml",
    "payers",
    (
        Field("slug", "slug", True, "URL segment, unique among payers"),
        Field("name", "name", True, "display name, as in page titles"),
        Field("short_name", "name", doc="shorter name used in running text; defaults to name"),
        Field("aliases", "slug_list", doc="earlier slugs; their URLs redirect to the new ones"),
        Field("description", "text", doc="one or two sentences for the payer's hub page"),
    ),
)
DRUG = RecordSpec(
    "data/drugs.yaml",
    "drugs",
    (
        Field("slug", "slug", True, "URL segment, unique among drugs"),
        Field("name", "name", True, "brand name as shown in titles"),
        Field("generic_name", "name", doc="generic (nonproprietary) name"),
        Field("drug_class", "name", doc="pharmacologic class; used to pick related guides"),
        Field("condition", "name", doc="the condition it usually treats"),
        Field("prescriber", "name", doc="'neurologist' gives 'your neurologist' in copy"),
        Field("reasons", "slug_list", doc="the only denial reasons this drug gets pages for"),
        Field("aliases", "slug_list", doc="earlier slugs; their URLs redirect to the new ones"),
        Field("benefit", "enum", doc="which benefit usually pays", choices=("pharmacy", "medical")),
    ),
)
REASON = RecordSpec(
    "data/denial_reasons.yaml",
    "denial_reasons",
    (
        Field("slug", "slug", True, "URL segment, unique among reasons"),
        Field("name", "name", True, "short name, as in hub lists"),
        Field("title_phrase", "name", True, "completes '<drug> denied <title_phrase> by <payer>?'"),
        Field("lead", "text", True, "one paragraph: what usually wins this appeal"),
        Field("evidence", "text_list", doc="what plans usually ask to see for this reason"),
        Field("next_steps", "text_list", doc="reason-specific steps added to the checklist"),
    ),
)
OFFER_FIELDS = (
    Field("list_price", "number", True, "price of a drafted letter"),
    Field("first_letter_price", "number", True, "price of the first letter with the promo code"),
    Field("promo_code", "promo", True, "code that gives the first-letter price"),
    Field("checkout_url", "url", True, "checkout page; payer, drug and reason are appended"),
    Field("currency_symbol", "name", doc="defaults to '$'"),
)
FRONT_MATTER = RecordSpec(
    "content/*.md",
    "front matter",
    (
        Field("title", "name", doc="the page's <title> and social title, if not the default"),
        Field("description", "text", doc="the page's meta description, if not the default"),
        Field("updated", "date", doc="when the write-up last changed materially (2026-11-01)"),
        Field("reviewed_by", "name", doc="who reviewed it, shown as 'Last reviewed ... by ...'"),
        Field("noindex", "bool", doc="true keeps the page out of search results"),
        Field(
            "draft",
            "bool",
            doc="true: checked, but not published; the page keeps the write-up it had",
        ),
    ),
    is_list=False,
)
SITE = RecordSpec(
    "data/site.yaml",
    "site",
    (
        Field("base_url", "base_url", True, "absolute URL the site is served from"),
        Field("site_name", "name", True, "brand name"),
        Field("language", "language", True, "language tag of the pages, e.g. en-US"),
        Field(
            "offer",
            "mapping",
            True,
            "the call to action's prices and checkout",
            fields=OFFER_FIELDS,
        ),
        Field(
            "thin_pages",
            "enum",
            doc="pages with only the generic write-up: noindex (default), skip or index",
            choices=tuple(p.value for p in ThinPolicy),
        ),
        Field("tagline", "text", doc="one line under the brand on the home page"),
        Field(
            "trust_raw_html",
            "bool",
            doc="true lets write-ups use layout HTML (div, section, figure, details, class and "
            "id attributes); scripts, styles, frames, forms, event handlers and javascript: "
            "or data: URLs are removed whatever this says",
        ),
        Field(
            "render_timeout",
            "seconds",
            doc="seconds one page or write-up may take to render before the build stops with "
            "its file (default 30, as Hugo's timeout)",
        ),
        Field(
            "host",
            "enum",
            doc="where the site deploys to: netlify or cloudflare (its _redirects, _headers and "
            "limits) or s3 (object storage behind a CDN; default netlify)",
            choices=("netlify", "cloudflare", "s3"),
        ),
        Field("next_steps", "text_list", doc="the checklist shown on every guide"),
    ),
    is_list=False,
)


class RecordChecker:
    """Checks located values against a RecordSpec, reporting into an ErrorCollector."""

    def __init__(self, spec: RecordSpec, errors: ErrorCollector, file: str | None = None) -> None:
        self.spec = spec
        self.errors = errors
        self.file = file or spec.file

    def report(self, line: int, path: str, message: str, hint: str | None = None) -> None:
        where = f"{path}: " if path else ""
        self.errors.add(f"{where}{message}", SourceLocation(self.file, line), hint)

    def records(self, value: Any) -> list[tuple[YMap, str]]:
        """The file's records with their labels ('drugs[3]'); shape errors reported."""
        spec = self.spec
        if value is None:
            self.report(1, "", f"the file is empty; it must be a list of {spec.label}")
            return []
        if not spec.is_list:
            if not isinstance(value, YMap):
                self.report(
                    line_of(value, 1),
                    "",
                    f"{spec.label} must be a mapping of 'key: value' lines, not {type_name(value)}",
                )
                return []
            return [(value, spec.label)]
        if isinstance(value, YMap) and spec.label in value:
            self.report(
                value.key_line(spec.label),
                "",
                f"the file is a plain list of {spec.label}",
                f"remove the '{spec.label}:' line and un-indent the list",
            )
            return []
        if not isinstance(value, YList):
            self.report(
                line_of(value, 1),
                "",
                f"must be a list of {spec.label} ('- slug: ...'), not {type_name(value)}",
            )
            return []
        if not value:
            self.report(value.line, "", f"the list of {spec.label} is empty")
        found = []
        for index, item in enumerate(value):
            label = f"{spec.label}[{index}]"
            if not isinstance(item, YMap):
                self.report(
                    value.item_line(index),
                    label,
                    f"must be a mapping ('slug: ...', 'name: ...'), not {type_name(item)}",
                )
                continue
            found.append((item, label))
        return found

    def fields(self, record: YMap, label: str, fields: Sequence[Field]) -> dict[str, Any] | None:
        """Checked values of one record, or None when any field is wrong."""
        values, ok = self.valid_fields(record, label, fields)
        return values if ok else None

    def valid_fields(
        self, record: YMap, label: str, fields: Sequence[Field]
    ) -> tuple[dict[str, Any], bool]:
        """The record's good values, and whether it had no problem at all (every problem
        reported): cross-record rules can still run on what is good."""
        known = {f.name: f for f in fields}
        ok = True
        for key in record:
            if key not in known:
                ok = False
                hint = did_you_mean(str(key), known) or f"allowed keys: {', '.join(known)}"
                self.report(record.key_line(key), f"{label}", f"unknown key {shown(key)}", hint)
        values: dict[str, Any] = {}
        for spec_field in fields:
            path = f"{label}.{spec_field.name}"
            if spec_field.name not in record:
                if spec_field.required:
                    ok = False
                    self.report(
                        record.line,
                        label,
                        f"missing required key '{spec_field.name}'",
                        spec_field.doc or None,
                    )
                continue
            value = record[spec_field.name]
            line = record.key_line(spec_field.name)
            checked = self.value(spec_field, value, line, path)
            if checked is _INVALID:
                ok = False
            else:
                values[spec_field.name] = checked
        return values, ok

    def value(self, spec_field: Field, value: Any, line: int, path: str) -> Any:
        kind = spec_field.kind
        if kind in SCALAR_CHECKS:
            problem = SCALAR_CHECKS[kind](value)
            if problem:
                self.report(line, path, *_split(problem))
                return _INVALID
            if kind in ("text", "name"):
                return " ".join(value.split())
            if kind == "date":
                return as_date(value)
            return value
        if kind == "enum":
            if value not in spec_field.choices or not isinstance(value, str):
                hint = did_you_mean(str(value), spec_field.choices)
                self.report(
                    line,
                    path,
                    f"{shown(value)} is not one of: {', '.join(spec_field.choices)}",
                    hint,
                )
                return _INVALID
            return value
        if kind in _LIST_ITEM_KIND:
            return self.list_value(spec_field, value, line, path)
        if kind == "mapping":
            if not isinstance(value, YMap):
                self.report(line, path, f"must be a mapping, not {type_name(value)}")
                return _INVALID
            checked = self.fields(value, path, spec_field.fields)
            return _INVALID if checked is None else checked
        raise AssertionError(f"unknown field kind {kind}")  # pragma: no cover

    def list_value(self, spec_field: Field, value: Any, line: int, path: str) -> Any:
        if not isinstance(value, YList):
            self.report(line, path, f"must be a list ([a, b]), not {type_name(value)}")
            return _INVALID
        if not value:
            self.report(line, path, "is an empty list; remove the key instead")
            return _INVALID
        item_check = SCALAR_CHECKS[_LIST_ITEM_KIND[spec_field.kind]]
        items: list[str] = []
        ok = True
        for index, item in enumerate(value):
            problem = item_check(item)
            if problem:
                ok = False
                self.report(value.item_line(index), f"{path}[{index}]", *_split(problem))
            elif item in items:
                ok = False
                self.report(value.item_line(index), f"{path}[{index}]", f"'{item}' is listed twice")
            else:
                items.append(" ".join(item.split()) if spec_field.kind == "text_list" else item)
        return tuple(items) if ok else _INVALID


_INVALID = object()


def _split(problem: str | Problem) -> tuple[str, str | None]:
    return (problem, None) if isinstance(problem, str) else (problem.message, problem.hint)
