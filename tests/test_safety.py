"""Faults: a build killed at any moment leaves the previous output or the new one, never a
mix; builds are byte-identical whatever the environment."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT, edit
from .test_incremental import site_files


def build_command(root: Path, *extra: str) -> list[str]:
    return [sys.executable, str(ROOT / "build.py"), "--root", str(root), "build", "--quiet", *extra]


def build_in_subprocess(root: Path, env: dict[str, str] | None = None, *extra: str) -> None:
    subprocess.run(build_command(root, *extra), check=True, env={**os.environ, **(env or {})})


def test_builds_are_identical_whatever_the_environment(mini_site: Path, tmp_path: Path) -> None:
    first = tmp_path / "first"
    build_in_subprocess(
        mini_site,
        {"PYTHONHASHSEED": "1", "TZ": "UTC", "LC_ALL": "C"},
        "--out",
        str(first),
        "--jobs",
        "1",
    )
    # the same inputs, created in the opposite order (so listed in another order), built
    # with another hash seed, time zone, locale and number of workers, seconds later
    other = tmp_path / "other-site"
    other.mkdir()
    for path in sorted(mini_site.rglob("*"), reverse=True):
        target = other / path.relative_to(mini_site)
        if path.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    time.sleep(1.1)
    second = tmp_path / "second"
    build_in_subprocess(
        other,
        {"PYTHONHASHSEED": "4242", "TZ": "Pacific/Kiritimati", "LC_ALL": "C.UTF-8"},
        "--out",
        str(second),
        "--jobs",
        "3",
    )
    assert site_files(first) == site_files(second)


def kill_build_after(root: Path, delay: float) -> bool:
    """Start a build, SIGKILL it and its workers after `delay` seconds; True if it had
    already finished by then."""
    process = subprocess.Popen(build_command(root, "--jobs", "2"), start_new_session=True)
    try:
        process.wait(timeout=delay)
        return True
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return False


def no_temporary_files(out: Path) -> bool:
    return not any(".tmp-" in p.name or ".lnk-" in p.name for p in out.rglob("*"))


@pytest.mark.parametrize("fraction", [0.05, 0.25, 0.5, 0.75, 0.9, 0.97])
def test_a_killed_build_leaves_the_old_or_the_new_output(
    sample_copy: Path, tmp_path: Path, fraction: float
) -> None:
    out = sample_copy / "output"
    build_in_subprocess(sample_copy)
    build_in_subprocess(sample_copy, None)  # up to date; the spare generation comes next
    old = site_files(out)
    edit(
        sample_copy / "templates/guide.html",
        "<h1>{{ page.heading }}</h1>",
        '<h1 class="question">{{ page.heading }}</h1>',
    )
    new_root = tmp_path / "expected"
    shutil.copytree(sample_copy, new_root, ignore=shutil.ignore_patterns("output", ".output*"))
    build_in_subprocess(new_root, None, "--out", str(tmp_path / "new"))
    new = site_files(tmp_path / "new")
    assert old != new
    started = time.perf_counter()
    build_in_subprocess(new_root, None, "--out", str(tmp_path / "timing"), "--jobs", "2")
    duration = time.perf_counter() - started
    finished = kill_build_after(sample_copy, duration * fraction)
    state = site_files(out)
    assert state in (old, new), "the output is a mix of two builds"
    assert state == new or not finished
    assert no_temporary_files(out)
    build_in_subprocess(sample_copy)  # the next build recovers and completes
    assert site_files(out) == new


def test_a_killed_first_build_leaves_nothing_or_everything(mini_site: Path, tmp_path: Path) -> None:
    build_in_subprocess(mini_site, None, "--out", str(tmp_path / "expected"))
    expected = site_files(tmp_path / "expected")
    out = mini_site / "output"
    for delay in (0.1, 0.3, 0.5, 0.7, 0.9):
        if out.exists():
            shutil.rmtree(out)
        kill_build_after(mini_site, delay)
        assert not out.exists() or site_files(out) == expected, "a partial output appeared"
        assert no_temporary_files(mini_site)
    build_in_subprocess(mini_site)
    assert site_files(out) == expected
    assert not [p for p in mini_site.glob(".output.staging-*") if ".trash-" not in p.name]
