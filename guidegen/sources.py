"""Which source files may be read: regular files inside the site's own source folders.

Every file of data/, content/, templates/ and static/ may come from an untrusted pull
request and is read by CI with deploy tokens in its environment. A symbolic link is
followed only when it resolves inside one of those four folders of the same root (a
write-up shared by two paths, a folder of assets linked in). Refused, each as an error
naming the file: a link that leads anywhere else (`/proc/self/environ`, `/etc/passwd`,
`../../secrets`, `.git/config`, the output folder, a folder linked to /etc), through any
chain of links; a broken or looping link; and anything that is not a regular file or
folder (reading a FIFO hangs the build; a device never ends). Looks only at directory
entries and file status: reads no file's contents.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from .errors import ErrorCollector, SiteError, SourceLocation

SOURCE_DIRS = ("data", "content", "templates", "static")
HINT = "links are followed only to files inside those folders"


def _allowed(root: Path) -> list[Path]:
    """The four source folders as they are named under the real root (not resolved: a
    folder that is itself a link elsewhere must not widen what may be read)."""
    real_root = root.resolve()
    return [real_root / name for name in SOURCE_DIRS]


def _special(mode: int) -> str | None:
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def source_problem(path: Path, root: Path) -> SiteError | None:
    """Why the file or folder `path` (named under `root`) must not be read, or None."""
    display = _display(path, root)
    where = SourceLocation(display)
    try:
        real = path.resolve(strict=True)
        mode = real.stat().st_mode
    except FileNotFoundError:
        if path.is_symlink():
            return SiteError("is a broken symbolic link", where, "remove it or fix its target")
        return SiteError("file is missing", where)
    except RuntimeError:  # Python 3.11 reports a loop of links this way
        return SiteError("is a loop of symbolic links", where, "remove the link")
    except OSError as exc:
        return SiteError(f"cannot read file: {exc.strerror}", where)
    if not any(real == folder or folder in real.parents for folder in _allowed(root)):
        return SiteError(
            f"is a symbolic link to {real.as_posix()}, outside the site's data/, content/, "
            "templates/ and static/ folders",
            where,
            HINT,
        )
    special = _special(mode)
    if special is not None:
        return SiteError(
            f"is {special}, not a regular file", where, "only regular files are read; remove it"
        )
    return None


def check_source(path: Path, root: Path) -> None:
    """Raise the problem of `path`, if it has one (see `source_problem`)."""
    problem = source_problem(path, root)
    if problem is not None:
        raise problem


def walk_sources(
    base: Path, root: Path, skip_hidden: bool = False
) -> Iterator[tuple[Path, SiteError | None]]:
    """Every file under `base` with its problem (None when it may be read), in path order.

    Symbolic links to folders inside the source folders are followed, once per folder on
    the way down (a link back to a folder above is a loop, reported); a refused folder is
    reported and not entered. `skip_hidden` leaves out names starting with a dot, which
    are then never looked at."""
    if not base.exists() and not base.is_symlink():
        return
    problem = source_problem(base, root)
    if problem is not None:
        yield base, problem
        return
    yield from _walk(base, root, skip_hidden, (base.resolve(),))


def _walk(
    folder: Path, root: Path, skip_hidden: bool, above: tuple[Path, ...]
) -> Iterator[tuple[Path, SiteError | None]]:
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        yield (
            folder,
            SiteError(
                f"cannot read folder: {exc.strerror}", SourceLocation(_display(folder, root))
            ),
        )
        return
    for name in names:
        if skip_hidden and name.startswith("."):
            continue
        path = folder / name
        problem = source_problem(path, root)
        if problem is not None or not path.is_dir():
            yield path, problem
            continue
        real = path.resolve()
        if real in above:
            loop = SiteError(
                "is a symbolic link to a folder it is in",
                SourceLocation(_display(path, root)),
                "remove the link",
            )
            yield path, loop
            continue
        yield from _walk(path, root, skip_hidden, (*above, real))


def source_files(
    base: Path, root: Path, errors: ErrorCollector, skip_hidden: bool = False
) -> list[Path]:
    """The files under `base` that may be read, in path order; the others reported."""
    found = []
    for path, problem in walk_sources(base, root, skip_hidden):
        if problem is None:
            found.append(path)
        else:
            errors.add_error(problem)
    return found
