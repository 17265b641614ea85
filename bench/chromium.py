"""A headless Chromium page driven over the DevTools protocol, for the preview's tests and
bench/serve.py: open a URL, read the page with JavaScript, wait until it shows something.

Chromium is started as tests/quality starts it (/usr/bin/chromium, headless, a fresh
profile), with `--remote-debugging-port=0`; the port it picks is read from the profile's
DevToolsActivePort file. Needs no Node modules: tornado's websocket client speaks the protocol.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tornado.websocket import WebSocketClientConnection, websocket_connect

CHROME = Path("/usr/bin/chromium")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


class Page:
    """One browser with one tab; `close()` stops the browser and removes its profile."""

    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
        self.process = subprocess.Popen(
            [
                str(CHROME),
                *FLAGS,
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.loop = asyncio.new_event_loop()
        self._next_id = 0
        try:
            port, path = self._devtools_address()
            self.socket: WebSocketClientConnection = self.loop.run_until_complete(
                _connect(f"ws://127.0.0.1:{port}{path}")
            )
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            attached = self.call("Target.attachToTarget", targetId=target, flatten=True)
            self.session: str = attached["sessionId"]
        except BaseException:
            self.close()
            raise

    def _devtools_address(self) -> tuple[str, str]:
        active = self.profile / "DevToolsActivePort"
        deadline = time.perf_counter() + self.timeout
        while time.perf_counter() < deadline:
            lines = active.read_text().splitlines() if active.is_file() else []
            if len(lines) >= 2:
                return lines[0], lines[1]
            if self.process.poll() is not None:
                raise RuntimeError(f"{CHROME} exited with status {self.process.returncode}")
            time.sleep(0.02)
        raise TimeoutError("Chromium did not open its DevTools port")

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result (events are skipped)."""
        return self.loop.run_until_complete(
            asyncio.wait_for(self._call(method, session, params), self.timeout)
        )

    async def _call(self, method: str, session: str | None, params: dict[str, Any]) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        await self.socket.write_message(json.dumps(message))
        while True:
            text = await self.socket.read_message()
            if text is None:
                raise RuntimeError("Chromium closed the DevTools connection")
            answer = json.loads(text)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]

    def goto(self, url: str) -> None:
        self.call("Page.navigate", self.session, url=url)

    def evaluate(self, expression: str) -> Any:
        """The expression's value in the page, or None while a page is (re)loading."""
        try:
            result = self.call(
                "Runtime.evaluate", self.session, expression=expression, returnByValue=True
            )
        except RuntimeError:  # the page navigated away meanwhile
            return None
        if "exceptionDetails" in result:
            return None
        return result["result"].get("value")

    def wait_for(
        self, expression: str, until: Callable[[Any], bool], timeout: float = 30.0
    ) -> tuple[Any, float]:
        """Poll the expression until `until(value)` holds; the value and the seconds it took."""
        started = time.perf_counter()
        value = None
        while time.perf_counter() - started < timeout:
            value = self.evaluate(expression)
            if value is not None and until(value):
                return value, time.perf_counter() - started
            time.sleep(0.01)
        raise TimeoutError(f"{expression} was still {value!r} after {timeout:.0f} s")

    def close(self) -> None:
        try:
            socket = getattr(self, "socket", None)
            if socket is not None:
                self.loop.run_until_complete(_close(socket))
        finally:
            self.process.kill()
            self.process.wait()
            self.loop.close()
            shutil.rmtree(self.profile, ignore_errors=True)


async def _connect(url: str) -> WebSocketClientConnection:
    # called inside the page's own event loop, which tornado then uses for the connection
    return await websocket_connect(url, max_message_size=1 << 28)


async def _close(socket: WebSocketClientConnection) -> None:
    socket.close()  # inside the loop it belongs to


H1 = "document.querySelector('h1') && document.querySelector('h1').textContent"
