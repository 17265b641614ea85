"""Files for the static host: `_redirects` for renamed slugs, `_headers` for caching.

Both use the format Netlify and Cloudflare Pages read. A renamed payer or drug is one
placeholder rule, whatever the number of its pages (`/:payer/old-drug/*`), so the
rules stay within Cloudflare's limits (2,000 static and 100 dynamic rules); going over
is an error when the site deploys there. Hosts without redirect rules still get a small
redirect page at every old URL (see outputs). Computes no page URLs of its own beyond
the alias patterns. Every path carries base_url's path (`/appeals/cigna-old/*`): the host
matches rules against the whole request path, and serves output/ under that path.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

from .data import SiteData
from .errors import SiteError, SourceLocation

CLOUDFLARE_STATIC_LIMIT = 2_000
CLOUDFLARE_DYNAMIC_LIMIT = 100
HOSTS = ("netlify", "cloudflare")


@dataclass(frozen=True)
class Redirects:
    """The `_redirects` file and how many static and dynamic rules it has."""

    text: str
    static: int
    dynamic: int


def redirect_rules(
    data: SiteData,
    host: str,
    prefix: str = "",
    built: tuple[Container[str], Container[str]] | None = None,
) -> Redirects:
    """One or two rules per alias. Netlify needs `301!` to redirect where a file (our
    redirect page) exists at the old URL; Cloudflare always applies its rules. Paths carry
    base_url's path (`prefix`); `built` (the slugs of payers and of drugs with pages) leaves
    out the aliases of records whose pages are all skipped, whose rules would lead nowhere."""
    status = "301!" if host == "netlify" else "301"
    lines = [
        "# Renamed slugs (aliases in data/*.yaml): old URLs move permanently to the new ones.",
        f"# Written for {host}.",
    ]
    static = dynamic = 0
    for payer in data.payers:
        for alias in payer.aliases if built is None or payer.slug in built[0] else ():
            lines += [
                f"{prefix}/{alias}  {prefix}/{payer.slug}/  {status}",
                f"{prefix}/{alias}/*  {prefix}/{payer.slug}/:splat  {status}",
            ]
            static += 1
            dynamic += 1
    for drug in data.drugs:
        for alias in drug.aliases if built is None or drug.slug in built[1] else ():
            lines += [
                f"{prefix}/:payer/{alias}  {prefix}/:payer/{drug.slug}/  {status}",
                f"{prefix}/:payer/{alias}/*  {prefix}/:payer/{drug.slug}/:splat  {status}",
            ]
            dynamic += 2
    return Redirects("\n".join(lines) + "\n", static, dynamic)


def check_host_limits(redirects: Redirects, host: str) -> None:
    """Refuse a `_redirects` file the host would reject or silently cut."""
    if host != "cloudflare":
        return
    if redirects.dynamic > CLOUDFLARE_DYNAMIC_LIMIT or redirects.static > CLOUDFLARE_STATIC_LIMIT:
        raise SiteError(
            f"_redirects has {redirects.static} static and {redirects.dynamic} dynamic rules; "
            f"Cloudflare Pages accepts at most {CLOUDFLARE_STATIC_LIMIT} static and "
            f"{CLOUDFLARE_DYNAMIC_LIMIT} dynamic ones",
            SourceLocation("data/drugs.yaml"),
            "retire old aliases, or deploy to Netlify, which has no such limit",
        )


def headers_file(host: str, prefix: str = "") -> str:
    """Fingerprinted assets are cached for a year; everything else must be revalidated."""
    short = "public, max-age=0, must-revalidate"
    forever = "public, max-age=31536000, immutable"
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
