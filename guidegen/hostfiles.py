"""Files for the static host: `_redirects` for renamed slugs, `_headers` for caching, and
the limits each host sets on a site.

Both files use the format Netlify and Cloudflare Pages read. A renamed payer or drug is
one placeholder rule, whatever the number of its pages (`/:payer/old-drug/*`), and a
payer and drug renamed together get a rule of their own, so every old URL moves in one
hop. Static rules come first: Cloudflare counts every rule after the first one with a
splat or placeholder as dynamic (2,000 static and 100 dynamic rules at most), and
`count_rules` counts as it does. Going over a host's limits (rules, files, file size) is
an error, with the way out. The `s3` host (object storage behind a CDN) reads neither
file: `publish.py` stores redirects as object metadata. Hosts without redirect rules still
get a small redirect page at every old URL (see outputs). Computes no page URLs of its own
beyond the alias patterns. Every path carries base_url's path (`/appeals/cigna-old/*`):
the host matches rules against the whole request path, and serves output/ under that path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path

from .data import SiteData
from .errors import SiteError, SourceLocation

HOSTS = ("netlify", "cloudflare", "s3")
RULE_FILE_HOSTS = ("netlify", "cloudflare")  # the hosts that read _redirects and _headers

# https://developers.cloudflare.com/pages/configuration/redirects/#per-file
CLOUDFLARE_STATIC_LIMIT = 2_000
CLOUDFLARE_DYNAMIC_LIMIT = 100
CLOUDFLARE_LINE_LIMIT = 1_000  # characters per redirect declaration
# https://developers.cloudflare.com/pages/platform/limits/#files (paid plans; Free: 20,000)
CLOUDFLARE_FILE_LIMIT = 100_000
CLOUDFLARE_FILE_SIZE_LIMIT = 25 * 1024 * 1024  # 25 MiB per file
# What `wrangler pages deploy` leaves out of the upload (and so of the count).
_CLOUDFLARE_IGNORED = {"_worker.js", "_redirects", "_headers", "_routes.json"}
CACHE_SHORT = "public, max-age=0, must-revalidate"  # pages: always revalidated
CACHE_FOREVER = "public, max-age=31536000, immutable"  # hashed assets
_DYNAMIC = re.compile(r"\*|/:\w")


@dataclass(frozen=True)
class Redirects:
    """The `_redirects` file and how many static and dynamic rules Cloudflare sees in it."""

    text: str
    static: int
    dynamic: int


def count_rules(text: str) -> tuple[int, int]:
    """(static, dynamic) as Cloudflare counts them: once a rule has a splat or placeholder
    in its source, it and every rule after it are dynamic."""
    static = dynamic = 0
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if dynamic or _DYNAMIC.search(line.split()[0]):
            dynamic += 1
        else:
            static += 1
    return static, dynamic


def redirect_rules(
    data: SiteData,
    host: str,
    prefix: str = "",
    built: tuple[Container[str], Container[str]] | None = None,
    pairs: Container[tuple[str, str]] | None = None,
) -> Redirects:
    """The rules of every alias, static ones first, the most specific first. Netlify needs
    `301!` to redirect where a file (our redirect page) exists at the old URL; Cloudflare
    always applies its rules. Paths carry base_url's path (`prefix`); `built` (the slugs of
    payers and of drugs with pages) leaves out the aliases of records whose pages are all
    skipped, whose rules would lead nowhere; `pairs` (payer and drug slugs with guides)
    does the same for a renamed payer and drug together."""
    status = "301!" if host == "netlify" else "301"
    static: list[str] = []
    dynamic: list[str] = []
    for old, new in _moves(data, built, pairs):
        if ":" in old:
            dynamic.append(f"{prefix}{old}  {prefix}{new}/  {status}")
        else:
            static.append(f"{prefix}{old}  {prefix}{new}/  {status}")
        dynamic.append(f"{prefix}{old}/*  {prefix}{new}/:splat  {status}")
    dynamic.sort(key=lambda line: ":payer" in line)  # combinations and payers before drugs
    lines = [
        "# Renamed slugs (aliases in data/*.yaml): old URLs move permanently to the new ones.",
        f"# Written for {host}; static rules first (Cloudflare counts all after a dynamic one).",
        *static,
        *dynamic,
    ]
    text = "\n".join(lines) + "\n"
    return Redirects(text, *count_rules(text))


def _moves(
    data: SiteData,
    built: tuple[Container[str], Container[str]] | None,
    pairs: Container[tuple[str, str]] | None,
) -> Iterator[tuple[str, str]]:
    """(old path, new path) of every renamed payer, payer + drug, and drug."""
    payers = [p for p in data.payers if built is None or p.slug in built[0]]
    drugs = [d for d in data.drugs if (built is None or d.slug in built[1]) and d.aliases]
    for payer in payers:
        for alias in payer.aliases:
            for drug in drugs:  # both renamed: one hop, not two
                if pairs is not None and (payer.slug, drug.slug) not in pairs:
                    continue
                for old_drug in drug.aliases:
                    yield f"/{alias}/{old_drug}", f"/{payer.slug}/{drug.slug}"
            yield f"/{alias}", f"/{payer.slug}"
    for drug in drugs:
        for alias in drug.aliases:
            yield f"/:payer/{alias}", f"/:payer/{drug.slug}"


def check_host_limits(redirects: Redirects, host: str) -> None:
    """Refuse a `_redirects` file the host would reject or silently cut."""
    if host != "cloudflare":
        return
    if redirects.dynamic > CLOUDFLARE_DYNAMIC_LIMIT or redirects.static > CLOUDFLARE_STATIC_LIMIT:
        raise SiteError(
            f"_redirects has {redirects.static} static and {redirects.dynamic} dynamic rules; "
            f"Cloudflare Pages accepts at most {CLOUDFLARE_STATIC_LIMIT} static and "
            f"{CLOUDFLARE_DYNAMIC_LIMIT} dynamic ones (a payer and a drug renamed together "
            "take a rule of their own)",
            SourceLocation("data/drugs.yaml"),
            "retire old aliases, or set host: netlify or host: s3 in data/site.yaml, which "
            "have no such limit",
        )
    for number, line in enumerate(redirects.text.splitlines(), 1):
        if len(line) > CLOUDFLARE_LINE_LIMIT:
            raise SiteError(
                f"_redirects line {number} is {len(line)} characters; Cloudflare Pages "
                f"ignores rules over {CLOUDFLARE_LINE_LIMIT}",
                SourceLocation("data/payers.yaml"),
                "use shorter slugs and aliases",
            )


def check_files_fit(host: str, label: str, *folders: Path) -> None:
    """Refuse the files of the folders (a site, or the shards that make it up) when the host
    would not take them: Cloudflare Pages' file count and file size, counted as wrangler
    counts them (its own files and dotfiles aside)."""
    if host != "cloudflare":
        return
    count = 0
    for rel, size in (item for folder in folders for item in _site_files(folder)):
        count += 1
        if size > CLOUDFLARE_FILE_SIZE_LIMIT:
            raise SiteError(
                f"{rel} is {size:,} bytes; Cloudflare Pages accepts files of at most "
                f"{CLOUDFLARE_FILE_SIZE_LIMIT:,} bytes (25 MiB)",
                SourceLocation(f"output/{rel}"),
                "set host: s3 in data/site.yaml (object storage takes files of any size)",
            )
    if count > CLOUDFLARE_FILE_LIMIT:
        raise SiteError(
            f"{label} has {count:,} files; Cloudflare Pages accepts at most "
            f"{CLOUDFLARE_FILE_LIMIT:,} per site (20,000 on the Free plan)",
            SourceLocation("data/site.yaml"),
            "set host: s3 (object storage behind a CDN, any number of files) or host: "
            "netlify in data/site.yaml, or build fewer pages (thin_pages: skip)",
        )


def _site_files(folder: Path) -> Iterator[tuple[str, int]]:
    """(relative path, size) of every file a host would upload: not the generator's own
    dotfiles (marker, manifest) nor the host's rule files."""
    for parent, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel_parent = os.path.relpath(parent, folder)
        for name in files:
            if name.startswith(".") or (rel_parent == "." and name in _CLOUDFLARE_IGNORED):
                continue
            rel = name if rel_parent == "." else f"{rel_parent}/{name}"
            yield rel, os.stat(os.path.join(parent, name)).st_size


def headers_file(host: str, prefix: str = "") -> str:
    """Fingerprinted assets are cached for a year; everything else must be revalidated."""
    short, forever = CACHE_SHORT, CACHE_FOREVER
    common = [
        f"{prefix}/*",
        f"  Cache-Control: {short}",
        "  X-Content-Type-Options: nosniff",
        "  Referrer-Policy: strict-origin-when-cross-origin",
        "  X-Frame-Options: DENY",
    ]
    if host == "cloudflare":  # Cloudflare combines matching rules; `!` drops the first value
        assets = [f"{prefix}/assets/*", "  ! Cache-Control", f"  Cache-Control: {forever}"]
    else:  # Netlify: for the same header, the later matching rule wins
        assets = [f"{prefix}/assets/*", f"  Cache-Control: {forever}"]
    return (
        "\n".join(
            [
                "# Asset names carry a hash of their content: cache them forever.",
                *common,
                "",
                *assets,
            ]
        )
        + "\n"
    )
