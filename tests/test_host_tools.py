"""The host files checked with the hosts' own tools, offline: Netlify's redirect and header
parsers and its redirect matcher (tests/hosts/netlify.mjs), and Cloudflare's wrangler
serving the output in its local workerd runtime (`wrangler pages dev`). The pinned npm
packages come from scripts/quality-tools.sh; each tool starts once per module."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from guidegen.data import load_site_data
from guidegen.errors import ErrorCollector, SiteError
from guidegen.hostfiles import Redirects, check_host_limits, count_rules, redirect_rules

from .conftest import MINI, ROOT, copy_site, edit, run
from .sitecheck import is_redirect_page, url_of

NODE_BIN = ROOT / "node_modules/.bin"
COMPATIBILITY_DATE = "2026-04-01"  # one the pinned workerd supports
SHORT = "public, max-age=0, must-revalidate"
FOREVER = "public, max-age=31536000, immutable"


@pytest.fixture(autouse=True, scope="module")
def _tools() -> None:
    assert (ROOT / "node_modules/.quality-tools-installed").is_file(), (
        "the pinned npm packages are missing: run `bash scripts/quality-tools.sh` "
        "(scripts/test.sh does)"
    )


def renamed_site(base: Path, host: str) -> Path:
    """The test site with a renamed payer (acme-old) and a renamed drug (beta-old)."""
    site = copy_site(MINI, base / host)
    edit(site / "data/drugs.yaml", "- slug: betamab\n", "- slug: betamab\n  aliases: [beta-old]\n")
    if host != "netlify":
        (site / "data/site.yaml").write_text(
            (site / "data/site.yaml").read_text(encoding="utf-8") + f"host: {host}\n"
        )
    result = run(site, "build", "--quiet")
    assert result.exit_code == 0, result.output
    return site / "output"


def redirect_pages(out: Path) -> dict[str, str]:
    """Every old URL the build wrote a redirect page at, and the URL it sends browsers to."""
    pages = {}
    for page in out.rglob("index.html"):
        if is_redirect_page(page):
            html = page.read_text(encoding="utf-8")
            pages[url_of(out, page)] = re.search(r'url=([^"]+)"', html).group(1)  # type: ignore[union-attr]
    return pages


# Netlify --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def netlify(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], dict]:  # type: ignore[type-arg]
    out = renamed_site(tmp_path_factory.mktemp("netlify"), "netlify")
    pages = redirect_pages(out)
    urls = [*pages, *pages.values(), "/acme-old", "/assets/" + _css(out), "/", "/404.html"]
    result = subprocess.run(
        ["node", str(ROOT / "tests/hosts/netlify.mjs"), str(out)],
        input=json.dumps(urls),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return out, pages, json.loads(result.stdout)


def _css(out: Path) -> str:
    return next(p.name for p in (out / "assets").iterdir() if p.suffix == ".css")


def test_netlify_parses_every_rule_and_header(netlify: tuple[Path, dict[str, str], dict]) -> None:  # type: ignore[type-arg]
    out, _, found = netlify
    rules = [
        line
        for line in (out / "_redirects").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert found["redirects"] == {"count": len(rules), "errors": []}
    assert found["headers"] == {"count": 2, "errors": []}


def test_netlify_moves_every_old_url_in_one_forced_hop(
    netlify: tuple[Path, dict[str, str], dict],  # type: ignore[type-arg]
) -> None:
    _, pages, found = netlify
    assert len(pages) == 33  # payer, payer + drug, drug and drug-hub redirect pages
    for old, target in pages.items():
        match = found["urls"][old]
        assert (match["to"], match["status"], match["force"]) == (target, 301, True), old
        assert found["urls"][target]["to"] is None, f"{old}: a second hop from {target}"
    assert found["urls"]["/acme-old"]["to"] == "/acme/"


def test_netlify_caches_hashed_assets_forever_and_pages_briefly(
    netlify: tuple[Path, dict[str, str], dict],  # type: ignore[type-arg]
) -> None:
    out, _, found = netlify
    assert found["urls"]["/assets/" + _css(out)]["headers"]["Cache-Control"] == FOREVER
    for page in ("/", "/404.html", "/acme/"):
        assert found["urls"][page]["headers"]["Cache-Control"] == SHORT
        assert found["urls"][page]["headers"]["X-Frame-Options"] == "DENY"


# Cloudflare -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Wrangler:
    """`wrangler pages dev FOLDER` on 127.0.0.1, offline: no metrics, no update check, no
    download of Request.cf's data (its placeholder serves)."""

    def __init__(self, folder: Path, work: Path) -> None:
        self.port = _free_port()
        work.mkdir(parents=True, exist_ok=True)
        self.log = work / "wrangler.log"
        env = {
            **os.environ,
            "WRANGLER_SEND_METRICS": "false",
            "WRANGLER_HIDE_BANNER": "true",  # the banner asks npm for a newer version
            "CLOUDFLARE_CF_FETCH_ENABLED": "false",  # Request.cf's placeholder, not a download
            "WRANGLER_CACHE_DIR": str(work / "cache"),
            "CI": "1",
            "XDG_CONFIG_HOME": str(work / "config"),
            "NO_COLOR": "1",
        }
        command = [
            str(NODE_BIN / "wrangler"), "pages", "dev", str(folder), "--ip", "127.0.0.1",
            "--port", str(self.port), "--inspector-port", str(_free_port()),
            "--compatibility-date", COMPATIBILITY_DATE, "--persist-to", str(work / "state"),
            "--show-interactive-dev-session=false",
        ]  # fmt: skip
        with open(self.log, "w", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

    def wait(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                self.get("/")
                return
            except OSError:
                assert self.process.poll() is None, self.output()
                time.sleep(0.3)
        raise AssertionError(f"wrangler did not start:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str) -> tuple[int, dict[str, list[str]]]:
        """Status and headers (every value of each) of a GET, redirects not followed."""

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: object, **kwargs: object) -> None:
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            response = opener.open(f"http://127.0.0.1:{self.port}{path}", timeout=10)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            response.read()
            headers: dict[str, list[str]] = {}
            for name, value in response.headers.items():
                headers.setdefault(name.lower(), []).append(value)
            return int(response.status), headers

    def stop(self) -> None:
        os.killpg(self.process.pid, 15)
        self.process.wait(timeout=30)


def _rules_only(base: Path, name: str, text: str) -> Path:
    folder = base / name
    folder.mkdir()
    (folder / "index.html").write_text("<!doctype html><title>t</title>\n", encoding="utf-8")
    (folder / "_redirects").write_text(text, encoding="utf-8")
    return folder


def _aliases(base: Path, payer_aliases: int, drug_aliases: int) -> str:
    """The `_redirects` Cloudflare gets for that many aliases (made without the limit check)."""
    site = copy_site(MINI, base / f"data-{payer_aliases}-{drug_aliases}")
    payers = ", ".join(f"acme-{i}" for i in range(payer_aliases))
    edit(site / "data/payers.yaml", "aliases: [acme-old]", f"aliases: [{payers}]")
    drugs = ", ".join(f"beta-{i}" for i in range(drug_aliases))
    edit(site / "data/drugs.yaml", "- slug: betamab\n", f"- slug: betamab\n  aliases: [{drugs}]\n")
    data = load_site_data(site, ErrorCollector())
    assert data is not None
    return redirect_rules(data, "cloudflare").text


@pytest.fixture(scope="module")
def cloudflare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """wrangler serving the cloudflare build and two bare `_redirects` files, started at once."""
    base = tmp_path_factory.mktemp("cloudflare")
    out = renamed_site(base, "cloudflare")
    over = _aliases(base, 65, 5)  # the example
    under = _aliases(base, 30, 1)
    servers = {
        "site": Wrangler(out, base / "w-site"),
        "over": Wrangler(_rules_only(base, "over", over), base / "w-over"),
        "under": Wrangler(_rules_only(base, "under", under), base / "w-under"),
    }
    try:
        for server in servers.values():
            server.wait()
        yield {"out": out, "over_text": over, "under_text": under, **servers}
    finally:
        for server in servers.values():
            server.stop()


def test_wrangler_takes_every_rule_and_moves_old_urls_in_one_hop(
    cloudflare: dict[str, object],
) -> None:
    server, out = cloudflare["site"], cloudflare["out"]
    assert isinstance(server, Wrangler) and isinstance(out, Path)
    text = (out / "_redirects").read_text(encoding="utf-8")
    static, dynamic = count_rules(text)
    assert (static, dynamic) == (2, 4)
    log = server.output()
    assert f"Parsed {static + dynamic} valid redirect rules." in log
    assert "invalid" not in log and "more performant" not in log
    assert "cloudflare.com" not in log and "update available" not in log  # nothing fetched
    pages = redirect_pages(out)
    assert len(pages) == 33
    for old, target in pages.items():
        status, headers = server.get(old)
        assert (status, headers.get("location")) == (301, [target]), old
        assert server.get(target)[0] == 200, f"{old}: {target} is not a page"
    assert server.get("/acme-old")[1].get("location") == ["/acme/"]


def test_wrangler_sends_one_cache_control_per_file(cloudflare: dict[str, object]) -> None:
    server, out = cloudflare["site"], cloudflare["out"]
    assert isinstance(server, Wrangler) and isinstance(out, Path)
    css = next(p.name for p in (out / "assets").iterdir() if p.suffix == ".css")
    status, headers = server.get(f"/assets/{css}")
    assert status == 200 and headers["cache-control"] == [FOREVER]
    for page in ("/", "/acme/", "/acme/betamab/"):
        status, headers = server.get(page)
        assert status == 200 and headers["cache-control"] == [SHORT], page


def test_the_build_counts_rules_as_wrangler_does(cloudflare: dict[str, object]) -> None:
    under, over = cloudflare["under"], cloudflare["over"]
    assert isinstance(under, Wrangler) and isinstance(over, Wrangler)
    under_text, over_text = str(cloudflare["under_text"]), str(cloudflare["over_text"])
    assert count_rules(under_text) == (60, 62)
    assert "Parsed 122 valid redirect rules." in under.output()
    assert "Maximum number" not in under.output() and "more performant" not in under.output()
    # 65 payer aliases and 5 drug aliases: wrangler drops rules, so the build refuses
    assert count_rules(over_text) == (390, 400)
    assert "Maximum number of dynamic rules supported is 100." in over.output()
    with pytest.raises(SiteError, match="_redirects has 390 static and 400 dynamic rules"):
        check_host_limits(Redirects(over_text, *count_rules(over_text)), "cloudflare")
