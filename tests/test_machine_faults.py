"""The machine: concurrent builds, a full or read-only disk, a busy port, Ctrl+C, odd folders.

Each fault ends as one clear line and a non-zero exit, never a traceback, and a failed
build leaves the previous output as it was. Faults are real where the machine allows it
(two processes, a small tmpfs when we may mount one, SIGINT to the build's process group)
and injected in-process otherwise.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from guidegen import pipeline, writer
from guidegen.buildlock import output_lock

from .conftest import ROOT, run
from .test_incremental import site_files
from .test_untrusted_files import as_typed

LOCKED = "another build (pid {pid}) is writing to this folder (wait for it to finish, or use another --out)"

# Runs build.py with one function of the package made to wait: it creates READY (in
# whichever process calls it, workers included) and returns once RELEASE exists. A
# deterministic point at which to interrupt, kill or race a real build.
HOLD = """
import os, runpy, sys, time
sys.path.insert(0, {root!r})
import {module} as held_module
original = held_module.{name}
def held(*args, **kwargs):
    open({ready!r}, "a").close()
    while not os.path.exists({release!r}):
        time.sleep(0.02)
    return original(*args, **kwargs)
held_module.{name} = held
sys.argv = [{build!r}, *sys.argv[1:]]
runpy.run_path({build!r}, run_name="__main__")
"""


_STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _no_held_build_left() -> Iterator[None]:
    """A test that fails while a build is held must not leave it (and its workers) waiting."""
    yield
    while _STARTED:
        process = _STARTED.pop()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)


class HeldBuild:
    """A real `python build.py build ...` (or another command) from the site's folder, held
    at `where` (a function of the package, `module.name`)."""

    def __init__(self, site: Path, where: str, *args: str, command: str = "build") -> None:
        module, name = where.rsplit(".", 1)
        self.ready = site.parent / f"ready-{time.monotonic_ns()}"
        self.release = site.parent / f"release-{time.monotonic_ns()}"
        code = HOLD.format(
            root=str(ROOT),
            module=module,
            name=name,
            ready=str(self.ready),
            release=str(self.release),
            build=str(ROOT / "build.py"),
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, command, *args],
            cwd=site,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, like a job in a terminal
        )
        _STARTED.append(self.process)

    def wait_until_held(self) -> None:
        deadline = time.monotonic() + 60
        while not self.ready.exists():
            assert self.process.poll() is None, self.process.communicate()
            assert time.monotonic() < deadline, "the build never reached the point"
            time.sleep(0.02)

    def go_on(self) -> tuple[int, str, str]:
        self.release.touch()
        out, err = self.process.communicate(timeout=120)
        return self.process.returncode, out, err

    def signal_group(self, sig: int) -> tuple[int, str, str]:
        os.killpg(self.process.pid, sig)
        out, err = self.process.communicate(timeout=60)
        return self.process.returncode, out, err


@pytest.fixture
def built(mini_site: Path) -> Path:
    """The mini site, built once into output/ (the previous output later builds keep)."""
    assert as_typed(mini_site, "build", "--quiet").returncode == 0
    return mini_site


def change_a_page(site: Path) -> None:
    path = site / "content/reasons/off-label.md"
    path.write_text(path.read_text() + "\nOne more line.\n")


# -- two builds at once -----------------------------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_second_build_into_the_same_output_is_refused(built: Path, jobs: str) -> None:
    change_a_page(built)
    first = HeldBuild(built, "guidegen.builder.run_unit", "--quiet", "--jobs", jobs)
    first.wait_until_held()
    second = as_typed(built, "build")
    assert second.returncode == 1
    assert second.stderr == f"error: output: {LOCKED.format(pid=first.process.pid)}\n"
    assert "Traceback" not in second.stderr
    code, _, err = first.go_on()
    assert (code, err) == (0, "")
    assert "One more line." in (built / "output/acme/betamab/off-label/index.html").read_text()
    assert as_typed(built, "build").stdout.startswith("Up to date")  # the lock is free again


def test_another_out_is_not_locked_by_a_running_build(built: Path) -> None:
    change_a_page(built)
    first = HeldBuild(built, "guidegen.builder.run_unit", "--quiet", "--jobs", "1")
    first.wait_until_held()
    other = as_typed(built, "build", "--quiet", "--out", "elsewhere")
    assert (other.returncode, other.stderr) == (0, "")
    assert first.go_on()[0] == 0


@pytest.mark.parametrize("who", ["the build", "the build and its workers"])
def test_a_killed_build_leaves_no_stale_lock(built: Path, who: str) -> None:
    change_a_page(built)
    before = site_files(built / "output")
    first = HeldBuild(built, "guidegen.builder.run_unit", "--quiet", "--jobs", "2")
    first.wait_until_held()
    if who == "the build":  # the workers live on, orphaned: they must not hold the lock
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=30)  # (the workers still hold its stdout and stderr)
    else:
        first.signal_group(signal.SIGKILL)
    assert site_files(built / "output") == before
    again = as_typed(built, "build", "--quiet")  # (orphaned workers are killed at teardown)
    assert (again.returncode, again.stderr) == (0, "")


def test_the_lock_is_refused_in_process_too(mini_site: Path) -> None:
    out = (mini_site / "output").resolve()
    with output_lock(out, "output"):
        result = run(mini_site, "build", "--out", str(mini_site / "output"))
    assert result.exit_code == 1
    assert result.output == f"error: {mini_site / 'output'}: {LOCKED.format(pid=os.getpid())}\n"
    assert run(mini_site, "build", "--quiet").exit_code == 0


# -- Ctrl+C -----------------------------------------------------------------------------

INTERRUPTED = "Interrupted; the previous output is unchanged.\n"


@pytest.mark.parametrize(
    "where, jobs",
    [
        ("guidegen.builder.run_unit", "2"),  # workers busy rendering
        ("guidegen.builder.run_unit", "3"),
        ("guidegen.builder.run_unit", "1"),  # no workers: the build renders itself
        ("guidegen.pipeline.load_site", "2"),  # still loading, before any worker
        ("guidegen.pipeline._content_warnings", "2"),  # the spare is open, nothing rendered
    ],
)
def test_ctrl_c_is_one_line_exit_130_and_no_worker_traceback(
    built: Path, where: str, jobs: str
) -> None:
    change_a_page(built)
    before = site_files(built / "output")
    build = HeldBuild(built, where, "--jobs", jobs)
    build.wait_until_held()
    time.sleep(0.2)  # let the other workers reach their wait
    code, out, err = build.signal_group(signal.SIGINT)
    assert code == 130
    assert err == INTERRUPTED
    assert "Traceback" not in err + out
    assert site_files(built / "output") == before
    assert not list(built.glob(".output.staging-*"))
    again = as_typed(built, "build", "--quiet")
    assert (again.returncode, again.stderr) == (0, "")


def test_ctrl_c_in_another_command_is_one_line(mini_site: Path) -> None:
    check = HeldBuild(mini_site, "guidegen.pipeline.load_site", command="check")
    check.wait_until_held()
    code, out, err = check.signal_group(signal.SIGINT)
    assert (code, out, err) == (130, "", "Interrupted.\n")


# -- a full or failing disk -------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs (the mini site's output is about 1.2 MB); skipped where we may not mount."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root); the injected faults cover it")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path, leave_kb: int) -> None:
    """Fill the disk `folder` is on, then free `leave_kb` of it again."""
    with open(folder / "filler", "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        handle.truncate(max(0, handle.tell() - leave_kb * 1024))


@pytest.mark.parametrize("leave_kb", [0, 400])  # full at the manifest's copy, or at pages
def test_a_full_disk_is_one_line_every_time_and_the_output_stays(
    mini_site: Path, small_disk: Path, leave_kb: int
) -> None:
    out = small_disk / "site"
    assert as_typed(mini_site, "build", "--quiet", "--out", str(out)).returncode == 0
    before = site_files(out)
    change_a_page(mini_site)
    (mini_site / "content/reasons/step-therapy.md").write_text(
        "## Step therapy\n\n" + "A longer write-up. " * 3000 + "\n"
    )
    fill(small_disk, leave_kb)
    for attempt in range(3):  # the second try once failed in the manifest copy
        result = as_typed(mini_site, "build", "--out", str(out))
        assert result.returncode == 1, result.stdout
        assert "Traceback" not in result.stderr
        lines = result.stderr.splitlines()
        assert len(lines) == 2, (attempt, result.stderr)
        assert lines[0].startswith("error: ")
        assert lines[0].endswith(
            (
                "No space left on device (the previous output is unchanged)",
                "database or disk is full (the previous output is unchanged)",
            )
        ), lines[0]
        assert lines[1] == "1 error; nothing was written."
        assert site_files(out) == before
    (small_disk / "filler").unlink()
    assert as_typed(mini_site, "build", "--quiet", "--out", str(out)).returncode == 0
    assert "A longer write-up." in (out / "acme/betamab/step-therapy/index.html").read_text()


@pytest.mark.parametrize(
    "code, reason",
    [
        (errno.ENOSPC, "No space left on device"),
        (errno.EROFS, "Read-only file system"),
        (errno.EACCES, "Permission denied"),
        (errno.ELOOP, "Too many levels of symbolic links"),
        (errno.ENAMETOOLONG, "File name too long"),
    ],
)
def test_a_failing_write_is_one_line(
    built: Path, monkeypatch: pytest.MonkeyPatch, code: int, reason: str
) -> None:
    change_a_page(built)
    before = site_files(built / "output")

    def failing(self: writer.Workspace, rel: str, data: bytes) -> None:
        raise OSError(code, os.strerror(code), str(self.path / rel))

    monkeypatch.setattr(writer.Workspace, "write", failing)
    result = run(built, "build", "--jobs", "1")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("error: ") and lines[0].endswith(
        f"index.html: cannot write the output: {reason} (the previous output is unchanged)"
    ), lines
    assert lines[1:] == ["1 error; nothing was written."]
    assert site_files(built / "output") == before


@pytest.mark.parametrize(
    "where, message",
    [
        ("guidegen.writer._copy_manifest", "database or disk is full"),
        ("guidegen.manifest.Manifest.commit", "database is locked"),
        ("guidegen.manifest.Manifest.begin", "disk I/O error"),
    ],
)
def test_a_failing_manifest_is_one_line(
    built: Path, monkeypatch: pytest.MonkeyPatch, where: str, message: str
) -> None:
    change_a_page(built)
    before = site_files(built / "output")

    def failing(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError(message)

    monkeypatch.setattr(where, failing)
    result = run(built, "build", "--jobs", "1")
    assert result.exit_code == 1
    assert result.output == (
        f"error: cannot write the output's manifest: {message} "
        "(the previous output is unchanged)\n1 error; nothing was written.\n"
    )
    assert site_files(built / "output") == before


# -- the output folder ----------------------------------------------------------------


@pytest.mark.parametrize("chain", [["output"], ["output", "other"], ["output", "b", "c"]])
def test_an_output_that_links_to_itself_is_refused(mini_site: Path, chain: list[str]) -> None:
    for name, target in zip(chain, [*chain[1:], chain[0]], strict=True):
        (mini_site / name).symlink_to(target)
    result = as_typed(mini_site, "build")
    assert result.returncode == 1
    assert result.stderr == (
        "error: cannot use output as the output folder: it is a loop of symbolic links "
        "(remove the link, or choose another --out)\n"
    )


# -- serve ------------------------------------------------------------------------------


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


@pytest.mark.parametrize("bind", [[], ["--bind", "127.0.0.1"], ["--bind", "localhost"]])
def test_serve_on_a_busy_port_says_so_before_serving(
    mini_site: Path, busy_port: int, bind: list[str]
) -> None:
    result = as_typed(mini_site, "serve", "--port", str(busy_port), "--stop-after", "5", *bind)
    assert result.returncode == 1
    assert result.stdout == ""  # no "Serving http://..." first
    assert result.stderr == f"error: port {busy_port} is in use (try --port {busy_port + 1})\n"


def test_serve_on_an_address_it_cannot_have_is_one_line(mini_site: Path) -> None:
    result = run(mini_site, "serve", "--bind", "192.0.2.1", "--port", "8123", "--stop-after", "1")
    assert result.exit_code == 1
    assert (
        result.output == "error: cannot listen on 192.0.2.1:8123: Cannot assign requested address\n"
    )


# -- new --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "blocker, shown",
    [
        ("content/guides/acme", "content/guides/acme"),
        ("content/guides/acme/alphamab", "content/guides/acme/alphamab"),
        ("content/guides", "content/guides"),
    ],
)
def test_new_with_a_file_where_a_folder_should_be(
    mini_site: Path, blocker: str, shown: str
) -> None:
    target = mini_site / blocker
    if target.is_dir():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("not a folder")
    result = run(mini_site, "new", "acme", "alphamab", "off-label")
    assert result.exit_code == 1
    assert result.output == (
        f"error: {shown}: is a file where the write-up's folder should be "
        "(rename or move the file, then run `new` again)\n"
    )


@contextlib.contextmanager
def mounted_read_only(folder: Path) -> Iterator[None]:
    """`folder` bind-mounted read-only (root ignores file modes); a skip where we may not."""
    name = str(folder)
    if subprocess.run(["mount", "--bind", name, name], capture_output=True).returncode:
        pytest.skip("cannot bind-mount here (not root); the injected fault covers it")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", name, name], check=True)
        yield
    finally:
        subprocess.run(["umount", "-l", name], check=False)


def refuse_mkdir(self: Path, *args: object, **kwargs: object) -> None:
    raise PermissionError(errno.EACCES, "Permission denied", str(self))


@pytest.mark.parametrize("how", ["mounted read-only", "injected"])
def test_new_on_a_folder_it_cannot_write(
    mini_site: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    with contextlib.ExitStack() as stack:
        if how == "injected":
            monkeypatch.setattr(Path, "mkdir", refuse_mkdir)
            where, reason = "content/guides/cardinal/betamab", "Permission denied"
        else:
            stack.enter_context(mounted_read_only(mini_site / "content"))
            where, reason = "content/guides/cardinal", "Read-only file system"
        result = run(mini_site, "new", "cardinal", "betamab", "off-label")
    assert result.exit_code == 1
    assert result.output == (
        f"error: {where}: cannot create the write-up: {reason} "
        "(check that content/ is writable and its folders are folders)\n"
    )
    assert not (mini_site / "content/guides/cardinal").exists()


# -- the last resort --------------------------------------------------------------------


def test_an_unexpected_exception_is_one_line_with_a_hint(
    mini_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("something nobody expected")

    monkeypatch.setattr(pipeline, "load_site", broken)
    monkeypatch.delenv("GUIDEGEN_DEBUG", raising=False)
    result = run(mini_site, "build")
    assert result.exit_code == 1
    assert result.output == (
        "error: internal error: ValueError: something nobody expected (please report it with "
        "the command you ran; GUIDEGEN_DEBUG=1 shows the traceback)\n"
    )
    monkeypatch.setenv("GUIDEGEN_DEBUG", "1")
    with pytest.raises(ValueError, match="something nobody expected"):
        run(mini_site, "build")


def test_an_unexpected_os_error_names_the_file(
    mini_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(mini_site / "data/site.yaml"))

    monkeypatch.setattr("build.site_stats", broken)
    result = run(mini_site, "stats")
    assert (result.exit_code, result.output) == (1, "error: data/site.yaml: Permission denied\n")


def test_usage_errors_still_exit_2(mini_site: Path) -> None:
    result = as_typed(mini_site, "build", "--jobs", "zero")
    assert result.returncode == 2
    assert "Invalid value for '-j' / '--jobs'" in result.stderr
    assert "Traceback" not in result.stderr
