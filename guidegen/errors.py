"""Errors that carry their place: `file:line: message (hint)`.

Every problem an editor can cause is a `SiteError` with a `SourceLocation`. Errors are
collected (never raised one at a time while validating) into an `ErrorCollector`, which
stops at a budget, and end the run as a single `BuildFailed` listing all of them.
Errors are picklable so they survive a process pool; shown, they quote the offending line
with its number (read from the file when the error was made without it). This module
imports nothing else from the package.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import click

ERROR_BUDGET = 50


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A place in a source file; `line` is 1-based, 0 when the whole file is meant."""

    path: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class SiteError(click.ClickException):
    """One problem in the site's inputs, with where it is and how to fix it."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        location: SourceLocation | None = None,
        hint: str | None = None,
        source_line: str | None = None,
    ) -> None:
        self.problem = message
        self.location = location
        self.hint = hint
        self.source_line = source_line
        super().__init__(self.render())

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problem, self.location, self.hint, self.source_line))

    def render(self) -> str:
        text = f"{self.location}: {self.problem}" if self.location else self.problem
        if self.hint:
            text += f" ({self.hint})"
        return text

    def sort_key(self) -> tuple[str, int, str]:
        loc = self.location or SourceLocation("")
        return (loc.path, loc.line, self.problem)

    def context(self) -> str | None:
        """The offending line with its number, as compilers quote it: `   12 | text`."""
        if self.source_line is None or self.location is None or not self.location.line:
            return None
        return f"{self.location.line:>5} | {self.source_line}"

    def show(self, file: IO[Any] | None = None) -> None:
        _echo_error(self, file)


def _echo_error(error: SiteError, file: IO[Any] | None) -> None:
    click.echo(f"error: {error.render()}", file=file, err=file is None)
    context = error.context()
    if context is not None:
        click.echo(context, file=file, err=file is None)


class BuildFailed(click.ClickException):
    """The run ends with these errors (exit status 1); nothing was written."""

    exit_code = 1

    def __init__(self, errors: list[SiteError], truncated: bool = False) -> None:
        self.errors = errors
        self.truncated = truncated
        super().__init__(f"{len(errors)} error(s)")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.errors, self.truncated))

    def show(self, file: IO[Any] | None = None) -> None:
        err = file is None
        for error in self.errors:
            _echo_error(error, file)
        more = f" (stopped after the first {ERROR_BUDGET})" if self.truncated else ""
        noun = "error" if len(self.errors) == 1 else "errors"
        click.echo(f"{len(self.errors)} {noun}{more}; nothing was written.", file=file, err=err)


class ErrorCollector:
    """Gathers every error of a stage, up to a budget, in a stable order."""

    def __init__(self, budget: int = ERROR_BUDGET) -> None:
        self.budget = budget
        self._errors: list[SiteError] = []
        self._seen: set[str] = set()
        self.truncated = False

    def add(
        self,
        message: str,
        location: SourceLocation | None = None,
        hint: str | None = None,
    ) -> None:
        self.add_error(SiteError(message, location, hint))

    def add_error(self, error: SiteError) -> None:
        key = error.render()
        if key in self._seen:
            return
        if len(self._errors) >= self.budget:
            self.truncated = True
            return
        self._seen.add(key)
        self._errors.append(error)

    def extend(self, errors: Iterable[SiteError]) -> None:
        for error in errors:
            self.add_error(error)

    def __bool__(self) -> bool:
        return bool(self._errors)

    def __len__(self) -> int:
        return len(self._errors)

    def __iter__(self) -> Iterator[SiteError]:
        return iter(sorted(self._errors, key=SiteError.sort_key))

    def raise_if_any(self) -> None:
        if self._errors:
            raise BuildFailed(list(self), self.truncated)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest choice, Click-style, or None when nothing is close."""
    matches = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


SOURCE_LINE_LIMIT = 10 << 20  # bytes: a larger file is not read again to quote a line


def with_source_lines(errors: Iterable[SiteError], root: Path) -> None:
    """Give each error that points at a line the text of that line, read from the site's
    files where the error was made without it (only files inside the root are read)."""
    files: dict[str, list[str] | None] = {}
    for error in errors:
        where = error.location
        if error.source_line is not None or where is None or where.line <= 0:
            continue
        if where.path not in files:
            files[where.path] = _lines_of(root, where.path)
        lines = files[where.path]
        if lines is not None and where.line <= len(lines):
            error.source_line = lines[where.line - 1]


def _lines_of(root: Path, rel: str) -> list[str] | None:
    base = root.resolve()
    path = (base / rel).resolve()
    try:
        if base not in path.parents or path.stat().st_size > SOURCE_LINE_LIMIT:
            return None
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None


def relpath(path: Path, root: Path) -> str:
    """The path as editors see it: relative to the site root when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
