"""The build command end to end on the test site: summary, determinism, replacing output."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from .conftest import edit, run
from .test_bad_input import tree_digest


def test_build_reports_what_it_did(mini_site: Path) -> None:
    result = run(mini_site, "build")
    assert result.exit_code == 0, result.output
    summary = re.search(
        r"Built 33 guides: (\d+) pages rendered, 0 unchanged, 0 removed; (\d+) files", result.output
    )
    assert summary is not None and summary.group(1) == summary.group(2), result.output
    assert (mini_site / "output/acme/alphamab/step-therapy/index.html").is_file()
    assert (mini_site / "output/.guidegen-output").is_file()
    # a fresh manifest makes its indexes at the end of the build: they must be there
    db = sqlite3.connect(mini_site / "output/.guidegen/manifest.sqlite")
    indexes = db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    db.close()
    assert {"files_unit", "files_sitemap"} <= {name for (name,) in indexes}


def test_two_builds_are_byte_identical(mini_site: Path, tmp_path: Path) -> None:
    assert run(mini_site, "build", "--out", str(tmp_path / "a")).exit_code == 0
    assert run(mini_site, "build", "--out", str(tmp_path / "b")).exit_code == 0
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")


def test_rebuild_replaces_pages_that_no_longer_exist(mini_site: Path) -> None:
    assert run(mini_site, "build").exit_code == 0
    assert (mini_site / "output/acme/deltanib/off-label/index.html").is_file()
    edit(
        mini_site / "data/drugs.yaml",
        "- slug: deltanib\n  name: Deltanib",
        "- slug: deltanib\n  name: Deltanib\n  reasons: [step-therapy]",
    )
    assert run(mini_site, "build").exit_code == 0
    assert not (mini_site / "output/acme/deltanib/off-label/index.html").exists()
    assert (mini_site / "output/acme/deltanib/step-therapy/index.html").is_file()


def test_check_writes_nothing(mini_site: Path) -> None:
    result = run(mini_site, "check")
    assert result.exit_code == 0
    assert result.output.splitlines()[-1].startswith(
        "OK: 3 payers, 4 drugs, 3 denial reasons, 5 write-ups, 33 guides"
    )
    assert not (mini_site / "output").exists()


def build_with_long_titles(site: Path) -> tuple[str, list[str]]:
    """Build after giving a payer a name too long for its guides' titles: the output and
    its title-length warning (one line for them all)."""
    edit(
        site / "data/payers.yaml",
        "  name: Bluebird Plans",
        "  name: Bluebird Regional Preferred Provider Health Plans",
    )
    result = run(site, "build")
    assert result.exit_code == 0
    long_titles = [line for line in result.output.splitlines() if "the title of" in line]
    assert len(long_titles) == 1 and "more like it)" in long_titles[0]
    return result.output, long_titles


def test_warnings_are_collapsed_and_strict_fails_on_them(mini_site: Path) -> None:
    output, _ = build_with_long_titles(mini_site)
    assert "warning: content/drugs/alphamab/off-label.md: only 7 words" in output
    before = (mini_site / "output/index.html").read_bytes()
    edit(mini_site / "data/site.yaml", "tagline: A small site for tests.", "tagline: A small site.")
    strict = run(mini_site, "build", "--strict")
    assert strict.exit_code == 1
    assert "error: content/drugs/alphamab/off-label.md: only 7 words" in strict.output
    assert "error: warning:" not in strict.output
    assert (mini_site / "output/index.html").read_bytes() == before  # untouched


def test_pages_left_alone_still_report_their_warnings(mini_site: Path) -> None:
    _, long_titles = build_with_long_titles(mini_site)
    # only the alphamab off-label guides change: the long-titled Bluebird guides of the other
    # drugs are not rendered again, and their warnings come from the manifest
    edit(
        mini_site / "content/drugs/alphamab/off-label.md",
        "A drug-level write-up",
        "A short drug-level write-up",
    )
    second = run(mini_site, "build")
    assert second.exit_code == 0
    assert re.search(r": [1-9] pages rendered, [1-9][0-9]* unchanged", second.output)
    again = [line for line in second.output.splitlines() if "the title of" in line]
    assert again == long_titles


def test_quiet_prints_nothing(mini_site: Path) -> None:
    result = run(mini_site, "build", "--quiet")
    assert result.exit_code == 0 and result.output == ""


def test_the_plan_is_made_as_it_is_walked_and_shards_partition_it() -> None:
    from guidegen.builder import plan

    payers, drugs = ["p0", "p1", "p2"], ["d0", "d1"]
    full = plan(payers, drugs)
    units = list(full)
    assert len(full) == len(units) == 2 + 3 * 2 + 3 * 2
    assert [u.key for u in units[:8]] == ["site", "sitemaps"] + [
        f"{kind}/{p}" for p in payers for kind in ("payer", "sitemap")
    ]
    assert [u.key for u in units[8:]] == [
        f"guides/{p}/{d}" for d in drugs for p in payers
    ]  # drug by drug, so a drug's write-ups stay warm in a worker
    shards = [plan(payers, drugs, (k, 2)) for k in (1, 2)]
    assert [len(s) for s in shards] == [len(list(s)) for s in shards] == [2 + 2 * 4, 1 * 4]
    assert sorted(k for s in shards for k in s.unit_keys()) == sorted(u.key for u in units)


def test_workers_take_a_drug_at_a_time_in_balanced_batches() -> None:
    from guidegen.builder import _batches, plan

    payers, drugs = [f"p{i}" for i in range(5)], [f"d{i}" for i in range(20)]
    units = plan(payers, drugs)
    batches = list(_batches(units, jobs=2))
    assert [u for b in batches for u in b] == list(units)  # every unit, in order
    guide_batches = [b for b in batches if b[0].kind == "guides"]
    assert len(guide_batches) == len(drugs)  # a drug's write-ups compile in one worker
    assert all(len({u.drug for u in b}) == 1 for b in guide_batches)
    many_payers = plan([f"p{i}" for i in range(200)], drugs[:1])
    sizes = [len(b) for b in _batches(many_payers, jobs=2)]
    assert max(sizes) <= len(many_payers) // 16  # a big drug is split to keep workers busy
