"""`stats`: the site's pages, indexable and thin, and where write-ups are still missing.

Coverage is counted per payer, per drug and per reason: how many guides have a write-up
of their own (payer- or drug-level) and how many fall back to the reason's generic one.
The most valuable missing write-ups come first: a drug-level write-up for a drug and
reason upgrades every payer's page at once, so it is worth the number of those pages.
Reads the matrix; renders and writes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .matrix import Matrix


@dataclass
class Coverage:
    written: int = 0
    fallback: int = 0

    @property
    def total(self) -> int:
        return self.written + self.fallback

    @property
    def share(self) -> float:
        return self.written / self.total if self.total else 0.0


@dataclass
class SiteStats:
    pages: int = 0
    indexable: int = 0
    thin: int = 0
    by_level: Counter[str] = field(default_factory=Counter)
    by_payer: dict[str, Coverage] = field(default_factory=dict)
    by_drug: dict[str, Coverage] = field(default_factory=dict)
    by_reason: dict[str, Coverage] = field(default_factory=dict)
    missing: list[tuple[str, str, int]] = field(default_factory=list)  # drug, reason, pages


def site_stats(matrix: Matrix) -> SiteStats:
    """Count every guide of the matrix (cheap: no page is rendered)."""
    data = matrix.data
    stats = SiteStats()
    stats.by_payer = {p.slug: Coverage() for p in data.payers}
    stats.by_drug = {d.slug: Coverage() for d in data.drugs}
    stats.by_reason = {r.slug: Coverage() for r in data.reasons}
    upgradable: Counter[tuple[str, str]] = Counter()
    for key in matrix.all_keys():
        guide = matrix.guide(key)
        stats.pages += 1
        stats.indexable += guide.indexable
        stats.thin += guide.thin
        stats.by_level[guide.doc.level.value] += 1
        for table, slug in (
            (stats.by_payer, guide.payer.slug),
            (stats.by_drug, guide.drug.slug),
            (stats.by_reason, guide.reason.slug),
        ):
            if guide.thin:
                table[slug].fallback += 1
            else:
                table[slug].written += 1
        if guide.thin:
            upgradable[(guide.drug.slug, guide.reason.slug)] += 1
    stats.missing = sorted(
        ((drug, reason, pages) for (drug, reason), pages in upgradable.items()),
        key=lambda row: (-row[2], row[0], row[1]),
    )
    return stats


def as_rows(stats: SiteStats) -> list[dict[str, object]]:
    """One row per payer, drug and reason, and per missing write-up: for CSV and JSON."""
    rows: list[dict[str, object]] = []
    for kind, table in (
        ("payer", stats.by_payer),
        ("drug", stats.by_drug),
        ("reason", stats.by_reason),
    ):
        for slug, cov in table.items():
            rows.append(
                {
                    "kind": kind,
                    "slug": slug,
                    "guides": cov.total,
                    "written": cov.written,
                    "fallback": cov.fallback,
                    "coverage": round(cov.share, 4),
                }
            )
    for drug, reason, pages in stats.missing:
        rows.append(
            {
                "kind": "missing",
                "slug": f"{drug}/{reason}",
                "guides": pages,
                "written": 0,
                "fallback": pages,
                "coverage": 0.0,
            }
        )
    return rows


def render_stats(stats: SiteStats, top: int = 15) -> str:
    """The terminal table."""
    lines = [
        f"{stats.pages:,} guides: {stats.indexable:,} indexable, {stats.thin:,} thin "
        f"(only the reason's generic write-up). By write-up: "
        + ", ".join(f"{level} {count:,}" for level, count in sorted(stats.by_level.items())),
        "",
    ]
    for title, table in (
        ("payer", stats.by_payer),
        ("drug", stats.by_drug),
        ("reason", stats.by_reason),
    ):
        width = max((len(slug) for slug in table), default=5)
        lines.append(f"{title.upper():<{width}}  {'GUIDES':>7}  {'WRITTEN':>7}  {'COVERAGE':>8}")
        for slug, cov in sorted(table.items(), key=lambda kv: (kv[1].share, kv[0])):
            lines.append(f"{slug:<{width}}  {cov.total:>7,}  {cov.written:>7,}  {cov.share:>8.0%}")
        lines.append("")
    lines.append(
        "Most valuable missing write-ups (a drug-level write-up upgrades every page listed):"
    )
    for drug, reason, pages in stats.missing[:top]:
        lines.append(f"  content/drugs/{drug}/{reason}.md  -> {pages:,} pages")
    if len(stats.missing) > top:
        lines.append(f"  ... and {len(stats.missing) - top:,} more (--format csv lists them all)")
    return "\n".join(lines)
