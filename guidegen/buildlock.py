"""One build at a time per output folder: an OS lock on `.<name>.lock` beside the folder.

The lock is `fcntl.flock` on a file next to the output (where its spare and staging
generations live too), so the kernel releases it when the build's process ends, however it
ends: a killed build never leaves a stale lock. The file holds the pid of the build that
holds it, for the message a second build prints. Worker processes forked while the lock is
held drop their copy of it, so only the build itself keeps it. Knows nothing of pages.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from .errors import SiteError, SourceLocation

_HELD: set[int] = set()


def _drop_in_child() -> None:
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_drop_in_child)


def lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


@contextlib.contextmanager
def output_lock(out: Path, display: str) -> Iterator[None]:
    """Hold the lock of the (resolved) output folder `out`; a SiteError naming `display`
    when another process holds it."""
    path = lock_path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:  # FileExistsError: a file where a folder on the way should be
        reason = "Not a directory" if isinstance(exc, FileExistsError) else exc.strerror
        raise SiteError(f"cannot write the output: {reason}", SourceLocation(display)) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SiteError(
                f"another build{_holder(fd)} is writing to this folder",
                SourceLocation(display),
                "wait for it to finish, or use another --out",
            ) from None
        _HELD.add(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        _HELD.discard(fd)
        os.close(fd)


def _holder(fd: int) -> str:
    """` (pid N)` from the lock file, or nothing when it does not say."""
    with contextlib.suppress(OSError, ValueError):
        pid = int(os.pread(fd, 32, 0).decode("ascii").strip())
        return f" (pid {pid})"
    return ""
