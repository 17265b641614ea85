"""Synthetic sites of any size, written to disk like a real one (for matrix and link tests)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write_synthetic_site(
    dest: Path,
    payers: int = 20,
    drugs: int = 60,
    reasons: int = 8,
    classes: int = 7,
    policy: str = "noindex",
    written: int = 0,
    seed: int = 7,
) -> Path:
    """A site with `written` guide-level write-ups at random combinations."""
    rng = random.Random(seed)
    (dest / "data").mkdir(parents=True)
    (dest / "content" / "reasons").mkdir(parents=True)
    shutil.copytree(ROOT / "templates", dest / "templates")
    shutil.copytree(ROOT / "static", dest / "static")
    (dest / "data" / "site.yaml").write_text(
        "base_url: https://synth.test\nsite_name: Synth\nlanguage: en-US\n"
        "offer: {list_price: 40, first_letter_price: 30, promo_code: SEO25, "
        "checkout_url: 'https://synth.test/start'}\n"
        f"thin_pages: {policy}\nnext_steps: [Do one thing.]\n",
        encoding="utf-8",
    )
    (dest / "data" / "payers.yaml").write_text(
        "".join(f"- slug: payer-{i}\n  name: Payer {i:04d}\n" for i in range(payers)),
        encoding="utf-8",
    )
    reason_slugs = [f"reason-{i}" for i in range(reasons)]
    (dest / "data" / "denial_reasons.yaml").write_text(
        "".join(
            f"- slug: {slug}\n  name: Reason {i}\n  title_phrase: for reason {i}\n  lead: Lead {i}.\n"
            for i, slug in enumerate(reason_slugs)
        ),
        encoding="utf-8",
    )
    lines = []
    for i in range(drugs):
        lines.append(f"- slug: drug-{i}\n  name: Drug {i:04d}\n")
        if i % (classes + 1):
            lines.append(f"  drug_class: class {i % classes}\n")
        if i % 5 == 0:
            lines.append(
                f"  reasons: [{', '.join(rng.sample(reason_slugs, max(1, reasons // 2)))}]\n"
            )
    (dest / "data" / "drugs.yaml").write_text("".join(lines), encoding="utf-8")
    for slug in reason_slugs:
        (dest / "content" / "reasons" / f"{slug}.md").write_text(
            "## About\n\n{{ drug.name }} at {{ payer.name }}.\n", encoding="utf-8"
        )
    done = 0
    while done < written:
        p, d, r = rng.randrange(payers), rng.randrange(drugs), rng.randrange(reasons)
        if d % 5 == 0:
            continue
        path = dest / "content" / "guides" / f"payer-{p}" / f"drug-{d}" / f"reason-{r}.md"
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("## Written\n\nSpecific text.\n", encoding="utf-8")
        done += 1
    return dest
