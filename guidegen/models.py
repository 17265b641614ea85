"""The site's records as frozen dataclasses: what the schema produces and templates read.

No I/O and no templating here. Each record carries where it was defined (`where`, left
out of comparisons) and a `digest` of its fields, which page fingerprints are built from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from .errors import SourceLocation
from .limits import DEFAULT_RENDER_TIMEOUT


def digest_of(value: Any) -> str:
    """A stable hex digest of JSON-able data (sorted keys, dates as ISO strings)."""
    blob = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]


class ThinPolicy(StrEnum):
    """What happens to a page whose write-up is only the reason's generic fallback."""

    NOINDEX = "noindex"
    SKIP = "skip"
    INDEX = "index"


class Benefit(StrEnum):
    """Which side of the plan pays for a drug; changes which policy and appeal route apply."""

    PHARMACY = "pharmacy"
    MEDICAL = "medical"


@dataclass(frozen=True, slots=True)
class Payer:
    slug: str
    name: str
    short_name: str
    aliases: tuple[str, ...] = ()
    description: str | None = None
    where: SourceLocation = field(default=SourceLocation(""), compare=False, repr=False)
    digest: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Drug:
    slug: str
    name: str
    generic_name: str | None = None
    drug_class: str | None = None
    condition: str | None = None
    prescriber: str = "doctor"
    reasons: tuple[str, ...] | None = None
    aliases: tuple[str, ...] = ()
    benefit: Benefit | None = None
    where: SourceLocation = field(default=SourceLocation(""), compare=False, repr=False)
    digest: str = field(default="", compare=False, repr=False)

    @property
    def full_name(self) -> str:
        """'Ocrevus (ocrelizumab)', or the name alone when there is no generic name."""
        if self.generic_name and self.generic_name.lower() != self.name.lower():
            return f"{self.name} ({self.generic_name})"
        return self.name


@dataclass(frozen=True, slots=True)
class DenialReason:
    slug: str
    name: str
    title_phrase: str
    lead: str
    evidence: tuple[str, ...] = ()
    next_steps: tuple[str, ...] = ()
    where: SourceLocation = field(default=SourceLocation(""), compare=False, repr=False)
    digest: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Offer:
    list_price: float
    first_letter_price: float
    promo_code: str
    checkout_url: str
    currency_symbol: str = "$"

    def price(self, amount: float) -> str:
        """'$40' for whole amounts, '$29.50' otherwise."""
        text = f"{amount:.0f}" if float(amount).is_integer() else f"{amount:.2f}"
        return f"{self.currency_symbol}{text}"

    @property
    def list_price_text(self) -> str:
        return self.price(self.list_price)

    @property
    def first_letter_price_text(self) -> str:
        return self.price(self.first_letter_price)


@dataclass(frozen=True, slots=True)
class Site:
    base_url: str
    site_name: str
    language: str
    offer: Offer
    thin_pages: ThinPolicy = ThinPolicy.NOINDEX
    tagline: str = ""
    next_steps: tuple[str, ...] = ()
    host: str = "netlify"
    trust_raw_html: bool = False
    render_timeout: float = DEFAULT_RENDER_TIMEOUT
    where: SourceLocation = field(default=SourceLocation(""), compare=False, repr=False)
    digest: str = field(default="", compare=False, repr=False)

    def absolute(self, url: str) -> str:
        """The absolute form of a site-relative URL ('/cigna/' -> 'https://.../cigna/')."""
        return self.base_url.rstrip("/") + url

    @property
    def path_prefix(self) -> str:
        """The path the site is served under, from base_url: '/appeals', or '' at the root.
        Site-relative URLs ('/cigna/') name pages; what a browser is sent is prefixed."""
        return urlsplit(self.base_url).path.rstrip("/")

    def local(self, url: str) -> str:
        """The absolute path a browser follows to a site-relative URL: '/appeals/cigna/'."""
        return self.path_prefix + url


def normal_base_url(url: str) -> str:
    """One form of a base URL: scheme and host in lowercase, no trailing slash, so
    'https://Example.org/appeals/' and 'https://example.org/appeals' make the same site."""
    parts = urlsplit(url)
    path = re.sub(r"/+", "/", parts.path).rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


@dataclass(frozen=True, slots=True)
class FrontMatter:
    title: str | None = None
    description: str | None = None
    updated: dt.date | None = None
    reviewed_by: str | None = None
    noindex: bool | None = None
    draft: bool = False


class ContentLevel(StrEnum):
    """Where a write-up sits in the cascade, most specific first."""

    GUIDE = "guide"
    DRUG = "drug"
    REASON = "reason"


# The values made for every page (keys, links, view models, outputs) are NamedTuples rather
# than frozen dataclasses: as immutable, but made in C, where a frozen dataclass sets each
# field through object.__setattr__ (about a twentieth of a page's CPU).
class Link(NamedTuple):
    url: str
    text: str
    note: str = ""


class GuideKey(NamedTuple):
    """One combination of the matrix, by record index (compact, orderable, picklable)."""

    payer: int
    drug: int
    reason: int


# What pages may show of a record. Templates get these views, never whole records, so a
# page's fingerprint (which digests its views) changes exactly when something it can show
# changes: a field missing here is an undefined-variable error, not a stale page.


@dataclass(frozen=True, slots=True)
class PayerFacts:
    slug: str
    name: str
    short_name: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class DrugFacts:
    slug: str
    name: str
    full_name: str = ""
    generic_name: str | None = None
    drug_class: str | None = None
    condition: str | None = None
    prescriber: str = "doctor"
    benefit: Benefit | None = None


@dataclass(frozen=True, slots=True)
class ReasonFacts:
    slug: str
    name: str
    title_phrase: str = ""
    lead: str = ""
    evidence: tuple[str, ...] = ()


def payer_facts(payer: Payer, with_description: bool = False) -> PayerFacts:
    description = payer.description if with_description else None
    return PayerFacts(payer.slug, payer.name, payer.short_name, description)


def drug_facts(drug: Drug) -> DrugFacts:
    return DrugFacts(
        drug.slug,
        drug.name,
        drug.full_name,
        drug.generic_name,
        drug.drug_class,
        drug.condition,
        drug.prescriber,
        drug.benefit,
    )


def reason_facts(reason: DenialReason) -> ReasonFacts:
    return ReasonFacts(reason.slug, reason.name, reason.title_phrase, reason.lead, reason.evidence)
