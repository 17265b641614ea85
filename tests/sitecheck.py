"""Reading a built site back: pages, their links, reachability. Used by the end-to-end tests."""

from __future__ import annotations

import html
import json
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

_HREF_RE = re.compile(r'<a\b[^>]*\shref="([^"]*)"')


def url_of(out: Path, path: Path) -> str:
    rel = path.relative_to(out).as_posix()
    if rel == "index.html":
        return "/"
    if rel.endswith("/index.html"):
        return "/" + rel[: -len("index.html")]
    return "/" + rel


def file_of(out: Path, url: str) -> Path:
    path = url.split("#")[0].split("?")[0]
    target = out / path.lstrip("/")
    return target / "index.html" if path.endswith("/") else target


@dataclass
class SiteGraph:
    """Every HTML page of a built site and the internal links between them."""

    out: Path
    links: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def read(cls, out: Path) -> SiteGraph:
        graph = cls(out)
        for path in content_pages(out):
            html = path.read_text(encoding="utf-8")
            hrefs = [h.replace("&amp;", "&") for h in _HREF_RE.findall(html)]
            graph.links[url_of(out, path)] = [h for h in hrefs if h.startswith("/")]
        return graph

    def broken(self) -> list[tuple[str, str]]:
        return [
            (page, href)
            for page, hrefs in self.links.items()
            for href in hrefs
            if not file_of(self.out, href).is_file()
        ]

    def depths(self, start: str = "/") -> dict[str, int]:
        depth = {start: 0}
        queue = deque([start])
        while queue:
            page = queue.popleft()
            for href in self.links.get(page, []):
                target = href.split("#")[0]
                if target in self.links and target not in depth:
                    depth[target] = depth[page] + 1
                    queue.append(target)
        return depth

    def inbound(self) -> dict[str, int]:
        counts = {page: 0 for page in self.links}
        for page, hrefs in self.links.items():
            for target in set(h.split("#")[0] for h in hrefs):
                if target in counts and target != page:
                    counts[target] += 1
        return counts


_REFRESH_RE = re.compile(r"<meta[^>]+http-equiv=[\"']?refresh", re.IGNORECASE)


def is_redirect_page(path: Path) -> bool:
    """A page written at a renamed slug's old URL, which only sends visitors on."""
    with open(path, encoding="utf-8") as handle:
        return bool(_REFRESH_RE.search(handle.read(2000)))


def content_pages(out: Path) -> list[Path]:
    """Every HTML page of a built site except redirect pages."""
    return [p for p in sorted(out.rglob("*.html")) if not is_redirect_page(p)]


# The whole-site check -------------------------------------------------------------------
# Every URL a built page, sitemap, robots.txt or _redirects refers to, read back and
# resolved against the output folder as the host serves it under base_url's path.

_ATTR_RE = re.compile(r"""\s(href|src|content)="([^"]*)\"""")
_REFRESH_URL_RE = re.compile(r"^\d+;\s*url=(.*)$", re.IGNORECASE)
_JSONLD_RE = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)
_LOC_RE = re.compile(r"<loc>([^<]*)</loc>")
_ROBOTS_NOINDEX_RE = re.compile(r'<meta name="robots" content="noindex')
_LIST_RE = re.compile(r'<ul class="link-list[^"]*">(.*?)</ul>', re.DOTALL)
_CANONICAL_RE = re.compile(r'<link rel="canonical" href="([^"]*)"')
_OG_URL_RE = re.compile(r'<meta property="og:url" content="([^"]*)"')
_GUIDE_MARK = '<article class="guide">'
_HUB_KINDS = {"drugs": "drug", "reasons": "reason"}


@dataclass
class SiteCheck:
    """A built site read back: each problem is a line `where: what`, so a test can show them."""

    out: Path
    base_url: str
    exempt: tuple[str, ...] = ()  # absolute URLs on the site's host that other software serves
    problems: list[str] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return urlsplit(self.base_url).path.rstrip("/")

    def page_path(self, ref: str) -> str | None:
        """A reference as the site-relative URL of the page it names ('/cigna/'), None when
        it leaves the site, '!' when it is on the site's host but outside base_url's path."""
        ref = html.unescape(ref).split("#")[0].split("?")[0]
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.base_url))
        if any(html.unescape(ref).startswith(e) for e in self.exempt):
            return None
        if ref.startswith(origin + "/") or ref == origin:
            ref = ref[len(origin) :] or "/"
        elif not ref.startswith("/") or ref.startswith("//"):
            return None
        prefix = self.prefix
        if prefix and not (ref == prefix + "/" or ref.startswith(prefix + "/")):
            return "!"
        return ref[len(prefix) :]

    def resolves(self, where: str, ref: str, kind: str) -> str | None:
        """The page a reference names when it is built; a problem noted when it is not."""
        path = self.page_path(ref)
        if path is None:
            return None
        if path == "!":
            self.problems.append(f"{where}: {kind} {ref} is outside base_url's path {self.prefix}/")
            return None
        if not file_of(self.out, path).is_file():
            self.problems.append(f"{where}: {kind} {ref} names a file that was not built")
            return None
        return path

    def run(self) -> list[str]:
        graph = self.read_pages()
        self.check_structure(graph)
        self.check_site_files()
        return self.problems

    # pages ---------------------------------------------------------------------------
    def read_pages(self) -> SiteGraph:
        graph = SiteGraph(self.out)
        for path in sorted(self.out.rglob("*.html")):
            url = url_of(self.out, path)
            text = path.read_text(encoding="utf-8")
            hrefs = self.page_refs(url, text)
            if not is_redirect_page(path):
                graph.links[url] = hrefs
                self.check_self_urls(url, text)
        return graph

    def page_refs(self, url: str, text: str) -> list[str]:
        """Every reference of a page checked; the pages its links lead to returned."""
        links = []
        for attr, value in _ATTR_RE.findall(text):
            if attr == "content":
                refresh = _REFRESH_URL_RE.match(value)
                if refresh is None:
                    if value.startswith(("http://", "https://")):
                        self.resolves(url, value, "meta URL")
                    continue
                value = refresh.group(1)
            target = self.resolves(url, value, attr)
            if target is not None and attr == "href":
                links.append(target)
        for block in _JSONLD_RE.findall(text):
            for ref in _json_urls(json.loads(block)):
                self.resolves(url, ref, "JSON-LD URL")
        return links

    def check_self_urls(self, url: str, text: str) -> None:
        if url == "/404.html":
            return
        expected = self.base_url.rstrip("/") + url
        for name, pattern in (("canonical", _CANONICAL_RE), ("og:url", _OG_URL_RE)):
            found = pattern.search(text)
            if found is None or html.unescape(found.group(1)) != expected:
                self.problems.append(f"{url}: {name} is not {expected}")

    # structure -----------------------------------------------------------------------
    def check_structure(self, graph: SiteGraph) -> None:
        pages = {u for u in graph.links if u != "/404.html"}
        guides = {u for u in pages if _GUIDE_MARK in file_of(self.out, u).read_text("utf-8")}
        depth = graph.depths("/")
        inbound = graph.inbound()
        for page in sorted(pages):
            if page not in depth:
                self.problems.append(f"{page}: not reachable from the home page")
            elif depth[page] > 3:
                self.problems.append(f"{page}: {depth[page]} clicks from the home page")
            if page != "/" and inbound.get(page, 0) == 0:
                self.problems.append(f"{page}: orphan (no page links to it)")
        for page in sorted(pages - guides - {"/"}):
            self.check_hub(page, guides)

    def check_hub(self, hub: str, guides: set[str]) -> None:
        """A hub lists something, and has guides about what it is about; its listed hubs too."""
        text = file_of(self.out, hub).read_text(encoding="utf-8")
        listed = [
            self.page_path(h) or ""
            for block in _LIST_RE.findall(text)
            for h in _HREF_RE.findall(block)
        ]
        about = _about(hub)
        if not listed:
            self.problems.append(f"{hub}: hub lists no pages")
        if about is not None and not any(_matches(g, about) for g in guides):
            self.problems.append(f"{hub}: hub with no guide behind it")
        for target in listed:
            other = _about(target)
            if about is None or other is None or target in guides:
                continue
            both = {**other, **about}
            if not any(_matches(g, both) for g in guides):
                self.problems.append(f"{hub}: links {target}, which has no guide for this hub")

    # site files -------------------------------------------------------------------------
    def check_site_files(self) -> None:
        for path in sorted(self.out.rglob("*.xml")):
            name = "/" + path.relative_to(self.out).as_posix()
            for loc in _LOC_RE.findall(path.read_text(encoding="utf-8")):
                target = self.resolves(name, loc, "sitemap <loc>")
                if target is not None and target.endswith("/"):
                    page = file_of(self.out, target)
                    if is_redirect_page(page) or _ROBOTS_NOINDEX_RE.search(page.read_text("utf-8")):
                        self.problems.append(f"{name}: lists {loc}, which is not indexable")
        robots = (self.out / "robots.txt").read_text(encoding="utf-8")
        for line in robots.splitlines():
            if line.startswith("Sitemap:"):
                self.resolves("/robots.txt", line.split(":", 1)[1].strip(), "sitemap")
        redirects = self.out / "_redirects"
        if redirects.is_file():
            self.check_redirects(redirects.read_text(encoding="utf-8"))

    def check_redirects(self, text: str) -> None:
        """Each rule's target exists for every built payer it may stand for."""
        payers = sorted(
            p.name for p in self.out.iterdir() if p.is_dir() and (p / "index.html").is_file()
        )
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            source, target = line.split()[:2]
            if not source.startswith(self.prefix + "/"):
                self.problems.append(f"/_redirects: {source} is outside {self.prefix}/")
            target = target.replace(":splat", "")
            if ":payer" in target:
                if not any(
                    self.page_path(target.replace(":payer", p)) not in (None, "!")
                    and file_of(self.out, target.replace(":payer", p)[len(self.prefix) :]).is_file()
                    for p in payers
                ):
                    self.problems.append(f"/_redirects: {target} exists for no payer")
                continue
            self.resolves("/_redirects", target, "redirect target")


def _about(url: str) -> dict[int, str] | None:
    """What a hub is about, as URL segments a guide /payer/drug/reason/ must have."""
    parts = [p for p in url.split("/") if p]
    if len(parts) == 2 and parts[0] in _HUB_KINDS:
        return {1 if parts[0] == "drugs" else 2: parts[1]}
    if len(parts) in (1, 2) and parts[0] not in _HUB_KINDS and "." not in parts[-1]:
        return dict(enumerate(parts))
    return None


def _matches(guide: str, about: dict[int, str]) -> bool:
    parts = [p for p in guide.split("/") if p]
    return len(parts) == 3 and all(parts[i] == slug for i, slug in about.items())


def _json_urls(value: object) -> list[str]:
    """The URLs of a JSON-LD block: every `url`, `item` and `@id` string."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("url", "item", "@id") and isinstance(item, str):
                found.append(item)
            else:
                found += _json_urls(item)
    elif isinstance(value, list):
        for item in value:
            found += _json_urls(item)
    return found


def check_site(out: Path, base_url: str, exempt: tuple[str, ...] = ()) -> list[str]:
    """Every problem of a built site (empty when it is whole)."""
    return SiteCheck(out, base_url, exempt).run()
