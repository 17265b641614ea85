"""Hub pages: home, payer, payer + drug, drug and reason, so that every guide is at most
three clicks from the home page (home -> payer -> payer + drug -> guide) and no page is
an orphan. Lists are sorted by display name; only hubs with guides behind them exist.
Produces no HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .links import LinkGroup, drug_url, payer_drug_url, payer_url, reason_url
from .matrix import Matrix
from .models import (
    Drug,
    DrugFacts,
    Link,
    Payer,
    PayerFacts,
    ReasonFacts,
    payer_facts,
)


@dataclass(frozen=True)
class HubPage:
    """A navigation page: what it is about and the groups of links it lists."""

    kind: str  # home, payer, payer_drug, drug, reason
    url: str
    heading: str
    crumbs: tuple[Link, ...]
    groups: tuple[LinkGroup, ...]
    indexable: bool = True
    payer: PayerFacts | None = None
    drug: DrugFacts | None = None
    reason: ReasonFacts | None = None
    guide_count: int = 0


def _drug_shown(drug: Drug, details: bool) -> DrugFacts:
    """What a hub shows of a drug: its names, and on its own hub its class and condition."""
    if details:
        return DrugFacts(
            drug.slug, drug.name, drug.full_name, drug.generic_name, drug.drug_class, drug.condition
        )
    return DrugFacts(drug.slug, drug.name, drug.full_name, drug.generic_name)


def _drug_link(drug: Drug, url: str) -> Link:
    return Link(url, drug.full_name, drug.drug_class or "")


def lists_indexable(guides_indexable: Iterable[bool]) -> bool:
    """Whether a payer+drug hub is indexable, from whether each guide it lists is: when one
    of them is (thin hubs stay out)."""
    return any(guides_indexable)


class Hubs:
    """The hub pages of one matrix."""

    def __init__(self, matrix: Matrix) -> None:
        self.matrix = matrix
        self.data = matrix.data

    def all(self) -> Iterator[HubPage]:
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
        return [p for i, p in enumerate(self.data.payers) if self.payer_has_pages(i)]

    def payer_has_pages(self, payer: int) -> bool:
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
            LinkGroup("Appeal guides by drug", tuple(_drug_link(d, drug_url(d)) for d in drugs)),
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
                    _drug_link(drug, payer_drug_url(record, drug))
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
            payer=payer_facts(record, with_description=True),
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
            indexable=lists_indexable(g.indexable for g in guides),
            payer=payer_facts(p),
            drug=_drug_shown(d, details=False),
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
        # Only the reasons this drug has a guide for: with thin pages skipped, a reason of
        # the drug may have none (and its hub lists other drugs, or is not built at all).
        reasons = tuple(
            Link(reason_url(self.data.reasons[r]), self.data.reasons[r].name)
            for r in self.matrix.drug_reasons[drug]
            if any(self.matrix.exists(p, drug, r) for p in payers)
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
            drug=_drug_shown(d, details=True),
        )

    def reason_drugs(self, reason: int) -> list[int]:
        return [
            d
            for d in range(len(self.data.drugs))
            if reason in self.matrix.drug_reasons[d]
            and any(self.matrix.exists(p, d, reason) for p in range(len(self.data.payers)))
        ]

    def _reason_payers(self, reason: int, drugs: list[int]) -> list[Payer]:
        """The payers with a guide for this reason (one of `drugs`, those that have one)."""
        return [
            p
            for i, p in enumerate(self.data.payers)
            if any(self.matrix.exists(i, d, reason) for d in drugs)
        ]

    def reason_hub(self, reason: int) -> HubPage | None:
        drugs = self.reason_drugs(reason)
        if not drugs:
            return None
        r = self.data.reasons[reason]
        drug_links = tuple(
            _drug_link(self.data.drugs[d], drug_url(self.data.drugs[d]))
            for d in sorted(drugs, key=lambda i: self.data.drugs[i].name.lower())
        )
        payers = tuple(
            Link(payer_url(p), p.name)
            for p in sorted(self._reason_payers(reason, drugs), key=lambda p: p.name.lower())
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
            reason=ReasonFacts(r.slug, r.name, r.title_phrase, r.lead),
        )
