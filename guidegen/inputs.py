"""Digests of a build's inputs: every source file, the generator's own code, the options.

A build whose inputs digest equals the one recorded in the output's manifest has nothing
to do. Reads only the files `sources` allows (the others are named, never read);
renders nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from functools import lru_cache
from pathlib import Path

from .sources import SOURCE_DIRS as SOURCE_DIRS
from .sources import walk_sources

PACKAGE_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The generator's own source: a change to the code may change any page."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


def inputs_digest(root: Path, options: str) -> str:
    """Everything a build reads, and the options that change what it writes."""
    digest = hashlib.sha256()
    digest.update(code_digest().encode() + b"\0" + options.encode() + b"\0")
    digest.update(repr(sorted(content_dates(root).items())).encode() + b"\0")
    for folder in SOURCE_DIRS:
        for path, problem in walk_sources(root / folder, root, skip_hidden=folder == "content"):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            # a file that may not be read is named, never read: loading reports it
            digest.update(b"\0refused\0" if problem is not None else path.read_bytes())
    return digest.hexdigest()


def content_dates(root: Path) -> dict[str, dt.date]:
    """The date of the last commit that changed each write-up (`content/...` paths).

    A page's lastmod and "Updated" date come from its write-up's `updated` front matter,
    else from here: never from the build's clock. Empty outside a git work tree."""
    try:
        result = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "log",
                "--format=%x00%cs",
                "--name-only",
                "--relative",
                "--",
                "content",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if result.returncode != 0:
        return {}
    dates: dict[str, dt.date] = {}
    current: dt.date | None = None
    for line in result.stdout.splitlines():
        if line.startswith("\x00"):
            current = dt.date.fromisoformat(line[1:])
        elif line and current is not None:
            dates.setdefault(line, current)
    return dates
