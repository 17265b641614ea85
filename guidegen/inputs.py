"""Digests of a build's inputs: every source file, the generator's own code, the options.

A build whose inputs digest equals the one recorded in the output's manifest has nothing
to do. Reads files; renders nothing.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

SOURCE_DIRS = ("data", "content", "templates", "static")
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
    for folder in SOURCE_DIRS:
        base = root / folder
        for path in sorted(base.rglob("*")) if base.is_dir() else []:
            if path.is_file():
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()
