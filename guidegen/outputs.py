"""Every file of the site, unit by unit, each with the fingerprint of its inputs.

A guide's fingerprint digests its records, its write-up, its related-link set, the
templates it uses (with everything they include), the site settings and the generator's
code, so an unchanged fingerprint means unchanged bytes. Hubs and site files are digested
from what they list. Rendering is deferred (`Output.make`) until the builder has compared
fingerprints. Sitemaps are grouped per payer, so a sharded build writes the same files as a
full one. Writes nothing itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from .builder import Output, Producer, Unit, content_hash, fingerprint
from .hubs import HubPage
from .inputs import code_digest
from .links import LinkGroup
from .matrix import Guide, output_path
from .models import GuideKey
from .pages import guide_page, hub_meta, not_found_meta
from .sitefiles import SITEMAP_LIMIT, robots_txt, sitemap_files, sitemap_index, sitemap_names
from .sitemodel import LoadedSite
from .templating import page_names


def _links_signature(groups: tuple[LinkGroup, ...]) -> str:
    return "\x1e".join(
        g.heading
        + "\x1d"
        + "\x1d".join(f"{link.url}\t{link.text}\t{link.note}" for link in g.links)
        for g in groups
    )


def _lastmod(guide: Guide) -> str | None:
    updated: dt.date | None = guide.doc.front.updated
    return updated.isoformat() if updated else None


class SiteOutputs(Producer):
    """The outputs of one loaded site."""

    def __init__(self, site: LoadedSite, sitemap_limit: int = SITEMAP_LIMIT) -> None:
        self.site = site
        self.settings = site.data.site
        self.sitemap_limit = sitemap_limit
        renderer = site.renderer
        base = (code_digest(), self.settings.digest, site.assets.digest)
        self.guide_base = fingerprint("guide", renderer.digest("guide.html"), *base)
        self.hub_base = fingerprint("hub", renderer.digest("hub.html"), *base)
        self.home_base = fingerprint("home", renderer.digest("home.html"), *base)
        self.page_base = fingerprint("404", renderer.digest("404.html"), *base)

    def outputs(self, unit: Unit) -> Iterator[Output]:
        if unit.kind == "guides":
            yield from self.guides(unit.payer, unit.drug)
        elif unit.kind == "payer":
            yield from self.payer(unit.payer)
        else:
            yield from self.site_wide()

    # pages -------------------------------------------------------------------------
    def guide_output(self, key: GuideKey) -> Output:
        site = self.site
        guide = site.matrix.guide(key)
        related = site.graph.related(key)
        doc = guide.doc
        names = page_names(guide.payer, guide.drug, guide.reason, self.settings)
        print_ = fingerprint(
            self.guide_base,
            site.facts.guide_digest(key),
            doc.path,
            doc.digest,
            doc.used_values(names),
            guide.indexable,
            _links_signature(related),
        )

        def make() -> bytes:
            page = guide_page(guide, site.graph, self.settings, site.facts, related)
            return site.renderer.guide(page).encode("utf-8")

        group = f"payer-{guide.payer.slug}"
        return Output(guide.output, print_, make, guide.indexable, _lastmod(guide), group, True)

    def hub_output(self, hub: HubPage, group: str) -> Output:
        meta = hub_meta(hub, self.settings)
        base = self.home_base if hub.kind == "home" else self.hub_base
        print_ = fingerprint(base, repr(hub), repr(meta))

        def make() -> bytes:
            return self.site.renderer.hub(hub, meta).encode("utf-8")

        return Output(output_path(hub.url), print_, make, meta.indexable, None, group)

    def guides(self, payer: int, drug: int) -> Iterator[Output]:
        site = self.site
        for key in site.matrix.keys_for(payer, drug):
            yield self.guide_output(key)
        hub = site.hubs.payer_drug_hub(payer, drug)
        if hub is not None:
            yield self.hub_output(hub, f"payer-{site.data.payers[payer].slug}")

    # payer unit: its hub and its sitemap -------------------------------------------------
    def payer(self, payer: int) -> Iterator[Output]:
        hub = self.site.hubs.payer_hub(payer)
        if hub is None:
            return
        group = f"payer-{hub.payer.slug}" if hub.payer else "payer"
        yield self.hub_output(hub, group)
        entries = sorted(self.payer_sitemap_entries(payer))
        for name, data in sitemap_files(self.settings, group, entries, self.sitemap_limit):
            yield _file(name, data)

    def payer_sitemap_entries(self, payer: int) -> Iterator[tuple[str, str | None]]:
        """(url, lastmod) of every indexable page a payer's sitemap lists."""
        site = self.site
        hub = site.hubs.payer_hub(payer)
        if hub is None:
            return
        yield hub.url, None
        for drug in range(len(site.data.drugs)):
            sub = site.hubs.payer_drug_hub(payer, drug)
            if sub is not None and sub.indexable:
                yield sub.url, None
            for key in site.matrix.keys_for(payer, drug):
                guide = site.matrix.guide(key)
                if guide.indexable:
                    yield guide.url, _lastmod(guide)

    def not_found(self) -> Output:
        meta = not_found_meta(self.settings)

        def make() -> bytes:
            return self.site.renderer.not_found(meta).encode("utf-8")

        return Output("404.html", fingerprint(self.page_base, repr(meta)), make)

    # site unit ---------------------------------------------------------------------
    def site_wide(self) -> Iterator[Output]:
        site = self.site
        hubs = site.hubs
        group_entries: list[tuple[str, str | None]] = []
        home = hubs.home()
        yield self.hub_output(home, "site")
        group_entries.append((home.url, None))
        others = [hubs.drug_hub(d) for d in range(len(site.data.drugs))]
        others += [hubs.reason_hub(r) for r in range(len(site.data.reasons))]
        for hub in others:
            if hub is not None:
                yield self.hub_output(hub, "site")
                group_entries.append((hub.url, None))
        yield self.not_found()
        yield _file("robots.txt", robots_txt(self.settings).encode("utf-8"))
        for rel, source in sorted(site.assets.files.items()):
            data = source.read_bytes()
            yield _file(rel, data)
        names = []
        for name, data in sitemap_files(
            self.settings, "site", sorted(group_entries), self.sitemap_limit
        ):
            names.append(name)
            yield _file(name, data)
        for payer in range(len(site.data.payers)):
            count = sum(1 for _ in self.payer_sitemap_entries(payer))
            group = f"payer-{site.data.payers[payer].slug}"
            names += sitemap_names(group, count, self.sitemap_limit)
        yield _file("sitemap.xml", sitemap_index(self.settings, names))


def _file(path: str, data: bytes) -> Output:
    """A file whose bytes are already known: its fingerprint is its content."""
    return Output(path, content_hash(data), lambda: data)
