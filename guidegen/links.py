"""Link stage: related guides, breadcrumbs and hub pages, in a deterministic order.

Related guides come from three rings, each a fixed cyclic order of the guides that
exist: other drugs at the same payer for the same reason (ordered by class, so the
neighbours are same-class drugs first, plus one cross-class neighbour by name); the same
drug at other payers; other reasons for the same payer and drug. Every guide links to the
next members of each ring, so every guide is also linked *from* its predecessors: inbound
links are spread evenly by construction, and a guide's links are a pure function of the
data (no global pass over a million pages). A last link to the next guide in build order,
when not already linked, guarantees an inbound link even on sparse sites. Hubs make every guide three clicks from home:
home -> payer -> payer+drug -> guide. Produces no HTML.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from .matrix import Guide, Matrix, guide_url
from .models import DenialReason, Drug, GuideKey, Link, Payer

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
class HubPage:
    """A navigation page: what it is about and the groups of links it lists."""

    kind: str  # home, payer, payer_drug, drug, reason
    url: str
    heading: str
    crumbs: tuple[Link, ...]
    groups: tuple[LinkGroup, ...]
    indexable: bool = True
    payer: Payer | None = None
    drug: Drug | None = None
    reason: DenialReason | None = None
    guide_count: int = 0
    inputs: tuple[str, ...] = field(default=(), repr=False)


def _cyclic(ring: tuple[int, ...], position: int, offsets: range) -> list[int]:
    """Members at the given offsets from a position, excluding it, without repeats."""
    picked: list[int] = []
    for offset in offsets:
        member = ring[(position + offset) % len(ring)]
        if member != ring[position] and member not in picked:
            picked.append(member)
    return picked


class LinkGraph:
    """Related links, breadcrumbs and hubs of one matrix."""

    def __init__(self, matrix: Matrix) -> None:
        self.matrix = matrix
        self.data = matrix.data
        self._drug_ring = lru_cache(maxsize=65536)(self._drug_ring_uncached)
        self._payer_ring = lru_cache(maxsize=65536)(self._payer_ring_uncached)

    # Rings -------------------------------------------------------------------------
    def _drug_ring_uncached(
        self, payer: int, reason: int
    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Drugs with a page at (payer, reason): (by class then name, by name)."""
        drugs = self.data.drugs
        members = [d for d in range(len(drugs)) if self.matrix.exists(payer, d, reason)]
        by_class = tuple(
            sorted(
                members,
                key=lambda d: (
                    drugs[d].drug_class is None,
                    (drugs[d].drug_class or "").lower(),
                    drugs[d].name.lower(),
                    drugs[d].slug,
                ),
            )
        )
        by_name = tuple(sorted(members, key=lambda d: (drugs[d].name.lower(), drugs[d].slug)))
        return by_class, by_name

    def _payer_ring_uncached(self, drug: int, reason: int) -> tuple[int, ...]:
        return tuple(p for p in range(len(self.data.payers)) if self.matrix.exists(p, drug, reason))

    def drug_ring(self, payer: int, reason: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        # The ring depends on the payer only when thin pages are skipped.
        p = payer if self.matrix.policy.value == "skip" else 0
        return self._drug_ring(p, reason)

    def reason_ring(self, payer: int, drug: int) -> tuple[int, ...]:
        return tuple(
            r for r in self.matrix.drug_reasons[drug] if self.matrix.exists(payer, drug, r)
        )

    # Related guides --------------------------------------------------------------------
    def same_reason_drugs(self, key: GuideKey) -> list[int]:
        """Other drugs at this payer for this reason: same class first, then by name."""
        by_class, by_name = self.drug_ring(key.payer, key.reason)
        drugs = self.data.drugs
        drug_class = drugs[key.drug].drug_class
        picked: list[int] = []
        if drug_class is not None:
            classmates = tuple(d for d in by_class if drugs[d].drug_class == drug_class)
            if len(classmates) > 1:
                picked = _cyclic(classmates, classmates.index(key.drug), range(1, -2, -2))
        position = by_name.index(key.drug)
        for offset in range(1, len(by_name)):
            if len(picked) >= SAME_REASON_LINKS:
                break
            candidate = by_name[(position + offset) % len(by_name)]
            if candidate != key.drug and candidate not in picked:
                picked.append(candidate)
        return picked[:SAME_REASON_LINKS]

    def related(self, key: GuideKey) -> tuple[LinkGroup, ...]:
        """The related-guide groups of one guide, each possibly empty (then left out)."""
        d = self.data
        payer, drug, reason = d.payers[key.payer], d.drugs[key.drug], d.reasons[key.reason]
        groups: list[LinkGroup] = []
        same_reason = [
            self._link(GuideKey(key.payer, other, key.reason))
            for other in self.same_reason_drugs(key)
        ]
        groups.append(
            LinkGroup(
                f"Other drugs denied {reason.title_phrase} by {payer.short_name}",
                tuple(same_reason),
            )
        )
        payers = self._payer_ring(key.drug, key.reason)
        other_payers = _cyclic(payers, payers.index(key.payer), range(1, OTHER_PAYER_LINKS + 1))
        groups.append(
            LinkGroup(
                f"{drug.name} at other health plans",
                tuple(self._link(GuideKey(p, key.drug, key.reason)) for p in other_payers),
            )
        )
        reasons = self.reason_ring(key.payer, key.drug)
        other_reasons = _cyclic(
            reasons, reasons.index(key.reason), range(1, OTHER_REASON_LINKS + 1)
        )
        groups.append(
            LinkGroup(
                f"Other {drug.name} denials at {payer.short_name}",
                tuple(self._link(GuideKey(key.payer, key.drug, r)) for r in other_reasons),
            )
        )
        # The next guide in build order, unless already linked: every guide then has an
        # inbound related link even when its rings are empty (sparse sites, skip policy).
        following = self.matrix.next_key(key)
        linked = {link.url for group in groups for link in group.links}
        link = self._link(following)
        if following != key and link.url not in linked:
            heading = (
                f"More {payer.short_name} appeal guides"
                if following.payer == key.payer
                else "More appeal guides"
            )
            groups.append(LinkGroup(heading, (link,)))
        return tuple(g for g in groups if g.links)

    def _link(self, key: GuideKey) -> Link:
        d = self.data
        payer, drug, reason = d.payers[key.payer], d.drugs[key.drug], d.reasons[key.reason]
        return Link(
            guide_url(payer.slug, drug.slug, reason.slug), guide_link_text(drug, reason, payer)
        )

    # Breadcrumbs -------------------------------------------------------------------
    def guide_crumbs(self, guide: Guide) -> tuple[Link, ...]:
        return (
            Link("/", "Home"),
            Link(payer_url(guide.payer), guide.payer.name),
            Link(payer_drug_url(guide.payer, guide.drug), guide.drug.name),
            Link(guide.url, guide.reason.name),
        )

    # Hubs --------------------------------------------------------------------------
    def _drug_link(self, drug: Drug, url: str) -> Link:
        note = drug.drug_class or ""
        text = drug.full_name
        return Link(url, text, note)

    def hubs(self) -> Iterator[HubPage]:
        """Every hub page, home first, in a fixed order."""
        yield self.home()
        for p in range(len(self.data.payers)):
            hub = self.payer_hub(p)
            if hub is not None:
                yield hub
                for d in range(len(self.data.drugs)):
                    sub = self.payer_drug_hub(p, d)
                    if sub is not None:
                        yield sub
        for d in range(len(self.data.drugs)):
            hub = self.drug_hub(d)
            if hub is not None:
                yield hub
        for r in range(len(self.data.reasons)):
            hub = self.reason_hub(r)
            if hub is not None:
                yield hub

    def _payers_with_pages(self) -> list[Payer]:
        return [p for i, p in enumerate(self.data.payers) if self._payer_has_pages(i)]

    def _payer_has_pages(self, payer: int) -> bool:
        return next(self.matrix.keys_for(payer), None) is not None

    def _drugs_with_pages(self) -> list[Drug]:
        return [d for i, d in enumerate(self.data.drugs) if self.drug_payers(i)]

    def drug_payers(self, drug: int) -> list[int]:
        return [
            p
            for p in range(len(self.data.payers))
            if next(self.matrix.keys_for(p, drug), None) is not None
        ]

    def home(self) -> HubPage:
        data = self.data
        payers = sorted(self._payers_with_pages(), key=lambda p: p.name.lower())
        drugs = sorted(self._drugs_with_pages(), key=lambda d: d.name.lower())
        reasons = [r for i, r in enumerate(data.reasons) if self.reason_drugs(i)]
        groups = (
            LinkGroup(
                "Appeal guides by health plan", tuple(Link(payer_url(p), p.name) for p in payers)
            ),
            LinkGroup(
                "Appeal guides by drug", tuple(self._drug_link(d, drug_url(d)) for d in drugs)
            ),
            LinkGroup(
                "Appeal guides by denial reason",
                tuple(Link(reason_url(r), r.name, r.lead) for r in reasons),
            ),
        )
        return HubPage(
            "home",
            "/",
            f"{data.site.site_name} appeal guides",
            (Link("/", "Home"),),
            groups,
            guide_count=self.matrix.count(),
        )

    def payer_hub(self, payer: int) -> HubPage | None:
        record = self.data.payers[payer]
        drugs = [
            d
            for d in range(len(self.data.drugs))
            if next(self.matrix.keys_for(payer, d), None) is not None
        ]
        if not drugs:
            return None
        by_class: dict[str, list[Drug]] = {}
        for d in drugs:
            drug = self.data.drugs[d]
            by_class.setdefault(drug.drug_class or "Other drugs", []).append(drug)
        groups = tuple(
            LinkGroup(
                name[:1].upper() + name[1:],
                tuple(
                    self._drug_link(drug, payer_drug_url(record, drug))
                    for drug in sorted(members, key=lambda x: x.name.lower())
                ),
            )
            for name, members in sorted(
                by_class.items(), key=lambda kv: (kv[0] == "Other drugs", kv[0].lower())
            )
        )
        crumbs = (Link("/", "Home"), Link(payer_url(record), record.name))
        return HubPage(
            "payer",
            payer_url(record),
            f"{record.name} drug-denial appeal guides",
            crumbs,
            groups,
            payer=record,
            guide_count=sum(1 for _ in self.matrix.keys_for(payer)),
        )

    def payer_drug_hub(self, payer: int, drug: int) -> HubPage | None:
        keys = list(self.matrix.keys_for(payer, drug))
        if not keys:
            return None
        p, d = self.data.payers[payer], self.data.drugs[drug]
        guides = [self.matrix.guide(k) for k in keys]
        links = tuple(Link(g.url, g.reason.name, g.reason.lead) for g in guides)
        crumbs = (Link("/", "Home"), Link(payer_url(p), p.name), Link(payer_drug_url(p, d), d.name))
        return HubPage(
            "payer_drug",
            payer_drug_url(p, d),
            f"{d.name} denied by {p.name}: appeal guides",
            crumbs,
            (LinkGroup(f"Why {p.short_name} denied {d.name}", links),),
            indexable=any(g.indexable for g in guides),
            payer=p,
            drug=d,
            guide_count=len(keys),
        )

    def drug_hub(self, drug: int) -> HubPage | None:
        payers = self.drug_payers(drug)
        if not payers:
            return None
        d = self.data.drugs[drug]
        plan_links = tuple(
            Link(payer_drug_url(self.data.payers[p], d), self.data.payers[p].name)
            for p in sorted(payers, key=lambda i: self.data.payers[i].name.lower())
        )
        reasons = tuple(
            Link(reason_url(self.data.reasons[r]), self.data.reasons[r].name)
            for r in self.matrix.drug_reasons[drug]
        )
        crumbs = (Link("/", "Home"), Link(drug_url(d), d.name))
        return HubPage(
            "drug",
            drug_url(d),
            f"{d.name} insurance denials: appeal guides",
            crumbs,
            (
                LinkGroup(f"{d.name} appeal guides by health plan", plan_links),
                LinkGroup(f"Reasons plans give for denying {d.name}", reasons),
            ),
            drug=d,
            guide_count=sum(len(list(self.matrix.keys_for(p, drug))) for p in payers),
        )

    def reason_drugs(self, reason: int) -> list[int]:
        return [
            d
            for d in range(len(self.data.drugs))
            if reason in self.matrix.drug_reasons[d]
            and any(self.matrix.exists(p, d, reason) for p in range(len(self.data.payers)))
        ]

    def reason_hub(self, reason: int) -> HubPage | None:
        drugs = self.reason_drugs(reason)
        if not drugs:
            return None
        r = self.data.reasons[reason]
        drug_links = tuple(
            self._drug_link(self.data.drugs[d], drug_url(self.data.drugs[d]))
            for d in sorted(drugs, key=lambda i: self.data.drugs[i].name.lower())
        )
        payers = tuple(
            Link(payer_url(p), p.name)
            for p in sorted(self._payers_with_pages(), key=lambda p: p.name.lower())
        )
        crumbs = (Link("/", "Home"), Link(reason_url(r), r.name))
        return HubPage(
            "reason",
            reason_url(r),
            f"Denied {r.title_phrase}? Appeal guides",
            crumbs,
            (
                LinkGroup("Drugs with a guide for this denial", drug_links),
                LinkGroup("Guides by health plan", payers),
            ),
            reason=r,
        )
