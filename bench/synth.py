"""Synthetic appeal-guide sites of a given number of guides, shaped like the real one.

Records have the fields and lengths of the sample data; write-ups are the sample site's
own write-ups (the reason fallbacks as they are, drug- and payer-level ones with their
names swapped), so pages have realistic sizes and Markdown (tables, lists, headings).
Deterministic: the same size always gives the same site.

    python bench/synth.py 100000 bench/work/site-100k
"""

from __future__ import annotations

import random
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SYLLABLES = [
    "ar",
    "bel",
    "cor",
    "da",
    "el",
    "fin",
    "gra",
    "hex",
    "im",
    "jo",
    "kel",
    "lu",
    "mo",
    "nex",
    "or",
    "pra",
    "qui",
    "ro",
    "sa",
    "tor",
    "ul",
    "vex",
    "wen",
    "xa",
    "ye",
    "zol",
]
STEMS = ["mab", "nib", "tide", "zumab", "ximab", "parin", "gliflozin", "lisib", "fusp", "cept"]
PLACES = [
    "Summit",
    "Lakeside",
    "Pioneer",
    "Heartland",
    "Coastal",
    "Keystone",
    "Granite",
    "Prairie",
    "Harbor",
    "Cascade",
    "Liberty",
    "Sunrise",
    "Evergreen",
    "Riverbend",
    "Northstar",
    "Bayview",
]
KINDS = ["Health Plan", "Health", "Care", "Blue Shield", "Medical Group", "HealthCare", "Advantage"]
CLASSES = [
    f"class {name} inhibitor"
    for name in [
        "JAK",
        "BTK",
        "IL-6",
        "IL-17A",
        "IL-23",
        "PCSK9",
        "SGLT2",
        "CGRP",
        "TNF",
        "CD20",
        "CD38",
        "BCMA",
        "PD-1",
        "EGFR",
        "ALK",
        "VEGF",
        "HER2",
        "FXa",
        "C5",
        "FcRn",
        "S1P",
        "TYK2",
        "KRAS",
        "MEK",
        "BRAF",
        "PARP",
        "CDK4/6",
        "HDAC",
        "mTOR",
        "GLP-1",
    ]
]
CONDITIONS = [
    "rheumatoid arthritis",
    "plaque psoriasis",
    "multiple sclerosis",
    "Crohn's disease",
    "migraine prevention",
    "type 2 diabetes",
    "heart failure",
    "multiple myeloma",
    "atopic dermatitis",
    "severe asthma",
    "lupus",
    "hemophilia A",
    "cystic fibrosis",
    "chronic kidney disease",
    "ulcerative colitis",
    "psoriatic arthritis",
    "ADHD",
    "non-small cell lung cancer",
    "breast cancer",
    "myasthenia gravis",
]
PRESCRIBERS = [
    "rheumatologist",
    "dermatologist",
    "neurologist",
    "gastroenterologist",
    "endocrinologist",
    "cardiologist",
    "oncologist",
    "pulmonologist",
    "hematologist",
]
EXTRA_REASONS = [
    ("site-of-care", "Site of care", "because of its site-of-care rules"),
    ("dosage-form", "Dosage form not covered", "for its dosage form"),
    ("age-limit", "Outside the age limit", "because of an age limit"),
    ("coding-error", "Billing or coding error", "because of a coding error"),
]


def shape(guides: int) -> tuple[int, int, int]:
    """(payers, drugs, reasons) whose product is about `guides`."""
    reasons = 12
    cells = max(1, round(guides / (reasons * (0.75 + 0.25 / 2))))  # a quarter get half the reasons
    payers = max(2, round((cells / 1.6) ** 0.5))
    drugs = max(2, round(cells / payers))
    return payers, drugs, reasons


def name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts))


def write_site(guides: int, dest: Path, seed: int = 20261123) -> dict[str, int]:
    rng = random.Random(seed)
    payers, drugs, reasons = shape(guides)
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "data").mkdir(parents=True)
    for folder in ("templates", "static"):
        shutil.copytree(ROOT / folder, dest / folder)
    shutil.copy(ROOT / "data" / "site.yaml", dest / "data" / "site.yaml")
    sample_reasons = (ROOT / "data" / "denial_reasons.yaml").read_text(encoding="utf-8")
    extra = "".join(
        f"\n- slug: {slug}\n  name: {label}\n  title_phrase: {phrase}\n  lead: >-\n"
        "    Appeals of this kind succeed when the records show the plan applied the rule to the\n"
        "    wrong facts, with the prescriber's letter explaining what the treatment needs.\n"
        "  evidence:\n    - The plan's written rule and the notice that applied it.\n"
        "    - Records showing why the rule does not fit this treatment.\n"
        for slug, label, phrase in EXTRA_REASONS[: reasons - 8]
    )
    (dest / "data" / "denial_reasons.yaml").write_text(sample_reasons + extra, encoding="utf-8")
    reason_slugs = re.findall(r"^- slug: (\S+)", sample_reasons + extra, re.M)

    payer_lines, seen = [], set()
    for i in range(payers):
        label = f"{rng.choice(PLACES)} {rng.choice(KINDS)}"
        while label in seen:
            label = f"{rng.choice(PLACES)} {name(rng, 2).title()} {rng.choice(KINDS)}"
        seen.add(label)
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        payer_lines.append(
            f"- slug: {slug}\n  name: {label}\n  short_name: {label.split()[0]}{i}\n"
            f"  description: {label} offers employer, individual and Medicare plans in several "
            f"states; its published medical and pharmacy policies set its coverage criteria.\n"
        )
    (dest / "data" / "payers.yaml").write_text("".join(payer_lines), encoding="utf-8")
    payer_slugs = re.findall(r"^- slug: (\S+)", "".join(payer_lines), re.M)

    drug_lines, drug_names = [], []
    for i in range(drugs):
        brand = f"{name(rng, 2).title()}{i}"
        generic = f"{name(rng, 3)}{rng.choice(STEMS)}"
        drug_names.append((brand, generic))
        restricted = ""
        if i % 4 == 0:  # a quarter of the drugs get only some reasons
            picked = sorted(rng.sample(reason_slugs, reasons // 2), key=reason_slugs.index)
            restricted = f"  reasons: [{', '.join(picked)}]\n"
        drug_lines.append(
            f"- slug: {brand.lower()}\n  name: {brand}\n  generic_name: {generic}\n"
            f"  drug_class: {CLASSES[i % len(CLASSES)]}\n"
            f"  condition: {CONDITIONS[i % len(CONDITIONS)]}\n"
            f"  prescriber: {PRESCRIBERS[i % len(PRESCRIBERS)]}\n"
            f"  benefit: {'medical' if i % 3 == 0 else 'pharmacy'}\n{restricted}"
        )
    (dest / "data" / "drugs.yaml").write_text("".join(drug_lines), encoding="utf-8")
    drug_slugs = [brand.lower() for brand, _ in drug_names]
    drug_reasons = {
        slug: (
            re.findall(r"reasons: \[(.*)\]", line)[0].split(", ")
            if "reasons:" in line
            else reason_slugs
        )
        for slug, line in zip(drug_slugs, drug_lines, strict=True)
    }

    content = dest / "content"
    shutil.copytree(ROOT / "content" / "reasons", content / "reasons")
    for slug, label, _ in EXTRA_REASONS[: reasons - 8]:
        source = (ROOT / "content" / "reasons" / "not-medically-necessary.md").read_text(
            encoding="utf-8"
        )
        (content / "reasons" / f"{slug}.md").write_text(
            source.replace("medical necessity", label.lower()), encoding="utf-8"
        )
    samples = sorted((ROOT / "content" / "guides").rglob("*.md")) + sorted(
        (ROOT / "content" / "drugs").rglob("*.md")
    )
    texts = [path.read_text(encoding="utf-8") for path in samples]

    def adapted(text: str, brand: str, generic: str) -> str:
        for old in ("Ocrevus", "Tecartus", "Yescarta", "Dupixent", "Humira", "Entresto", "Repatha"):
            text = text.replace(old, brand)
        return text.replace("ocrelizumab", generic)

    drug_docs = 0
    for d, slug in enumerate(drug_slugs):  # one drug-level write-up per drug
        reason = drug_reasons[slug][d % len(drug_reasons[slug])]
        target = content / "drugs" / slug / f"{reason}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(adapted(texts[d % len(texts)], *drug_names[d]), encoding="utf-8")
        drug_docs += 1
    guide_docs = max(20, guides // 400)  # payer-specific write-ups for 0.25% of the guides
    made = set()
    while len(made) < guide_docs:
        p, d = rng.randrange(payers), rng.randrange(drugs)
        reason = rng.choice(drug_reasons[drug_slugs[d]])
        if (p, d, reason) in made:
            continue
        made.add((p, d, reason))
        target = content / "guides" / payer_slugs[p] / drug_slugs[d] / f"{reason}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(adapted(texts[len(made) % len(texts)], *drug_names[d]), encoding="utf-8")
    total = payers * sum(len(r) for r in drug_reasons.values())
    return {
        "payers": payers,
        "drugs": drugs,
        "reasons": reasons,
        "guides": total,
        "drug_docs": drug_docs,
        "guide_docs": guide_docs,
    }


if __name__ == "__main__":
    size, folder = int(sys.argv[1]), Path(sys.argv[2])
    print(write_site(size, folder))
