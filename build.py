"""Command line of the appeal-guide generator: wires click options to guidegen.pipeline."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from guidegen.builder import Warnings
from guidegen.changes import read_changes
from guidegen.data import load_site_data
from guidegen.editor_schemas import SCHEMA_DIR, schema_files
from guidegen.errors import (
    BuildFailed,
    ErrorCollector,
    SiteError,
    SourceLocation,
    with_source_lines,
)
from guidegen.guard import GuardedGroup
from guidegen.hostfiles import HOSTS, check_files_fit
from guidegen.limits import cap_memory
from guidegen.pipeline import (
    BuildOptions,
    build_site,
    check_site,
    fail_on_warnings,
    site_warnings,
)
from guidegen.scaffold import new_writeup
from guidegen.sitefiles import SITEMAP_LIMIT
from guidegen.sitemodel import load_site
from guidegen.stats import as_rows, render_stats, site_stats
from guidegen.writer import check_output_dir, merge_folders

WARNING_KINDS_SHOWN = 10


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
    """click's progress bar on a terminal (units of work, ETA, pages rendered per second),
    shown once a build has run for a second; nothing when the output is not a terminal."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.done = 0
        self.started = time.perf_counter()

    def __call__(self, done: int, total: int, pages: int) -> None:
        if not sys.stderr.isatty():
            return
        elapsed = time.perf_counter() - self.started
        if self.bar is None:
            if elapsed < 1.0:
                return
            self.bar = click.progressbar(
                length=total,
                label="Building",
                file=sys.stderr,
                show_eta=True,
                show_percent=True,
                item_show_func=lambda status: status,
            )
            self.bar.__enter__()
        self.bar.update(done - self.done, f"{pages:,} pages, {pages / elapsed:,.0f}/s")
        self.done = done
        if done >= total:
            self.bar.__exit__(None, None, None)


class SiteCommands(GuardedGroup):
    """The commands: never a traceback (GuardedGroup), and the errors they end with quote the
    offending line of the site's file."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (BuildFailed, SiteError) as failure:
            if isinstance(ctx.obj, Path):
                errors = failure.errors if isinstance(failure, BuildFailed) else [failure]
                with_source_lines(errors, ctx.obj)
            raise


@click.group(cls=SiteCommands, context_settings={"help_option_names": ["-h", "--help"]})
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
    # Resolved once, here: every command then works alike with `.`, `../site` or a full
    # path (the preview's watcher reports absolute paths).
    ctx.obj = root.resolve()


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when it is near
    (`output`, `../site/output`), else in full."""
    full = os.path.abspath(path)  # not resolve(): the path may be a loop of links
    relative = os.path.relpath(full)
    return full if relative.startswith(("../../", "..\\..\\")) else relative


def show_warnings(warnings: Warnings, verbose: bool) -> None:
    """The first ten kinds of warning (every kind with --verbose), each with its count."""
    lines = warnings.lines()
    for line in lines if verbose else lines[:WARNING_KINDS_SHOWN]:
        click.echo(f"warning: {line}", err=True)
    if len(lines) > WARNING_KINDS_SHOWN and not verbose:
        more = len(lines) - WARNING_KINDS_SHOWN
        click.echo(f"... {more} more (--verbose lists them)", err=True)


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
    type=click.Choice(HOSTS),
    default=None,
    help="Host to build for: its _redirects, _headers and limits (default: site.yaml's host).",
)
@click.option(
    "--changes",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the files written and removed, as JSON lines, for `publish`.",
)
@click.option(
    "--strict", is_flag=True, help="Fail on warnings too (for CI); the output is untouched."
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option(
    "-v", "--verbose", is_flag=True, help="Also print every warning and the build's figures."
)
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
    changes: Path | None,
    strict: bool,
    quiet: bool,
    verbose: bool,
    as_json: bool,
) -> None:
    """Validate everything, then build the site (only what changed) into the output folder."""
    target = out if out is not None else Path(shown(root / "output"))  # as typed, for messages
    options = BuildOptions(
        jobs=jobs or 0,
        clean=clean,
        shard=shard or (1, 1),
        sitemap_limit=sitemap_limit,
        host=host,
        strict=strict,
        changes=changes,
    )
    report = build_site(root, target, options, progress=None if quiet or as_json else ProgressBar())
    if as_json:
        data = dataclasses.asdict(report)
        data["warnings"] = report.warnings.lines()
        click.echo(json.dumps(data))
        return
    if quiet:
        return
    show_warnings(report.warnings, verbose)
    if verbose and not report.up_to_date:
        click.echo(
            f"{report.units:,} units of work ({report.skipped_units:,} left alone: nothing "
            f"they depend on changed), "
            + (f"{options.jobs} workers" if options.jobs else "one worker per core"),
            err=True,
        )
    if report.up_to_date:
        click.echo(
            f"Up to date: no input changed since the last build of {shown(target)} "
            f"({report.seconds:.2f} s)."
        )
        return
    rate = report.rendered / report.seconds if report.seconds else 0.0
    click.echo(
        f"Built {report.guides:,} guides: {report.rendered:,} pages rendered, "
        f"{report.unchanged:,} unchanged, {report.removed:,} removed; "
        f"{report.written:,} files written ({report.bytes / 1e6:.1f} MB) "
        f"in {report.seconds:.1f} s ({rate:,.0f} pages/s) -> {shown(target)}"
    )


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The folder to assemble the whole site in.",
)
@click.option(
    "--host",
    type=click.Choice(HOSTS),
    default=None,
    help="Refuse a site this host cannot take (file count, file size).",
)
@click.argument(
    "shards", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.pass_obj
def merge(root: Path, out: Path, host: str | None, shards: tuple[Path, ...]) -> None:
    """Assemble the outputs of `build --shard K/N` runs into one site folder (hard links)."""
    target = check_output_dir(out, root)
    if host is not None:
        check_files_fit(host, f"the site ({len(shards)} shards)", *shards)
    files = merge_folders(target, list(shards))
    click.echo(f"Merged {len(shards)} shards: {files:,} files -> {out}")


@cli.command()
@click.option(
    "--expect", default="", help="Fail unless site.yaml names this host (a CI variable, say)."
)
@click.pass_obj
def host(root: Path, expect: str) -> None:
    """Print the host data/site.yaml deploys to: the one setting build and publish follow."""
    errors = ErrorCollector()
    data = load_site_data(root, errors)
    errors.raise_if_any()
    assert data is not None
    if expect and expect != data.site.host:
        raise SiteError(
            f"the workflow deploys to {expect}, but data/site.yaml says host: {data.site.host}",
            SourceLocation("data/site.yaml", _key_line(root / "data/site.yaml", "host")),
            "set host: in data/site.yaml (build and deploy both follow it) and remove the "
            "DEPLOY_HOST variable",
        )
    click.echo(data.site.host)


def _key_line(path: Path, key: str) -> int:
    """The line of a top-level key in a YAML file (0, the whole file, when it is not there)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(f"{key}:"):
            return number
    return 0


@cli.command()
@click.option(
    "--changes",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The change list `build --changes` wrote.",
)
@click.option("--bucket", required=True, help="The bucket the CDN serves.")
@click.option(
    "--endpoint-url",
    default=None,
    help="S3 API endpoint: R2's or Google Cloud Storage's, a local server (default: AWS).",
)
@click.option("--website", is_flag=True, help="Also set the bucket's index and error documents.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 64),
    default=16,
    show_default=True,
    help="Parallel uploads.",
)
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.pass_obj
def publish(
    root: Path,
    changes: Path,
    bucket: str,
    endpoint_url: str | None,
    website: bool,
    jobs: int,
    folder: Path,
) -> None:
    """Upload what a build (or a shard of it) wrote to object storage, delete what it removed."""
    from guidegen.publish import configure_website, make_client, publish_changes

    client = make_client(endpoint_url or None, jobs)
    listed = read_changes(changes)
    if website:
        configure_website(client, bucket, listed.prefix)
    report = publish_changes(folder, listed, bucket, client, jobs)
    click.echo(
        f"Published to s3://{bucket}/{listed.prefix}: {report.uploaded:,} files uploaded "
        f"({report.bytes / 1e6:.1f} MB, {report.redirects:,} redirects), "
        f"{report.deleted:,} deleted."
    )


@cli.command()
@click.option("--strict", is_flag=True, help="Fail on warnings too, as `build --strict` does.")
@click.option("-v", "--verbose", is_flag=True, help="List every kind of warning.")
@click.pass_obj
def check(root: Path, strict: bool, verbose: bool) -> None:
    """Validate data, write-ups and templates, and show the build's warnings; write nothing."""
    site = check_site(root)
    for doc in site.content.drafts.values():
        left = ", ".join(str(line) for line in doc.todo_lines)
        todo = f"placeholders to fill at lines {left}" if left else "no placeholder left"
        click.echo(f"draft: {doc.path}: not published ({todo}; then remove 'draft: true')")
    warnings = site_warnings(site)
    if strict:
        fail_on_warnings(warnings)
    show_warnings(warnings, verbose)
    count = len(warnings.counts)
    click.echo(
        f"OK: {len(site.data.payers)} payers, {len(site.data.drugs)} drugs, "
        f"{len(site.data.reasons)} denial reasons, "
        f"{sum(1 for _ in site.content.all())} write-ups, {site.matrix.count():,} guides"
        + (f"; {count} kind{'' if count == 1 else 's'} of warning." if count else ".")
    )


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--stop-after", type=float, default=None, help="Stop after this many seconds (scripts, tests)."
)
@click.pass_obj
def serve(root: Path, port: int, bind: str, stop_after: float | None) -> None:
    """Live-reloading preview: pages are rendered when the browser asks for them."""
    from livereload import Server
    from livereload.handlers import LiveReloadHandler
    from tornado.ioloop import IOLoop

    from guidegen.devserver import check_port, open_preview, show_errors

    check_port(bind, port)
    started = time.perf_counter()
    preview, watcher = open_preview(root)  # watching before the first page is served
    LiveReloadHandler.DEFAULT_RELOAD_TIME = 0  # our watcher already folds bursts of saves
    server = Server(app=preview, watcher=watcher)
    count = len(preview.errors)
    state = (
        f"{preview.site.matrix.count():,} guides"
        if preview.site is not None
        else f"{count} {'problem' if count == 1 else 'problems'} to fix, shown in the browser"
    )
    prefix = preview.site.data.site.path_prefix if preview.site is not None else ""
    show_errors(preview.errors)
    click.echo(
        f"Serving http://{bind}:{port}{prefix}/ ({state}; ready in {time.perf_counter() - started:.2f} s). "
        "Ctrl+C stops."
    )
    if stop_after is not None:
        IOLoop.current().call_later(stop_after, IOLoop.current().stop)
    server.serve(port=port, host=bind, debug=False, restart_delay=0)


@cli.command()
@click.argument("payer")
@click.argument("drug")
@click.argument("reason")
@click.pass_obj
def new(root: Path, payer: str, drug: str, reason: str) -> None:
    """Start a write-up for one payer, drug and reason (content/guides/PAYER/DRUG/REASON.md)."""
    errors = ErrorCollector()
    data = load_site_data(root, errors)
    errors.raise_if_any()
    assert data is not None
    path = new_writeup(root, data, payer, drug, reason, dt.date.today())
    click.echo(
        f"Created {path.relative_to(root)} as a draft: the page keeps its current write-up "
        "until you fill in every {# TODO #} and remove 'draft: true'."
    )


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for the terminal, csv or json for spreadsheets.",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=15,
    show_default=True,
    help="How many missing write-ups to list in the table.",
)
@click.pass_obj
def stats(root: Path, fmt: str, top: int) -> None:
    """Pages, indexable vs thin, and write-up coverage by payer, drug and reason."""
    site = load_site(root)
    result = site_stats(site.matrix)
    if fmt == "json":
        summary = {
            "pages": result.pages,
            "indexable": result.indexable,
            "thin": result.thin,
            "by_level": dict(result.by_level),
        }
        click.echo(json.dumps({"summary": summary, "rows": as_rows(result)}, indent=2))
        return
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(
            out, fieldnames=["kind", "slug", "guides", "written", "fallback", "coverage"]
        )
        writer.writeheader()
        writer.writerows(as_rows(result))
        click.echo(out.getvalue(), nl=False)
        return
    click.echo(render_stats(result, top))


@cli.command()
@click.option(
    "--check",
    is_flag=True,
    help="Fail if schemas/ is missing a file or out of date instead of writing it.",
)
@click.pass_obj
def schemas(root: Path, check: bool) -> None:
    """Write the JSON Schemas of the data files and front matter into schemas/."""
    folder = root / SCHEMA_DIR
    stale: list[str] = []
    missing: list[str] = []
    for name, text in schema_files().items():
        path = folder / name
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        (stale if path.is_file() else missing).append(name)
        if not check:
            folder.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
    problems = [f"{SCHEMA_DIR}/{n}: missing" for n in missing]
    problems += [f"{SCHEMA_DIR}/{n}: out of date" for n in stale]
    if check and problems:
        raise SiteError("; ".join(problems), hint="run: python build.py schemas")
    stale += missing
    click.echo(
        f"{'Checked' if check else 'Wrote'} {len(schema_files())} schemas in {SCHEMA_DIR}/"
        + (f" ({len(stale)} updated)" if stale and not check else "")
    )


if __name__ == "__main__":
    cap_memory()  # a write-up that builds a huge value fails at its file, not the machine
    cli()
