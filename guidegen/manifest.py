"""What a build wrote and from which inputs: one SQLite file per output generation.

Each output file has a row: its path, the unit of work that produced it, the fingerprint
of its inputs, the hash of its bytes, and, for pages, whether it is indexable and its
lastmod (what the sitemaps are rebuilt from) and the warnings it raised (reported again
by builds that leave the page alone). The `units` table holds, per unit of work, the
digest of everything its files depend on, the records its pages link to, and its counts
and warnings, so that a rebuild can leave a whole unit alone without looking at its files
(see dependencies.py). The `meta` table holds the digest of all
inputs of the build (a build whose inputs are unchanged does nothing) and whether the
generation is complete. The manifest lives inside the generation it describes, so the
files and the manifest are swapped in together. Renders nothing.
"""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

MANIFEST_DIR = ".guidegen"
MANIFEST_NAME = "manifest.sqlite"
SCHEMA_VERSION = "3"  # a manifest of another version is not used

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    unit TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    hash TEXT NOT NULL,
    indexable INTEGER NOT NULL DEFAULT 0,
    lastmod TEXT,
    sitemap TEXT,
    warnings TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS units (
    unit TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    deps TEXT NOT NULL,
    files INTEGER NOT NULL,
    guides INTEGER NOT NULL,
    warnings TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS files_unit ON files (unit)",
    "CREATE INDEX IF NOT EXISTS files_sitemap ON files (sitemap, path) WHERE indexable = 1",
)


class FileRow(NamedTuple):
    """One output file as the manifest records it, in the order of the table's columns.

    A tuple rather than a dataclass: a build sends a hundred thousand of them from the
    workers to the parent, and a tuple pickles in C (a frozen dataclass through Python)."""

    path: str
    unit: str
    fingerprint: str
    hash: str
    indexable: bool = False
    lastmod: str | None = None
    sitemap: str | None = None  # which sitemap group lists it (when indexable)
    warnings: str = ""  # see encode_warnings


@dataclass(frozen=True, slots=True)
class UnitRow:
    """One unit of work as the manifest records it (see dependencies.py)."""

    unit: str
    digest: str  # of every input its files depend on
    deps: str  # the records its pages link to, encoded by dependencies.UnitDeps
    files: int
    guides: int
    warnings: str = ""  # see encode_warning_counts


def encode_warning_counts(counts: dict[str, int], examples: dict[str, str]) -> str:
    """Warnings counted by kind, each with its first example, as one column value."""
    return "\x1e".join(f"{kind}\x1f{counts[kind]}\x1f{examples[kind]}" for kind in sorted(counts))


def decode_warning_counts(text: str) -> list[tuple[str, int, str]]:
    """(kind, count, example) triples of `encode_warning_counts`."""
    found = []
    for item in text.split("\x1e"):
        if item:
            kind, count, example = item.split("\x1f", 2)
            found.append((kind, int(count), example))
    return found


def encode_warnings(found: tuple[tuple[str, str], ...]) -> str:
    """(kind, message) pairs as one column value."""
    return "\x1e".join(f"{kind}\x1f{message}" for kind, message in found)


def decode_warnings(text: str) -> list[tuple[str, str]]:
    pairs = (item.split("\x1f", 1) for item in text.split("\x1e") if item)
    return [(kind, message) for kind, message in pairs]


_COLUMNS = "path, unit, fingerprint, hash, indexable, lastmod, sitemap, warnings"  # as FileRow


def _row(r: tuple[Any, ...]) -> FileRow:
    return FileRow(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7])


def manifest_path(generation: Path) -> Path:
    return generation / MANIFEST_DIR / MANIFEST_NAME


class Manifest:
    """A connection to one generation's manifest."""

    def __init__(self, path: Path, readonly: bool = False, busy: bool = False) -> None:
        """Open for reading, or for writing (`busy`: in write-ahead-log mode, so that
        worker processes can read while this connection writes)."""
        self.path = path
        if readonly:
            self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
            self.db.execute("PRAGMA busy_timeout=10000")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA busy_timeout=10000")
        self.db.execute(f"PRAGMA journal_mode={'WAL' if busy else 'DELETE'}")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.executescript(_SCHEMA)
        for statement in _INDEXES:
            self.db.execute(statement)

    def close(self) -> None:
        self.db.close()

    def settle(self) -> None:
        """Leave the database as one self-contained file (no write-ahead log) and close."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.execute("PRAGMA journal_mode=DELETE")
        self.db.close()

    # meta ------------------------------------------------------------------------
    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # rows ------------------------------------------------------------------------
    def unit_rows(self, unit: str) -> dict[str, FileRow]:
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM files WHERE unit = ?",
            (unit,),
        )
        return {r[0]: _row(r) for r in rows}

    def row(self, path: str) -> FileRow | None:
        r = self.db.execute(
            f"SELECT {_COLUMNS} FROM files WHERE path = ?",
            (path,),
        ).fetchone()
        return None if r is None else _row(r)

    def upsert(self, rows: Iterable[FileRow]) -> None:
        self.db.executemany(
            f"INSERT OR REPLACE INTO files ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,  # FileRow is a tuple in column order; sqlite stores True as 1
        )

    def delete(self, paths: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM files WHERE path = ?", ((p,) for p in paths))

    # units -----------------------------------------------------------------------
    def unit(self, unit: str) -> UnitRow | None:
        r = self.db.execute(
            "SELECT unit, digest, deps, files, guides, warnings FROM units WHERE unit = ?",
            (unit,),
        ).fetchone()
        return None if r is None else UnitRow(r[0], r[1], r[2], int(r[3]), int(r[4]), r[5])

    def upsert_units(self, rows: Iterable[UnitRow]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO units (unit, digest, deps, files, guides, warnings) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            ((r.unit, r.digest, r.deps, r.files, r.guides, r.warnings) for r in rows),
        )

    def forget_units(self, units: Iterable[str]) -> None:
        """Drop the records of units, so that the next build looks at their files again."""
        self.db.executemany("DELETE FROM units WHERE unit = ?", ((u,) for u in units))

    def units(self) -> builtins.set[str]:
        """Every unit that has files or a record."""
        rows = self.db.execute("SELECT DISTINCT unit FROM files UNION SELECT unit FROM units")
        return {str(r[0]) for r in rows}

    def paths_of_units(self, units: Iterable[str]) -> list[str]:
        found: list[str] = []
        for unit in units:
            found += [
                str(r[0]) for r in self.db.execute("SELECT path FROM files WHERE unit = ?", (unit,))
            ]
        return found

    def sitemap_groups(self) -> list[str]:
        rows = self.db.execute(
            "SELECT DISTINCT sitemap FROM files WHERE indexable = 1 AND sitemap IS NOT NULL "
            "ORDER BY sitemap"
        )
        return [str(r[0]) for r in rows]

    def sitemap_entries(self, group: str) -> Iterator[tuple[str, str | None]]:
        """(path, lastmod) of the indexable files of one sitemap group, by path."""
        rows = self.db.execute(
            "SELECT path, lastmod FROM files WHERE indexable = 1 AND sitemap = ? ORDER BY path",
            (group,),
        )
        for path, lastmod in rows:
            yield str(path), lastmod

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM files").fetchone()[0])

    def begin(self, fresh: bool = False) -> None:
        """Start the build's transaction. A `fresh` manifest, filled from empty and not read
        until it is committed, makes its indexes at the commit: sorting every row once
        costs half as much as keeping two indexes up to date row by row."""
        self.db.execute("BEGIN")
        if fresh:
            self.db.execute("DROP INDEX IF EXISTS files_unit")
            self.db.execute("DROP INDEX IF EXISTS files_sitemap")

    def commit(self) -> None:
        for statement in _INDEXES:
            self.db.execute(statement)
        self.db.execute("COMMIT")
