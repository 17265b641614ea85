"""The preview server, run for real: it serves what build writes, reloads open pages
within a second of a save, shows mistakes as a page and recovers once they are fixed,
and starts at once on a large matrix."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from tornado.websocket import websocket_connect

from .conftest import ROOT, edit, run

sys.path.insert(0, str(ROOT / "bench"))
from serve import stop  # type: ignore[import-not-found]  # noqa: E402  # Ctrl+C, then wait

LIVERELOAD_SCRIPT = re.compile(rb"<script[^>]*>[^<]*livereload[^<]*</script>", re.DOTALL)
RELOAD_BOUND = 1.0  # seconds from a save to the reload message


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


class Server:
    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "build.py"),
                "--root",
                str(root),
                "serve",
                "--port",
                str(self.port),
                "--stop-after",
                "120",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.ready = self.wait_until_serving()

    def wait_until_serving(self) -> float:
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline:
            try:
                fetch(self.port, "/robots.txt")
                return time.perf_counter() - self.started
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.02)
        raise AssertionError("the server did not start")

    def stop(self) -> None:
        stop(self.process)


@pytest.fixture
def server(mini_site: Path) -> Iterator[Server]:
    started = Server(mini_site)
    yield started
    started.stop()


def without_livereload(body: bytes) -> bytes:
    return LIVERELOAD_SCRIPT.sub(b"", body, count=1)


def test_serves_exactly_what_build_writes(server: Server, mini_site: Path, tmp_path: Path) -> None:
    assert run(mini_site, "build", "--out", str(tmp_path / "out")).exit_code == 0
    out = tmp_path / "out"
    paths = [
        "/",
        "/acme/",
        "/acme/alphamab/",
        "/acme/alphamab/step-therapy/",
        "/drugs/betamab/",
        "/reasons/off-label/",
        "/cardinal/gammatide/quantity-limits/",
        "/acme-old/alphamab/",
        "/404.html",
        "/robots.txt",
        "/sitemap.xml",
        "/sitemaps/payer-acme.xml",
        "/_redirects",
    ]
    css = next((out / "assets").glob("site.*.css")).name
    paths.append(f"/assets/{css}")
    for path in paths:
        status, body = fetch(server.port, path)
        assert status == 200, path
        written = (
            (out / path.lstrip("/") / "index.html")
            if path.endswith("/")
            else out / path.lstrip("/")
        )
        assert without_livereload(body) == written.read_bytes(), path
    status, body = fetch(server.port, "/no/such/page/")
    assert status == 404 and without_livereload(body) == (out / "404.html").read_bytes()
    assert b"livereload" in fetch(server.port, "/acme/")[1]


async def _reload_after(port: int, change: object) -> float:
    """Open a livereload connection as the browser script does, make a change, and return
    the seconds until the reload message arrives."""
    connection = await websocket_connect(f"ws://127.0.0.1:{port}/livereload")
    try:
        await connection.write_message(json.dumps({"command": "hello", "protocols": []}))
        await connection.read_message()
        await connection.write_message(
            json.dumps({"command": "info", "url": f"http://127.0.0.1:{port}/"})
        )
        await asyncio.sleep(0.3)
        started = time.perf_counter()
        change()  # type: ignore[operator]
        while True:
            message = await asyncio.wait_for(connection.read_message(), timeout=10)
            assert message is not None
            if json.loads(message).get("command") == "reload":
                return time.perf_counter() - started
    finally:
        connection.close()
        while await connection.read_message() is not None:  # until the server has closed it
            pass


def reload_after(port: int, change: object) -> float:
    return asyncio.run(_reload_after(port, change))


def test_a_save_reloads_the_page_and_a_mistake_shows_where_it_is(
    server: Server, mini_site: Path
) -> None:
    guide = "/acme/alphamab/step-therapy/"
    assert b"Alphamab denied for failing step therapy" in fetch(server.port, guide)[1]

    latency = reload_after(
        server.port,
        lambda: edit(mini_site / "data/drugs.yaml", "  name: Alphamab", "  name: Alphamax"),
    )
    assert latency < RELOAD_BOUND, f"reload took {latency:.2f} s"
    assert b"Alphamax denied for failing step therapy" in fetch(server.port, guide)[1]

    latency = reload_after(
        server.port,
        lambda: edit(mini_site / "data/drugs.yaml", "  name: Alphamax", "  name: [Alphamax"),
    )
    assert latency < RELOAD_BOUND
    status, body = fetch(server.port, guide)
    assert status == 500
    text = body.decode()
    assert "data/drugs.yaml:2</code>: YAML syntax error" in text  # where the [ opens
    assert "[Alphamax" in text  # the offending line
    assert b"livereload" in body  # the error page reloads itself once fixed

    latency = reload_after(
        server.port,
        lambda: edit(mini_site / "data/drugs.yaml", "  name: [Alphamax", "  name: Alphamax"),
    )
    assert latency < RELOAD_BOUND
    status, body = fetch(server.port, guide)
    assert status == 200 and b"Alphamax denied" in body


def test_write_up_and_template_mistakes_are_shown_with_their_line(
    server: Server, mini_site: Path
) -> None:
    guide = "/acme/alphamab/step-therapy/"
    reload_after(
        server.port,
        lambda: edit(
            mini_site / "content/guides/acme/alphamab/step-therapy.md",
            "Acme wants cheaper drugs",
            "{{ drug.nmae }} wants cheaper drugs",
        ),
    )
    deadline = time.perf_counter() + 5
    status, body = fetch(server.port, guide)
    while status != 500 and time.perf_counter() < deadline:
        time.sleep(0.1)
        status, body = fetch(server.port, guide)
    assert status == 500
    assert (
        b"content/guides/acme/alphamab/step-therapy.md:8</code>: &#x27;drug&#x27; has no field &#x27;nmae&#x27;"
        in body
    )
    assert b"did you mean &#x27;name&#x27;?" in body


def test_starts_at_once_on_a_large_matrix(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from synth import write_site  # type: ignore[import-not-found]

    shape = write_site(200_000, tmp_path / "big")
    assert shape["guides"] > 190_000
    big = Server(tmp_path / "big")
    try:
        payers = re.findall(
            r"^- slug: (\S+)", (tmp_path / "big/data/payers.yaml").read_text(), re.M
        )
        drugs = re.findall(r"^- slug: (\S+)", (tmp_path / "big/data/drugs.yaml").read_text(), re.M)
        status, body = fetch(big.port, f"/{payers[-1]}/{drugs[1]}/step-therapy/")
        first_answer = time.perf_counter() - big.started
        assert status == 200 and b"denied for failing step therapy" in body
        assert first_answer < 2.0, f"first page after {first_answer:.2f} s"
        # a save while the full check of the start is still running reloads within the bound
        drugs_file = tmp_path / "big/data/drugs.yaml"
        name = re.findall(r"^  name: (.+)$", drugs_file.read_text(), re.M)[1]
        latency = reload_after(
            big.port, lambda: edit(drugs_file, f"  name: {name}\n", f"  name: {name} Edited\n")
        )
        assert latency < RELOAD_BOUND, f"reload message after {latency:.2f} s"
        status, body = fetch(big.port, f"/{payers[-1]}/{drugs[1]}/step-therapy/")
        assert status == 200 and f"{name} Edited".encode() in body
    finally:
        big.stop()
