"""Rendering at scale: units of work, a process pool, and what each unit writes.

The site is cut into units: one per payer + drug (its guides and their hub), two per
payer (its hub; its sitemap), one for the site-wide pages and one for the sitemap index.
A unit renders a page only when the page's fingerprint differs from the manifest's, and
writes it only when its bytes differ; a unit whose digest of inputs (dependencies.py)
equals the manifest's is skipped without a look at its pages, so a rebuild costs time in
proportion to what changed. Units run in forked worker processes (`--jobs`), which leave
Ctrl+C to the build (it stops them; they print nothing); each file is
a pure function of its inputs, so the output is the same whatever the number of workers
or shards.
Nothing is held per page: a unit returns only the manifest rows it changed, the files it
wrote (the change list a publish step uploads), and its own.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.pool import Pool
from typing import TYPE_CHECKING, NamedTuple

import xxhash

from .errors import SiteError, SourceLocation
from .limits import RenderTimeout, deadline
from .manifest import (
    FileRow,
    Manifest,
    UnitRow,
    decode_warning_counts,
    decode_warnings,
    encode_warning_counts,
    encode_warnings,
    manifest_path,
)
from .writer import Workspace

if TYPE_CHECKING:
    from .dependencies import UnitDeps


@dataclass(frozen=True, slots=True)
class Unit:
    """A piece of the site built together: `key` names it in the manifest."""

    kind: str  # guides | payer | sitemap | site | sitemaps
    key: str
    payer: int = -1
    drug: int = -1


class Output(NamedTuple):
    """One file a unit produces: its place and inputs, and how to make its bytes."""

    path: str
    fingerprint: str
    make: Callable[[], bytes]
    indexable: bool = False
    lastmod: str | None = None
    sitemap: str | None = None
    guide: bool = False
    # (kind, message) pairs, see Warnings: worked out only for pages that are rendered;
    # an unchanged page reports the ones its manifest row recorded
    warnings: Callable[[], tuple[tuple[str, str], ...]] = lambda: ()
    redirect: str | None = None  # a redirect page: the URL it sends browsers to


class Change(NamedTuple):
    """A file a unit wrote: its path, size and, for a redirect page, the URL it names."""

    path: str
    size: int
    redirect: str | None = None


@dataclass
class UnitResult:
    rows: list[FileRow] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)  # the files written
    units: list[UnitRow] = field(default_factory=list)
    skipped: int = 0  # units left alone: their digest of inputs was unchanged
    rendered: int = 0
    written: int = 0
    unchanged: int = 0
    guides: int = 0
    bytes: int = 0
    error: SiteError | None = None
    warnings: Warnings = field(default_factory=lambda: Warnings())

    def add(self, other: UnitResult) -> None:
        self.rows += other.rows
        self.removed += other.removed
        self.changed += other.changed
        self.units += other.units
        self.skipped += other.skipped
        self.rendered += other.rendered
        self.written += other.written
        self.unchanged += other.unchanged
        self.guides += other.guides
        self.bytes += other.bytes
        self.error = self.error or other.error
        self.warnings.merge(other.warnings)


@dataclass
class Warnings:
    """Warnings counted by kind, with the first example of each: one mistake repeated on
    thousands of pages is reported once, with its count."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, message: str, count: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + count
        self.examples.setdefault(kind, message)

    def merge(self, other: Warnings) -> None:
        for kind, count in other.counts.items():
            self.add(kind, other.examples[kind], count)

    def __bool__(self) -> bool:
        return bool(self.counts)

    def lines(self) -> list[str]:
        """One line per kind of warning: the example, and how many more there are."""
        out = []
        for kind in sorted(self.counts):
            count, example = self.counts[kind], self.examples[kind]
            more = f" (and {count - 1:,} more like it)" if count > 1 else ""
            out.append(f"{example}{more}")
        return out


def content_hash(data: bytes) -> str:
    """What tells a file's bytes from its last build's: XXH3, 128 bits. Nothing here needs
    a cryptographic hash, and XXH3 reads a 17 KB page in 0.4 us where SHA-1 takes 9."""
    return xxhash.xxh3_128_hexdigest(data)


def fingerprint(*parts: object) -> str:
    """A digest of the parts' text, each followed by a unit separator."""
    text = "\x1f".join(map(str, parts)) + "\x1f" if parts else ""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Plan:
    """The units of a build (or of one shard of it), in the order they are processed.

    Guide units run drug by drug, so a drug's write-ups stay warm in a worker's cache.
    Shard K of N takes the payers whose index is K-1 modulo N; shard 1 also builds the
    site-wide files and the sitemap index. Unit keys use slugs, so they survive
    reordering the data files.
    Units are made as they are needed: a list of them would grow with the number of
    pages, in the parent and in every worker forked from it."""

    payers: tuple[str, ...]
    drugs: tuple[str, ...]
    shard: tuple[int, int] = (1, 1)

    @property
    def mine(self) -> range:
        index, count = self.shard
        return range(index - 1, len(self.payers), count)

    def __len__(self) -> int:
        return 2 * int(self.shard[0] == 1) + len(self.mine) * (2 + len(self.drugs))

    def __iter__(self) -> Iterator[Unit]:
        if self.shard[0] == 1:
            yield Unit("site", "site")
            yield Unit("sitemaps", "sitemaps")
        for p in self.mine:
            yield Unit("payer", f"payer/{self.payers[p]}", payer=p)
            yield Unit("sitemap", f"sitemap/{self.payers[p]}", payer=p)
        for d, drug in enumerate(self.drugs):
            for p in self.mine:
                yield Unit("guides", f"guides/{self.payers[p]}/{drug}", payer=p, drug=d)

    def unit_keys(self) -> Iterator[str]:
        return (unit.key for unit in self)


def plan(payers: list[str], drugs: list[str], shard: tuple[int, int] = (1, 1)) -> Plan:
    return Plan(tuple(payers), tuple(drugs), shard)


class Producer:
    """Turns units into outputs; implemented by `outputs.SiteOutputs`, which knows the site."""

    render_timeout: float = 0.0  # seconds one output may take to make (0: no limit)

    def outputs(self, unit: Unit, deps: UnitDeps) -> Iterator[Output]:
        """The unit's files; adds the records its pages link to into `deps`."""
        raise NotImplementedError

    def new_deps(self, encoded: str = "") -> UnitDeps:
        """An empty record of what a unit links to, or one read back from the manifest."""
        raise NotImplementedError

    def unit_digest(self, unit: Unit, deps: UnitDeps) -> str | None:
        """The digest of every input of the unit's files, or None when there is none."""
        raise NotImplementedError


@dataclass
class _State:
    producer: Producer
    workspace: Workspace
    incremental: bool
    manifest: Manifest | None = None


_STATE: _State | None = None


def run_unit(unit: Unit) -> UnitResult:
    """Build one unit in this process: render what changed, write what differs."""
    state = _STATE
    assert state is not None
    result = UnitResult()
    key = unit.key
    producer = state.producer
    previous: dict[str, FileRow] = {}
    if state.incremental:
        if state.manifest is None:
            state.manifest = Manifest(manifest_path(state.workspace.path), readonly=True)
        stored = state.manifest.unit(key)
        if stored is not None and _unchanged(producer, unit, stored):
            result.skipped = 1
            result.unchanged = stored.files
            result.guides = stored.guides
            for kind, count, example in decode_warning_counts(stored.warnings):
                result.warnings.add(kind, example, count)
            return result
        previous = state.manifest.unit_rows(key)
    deps = producer.new_deps()
    files = 0
    try:
        for output in producer.outputs(unit, deps):
            files += 1
            if output.guide:
                result.guides += 1
            old = previous.pop(output.path, None)
            if old is not None and old.fingerprint == output.fingerprint and old.unit == key:
                result.unchanged += 1
                for kind, message in decode_warnings(old.warnings):
                    result.warnings.add(kind, message)
                continue
            with deadline(producer.render_timeout):
                data = output.make()
            found = output.warnings()
            for kind, message in found:
                result.warnings.add(kind, message)
            result.rendered += 1
            digest = content_hash(data)
            if old is None or old.hash != digest:
                state.workspace.write(output.path, data)
                result.changed.append(Change(output.path, len(data), output.redirect))
                result.written += 1
                result.bytes += len(data)
            result.rows.append(_row(output, key, digest, encode_warnings(found)))
    except SiteError as error:
        result.error = error
        return result
    except RenderTimeout as exc:
        result.error = SiteError(
            f"rendering {exc}",
            SourceLocation(f"output/{output.path}"),
            "a template or write-up loop that runs too long? render_timeout in data/site.yaml "
            "sets the limit",
        )
        return result
    for path in previous:
        state.workspace.remove(path)
        result.removed.append(path)
    unit_digest = producer.unit_digest(unit, deps)
    if unit_digest is not None:
        warnings = encode_warning_counts(result.warnings.counts, result.warnings.examples)
        result.units.append(
            UnitRow(key, unit_digest, deps.encode(), files, result.guides, warnings)
        )
    return result


def _unchanged(producer: Producer, unit: Unit, stored: UnitRow) -> bool:
    digest = producer.unit_digest(unit, producer.new_deps(stored.deps))
    return digest is not None and digest == stored.digest


def _row(output: Output, unit: str, digest: str, warnings: str) -> FileRow:
    return FileRow(
        output.path,
        unit,
        output.fingerprint,
        digest,
        output.indexable,
        output.lastmod,
        output.sitemap,
        warnings,
    )


def _run_batch(units: list[Unit]) -> UnitResult:
    total = UnitResult()
    for unit in units:
        total.add(run_unit(unit))
        if total.error is not None:
            break
    return total


def run_units(
    producer: Producer,
    workspace: Workspace,
    units: Plan,
    incremental: bool,
    jobs: int,
    on_result: Callable[[UnitResult], None],
) -> None:
    """Run every unit, in worker processes when `jobs` > 1; results arrive in unit order."""
    global _STATE
    _STATE = _State(producer, workspace, incremental)
    try:
        if jobs <= 1 or len(units) < 2:
            for unit in units:
                on_result(run_unit(unit))
            return
        batches = _batches(units, jobs)
        gc.collect()  # the load's cyclic garbage, freed once here rather than in each worker
        with _quiet_pool(jobs) as pool:
            for result in pool.imap(_run_batch, batches, chunksize=1):
                on_result(result)
    finally:
        if _STATE.manifest is not None:
            _STATE.manifest.close()
        _STATE = None


def _ignore_interrupts() -> None:
    """Workers leave Ctrl+C to the build, which stops them: no worker tracebacks."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _quiet_pool(jobs: int) -> Pool:
    """A pool of forked workers that ignore SIGINT from the moment they exist (the signal
    is ignored around the fork too, so no worker can be interrupted before it is set)."""
    context = multiprocessing.get_context("fork")
    if threading.current_thread() is not threading.main_thread():
        return context.Pool(jobs, initializer=_ignore_interrupts)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return context.Pool(jobs, initializer=_ignore_interrupts)
    finally:
        signal.signal(signal.SIGINT, previous)


def _batches(units: Plan, jobs: int) -> Iterator[list[Unit]]:
    """Runs of consecutive units, made as the pool takes them: each drug's guide units in a
    batch of their own, so that one worker, not every worker, compiles the drug's
    write-ups; and no batch longer than an eighth of a worker's share, so that the workers
    stay balanced."""
    size = max(1, len(units) // (jobs * 8))
    batch: list[Unit] = []
    for unit in units:
        if batch and (len(batch) == size or unit.drug != batch[-1].drug):
            yield batch
            batch = []
        batch.append(unit)
    if batch:
        yield batch


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
