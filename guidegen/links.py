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
from functools import cached_property, lru_cache
from typing import NamedTuple

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


class LinkGroup(NamedTuple):
    heading: str
    links: tuple[Link, ...]


class RelatedKeys(NamedTuple):
    """The guides one guide links to: same reason at its payer, same drug and reason at other
    payers, other reasons for its payer and drug, and the next guide when not among them."""

    drugs: tuple[int, ...]
    payers: tuple[int, ...]
    reasons: tuple[int, ...]
    following: GuideKey | None


@dataclass(frozen=True, slots=True)
class _LinkIds:
    payers: list[str]
    drugs: list[str]
    reasons: list[str]


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
        # asked for by every guide of a (payer, drug) unit in a row
        self._reason_ring = lru_cache(maxsize=64)(self._reason_ring_uncached)
        # the same for every payer unless thin pages are skipped; units go drug by drug
        self._same_reason = lru_cache(maxsize=4096)(self._same_reason_uncached)

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
        if drug < 0:  # the shared ring: every payer
            return Ring.of(payers)
        return Ring.of(p for p in payers if self.matrix.exists(p, drug, reason))

    def payer_ring(self, drug: int, reason: int) -> Ring:
        """Payers with a guide for this drug and reason. Unless thin pages are skipped, that is
        every payer whenever the drug gets the reason: one shared ring, not one per pair
        (thousands of rings of hundreds of payers in each worker at a million pages)."""
        return self._payer_ring(drug, reason) if self._skip else self._payer_ring(-1, -1)

    def _reason_ring_uncached(self, payer: int, drug: int) -> Ring:
        reasons = self.matrix.drug_reasons[drug]
        return Ring.of(r for r in reasons if self.matrix.exists(payer, drug, r))

    # Related guides --------------------------------------------------------------------
    def same_reason_drugs(self, key: GuideKey) -> tuple[int, ...]:
        """Other drugs at this payer for this reason: same class first, then by name."""
        # The rings depend on the payer only when thin pages are skipped.
        return self._same_reason(key.payer if self._skip else 0, key.drug, key.reason)

    def _same_reason_uncached(self, payer: int, drug: int, reason: int) -> tuple[int, ...]:
        drug_class = self.data.drugs[drug].drug_class
        picked: list[int] = []
        if drug_class is not None:
            picked = self._classmates(payer, reason, drug_class).neighbours(drug)
        by_name = self._drugs_by_name(payer, reason)
        picked += by_name.after(drug, SAME_REASON_LINKS - len(picked), skip=picked)
        return tuple(picked[:SAME_REASON_LINKS])

    def related_keys(self, key: GuideKey) -> RelatedKeys:
        """Which guides a guide links to, as keys: cheap enough to fingerprint every page."""
        drugs = self.same_reason_drugs(key)
        payers = self.payer_ring(key.drug, key.reason).after(key.payer, OTHER_PAYER_LINKS)
        reasons = self._reason_ring(key.payer, key.drug).after(key.reason, OTHER_REASON_LINKS)
        # The next guide in build order, unless already linked: every guide then has an
        # inbound related link even when its rings are empty (sparse sites, skip policy).
        following: GuideKey | None = self.matrix.next_key(key)
        if following == key or (
            following is not None
            and (
                (
                    following.payer == key.payer
                    and following.reason == key.reason
                    and following.drug in drugs
                )
                or (
                    following.drug == key.drug
                    and following.reason == key.reason
                    and following.payer in payers
                )
                or (
                    following.payer == key.payer
                    and following.drug == key.drug
                    and following.reason in reasons
                )
            )
        ):
            following = None
        return RelatedKeys(drugs, tuple(payers), tuple(reasons), following)

    def signature(self, key: GuideKey, related: RelatedKeys) -> str:
        """What the related links of a guide show, digested from the records they name."""
        ids = self._link_ids
        parts = [ids.drugs[d] for d in related.drugs]
        parts.append("|")
        parts += [ids.payers[p] for p in related.payers]
        parts.append("|")
        parts += [ids.reasons[r] for r in related.reasons]
        if related.following is not None:
            f = related.following
            parts += [
                "|",
                str(f.payer == key.payer),
                ids.payers[f.payer],
                ids.drugs[f.drug],
                ids.reasons[f.reason],
            ]
        return "".join(parts)

    @cached_property
    def _link_ids(self) -> _LinkIds:
        """Per record, the fields a link to its guides shows (slug for the URL, names)."""
        d = self.data
        return _LinkIds(
            payers=[f"{p.slug}\x1f{p.name}\x1e" for p in d.payers],
            drugs=[f"{x.slug}\x1f{x.name}\x1e" for x in d.drugs],
            reasons=[f"{r.slug}\x1f{r.title_phrase}\x1e" for r in d.reasons],
        )

    def related(self, key: GuideKey, keys: RelatedKeys | None = None) -> tuple[LinkGroup, ...]:
        """The related-guide groups of one guide; empty groups are left out."""
        d = self.data
        payer, drug, reason = d.payers[key.payer], d.drugs[key.drug], d.reasons[key.reason]
        found = keys or self.related_keys(key)
        link, p, dr, r = self._link, key.payer, key.drug, key.reason
        groups = [
            LinkGroup(
                f"Other drugs denied {reason.title_phrase} by {payer.short_name}",
                tuple([link(p, other, r) for other in found.drugs]),
            ),
            LinkGroup(
                f"{drug.name} at other health plans",
                tuple([link(other, dr, r) for other in found.payers]),
            ),
            LinkGroup(
                f"Other {drug.name} denials at {payer.short_name}",
                tuple([link(p, dr, other) for other in found.reasons]),
            ),
        ]
        if found.following is not None:
            same_payer = found.following.payer == key.payer
            heading = (
                f"More {payer.short_name} appeal guides" if same_payer else "More appeal guides"
            )
            f = found.following
            groups.append(LinkGroup(heading, (link(f.payer, f.drug, f.reason),)))
        return tuple(g for g in groups if g.links)

    def _link(self, payer_index: int, drug_index: int, reason_index: int) -> Link:
        d = self.data
        payer, drug = d.payers[payer_index], d.drugs[drug_index]
        reason = d.reasons[reason_index]
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
