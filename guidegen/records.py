"""Validated records: the schema's checked values become Payer, Drug, DenialReason and Site.

Also the rules that span records: unique slugs, aliases that are not live slugs, reserved
payer slugs, drugs naming known reasons, guide paths short enough to write, an offer whose
promo price is the lower one. A record with a problem still takes part in these rules
with its good fields (its slug must be good), so one run reports every problem; such a
record is built with empty text for what is missing, for the checks of write-ups, and
never rendered (the run fails). No I/O.
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


Rows = list[tuple[YMap, dict[str, Any]]]  # a record and its good fields
# The longest guide path, 'payer/drug/reason/': every file a build writes is under this
# plus 'index.html.tmp-<pid>' inside its output folder, well below path limits.
MAX_GUIDE_PATH = 200


def _checked(spec: RecordSpec, value: Any, errors: ErrorCollector, complete: bool = False) -> Rows:
    """The records with their good fields: those with a good slug, or, when `complete`,
    only those without any problem."""
    return [(record, fields) for record, _, fields in _labelled(spec, value, errors, complete)]


def _labelled(
    spec: RecordSpec, value: Any, errors: ErrorCollector, complete: bool = False
) -> list[tuple[YMap, str, dict[str, Any]]]:
    checker = RecordChecker(spec, errors)
    out = []
    for record, label in checker.records(value):
        fields, ok = checker.valid_fields(record, label, spec.fields)
        if ok or (not complete and "slug" in fields):
            out.append((record, label, fields))
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
                name=f.get("name", ""),
                short_name=f.get("short_name") or f.get("name", ""),
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
            name=f.get("name", ""),
            title_phrase=f.get("title_phrase", ""),
            lead=f.get("lead", ""),
            evidence=f.get("evidence", ()),
            next_steps=f.get("next_steps", ()),
            where=_where(REASON, record),
            digest=digest_of(f),
        )
        for record, f in rows
    ]


def build_drugs(
    value: Any,
    reason_slugs: Sequence[str],
    errors: ErrorCollector,
    payer_slugs: Sequence[str] = (),
) -> list[Drug]:
    """Drugs, their reasons checked against `reason_slugs` and their guide paths against
    the longest of `payer_slugs` (live and old slugs)."""
    labelled = _labelled(DRUG, value, errors)
    _unique_slugs(DRUG, [(record, f) for record, _, f in labelled], errors)
    drugs = []
    known = set(reason_slugs)
    for record, label, f in labelled:
        reasons = f.get("reasons")
        _check_paths(record, label, f, payer_slugs, reasons or reason_slugs, errors)
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
                name=f.get("name", ""),
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


def _check_paths(
    record: YMap,
    label: str,
    f: dict[str, Any],
    payer_slugs: Sequence[str],
    reason_slugs: Sequence[str],
    errors: ErrorCollector,
) -> None:
    """The drug's longest guide path (with the longest payer and reason slugs) fits."""
    if not payer_slugs or not reason_slugs:
        return
    payer, reason = max(payer_slugs, key=len), max(reason_slugs, key=len)
    for key, slugs in (("slug", [f["slug"]]), ("aliases", f.get("aliases", ()))):
        drug = max(slugs, key=len, default="")
        path = f"{payer}/{drug}/{reason}/"
        if drug and len(path) > MAX_GUIDE_PATH:
            errors.add(
                f"{label}.{key}: the guide path of '{drug}' with payer '{payer}' and "
                f"reason '{reason}' is {len(path)} characters long; at most {MAX_GUIDE_PATH}",
                SourceLocation(DRUG.file, record.key_line(key)),
                "shorten the drug, payer or reason slug: URLs and output paths are made of them",
            )


def build_site(value: Any, errors: ErrorCollector) -> Site | None:
    rows = _checked(SITE, value, errors, complete=True)
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
