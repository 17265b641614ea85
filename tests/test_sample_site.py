"""End to end: build the repo's sample site and read the pages back as a searcher would."""

from __future__ import annotations

import re
import statistics
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup, Tag

from guidegen.data import load_site_data
from guidegen.errors import ErrorCollector

from .conftest import ROOT, run
from .sitecheck import SiteGraph, content_pages

GUIDE_RE = re.compile(r"^/([a-z0-9-]+)/([a-z0-9-]+)/([a-z0-9-]+)/$")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "output"
    result = run(ROOT, "build", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Built " in result.output
    return out


@pytest.fixture(scope="module")
def graph(built: Path) -> SiteGraph:
    return SiteGraph.read(built)


@pytest.fixture(scope="module")
def records():  # type: ignore[no-untyped-def]
    errors = ErrorCollector()
    data = load_site_data(ROOT, errors)
    assert data is not None, list(errors)
    return data


def guide_urls(graph: SiteGraph) -> list[str]:
    return [
        url
        for url in graph.links
        if GUIDE_RE.match(url) and not url.startswith("/drugs/") and not url.startswith("/reasons/")
    ]


def soup(out: Path, url: str) -> BeautifulSoup:
    return BeautifulSoup(
        (out / url.strip("/") / "index.html").read_text(encoding="utf-8"), "html.parser"
    )


def written_guides() -> list[str]:
    return sorted(
        "/" + p.relative_to(ROOT / "content/guides").with_suffix("").as_posix() + "/"
        for p in (ROOT / "content/guides").rglob("*.md")
    )


def test_sample_data_is_big_enough(records) -> None:  # type: ignore[no-untyped-def]
    assert len(records.payers) >= 12
    assert {"blue-cross-blue-shield", "cigna"} <= {p.slug for p in records.payers}
    assert len(records.drugs) >= 40
    assert len({d.drug_class for d in records.drugs}) >= 8
    assert {"ocrevus", "tecartus"} <= {d.slug for d in records.drugs}
    assert len(records.reasons) >= 8
    assert len(written_guides()) >= 15
    for url in [
        "/blue-cross-blue-shield/ocrevus/step-therapy/",
        "/cigna/ocrevus/step-therapy/",
        "/cigna/ocrevus/off-label/",
        "/cigna/ocrevus/quantity-limits/",
        "/blue-cross-blue-shield/tecartus/step-therapy/",
    ]:
        assert url in written_guides()


def test_every_combination_has_a_page(built: Path, graph: SiteGraph, records) -> None:  # type: ignore[no-untyped-def]
    expected = {
        f"/{p.slug}/{d.slug}/{r.slug}/"
        for p in records.payers
        for d in records.drugs
        for r in records.reasons
        if d.reasons is None or r.slug in d.reasons
    }
    assert set(guide_urls(graph)) == expected


def check_guide(page: BeautifulSoup, payer, drug, reason) -> None:  # type: ignore[no-untyped-def]
    article = page.find("article")
    assert isinstance(article, Tag)
    h1 = article.find("h1")
    assert (
        h1 is not None
        and h1.get_text() == f"{drug.name} denied {reason.title_phrase} by {payer.name}?"
    )
    assert len(page.find_all("h1")) == 1
    lead = h1.find_next("p")
    assert lead is not None and lead.get_text(" ", strip=True) == reason.lead
    h2s = [h.get_text(" ", strip=True) for h in article.find_all("h2")]
    assert h2s == [
        "US health-plan appeal rights",
        f"What {payer.name} typically requires",
        f"The {payer.name} angle on {drug.name}",
        "Next steps",
        "Get the letter drafted",
        "Related appeal guides",
    ]
    rights = article.find("section", class_="rights")
    assert isinstance(rights, Tag)
    cited = " ".join(a.get_text() for a in rights.find_all("a"))
    for rule in ("§2719", "45 CFR 147.136", "ERISA", "29 CFR 2560.503-1"):
        assert rule in cited
    assert len(article.select(".checklist li")) >= 4
    button = article.select_one(".cta a.button")
    assert button is not None
    query = parse_qs(urlsplit(str(button["href"])).query)
    assert query["payer"] == [payer.slug] and query["drug"] == [drug.slug]
    assert query["reason"] == [reason.slug] and query["code"] == ["SEO25"]
    cta_text = article.select_one(".cta").get_text(" ", strip=True)  # type: ignore[union-attr]
    assert "$40" in cta_text and "$30" in cta_text and "SEO25" in cta_text
    related = article.select("nav.related a")
    assert len(related) >= 4
    text = page.get_text(" ")
    for d in [drug]:
        from_slug = d.slug.replace("-", " ").title()
        if from_slug.lower() != d.name.lower():
            assert from_slug not in text


def test_guide_pages_have_the_eight_sections(built: Path, graph: SiteGraph, records) -> None:  # type: ignore[no-untyped-def]
    payers = {p.slug: p for p in records.payers}
    drugs = {d.slug: d for d in records.drugs}
    reasons = {r.slug: r for r in records.reasons}
    urls = guide_urls(graph)
    sample = sorted(set(written_guides()) | set(urls[::97]))
    assert len(sample) > 40
    for url in sample:
        p, d, r = GUIDE_RE.match(url).groups()  # type: ignore[union-attr]
        check_guide(soup(built, url), payers[p], drugs[d], reasons[r])


def test_markdown_tables_and_lists_render(built: Path) -> None:
    tables = lists = 0
    for path in sorted((ROOT / "content/guides").rglob("*.md")):
        source = path.read_text(encoding="utf-8")
        url = "/" + path.relative_to(ROOT / "content/guides").with_suffix("").as_posix() + "/"
        angle = soup(built, url).find("section", class_="angle")
        assert isinstance(angle, Tag)
        if re.search(r"^\|[-: |]+\|$", source, re.M):
            tables += 1
            table = angle.find("table")
            assert table is not None, url
            assert table.find("th") is not None
        if re.search(r"^1\. ", source, re.M):
            lists += 1
            assert angle.find("ol") is not None, url
        assert "|---" not in angle.get_text(), url
        assert angle.find("h3") is not None
        assert len(angle.find_all("h2")) == 1 and angle.find("h1") is None
    assert tables >= 5 and lists >= 1
    nested = soup(built, "/cigna/ocrevus/step-therapy/").select("section.angle li > ul > li")
    assert len(nested) == 3


def test_thin_pages_are_noindex_and_written_ones_indexable(built: Path) -> None:
    for url in written_guides():
        robots = soup(built, url).find("meta", attrs={"name": "robots"})
        assert robots is not None and robots["content"] == "index, follow"
    thin = soup(built, "/oscar-health/briumvi/prior-authorization/").find(
        "meta", attrs={"name": "robots"}
    )
    assert thin is not None and thin["content"] == "noindex, follow"


def test_no_broken_internal_links(graph: SiteGraph) -> None:
    assert graph.broken() == []


def test_every_page_reachable_within_three_clicks(graph: SiteGraph) -> None:
    depths = graph.depths("/")
    pages = set(graph.links) - {"/404.html"}
    assert pages - set(depths) == set()
    assert max(depths[url] for url in guide_urls(graph)) <= 3


def test_no_orphans_and_related_links_spread_evenly(graph: SiteGraph) -> None:
    inbound = graph.inbound()
    assert [p for p, n in inbound.items() if n == 0 and p not in ("/", "/404.html")] == []
    related_in = {url: 0 for url in guide_urls(graph)}
    for url in related_in:
        html = (graph.out / url.strip("/") / "index.html").read_text(encoding="utf-8")
        section = html.split('class="related"', 1)[1]
        for href in re.findall(r'href="([^"]+)"', section):
            if href in related_in and href != url:
                related_in[href] += 1
    counts = sorted(related_in.values())
    median = statistics.median(counts)
    assert counts[0] >= 1
    assert counts[-1] <= 2 * median


def test_sitemap_lists_exactly_the_indexable_pages(built: Path) -> None:
    index = (built / "sitemap.xml").read_text(encoding="utf-8")
    files = re.findall(r"<loc>https://www.denialhelp.com/(sitemaps/[^<]+)</loc>", index)
    listed = set()
    for name in files:
        listed |= set(
            re.findall(
                r"<loc>https://www.denialhelp.com(/[^<]*)</loc>",
                (built / name).read_text(encoding="utf-8"),
            )
        )
    indexable = set()
    for path in built.rglob("index.html"):
        html = path.read_text(encoding="utf-8")
        if '<meta name="robots" content="index, follow">' in html:
            indexable.add(
                re.search(
                    r'<link rel="canonical" href="https://www.denialhelp.com([^"]*)"', html
                ).group(1)
            )  # type: ignore[union-attr]
    assert listed == indexable
    assert (
        (built / "robots.txt")
        .read_text(encoding="utf-8")
        .endswith("Sitemap: https://www.denialhelp.com/sitemap.xml\n")
    )


def test_titles_and_descriptions_are_unique(built: Path) -> None:
    titles: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    for path in content_pages(built):
        html = path.read_text(encoding="utf-8")
        title = re.search(r"<title>(.*?)</title>", html).group(1)  # type: ignore[union-attr]
        description = unescape(
            re.search(r'<meta name="description" content="([^"]*)"', html).group(1)
        )  # type: ignore[union-attr]
        assert len(description) <= 160
        assert titles.setdefault(title, str(path)) == str(path), f"duplicate title {title}"
        assert descriptions.setdefault(description, str(path)) == str(path), "duplicate description"
    assert len(titles) > 3900
