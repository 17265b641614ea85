"""Lighthouse 12 (npm `lighthouse`, Chromium from /usr/bin/chromium) on the home page, a payer
hub and two indexable guides, with the mobile and desktop presets: every category >= 95.

Also holds the page to what Lighthouse measures directly: no layout shift, and nothing
render-blocking but the one small stylesheet. Reports: test-artifacts/lighthouse/.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import CHROME_FLAGS, PAGES, Tools, chrome_profile, run_tool
from .server import StaticServer

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
MIN_SCORE = 95
STYLESHEET_MAX_BYTES = 10_000


@pytest.mark.parametrize("preset", ["mobile", "desktop"])
@pytest.mark.parametrize("name", sorted(PAGES))
def test_lighthouse_scores(
    tools: Tools,
    server: StaticServer,
    site: Path,
    artifacts: Path,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    preset: str,
) -> None:
    folder = artifacts / "lighthouse"
    folder.mkdir(exist_ok=True)
    stem = folder / f"{name}-{preset}"
    flags = [*CHROME_FLAGS, f"--user-data-dir={chrome_profile(tmp_path_factory)}"]
    args = [
        tools.bin("lighthouse"),
        server.url(PAGES[name]),
        "--quiet",
        "--output=json",
        "--output=html",
        f"--output-path={stem}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={' '.join(flags)}",
    ]
    if preset == "desktop":
        args.append("--preset=desktop")
    result = run_tool(args, timeout=180, env=tools.env())
    report_path = Path(f"{stem}.report.json")
    assert result.returncode == 0 and report_path.is_file(), result.stdout + result.stderr
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert not report.get("runtimeError"), report["runtimeError"]

    scores = {c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES}
    _record(folder, f"{name}-{preset}", PAGES[name], scores)
    failing = {
        audit_id: audit["title"]
        for audit_id, audit in report["audits"].items()
        if audit.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")
        and audit.get("score") is not None
        and audit["score"] < 0.9
        and any(
            ref["id"] == audit_id and ref["weight"] > 0
            for c in CATEGORIES
            for ref in report["categories"][c]["auditRefs"]
        )
    }
    low = {c: s for c, s in scores.items() if s < MIN_SCORE}
    assert not low, f"{PAGES[name]} ({preset}): {low}; failing audits: {failing}"

    audits = report["audits"]
    cls = audits["cumulative-layout-shift"]["numericValue"]
    assert cls == 0, f"{PAGES[name]} ({preset}): layout shift {cls}"
    blocking = [item["url"] for item in audits["render-blocking-resources"]["details"]["items"]]
    assert len(blocking) <= 1, f"render-blocking resources: {blocking}"
    for url in blocking:
        path = url.removeprefix(server.origin)
        assert path.startswith("/assets/") and path.endswith(".css"), url
        size = (site / path.lstrip("/")).stat().st_size
        assert size <= STYLESHEET_MAX_BYTES, f"{path} is {size} bytes"


def _record(folder: Path, key: str, url: str, scores: dict[str, int]) -> None:
    """Keep a summary of every run: test-artifacts/lighthouse/summary.json."""
    summary_path = folder / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.is_file() else {}
    summary[key] = {"url": url, **scores}
    summary_path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
