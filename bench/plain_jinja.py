"""The simplest Jinja2 generator: a baseline for what rendering costs on this machine.

For every guide of a synthetic site (bench/synth.py) it renders one flat template (no
inheritance, includes or macros) with the guide's names, the reason's lead and evidence,
the reason's fallback write-up (Markdown converted once per reason) and links to the
guide's other reasons, and writes it to `<payer>/<drug>/<reason>/index.html`. Two worker
processes split the payers. No validation, content cascade, manifest, hashing, hubs,
sitemaps, JSON-LD or related-link graph. Each page is padded with a constant block to the
average size of the generator's guide pages (`PAGE_BYTES`), so both write the same volume.

    python bench/plain_jinja.py SITE_DIR OUT_DIR PAGE_BYTES [WORKERS]

Prints a JSON line: pages, bytes, seconds, the CPU seconds (user, system) of the workers
and the busy core seconds of the whole machine meanwhile (bench/machine_cpu.py). The
timing starts after the data is loaded, as the I/O floor's does.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import markdown
import yaml
from jinja2 import Environment, Template
from machine_cpu import busy_seconds
from markupsafe import Markup

TEMPLATE = """<!doctype html>
<html lang="en-US">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ drug.name }} denied {{ reason.title_phrase }} by {{ payer.name }}?</title>
<meta name="description" content="{{ drug.name }} denied {{ reason.title_phrase }} by \
{{ payer.name }}? What {{ payer.short_name }} asks for and how to appeal.">
<link rel="canonical" href="{{ base }}/{{ payer.slug }}/{{ drug.slug }}/{{ reason.slug }}/">
</head>
<body>
<nav aria-label="Breadcrumb"><ol><li><a href="/">Home</a></li>
<li><a href="/{{ payer.slug }}/">{{ payer.name }}</a></li>
<li><a href="/{{ payer.slug }}/{{ drug.slug }}/">{{ drug.name }}</a></li>
<li>{{ reason.name }}</li></ol></nav>
<main>
<h1>{{ drug.name }} denied {{ reason.title_phrase }} by {{ payer.name }}?</h1>
<p class="lead">{{ reason.lead }}</p>
<h2>What {{ payer.name }} typically requires</h2>
<p>{{ payer.short_name }} checks {{ drug.name }} ({{ drug.generic_name }}) for \
{{ drug.condition }} against its policy and the FDA label.</p>
<ul>{% for item in reason.evidence %}<li>{{ item }}</li>{% endfor %}</ul>
<h2>The {{ payer.name }} angle on {{ drug.name }}</h2>
{{ body }}
<p><a href="https://example.org/checkout?payer={{ payer.slug }}&drug={{ drug.slug }}\
&reason={{ reason.slug }}">Start my appeal</a></p>
<h2>Related appeal guides</h2>
<ul>{% for other in others %}<li><a href="/{{ payer.slug }}/{{ drug.slug }}/{{ other.slug }}/">\
{{ drug.name }} denied {{ other.title_phrase }} by {{ payer.name }}</a></li>{% endfor %}</ul>
{{ padding }}
</main>
</body>
</html>
"""

DATA: dict[str, Any] = {}


def load(site: Path) -> None:
    def read(name: str) -> Any:
        return yaml.safe_load((site / "data" / name).read_text(encoding="utf-8"))

    reasons = read("denial_reasons.yaml")
    bodies = {}
    for reason in reasons:
        text = (site / "content" / "reasons" / f"{reason['slug']}.md").read_text(encoding="utf-8")
        if text.startswith("---"):
            text = text.split("\n---", 2)[-1]
        bodies[reason["slug"]] = Markup(markdown.markdown(text, extensions=["tables"]))
    DATA.update(
        payers=[_record(p, "short_name") for p in read("payers.yaml")],
        drugs=[_record(d, "generic_name", "condition", "reasons") for d in read("drugs.yaml")],
        reasons=[_record(r, "evidence") for r in reasons],
        bodies=bodies,
        base=read("site.yaml")["base_url"].rstrip("/"),
    )


def _record(fields: dict[str, Any], *optional: str) -> SimpleNamespace:
    """Attributes, not dict keys: Jinja tries getattr first, which fails slowly on a dict."""
    return SimpleNamespace(**({name: "" for name in optional} | fields))


def template() -> Template:
    return Environment(autoescape=True).from_string(TEMPLATE)


def drug_reasons(drug: SimpleNamespace) -> list[SimpleNamespace]:
    """The reasons a drug has guides for (all of them when its record lists none)."""
    return [r for r in DATA["reasons"] if not drug.reasons or r.slug in drug.reasons]


def guide_context(
    payer: SimpleNamespace,
    drug: SimpleNamespace,
    reason: SimpleNamespace,
    reasons: list[SimpleNamespace],
) -> dict[str, Any]:
    """What the template prints for one guide, but the padding; `reasons` are the drug's."""
    others = [r for r in reasons if r is not reason]
    context = dict(payer=payer, drug=drug, reason=reason, others=others)
    context.update(body=DATA["bodies"][reason.slug], base=DATA["base"])
    return context


def padding_for(template: Template, context: dict[str, Any], page_bytes: int) -> Markup:
    """One constant block, as a cached fragment would be, that brings a page to `page_bytes`."""
    short = len(template.render(context, padding="").encode("utf-8"))
    return Markup("<p hidden>%s</p>") % ("x" * max(0, page_bytes - short - 16))


def write_pages(out: str, worker: int, workers: int, page_bytes: int) -> tuple[int, int]:
    page = template()
    padding: Markup | None = None
    pages = size = 0
    for payer in DATA["payers"][worker::workers]:
        for drug in DATA["drugs"]:
            reasons = drug_reasons(drug)
            for reason in reasons:
                context = guide_context(payer, drug, reason, reasons)
                if padding is None:
                    padding = padding_for(page, context, page_bytes)
                data = page.render(context, padding=padding).encode("utf-8")
                folder = os.path.join(out, payer.slug, drug.slug, reason.slug)
                os.makedirs(folder, exist_ok=True)
                fd = os.open(os.path.join(folder, "index.html"), os.O_WRONLY | os.O_CREAT, 0o644)
                os.write(fd, data)
                os.close(fd)
                pages += 1
                size += len(data)
    return pages, size


def _child(args: tuple[str, int, int, int]) -> tuple[int, int]:
    return write_pages(*args)


def main(site: Path, out: Path, page_bytes: int, workers: int = 2) -> dict[str, float]:
    load(site)
    out.mkdir(parents=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = busy_seconds()
    started = time.perf_counter()
    context = multiprocessing.get_context("fork")
    pool = context.Pool(workers)
    results = pool.map(_child, [(str(out), w, workers, page_bytes) for w in range(workers)])
    pool.close()
    pool.join()
    seconds = time.perf_counter() - started
    busy = busy_seconds() - busy
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "pages": sum(r[0] for r in results),
        "bytes": sum(r[1] for r in results),
        "seconds": seconds,
        "user_s": after.ru_utime - before.ru_utime,
        "system_s": after.ru_stime - before.ru_stime,
        "machine_busy_s": busy,
    }


if __name__ == "__main__":
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), count)))
