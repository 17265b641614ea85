"""Reading a built site back: pages, their links, reachability. Used by the end-to-end tests."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

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
