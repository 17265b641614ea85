"""Golden pages of the test site: any change to the output shows up as a reviewable diff.

Update after an intended change with:  bash scripts/test.sh tests/test_golden.py --update-golden
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from .conftest import ROOT, run

GOLDEN = ROOT / "tests" / "golden"
PAGES = {
    "guide-written.html": "acme/alphamab/step-therapy/index.html",
    "guide-drug-level.html": "bluebird/alphamab/off-label/index.html",
    "guide-thin.html": "cardinal/gammatide/quantity-limits/index.html",
    "hub-home.html": "index.html",
    "hub-payer.html": "acme/index.html",
    "hub-payer-drug.html": "acme/alphamab/index.html",
    "hub-drug.html": "drugs/betamab/index.html",
    "hub-reason.html": "reasons/off-label/index.html",
    "404.html": "404.html",
    "sitemap-index.xml": "sitemap.xml",
    "sitemap-payer.xml": "sitemaps/payer-acme.xml",
    "sitemap-site.xml": "sitemaps/site.xml",
}


@pytest.fixture(scope="module")
def mini_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from .conftest import MINI, copy_site

    site = copy_site(MINI, tmp_path_factory.mktemp("golden") / "site")
    result = run(site, "build")
    assert result.exit_code == 0, result.output
    return site / "output"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_matches_golden(mini_output: Path, name: str, request: pytest.FixtureRequest) -> None:
    actual = (mini_output / PAGES[name]).read_text(encoding="utf-8")
    golden = GOLDEN / name
    if request.config.getoption("--update-golden"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        return
    assert golden.is_file(), f"no golden copy of {name}; run with --update-golden"
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True),
                actual.splitlines(True),
                f"golden/{name}",
                f"output/{PAGES[name]}",
            )
        )
        pytest.fail(f"{name} differs from its golden copy (update with --update-golden):\n{diff}")
