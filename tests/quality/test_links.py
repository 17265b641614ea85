"""Links of the served sample site: linkinator follows every internal link (and #fragment)
from the home page and the 404 page, and a breadth-first crawl from the home page reaches
every page within three clicks, so no page is an orphan.
"""

from __future__ import annotations

import json
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urljoin, urlsplit

from ..sitecheck import content_pages, url_of
from .conftest import Tools, run_tool
from .server import StaticServer

MAX_DEPTH = 3
REFRESH_RE = re.compile(r"<meta[^>]+http-equiv=[\"']?refresh", re.IGNORECASE)


def test_linkinator_finds_no_broken_links(
    tools: Tools, server: StaticServer, site: Path, artifacts: Path
) -> None:
    report_path = artifacts / "linkinator.json"
    report_path.unlink(missing_ok=True)
    script = Path(__file__).with_name("linkcheck.mjs")
    starts = [server.url("/"), server.url("/404.html")]
    args = [tools.node, str(script), str(report_path), server.origin, *starts]
    result = run_tool(args, timeout=600)
    assert result.returncode == 0 and report_path.is_file(), result.stdout + result.stderr
    report = json.loads(report_path.read_text(encoding="utf-8"))
    links = report["links"]
    checked = {link["url"] for link in links if link["state"] != "SKIPPED"}
    pages = len(content_pages(site))  # redirect pages are reached through _redirects, not links
    assert len(checked) >= pages - 1, f"linkinator checked {len(checked)} URLs for {pages} pages"
    broken = [
        f"{link['url']} ({link['status']}: {link.get('failure')}) linked from {link.get('parent')}"
        for link in links
        if link["state"] == "BROKEN"
    ]
    assert report["passed"] and not broken, f"{len(broken)} broken:\n" + "\n".join(broken[:50])


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _fetch_links(url: str, origin: str) -> tuple[int, list[str]]:
    """HTTP status of a page and the same-site pages it links to (paths, no fragment)."""
    parser = _Anchors()
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            status = response.status
            parser.feed(response.read().decode("utf-8"))
    except HTTPError as error:
        error.close()
        return error.code, []
    paths = []
    for href in parser.hrefs:
        target = urljoin(url, href)
        if target.startswith(origin + "/"):
            paths.append(urlsplit(target).path)
    return status, paths


def test_crawl_reaches_every_page_within_three_clicks(server: StaticServer, site: Path) -> None:
    depth = {"/": 0}
    frontier = ["/"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        while frontier:
            results = pool.map(lambda p: _fetch_links(server.url(p), server.origin), frontier)
            next_frontier = []
            for page, (status, targets) in zip(frontier, results, strict=True):
                assert status == 200, f"{page}: HTTP {status}"
                for target in targets:
                    if target not in depth:
                        depth[target] = depth[page] + 1
                        next_frontier.append(target)
            frontier = next_frontier
    pages = {
        url_of(site, path)
        for path in site.rglob("*.html")
        if path.name != "404.html" and not REFRESH_RE.search(path.read_text("utf-8")[:2000])
    }
    orphans = sorted(pages - depth.keys())
    assert not orphans, f"{len(orphans)} pages not reachable from the home page: {orphans[:20]}"
    deepest = max(depth[p] for p in pages)
    too_deep = sorted(p for p in pages if depth[p] > MAX_DEPTH)
    assert deepest <= MAX_DEPTH, f"{len(too_deep)} pages deeper than {MAX_DEPTH}: {too_deep[:20]}"
