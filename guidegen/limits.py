"""Bounds on what rendering one page may cost, so that no input can hang or sink a build.

- `deadline(seconds)`: the time one page (or one write-up's compilation) may take, like
  Hugo's `timeout`. A timer signal raises `RenderTimeout` in the code that is running;
  it re-fires every second in case that code swallows the first one. Works in a process's
  main thread (the build's workers, `check`, the preview's request handler); elsewhere it
  does nothing.
- `bounded_binop`: the sandbox's `*` and `**` refuse results that would be huge, which
  a timer cannot interrupt (one C call that allocates gigabytes).
- `cap_memory()`: an address-space limit for the command-line process and its workers,
  so a write-up that builds a huge value gets a MemoryError (reported at its file)
  instead of taking the machine's memory.
- `MAX_WRITEUP_HTML`: the most HTML one write-up may print on one page.

Knows nothing of the site; imports nothing from the package.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import threading
from collections.abc import Iterator
from typing import Any

DEFAULT_RENDER_TIMEOUT = 30.0  # seconds, as Hugo's default `timeout`
MAX_WRITEUP_HTML = 2 * 1024 * 1024  # characters a write-up may print on one page
MAX_SEQUENCE_RESULT = 1_000_000  # items or characters `*` may make in a write-up
MAX_POWER_BITS = 4096  # size of an integer `**` may make in a write-up
MEMORY_HEADROOM = 6 * 1024**3  # address space a command may use beyond its start


class RenderTimeout(Exception):
    """Rendering went past its deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than {seconds:g} s")
        self.seconds = seconds


_armed: list[float] = []  # the deadline in force (seconds), when one is


def _fire(signum: int, frame: Any) -> None:
    if _armed:
        raise RenderTimeout(_armed[0])


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise `RenderTimeout` in the block once it has run `seconds`; nested uses keep
    the outermost deadline."""
    if _armed or seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _fire)
    _armed.append(seconds)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _armed.clear()
        signal.signal(signal.SIGALRM, previous)


class ResultTooLarge(Exception):
    """A write-up's arithmetic would build a huge value."""


def bounded_binop(operator: str, left: Any, right: Any) -> Any:
    """`left <operator> right` for the sandbox, refusing results that would be huge."""
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            sized = isinstance(seq, str | list | tuple) and isinstance(count, int)
            if sized and len(seq) * count > MAX_SEQUENCE_RESULT:
                raise ResultTooLarge(
                    f"'*' would make {len(seq) * count:,} items; at most {MAX_SEQUENCE_RESULT:,}"
                )
        numbers = isinstance(left, int) and isinstance(right, int)
        if numbers and left.bit_length() + right.bit_length() > MAX_POWER_BITS:
            raise ResultTooLarge("'*' would make a number too large to print")
        return left * right
    if operator == "**":
        numbers = isinstance(left, int) and isinstance(right, int) and abs(left) > 1
        if numbers and right > 0 and right * left.bit_length() > MAX_POWER_BITS:
            raise ResultTooLarge("'**' would make a number too large to print")
        return left**right
    raise AssertionError(operator)  # pragma: no cover - only the intercepted operators


def cap_memory(headroom: int = MEMORY_HEADROOM) -> None:
    """Limit this process (and the workers it forks) to its current address space plus
    `headroom` (GUIDEGEN_MEMORY_HEADROOM_MB overrides it, for smaller machines and tests).
    Best effort: leaves a lower limit in force, and does nothing where the platform has no
    such limit."""
    override = os.environ.get("GUIDEGEN_MEMORY_HEADROOM_MB", "")
    if override.isdigit() and int(override) > 0:
        headroom = int(override) * 1024 * 1024
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = used + headroom
        if hard != resource.RLIM_INFINITY:
            wanted = min(wanted, hard)
        if soft == resource.RLIM_INFINITY or soft > wanted:
            resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (OSError, ValueError):  # pragma: no cover - not Linux
        return
