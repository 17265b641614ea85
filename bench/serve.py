"""How fast the preview server is at any size: one command, one table.

For each size it writes a synthetic site (bench/synth.py), starts `build.py serve` on a free
127.0.0.1 port, and measures the seconds from launch to the first guide served, from a save
to the livereload "reload" message (a drug record, a write-up, the guide template), and the
first guide served after that save.

    python bench/serve.py --sizes 10k,100k,1M
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tornado.websocket import websocket_connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from synth import write_site  # noqa: E402


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return bytes(response.read())


def first_answer(url: str, started: float) -> float:
    while time.perf_counter() - started < 60:
        try:
            get(url)
            return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.01)
    raise SystemExit(f"no answer from {url} within 60 s")


async def reload_latency(port: int, change: Callable[[], None]) -> float:
    """Listen as the page's livereload script does, save, and time the reload message."""
    socket_ = await websocket_connect(f"ws://127.0.0.1:{port}/livereload")
    await socket_.write_message(json.dumps({"command": "hello", "protocols": []}))
    await socket_.read_message()
    await socket_.write_message(json.dumps({"command": "info", "url": "/"}))
    await asyncio.sleep(0.5)
    started = time.perf_counter()
    change()
    while True:
        message = await asyncio.wait_for(socket_.read_message(), timeout=30)
        if message is None:
            raise SystemExit("the server closed the livereload connection")
        if json.loads(message).get("command") == "reload":
            socket_.close()
            return time.perf_counter() - started


def replace_once(path: Path, old: str, new: str) -> Callable[[], None]:
    def change() -> None:
        text = path.read_text(encoding="utf-8")
        assert old in text, (path, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return change


def measure(label: str, guides: int, folder: Path) -> dict[str, object]:
    shape = write_site(guides, folder)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    payers = re.findall(r"^- slug: (\S+)", (folder / "data/payers.yaml").read_text(), re.M)
    drugs = re.findall(r"^- slug: (\S+)", (folder / "data/drugs.yaml").read_text(), re.M)
    guide = f"http://127.0.0.1:{port}/{payers[-1]}/{drugs[1]}/step-therapy/"
    command = [sys.executable, str(ROOT / "build.py"), "--root", str(folder), "serve"]
    started = time.perf_counter()
    server = subprocess.Popen(
        [*command, "--port", str(port), "--stop-after", "600"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        row: dict[str, object] = {"size": label, "guides": shape["guides"]}
        row["first_guide_s"] = first_answer(guide, started)
        drug_line = re.search(r"^  name: .+$", (folder / "data/drugs.yaml").read_text(), re.M)
        assert drug_line
        write_up = next(iter(sorted((folder / "content").rglob("*.md"))))
        edits = {
            "drug": replace_once(folder / "data/drugs.yaml", drug_line[0], drug_line[0] + "x"),
            "write_up": replace_once(write_up, "\n\n", "\n\nEdited.\n\n"),
            "template": replace_once(
                folder / "templates/guide.html", "</article>", "</article><!-- e -->"
            ),
        }
        for name, change in edits.items():
            row[f"{name}_reload_s"] = asyncio.run(reload_latency(port, change))
            again = time.perf_counter()
            get(guide)
            row[f"{name}_next_page_s"] = time.perf_counter() - again
        return row
    finally:
        server.kill()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1M")
    args = parser.parse_args()
    rows = []
    for label in args.sizes.split(","):
        guides = int(float(label.lower().replace("k", "e3").replace("m", "e6")))
        folder = Path(tempfile.mkdtemp(prefix=f"serve-{label}-"))
        try:
            rows.append(measure(label, guides, folder / "site"))
        finally:
            shutil.rmtree(folder)
    keys = [k for k in rows[0] if k != "size"]
    print("| measure | " + " | ".join(f"{r['size']} guides" for r in rows) + " |")
    print("|---|" + "---:|" * len(rows))
    for key in keys:
        cells = [f"{r[key]:,}" if isinstance(r[key], int) else f"{r[key]:.2f}" for r in rows]
        print(f"| {key.replace('_', ' ')} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
