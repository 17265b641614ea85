"""axe-core in headless Chromium on the home page, a payer hub and two guides, at a 390 px phone
width and a 1280 px desktop width: 0 violations. Every indexable page fits a 390 px screen
without sideways scrolling, and a guide is photographed at both widths
(test-artifacts/screenshots/) for people to look at.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import CHROME_FLAGS, PAGES, Tools, chrome_profile, run_tool
from .server import StaticServer

WIDTHS = (390, 1280)
SCREENSHOT_PAGE = PAGES["guide-cigna-ocrevus"]


def indexable_pages(site: Path) -> list[str]:
    """Every page the sitemaps list, as a path."""
    urls: list[str] = []
    for sitemap in sorted((site / "sitemaps").glob("*.xml")):
        urls += re.findall(r"<loc>https?://[^/<]+(/[^<]*)</loc>", sitemap.read_text("utf-8"))
    return urls


@pytest.fixture(scope="module")
def browser_results(
    tools: Tools,
    server: StaticServer,
    site: Path,
    artifacts: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    shots = artifacts / "screenshots"
    shots.mkdir(exist_ok=True)
    job = {
        "chrome": str(tools.chrome),
        "userDataDir": str(chrome_profile(tmp_path_factory)),
        "flags": CHROME_FLAGS,
        "axe": str(tools.node_modules / "axe-core" / "axe.min.js"),
        "axePages": [server.url(path) for path in PAGES.values()],
        "overflowPages": [server.url(path) for path in indexable_pages(site)],
        "widths": list(WIDTHS),
        "screenshots": [
            {"url": server.url(SCREENSHOT_PAGE), "width": w, "path": str(shots / f"guide-{w}.png")}
            for w in WIDTHS
        ],
    }
    job_path = tmp_path_factory.mktemp("browser") / "job.json"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    script = Path(__file__).with_name("browser.mjs")
    result = run_tool([tools.node, str(script), str(job_path)], timeout=600)
    assert result.returncode == 0, result.stderr[-5000:]
    results: dict[str, Any] = json.loads(result.stdout)
    (artifacts / "browser.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return results


def test_axe_finds_no_violations(browser_results: dict[str, Any]) -> None:
    runs = browser_results["axe"]
    assert len(runs) == len(PAGES) * len(WIDTHS)
    for run in runs:
        assert run["passes"] > 20, f"axe barely ran on {run['url']}"
    failures = [
        f"{run['url']} at {run['width']} px: {v['id']} ({v['impact']}): {v['help']} {v['nodes']}"
        for run in runs
        for v in run["violations"]
    ]
    assert not failures, "\n".join(failures)


def test_pages_fit_a_phone_screen(browser_results: dict[str, Any], site: Path) -> None:
    checked = browser_results["overflow"] + browser_results["axe"]
    assert len(browser_results["overflow"]) == len(indexable_pages(site)) > 100
    wide = [
        f"{r['url']} at {r['width']} px is {r['scrollWidth']} px wide"
        for r in checked
        if r["scrollWidth"] > r["clientWidth"]
    ]
    assert not wide, "\n".join(wide)


def test_no_console_errors(browser_results: dict[str, Any]) -> None:
    assert not browser_results["consoleErrors"]


def test_guide_screenshots_taken(browser_results: dict[str, Any]) -> None:
    for shot in browser_results["screenshots"]:
        path = Path(shot["path"])
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(data[16:20], "big")
        height = int.from_bytes(data[20:24], "big")
        assert width == shot["width"] and height > 1500, (path, width, height)
