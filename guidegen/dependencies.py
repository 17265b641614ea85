"""What each unit of work depends on, as one digest, so a rebuild can leave whole units alone.

A page's fingerprint (outputs.py) says whether that page must be rendered again, but
working it out for every page of a million-page site costs seconds of CPU on every build.
A unit's digest covers everything any of its files can show:

- the site-wide inputs: the generator's code, the templates, the settings, the assets,
  the denial reasons and the build options;
- the *shape* of the matrix: which guides exist and in which order, and the order of the
  related-link rings. Rings are ordered by slug, class, reason list and name order, so
  renaming a drug without moving it in the alphabet leaves the shape alone;
- its own records (payer, drug) and the write-ups (with their dates) of its pages;
- the records its pages link to. These are recorded when the unit is built (`UnitDeps`),
  and while the shape is unchanged, every page links to the same guides as before.

When the digest equals the one in the manifest, no file of the unit can differ and the
builder skips the unit without fingerprinting a page. Payer hubs, payer sitemaps and the
sitemap index are units of their own because they depend on different things (drug
names; write-ups; counts). The site-wide unit depends on nearly everything: it has no
digest and is always looked at.
Renders nothing and touches no files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from .builder import Unit, fingerprint
from .links import RelatedKeys
from .models import ThinPolicy
from .sitemodel import LoadedSite


@dataclass
class UnitDeps:
    """The payers and drugs (by index) whose guides the pages of one unit link to."""

    payers: set[int] = field(default_factory=set)
    drugs: set[int] = field(default_factory=set)

    def add(self, payer: int, drug: int, related: RelatedKeys) -> None:
        """What one page links to: `related` of the guide of `payer` and `drug`."""
        self.drugs.update(related.drugs)
        self.payers.update(related.payers)
        if related.following is not None:
            self.payers.add(related.following.payer)
            self.drugs.add(related.following.drug)
        self.payers.discard(payer)
        self.drugs.discard(drug)

    def within(self, payers: int, drugs: int) -> bool:
        """Whether every index is one of `payers` payers and `drugs` drugs."""
        return max(self.payers, default=-1) < payers and max(self.drugs, default=-1) < drugs

    def encode(self) -> str:
        return (
            ",".join(map(str, sorted(self.payers))) + ";" + ",".join(map(str, sorted(self.drugs)))
        )

    @classmethod
    def decode(cls, text: str) -> UnitDeps:
        payers, _, drugs = text.partition(";")
        return cls(
            {int(p) for p in payers.split(",") if p}, {int(d) for d in drugs.split(",") if d}
        )


class Dependencies:
    """The digests of the units of one loaded site, for one set of site-wide inputs."""

    def __init__(self, site: LoadedSite, site_wide: str) -> None:
        self.site = site
        data = site.data
        self.base = fingerprint("units", site_wide, self.shape(), *(r.digest for r in data.reasons))

    def shape(self) -> str:
        """A digest of which guides exist, in which order, and how the rings are ordered."""
        data, matrix = self.site.data, self.site.matrix
        parts: list[object] = [
            [p.slug for p in data.payers],
            [(d.slug, d.drug_class, matrix.drug_reasons[i]) for i, d in enumerate(data.drugs)],
            [r.slug for r in data.reasons],
            sorted(
                range(len(data.drugs)),
                key=lambda i: (data.drugs[i].name.lower(), data.drugs[i].slug),
            ),
            matrix.policy,
        ]
        if matrix.policy is ThinPolicy.SKIP:  # which guides exist depends on the write-ups
            content = self.site.content
            parts += [sorted(content.guides), sorted(content.drugs)]
        return fingerprint(*parts)

    def unit_digest(self, unit: Unit, deps: UnitDeps) -> str | None:
        """The digest of everything the unit's files depend on; None: always look at them."""
        data = self.site.data
        if not deps.within(len(data.payers), len(data.drugs)):
            return None  # recorded before records were removed: the shape changed anyway
        if unit.kind == "guides":
            p, d = unit.payer, unit.drug
            return fingerprint(
                self.base,
                unit.key,
                data.payers[p].digest,
                data.drugs[d].digest,
                self._docs(self._guide_docs(p, d)),
                [data.payers[i].digest for i in sorted(deps.payers)],
                [data.drugs[i].digest for i in sorted(deps.drugs)],
            )
        if unit.kind == "payer":  # its hub lists the drugs it has guides for
            return fingerprint(self.base, unit.key, data.payers[unit.payer].digest, self._all_drugs)
        if unit.kind == "sitemap":  # which of its pages are indexable, and their lastmod
            p = unit.payer
            return fingerprint(
                self.base,
                unit.key,
                data.payers[p].digest,
                self._shared_docs,
                self._docs(self._payer_docs.get(data.payers[p].slug, ())),
            )
        if unit.kind == "sitemaps":  # how many pages each sitemap lists
            return fingerprint(self.base, unit.key, self._shared_docs, self._all_payer_docs)
        return None

    def _guide_docs(self, payer: int, drug: int) -> list[str]:
        """The write-up each guide of a payer and drug shows (the cascade's choice)."""
        site = self.site
        p, d = site.data.payers[payer].slug, site.data.drugs[drug].slug
        content = site.content
        found = []
        for key in site.matrix.keys_for(payer, drug):
            reason = site.data.reasons[key.reason].slug
            rel = (
                content.guides.get((p, d, reason))
                or content.drugs.get((d, reason))
                or content.reasons.get(reason)
            )
            found.append(rel or "")
        return found

    def _docs(self, paths: Iterable[str]) -> str:
        """Write-ups by path: what they say and when they last changed."""
        site = self.site
        parts = []
        for rel in paths:
            doc = site.content.docs.get(rel)
            parts.append(f"{rel}\x1f{doc.digest if doc else ''}\x1f{site.dates.get(rel)}")
        return "\x1e".join(parts)

    @cached_property
    def _all_drugs(self) -> str:
        return fingerprint(*(d.digest for d in self.site.data.drugs))

    @cached_property
    def _shared_docs(self) -> str:
        """Drug-level and fallback write-ups, which any payer's pages may show."""
        content = self.site.content
        return fingerprint(
            self._docs(content.drugs[k] for k in sorted(content.drugs)),
            self._docs(content.reasons[k] for k in sorted(content.reasons)),
        )

    @cached_property
    def _all_payer_docs(self) -> str:
        content = self.site.content
        return self._docs(content.guides[k] for k in sorted(content.guides))

    @cached_property
    def _payer_docs(self) -> dict[str, list[str]]:
        """Each payer's own write-ups (content/guides/<payer>/...), by path."""
        found: dict[str, list[str]] = {}
        for (payer, _, _), rel in sorted(self.site.content.guides.items()):
            found.setdefault(payer, []).append(rel)
        return found
