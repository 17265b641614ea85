"""What one guide page costs in CPU, stage by stage, in one process (no disk, no pool).

Loads a site (for instance a synthetic one written by `bench/run.py` or `bench/synth.py`),
takes the guides of the first units, and times with the process's CPU clock, best of
`--repeat` passes: the output record (matrix lookup, related-link keys, fingerprint), the view
model (`guide_page`), the template, and the content hash. The figures are µs per guide; they
are what the full build's CPU is made of, less the kernel's cost of writing the files. On a
site with reason write-ups in content/reasons/ (the sample, or one written by bench/synth.py)
it also times, for the same guides, the flat template of `bench/plain_jinja.py` padded to the
same page size: what the benchmark's simplest generator spends on a page.

    python bench/pagecost.py SITE_ROOT [--guides 3000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from guidegen.builder import Output, content_hash  # noqa: E402
from guidegen.dependencies import UnitDeps  # noqa: E402
from guidegen.models import GuideKey  # noqa: E402
from guidegen.outputs import SiteOutputs  # noqa: E402
from guidegen.pages import guide_page  # noqa: E402
from guidegen.sitemodel import LoadedSite, load_site  # noqa: E402


def best(repeat: int, run: Callable[[], object]) -> float:
    """The lowest CPU time of `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.process_time()
        run()
        times.append(time.process_time() - started)
    return min(times)


def plain_pages(
    site: LoadedSite, root: Path, keys: list[GuideKey], page_bytes: int
) -> Callable[[], object]:
    """Rendering the same guides through bench/plain_jinja.py's template, as it does."""
    sys.path.insert(0, str(ROOT / "bench"))
    import plain_jinja  # noqa: PLC0415  (a script beside this one, not a package)

    plain_jinja.load(root)
    data = plain_jinja.DATA
    template = plain_jinja.template()
    contexts = []
    for key in keys:
        payer, drug = data["payers"][key.payer], data["drugs"][key.drug]
        reason = data["reasons"][key.reason]
        guide = site.matrix.guide(key)
        assert (payer.slug, drug.slug, reason.slug) == (  # the same records, in the same order
            guide.payer.slug,
            guide.drug.slug,
            guide.reason.slug,
        )
        contexts.append(
            plain_jinja.guide_context(payer, drug, reason, plain_jinja.drug_reasons(drug))
        )
    padding = plain_jinja.padding_for(template, contexts[0], page_bytes)
    return lambda: [
        template.render(context, padding=padding).encode("utf-8") for context in contexts
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--guides", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    site = load_site(args.root)
    producer = SiteOutputs(site)
    keys: list[GuideKey] = []
    for drug in range(len(site.data.drugs)):
        for payer in range(len(site.data.payers)):
            keys += site.matrix.keys_for(payer, drug)
        if len(keys) >= args.guides:
            break
    keys = keys[: args.guides]
    graph, facts, settings = site.graph, site.facts, site.data.site

    def records() -> list[Output]:
        deps = UnitDeps()
        return [producer.guide_output(key, deps) for key in keys]

    def whole() -> list[str]:
        """Page by page, as a unit builds them: each output is dropped once written."""
        deps = UnitDeps()
        return [content_hash(producer.guide_output(key, deps).make()) for key in keys]

    outputs = records()
    guides = [site.matrix.guide(key) for key in keys]
    related = [graph.related(key, graph.related_keys(key)) for key in keys]
    modified = [producer.modified(guide.doc) for guide in guides]
    pages = [
        guide_page(g, graph, settings, facts, r, m)
        for g, r, m in zip(guides, related, modified, strict=True)
    ]
    html = [site.renderer.guide(page).encode("utf-8") for page in pages]
    for output, data in zip(outputs, html, strict=True):
        assert output.make() == data, output.path  # the stages below make the same bytes

    stages = {
        "output record (lookup, related keys, fingerprint)": records,
        "related links": lambda: [graph.related(k, graph.related_keys(k)) for k in keys],
        "view model (guide_page)": lambda: [
            guide_page(g, graph, settings, facts, r, m)
            for g, r, m in zip(guides, related, modified, strict=True)
        ],
        "template (guide.html)": lambda: [site.renderer.guide(p) for p in pages],
        "content hash": lambda: [content_hash(h) for h in html],
        "whole page (record + make + hash)": whole,
    }
    if (args.root / "content" / "reasons").is_dir():  # see the docstring
        size = sum(map(len, html)) // len(html)
        stages["the plain script's flat template, same size"] = plain_pages(
            site, args.root, keys, size
        )
    print(f"{len(keys):,} guides of {args.root}, best of {args.repeat}, CPU µs per guide:")
    for label, run in stages.items():
        print(f"  {label:<52} {best(args.repeat, run) / len(keys) * 1e6:8.1f}")


if __name__ == "__main__":
    main()
