"""The change list of a build: which files it wrote and which it removed, for a publish step
that uploads only those (`build --changes FILE`, read by `publish.py`).

JSON lines: a header (`{"changes": 1, "prefix": "appeals/", "fresh": false}`), then one
line per file: `{"put": "cigna/index.html", "size": 17020}` (a redirect page adds
`"redirect": "/cigna/"`, the URL it sends browsers to) or `{"delete": "old/index.html"}`.
`prefix` is base_url's path, where the host serves output/; `fresh` says the build wrote
every file of its shard (a first or --clean build). A build whose inputs are unchanged
writes the header alone. The file is replaced in one step once the build has committed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .builder import Change
from .errors import SiteError, SourceLocation
from .manifest import Manifest

VERSION = 1


@dataclass
class ChangeList:
    """What a build wrote and removed, gathered unit by unit."""

    written: list[Change] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    fresh: bool = False

    def add(self, written: Iterable[Change], removed: Iterable[str]) -> None:
        self.written += written
        self.removed += removed

    def removed_since(self, old: Manifest, new: Manifest) -> None:
        """A fresh build removes nothing itself: the files the last generation had and
        this one has not are removed all the same."""
        gone = set(old.paths_of_units(old.units())) - set(new.paths_of_units(new.units()))
        self.removed += sorted(gone)

    def save(self, path: Path, prefix: str) -> None:
        """Write the list atomically (a reader never sees half of it)."""
        temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        header = {"changes": VERSION, "prefix": prefix.strip("/") + "/" if prefix else ""}
        header["fresh"] = self.fresh
        with open(temporary, "w", encoding="utf-8") as out:
            out.write(json.dumps(header) + "\n")
            for change in self.written:
                line: dict[str, object] = {"put": change.path, "size": change.size}
                if change.redirect is not None:
                    line["redirect"] = change.redirect
                out.write(json.dumps(line) + "\n")
            for rel in self.removed:
                out.write(json.dumps({"delete": rel}) + "\n")
        os.replace(temporary, path)


@dataclass(frozen=True)
class Changes:
    """A change list read back."""

    prefix: str
    fresh: bool
    put: list[Change]
    delete: list[str]


def read_changes(path: Path) -> Changes:
    """Parse a change list; a file that is not one is a SiteError at its line."""
    put: list[Change] = []
    delete: list[str] = []
    header: dict[str, object] = {}
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                item = json.loads(line)
                if number == 1:
                    if item.get("changes") != VERSION:
                        raise ValueError("not a change list of this version")
                    header = item
                elif "put" in item:
                    put.append(Change(item["put"], int(item["size"]), item.get("redirect")))
                else:
                    delete.append(str(item["delete"]))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise SiteError(
                    f"not a change list: {exc}",
                    SourceLocation(str(path), number),
                    "pass the file `build --changes FILE` wrote",
                ) from None
    if not header:
        raise SiteError("empty change list", SourceLocation(str(path)), "run build --changes")
    return Changes(str(header.get("prefix", "")), bool(header.get("fresh")), put, delete)
