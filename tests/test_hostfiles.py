"""Renamed slugs: _redirects rules and redirect pages agree; _headers caches assets;
lastmod comes from the write-up, never the clock."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import pytest

from guidegen import hostfiles
from guidegen.data import load_site_data
from guidegen.errors import ErrorCollector
from guidegen.hostfiles import count_rules, redirect_rules
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


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("/a  /b/  301\n/c/*  /d/:splat  301\n/e  /f/  301\n", (1, 2)),  # static after dynamic
        ("# comment\n\n/a  /b/  301\n/c  /d/  301\n", (2, 0)),
        ("/:payer/x  /:payer/y/  301\n/a  /b/  301\n", (0, 2)),  # a placeholder is dynamic
        ("/a  /b/  301\n/c  /d/  301\n/e/*  /f/:splat  301\n", (2, 1)),
        ("", (0, 0)),
    ],
)
def test_rules_are_counted_as_cloudflare_counts_them(text: str, counts: tuple[int, int]) -> None:
    assert count_rules(text) == counts


@pytest.mark.parametrize(
    ("payer_aliases", "drug_aliases", "counts"),
    [(1, 0, (1, 1)), (0, 2, (0, 4)), (2, 3, (2 + 6, 2 + 6 + 6)), (1, 1, (2, 4))],
)
def test_static_rules_come_first_and_every_move_is_one_hop(
    mini_site: Path, payer_aliases: int, drug_aliases: int, counts: tuple[int, int]
) -> None:
    payers = ", ".join(f"acme-{i}" for i in range(payer_aliases))
    aliases = f"  aliases: [{payers}]\n" if payer_aliases else ""
    edit(mini_site / "data/payers.yaml", "  aliases: [acme-old]\n", aliases)
    drugs = ", ".join(f"beta-{i}" for i in range(drug_aliases))
    aliases = f"  aliases: [{drugs}]\n" if drug_aliases else ""
    edit(mini_site / "data/drugs.yaml", "- slug: betamab\n", f"- slug: betamab\n{aliases}")
    data = load_site_data(mini_site, ErrorCollector())
    assert data is not None
    rules = redirect_rules(data, "cloudflare")
    assert (rules.static, rules.dynamic) == counts
    lines = [line for line in rules.text.splitlines() if line and not line.startswith("#")]
    first_dynamic = next(
        (i for i, line in enumerate(lines) if "*" in line or ":" in line), len(lines)
    )
    assert first_dynamic == counts[0]  # no static rule after a dynamic one
    for p in range(payer_aliases):
        for d in range(drug_aliases):
            url = f"/acme-{p}/beta-{d}/step-therapy/"
            assert apply_rules(rules.text, url) == "/acme/betamab/step-therapy/"
        assert apply_rules(rules.text, f"/acme-{p}/alphamab/") == "/acme/alphamab/"
        assert apply_rules(rules.text, f"/acme-{p}") == "/acme/"
    for d in range(drug_aliases):
        assert apply_rules(rules.text, f"/bluebird/beta-{d}/") == "/bluebird/betamab/"


def _host_files(out: Path) -> list[Path]:
    """What wrangler uploads: not the generator's dotfiles nor the host's rule files."""
    return [
        p
        for p in out.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(out).parts)
        and p.name not in {"_redirects", "_headers"}
    ]


@pytest.mark.parametrize(
    ("host", "shard", "label"),
    [
        ("cloudflare", None, "the site"),
        ("cloudflare", "2/2", "shard 2/2"),
        ("netlify", None, None),
        ("s3", None, None),
    ],
)
def test_a_site_over_cloudflares_file_count_is_refused_and_the_output_untouched(
    mini_site: Path,
    monkeypatch: pytest.MonkeyPatch,
    host: str,
    shard: str | None,
    label: str | None,
) -> None:
    out = mini_site / "output"
    shard_args = ["--shard", shard] if shard else []
    assert run(mini_site, "build", "--host", "netlify", *shard_args).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    count = len(_host_files(out))
    monkeypatch.setattr(hostfiles, "CLOUDFLARE_FILE_LIMIT", count - 1)
    result = run(mini_site, "build", "--host", host, *shard_args)
    if label is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1
    assert result.output.startswith(
        f"error: data/site.yaml: {label} has {count:,} files; Cloudflare Pages accepts at most "
        f"{count - 1:,} per site (20,000 on the Free plan) (set host: s3"
    )
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    monkeypatch.setattr(hostfiles, "CLOUDFLARE_FILE_LIMIT", count)
    assert run(mini_site, "build", "--host", host, *shard_args).exit_code == 0  # at the limit


def test_a_file_over_cloudflares_size_limit_is_refused(
    mini_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = mini_site / "output"
    assert run(mini_site, "build", "--host", "netlify").exit_code == 0
    biggest = max(_host_files(out), key=lambda p: p.stat().st_size)
    size = biggest.stat().st_size
    monkeypatch.setattr(hostfiles, "CLOUDFLARE_FILE_SIZE_LIMIT", size - 1)
    result = run(mini_site, "build", "--host", "cloudflare")
    assert result.exit_code == 1
    rel = biggest.relative_to(out).as_posix()
    assert result.output.startswith(
        f"error: output/{rel}: {rel} is {size:,} bytes; Cloudflare Pages accepts files of at "
        f"most {size - 1:,} bytes (25 MiB) (set host: s3"
    )
    monkeypatch.setattr(hostfiles, "CLOUDFLARE_FILE_SIZE_LIMIT", size)
    assert run(mini_site, "build", "--host", "cloudflare").exit_code == 0


def _two_shards(site: Path) -> list[str]:
    for shard in (1, 2):
        result = run(site, "build", "--out", str(site / f"shard-{shard}"), "--shard", f"{shard}/2")
        assert result.exit_code == 0, result.output
    return [str(site / "shard-1"), str(site / "shard-2")]


def test_merge_refuses_shards_that_together_are_over_the_hosts_file_count(
    mini_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shards = _two_shards(mini_site)
    count = sum(len(_host_files(Path(s))) for s in shards)
    monkeypatch.setattr(hostfiles, "CLOUDFLARE_FILE_LIMIT", count - 1)
    site = mini_site / "site"
    result = run(mini_site, "merge", "--host", "cloudflare", "--out", str(site), *shards)
    assert result.exit_code == 1
    assert f"error: data/site.yaml: the site (2 shards) has {count:,} files" in result.output
    assert not site.exists()
    for host in ("netlify", "s3"):
        assert run(mini_site, "merge", "--host", host, "--out", str(site), *shards).exit_code == 0
    monkeypatch.setattr(hostfiles, "CLOUDFLARE_FILE_LIMIT", count)
    assert (
        run(mini_site, "merge", "--host", "cloudflare", "--out", str(site), *shards).exit_code == 0
    )


@pytest.mark.parametrize("links", [True, False])
def test_merge_hard_links_the_shards_files_and_copies_across_file_systems(
    mini_site: Path, monkeypatch: pytest.MonkeyPatch, links: bool
) -> None:
    shards = _two_shards(mini_site)
    if not links:

        def cross_device(source: object, target: object) -> None:
            raise OSError(errno.EXDEV, "Invalid cross-device link")

        monkeypatch.setattr(os, "link", cross_device)
    site = mini_site / "site"
    result = run(mini_site, "merge", "--out", str(site), *shards)
    assert result.exit_code == 0, result.output
    merged = 0
    for shard in map(Path, shards):
        for source in (p for p in shard.rglob("*") if p.is_file()):
            rel = source.relative_to(shard)
            if rel.parts[0].startswith("."):
                continue
            target = site / rel
            assert target.read_bytes() == source.read_bytes()
            assert os.path.samefile(source, target) == links, rel
            merged += 1
    assert f"Merged 2 shards: {merged:,} files" in result.output
