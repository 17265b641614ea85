"""Expand stage: payers x drugs x reasons -> the guides the site has, lazily and in order.

A drug's `reasons` list restricts which reasons it gets pages for. Each guide takes the
most specific write-up of the cascade; a guide with only the reason's fallback is *thin*,
and the site's thin-page policy decides whether it is built (`skip`) and indexed
(`noindex`, `index`). Guides are yielded one at a time in a fixed order (payers, then
drugs, then reasons, in file order), so a million-page matrix costs no memory.
Renders nothing and touches no files.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import NamedTuple

from .content import Content
from .data import SiteData
from .models import DenialReason, Drug, GuideKey, Payer, ThinPolicy
from .writeup import ContentDoc


def guide_url(payer: str, drug: str, reason: str) -> str:
    return f"/{payer}/{drug}/{reason}/"


def output_path(url: str) -> str:
    """Where a clean URL is written: '/a/b/' -> 'a/b/index.html', '/' -> 'index.html'."""
    return url.strip("/") + "/index.html" if url != "/" else "index.html"


class Guide(NamedTuple):
    """One page of the matrix and the write-up it shows."""

    key: GuideKey
    payer: Payer
    drug: Drug
    reason: DenialReason
    doc: ContentDoc
    thin: bool
    indexable: bool

    @property
    def url(self) -> str:
        return guide_url(self.payer.slug, self.drug.slug, self.reason.slug)

    @property
    def output(self) -> str:
        return output_path(self.url)


class Matrix:
    """The guides of a site, computed on demand from the data and the write-ups."""

    def __init__(self, data: SiteData, content: Content) -> None:
        self.data = data
        self.content = content
        self.policy = data.site.thin_pages
        reason_index = {r.slug: i for i, r in enumerate(data.reasons)}
        self.drug_reasons: tuple[tuple[int, ...], ...] = tuple(
            tuple(range(len(data.reasons)))
            if d.reasons is None
            else tuple(sorted(reason_index[s] for s in d.reasons if s in reason_index))
            for d in data.drugs
        )

    @cached_property
    def payer_index(self) -> dict[str, int]:
        return {p.slug: i for i, p in enumerate(self.data.payers)}

    @cached_property
    def drug_index(self) -> dict[str, int]:
        return {d.slug: i for i, d in enumerate(self.data.drugs)}

    @cached_property
    def reason_index(self) -> dict[str, int]:
        return {r.slug: i for i, r in enumerate(self.data.reasons)}

    def exists(self, payer: int, drug: int, reason: int) -> bool:
        """Whether the site has a page for this combination."""
        if reason not in self.drug_reasons[drug]:
            return False
        if self.policy is not ThinPolicy.SKIP:
            return True
        d = self.data
        return self.content.has_specific(
            d.payers[payer].slug, d.drugs[drug].slug, d.reasons[reason].slug
        )

    def guide(self, key: GuideKey) -> Guide:
        """The guide for an existing combination."""
        d = self.data
        payer, drug, reason = d.payers[key.payer], d.drugs[key.drug], d.reasons[key.reason]
        doc, thin = self._write_up(payer.slug, drug.slug, reason.slug)
        return Guide(key, payer, drug, reason, doc, thin, self._indexable(doc, thin))

    def listing(self, key: GuideKey) -> tuple[bool, ContentDoc]:
        """(indexable, write-up) of an existing combination, as `guide` decides them,
        without making the guide: what sitemaps need of every page."""
        d = self.data
        doc, thin = self._write_up(
            d.payers[key.payer].slug, d.drugs[key.drug].slug, d.reasons[key.reason].slug
        )
        return self._indexable(doc, thin), doc

    def _write_up(self, payer: str, drug: str, reason: str) -> tuple[ContentDoc, bool]:
        """The cascade's write-up for a combination, and whether it is only the fallback."""
        content = self.content
        rel = content.guides.get((payer, drug, reason)) or content.drugs.get((drug, reason))
        thin = rel is None
        rel = rel or content.reasons.get(reason)
        if rel is None:  # check_content guarantees every reason has a fallback
            raise LookupError(f"no write-up for {payer}/{drug}/{reason}")
        return content.doc(rel), thin

    def _indexable(self, doc: ContentDoc, thin: bool) -> bool:
        if doc.front.noindex is not None:
            return not doc.front.noindex
        return not thin or self.policy is ThinPolicy.INDEX

    def all_keys(self) -> Iterator[GuideKey]:
        """Every existing combination, in build order."""
        for p in range(len(self.data.payers)):
            yield from self.keys_for(p)

    def keys_for(self, payer: int, drug: int | None = None) -> Iterator[GuideKey]:
        drugs = range(len(self.data.drugs)) if drug is None else (drug,)
        for d in drugs:
            for r in self.drug_reasons[d]:
                if self.exists(payer, d, r):
                    yield GuideKey(payer, d, r)

    def next_key(self, key: GuideKey) -> GuideKey:
        """The existing combination after `key` in build order, wrapping round to the first.

        Scanning forward costs, summed over all guides, one pass over the matrix."""
        payers, drugs = len(self.data.payers), len(self.data.drugs)
        p, d = key.payer, key.drug
        reasons = self.drug_reasons[d]
        later = [r for r in reasons if r > key.reason]
        for _ in range(payers * drugs + 1):
            for r in later:
                if self.exists(p, d, r):
                    return GuideKey(p, d, r)
            d += 1
            if d == drugs:
                d, p = 0, (p + 1) % payers
            later = list(self.drug_reasons[d])
        return key

    def guides(self) -> Iterator[Guide]:
        for key in self.all_keys():
            yield self.guide(key)

    def key_for_slugs(self, payer: str, drug: str, reason: str) -> GuideKey | None:
        """The key of a page by its URL slugs, or None when the site has no such page."""
        p, d, r = (
            self.payer_index.get(payer),
            self.drug_index.get(drug),
            self.reason_index.get(reason),
        )
        if p is None or d is None or r is None or not self.exists(p, d, r):
            return None
        return GuideKey(p, d, r)

    def count(self) -> int:
        if self.policy is not ThinPolicy.SKIP:
            return len(self.data.payers) * sum(len(rs) for rs in self.drug_reasons)
        return sum(1 for _ in self.all_keys())
