"""Link stage: related guides and breadcrumbs, in a deterministic order.

Related guides come from three rings, each a fixed cyclic order of the guides that
exist: other drugs at the same payer for the same reason (ordered by class, so the
neighbours are same-class drugs first, plus cross-class neighbours by name); the same
drug at other payers; other reasons for the same payer and drug. Every guide links to the
next members of each ring, so every guide is also linked *from* its predecessors: inbound
links are spread evenly by construction, and a guide's links are a pure function of the
data (no global pass over a million pages). A last link to the next guide in build order,
when not already linked, guarantees an inbound link even on sparse sites.
Produces no HTML.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from .matrix import Guide, Matrix, guide_url
from .models import DenialReason, Drug, GuideKey, Link, Payer, ThinPolicy

SAME_REASON_LINKS = 3
OTHER_PAYER_LINKS = 2
OTHER_REASON_LINKS = 2


def guide_link_text(drug: Drug, reason: DenialReason, payer: Payer) -> str:
    """'Ocrevus denied for failing step therapy by Cigna' (the H1 without its '?')."""
    return f"{drug.name} denied {reason.title_phrase} by {payer.name}"


def payer_url(payer: Payer) -> str:
    return f"/{payer.slug}/"


def payer_drug_url(payer: Payer, drug: Drug) -> str:
    return f"/{payer.slug}/{drug.slug}/"


def drug_url(drug: Drug) -> str:
    return f"/drugs/{drug.slug}/"


def reason_url(reason: DenialReason) -> str:
    return f"/reasons/{reason.slug}/"


@dataclass(frozen=True, slots=True)
class LinkGroup:
    heading: str
    links: tuple[Link, ...]


@dataclass(frozen=True)
class Ring:
    """Record indexes in a fixed cyclic order, with each member's position."""

    members: tuple[int, ...]
    position: dict[int, int] = field(compare=False, repr=False)

    @classmethod
    def of(cls, members: Iterable[int]) -> Ring:
        ordered = tuple(members)
        return cls(ordered, {m: i for i, m in enumerate(ordered)})

    def after(self, member: int, count: int, skip: Iterable[int] = ()) -> list[int]:
        """Up to `count` members following `member`, leaving out `skip` and itself."""
        excluded = {member, *skip}
        start = self.position[member]
        size = len(self.members)
        picked: list[int] = []
        for offset in range(1, size):
            if len(picked) == count:
                break
            candidate = self.members[(start + offset) % size]
            if candidate not in excluded:
                picked.append(candidate)
        return picked

    def neighbours(self, member: int) -> list[int]:
        """The next member, then the previous one (distinct, never `member`)."""
        start, size = self.position[member], len(self.members)
        found: list[int] = []
        for offset in (1, -1):
            candidate = self.members[(start + offset) % size]
            if candidate != member and candidate not in found:
                found.append(candidate)
        return found


class LinkGraph:
    """Related links and breadcrumbs of one matrix."""

    def __init__(self, matrix: Matrix) -> None:
        self.matrix = matrix
        self.data = matrix.data
        self._skip = matrix.policy is ThinPolicy.SKIP
        self._drugs_by_name = lru_cache(maxsize=65536)(self._drugs_by_name_uncached)
        self._classmates = lru_cache(maxsize=65536)(self._classmates_uncached)
        self._payer_ring = lru_cache(maxsize=65536)(self._payer_ring_uncached)

    # Rings -------------------------------------------------------------------------
    def _drugs_with_page(self, payer: int, reason: int) -> list[int]:
        return [d for d in range(len(self.data.drugs)) if self.matrix.exists(payer, d, reason)]

    def _drugs_by_name_uncached(self, payer: int, reason: int) -> Ring:
        drugs = self.data.drugs
        members = self._drugs_with_page(payer, reason)
        return Ring.of(sorted(members, key=lambda d: (drugs[d].name.lower(), drugs[d].slug)))

    def _classmates_uncached(self, payer: int, reason: int, drug_class: str) -> Ring:
        ring = self._drugs_by_name_uncached(payer, reason)
        return Ring.of(d for d in ring.members if self.data.drugs[d].drug_class == drug_class)

    def _payer_ring_uncached(self, drug: int, reason: int) -> Ring:
        payers = range(len(self.data.payers))
        return Ring.of(p for p in payers if self.matrix.exists(p, drug, reason))

    def _reason_ring(self, payer: int, drug: int) -> Ring:
        reasons = self.matrix.drug_reasons[drug]
        return Ring.of(r for r in reasons if self.matrix.exists(payer, drug, r))

    # Related guides --------------------------------------------------------------------
    def same_reason_drugs(self, key: GuideKey) -> list[int]:
        """Other drugs at this payer for this reason: same class first, then by name."""
        # The rings depend on the payer only when thin pages are skipped.
        payer = key.payer if self._skip else 0
        drug_class = self.data.drugs[key.drug].drug_class
        picked: list[int] = []
        if drug_class is not None:
            picked = self._classmates(payer, key.reason, drug_class).neighbours(key.drug)
        by_name = self._drugs_by_name(payer, key.reason)
        picked += by_name.after(key.drug, SAME_REASON_LINKS - len(picked), skip=picked)
        return picked[:SAME_REASON_LINKS]

    def related(self, key: GuideKey) -> tuple[LinkGroup, ...]:
        """The related-guide groups of one guide; empty groups are left out."""
        d = self.data
        payer, drug, reason = d.payers[key.payer], d.drugs[key.drug], d.reasons[key.reason]
        drugs = self.same_reason_drugs(key)
        payers = self._payer_ring(key.drug, key.reason).after(key.payer, OTHER_PAYER_LINKS)
        reasons = self._reason_ring(key.payer, key.drug).after(key.reason, OTHER_REASON_LINKS)
        groups = [
            LinkGroup(
                f"Other drugs denied {reason.title_phrase} by {payer.short_name}",
                tuple(self._link(GuideKey(key.payer, o, key.reason)) for o in drugs),
            ),
            LinkGroup(
                f"{drug.name} at other health plans",
                tuple(self._link(GuideKey(p, key.drug, key.reason)) for p in payers),
            ),
            LinkGroup(
                f"Other {drug.name} denials at {payer.short_name}",
                tuple(self._link(GuideKey(key.payer, key.drug, r)) for r in reasons),
            ),
        ]
        # The next guide in build order, unless already linked: every guide then has an
        # inbound related link even when its rings are empty (sparse sites, skip policy).
        following = self.matrix.next_key(key)
        linked = {link.url for group in groups for link in group.links}
        link = self._link(following)
        if following != key and link.url not in linked:
            same_payer = following.payer == key.payer
            heading = (
                f"More {payer.short_name} appeal guides" if same_payer else "More appeal guides"
            )
            groups.append(LinkGroup(heading, (link,)))
        return tuple(g for g in groups if g.links)

    def _link(self, key: GuideKey) -> Link:
        d = self.data
        payer, drug, reason = d.payers[key.payer], d.drugs[key.drug], d.reasons[key.reason]
        url = guide_url(payer.slug, drug.slug, reason.slug)
        return Link(url, guide_link_text(drug, reason, payer))

    # Breadcrumbs -------------------------------------------------------------------
    def guide_crumbs(self, guide: Guide) -> tuple[Link, ...]:
        return (
            Link("/", "Home"),
            Link(payer_url(guide.payer), guide.payer.name),
            Link(payer_drug_url(guide.payer, guide.drug), guide.drug.name),
            Link(guide.url, guide.reason.name),
        )
