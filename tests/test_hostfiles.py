"""Renamed slugs: _redirects rules and redirect pages agree; _headers caches assets;
lastmod comes from the write-up, never the clock."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from guidegen.pipeline import BuildOptions, build_site

from .conftest import edit, run
from .sitecheck import is_redirect_page, url_of


def apply_rules(rules: str, url: str) -> str | None:
    """Where the host sends `url`: in one hop, even for a renamed payer and drug."""
    target = apply_once(rules, url)
    assert target is None or apply_once(rules, target) is None, f"two hops from {url}"
    return target


def apply_once(rules: str, url: str) -> str | None:
    """Where Netlify/Cloudflare send `url` in one step (the first matching rule wins)."""
    for line in rules.splitlines():
        if not line or line.startswith("#"):
            continue
        source, target, _status = line.split()
        pattern = "^" + re.escape(source).replace(r"/\*", "/(?P<splat>.*)")
        pattern = re.sub(r":(\w+)", r"(?P<\1>[^/]+)", pattern) + "$"
        match = re.match(pattern, url)
        if match:
            result = target
            for name, value in match.groupdict().items():
                result = result.replace(f":{name}", value or "")
            return result
    return None


def test_renamed_payer_and_drug_redirect(mini_site: Path) -> None:
    edit(
        mini_site / "data/drugs.yaml",
        "- slug: betamab\n",
        "- slug: betamab\n  aliases: [beta-old]\n",
    )
    out = mini_site / "output"
    assert run(mini_site, "build").exit_code == 0
    rules = (out / "_redirects").read_text(encoding="utf-8")
    assert "/acme-old/*  /acme/:splat  301!" in rules
    assert "/:payer/beta-old/*  /:payer/betamab/:splat  301!" in rules
    assert "/acme-old/beta-old/*  /acme/betamab/:splat  301!" in rules
    assert apply_rules(rules, "/acme-old/beta-old/step-therapy/") == "/acme/betamab/step-therapy/"
    pages = [p for p in out.rglob("index.html") if is_redirect_page(p)]
    # acme-old: hub + 4 drug hubs + 11 guides; beta-old: 3 payers x (hub + 3 guides) + the
    # acme-old/beta-old combinations (hub + 3 guides) + the drug hub
    assert len(pages) == 16 + 12 + 4 + 1
    for page in pages:
        html = page.read_text(encoding="utf-8")
        target = re.search(r'url=([^"]+)"', html).group(1)  # type: ignore[union-attr]
        assert (out / target.strip("/") / "index.html").is_file()
        assert f'<link rel="canonical" href="https://example.test{target}">' in html
        assert '<meta name="robots" content="noindex, follow">' in html
        assert apply_rules(rules, url_of(out, page)) == target
    sitemaps = " ".join(p.read_text(encoding="utf-8") for p in out.glob("sitemaps/*.xml"))
    assert "acme-old" not in sitemaps and "beta-old" not in sitemaps


def test_cloudflare_limits_are_enforced(mini_site: Path) -> None:
    aliases = ", ".join(f"old-{i}" for i in range(60))
    edit(
        mini_site / "data/drugs.yaml",
        "- slug: betamab\n",
        f"- slug: betamab\n  aliases: [{aliases}]\n",
    )
    assert run(mini_site, "build", "--host", "netlify").exit_code == 0
    result = run(mini_site, "build", "--host", "cloudflare")
    assert result.exit_code == 1
    assert (
        "error: data/drugs.yaml: _redirects has 61 static and 181 dynamic rules; Cloudflare "
        "Pages accepts at most 2000 static and 100 dynamic ones" in result.output
    )


@pytest.mark.parametrize("host", ["netlify", "cloudflare"])
def test_headers_cache_assets_forever_and_pages_briefly(mini_site: Path, host: str) -> None:
    out = mini_site / "output"
    build_site(mini_site, out, BuildOptions(host=host))
    headers = (out / "_headers").read_text(encoding="utf-8")
    assets = headers.index("/assets/*")
    assert "Cache-Control: public, max-age=31536000, immutable" in headers[assets:]
    assert "Cache-Control: public, max-age=0, must-revalidate" in headers[:assets]
    assert ("! Cache-Control" in headers) == (host == "cloudflare")
    assert all(
        re.fullmatch(r"site\.[0-9a-f]{10}\.css", p.name) or p.suffix != ".css"
        for p in (out / "assets").iterdir()
    )


def test_lastmod_never_comes_from_the_clock(mini_site: Path) -> None:
    out = mini_site / "output"
    assert run(mini_site, "build").exit_code == 0
    sitemap = (out / "sitemaps/payer-acme.xml").read_text(encoding="utf-8")
    assert "<lastmod>2026-11-01</lastmod>" in sitemap  # the write-up's `updated`
    assert sitemap.count("<lastmod>") == 2  # thin pages are not listed; hubs have no date


def test_sitemaps_split_at_the_limit_and_list_exactly_the_indexable_pages(mini_site: Path) -> None:
    import xml.etree.ElementTree as ET

    edit(mini_site / "data/site.yaml", "thin_pages: noindex", "thin_pages: index")
    out = mini_site / "output"
    assert run(mini_site, "build", "--sitemap-limit", "3").exit_code == 0
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = ET.parse(out / "sitemap.xml").getroot()
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    files = [loc.text or "" for loc in index.findall("s:sitemap/s:loc", ns)]
    listed: list[str] = []
    for url in files:
        path = out / url.removeprefix("https://example.test/")
        assert path.stat().st_size < 50 * 1024 * 1024
        urls = [loc.text or "" for loc in ET.parse(path).getroot().findall("s:url/s:loc", ns)]
        assert 1 <= len(urls) <= 3
        listed += urls
    assert len(files) > 5 and any(name.endswith("-2.xml") for name in files)
    indexable = set()
    for page in out.rglob("index.html"):
        html = page.read_text(encoding="utf-8")
        if '<meta name="robots" content="index, follow">' in html:
            indexable.add("https://example.test" + url_of(out, page))
    assert len(listed) == len(set(listed))
    assert set(listed) == indexable
