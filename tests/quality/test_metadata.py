"""The head of every page and the trust signals of guides, read back from the built sample site.

Every page: one self-referencing absolute canonical, Open Graph and Twitter card tags that
repeat the title and description, and one JSON-LD script (BreadcrumbList on every page,
MedicalWebPage on guides, Organization and WebSite on the home page) whose URLs all exist.
Guides: the visible updated and reviewed dates agree with the JSON-LD, a Sources list links
the federal rules cited, and the not-advice notice is there. A hostile name cannot break out
of the JSON-LD script.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from guidegen.data import SiteData, load_site_data
from guidegen.errors import ErrorCollector
from guidegen.render import CITATIONS

from ..conftest import MINI, ROOT, copy_site, edit, run
from ..sitecheck import content_pages, file_of, url_of

GUIDE_RE = re.compile(r"^/(?!drugs/|reasons/)([a-z0-9-]+)/([a-z0-9-]+)/([a-z0-9-]+)/$")
REVIEW_RE = re.compile(r'<p class="review">(.*?)</p>', re.S)
TIME_RE = re.compile(r'<time datetime="([0-9-]+)">')
REVIEWER_RE = re.compile(r"Last reviewed(?: <time [^>]*>[^<]*</time>)? by ([^<]+?)\.</span>")


class Head(HTMLParser):
    """What the <head> of a page declares."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.meta: dict[str, list[str]] = {}
        self.links: dict[str, list[str]] = {}
        self.jsonld: list[str] = []
        self._in: str | None = None
        self.feed(html.split("</head>", 1)[0])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("name" in a or "property" in a):
            self.meta.setdefault(a.get("name") or a["property"], []).append(a.get("content", ""))
        elif tag == "link":
            self.links.setdefault(a.get("rel", ""), []).append(a.get("href", ""))
        elif tag == "title":
            self._in = "title"
        elif tag == "script" and a.get("type") == "application/ld+json":
            self._in = "jsonld"
            self.jsonld.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "jsonld":
            self.jsonld[-1] += data

    def one(self, key: str) -> str | None:
        values = self.meta.get(key, [])
        return values[0] if len(values) == 1 else None


@pytest.fixture(scope="module")
def records() -> SiteData:
    errors = ErrorCollector()
    data = load_site_data(ROOT, errors)
    assert data is not None, list(errors)
    return data


def nodes_by_type(graph: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for node in graph["@graph"]:
        found.setdefault(node["@type"], []).append(node)
    return found


def check_head(site: Path, url: str, html: str, base: str) -> tuple[list[str], dict[str, Any]]:
    """Problems with the head of one page, and its JSON-LD."""
    problems: list[str] = []
    head = Head(html)
    canonical = head.links.get("canonical", [])
    if canonical != [base + url]:
        problems.append(f"canonical {canonical} is not [{base + url}]")
    description = head.one("description")
    expected = {
        "og:url": base + url,
        "og:title": head.title,
        "og:description": description,
        "twitter:title": head.title,
        "twitter:description": description,
    }
    for key, value in expected.items():
        if head.one(key) != value or not value:
            problems.append(f"{key} is {head.meta.get(key)}, expected {value!r}")
    if head.one("og:type") not in ("website", "article"):
        problems.append(f"og:type {head.meta.get('og:type')}")
    if head.one("twitter:card") not in ("summary", "summary_large_image"):
        problems.append(f"twitter:card {head.meta.get('twitter:card')}")
    for key in ("og:image", "twitter:image", "og:site_name", "og:locale", "og:image:alt"):
        if not head.one(key):
            problems.append(f"no single {key}")
    for key in ("og:image", "twitter:image"):
        image = head.one(key) or ""
        if not image.startswith(base + "/") or not file_of(site, image[len(base) :]).is_file():
            problems.append(f"{key} {image} is not a file of the site")
    if len(head.jsonld) != 1:
        problems.append(f"{len(head.jsonld)} JSON-LD scripts")
        return problems, {}
    data: dict[str, Any] = json.loads(head.jsonld[0])
    if data.get("@context") != "https://schema.org":
        problems.append(f"JSON-LD @context {data.get('@context')}")
    crumbs = nodes_by_type(data).get("BreadcrumbList", [])
    if len(crumbs) != 1:
        return [*problems, "no single BreadcrumbList"], data
    items = crumbs[0]["itemListElement"]
    if [i["position"] for i in items] != list(range(1, len(items) + 1)) or not items:
        problems.append("breadcrumb positions are not 1..n")
    if url != "/404.html" and items and items[-1]["item"] != base + url:
        problems.append(f"last breadcrumb {items[-1]['item']} is not the page")
    for item in items:
        target = item["item"]
        if not target.startswith(base + "/") or not file_of(site, target[len(base) :]).is_file():
            problems.append(f"breadcrumb {target} is not a page of the site")
    return problems, data


def test_every_page_has_canonical_social_tags_and_json_ld(site: Path, records: SiteData) -> None:
    base = records.site.base_url.rstrip("/")
    problems = []
    pages = content_pages(site)
    for path in pages:
        url = url_of(site, path)
        page_problems, _ = check_head(site, url, path.read_text(encoding="utf-8"), base)
        problems += [f"{url}: {p}" for p in page_problems]
    assert len(pages) > 3000
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:30])


def test_home_page_declares_the_organization_and_website(site: Path, records: SiteData) -> None:
    base = records.site.base_url.rstrip("/")
    _, data = check_head(site, "/", (site / "index.html").read_text("utf-8"), base)
    nodes = nodes_by_type(data)
    org, website = nodes["Organization"][0], nodes["WebSite"][0]
    assert org["name"] == records.site.site_name and org["url"] == base + "/"
    assert website["url"] == base + "/" and website["publisher"] == {"@id": org["@id"]}
    assert website["inLanguage"] == records.site.language


def test_guides_show_review_dates_sources_and_notice(site: Path, records: SiteData) -> None:
    base = records.site.base_url.rstrip("/")
    payers = {p.slug: p for p in records.payers}
    drugs = {d.slug: d for d in records.drugs}
    written = {
        "/" + p.relative_to(ROOT / "content/guides").with_suffix("").as_posix() + "/"
        for p in (ROOT / "content/guides").rglob("*.md")
    }
    checked = reviewed = 0
    problems = []
    for path in content_pages(site):
        url = url_of(site, path)
        match = GUIDE_RE.match(url)
        if not match:
            continue
        html = path.read_text(encoding="utf-8")
        _, data = check_head(site, url, html, base)
        payer, drug = payers[match[1]], drugs[match[2]]
        page = nodes_by_type(data)["MedicalWebPage"][0]
        about = {node["@type"]: node for node in page["about"]}
        if about["Drug"]["name"] != drug.name:
            problems.append(f"{url}: about {about}")
        if bool(drug.condition) != ("MedicalCondition" in about):
            problems.append(f"{url}: condition {drug.condition!r} vs {about}")
        if page["publisher"]["name"] != records.site.site_name:
            problems.append(f"{url}: publisher {page['publisher']}")
        if page["mentions"]["name"] != payer.name or page["url"] != base + url:
            problems.append(f"{url}: mentions/url {page['mentions']} {page['url']}")
        review = REVIEW_RE.search(html)
        dates = set(TIME_RE.findall(review[1])) if review else set()
        if page.get("dateModified") and dates != {page["dateModified"]}:
            problems.append(f"{url}: dateModified {page.get('dateModified')}, visible {dates}")
        reviewer = REVIEWER_RE.search(review[1]) if review else None
        if page.get("reviewedBy"):
            reviewed += 1
            if not reviewer or reviewer[1] != page["reviewedBy"]["name"]:
                problems.append(f"{url}: reviewedBy {page['reviewedBy']} not shown")
            if page.get("dateModified") and page.get("lastReviewed") != page["dateModified"]:
                problems.append(f"{url}: lastReviewed {page.get('lastReviewed')}")
        if url in written and not (page.get("dateModified") and page.get("reviewedBy")):
            problems.append(f"{url}: a written guide without its updated date and reviewer")
        sources = html.split('<section class="sources"', 1)[-1]
        for name, href in CITATIONS.values():
            if f'<a href="{href}">' not in sources:
                problems.append(f"{url}: Sources does not link {name}")
        if "not legal or medical advice" not in " ".join(sources.split()):
            problems.append(f"{url}: no not-advice notice after the sources")
        checked += 1
    assert checked > 3000 and reviewed >= len(written)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:30])


HOSTILE = "</script><script>alert(1)</script> & 'x'"


def test_json_ld_survives_hostile_names(tmp_path: Path) -> None:
    site = copy_site(MINI, tmp_path / "site")
    edit(site / "data" / "drugs.yaml", "condition: test disease", f'condition: "{HOSTILE}"')
    edit(site / "data" / "payers.yaml", "name: Acme Health", f'name: "Acme {HOSTILE}"')
    result = run(site, "build")
    assert result.exit_code == 0, result.output
    html = (site / "output" / "acme" / "alphamab" / "step-therapy" / "index.html").read_text(
        "utf-8"
    )
    assert "<script>alert" not in html
    head = Head(html)
    assert len(head.jsonld) == 1
    data = json.loads(head.jsonld[0])
    nodes = nodes_by_type(data)
    page = nodes["MedicalWebPage"][0]
    assert {"@type": "MedicalCondition", "name": HOSTILE} in page["about"]
    assert page["mentions"]["name"] == f"Acme {HOSTILE}"
    assert nodes["BreadcrumbList"][0]["itemListElement"][1]["name"] == f"Acme {HOSTILE}"
