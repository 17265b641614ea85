"""What one page shows, assembled from the matrix, the links and the write-up: view models.

`guide_page` is a pure function of its inputs (the records, the write-up, the related-link
set, the site settings); `outputs` digests the same inputs into the page's fingerprint.
Titles and descriptions are fitted
to what search results show, dropping the least important words first. Produces no HTML.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

from markupsafe import Markup

from . import jsonld
from .data import SiteData
from .hubs import HubPage
from .links import LinkGraph, LinkGroup
from .matrix import Guide
from .models import (
    DrugFacts,
    GuideKey,
    Link,
    Offer,
    PayerFacts,
    ReasonFacts,
    Site,
    digest_of,
    drug_facts,
    payer_facts,
    reason_facts,
)
from .templating import page_names

TITLE_MAX = 60
DESCRIPTION_MAX = 160


class PageMeta(NamedTuple):
    """The <head> facts of a page."""

    title: str
    description: str
    canonical: str
    indexable: bool
    updated: dt.date | None = None
    reviewed_by: str | None = None
    reviewed_on: dt.date | None = None
    og_type: str = "website"
    jsonld: Markup = Markup()

    @property
    def robots(self) -> str:
        return "index, follow" if self.indexable else "noindex, follow"


class CallToAction(NamedTuple):
    url: str
    list_price: str
    first_letter_price: str
    promo_code: str


class GuideFacts(NamedTuple):
    """What a guide may show of its records (see models.PayerFacts)."""

    payer: PayerFacts
    drug: DrugFacts
    reason: ReasonFacts
    url: str


class Facts:
    """The facts views of every record, made once per build, and their digests."""

    def __init__(self, data: SiteData) -> None:
        self.payers = [payer_facts(p) for p in data.payers]
        self.drugs = [drug_facts(d) for d in data.drugs]
        self.reasons = [reason_facts(r) for r in data.reasons]
        self.payer_digests = [digest_of(repr(f)) for f in self.payers]
        self.drug_digests = [digest_of(repr(f)) for f in self.drugs]
        self.reason_digests = [digest_of(repr(f)) for f in self.reasons]

    def guide(self, guide: Guide) -> GuideFacts:
        key = guide.key
        return GuideFacts(
            self.payers[key.payer], self.drugs[key.drug], self.reasons[key.reason], guide.url
        )

    def guide_digest(self, key: GuideKey) -> str:
        return (
            self.payer_digests[key.payer]
            + self.drug_digests[key.drug]
            + self.reason_digests[key.reason]
        )


class GuidePage(NamedTuple):
    guide: GuideFacts
    meta: PageMeta
    heading: str
    body: Markup
    crumbs: tuple[Link, ...]
    related: tuple[LinkGroup, ...]
    next_steps: tuple[str, ...]
    cta: CallToAction


def fit(candidates: list[str], limit: int) -> str:
    """The first candidate within the limit, else the shortest (never cut mid-word)."""
    for text in candidates:
        if len(text) <= limit:
            return text
    return min(candidates, key=len)


def checkout_url(offer: Offer, payer: str, drug: str, reason: str) -> str:
    """The checkout URL carrying the page's payer, drug and reason for attribution."""
    head, tail = _checkout_parts(offer.checkout_url, offer.promo_code)
    return f"{head}payer={_quoted(payer)}&drug={_quoted(drug)}&reason={_quoted(reason)}{tail}"


@lru_cache(maxsize=4096)
def _quoted(slug: str) -> str:
    """A slug quoted for a query string (a few hundred slugs, quoted a million times)."""
    return quote_plus(slug)


@lru_cache(maxsize=8)
def _checkout_parts(url: str, promo_code: str) -> tuple[str, str]:
    """What comes before and after the page's parameters (parsed once per build)."""
    parts = urlsplit(url)
    query = urlencode(parse_qsl(parts.query, keep_blank_values=True))
    head = urlunsplit((parts.scheme, parts.netloc, parts.path, query, "")) + ("&" if query else "?")
    tail = (
        "&" + urlencode([("code", promo_code)]) + (f"#{parts.fragment}" if parts.fragment else "")
    )
    return head, tail


def lower_first(text: str) -> str:
    """'Step therapy' -> 'step therapy', but 'FDA approval' stays as it is."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def guide_title(guide: Guide, site: Site) -> str:
    """The H1 question with the brand when it fits in a search result, else shorter forms."""
    d, r, p = guide.drug.name, guide.reason, guide.payer
    question = f"{d} denied {r.title_phrase} by {p.name}?"
    reason = lower_first(r.name)
    return fit(
        [
            f"{question} Appeal guide | {site.site_name}",
            f"{question} | {site.site_name}",
            question,
            f"{d} denied {r.title_phrase} by {p.short_name}?",
            f"{d} denial by {p.short_name}: {reason}",
            f"{d}: {reason} ({p.short_name})",
            f"{d}, {p.short_name}: {reason}",
        ],
        TITLE_MAX,
    )


def guide_description(guide: Guide) -> str:
    d, r, p = guide.drug.name, guide.reason, guide.payer
    return fit(
        [
            f"{d} denied {r.title_phrase} by {p.name}? What {p.short_name} usually asks for, your "
            f"appeal rights, the evidence to gather and a drafted appeal letter.",
            f"{d} denied {r.title_phrase} by {p.short_name}? What the plan asks for, your appeal "
            f"rights and the evidence to gather.",
            f"Appealing a {d} denial by {p.short_name} ({lower_first(r.name)}): criteria, appeal "
            f"rights, evidence.",
            f"{d} denial by {p.short_name} ({lower_first(r.name)}): how to appeal.",
        ],
        DESCRIPTION_MAX,
    )


def guide_texts(guide: Guide, site: Site, names: dict[str, Any] | None = None) -> tuple[str, str]:
    """The guide's <title> and meta description: the write-up's front matter, else made
    to fit a search result (`names`: the write-up's variables, when already made)."""
    doc = guide.doc
    if doc.title is None and doc.description is None:
        return guide_title(guide, site), guide_description(guide)
    names = names or page_names(guide.payer, guide.drug, guide.reason, site)
    title = doc.render_title(names) or guide_title(guide, site)
    description = doc.render_description(names) or guide_description(guide)
    return title, description


def guide_page(
    guide: Guide,
    graph: LinkGraph,
    site: Site,
    facts: Facts,
    related: tuple[LinkGroup, ...] | None = None,
    modified: dt.date | None = None,
) -> GuidePage:
    """Everything a guide shows; a pure function of the guide, its links and the site.

    `modified` is when the write-up last changed (its `updated` front matter, else its
    last commit); `updated` in front matter is also the date of the review."""
    names = page_names(guide.payer, guide.drug, guide.reason, site)
    title, description = guide_texts(guide, site, names)
    doc = guide.doc
    heading = f"{guide.drug.name} denied {guide.reason.title_phrase} by {guide.payer.name}?"
    canonical = site.absolute(guide.url)
    crumbs = graph.guide_crumbs(guide)
    shown = facts.guide(guide)
    updated = doc.front.updated or modified
    node = jsonld.guide_node(
        site,
        canonical,
        heading,
        description,
        shown.drug,
        guide.payer.name,
        updated,
        doc.front.reviewed_by,
        doc.front.updated,
    )
    meta = PageMeta(
        title=title,
        description=description,
        canonical=canonical,
        indexable=guide.indexable,
        updated=updated,
        reviewed_by=doc.front.reviewed_by,
        reviewed_on=doc.front.updated,
        og_type="article",
        jsonld=jsonld.script(site, canonical, crumbs, [node]),
    )
    cta = CallToAction(
        url=checkout_url(site.offer, guide.payer.slug, guide.drug.slug, guide.reason.slug),
        list_price=site.offer.list_price_text,
        first_letter_price=site.offer.first_letter_price_text,
        promo_code=site.offer.promo_code,
    )
    return GuidePage(
        guide=shown,
        meta=meta,
        heading=heading,
        body=doc.render_body(names),
        crumbs=crumbs,
        related=graph.related(guide.key) if related is None else related,
        next_steps=site.next_steps + guide.reason.next_steps,
        cta=cta,
    )


def hub_meta(hub: HubPage, site: Site) -> PageMeta:
    """Title, description and robots of a hub page."""
    title = fit([f"{hub.heading} | {site.site_name}", hub.heading], TITLE_MAX)
    if hub.kind == "home":
        description = (
            f"Why health plans deny specialty drugs and how to appeal: {hub.guide_count:,} "
            f"guides by plan, drug and denial reason, with a drafted appeal letter."
        )
    elif hub.kind == "payer" and hub.payer is not None:
        description = (
            f"Appeal guides for drugs denied by {hub.payer.name}: what the plan asks "
            f"for, your appeal rights and the evidence that wins."
        )
    elif hub.kind == "payer_drug" and hub.payer is not None and hub.drug is not None:
        description = (
            f"{hub.drug.name} denied by {hub.payer.name}? Pick the reason on your "
            f"denial letter for a guide to the appeal."
        )
    elif hub.kind == "drug" and hub.drug is not None:
        description = (
            f"{hub.drug.name} denied by your health plan? Appeal guides by plan and "
            f"by denial reason, with the evidence to gather."
        )
    elif hub.reason is not None:
        description = fit(
            [
                f"Denied {hub.reason.title_phrase}? {hub.reason.lead}",
                f"Denied {hub.reason.title_phrase}? Appeal guides by drug and plan.",
            ],
            DESCRIPTION_MAX,
        )
    else:  # pragma: no cover - every kind is covered above
        description = hub.heading
    description = fit([description], DESCRIPTION_MAX)
    canonical = site.absolute(hub.url)
    if hub.kind == "home":
        nodes = [jsonld.organization(site), jsonld.website(site)]
    else:
        nodes = [jsonld.hub_node(site, canonical, hub.heading, description, hub.drug)]
    return PageMeta(
        title=title,
        description=description,
        canonical=canonical,
        indexable=hub.indexable,
        jsonld=jsonld.script(site, canonical, hub.crumbs, nodes),
    )


def not_found_meta(site: Site) -> PageMeta:
    canonical = site.absolute("/404.html")
    crumbs = (Link("/", "Home"), Link("/404.html", "Page not found"))
    return PageMeta(
        title=f"Page not found | {site.site_name}",
        description="This page does not exist. Find your appeal guide by health plan, drug "
        "or denial reason.",
        canonical=canonical,
        indexable=False,
        jsonld=jsonld.script(site, canonical, crumbs),
    )
