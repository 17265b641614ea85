"""Nothing from data or write-ups can inject markup: values are escaped in every context,
and raw HTML in write-ups is cut down to an allow-list unless the site trusts it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bs4 import BeautifulSoup

from .conftest import edit, run

HOSTILE = "Acme </script><script>alert(1)</script> \" & 'x' <b>"


def test_hostile_names_are_escaped_everywhere(mini_site: Path) -> None:
    yaml_value = json.dumps(HOSTILE)  # a JSON string is a valid YAML double-quoted scalar
    edit(mini_site / "data/payers.yaml", "  name: Acme Health", f"  name: {yaml_value}")
    edit(
        mini_site / "data/drugs.yaml",
        "  condition: test disease\n  prescriber: neurologist\n  benefit",
        f"  condition: {yaml_value}\n  prescriber: neurologist\n  benefit",
    )
    result = run(mini_site, "build")
    assert result.exit_code == 0, result.output
    out = mini_site / "output"
    for page in [
        out / "acme/alphamab/step-therapy/index.html",
        out / "acme/index.html",
        out / "drugs/alphamab/index.html",
        out / "index.html",
    ]:
        html = page.read_text(encoding="utf-8")
        assert "<script>alert(1)</script>" not in html
        assert "<b>" not in html
        soup = BeautifulSoup(html, "html.parser")
        scripts = soup.find_all("script")
        assert len(scripts) == 1 and scripts[0]["type"] == "application/ld+json"
        json.loads(scripts[0].string)  # the JSON-LD still parses
        assert len(soup.find_all("b")) == 0  # the name's <b> stayed text
    guide = (out / "acme/alphamab/step-therapy/index.html").read_text(encoding="utf-8")
    assert "Acme &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in guide
    script = BeautifulSoup(guide, "html.parser").find("script")
    graph = json.loads(script.string)["@graph"]  # type: ignore[union-attr]
    page = next(node for node in graph if node["@type"] == "MedicalWebPage")
    assert page["mentions"]["name"] == HOSTILE  # exact, once parsed
    assert {"@type": "MedicalCondition", "name": HOSTILE} in page["about"]


def test_raw_html_in_write_ups_is_sanitized(mini_site: Path) -> None:
    page = mini_site / "content/guides/acme/alphamab/step-therapy.md"
    edit(
        page,
        "Acme wants cheaper drugs tried first.",
        "Acme wants <em>cheaper</em> drugs tried first.<script>steal()</script>"
        '<img src="x" onerror="steal()"><a href="javascript:steal()">link</a>'
        '<iframe src="https://evil.test"></iframe><a href="https://ok.test/">fine</a>',
    )
    assert run(mini_site, "build").exit_code == 0
    angle = (mini_site / "output/acme/alphamab/step-therapy/index.html").read_text(encoding="utf-8")
    angle = angle.split('class="angle"', 1)[1].split("</section>", 1)[0]
    assert "<em>cheaper</em>" in angle and '<a href="https://ok.test/">fine</a>' in angle
    for bad in ("<script", "steal()", "onerror", "javascript:", "<iframe"):
        assert bad not in angle


def test_a_site_can_trust_its_write_ups(mini_site: Path) -> None:
    edit(
        mini_site / "data/site.yaml",
        "thin_pages: noindex",
        "thin_pages: noindex\ntrust_raw_html: true",
    )
    page = mini_site / "content/guides/acme/alphamab/step-therapy.md"
    edit(page, "Acme wants cheaper drugs tried first.", 'Acme <span class="note">wants</span> it.')
    assert run(mini_site, "build").exit_code == 0
    html = (mini_site / "output/acme/alphamab/step-therapy/index.html").read_text(encoding="utf-8")
    assert '<span class="note">wants</span>' in html


def test_slugs_cannot_leave_the_output_folder(mini_site: Path) -> None:
    edit(mini_site / "data/payers.yaml", "- slug: bluebird", "- slug: ../../etc")
    result = run(mini_site, "check")
    assert result.exit_code == 1
    assert re.search(
        r"data/payers.yaml:6: payers\[1\]\.slug: '\.\./\.\./etc' is not a valid slug", result.output
    )
