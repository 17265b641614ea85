"""Parallel, incremental and sharded builds give the bytes of a clean single-process build,
and an incremental build renders exactly the pages whose bytes change."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from guidegen.manifest import MANIFEST_DIR
from guidegen.pipeline import BuildOptions, BuildReport, build_site, load_site
from guidegen.writer import MARKER

from .conftest import edit, run


def site_files(out: Path) -> dict[str, str]:
    """Every deployable file of a built site and the hash of its bytes."""
    files = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and rel != MARKER and not rel.startswith(MANIFEST_DIR + "/"):
            files[rel] = hashlib.sha1(path.read_bytes()).hexdigest()
    return files


def clean_build(root: Path, out: Path, **options: object) -> dict[str, str]:
    build_site(root, out, BuildOptions(clean=True, jobs=1, **options))  # type: ignore[arg-type]
    return site_files(out)


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


def incremental(root: Path, out: Path, jobs: int = 2) -> BuildReport:
    return build_site(root, out, BuildOptions(jobs=jobs))


@pytest.mark.parametrize("jobs", [2, 3])
def test_output_is_the_same_whatever_the_number_of_workers(
    sample_copy: Path, tmp_path: Path, jobs: int
) -> None:
    single = clean_build(sample_copy, tmp_path / "one")
    build_site(sample_copy, tmp_path / "many", BuildOptions(jobs=jobs, clean=True))
    assert site_files(tmp_path / "many") == single


def test_shards_assemble_into_the_full_site(sample_copy: Path, tmp_path: Path) -> None:
    full = clean_build(sample_copy, tmp_path / "full")
    shards = []
    for k in (1, 2, 3):
        out = tmp_path / f"shard-{k}"
        build_site(sample_copy, out, BuildOptions(shard=(k, 3), jobs=2))
        shards.append(str(out))
    result = run(sample_copy, "merge", "--out", str(tmp_path / "merged"), *shards)
    assert result.exit_code == 0, result.output
    assert site_files(tmp_path / "merged") == full
    assert not set(site_files(tmp_path / "shard-2")) & set(site_files(tmp_path / "shard-3"))


def test_unchanged_inputs_build_nothing(mini_site: Path) -> None:
    out = mini_site / "output"
    first = incremental(mini_site, out)
    assert first.rendered > 0 and not first.up_to_date
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = incremental(mini_site, out)
    assert again.up_to_date and again.rendered == 0 and again.written == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before


EDITS: dict[str, tuple[str, str | None, str | None]] = {
    "drug-name": ("data/drugs.yaml", "  name: Betamab", "  name: Betamab Pen"),
    "drug-field": (
        "data/drugs.yaml",
        "  condition: test disease\n  prescriber: neurologist\n- slug: gammatide",
        "  condition: another disease\n  prescriber: neurologist\n- slug: gammatide",
    ),
    "write-up": ("content/drugs/alphamab/off-label.md", "A drug-level", "An edited drug-level"),
    "hub-template": ("templates/hub.html", "{% block main %}", "{% block main %}<p>Hub.</p>"),
    "reasons-restricted": (
        "data/drugs.yaml",
        "- slug: deltanib\n  name: Deltanib",
        "- slug: deltanib\n  name: Deltanib\n  reasons: [step-therapy]",
    ),
    "payer-added": (
        "data/payers.yaml",
        "- slug: cardinal",
        "- slug: dove\n  name: Dove Health\n- slug: cardinal",
    ),
    # renamed past its neighbours: the related-link rings change order
    "drug-reordered": ("data/drugs.yaml", "  name: Betamab", "  name: Zetamab"),
    "payer-alias": (
        "data/payers.yaml",
        "  name: Bluebird Plans",
        "  name: Bluebird Plans\n  aliases: [bb]",
    ),
    "reason-name": ("data/denial_reasons.yaml", "  name: Quantity limits", "  name: Quantity caps"),
    "front-matter-noindex": (
        "content/drugs/alphamab/off-label.md",
        "updated: 2026-10-01",
        "updated: 2026-10-01\nnoindex: true",
    ),
    "write-up-added": (
        "content/guides/bluebird/gammatide/quantity-limits.md",
        None,
        "## Gammatide at {{ payer.name }}\n\nA write-up of its own.\n",
    ),
    "write-up-removed": ("content/guides/acme/alphamab/step-therapy.md", "", None),
    # the last records go: units recorded links to them by index
    "drug-removed": ("data/drugs.yaml", "- slug: deltanib\n  name: Deltanib\n", ""),
    "payer-removed": ("data/payers.yaml", "- slug: cardinal\n  name: Cardinal Care\n", ""),
}


def apply_edit(root: Path, name: str) -> None:
    """One of EDITS: replace a snippet, or create (old None) or delete (new None) a file."""
    path, old, new = EDITS[name]
    if new is None:
        (root / path).unlink()
    elif old is None:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(new, encoding="utf-8")
    else:
        edit(root / path, old, new)


@pytest.mark.parametrize("name", sorted(EDITS))
def test_an_edit_renders_exactly_the_pages_whose_bytes_change(
    mini_site: Path, tmp_path: Path, name: str
) -> None:
    out = mini_site / "output"
    incremental(mini_site, out)
    incremental(mini_site, out)  # the spare generation exists from here on
    before = site_files(out)
    apply_edit(mini_site, name)
    report = incremental(mini_site, out)
    after = site_files(out)
    assert after == clean_build(mini_site, tmp_path / "clean"), "incremental == clean build"
    differing = changed(before, after)
    removed = set(before) - set(after)
    assert report.written == len(differing - removed)
    assert report.rendered == report.written, "nothing rendered whose bytes did not change"
    assert report.removed == len(removed)
    assert 0 < len(differing) < len(after)


def test_a_settings_edit_gives_the_clean_build(mini_site: Path, tmp_path: Path) -> None:
    """Every page depends on the settings: all are rendered again, and thin pages go."""
    out = mini_site / "output"
    incremental(mini_site, out)
    incremental(mini_site, out)
    edit(mini_site / "data/site.yaml", "thin_pages: noindex", "thin_pages: skip")
    report = incremental(mini_site, out)
    assert site_files(out) == clean_build(mini_site, tmp_path / "clean")
    assert report.removed > 0 and report.skipped_units == 0


def test_template_edit_leaves_guides_alone(mini_site: Path) -> None:
    out = mini_site / "output"
    incremental(mini_site, out)
    edit(mini_site / "templates/hub.html", "{% block main %}", "{% block main %}<p>Hub.</p>")
    report = incremental(mini_site, out)
    hubs = [p for p in out.rglob("index.html") if "<p>Hub.</p>" in p.read_text(encoding="utf-8")]
    assert report.rendered == len(hubs) > 0
    assert report.unchanged >= 33


def test_clean_rebuild_renders_everything(mini_site: Path) -> None:
    out = mini_site / "output"
    first = incremental(mini_site, out)
    report = build_site(mini_site, out, BuildOptions(clean=True))
    assert report.rendered == first.rendered and report.unchanged == 0


def test_a_manifest_of_another_layout_means_a_full_build(mini_site: Path) -> None:
    out = mini_site / "output"
    first = incremental(mini_site, out)
    db = sqlite3.connect(out / MANIFEST_DIR / "manifest.sqlite")
    db.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    db.execute("ALTER TABLE files DROP COLUMN warnings")  # as an older generator wrote it
    db.commit()
    db.close()
    edit(mini_site / "content/drugs/alphamab/off-label.md", "A drug-level", "An edited one")
    report = incremental(mini_site, out)
    assert report.rendered == first.rendered and report.unchanged == 0
    assert site_files(out) == clean_build(mini_site, mini_site.parent / "clean")


def units_showing(root: Path, slug: str) -> int:
    """How many units of work show a drug: its own guide units, those whose pages link to
    its guides, every payer unit (payer hubs list all drugs) and the site-wide unit."""
    site = load_site(root)
    drug = next(i for i, d in enumerate(site.data.drugs) if d.slug == slug)
    guide_units = set()
    for key in site.matrix.all_keys():
        related = site.graph.related_keys(key)
        following = related.following
        if key.drug == drug or drug in related.drugs or (following and following.drug == drug):
            guide_units.add((key.payer, key.drug))
    return len(guide_units) + len(site.data.payers) + 1


def test_edit_of_one_drug_in_the_sample_site(sample_copy: Path, tmp_path: Path) -> None:
    out = sample_copy / "output"
    incremental(sample_copy, out)
    before = site_files(out)
    edit(sample_copy / "data/drugs.yaml", "  name: Kesimpta", "  name: Kesimpta Sensoready")
    report = incremental(sample_copy, out)
    after = site_files(out)
    assert report.rendered == report.written == len(changed(before, after))
    assert report.rendered < len(after) // 10
    assert after == clean_build(sample_copy, tmp_path / "clean")
    # every other unit is left alone without a look at its pages: time follows the edit
    looked_at = report.units - report.skipped_units
    assert looked_at == units_showing(sample_copy, "kesimpta")
    assert looked_at < report.units // 5


def test_a_rename_that_reorders_the_related_links(sample_copy: Path, tmp_path: Path) -> None:
    """Kesimpta renamed Arzerra moves from K to A: pages that never linked to it now may,
    so no unit can be left alone on its old record of links."""
    out = sample_copy / "output"
    incremental(sample_copy, out)
    edit(sample_copy / "data/drugs.yaml", "  name: Kesimpta", "  name: Arzerra")
    report = incremental(sample_copy, out)
    assert site_files(out) == clean_build(sample_copy, tmp_path / "clean")
    assert report.skipped_units == 0
