"""Site files: sitemaps, robots.txt. Given URLs and dates; computes no URLs itself.

Sitemaps are written while pages are rendered, one file per `limit` URLs (50,000 by
default, the protocol's maximum), under a sitemap index at /sitemap.xml, so memory does
not grow with the number of pages.
"""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

from .models import Site
from .writer import Staging

SITEMAP_LIMIT = 50_000
_XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"


class SitemapWriter:
    """Streams <url> entries into numbered sitemap files and writes the index last."""

    def __init__(self, stage: Staging, site: Site, limit: int = SITEMAP_LIMIT) -> None:
        self.stage = stage
        self.site = site
        self.limit = limit
        self.files: list[str] = []
        self._entries: list[str] = []
        self.count = 0

    def add(self, url: str, lastmod: dt.date | None) -> None:
        loc = escape(self.site.absolute(url))
        mod = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
        self._entries.append(f"<url><loc>{loc}</loc>{mod}</url>")
        self.count += 1
        if len(self._entries) >= self.limit:
            self._flush()

    def _flush(self) -> None:
        if not self._entries:
            return
        name = f"sitemaps/sitemap-{len(self.files) + 1}.xml"
        body = "\n".join(self._entries)
        self.stage.write(
            name,
            (
                f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_XMLNS}">\n'
                f"{body}\n</urlset>\n"
            ).encode(),
        )
        self.files.append(name)
        self._entries = []

    def close(self) -> None:
        self._flush()
        items = "\n".join(
            f"<sitemap><loc>{escape(self.site.absolute('/' + name))}</loc></sitemap>"
            for name in self.files
        )
        self.stage.write(
            "sitemap.xml",
            (
                f'<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<sitemapindex xmlns="{_XMLNS}">\n{items}\n'
                f"</sitemapindex>\n"
            ).encode(),
        )


def robots_txt(site: Site) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {site.absolute('/sitemap.xml')}\n"
