"""Shared fixtures of the quality checks: the sample site built once, served on 127.0.0.1,
and the tools scripts/quality-tools.sh installs (Chromium, Java, node_modules).

Reports, screenshots and tool output go to test-artifacts/ (git-ignored) for people to read.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..conftest import ROOT, run
from .server import StaticServer

ARTIFACTS = ROOT / "test-artifacts"
NODE_MODULES = ROOT / "node_modules"
CHROME = Path("/usr/bin/chromium")
# Flags for every headless Chromium the checks start (each also gets a fresh profile): the
# ones bench/chromium.py starts the preview's browser with.
sys.path.insert(0, str(ROOT / "bench"))
from chromium import FLAGS as CHROME_FLAGS  # type: ignore[import-not-found]  # noqa: E402, F401

# Pages the browser checks visit: the home page, a payer hub and two indexable guides.
PAGES = {
    "home": "/",
    "payer-hub": "/cigna/",
    "guide-cigna-ocrevus": "/cigna/ocrevus/step-therapy/",
    "guide-bcbs-tecartus": "/blue-cross-blue-shield/tecartus/step-therapy/",
}


@dataclass(frozen=True)
class Tools:
    node: str
    java: str
    chrome: Path
    node_modules: Path

    def bin(self, name: str) -> str:
        return str(self.node_modules / ".bin" / name)

    def env(self) -> dict[str, str]:
        return {**os.environ, "CHROME_PATH": str(self.chrome)}


@pytest.fixture(scope="session")
def tools() -> Tools:
    """The installed tools; scripts/quality-tools.sh (run by scripts/test.sh) installs them."""
    hint = "run `bash scripts/quality-tools.sh` (scripts/test.sh does)"
    node, java = shutil.which("node"), shutil.which("java")
    assert node and java, f"node and java are needed; {hint}"
    assert CHROME.is_file(), f"{CHROME} is missing; {hint}"
    assert (NODE_MODULES / ".quality-tools-installed").is_file(), f"node_modules missing; {hint}"
    return Tools(node, java, CHROME, NODE_MODULES)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repo's sample site, built once into a temporary folder."""
    out = tmp_path_factory.mktemp("quality") / "output"
    result = run(ROOT, "build", "--out", str(out), "--quiet")
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def server(site: Path) -> Iterator[StaticServer]:
    """The built site over HTTP on a free port of 127.0.0.1; stopped after the session."""
    httpd = StaticServer(site)
    try:
        with socket.create_connection(("127.0.0.1", httpd.port), timeout=5):
            pass
        yield httpd
    finally:
        httpd.close()


def chrome_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh, empty --user-data-dir for one Chromium."""
    return tmp_path_factory.mktemp("chrome-profile")


def run_tool(
    args: list[str], timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a tool with a time limit; its output is captured as text."""
    return subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )
