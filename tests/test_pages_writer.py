"""View models (titles, CTA URL, fingerprints) and the safe writer."""

from __future__ import annotations

from pathlib import Path

import pytest

from guidegen.errors import SiteError
from guidegen.models import Offer
from guidegen.outputs import SiteOutputs
from guidegen.pages import checkout_url, fit, guide_title
from guidegen.sitemodel import load_site
from guidegen.writer import MARKER, OutputError, Workspace, check_output_dir, exchange, safe_relpath

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
        outputs = SiteOutputs(site)
        return {
            site.matrix.guide(k).url: outputs.guide_output(k).fingerprint
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


def test_fresh_workspace_refuses_double_writes(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "w", fresh=True)
    (tmp_path / "w").mkdir()
    workspace.write("a/index.html", b"new")
    with pytest.raises(SiteError, match="two outputs would be written to a/index.html"):
        workspace.write("a/index.html", b"again")


def test_reused_workspace_never_modifies_a_shared_file(tmp_path: Path) -> None:
    (tmp_path / "active").mkdir()
    (tmp_path / "spare").mkdir()
    (tmp_path / "active/page.html").write_bytes(b"old")
    (tmp_path / "spare/page.html").hardlink_to(tmp_path / "active/page.html")
    Workspace(tmp_path / "spare", fresh=False).write("page.html", b"new")
    assert (tmp_path / "active/page.html").read_bytes() == b"old"
    assert (tmp_path / "spare/page.html").read_bytes() == b"new"


def test_exchange_swaps_folders(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / MARKER).write_text("a", encoding="utf-8")
    (tmp_path / "b" / MARKER).write_text("b", encoding="utf-8")
    exchange(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "a" / MARKER).read_text(encoding="utf-8") == "b"
    assert (tmp_path / "b" / MARKER).read_text(encoding="utf-8") == "a"


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
