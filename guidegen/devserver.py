"""`serve`: a live-reloading preview that renders each page when the browser asks for it.

Nothing is built up front, so the preview of a million-page site starts as fast as the
sample's: loading and checking the inputs is all that happens at start. Each URL is
answered by the same code a build writes that file with, so the preview shows exactly the
bytes `build` would write (plus livereload's script). `watchfiles` reports a save in
data/, content/, templates/ or static/ at once; a burst of saves is folded into one
reload, after which livereload tells the open pages to reload. A base_url with a path
(`https://example.org/appeals`) is served under it, at `/appeals/`, as the host will. A mistake does not stop
the server: every page becomes an error page (file:line, the offending line, the hint)
that reloads itself once the file is fixed. Contains no build logic of its own.
"""

from __future__ import annotations

import html
import mimetypes
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from .builder import Output
from .errors import BuildFailed, SiteError, relpath, with_source_lines
from .inputs import SOURCE_DIRS
from .limits import DEFAULT_RENDER_TIMEOUT, RenderTimeout, deadline
from .matrix import output_path
from .outputs import SiteOutputs
from .sitemodel import LoadedSite, load_site

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
DEBOUNCE_SECONDS = 0.15
READY_POLL_MS = 50  # how often the watcher's thread wakes up when nothing is saved


class Preview:
    """The site as currently loaded (or the errors that stop it from loading).

    Loading is lazy (data, templates and the places of write-ups; each write-up is
    compiled when a page needs it), so the server answers at once whatever the size of
    the site; the full check a build makes then runs in the background, and its problems,
    if any, replace the pages with the error page."""

    def __init__(self, root: Path, notify: Callable[[], None] | None = None) -> None:
        self.root = root
        self.notify = notify or (lambda: None)
        self.site: LoadedSite | None = None
        self.outputs: SiteOutputs | None = None
        self.errors: list[SiteError] = []
        self.generation = 0
        self._lock = threading.Lock()
        self._checker: BaseProcess | None = None
        self.reload()

    def reload(self) -> list[SiteError]:
        """Load the inputs again; keep the errors when they do not load (and return them)."""
        with self._lock:
            self.generation += 1
            generation = self.generation
            if self._checker is not None:
                self._checker.kill()  # stale: let the reload have the CPU
        try:
            site = load_site(self.root, lazy=True)
        except (BuildFailed, SiteError) as failure:
            self._fail(generation, failure)
            return self.errors
        except Exception as exc:  # a bug, not the editor's mistake: still keep serving
            self._fail(generation, SiteError(f"the preview could not load the site: {exc!r}"))
            return self.errors
        with self._lock:
            self.site, self.outputs, self.errors = site, SiteOutputs(site), []
        threading.Thread(target=self._check_everything, args=(generation,), daemon=True).start()
        return []

    def _check_everything(self, generation: int) -> None:
        """The full check, in a process of its own so that it neither slows the pages
        being served nor the next reload (which stops a check it has made stale)."""
        spawn = multiprocessing.get_context("spawn")
        receive, send = spawn.Pipe(duplex=False)
        process = spawn.Process(target=_full_check, args=(self.root, send), daemon=True)
        with self._lock:
            if generation != self.generation:  # reload() has stopped the checks before it
                return
            self._checker = process
            process.start()
        send.close()
        try:
            failure: BuildFailed | SiteError | None = receive.recv()
        except EOFError:  # stopped: a newer reload has started
            return
        finally:
            receive.close()
            process.join()
        if failure is not None and self._fail(generation, failure):
            show_errors(self.errors)
            self.notify()

    def _fail(self, generation: int, failure: BuildFailed | SiteError) -> bool:
        errors = failure.errors if isinstance(failure, BuildFailed) else [failure]
        with_source_lines(errors, self.root)
        with self._lock:
            if generation != self.generation:
                return False  # a newer reload has started
            self.site, self.outputs, self.errors = None, None, errors
        return True

    # Routing --------------------------------------------------------------------------
    def output_for(self, path: str) -> Output | None:
        """What `build` writes at this URL path, or None when it writes nothing there."""
        site, outputs = self.site, self.outputs
        if site is None or outputs is None:
            return None
        if path.endswith("/index.html"):
            path = path[: -len("index.html")]
        rel = output_path(path) if path.endswith("/") else path.lstrip("/")
        parts = [p for p in path.split("/") if p]
        for output in self._candidates(site, outputs, parts):
            if output.path == rel:
                return output
        return None

    def _candidates(
        self, site: LoadedSite, outputs: SiteOutputs, parts: list[str]
    ) -> Iterator[Output]:
        """The outputs of the unit of work the URL belongs to, lazily."""
        data = site.data
        if parts and parts[0] == "assets":
            rel = "/".join(parts)
            source = site.assets.files.get(rel)
            if source is not None:
                yield Output(rel, "", source.read_bytes)
            return
        payer_slugs = {
            alias: i for i, p in enumerate(data.payers) for alias in (p.slug, *p.aliases)
        }
        drug_slugs = {alias: i for i, d in enumerate(data.drugs) for alias in (d.slug, *d.aliases)}
        if len(parts) >= 2 and parts[0] in payer_slugs and parts[1] in drug_slugs:
            yield from outputs.guides(
                payer_slugs[parts[0]], drug_slugs[parts[1]], outputs.new_deps()
            )
        elif len(parts) == 1 and parts[0] in payer_slugs:
            yield from outputs.payer(payer_slugs[parts[0]])
        elif parts and parts[0] == "sitemaps" and len(parts) == 2 and parts[1].startswith("payer-"):
            for payer in range(len(data.payers)):
                yield from outputs.payer_sitemap(payer)
        elif parts == ["sitemap.xml"]:
            yield outputs.sitemap_index()
        else:
            yield from outputs.site_wide()

    # WSGI -----------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        with self._lock:
            errors = list(self.errors)
        if errors:
            return self._respond(start_response, "500 Internal Server Error", error_page(errors))
        # The site lives under base_url's path, as it will on the host; the server's root
        # (and the path without its slash) sends the address bar there.
        prefix = self.site.data.site.path_prefix if self.site is not None else ""
        inside = path.startswith(prefix + "/")
        if not inside and path in ("/", prefix):
            start_response("302 Found", [("Location", prefix + "/"), ("Content-Length", "0")])
            return [b""]
        try:
            with deadline(self._timeout()):
                output = self.output_for(path[len(prefix) :]) if inside else None
                if output is not None:
                    return self._respond(
                        start_response, "200 OK", output.make(), _content_type(output.path)
                    )
                not_found = self.output_for("/404.html")
                body = not_found.make() if not_found is not None else b"Not found"
            return self._respond(start_response, "404 Not Found", body)
        except (SiteError, BuildFailed) as failure:  # a template or a write-up this page uses
            errors = failure.errors if isinstance(failure, BuildFailed) else [failure]
            with_source_lines(errors, self.root)
            return self._respond(start_response, "500 Internal Server Error", error_page(errors))
        except RenderTimeout as exc:  # past the deadline outside any template or write-up
            late = SiteError(f"rendering {path} {exc}", None, "render_timeout in data/site.yaml")
            return self._respond(start_response, "500 Internal Server Error", error_page([late]))

    def _timeout(self) -> float:
        site = self.site
        return site.data.site.render_timeout if site is not None else DEFAULT_RENDER_TIMEOUT

    @staticmethod
    def _respond(
        start_response: StartResponse,
        status: str,
        body: bytes,
        content_type: str = "text/html; charset=utf-8",
    ) -> list[bytes]:
        start_response(
            status,
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [body]


def _full_check(root: Path, send: Connection) -> None:
    """In a child process: load and check everything as a build does; send the failure."""
    try:
        load_site(root)
        send.send(None)
    except (BuildFailed, SiteError) as failure:
        send.send(failure)
    except BrokenPipeError:  # pragma: no cover - the server has gone
        pass


def _content_type(path: str) -> str:
    if path.endswith(".html"):
        return "text/html; charset=utf-8"
    if path in ("_redirects", "_headers", "robots.txt"):
        return "text/plain; charset=utf-8"
    guessed = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return (
        f"{guessed}; charset=utf-8"
        if guessed.startswith("text/") or guessed.endswith("xml")
        else guessed
    )


def error_page(errors: list[SiteError]) -> bytes:
    """Every error with its place, the offending line and the hint; it reloads by itself
    (through livereload) once the file is fixed."""
    items = []
    for error in errors:
        where = html.escape(str(error.location)) if error.location else "input"
        context = error.context()
        line = f"<pre>{html.escape(context)}</pre>" if context is not None else ""
        hint = f'<p class="hint">{html.escape(error.hint)}</p>' if error.hint else ""
        items.append(
            f"<li><p><code>{where}</code>: {html.escape(error.problem)}</p>{line}{hint}</li>"
        )
    noun = "problem" if len(errors) == 1 else "problems"
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>Preview stopped: fix the input</title>\n<style>body{font:16px/1.5 system-ui,"
        "sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}li{margin:1rem 0}"
        "pre{background:#f4f4f4;padding:.5rem;overflow:auto}.hint{color:#0b5cad}</style>\n"
        "</head>\n<body>\n"
        f"<h1>{len(errors)} {noun} to fix</h1>\n"
        "<p>The preview reloads by itself once the files are saved without mistakes.</p>\n"
        f"<ol>{''.join(items)}</ol>\n</body>\n</html>\n"
    ).encode()


def show_errors(errors: list[SiteError]) -> None:
    """The errors in the terminal too, as `build` prints them."""
    for error in errors:
        print(f"error: {error.render()}", flush=True)


def source_stamp(root: Path) -> list[tuple[str, int, int]]:
    """Every source file with its size and modification time: tells whether anything was
    saved between two moments (cheap: no file is read)."""
    stamp = []
    for name in SOURCE_DIRS:
        for folder, _, files in os.walk(root / name):
            for file in files:
                path = os.path.join(folder, file)
                try:
                    info = os.stat(path)
                except OSError:  # removed meanwhile: that is a change too
                    continue
                stamp.append((path, info.st_size, info.st_mtime_ns))
    return sorted(stamp)


def open_preview(root: Path) -> tuple[Preview, SourceWatcher]:
    """The site loaded, and a watcher that already sees every save: one made while the
    site was loading (before the watcher was up) is caught by comparing the files'
    stamps once it is, so no save after start-up is ever missed."""
    before = source_stamp(root)
    preview = Preview(root)
    watcher = SourceWatcher(root, preview.reload)
    preview.notify = watcher.notify
    watcher.begin()
    if source_stamp(root) != before:
        show_errors(preview.reload())
    return preview, watcher


class SourceWatcher:
    """A livereload watcher driven by `watchfiles` (inotify): a save is seen at once, and a
    burst of saves becomes one reload of the site and one reload of the pages. Nothing
    that goes wrong in a reload stops it from watching."""

    def __init__(self, root: Path, on_change: Callable[[], list[SiteError]]) -> None:
        self.root = root
        self.on_change = on_change
        self.filepath: str | None = None
        self._changes: list[tuple[str, float | None]] = []
        self._tasks: dict[str, Any] = {"sources": None}
        self._pending: str | None = None
        self._lock = threading.Lock()
        self._loop: Any = None
        self._callback: Callable[[], None] | None = None
        self._ready = threading.Event()

    def begin(self, timeout: float = 60.0) -> None:
        """Start watching in a thread of its own; return once saves are seen."""
        threading.Thread(target=self._run, daemon=True).start()
        if not self._ready.wait(timeout):
            raise SiteError(f"the preview could not watch the files within {timeout:.0f} s")

    # the interface livereload's handler calls
    def watch(self, path: str, func: Any = None, delay: Any = None, ignore: Any = None) -> None:
        return None

    def start(self, callback: Callable[[], None]) -> bool:
        from tornado.ioloop import IOLoop

        self._loop, self._callback = IOLoop.current(), callback
        return True

    def notify(self, path: str = "*") -> None:
        """Tell the open pages to reload (from any thread)."""
        with self._lock:
            self._pending = path
        if self._loop is not None and self._callback is not None:
            self._loop.add_callback(self._callback)

    def examine(self) -> tuple[str | None, float | None]:
        with self._lock:
            pending, self._pending = self._pending, None
        if self._changes:
            return self._changes.pop()
        self.filepath = pending
        return pending, None

    def _run(self) -> None:
        while True:
            try:
                self._watch()
            except Exception as exc:  # watching itself failed: say so, and watch again
                print(f"error: watching the files failed ({exc!r}); watching again", flush=True)
                time.sleep(0.5)

    def _watch(self) -> None:
        import watchfiles

        folders = [str(self.root / name) for name in SOURCE_DIRS if (self.root / name).is_dir()]
        for changes in watchfiles.watch(
            *(folders or [str(self.root)]),
            debounce=int(DEBOUNCE_SECONDS * 1000),
            step=20,
            rust_timeout=READY_POLL_MS,  # the first (empty) answer says it is watching
            yield_on_timeout=True,
            recursive=bool(folders),
        ):
            self._ready.set()
            if changes:
                self._changed(sorted(path for _, path in changes))

    def _changed(self, changed: list[str]) -> None:
        started = time.perf_counter()
        try:
            errors = self.on_change()
        except Exception as exc:  # never let a reload stop the watching
            errors = [SiteError(f"the preview could not reload: {exc!r}")]
        self.notify(changed[0])
        print(
            f"reloaded after a change to {relpath(Path(changed[0]), self.root)} "
            f"({time.perf_counter() - started:.2f} s)",
            flush=True,
        )
        show_errors(errors)


def check_port(bind: str, port: int) -> None:
    """Refuse, before anything is printed, a port the server could not listen on."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(bind, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        for family, kind, proto, _, address in infos:
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tornado does
                probe.bind(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise SiteError(f"port {port} is in use", hint=f"try --port {port + 1}") from None
        reason = exc.strerror or str(exc)
        raise SiteError(f"cannot listen on {bind}:{port}: {reason}") from None
