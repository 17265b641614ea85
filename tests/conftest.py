"""Shared fixtures: a small test site built from tests/fixtures/mini and the repo's templates."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from build import cli

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "mini"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/ from the current output instead of comparing",
    )


def copy_site(source: Path, dest: Path) -> Path:
    """A site folder: data and content from `source`, templates and static from the repo."""
    shutil.copytree(source / "data", dest / "data")
    shutil.copytree(source / "content", dest / "content")
    shutil.copytree(ROOT / "templates", dest / "templates")
    shutil.copytree(ROOT / "static", dest / "static")
    return dest


@pytest.fixture
def mini_site(tmp_path: Path) -> Path:
    return copy_site(MINI, tmp_path / "site")


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A private copy of the repo's sample site, safe to edit."""
    return copy_site(ROOT, tmp_path / "sample")


def run(root: Path, *args: str) -> Result:
    """Run the CLI against a site root, as `python build.py --root ROOT ...`."""
    return CliRunner().invoke(cli, ["--root", str(root), *args], catch_exceptions=False)


def typed(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python build.py ARGS` typed in a folder, as docs/editors-guide.md tells editors
    (`env`: variables set on top of this process's)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=None if env is None else {**os.environ, **env},
    )


def pass_strict(site: Path) -> Path:
    """Make the small test site pass `--strict` (its two specific write-ups are short), as
    the publish workflow builds with it."""
    for rel in (
        "content/drugs/alphamab/off-label.md",
        "content/guides/acme/alphamab/step-therapy.md",
    ):
        path = site / rel
        words = " ".join(f"word{n}" for n in range(260))
        path.write_text(path.read_text(encoding="utf-8") + f"\n{words}\n", encoding="utf-8")
    return site


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact snippet in a file (fails loudly when it is not there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


Editor = Callable[[Path, str, str], None]


# Trees a build replaces are deleted in a background process by default; tests wait for
# the deletion instead, so that they leave no work behind.
os.environ.setdefault("GUIDEGEN_SYNC_DELETE", "1")
