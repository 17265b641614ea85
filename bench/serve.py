"""How fast the preview is for an editor: one command, one table of min / median / max.

For the sample site and for synthetic sites of the given sizes (bench/synth.py), the preview
is started as docs/editors-guide.md says (`build.py serve --port N` in the site's folder) and
measured `--runs` times each (default 5):

- start: from launching the server to the first guide served (HTTP);
- data save: a real headless Chromium shows a guide; the guide's drug is renamed in
  data/drugs.yaml, and the time runs until the page's H1 shows the new name;
- write-up save: the same with a sentence added to the guide's own write-up, until the page
  shows it.

    python bench/serve.py --sizes sample,200k --runs 5
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from chromium import H1, Page  # noqa: E402
from synth import write_site  # noqa: E402

TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def first_answer(url: str, started: float) -> float:
    """Seconds from `started` to the first 200 answer from `url`."""
    while time.perf_counter() - started < TIMEOUT:
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.005)
    raise SystemExit(f"no answer from {url} within {TIMEOUT:.0f} s")


@contextmanager
def serving(site: Path) -> Iterator[tuple[int, float]]:
    """`build.py serve --port N` in the site's folder; yields the port and its launch time."""
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "serve", "--port", str(port)],
        cwd=site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield port, started
    finally:
        stop(server)


def stop(server: subprocess.Popen[bytes]) -> None:
    """Ctrl+C, as an editor stops it: the server then also ends its background check (a
    killed server would leave that process running and slow the next measurement)."""
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def pick_guide(site: Path) -> tuple[str, Path, str]:
    """A guide with a write-up of its own: its URL, that write-up and its drug's name line."""
    write_up = sorted((site / "content/guides").rglob("*.md"))[0]
    payer, drug, reason = write_up.relative_to(site / "content/guides").with_suffix("").parts
    drugs = (site / "data/drugs.yaml").read_text(encoding="utf-8")
    record = re.search(rf"^- slug: {re.escape(drug)}\n(?:  .*\n)*?(  name: .+)$", drugs, re.M)
    assert record, drug
    return f"/{payer}/{drug}/{reason}/", write_up, record[1]


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def save_to_browser(page: Page, save: Callable[[], None], expression: str, shown: str) -> float:
    """Seconds from a save to the page showing `shown` in `expression`."""
    started = time.perf_counter()
    save()
    page.wait_for(expression, lambda value: shown in value, TIMEOUT)
    return time.perf_counter() - started


def measure(label: str, site: Path, runs: int) -> dict[str, list[float]]:
    url, write_up, name_line = pick_guide(site)
    figures: dict[str, list[float]] = {"start": [], "data save": [], "write-up save": []}
    for _ in range(runs):
        with serving(site) as (port, started):
            figures["start"].append(first_answer(f"http://127.0.0.1:{port}{url}", started))
    drugs = site / "data/drugs.yaml"
    page = Page()
    try:
        with serving(site) as (port, started):
            first_answer(f"http://127.0.0.1:{port}{url}", started)
            page.goto(f"http://127.0.0.1:{port}{url}")
            page.wait_for(H1, lambda h1: bool(h1), TIMEOUT)
            line = name_line
            for run in range(runs):
                new = f"{name_line}{run}"
                figures["data save"].append(
                    save_to_browser(
                        page,
                        lambda old=line, new=new: replace(drugs, old, new),
                        H1,
                        new.split("name: ", 1)[1] + " ",
                    )
                )
                line = new
                marker = f"Bench edit {run} of {label}."
                figures["write-up save"].append(
                    save_to_browser(
                        page,
                        lambda marker=marker: write_up.write_text(
                            write_up.read_text(encoding="utf-8") + f"\n{marker}\n",
                            encoding="utf-8",
                        ),
                        "document.body.innerText",
                        marker,
                    )
                )
    finally:
        page.close()
    return figures


def sample_site(dest: Path) -> Path:
    for name in ("data", "content", "templates", "static"):
        shutil.copytree(ROOT / name, dest / name)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="sample,200k")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"| site | measure | min s | median s | max s |  ({args.runs} runs each)")
    print("|---|---|---:|---:|---:|")
    for label in args.sizes.split(","):
        folder = Path(tempfile.mkdtemp(prefix=f"serve-{label}-"))
        try:
            if label == "sample":
                site = sample_site(folder / "site")
            else:
                guides = int(float(label.lower().replace("k", "e3").replace("m", "e6")))
                write_site(guides, folder / "site")
                site = folder / "site"
            for measure_name, values in measure(label, site, args.runs).items():
                print(
                    f"| {label} | {measure_name} | {min(values):.2f} | "
                    f"{statistics.median(values):.2f} | {max(values):.2f} |",
                    flush=True,
                )
        finally:
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
