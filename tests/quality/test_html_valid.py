"""The W3C Nu HTML checker (vnu.jar from npm `vnu-jar`) over every HTML page of the sample site.

One JVM checks the whole output folder; a deliberately broken canary page is checked in the
same run, so a checker that silently checks nothing cannot pass.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from .conftest import Tools, run_tool

CANARY = "<!doctype html><html lang=en><title>canary</title><p><div>x</p></div>"


def test_every_page_is_valid_html(
    tools: Tools, site: Path, artifacts: Path, tmp_path: Path
) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 3000, f"only {len(pages)} pages built"
    canary = tmp_path / "canary.html"
    canary.write_text(CANARY, encoding="utf-8")
    jar = tools.node_modules / "vnu-jar" / "build" / "dist" / "vnu.jar"
    args = [tools.java, "-Xss8m", "-jar", str(jar), "--skip-non-html", "--errors-only"]
    result = run_tool([*args, "--format", "json", str(site), str(canary)], timeout=600)
    (artifacts / "vnu.json").write_text(result.stderr, encoding="utf-8")
    try:
        report = json.loads(result.stderr)
    except json.JSONDecodeError:
        pytest.fail(f"vnu gave no JSON report (exit {result.returncode}):\n{result.stderr[-3000:]}")
    messages = report["messages"]
    on_canary = [m for m in messages if m.get("url", "").endswith("/canary.html")]
    assert on_canary, "vnu found nothing wrong with a broken canary page: is it checking?"
    problems = [m for m in messages if m not in on_canary]
    by_message = Counter(m.get("message", "") for m in problems)
    listing = "\n".join(
        f"{m.get('url', '?')}:{m.get('lastLine', '?')}: {m.get('type')}: {m.get('message')}"
        for m in problems[:40]
    )
    assert not problems, (
        f"{len(problems)} Nu checker errors on {len(pages)} pages "
        f"(most common: {by_message.most_common(5)}):\n{listing}"
    )
