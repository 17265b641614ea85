"""Runs the stages: load -> validate -> expand -> link -> render -> write -> site files.

Everything is gathered and checked before the first byte is written (the link graph needs
the whole matrix; a bad input must leave the output untouched). Units of pages are then
rendered in worker processes into a spare generation of the output, which replaces the
output in one step. A build whose inputs are unchanged does nothing; a second build into
the same output while one runs is refused (`buildlock`), and a write that fails (disk full,
read-only) is one error, the previous output intact. Returns reports; never prints and
never parses options.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .builder import Plan, UnitResult, Warnings, default_jobs, plan, run_units
from .buildlock import output_lock
from .changes import ChangeList
from .errors import BuildFailed, ErrorCollector, SiteError, SourceLocation
from .hostfiles import check_files_fit
from .inputs import inputs_digest
from .limits import RenderTimeout, deadline
from .manifest import Manifest
from .matrix import Guide
from .models import ContentLevel
from .outputs import SiteOutputs, guide_warnings
from .pages import guide_texts
from .sitefiles import SITEMAP_LIMIT
from .sitemodel import LoadedSite, load_site
from .writer import Generations, Workspace, check_output_dir
from .writeup_check import check_every_writeup_page

Progress = Callable[[int, int, int], None]  # (units done, units in all, pages rendered)


@dataclass
class BuildReport:
    guides: int = 0
    rendered: int = 0
    unchanged: int = 0
    written: int = 0
    removed: int = 0
    bytes: int = 0
    seconds: float = 0.0
    units: int = 0
    skipped_units: int = 0  # left alone: nothing they depend on changed
    up_to_date: bool = False
    warnings: Warnings = field(default_factory=lambda: Warnings())


@dataclass(frozen=True)
class BuildOptions:
    jobs: int = 0  # 0: one per core
    clean: bool = False
    shard: tuple[int, int] = (1, 1)
    sitemap_limit: int = SITEMAP_LIMIT
    host: str | None = None  # None: site.yaml's host
    strict: bool = False  # warnings fail the build
    changes: Path | None = None  # where to write the change list (see changes.py)

    def digest_key(self) -> str:
        """The options that change what is written (not --jobs: output is the same)."""
        return (
            f"shard={self.shard[0]}/{self.shard[1]};sitemap_limit={self.sitemap_limit};"
            f"host={self.host}"
        )


def check_site(root: Path) -> LoadedSite:
    """Everything `build` checks, plus every write-up rendered for each distinct set of
    values it uses (so a passing check means every guide renders) and one page of each
    kind; writes nothing."""
    site = load_site(root)
    producer = SiteOutputs(site)
    samples: dict[tuple[ContentLevel, bool], Guide] = {}
    for key in site.matrix.all_keys():
        guide = site.matrix.guide(key)
        samples.setdefault((guide.doc.level, guide.indexable), guide)
        if len(samples) == 2 * len(ContentLevel):
            break
    errors = ErrorCollector()
    check_every_writeup_page(site.matrix, site.data.site, errors)
    errors.raise_if_any()
    try:
        for guide in samples.values():
            with deadline(producer.render_timeout):
                producer.guide_output(guide.key).make()
        hubs = site.hubs
        first = next(iter(samples.values()), None)
        if first is not None:
            for hub in (
                hubs.payer_hub(first.key.payer),
                hubs.payer_drug_hub(first.key.payer, first.key.drug),
                hubs.drug_hub(first.key.drug),
                hubs.reason_hub(first.key.reason),
                hubs.home(),
            ):
                if hub is not None:
                    with deadline(producer.render_timeout):
                        producer.hub_output(hub, "check").make()
        with deadline(producer.render_timeout):
            producer.not_found().make()
    except SiteError as error:
        errors.add_error(error)
    except RenderTimeout as exc:
        errors.add(f"rendering a page {exc}", None, "render_timeout in data/site.yaml")
    errors.raise_if_any()
    return site


def site_warnings(site: LoadedSite) -> Warnings:
    """The warnings a build of the site reports, without rendering a page: short
    write-ups, and every guide's title and description against what search results show."""
    warnings = Warnings()
    _content_warnings(site, warnings)
    settings = site.data.site
    for key in site.matrix.all_keys():
        guide = site.matrix.guide(key)
        for kind, message in guide_warnings(guide, *guide_texts(guide, settings)):
            warnings.add(kind, message)
    return warnings


def fail_on_warnings(warnings: Warnings) -> None:
    """--strict: every kind of warning becomes an error, `file: message` as they read."""
    if warnings:
        raise BuildFailed([SiteError(line) for line in warnings.lines()])


def build_site(
    root: Path, out: Path, options: BuildOptions | None = None, progress: Progress | None = None
) -> BuildReport:
    """Build the site into `out`, replacing it only when every unit succeeded."""
    options = options or BuildOptions()
    started = time.perf_counter()
    target = check_output_dir(out, root)
    with output_lock(target, out.as_posix()):  # a second build into `out` is refused
        return _build(root, target, options, progress, started)


def _build(
    root: Path, target: Path, options: BuildOptions, progress: Progress | None, started: float
) -> BuildReport:
    digest = inputs_digest(root, options.digest_key())
    generations = Generations(target)
    report = BuildReport()
    # Inputs that built the output before were valid then: nothing to load or check.
    if not options.clean:
        active = generations.active_manifest()
        if active is not None:
            unchanged = active.get("inputs") == digest
            prefix = active.get("path_prefix") or ""
            active.close()
            if unchanged:
                if options.changes is not None:  # nothing written, nothing removed
                    ChangeList().save(options.changes, prefix)
                report.up_to_date = True
                report.seconds = time.perf_counter() - started
                return report
    site = load_site(root)
    workspace: Workspace | None = None
    manifest: Manifest | None = None
    changes = ChangeList() if options.changes is not None else None
    try:
        workspace = generations.open(options.clean)
        manifest = workspace.manifest(busy=True)
        manifest.begin(fresh=workspace.fresh)
        _content_warnings(site, report.warnings)
        _run(site, workspace, manifest, options, report, progress, changes)
        if options.strict:
            fail_on_warnings(report.warnings)
        shard = "the site" if options.shard == (1, 1) else "shard {}/{}".format(*options.shard)
        check_files_fit(options.host or site.data.site.host, shard, workspace.path)
        manifest.put("inputs", digest)
        manifest.put("path_prefix", site.data.site.path_prefix)
        if changes is not None:
            _fresh_removals(generations, workspace, manifest, changes)
        manifest.commit()
        generations.commit(workspace, manifest, digest[:32])
        manifest = None
        if changes is not None and options.changes is not None:
            changes.save(options.changes, site.data.site.path_prefix)
    except BaseException as exc:
        if manifest is not None:
            manifest.close()
        if workspace is not None:
            generations.abort(workspace)
        if isinstance(exc, SiteError):
            raise BuildFailed([exc]) from None
        if isinstance(exc, (OSError, sqlite3.Error)):
            raise BuildFailed([_write_error(exc)]) from None
        raise
    report.seconds = time.perf_counter() - started
    return report


def _write_error(exc: OSError | sqlite3.Error) -> SiteError:
    """A failed write (disk full, read-only, permissions, ...) as one line."""
    hint = "the previous output is unchanged"
    if isinstance(exc, sqlite3.Error):
        return SiteError(f"cannot write the output's manifest: {exc}", hint=hint)
    where = SourceLocation(str(exc.filename)) if exc.filename else None
    return SiteError(f"cannot write the output: {exc.strerror or exc}", where, hint)


def _run(
    site: LoadedSite,
    workspace: Workspace,
    manifest: Manifest,
    options: BuildOptions,
    report: BuildReport,
    progress: Progress | None,
    changes: ChangeList | None = None,
) -> None:
    data = site.data
    units = plan([p.slug for p in data.payers], [d.slug for d in data.drugs], options.shard)
    report.units = len(units)
    producer = SiteOutputs(site, options.sitemap_limit, options.host)
    errors: list[SiteError] = []
    done = 0

    def collect(result: UnitResult) -> None:
        nonlocal done
        if result.error is not None:
            errors.append(result.error)
            return
        report.warnings.merge(result.warnings)
        manifest.upsert(result.rows)
        manifest.delete(result.removed)
        manifest.upsert_units(result.units)
        report.skipped_units += result.skipped
        report.guides += result.guides
        report.rendered += result.rendered
        report.unchanged += result.unchanged
        report.written += result.written
        report.removed += len(result.removed)
        report.bytes += result.bytes
        if changes is not None:
            changes.add(result.changed, result.removed)
        done += 1
        if progress is not None:
            progress(done, len(units), report.rendered)

    jobs = options.jobs or default_jobs()
    run_units(producer, workspace, units, not workspace.fresh, jobs, collect)
    if errors:
        raise BuildFailed(errors[:1])
    gone = _remove_units_gone(workspace, manifest, units, report)
    if changes is not None:
        changes.add((), gone)


def _fresh_removals(
    generations: Generations, workspace: Workspace, manifest: Manifest, changes: ChangeList
) -> None:
    """A fresh build replaces the whole output: what the last one had is removed."""
    changes.fresh = workspace.fresh
    if workspace.fresh:
        old = generations.active_manifest()
        if old is not None:
            changes.removed_since(old, manifest)
            old.close()


SHORT_WRITE_UP = 250


def _content_warnings(site: LoadedSite, warnings: Warnings) -> None:
    """Write-ups too short to make a page worth indexing on their own."""
    for doc in site.content.all():
        if doc.level is not ContentLevel.REASON and doc.words < SHORT_WRITE_UP:
            warnings.add(
                f"short:{doc.path}",
                f"{doc.path}: only {doc.words} words; a page of its "
                f"own needs at least {SHORT_WRITE_UP} to be worth indexing",
            )


def _remove_units_gone(
    workspace: Workspace, manifest: Manifest, units: Plan, report: BuildReport
) -> list[str]:
    """Files of units the site no longer has (a payer or drug removed); returns them."""
    gone = manifest.units().difference(units.unit_keys())
    paths = manifest.paths_of_units(sorted(gone))
    for path in paths:
        workspace.remove(path)
    manifest.delete(paths)
    manifest.forget_units(gone)
    report.removed += len(paths)
    return paths


__all__ = [
    "BuildFailed",
    "BuildOptions",
    "BuildReport",
    "LoadedSite",
    "build_site",
    "check_site",
    "fail_on_warnings",
    "site_warnings",
    "load_site",
]
