"""Runs the stages: load -> validate -> expand -> link -> render -> write -> site files.

Everything is gathered and checked before the first byte is written (the link graph needs
the whole matrix; a bad input must leave the output untouched). Pages are then rendered
and written one at a time into a staging folder that replaces the output in one step.
Returns reports; never prints and never parses options.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .assets import Assets, collect_assets
from .content import Content, check_renders, load_content
from .data import SiteData, load_site_data
from .errors import BuildFailed, ErrorCollector, SiteError, SourceLocation
from .hubs import Hubs
from .links import LinkGraph
from .matrix import Guide, Matrix, output_path
from .models import ContentLevel
from .pages import PageMeta, guide_page, hub_meta
from .render import Renderer, check_templates
from .sitefiles import SITEMAP_LIMIT, SitemapWriter, robots_txt
from .writer import Staging, check_output_dir

Progress = Callable[[int, int], None]  # (guides done, guides in all)


@dataclass(frozen=True)
class LoadedSite:
    """Every input, validated and compiled: what rendering needs, gathered once."""

    root: Path
    data: SiteData
    content: Content
    matrix: Matrix
    graph: LinkGraph
    hubs: Hubs
    assets: Assets
    renderer: Renderer


@dataclass
class BuildReport:
    guides: int = 0
    indexable_guides: int = 0
    thin_guides: int = 0
    hubs: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    sitemap_urls: int = 0
    by_level: dict[str, int] = field(default_factory=dict)


def load_site(root: Path) -> LoadedSite:
    """Load and validate data, write-ups, templates and assets; BuildFailed lists every error."""
    errors = ErrorCollector()
    data = load_site_data(root, errors)
    content = load_content(root, data, errors)
    assets = collect_assets(root, errors)
    if data is None:
        check_templates(root, None, errors)
        errors.raise_if_any()
        raise AssertionError("unreachable: data failed without errors")  # pragma: no cover
    _check_names_unique(data, errors)
    renderer = Renderer(root, data.site, assets.url)
    renderer.check(errors)
    if not errors:
        check_renders(content, data, errors)
    errors.raise_if_any()
    matrix = Matrix(data, content)
    return LoadedSite(
        root, data, content, matrix, LinkGraph(matrix), Hubs(matrix), assets, renderer
    )


def _check_names_unique(data: SiteData, errors: ErrorCollector) -> None:
    """Display names must tell records apart: titles and link texts are made of them."""
    for label, records in (("payer", data.payers), ("drug", data.drugs), ("reason", data.reasons)):
        seen: dict[str, str] = {}
        for record in records:
            key = record.name.casefold()
            if key in seen:
                errors.add(
                    f"{label} name '{record.name}' is also used by '{seen[key]}'",
                    record.where,
                    "page titles and links need distinct names",
                )
            seen.setdefault(key, record.slug)


def check_site(root: Path) -> LoadedSite:
    """Everything `build` checks, plus a render of one page of each kind; writes nothing."""
    site = load_site(root)
    errors = ErrorCollector()
    samples: dict[tuple[ContentLevel, bool], Guide] = {}
    for key in site.matrix.all_keys():
        guide = site.matrix.guide(key)
        samples.setdefault((guide.doc.level, guide.indexable), guide)
        if len(samples) == 2 * len(ContentLevel):
            break
    try:
        for guide in samples.values():
            site.renderer.guide(guide_page(guide, site.graph, site.data.site, site.renderer.digest))
        kinds = set()
        for hub in site.hubs.all():
            if hub.kind not in kinds:
                kinds.add(hub.kind)
                site.renderer.hub(hub, hub_meta(hub, site.data.site))
        site.renderer.not_found(not_found_meta(site))
    except SiteError as error:
        errors.add_error(error)
    errors.raise_if_any()
    return site


def not_found_meta(site: LoadedSite) -> PageMeta:
    s = site.data.site
    return PageMeta(
        title=f"Page not found | {s.site_name}",
        description="This page does not exist. Find your appeal guide by health "
        "plan, drug or denial reason.",
        canonical=s.absolute("/404.html"),
        indexable=False,
    )


def build_site(
    root: Path, out: Path, progress: Progress | None = None, sitemap_limit: int = SITEMAP_LIMIT
) -> BuildReport:
    """Build the whole site into `out`, replacing it only when every page succeeded."""
    started = time.perf_counter()
    site = load_site(root)
    target = check_output_dir(out, root)
    report = BuildReport()
    stage: Staging | None = None
    try:
        stage = Staging(target)
        _write_pages(site, stage, report, progress, sitemap_limit)
        stage.commit()
    except BaseException as exc:
        if stage is not None:
            stage.abort()
        if isinstance(exc, SiteError):
            raise BuildFailed([exc]) from None
        if isinstance(exc, OSError):
            where = SourceLocation(str(exc.filename)) if exc.filename else None
            error = SiteError(f"cannot write the output: {exc.strerror}", where)
            raise BuildFailed([error]) from None
        raise
    report.files = len(stage.written) + 1
    report.bytes = stage.bytes_written
    report.seconds = time.perf_counter() - started
    return report


def _write_pages(
    site: LoadedSite,
    stage: Staging,
    report: BuildReport,
    progress: Progress | None,
    sitemap_limit: int,
) -> None:
    s = site.data.site
    digest = site.renderer.digest + site.assets.digest
    sitemap = SitemapWriter(stage, s, sitemap_limit)
    total = site.matrix.count()
    for hub in site.hubs.all():
        meta = hub_meta(hub, s)
        stage.write(output_path(hub.url), site.renderer.hub(hub, meta).encode("utf-8"))
        report.hubs += 1
        if meta.indexable:
            sitemap.add(hub.url, None)
    for guide in site.matrix.guides():
        page = guide_page(guide, site.graph, s, digest)
        stage.write(guide.output, site.renderer.guide(page).encode("utf-8"))
        report.guides += 1
        report.by_level[guide.doc.level.value] = report.by_level.get(guide.doc.level.value, 0) + 1
        if guide.thin:
            report.thin_guides += 1
        if guide.indexable:
            report.indexable_guides += 1
            sitemap.add(guide.url, guide.doc.front.updated)
        if progress is not None:
            progress(report.guides, total)
    stage.write("404.html", site.renderer.not_found(not_found_meta(site)).encode("utf-8"))
    stage.write("robots.txt", robots_txt(s).encode("utf-8"))
    for rel, source in site.assets.files.items():
        stage.write(rel, source.read_bytes())
    sitemap.close()
    report.sitemap_urls = sitemap.count


__all__ = ["BuildFailed", "BuildReport", "LoadedSite", "build_site", "check_site", "load_site"]
