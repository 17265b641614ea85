"""View models (titles, CTA URL, fingerprints) and the safe writer."""

from __future__ import annotations

from pathlib import Path

import pytest

from guidegen.errors import SiteError
from guidegen.models import Offer
from guidegen.pages import checkout_url, fit, guide_page, guide_title
from guidegen.pipeline import load_site
from guidegen.writer import MARKER, OutputError, Staging, check_output_dir, safe_relpath

from .conftest import edit


def test_fit_never_cuts_a_word() -> None:
    assert fit(["a long title that does not fit", "short one"], 12) == "short one"
    assert fit(["way too long", "also too long"], 5) == "way too long"


def test_checkout_url_keeps_existing_query() -> None:
    offer = Offer(40, 30, "SEO25", "https://x.test/start?src=guide#top")
    assert checkout_url(offer, "cigna", "ocrevus", "step-therapy") == (
        "https://x.test/start?src=guide&payer=cigna&drug=ocrevus&reason=step-therapy&code=SEO25#top"
    )


def test_titles_fit_search_results(mini_site: Path) -> None:
    site = load_site(mini_site)
    titles = set()
    for key in site.matrix.all_keys():
        title = guide_title(site.matrix.guide(key), site.data.site)
        assert len(title) <= 60
        titles.add(title)
    assert len(titles) == site.matrix.count()


def test_fingerprint_follows_inputs(mini_site: Path) -> None:
    def fingerprints() -> dict[str, str]:
        site = load_site(mini_site)
        return {
            site.matrix.guide(k).url: guide_page(
                site.matrix.guide(k), site.graph, site.data.site, site.renderer.digest
            ).fingerprint
            for k in site.matrix.all_keys()
        }

    before = fingerprints()
    assert before == fingerprints()
    edit(mini_site / "content/drugs/alphamab/off-label.md", "A drug-level", "An edited drug-level")
    after = fingerprints()
    changed = sorted(url for url in before if before[url] != after[url])
    assert changed == [
        "/acme/alphamab/off-label/",
        "/bluebird/alphamab/off-label/",
        "/cardinal/alphamab/off-label/",
    ]


@pytest.mark.parametrize(
    "rel", ["../x", "/etc/passwd", "a/../../b", "a\\b", "", "x\x00", "..", "."]
)
def test_unsafe_paths_are_refused(rel: str) -> None:
    with pytest.raises(ValueError):
        safe_relpath(rel)


def test_paths_are_normalised() -> None:
    assert safe_relpath("a//b/./c.html") == "a/b/c.html"


def test_staging_refuses_double_writes_and_swaps_atomically(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / MARKER).write_text("", encoding="utf-8")
    (out / "old.html").write_text("old", encoding="utf-8")
    stage = Staging(out)
    stage.write("a/index.html", b"new")
    with pytest.raises(SiteError, match="two pages would be written to a/index.html"):
        stage.write("a/index.html", b"again")
    assert (out / "old.html").exists()
    stage.commit()
    assert (out / "a/index.html").read_bytes() == b"new"
    assert not (out / "old.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_output_dir_safety(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    with pytest.raises(OutputError, match="it contains the project"):
        check_output_dir(project, project)
    with pytest.raises(OutputError, match="it contains the project"):
        check_output_dir(tmp_path, project)
    with pytest.raises(OutputError, match="overlaps data/"):
        check_output_dir(project / "data", project)
    assert check_output_dir(project / "output", project) == (project / "output").resolve()
