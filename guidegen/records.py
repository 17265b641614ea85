"""Validated records: the schema's checked values become Payer, Drug, DenialReason and Site.

Also the rules that span records: unique slugs, aliases that are not live slugs, reserved
payer slugs, drugs naming known reasons, an offer whose promo price is the lower one.
No I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .errors import ErrorCollector, SourceLocation, did_you_mean
from .limits import DEFAULT_RENDER_TIMEOUT
from .models import (
    Benefit,
    DenialReason,
    Drug,
    Offer,
    Payer,
    Site,
    ThinPolicy,
    digest_of,
    normal_base_url,
)
from .schema import DRUG, PAYER, REASON, RESERVED_PAYER_SLUGS, SITE, RecordChecker, RecordSpec
from .yaml_loader import YMap


def _where(spec: RecordSpec, record: YMap) -> SourceLocation:
    return SourceLocation(spec.file, record.line)


def _checked(
    spec: RecordSpec, value: Any, errors: ErrorCollector
) -> list[tuple[YMap, dict[str, Any]]]:
    checker = RecordChecker(spec, errors)
    out = []
    for record, label in checker.records(value):
        fields = checker.fields(record, label, spec.fields)
        if fields is not None:
            out.append((record, fields))
    return out


def _unique_slugs(
    spec: RecordSpec, rows: list[tuple[YMap, dict[str, Any]]], errors: ErrorCollector
) -> None:
    """Slugs and aliases are unique within a file (case-folded), and aliases are not live."""
    owners: dict[str, int] = {}
    for record, fields in rows:
        owners.setdefault(fields["slug"], record.key_line("slug"))
    seen: dict[str, int] = {}
    for record, fields in rows:
        slug, line = fields["slug"], record.key_line("slug")
        if slug in seen:
            errors.add(
                f"{spec.label}: slug '{slug}' is used twice (first on line {seen[slug]})",
                SourceLocation(spec.file, line),
                "give each record its own slug",
            )
        seen.setdefault(slug, line)
    alias_seen: dict[str, int] = {}
    for record, fields in rows:
        line = record.key_line("aliases")
        for alias in fields.get("aliases", ()):
            if alias in owners:
                errors.add(
                    f"{spec.label}: alias '{alias}' is the slug of a live record "
                    f"(line {owners[alias]})",
                    SourceLocation(spec.file, line),
                    "an alias must be an old slug no record uses any more",
                )
            elif alias in alias_seen:
                errors.add(
                    f"{spec.label}: alias '{alias}' is listed by two records "
                    f"(first on line {alias_seen[alias]})",
                    SourceLocation(spec.file, line),
                )
            alias_seen.setdefault(alias, line)


def build_payers(value: Any, errors: ErrorCollector) -> list[Payer]:
    rows = _checked(PAYER, value, errors)
    _unique_slugs(PAYER, rows, errors)
    payers = []
    for record, f in rows:
        for key in ("slug", "aliases"):
            for slug in [f[key]] if key == "slug" else f.get(key, ()):
                if slug in RESERVED_PAYER_SLUGS:
                    errors.add(
                        f"payers: '{slug}' is reserved for the site's own pages",
                        SourceLocation(PAYER.file, record.key_line(key)),
                        f"reserved: {', '.join(sorted(RESERVED_PAYER_SLUGS))}",
                    )
        payers.append(
            Payer(
                slug=f["slug"],
                name=f["name"],
                short_name=f.get("short_name", f["name"]),
                aliases=f.get("aliases", ()),
                description=f.get("description"),
                where=_where(PAYER, record),
                digest=digest_of(f),
            )
        )
    return payers


def build_reasons(value: Any, errors: ErrorCollector) -> list[DenialReason]:
    rows = _checked(REASON, value, errors)
    _unique_slugs(REASON, rows, errors)
    return [
        DenialReason(
            slug=f["slug"],
            name=f["name"],
            title_phrase=f["title_phrase"],
            lead=f["lead"],
            evidence=f.get("evidence", ()),
            next_steps=f.get("next_steps", ()),
            where=_where(REASON, record),
            digest=digest_of(f),
        )
        for record, f in rows
    ]


def build_drugs(value: Any, reason_slugs: Sequence[str], errors: ErrorCollector) -> list[Drug]:
    rows = _checked(DRUG, value, errors)
    _unique_slugs(DRUG, rows, errors)
    drugs = []
    known = set(reason_slugs)
    for record, f in rows:
        reasons = f.get("reasons")
        if reasons is not None and known:
            line_list = record["reasons"]
            for index, slug in enumerate(reasons):
                if slug not in known:
                    errors.add(
                        f"drugs: reasons[{index}]: unknown denial reason '{slug}'",
                        SourceLocation(DRUG.file, line_list.item_line(index)),
                        did_you_mean(slug, known) or "see data/denial_reasons.yaml",
                    )
        benefit = f.get("benefit")
        drugs.append(
            Drug(
                slug=f["slug"],
                name=f["name"],
                generic_name=f.get("generic_name"),
                drug_class=f.get("drug_class"),
                condition=f.get("condition"),
                prescriber=f.get("prescriber", "doctor"),
                reasons=reasons,
                aliases=f.get("aliases", ()),
                benefit=Benefit(benefit) if benefit else None,
                where=_where(DRUG, record),
                digest=digest_of(f),
            )
        )
    return drugs


def build_site(value: Any, errors: ErrorCollector) -> Site | None:
    rows = _checked(SITE, value, errors)
    if not rows:
        return None
    record, f = rows[0]
    o = f["offer"]
    offer = Offer(
        list_price=o["list_price"],
        first_letter_price=o["first_letter_price"],
        promo_code=o["promo_code"],
        checkout_url=o["checkout_url"],
        currency_symbol=o.get("currency_symbol", "$"),
    )
    if offer.first_letter_price > offer.list_price:
        errors.add(
            "site.offer.first_letter_price is higher than list_price",
            SourceLocation(SITE.file, record["offer"].key_line("first_letter_price")),
            "the promo price should be the lower one",
        )
    timeout = f.get("render_timeout", DEFAULT_RENDER_TIMEOUT)
    if not 0 < timeout <= 3600:
        errors.add(
            f"site.render_timeout is {timeout}; it must be more than 0 and at most 3600 seconds",
            SourceLocation(SITE.file, record.key_line("render_timeout")),
            f"leave it out for the default of {DEFAULT_RENDER_TIMEOUT:g}",
        )
        timeout = DEFAULT_RENDER_TIMEOUT
    return Site(
        base_url=normal_base_url(f["base_url"]),
        site_name=f["site_name"],
        language=f["language"],
        offer=offer,
        thin_pages=ThinPolicy(f.get("thin_pages", "noindex")),
        tagline=f.get("tagline", ""),
        host=f.get("host", "netlify"),
        trust_raw_html=f.get("trust_raw_html", False),
        render_timeout=float(timeout),
        next_steps=f.get("next_steps", ()),
        where=_where(SITE, record),
        digest=digest_of(f),
    )
