"""The preview as docs/editors-guide.md tells an editor to run it: `python build.py serve
--port N` from the site's folder (the default root `.`), a real browser on a guide, and
saves one after another; plus the saves that land while the preview is starting."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from guidegen import devserver
from guidegen.errors import SiteError

from .conftest import ROOT, edit, typed
from .test_devserver import fetch, free_port, stop

sys.path.insert(0, str(ROOT / "bench"))
from chromium import CHROME, H1, Page  # type: ignore[import-not-found]  # noqa: E402

GUIDE = "/acme/alphamab/step-therapy/"
TIMEOUT = 30.0  # generous: a loaded 2-core machine


class EditorServer:
    """`python build.py serve --port N` with cwd = the site's folder, nothing else."""

    def __init__(self, site: Path, log: Path) -> None:
        self.port = free_port()
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "build.py"), "serve", "--port", str(self.port)],
                cwd=site,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.wait_for_output("Serving http://")

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_output(self, text: str, count: int = 1) -> str:
        deadline = time.perf_counter() + TIMEOUT
        while time.perf_counter() < deadline:
            output = self.output()
            if output.count(text) >= count:
                return output
            assert self.process.poll() is None, f"the server stopped:\n{output}"
            time.sleep(0.01)
        raise AssertionError(f"{text!r} x{count} not printed:\n{self.output()}")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        stop(self.process)


@pytest.fixture
def started(mini_site: Path, tmp_path: Path) -> Iterator[EditorServer]:
    server = EditorServer(mini_site, tmp_path / "serve.log")
    yield server
    server.stop()


@pytest.fixture
def page() -> Iterator[Page]:
    if not CHROME.is_file():
        pytest.skip(f"{CHROME} is not installed")
    browser = Page()
    yield browser
    browser.close()


def test_the_browser_follows_every_save_when_started_as_documented(
    started: EditorServer, page: Page, mini_site: Path
) -> None:
    drugs = mini_site / "data/drugs.yaml"
    page.goto(started.url(GUIDE))
    page.wait_for(H1, lambda h1: h1.startswith("Alphamab denied"), TIMEOUT)
    # two saves in a row, then a mistake and its fix: each one reaches the open page
    for n, (old, new, heading) in enumerate(
        [
            ("  name: Alphamab", "  name: Alphamax", "Alphamax denied"),
            ("  name: Alphamax", "  name: Alphamaz", "Alphamaz denied"),
            ("  name: Alphamaz", "  name: [Alphamaz", "1 problem to fix"),
            ("  name: [Alphamaz", "  name: Alphamab", "Alphamab denied"),
        ],
        start=1,
    ):
        edit(drugs, old, new)
        page.wait_for(H1, lambda h1, heading=heading: h1.startswith(heading), TIMEOUT)
        output = started.wait_for_output("reloaded after a change to data/drugs.yaml", n)
    assert "Traceback" not in output and "Exception" not in output
    assert "error: data/drugs.yaml:2: YAML syntax error" in output
    # a write-up edit reaches the page too
    edit(
        mini_site / "content/guides/acme/alphamab/step-therapy.md",
        "Acme wants cheaper drugs",
        "Acme now wants cheaper drugs",
    )
    page.wait_for("document.body.innerText", lambda text: "Acme now wants" in text, TIMEOUT)


@pytest.mark.parametrize("attempt", range(5))
def test_a_fix_saved_right_after_start_up_is_served(
    mini_site: Path, tmp_path: Path, attempt: int
) -> None:
    drugs = mini_site / "data/drugs.yaml"
    edit(drugs, "  name: Alphamab", "  name: [Alphamab")
    server = EditorServer(mini_site, tmp_path / "serve.log")  # returns once "Serving" is out
    try:
        assert "1 problem to fix, shown in the browser" in server.output()
        edit(drugs, "  name: [Alphamab", f"  name: Alphamab{attempt}")
        deadline = time.perf_counter() + TIMEOUT
        status, body = fetch(server.port, GUIDE)
        while status != 200 and time.perf_counter() < deadline:
            time.sleep(0.02)
            status, body = fetch(server.port, GUIDE)
        assert status == 200 and f"Alphamab{attempt} denied".encode() in body
    finally:
        server.stop()


def test_a_save_while_the_site_loads_is_not_missed(
    mini_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is fixed after the site was loaded but before the watcher is up: the
    stamps taken around it catch the save."""
    drugs = mini_site / "data/drugs.yaml"
    edit(drugs, "  name: Alphamab", "  name: [Alphamab")
    begin = devserver.SourceWatcher.begin

    def fix_then_begin(watcher: devserver.SourceWatcher, timeout: float = 60.0) -> None:
        edit(drugs, "  name: [Alphamab", "  name: Alphamab")
        begin(watcher, timeout)

    monkeypatch.setattr(devserver.SourceWatcher, "begin", fix_then_begin)
    preview, _ = devserver.open_preview(mini_site)
    assert preview.errors == [] and preview.site is not None
    assert preview.site.data.drugs[0].name == "Alphamab"


@pytest.mark.parametrize("attempt", range(3))
def test_the_watcher_sees_a_save_made_as_soon_as_it_is_open(mini_site: Path, attempt: int) -> None:
    preview, _ = devserver.open_preview(mini_site)
    edit(mini_site / "data/drugs.yaml", "  name: Alphamab", f"  name: Alphamab{attempt}")
    deadline = time.perf_counter() + TIMEOUT
    while time.perf_counter() < deadline:
        site = preview.site
        if site is not None and site.data.drugs[0].name == f"Alphamab{attempt}":
            return
        time.sleep(0.02)
    raise AssertionError("the save was not seen")


def test_a_reload_that_raises_does_not_stop_the_watcher(
    mini_site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[int] = []

    def on_change() -> list[SiteError]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return []

    watcher = devserver.SourceWatcher(mini_site, on_change)
    watcher.begin()
    for n in (1, 2):
        edit(mini_site / "data/site.yaml", "tagline: ", f"tagline: {n}")
        deadline = time.perf_counter() + TIMEOUT
        while len(calls) < n and time.perf_counter() < deadline:
            time.sleep(0.02)
        assert len(calls) == n
    printed = capsys.readouterr().out
    assert "error: the preview could not reload: RuntimeError('boom')" in printed
    assert re.search(r"reloaded after a change to data/site.yaml .*\n.*\n.*data/site.yaml", printed)


def test_an_unexpected_failure_while_loading_becomes_the_error_page(
    mini_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    preview = devserver.Preview(mini_site)
    assert preview.site is not None

    def broken(root: Path, lazy: bool = False) -> None:
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    monkeypatch.setattr(devserver, "load_site", broken)
    errors = preview.reload()
    assert [e.problem for e in errors] == [
        "the preview could not load the site: UnicodeDecodeError('utf-8', b'\\xff', 0, 1, "
        "'invalid start byte')"
    ]
    page = devserver.error_page(errors).decode()
    assert "<h1>1 problem to fix</h1>" in page


@pytest.mark.parametrize("root", [None, ".", "../site", "absolute"])
def test_every_command_works_with_any_spelling_of_the_root(
    mini_site: Path, tmp_path: Path, root: str | None
) -> None:
    cwd = tmp_path / "elsewhere" if root == "../site" else mini_site
    cwd.mkdir(exist_ok=True)
    where = [] if root is None else ["--root", str(mini_site) if root == "absolute" else root]
    assert typed(cwd, *where, "check").returncode == 0
    built = typed(cwd, *where, "build")
    assert built.returncode == 0, built.stderr
    shown = "../site/output" if root == "../site" else "output"
    assert built.stdout.rstrip().endswith(f"-> {shown}"), built.stdout
    assert typed(cwd, *where, "build").stdout.startswith(
        f"Up to date: no input changed since the last build of {shown} "
    )
    made = typed(cwd, *where, "new", "bluebird", "betamab", "step-therapy")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(
        "Created content/guides/bluebird/betamab/step-therapy.md as a draft: "
    )
    assert typed(cwd, *where, "stats").returncode == 0


@pytest.mark.parametrize("root", [".", "../site"])
def test_the_preview_follows_saves_with_a_relative_root(
    mini_site: Path, tmp_path: Path, root: str
) -> None:
    cwd = tmp_path / "elsewhere" if root == "../site" else mini_site
    cwd.mkdir(exist_ok=True)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "build.py"), "--root", root, "serve", "--port", str(port)],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        drugs = mini_site / "data/drugs.yaml"
        for n, name in enumerate(["Alphamax", "Alphamaz"], start=1):
            deadline = time.perf_counter() + TIMEOUT
            while "Serving http://" not in log.read_text() and time.perf_counter() < deadline:
                time.sleep(0.02)
            old = "Alphamab" if n == 1 else "Alphamax"
            edit(drugs, f"  name: {old}", f"  name: {name}")
            status, body = 0, b""
            while f"{name} denied".encode() not in body and time.perf_counter() < deadline:
                time.sleep(0.02)
                status, body = fetch(port, GUIDE)
            assert status == 200 and f"{name} denied".encode() in body
        printed = "reloaded after a change to data/drugs.yaml"
        while log.read_text().count(printed) < 2 and time.perf_counter() < deadline:
            time.sleep(0.02)
        output = log.read_text()
        assert output.count(printed) == 2, output
        assert "Traceback" not in output
    finally:
        stop(process)
