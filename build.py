"""Command line of the appeal-guide generator: wires click options to guidegen.pipeline."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from guidegen.pipeline import BuildOptions, build_site, check_site
from guidegen.sitefiles import SITEMAP_LIMIT
from guidegen.writer import check_output_dir, merge_folders


class ShardParam(click.ParamType):  # type: ignore[type-arg]
    """`K/N`: build the K-th of N shards (1 <= K <= N)."""

    name = "K/N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        try:
            k, n = (int(x) for x in str(value).split("/"))
        except ValueError:
            self.fail(f"{value!r} is not K/N, e.g. 2/4", param, ctx)
        if not 1 <= k <= n:
            self.fail(f"{value!r}: K must be between 1 and N", param, ctx)
        return (k, n)


class ProgressBar:
    """click's progress bar on a terminal, with pages per second, once the build takes a while."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.done = 0
        self.started = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if self.bar is None:
            if time.perf_counter() - self.started < 1.0:
                return
            self.bar = click.progressbar(
                length=total, label="Building", file=sys.stderr, show_eta=True, show_percent=True
            )
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done
        if done >= total:
            self.bar.__exit__(None, None, None)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The site's root: the folder holding data/, content/, templates/.",
)
@click.pass_context
def cli(ctx: click.Context, root: Path) -> None:
    """Build DenialHelp's appeal-guide site from data/*.yaml and content/**/*.md."""
    ctx.obj = root


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: output/ under the site's root).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: one per CPU core).",
)
@click.option("--clean", is_flag=True, help="Rebuild every page instead of only what changed.")
@click.option(
    "--shard",
    type=ShardParam(),
    default=None,
    help="Build only the K-th of N shards, e.g. 2/4 (shard 1 also builds the shared files).",
)
@click.option(
    "--sitemap-limit",
    type=click.IntRange(min=1, max=SITEMAP_LIMIT),
    default=SITEMAP_LIMIT,
    show_default=True,
    help="URLs per sitemap file.",
)
@click.option(
    "--host",
    type=click.Choice(["netlify", "cloudflare"]),
    default=None,
    help="Static host to write _redirects and _headers for (default: site.yaml's host).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
@click.pass_obj
def build(
    root: Path,
    out: Path | None,
    jobs: int | None,
    clean: bool,
    shard: tuple[int, int] | None,
    sitemap_limit: int,
    host: str | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Validate everything, then build the site (only what changed) into the output folder."""
    target = out if out is not None else root / "output"
    options = BuildOptions(
        jobs=jobs or 0,
        clean=clean,
        shard=shard or (1, 1),
        sitemap_limit=sitemap_limit,
        host=host,
    )
    report = build_site(root, target, options, progress=None if quiet or as_json else ProgressBar())
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(report)))
        return
    if quiet:
        return
    if report.up_to_date:
        click.echo(
            f"Up to date: no input changed since the last build of {target} "
            f"({report.seconds:.2f} s)."
        )
        return
    rate = report.rendered / report.seconds if report.seconds else 0.0
    click.echo(
        f"Built {report.guides:,} guides: {report.rendered:,} pages rendered, "
        f"{report.unchanged:,} unchanged, {report.removed:,} removed; "
        f"{report.written:,} files written ({report.bytes / 1e6:.1f} MB) "
        f"in {report.seconds:.1f} s ({rate:,.0f} pages/s) -> {target}"
    )


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The folder to assemble the whole site in.",
)
@click.argument(
    "shards", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.pass_obj
def merge(root: Path, out: Path, shards: tuple[Path, ...]) -> None:
    """Assemble the outputs of `build --shard K/N` runs into one site folder."""
    target = check_output_dir(out, root)
    files = merge_folders(target, list(shards))
    click.echo(f"Merged {len(shards)} shards: {files:,} files -> {out}")


@cli.command()
@click.pass_obj
def check(root: Path) -> None:
    """Validate data, write-ups and templates; write nothing."""
    site = check_site(root)
    click.echo(
        f"OK: {len(site.data.payers)} payers, {len(site.data.drugs)} drugs, "
        f"{len(site.data.reasons)} denial reasons, "
        f"{sum(1 for _ in site.content.all())} write-ups, {site.matrix.count():,} guides."
    )


if __name__ == "__main__":
    cli()
