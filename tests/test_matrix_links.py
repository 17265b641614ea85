"""Matrix expansion and the link graph: restrictions, thin policies, related links, hubs."""

from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path

import pytest

from guidegen.links import LinkGraph
from guidegen.pipeline import load_site

from .conftest import edit
from .synth import write_synthetic_site


def test_reasons_restriction_and_policies(mini_site: Path) -> None:
    site = load_site(mini_site)
    urls = [site.matrix.guide(k).url for k in site.matrix.all_keys()]
    assert "/acme/alphamab/step-therapy/" in urls
    assert (
        "/acme/alphamab/quantity-limits/" not in urls
    )  # alphamab: reasons [step-therapy, off-label]
    assert len(urls) == 3 * (2 + 3 + 3 + 3) == site.matrix.count()
    assert len(set(urls)) == len(urls)
    guide = site.matrix.guide(site.matrix.key_for_slugs("acme", "alphamab", "step-therapy"))  # type: ignore[arg-type]
    assert not guide.thin and guide.indexable
    thin = site.matrix.guide(site.matrix.key_for_slugs("acme", "betamab", "step-therapy"))  # type: ignore[arg-type]
    assert thin.thin and not thin.indexable


def test_skip_policy_builds_only_written_pages(mini_site: Path) -> None:
    edit(mini_site / "data/site.yaml", "thin_pages: noindex", "thin_pages: skip")
    site = load_site(mini_site)
    urls = sorted(site.matrix.guide(k).url for k in site.matrix.all_keys())
    assert urls == [
        "/acme/alphamab/off-label/",
        "/acme/alphamab/step-therapy/",
        "/bluebird/alphamab/off-label/",
        "/cardinal/alphamab/off-label/",
    ]
    hubs = [h.url for h in site.hubs.all()]
    assert "/acme/betamab/" not in hubs and "/drugs/betamab/" not in hubs


def test_index_policy_and_front_matter_override(mini_site: Path) -> None:
    edit(mini_site / "data/site.yaml", "thin_pages: noindex", "thin_pages: index")
    edit(
        mini_site / "content/drugs/alphamab/off-label.md",
        "updated: 2026-10-01",
        "updated: 2026-10-01\nnoindex: true",
    )
    site = load_site(mini_site)
    assert site.matrix.guide(site.matrix.key_for_slugs("acme", "betamab", "step-therapy")).indexable  # type: ignore[arg-type]
    assert not site.matrix.guide(
        site.matrix.key_for_slugs("acme", "alphamab", "off-label")
    ).indexable  # type: ignore[arg-type]


def related_inbound(graph: LinkGraph) -> Counter[str]:
    inbound: Counter[str] = Counter()
    for key in graph.matrix.all_keys():
        url = graph.matrix.guide(key).url
        inbound[url] += 0
        for group in graph.related(key):
            for link in group.links:
                assert link.url != url
                inbound[link.url] += 1
    return inbound


@pytest.mark.parametrize("policy", ["noindex", "skip"])
def test_related_links_spread_evenly_on_a_larger_matrix(tmp_path: Path, policy: str) -> None:
    site = load_site(
        write_synthetic_site(
            tmp_path / "s", payers=15, drugs=45, reasons=8, policy=policy, written=400
        )
    )
    inbound = related_inbound(site.graph)
    counts = sorted(inbound.values())
    assert len(counts) == site.matrix.count()
    assert counts[0] >= 1, "every guide is linked from another guide"
    assert counts[-1] <= 2 * statistics.median(counts)


def test_related_links_are_deterministic_and_same_class_first(tmp_path: Path) -> None:
    root = write_synthetic_site(tmp_path / "s")
    first = load_site(root)
    second = load_site(root)
    for key in list(first.matrix.all_keys())[::37]:
        assert first.graph.related(key) == second.graph.related(key)
    drugs = first.data.drugs
    for key in list(first.matrix.all_keys())[::11]:
        same_reason = first.graph.same_reason_drugs(key)
        drug_class = drugs[key.drug].drug_class
        if drug_class is None:
            continue
        classes = [drugs[d].drug_class == drug_class for d in same_reason]
        assert classes == sorted(classes, reverse=True), "same-class drugs come first"


def test_breadcrumbs_and_hubs_reach_every_guide(mini_site: Path) -> None:
    site = load_site(mini_site)
    hubs = {h.url: h for h in site.hubs.all()}
    assert list(hubs)[0] == "/"
    for key in site.matrix.all_keys():
        guide = site.matrix.guide(key)
        crumbs = [c.url for c in site.graph.guide_crumbs(guide)]
        assert crumbs == [
            "/",
            f"/{guide.payer.slug}/",
            f"/{guide.payer.slug}/{guide.drug.slug}/",
            guide.url,
        ]
        assert any(link.url == crumbs[1] for g in hubs["/"].groups for link in g.links)
        assert any(link.url == crumbs[2] for g in hubs[crumbs[1]].groups for link in g.links)
        assert any(link.url == guide.url for g in hubs[crumbs[2]].groups for link in g.links)
