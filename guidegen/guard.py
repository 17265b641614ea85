"""The command line's last line of defence: no input ends in a bare Python traceback.

`GuardedGroup` runs every command so that Ctrl+C ends as one line and exit status 130 (the
build's workers stop quietly, see `builder`), a failed system call as `error: <file>: <why>`
and any other unexpected exception as one `error: internal error: ...` line with a hint to
report it; `GUIDEGEN_DEBUG=1` lets the traceback through instead. Click's own exceptions
(usage errors, exit status 2) and the package's `SiteError`s pass unchanged.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import IO, Any

import click

from .errors import SiteError, SourceLocation, relpath

DEBUG_ENV = "GUIDEGEN_DEBUG"
REPORT_HINT = f"please report it with the command you ran; {DEBUG_ENV}=1 shows the traceback"


class Interrupted(click.ClickException):
    """Ctrl+C: one line, exit status 130 like a shell's."""

    exit_code = 130

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.message, file=file, err=file is None)


def unexpected(exc: Exception, root: Path) -> SiteError:
    """An exception no stage turned into a SiteError, as one line."""
    if isinstance(exc, OSError):
        where = (
            SourceLocation(relpath(Path(os.fsdecode(exc.filename)), root)) if exc.filename else None
        )
        return SiteError(exc.strerror or str(exc), where)
    if isinstance(exc, sqlite3.Error):
        return SiteError(f"the output's manifest: {exc}")
    return SiteError(f"internal error: {type(exc).__name__}: {exc}", hint=REPORT_HINT)


class GuardedGroup(click.Group):
    """A click group whose commands never end in a traceback (see the module docstring)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            after = (
                "; the previous output is unchanged" if ctx.invoked_subcommand == "build" else ""
            )
            raise Interrupted(f"Interrupted{after}.") from None
        except Exception as exc:
            if os.environ.get(DEBUG_ENV):
                raise
            root = ctx.obj if isinstance(ctx.obj, Path) else Path(".")
            raise unexpected(exc, root) from None
