"""Command line of the appeal-guide generator: wires click options to guidegen.pipeline."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from guidegen.pipeline import build_site, check_site


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


class ProgressBar:
    """click's progress bar on a terminal, created once the number of guides is known."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if self.bar is None:
            self.bar = click.progressbar(
                length=total,
                label="Rendering guides",
                file=sys.stderr,
                show_eta=True,
                show_pos=True,
            )
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done
        if done >= total:
            self.bar.__exit__(None, None, None)


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: output/ under the site's root).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.pass_obj
def build(root: Path, out: Path | None, quiet: bool) -> None:
    """Validate everything, then build the site into the output folder."""
    target = out if out is not None else root / "output"
    report = build_site(root, target, progress=None if quiet else ProgressBar())
    if not quiet:
        click.echo(
            f"Built {report.guides:,} guides ({report.indexable_guides:,} indexable, "
            f"{report.thin_guides:,} thin), {report.hubs:,} hubs: {report.files:,} files, "
            f"{report.bytes / 1e6:.1f} MB in {report.seconds:.1f} s -> {target}"
        )


@cli.command()
@click.pass_obj
def check(root: Path) -> None:
    """Validate data, write-ups and templates; write nothing."""
    site = check_site(root)
    m = site.matrix
    click.echo(
        f"OK: {len(site.data.payers)} payers, {len(site.data.drugs)} drugs, "
        f"{len(site.data.reasons)} denial reasons, "
        f"{sum(1 for _ in site.content.all())} write-ups, {m.count():,} guides."
    )


if __name__ == "__main__":
    cli()
