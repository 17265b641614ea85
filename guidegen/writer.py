"""Write stage: a dumb, safe writer. Knows nothing of the site's domain.

A build writes into a private staging folder beside the output folder, then swaps the two
in one step (Linux `renameat2(RENAME_EXCHANGE)`; two renames elsewhere), so a build that
fails or is killed leaves the previous output exactly as it was. Paths are joined safely
(nothing can escape the output folder) and a second write to the same file is refused.
The output folder carries a marker file: the writer only ever replaces folders it made.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
from pathlib import Path, PurePosixPath

from .errors import SiteError, SourceLocation

MARKER = ".guidegen-output"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class OutputError(SiteError):
    """The output folder cannot be used as asked."""


def check_output_dir(out: Path, project_root: Path) -> Path:
    """The resolved output folder, refused when it is unsafe to replace."""
    target = out.resolve()
    root = project_root.resolve()
    if target == root or target in root.parents:
        raise OutputError(
            f"refusing to use {out} as the output folder: it contains the project",
            hint="choose a folder such as output/",
        )
    for name in ("data", "content", "templates", "static", "tests", ".git"):
        source = (root / name).resolve()
        if target == source or source in target.parents or target in source.parents:
            raise OutputError(
                f"refusing to use {out} as the output folder: it overlaps {name}/",
                hint="choose a folder such as output/",
            )
    if target.exists():
        if not target.is_dir():
            raise OutputError(f"{out} exists and is not a folder")
        if any(target.iterdir()) and not (target / MARKER).is_file():
            raise OutputError(
                f"refusing to replace {out}: it is not empty and was not made by this generator",
                hint=f"remove it yourself, or choose another --out (a built folder has {MARKER})",
            )
    return target


def safe_relpath(rel: str) -> str:
    """A normalised relative POSIX path inside the output folder, or ValueError."""
    if not rel or "\x00" in rel or "\\" in rel:
        raise ValueError(f"unsafe output path {rel!r}")
    path = PurePosixPath(rel)
    if not path.parts or path.is_absolute() or ".." in path.parts:
        raise ValueError(f"unsafe output path {rel!r}")
    return path.as_posix()


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False when the system cannot."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


class Staging:
    """A private folder a build writes into; `commit` makes it the output folder."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.dir = out.parent / f".{out.name}.staging-{os.getpid()}"
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        (self.dir / MARKER).write_text("built by guidegen; safe to delete\n", encoding="utf-8")
        self.written: set[str] = set()
        self._dirs: set[str] = set()
        self.bytes_written = 0

    def path(self, rel: str) -> Path:
        return self.dir / safe_relpath(rel)

    def write(self, rel: str, data: bytes) -> None:
        rel = safe_relpath(rel)
        if rel in self.written:
            raise SiteError(
                f"two pages would be written to {rel}",
                SourceLocation(rel),
                "two records map to the same URL; give one of them another slug",
            )
        self.written.add(rel)
        parent = rel.rpartition("/")[0]
        if parent and parent not in self._dirs:
            (self.dir / parent).mkdir(parents=True, exist_ok=True)
            self._dirs.add(parent)
        with open(self.dir / rel, "wb") as handle:
            handle.write(data)
        self.bytes_written += len(data)

    def commit(self) -> None:
        """Swap the staging folder in as the output folder and remove the old output."""
        if self.out.exists():
            if not _exchange(self.dir, self.out):
                old = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
                os.rename(self.out, old)
                os.rename(self.dir, self.out)
                shutil.rmtree(old, ignore_errors=True)
                return
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            os.rename(self.dir, self.out)

    def abort(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
