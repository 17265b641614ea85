"""Site files: sitemaps and robots.txt, from URLs and dates it is given (computes none).

Sitemaps come in groups (one per payer, one for the site-wide hubs); a group is split into
files of at most `limit` URLs (50,000 by default, the protocol's maximum; a file of 50,000
URLs of this site stays far under the 50 MB limit). `/sitemap.xml` is the index of them.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from .models import Site

SITEMAP_LIMIT = 50_000
_XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def sitemap_names(group: str, count: int, limit: int) -> list[str]:
    """The files a group of `count` URLs is written to."""
    files = -(-count // limit)
    return [
        f"sitemaps/{group}.xml" if i == 0 else f"sitemaps/{group}-{i + 1}.xml" for i in range(files)
    ]


def sitemap_files(
    site: Site, group: str, entries: list[tuple[str, str | None]], limit: int = SITEMAP_LIMIT
) -> list[tuple[str, bytes]]:
    """The sitemap files of one group: (path, bytes) for each chunk of `limit` URLs."""
    names = sitemap_names(group, len(entries), limit)
    files = []
    for number, name in enumerate(names):
        chunk = entries[number * limit : (number + 1) * limit]
        lines = []
        for url, lastmod in chunk:
            mod = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
            lines.append(f"<url><loc>{escape(site.absolute(url))}</loc>{mod}</url>")
        body = "\n".join(lines)
        files.append((name, f'{_HEAD}<urlset xmlns="{_XMLNS}">\n{body}\n</urlset>\n'.encode()))
    return files


def sitemap_index(site: Site, names: list[str]) -> bytes:
    items = "\n".join(
        f"<sitemap><loc>{escape(site.absolute('/' + name))}</loc></sitemap>"
        for name in sorted(names)
    )
    return f'{_HEAD}<sitemapindex xmlns="{_XMLNS}">\n{items}\n</sitemapindex>\n'.encode()


def robots_txt(site: Site) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {site.absolute('/sitemap.xml')}\n"
