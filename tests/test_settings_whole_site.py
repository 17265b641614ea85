"""Every documented value of the settings that change what a site links to builds a whole
site: no broken internal link, nothing linked that was not built, no empty hub, no orphan,
every page within three clicks of home (tests/sitecheck.py reads the output back).

The settings: `thin_pages` (noindex, skip, index), `base_url` at the host's root or under a
path (one or two segments, with or without a trailing slash), `host` (netlify, cloudflare).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from guidegen.devserver import Preview

from .conftest import MINI, ROOT, copy_site, edit, run
from .sitecheck import check_site
from .test_incremental import site_files

MINI_BASE = "https://example.test"
MINI_CHECKOUT = "https://example.test/start"  # the offer's checkout: another app serves it
SAMPLE_BASE = "https://www.denialhelp.com"
SAMPLE_CHECKOUT = "https://www.denialhelp.com/start"


def configure(site: Path, **settings: str) -> None:
    """Set top-level keys of data/site.yaml (replacing the line, or adding it)."""
    path = site / "data" / "site.yaml"
    text = path.read_text(encoding="utf-8")
    for key, value in settings.items():
        line = f"{key}: {value}"
        text, found = re.subn(rf"(?m)^{key}:.*$", line, text)
        if not found:
            text += f"{line}\n"
    path.write_text(text, encoding="utf-8")


def built(site: Path, *args: str) -> Path:
    result = run(site, "build", *args)
    assert result.exit_code == 0, result.output
    return site / "output"


def assert_whole(out: Path, base_url: str, checkout: str = MINI_CHECKOUT) -> None:
    problems = check_site(out, base_url, (checkout,))
    assert problems == [], "\n".join(problems[:30])


def pages(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*.html")}


SETTINGS = [
    pytest.param(
        {"thin_pages": policy, "base_url": base, "host": host}, id=f"{policy}-{label}-{host}"
    )
    for policy in ("noindex", "skip", "index")
    for label, base in (
        ("root", MINI_BASE),
        ("root-slash", MINI_BASE + "/"),
        ("path", MINI_BASE + "/appeals"),
        ("path-slash", MINI_BASE + "/appeals/"),
        ("two-segments", MINI_BASE + "/help/appeals"),
    )
    for host in ("netlify", "cloudflare")
    if host == "netlify" or label in ("root", "path")
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_every_setting_builds_a_whole_site(mini_site: Path, settings: dict[str, str]) -> None:
    configure(mini_site, **settings)
    assert_whole(built(mini_site), settings["base_url"])


@pytest.mark.parametrize(
    ("policy", "base"),
    [("skip", SAMPLE_BASE), ("skip", SAMPLE_BASE + "/appeals"), ("index", SAMPLE_BASE + "/a/b/")],
)
def test_the_sample_site_is_whole(sample_copy: Path, policy: str, base: str) -> None:
    configure(sample_copy, thin_pages=policy, base_url=base)
    assert_whole(built(sample_copy), base, SAMPLE_CHECKOUT)


@pytest.mark.parametrize("policy", ["noindex", "skip"])
@pytest.mark.parametrize(
    "options", [("--sitemap-limit", "2"), ("--host", "cloudflare"), ("--jobs", "2")]
)
def test_build_options_keep_a_prefixed_site_whole(
    mini_site: Path, policy: str, options: tuple[str, str]
) -> None:
    configure(mini_site, thin_pages=policy, base_url=MINI_BASE + "/appeals/")
    out = built(mini_site, *options)
    assert_whole(out, MINI_BASE + "/appeals")
    if options[0] == "--sitemap-limit":
        index = (out / "sitemap.xml").read_text(encoding="utf-8")
        assert "<loc>https://example.test/appeals/sitemaps/payer-acme-2.xml</loc>" in index


# thin_pages: skip --------------------------------------------------------------------------
MINI_SKIP_PAGES = {
    "404.html",
    "index.html",
    "acme/index.html",
    "acme/alphamab/index.html",
    "acme/alphamab/step-therapy/index.html",
    "acme/alphamab/off-label/index.html",
    "bluebird/index.html",
    "bluebird/alphamab/index.html",
    "bluebird/alphamab/off-label/index.html",
    "cardinal/index.html",
    "cardinal/alphamab/index.html",
    "cardinal/alphamab/off-label/index.html",
    "drugs/alphamab/index.html",
    "reasons/step-therapy/index.html",
    "reasons/off-label/index.html",
    # acme's old slug: redirect pages at the URLs of its built pages only
    "acme-old/index.html",
    "acme-old/alphamab/index.html",
    "acme-old/alphamab/step-therapy/index.html",
    "acme-old/alphamab/off-label/index.html",
}


def hrefs(out: Path, page: str) -> list[str]:
    text = (out / page).read_text(encoding="utf-8")
    main = text[text.index("<main") :]
    return re.findall(r'<li><a href="([^"]*)"', main)


def test_skip_builds_and_links_only_guides_with_their_own_write_up(mini_site: Path) -> None:
    configure(mini_site, thin_pages="skip")
    out = built(mini_site)
    assert pages(out) == MINI_SKIP_PAGES
    # the drug links the reasons it has guides for; the reason hub lists the payers with one
    assert hrefs(out, "drugs/alphamab/index.html") == [
        "/acme/alphamab/",
        "/bluebird/alphamab/",
        "/cardinal/alphamab/",
        "/reasons/step-therapy/",
        "/reasons/off-label/",
    ]
    assert hrefs(out, "reasons/step-therapy/index.html") == ["/drugs/alphamab/", "/acme/"]
    assert hrefs(out, "index.html") == [
        "/acme/",
        "/bluebird/",
        "/cardinal/",
        "/drugs/alphamab/",
        "/reasons/step-therapy/",
        "/reasons/off-label/",
    ]
    sitemap = (out / "sitemaps" / "site.xml").read_text(encoding="utf-8")
    assert re.findall(r"<loc>([^<]*)</loc>", sitemap) == [
        f"{MINI_BASE}/",
        f"{MINI_BASE}/drugs/alphamab/",
        f"{MINI_BASE}/reasons/off-label/",
        f"{MINI_BASE}/reasons/step-therapy/",
    ]
    assert_whole(out, MINI_BASE)


def test_skip_leaves_out_the_redirects_of_a_payer_whose_guides_are_all_skipped(
    mini_site: Path,
) -> None:
    (mini_site / "content" / "drugs" / "alphamab" / "off-label.md").unlink()
    edit(
        mini_site / "data" / "payers.yaml",
        "name: Bluebird Plans",
        "name: Bluebird Plans\n  aliases: [bluebird-old]",
    )
    configure(mini_site, thin_pages="skip")
    out = built(mini_site)
    assert {p for p in pages(out) if not p.startswith("acme")} == {
        "404.html",
        "index.html",
        "drugs/alphamab/index.html",
        "reasons/step-therapy/index.html",
    }
    assert (out / "_redirects").read_text(encoding="utf-8").splitlines()[2:] == [
        "/acme-old  /acme/  301!",
        "/acme-old/*  /acme/:splat  301!",
    ]
    assert hrefs(out, "index.html") == ["/acme/", "/drugs/alphamab/", "/reasons/step-therapy/"]
    assert_whole(out, MINI_BASE)


WRITE_UP = "---\ndescription: Bluebird and Betamab quantity limits.\n---\nBluebird counts doses.\n"


@pytest.mark.parametrize("base", [MINI_BASE, MINI_BASE + "/appeals"])
def test_skip_rebuilds_stay_whole_when_a_guide_is_built_then_skipped_again(
    mini_site: Path, tmp_path: Path, base: str
) -> None:
    configure(mini_site, thin_pages="skip", base_url=base)
    out = built(mini_site)
    before = site_files(out)
    write_up = mini_site / "content" / "guides" / "bluebird" / "betamab" / "quantity-limits.md"
    write_up.parent.mkdir(parents=True)
    write_up.write_text(WRITE_UP, encoding="utf-8")

    out = built(mini_site)
    assert_whole(out, base)
    new = {
        "bluebird/betamab/quantity-limits/index.html",
        "bluebird/betamab/index.html",
        "drugs/betamab/index.html",
        "reasons/quantity-limits/index.html",
    }
    assert pages(out) == MINI_SKIP_PAGES | new
    prefix = base.removeprefix(MINI_BASE)
    assert f'href="{prefix}/reasons/quantity-limits/"' in (out / "index.html").read_text("utf-8")
    assert site_files(out) == clean(mini_site, tmp_path / "clean-1")

    write_up.unlink()
    out = built(mini_site)
    assert_whole(out, base)
    assert pages(out) == MINI_SKIP_PAGES
    assert site_files(out) == before == clean(mini_site, tmp_path / "clean-2")


def clean(site: Path, out: Path) -> dict[str, str]:
    result = run(site, "build", "--clean", "--out", str(out))
    assert result.exit_code == 0, result.output
    return site_files(out)


# base_url with a path ----------------------------------------------------------------------
def test_a_path_in_base_url_is_in_every_url_the_site_sends_browsers_to(mini_site: Path) -> None:
    configure(mini_site, base_url="https://example.test/appeals")
    out = built(mini_site)
    guide = (out / "acme/alphamab/step-therapy/index.html").read_text(encoding="utf-8")
    css = re.search(r'<link rel="stylesheet" href="([^"]*)">', guide)
    assert css is not None and re.fullmatch(r"/appeals/assets/site\.[0-9a-f]{10}\.css", css[1])
    here = "https://example.test/appeals/acme/alphamab/step-therapy/"
    assert f'<link rel="canonical" href="{here}">' in guide
    assert f'<meta property="og:url" content="{here}">' in guide
    assert '"item":"https://example.test/appeals/acme/"' in guide.replace(" ", "")
    assert '<a class="brand" href="/appeals/">' in guide
    assert '<li><a href="/appeals/acme/alphamab/">Alphamab</a></li>' in guide
    assert 'href="https://example.test/start?src=guide&amp;' in guide  # the checkout as written
    not_found = (out / "404.html").read_text(encoding="utf-8")
    assert re.findall(r'<a[^>]* href="([^"]*)"', not_found) == ["#main"] + ["/appeals/"] * 3
    stub = (out / "acme-old/alphamab/index.html").read_text(encoding="utf-8")
    assert '<meta http-equiv="refresh" content="0; url=/appeals/acme/alphamab/">' in stub
    assert (
        (out / "robots.txt")
        .read_text()
        .endswith("Sitemap: https://example.test/appeals/sitemap.xml\n")
    )
    assert (
        "<loc>https://example.test/appeals/sitemaps/payer-acme.xml</loc>"
        in (out / "sitemap.xml").read_text()
    )
    assert (out / "_redirects").read_text().splitlines()[2:] == [
        "/appeals/acme-old  /appeals/acme/  301!",
        "/appeals/acme-old/*  /appeals/acme/:splat  301!",
    ]
    headers = (out / "_headers").read_text().splitlines()
    assert [line for line in headers if line.startswith("/")] == ["/appeals/*", "/appeals/assets/*"]
    assert_whole(out, "https://example.test/appeals")


def test_root_relative_links_of_write_ups_and_templates_get_the_path(mini_site: Path) -> None:
    configure(mini_site, base_url="https://example.test/appeals")
    edit(
        mini_site / "content/reasons/quantity-limits.md",
        "",
        "See [Acme's guides](/acme/) and [the form](//cdn.example/f.pdf).\n\n",
    )
    edit(
        mini_site / "templates/hub.html",
        "{% block main %}",
        '{% block main %}<p><a href="/drugs/betamab/">Betamab</a></p>',
    )
    out = built(mini_site)
    guide = (out / "cardinal/gammatide/quantity-limits/index.html").read_text(encoding="utf-8")
    assert '<a href="/appeals/acme/">Acme\'s guides</a>' in guide
    assert 'href="//cdn.example/f.pdf"' in guide  # another host's URL is left alone
    assert '<a href="/appeals/drugs/betamab/">Betamab</a>' in (out / "acme/index.html").read_text()
    assert_whole(out, "https://example.test/appeals")


@pytest.mark.parametrize(
    ("written", "same_as"),
    [
        ("https://example.test/appeals/", "https://example.test/appeals"),
        ("https://EXAMPLE.test//appeals//", "https://example.test/appeals"),
        ("https://example.test/", "https://example.test"),
        ("https://example.test/help/appeals/", "https://example.test/help/appeals"),
    ],
)
def test_base_url_forms_give_byte_identical_sites(
    tmp_path: Path, written: str, same_as: str
) -> None:
    sites = []
    for name, base in (("written", written), ("plain", same_as)):
        site = copy_site(MINI, tmp_path / name)
        configure(site, base_url=base)
        sites.append(site_files(built(site)))
    assert sites[0] == sites[1]


def test_changing_base_url_rebuilds_what_a_clean_build_writes(
    mini_site: Path, tmp_path: Path
) -> None:
    built(mini_site)
    for number, base in enumerate(("https://example.test/appeals", "https://example.test")):
        configure(mini_site, base_url=base)
        out = built(mini_site)
        assert site_files(out) == clean(mini_site, tmp_path / f"clean-{number}")
        assert_whole(out, base)


def test_the_build_command_typed_in_the_site_folder(mini_site: Path) -> None:
    configure(mini_site, base_url="https://example.test/appeals/", thin_pages="skip")
    done = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "build"],
        cwd=mini_site,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert_whole(mini_site / "output", "https://example.test/appeals")


# the preview ---------------------------------------------------------------------------
def get(app: Preview, path: str) -> tuple[str, dict[str, str], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer.update(status=status, headers=dict(headers))

    body = b"".join(app({"PATH_INFO": path}, start_response))
    return answer["status"], answer["headers"], body


def test_the_preview_serves_the_site_under_the_path_of_base_url(mini_site: Path) -> None:
    configure(mini_site, base_url="https://example.test/appeals")
    out = built(mini_site)
    app = Preview(mini_site)
    for page in ("acme/alphamab/step-therapy/index.html", "index.html", "drugs/betamab/index.html"):
        status, _, body = get(app, "/appeals/" + page.removesuffix("index.html"))
        assert (status, body) == ("200 OK", (out / page).read_bytes())
    assert get(app, "/appeals/robots.txt")[2] == (out / "robots.txt").read_bytes()
    for root in ("/", "/appeals"):
        status, headers, _ = get(app, root)
        assert (status, headers["Location"]) == ("302 Found", "/appeals/")
    status, _, body = get(app, "/acme/")  # outside the path: as on the host, not found
    assert (status, body) == ("404 Not Found", (out / "404.html").read_bytes())


def test_the_preview_at_the_root_is_unchanged(mini_site: Path) -> None:
    out = built(mini_site)
    app = Preview(mini_site)
    assert get(app, "/")[:1] == ("200 OK",)
    assert get(app, "/")[2] == (out / "index.html").read_bytes()
    assert get(app, "/appeals/")[0] == "404 Not Found"


# the checker finds what it is for ------------------------------------------------------------
@pytest.fixture(scope="module")
def mini_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = copy_site(MINI, tmp_path_factory.mktemp("checked") / "site")
    configure(site, base_url="https://example.test/appeals")
    return built(site)


def damaged(source: Path, tmp_path: Path, *change: str) -> Path:
    """A copy of a built site, with one snippet of one file replaced (page, old, new)."""
    out = tmp_path / "out"
    shutil.copytree(source, out)
    if change:
        page, old, new = change
        edit(out / page, old, new)
    return out


BASE = "https://example.test/appeals"


@pytest.mark.parametrize(
    ("page", "old", "new", "problem"),
    [
        (
            "acme/index.html",
            'href="/appeals/acme/alphamab/"',
            'href="/acme/alphamab/"',
            "/acme/: href /acme/alphamab/ is outside base_url's path /appeals/",
        ),
        (
            "acme/index.html",
            'href="/appeals/acme/alphamab/"',
            'href="/appeals/acme/nothing/"',
            "/acme/: href /appeals/acme/nothing/ names a file that was not built",
        ),
        (
            "drugs/alphamab/index.html",
            '<li><a href="/appeals/reasons/off-label/">',
            '<li><a href="/appeals/reasons/quantity-limits/">',
            "/drugs/alphamab/: links /reasons/quantity-limits/, which has no guide for this hub",
        ),
        (
            "acme/alphamab/index.html",
            '"item":"https://example.test/appeals/acme/"',
            '"item":"https://example.test/appeals/acme-health/"',
            "/acme/alphamab/: JSON-LD URL https://example.test/appeals/acme-health/ names a file "
            "that was not built",
        ),
        (
            "acme/alphamab/step-therapy/index.html",
            '<link rel="canonical" href="https://example.test/appeals/acme/alphamab/step-therapy/">',
            '<link rel="canonical" href="https://example.test/acme/alphamab/step-therapy/">',
            "/acme/alphamab/step-therapy/: canonical is not "
            "https://example.test/appeals/acme/alphamab/step-therapy/",
        ),
        (
            "sitemaps/site.xml",
            "<loc>https://example.test/appeals/</loc>",
            "<loc>https://example.test/appeals/acme-old/</loc>",
            "/sitemaps/site.xml: lists https://example.test/appeals/acme-old/, which is not indexable",
        ),
        (
            "_redirects",
            "/appeals/acme-old  /appeals/acme/",
            "/appeals/acme-old  /appeals/acme-gone/",
            "/_redirects: redirect target /appeals/acme-gone/ names a file that was not built",
        ),
        (
            "robots.txt",
            "Sitemap: https://example.test/appeals/sitemap.xml",
            "Sitemap: https://example.test/sitemap.xml",
            "/robots.txt: sitemap https://example.test/sitemap.xml is outside base_url's path "
            "/appeals/",
        ),
    ],
)
def test_the_checker_reports_what_breaks_a_site(
    mini_built: Path, tmp_path: Path, page: str, old: str, new: str, problem: str
) -> None:
    assert check_site(mini_built, BASE, (MINI_CHECKOUT,)) == []
    out = damaged(mini_built, tmp_path, page, old, new)
    assert problem in check_site(out, BASE, (MINI_CHECKOUT,))


def test_the_checker_reports_empty_hubs_and_unreachable_pages(
    mini_built: Path, tmp_path: Path
) -> None:
    out = damaged(mini_built, tmp_path)
    for guide in (out / "acme/deltanib").glob("*/index.html"):
        guide.unlink()
    (out / "extra").mkdir()
    empty = '<html><main><ul class="link-list"></ul></main></html>'
    (out / "extra/index.html").write_text(empty, encoding="utf-8")
    (out / "acme/gammatide/index.html").write_text(empty, encoding="utf-8")
    problems = check_site(out, BASE, (MINI_CHECKOUT,))
    assert "/acme/deltanib/: hub with no guide behind it" in problems
    assert (
        "/acme/deltanib/: href /appeals/acme/deltanib/off-label/ names a file that was not built"
    ) in problems
    assert "/acme/gammatide/: hub lists no pages" in problems
    assert "/extra/: not reachable from the home page" in problems
    assert "/extra/: orphan (no page links to it)" in problems
    assert "/acme/gammatide/off-label/: 4 clicks from the home page" in problems
