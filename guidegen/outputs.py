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
from .dependencies import Dependencies, UnitDeps
from .hostfiles import RULE_FILE_HOSTS, check_host_limits, headers_file, redirect_rules
from .hubs import HubPage, lists_indexable
from .inputs import code_digest
from .links import LinkGroup, drug_url, guide_link_text, payer_drug_url, reason_url
from .matrix import Guide, guide_url, output_path
from .models import GuideKey
from .pages import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    GuidePage,
    guide_page,
    hub_meta,
    not_found_meta,
)
from .sitefiles import SITEMAP_LIMIT, robots_txt, sitemap_files, sitemap_index, sitemap_names
from .sitemodel import LoadedSite
from .templating import page_names
from .writeup import ContentDoc


def _links_signature(groups: tuple[LinkGroup, ...]) -> str:
    return "\x1e".join(
        g.heading
        + "\x1d"
        + "\x1d".join(f"{link.url}\t{link.text}\t{link.note}" for link in g.links)
        for g in groups
    )


class SiteOutputs(Producer):
    """The outputs of one loaded site."""

    def __init__(
        self, site: LoadedSite, sitemap_limit: int = SITEMAP_LIMIT, host: str | None = None
    ) -> None:
        self.site = site
        self.settings = site.data.site
        self.sitemap_limit = sitemap_limit
        self.host = host or self.settings.host
        self.render_timeout = self.settings.render_timeout
        renderer = site.renderer
        base = (code_digest(), self.settings.digest, site.assets.digest)
        self.guide_base = fingerprint("guide", renderer.digest("guide.html"), *base)
        self.hub_base = fingerprint("hub", renderer.digest("hub.html"), *base)
        self.home_base = fingerprint("home", renderer.digest("home.html"), *base)
        self.page_base = fingerprint("404", renderer.digest("404.html"), *base)
        self.dependencies = Dependencies(
            site,
            fingerprint(
                self.guide_base,
                self.hub_base,
                renderer.digest("redirect.html"),
                self.sitemap_limit,
                self.host,
            ),
        )

    def new_deps(self, encoded: str = "") -> UnitDeps:
        return UnitDeps.decode(encoded)

    def unit_digest(self, unit: Unit, deps: UnitDeps) -> str | None:
        return self.dependencies.unit_digest(unit, deps)

    def outputs(self, unit: Unit, deps: UnitDeps) -> Iterator[Output]:
        if unit.kind == "guides":
            yield from self.guides(unit.payer, unit.drug, deps)
        elif unit.kind == "payer":
            yield from self.payer(unit.payer)
        elif unit.kind == "sitemap":
            yield from self.payer_sitemap(unit.payer)
        elif unit.kind == "sitemaps":
            yield self.sitemap_index()
        else:
            yield from self.site_wide()

    # pages -------------------------------------------------------------------------
    def guide_output(self, key: GuideKey, deps: UnitDeps | None = None) -> Output:
        site = self.site
        guide = site.matrix.guide(key)
        related_keys = site.graph.related_keys(key)
        if deps is not None:
            deps.add(key.payer, key.drug, related_keys)
        doc = guide.doc
        names = page_names(guide.payer, guide.drug, guide.reason, self.settings)
        modified = self.modified(doc)
        print_ = fingerprint(
            self.guide_base,
            site.facts.guide_digest(key),
            doc.path,
            doc.digest,
            doc.used_values(names),
            guide.indexable,
            modified,
            site.graph.signature(key, related_keys),
        )

        made: list[GuidePage] = []  # the view model, made once for the page and its warnings

        def view() -> GuidePage:  # (functools.cache would cost more to set up than to call)
            if not made:
                related = site.graph.related(key, related_keys)
                made.append(
                    guide_page(guide, site.graph, self.settings, site.facts, related, modified)
                )
            return made[0]

        group = _payer_group(guide.payer.slug)
        lastmod = modified.isoformat() if modified else None
        return Output(
            guide.output,
            print_,
            lambda: site.renderer.guide(view()).encode("utf-8"),
            guide.indexable,
            lastmod,
            group,
            True,
            lambda: guide_warnings(guide, view().meta.title, view().meta.description),
        )

    def hub_output(self, hub: HubPage, group: str) -> Output:
        meta = hub_meta(hub, self.settings)
        base = self.home_base if hub.kind == "home" else self.hub_base
        print_ = fingerprint(base, repr(hub), repr(meta))

        def make() -> bytes:
            return self.site.renderer.hub(hub, meta).encode("utf-8")

        return Output(output_path(hub.url), print_, make, meta.indexable, None, group)

    def guides(self, payer: int, drug: int, deps: UnitDeps) -> Iterator[Output]:
        site = self.site
        p, d = site.data.payers[payer], site.data.drugs[drug]
        moved = [(a, b) for a in (p.slug, *p.aliases) for b in (d.slug, *d.aliases)][1:]
        for key in site.matrix.keys_for(payer, drug):
            output = self.guide_output(key, deps)
            yield output
            reason = site.data.reasons[key.reason]
            for old_payer, old_drug in moved:
                yield self.redirect(
                    f"/{old_payer}/{old_drug}/{reason.slug}/",
                    "/" + output.path[: -len("index.html")],
                    guide_link_text(d, reason, p),
                )
        hub = site.hubs.payer_drug_hub(payer, drug)
        if hub is not None:
            yield self.hub_output(hub, _payer_group(p.slug))
            for old_payer, old_drug in moved:
                yield self.redirect(f"/{old_payer}/{old_drug}/", hub.url, hub.heading)

    def redirect(self, old: str, target: str, label: str) -> Output:
        """A page at an old URL that sends browsers (and crawlers) to the new one; it names
        its target, for object stores that answer with a redirect instead."""
        data = self.site.renderer.redirect(target, label).encode("utf-8")
        redirect = self.settings.path_prefix + target
        return Output(output_path(old), content_hash(data), lambda: data, redirect=redirect)

    # payer units: its hub; its sitemap -------------------------------------------------
    def payer(self, payer: int) -> Iterator[Output]:
        hub = self.site.hubs.payer_hub(payer)
        if hub is None:
            return
        yield self.hub_output(hub, _payer_group(self.site.data.payers[payer].slug))
        for alias in self.site.data.payers[payer].aliases:
            yield self.redirect(f"/{alias}/", hub.url, hub.heading)

    def payer_sitemap(self, payer: int) -> Iterator[Output]:
        """The sitemap files of a payer's pages (its own unit: drug names are not in it)."""
        group = _payer_group(self.site.data.payers[payer].slug)
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
        data, matrix = site.data, site.matrix
        record = data.payers[payer]
        for drug, d in enumerate(data.drugs):
            listed = [(key, *matrix.listing(key)) for key in matrix.keys_for(payer, drug)]
            if lists_indexable(indexable for _, indexable, _ in listed):  # the payer+drug hub
                yield payer_drug_url(record, d), None
            for key, indexable, doc in listed:
                if indexable:
                    modified = self.modified(doc)
                    url = guide_url(record.slug, d.slug, data.reasons[key.reason].slug)
                    yield url, modified.isoformat() if modified else None

    def modified(self, doc: ContentDoc) -> dt.date | None:
        """When a write-up last changed: its `updated` front matter, else its last commit."""
        return doc.front.updated or self.site.dates.get(doc.path)

    def not_found(self) -> Output:
        meta = not_found_meta(self.settings)

        def make() -> bytes:
            return self.site.renderer.not_found(meta).encode("utf-8")

        return Output("404.html", fingerprint(self.page_base, repr(meta)), make)

    # site units: the site-wide pages and files; the sitemap index ------------------------
    def site_wide(self) -> Iterator[Output]:
        site = self.site
        hubs = site.hubs
        home = hubs.home()
        yield self.hub_output(home, "site")
        for drug in range(len(site.data.drugs)):
            hub = hubs.drug_hub(drug)
            if hub is not None:
                yield self.hub_output(hub, "site")
                for alias in site.data.drugs[drug].aliases:
                    yield self.redirect(f"/drugs/{alias}/", hub.url, hub.heading)
        for reason in range(len(site.data.reasons)):
            hub = hubs.reason_hub(reason)
            if hub is not None:
                yield self.hub_output(hub, "site")
        if self.host in RULE_FILE_HOSTS:
            prefix = self.settings.path_prefix
            built = self.built_slugs()
            redirects = redirect_rules(site.data, self.host, prefix, built, self.renamed_pairs())
            check_host_limits(redirects, self.host)
            yield _file("_redirects", redirects.text.encode("utf-8"))
            yield _file("_headers", headers_file(self.host, prefix).encode("utf-8"))
        yield self.not_found()
        yield _file("robots.txt", robots_txt(self.settings).encode("utf-8"))
        for rel, source in sorted(site.assets.files.items()):
            data = source.read_bytes()
            yield _file(rel, data)
        entries: list[tuple[str, str | None]] = [(url, None) for url in self.site_sitemap_urls()]
        for name, data in sitemap_files(self.settings, "site", entries, self.sitemap_limit):
            yield _file(name, data)

    def built_slugs(self) -> tuple[set[str], set[str]]:
        """The slugs of the payers and of the drugs that have pages (all, unless skipped)."""
        data, hubs = self.site.data, self.site.hubs
        payers = {p.slug for i, p in enumerate(data.payers) if hubs.payer_has_pages(i)}
        return payers, {d.slug for i, d in enumerate(data.drugs) if hubs.drug_payers(i)}

    def renamed_pairs(self) -> set[tuple[str, str]]:
        """(payer, drug) slugs of the payers and drugs both renamed that have guides."""
        data, matrix = self.site.data, self.site.matrix
        return {
            (p.slug, d.slug)
            for i, p in enumerate(data.payers)
            if p.aliases
            for j, d in enumerate(data.drugs)
            if d.aliases and any(True for _ in matrix.keys_for(i, j))
        }

    def site_sitemap_urls(self) -> list[str]:
        """The hubs the site-wide sitemap lists: home, drugs and reasons with guides."""
        site, hubs = self.site, self.site.hubs
        urls = ["/"]
        urls += [drug_url(d) for i, d in enumerate(site.data.drugs) if hubs.drug_payers(i)]
        urls += [reason_url(r) for i, r in enumerate(site.data.reasons) if hubs.reason_drugs(i)]
        return sorted(urls)

    def sitemap_index(self) -> Output:
        """sitemap.xml: every sitemap file, which takes counting every payer's pages."""
        limit = self.sitemap_limit
        names = sitemap_names("site", len(self.site_sitemap_urls()), limit)
        for payer, record in enumerate(self.site.data.payers):
            count = sum(1 for _ in self.payer_sitemap_entries(payer))
            names += sitemap_names(_payer_group(record.slug), count, limit)
        return _file("sitemap.xml", sitemap_index(self.settings, names))


def _payer_group(slug: str) -> str:
    """The sitemap group of a payer's pages."""
    return f"payer-{slug}"


def _file(path: str, data: bytes) -> Output:
    """A file whose bytes are already known: its fingerprint is its content."""
    return Output(path, content_hash(data), lambda: data)


def guide_warnings(guide: Guide, title: str, description: str) -> tuple[tuple[str, str], ...]:
    """What search results would cut: titles over 60 and descriptions over 160 characters.
    Each starts with the write-up whose front matter can fix it."""
    path = guide.doc.path
    found = []
    if len(title) > TITLE_MAX:
        found.append(
            (
                "title-length",
                f"{path}: the title of {guide.url} is {len(title)} characters, over "
                f"{TITLE_MAX} (shorten the names, or set title: in its front matter)",
            )
        )
    if len(description) > DESCRIPTION_MAX:
        found.append(
            (
                "description-length",
                f"{path}: the description of {guide.url} is {len(description)} "
                f"characters, over {DESCRIPTION_MAX} (set description: in its front matter)",
            )
        )
    return tuple(found)
