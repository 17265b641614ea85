"""Write stage: a dumb, safe writer with two output generations. Knows nothing of pages.

The output folder (`output/`) is the *active* generation; beside it, `.output.previous/`
is the *spare*: the generation before. A build writes into the spare, brought up to date
with the active one first by hard-linking the files that differ (the manifests say which),
or into a fresh staging folder on a first or `--clean` build. It then swaps the two in one
step (Linux `renameat2(RENAME_EXCHANGE)`; two renames elsewhere). A build that fails or
is killed at any moment therefore leaves the active output exactly as it was, and an
incremental build costs time in proportion to what changed, not to the size of the site.

Files in a reused generation may be hard links shared with the active one, so they are
never modified in place: a new file is written beside the old and renamed over it. Paths
are joined safely (nothing escapes the folder) and each generation carries a marker file:
the writer only ever replaces folders it made.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from .errors import SiteError
from .manifest import MANIFEST_DIR, SCHEMA_VERSION, Manifest, manifest_path

MARKER = ".guidegen-output"
_UNNORMAL = re.compile(r"/\.{0,2}/")  # an empty, "." or ".." segment
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class OutputError(SiteError):
    """The output folder cannot be used as asked."""


def check_output_dir(out: Path, project_root: Path) -> Path:
    """The resolved output folder, refused when it is unsafe to replace."""
    try:
        target = out.resolve()
        root = project_root.resolve()
    except RuntimeError:  # Python 3.11 reports a loop of symbolic links this way
        raise OutputError(
            f"cannot use {out} as the output folder: it is a loop of symbolic links",
            hint="remove the link, or choose another --out",
        ) from None
    if target == root or target in root.parents:
        raise OutputError(
            f"refusing to use {out} as the output folder: it contains the project",
            hint="choose a folder such as output/",
        )
    for name in ("data", "content", "templates", "static", "tests", ".git"):
        source = (root / name).resolve()
        if target == source or source in target.parents or target in source.parents:
            raise OutputError(
                f"refusing to use {out} as the output folder: it overlaps {name}/",
                hint="choose a folder such as output/",
            )
    if target.exists():
        if not target.is_dir():
            raise OutputError(f"{out} exists and is not a folder")
        if any(target.iterdir()) and not (target / MARKER).is_file():
            raise OutputError(
                f"refusing to replace {out}: it is not empty and was not made by this generator",
                hint=f"remove it yourself, or choose another --out (a built folder has {MARKER})",
            )
    return target


def safe_relpath(rel: str) -> str:
    """A normalised relative POSIX path inside the output folder, or ValueError."""
    if not rel or "\x00" in rel or "\\" in rel:
        raise ValueError(f"unsafe output path {rel!r}")
    if rel[0] != "/" and rel[-1] != "/" and not _UNNORMAL.search(f"/{rel}/"):
        return rel  # already normal: the common case, without making a path object
    path = PurePosixPath(rel)
    if not path.parts or path.is_absolute() or ".." in path.parts:
        raise ValueError(f"unsafe output path {rel!r}")
    return path.as_posix()


def exchange(a: Path, b: Path) -> None:
    """Swap two folders: atomically where the system can, else with two quick renames."""
    libc_name = ctypes.util.find_library("c")
    renameat2 = (
        getattr(ctypes.CDLL(libc_name, use_errno=True), "renameat2", None) if libc_name else None
    )
    if renameat2 is not None:
        result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
        if result == 0:
            return
    temporary = a.with_name(a.name + ".swap")
    os.rename(a, temporary)
    os.rename(b, a)
    os.rename(temporary, b)


def remove_tree_later(path: Path) -> None:
    """Delete a folder in a detached process (deleting 100k files takes long on some disks)."""
    if not path.exists():
        return
    trash = path.with_name(f"{path.name}.trash-{uuid.uuid4().hex[:8]}")
    os.rename(path, trash)
    if os.environ.get("GUIDEGEN_SYNC_DELETE"):
        shutil.rmtree(trash, ignore_errors=True)
        return
    subprocess.Popen(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], True)", str(trash)],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _make_folder(path: str) -> None:
    """`os.makedirs(path, exist_ok=True)`, one system call when the parent exists (as it
    usually does: units write folder by folder)."""
    try:
        os.mkdir(path)
    except FileNotFoundError:
        os.makedirs(path, exist_ok=True)
    except FileExistsError:
        if not os.path.isdir(path):
            raise


class Workspace:
    """The generation a build writes into; only `Generations.commit` makes it live."""

    def __init__(self, path: Path, fresh: bool) -> None:
        self.path = path
        self.fresh = fresh
        self.bytes_written = 0
        self.files_written = 0
        self.files_removed = 0
        self._dirs: set[str] = set()

    def write(self, rel: str, data: bytes) -> None:
        """Write a file; in a reused generation, as a new file renamed into place."""
        rel = safe_relpath(rel)
        parent, _, _ = rel.rpartition("/")
        if parent and parent not in self._dirs:
            _make_folder(os.path.join(self.path, parent))
            if len(self._dirs) > 4096:
                self._dirs.clear()
            self._dirs.add(parent)
        target = os.path.join(self.path, rel)
        if self.fresh:
            try:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                raise SiteError(
                    f"two outputs would be written to {rel}",
                    hint="two records map to the same URL; give one of them another slug",
                ) from None
        else:
            temporary = f"{target}.tmp-{os.getpid()}"
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        if not self.fresh:
            os.replace(temporary, target)
        self.bytes_written += len(data)
        self.files_written += 1

    def link(self, rel: str, source: Path) -> None:
        """Add a file that is a hard link to `source` (a copy where links cannot be made:
        another file system). Files are never modified in place, so sharing is safe."""
        rel = safe_relpath(rel)
        target = self.path / rel
        _make_folder(str(target.parent))
        try:
            os.link(source, target)
        except FileExistsError:
            raise SiteError(
                f"two outputs would be written to {rel}", hint="a file is in two shards"
            ) from None
        except OSError:
            shutil.copyfile(source, target)
        self.files_written += 1

    def remove(self, rel: str) -> None:
        """Delete a file that no longer belongs to the site, and folders left empty."""
        rel = safe_relpath(rel)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path / rel)
        self.files_removed += 1
        parent = (self.path / rel).parent
        while parent != self.path:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def read(self, rel: str) -> bytes | None:
        try:
            return (self.path / safe_relpath(rel)).read_bytes()
        except FileNotFoundError:
            return None

    def manifest(self, busy: bool = False) -> Manifest:
        return Manifest(manifest_path(self.path), busy=busy)


class Generations:
    """The active output folder and the spare generation beside it."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.spare = out.parent / f".{out.name}.previous"
        self.staging = out.parent / f".{out.name}.staging-{os.getpid()}"

    def active_manifest(self) -> Manifest | None:
        """The active generation's manifest when it is complete and matches its marker."""
        return _valid_manifest(self.out)

    def open(self, clean: bool) -> Workspace:
        """A generation to write the next build into."""
        self.cleanup_stale()
        active = None if clean else self.active_manifest()
        if active is None:
            if self.staging.exists():
                shutil.rmtree(self.staging)
            self.staging.mkdir(parents=True)
            return Workspace(self.staging, fresh=True)
        with _closing(active):
            spare = _valid_manifest(self.spare)
            if spare is None:
                if self.spare.exists():
                    remove_tree_later(self.spare)
                _clone(self.out, self.spare)
            else:
                with _closing(spare):
                    _sync(self.spare, spare, self.out, active)
        _copy_manifest(self.out, self.spare)
        workspace = Workspace(self.spare, fresh=False)
        with _closing(Manifest(manifest_path(self.spare))) as manifest:
            manifest.put("complete", "0")
        return workspace

    def commit(self, workspace: Workspace, manifest: Manifest, build_id: str) -> None:
        """Make the workspace the active output; the old output becomes the spare.

        `manifest` is the workspace's open manifest; it is completed and closed here."""
        workspace.write(MARKER, f"built by guidegen; {build_id}\n".encode())
        manifest.put("build_id", build_id)
        manifest.put("schema", SCHEMA_VERSION)
        manifest.put("complete", "1")
        manifest.settle()
        if not self.out.exists():
            os.rename(workspace.path, self.out)
            return
        exchange(workspace.path, self.out)
        if workspace.path != self.spare:  # a fresh build: the old output becomes the spare
            old_active = workspace.path
            if _valid_manifest_flag(old_active):
                if self.spare.exists():
                    remove_tree_later(self.spare)
                os.rename(old_active, self.spare)
            else:
                remove_tree_later(old_active)

    def abort(self, workspace: Workspace) -> None:
        """Give up a build: a fresh folder is removed, a reused spare stays marked incomplete."""
        if workspace.fresh:
            shutil.rmtree(workspace.path, ignore_errors=True)

    def cleanup_stale(self) -> None:
        """Remove staging folders of builds that were killed."""
        for path in self.out.parent.glob(f".{self.out.name}.staging-*"):
            pid = path.name.rsplit("-", 1)[-1]
            if pid.isdigit() and not _alive(int(pid)):
                remove_tree_later(path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _closing:
    """`with` support for Manifest (closes it on exit)."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest

    def __enter__(self) -> Manifest:
        return self.manifest

    def __exit__(self, *exc: object) -> None:
        self.manifest.close()


def _valid_manifest_flag(folder: Path) -> bool:
    manifest = _valid_manifest(folder)
    if manifest is None:
        return False
    manifest.close()
    return True


def _valid_manifest(folder: Path) -> Manifest | None:
    """The manifest of a complete generation whose marker names the same build, written by
    a generator with the same manifest layout."""
    path = manifest_path(folder)
    if not path.is_file() or not (folder / MARKER).is_file():
        return None
    try:
        manifest = Manifest(path, readonly=True)
        build_id = manifest.get("build_id")
        complete = manifest.get("complete") == "1" and manifest.get("schema") == SCHEMA_VERSION
    except Exception:  # noqa: BLE001 - a damaged manifest only means "rebuild"
        return None
    marker = (folder / MARKER).read_text(encoding="utf-8", errors="replace")
    if not complete or not build_id or build_id not in marker:
        manifest.close()
        return None
    return manifest


def _walk_folders(root: Path) -> Iterator[tuple[str, list[str]]]:
    """(folder relative to root, its file names), parents first, without the manifest's."""
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if rel == ".":
            dirnames[:] = [d for d in dirnames if d != MANIFEST_DIR]
        yield rel, filenames


def _walk_files(root: Path) -> Iterator[str]:
    for rel, filenames in _walk_folders(root):
        for name in filenames:
            yield name if rel == "." else f"{rel}/{name}"


def _link_into(source_root: Path, target_root: Path, rel: str, made: set[str]) -> None:
    """Hard-link a file of one generation into another, replacing what is there; `made`
    remembers the folders already made (plain os calls: this runs once per changed file)."""
    parent = os.path.dirname(rel)
    if parent not in made:
        _make_folder(os.path.join(target_root, parent))
        made.add(parent)
    target = os.path.join(target_root, rel)
    temporary = f"{target}.lnk-{os.getpid()}"
    os.link(os.path.join(source_root, rel), temporary)
    os.replace(temporary, target)


def _clone(source: Path, target: Path) -> None:
    """Make `target` a copy of `source` made of hard links (no file data is copied): one
    mkdir per folder and one link per file, parents first. The manifest is copied apart."""
    target.mkdir(parents=True)
    for rel, filenames in _walk_folders(source):
        into = os.path.join(target, rel)
        if rel != ".":
            os.mkdir(into)
        for name in filenames:
            os.link(os.path.join(source, rel, name), os.path.join(into, name))


def _sync(spare_dir: Path, spare: Manifest, active_dir: Path, active: Manifest) -> None:
    """Bring the spare generation to the active one's state, touching only what differs."""
    spare.db.execute("ATTACH DATABASE ? AS active", (f"file:{manifest_path(active_dir)}?mode=ro",))
    changed = [
        str(r[0])
        for r in spare.db.execute(
            "SELECT a.path FROM active.files a LEFT JOIN main.files s ON s.path = a.path "
            "WHERE s.hash IS NULL OR s.hash != a.hash"
        )
    ]
    gone = [
        str(r[0])
        for r in spare.db.execute(
            "SELECT s.path FROM main.files s LEFT JOIN active.files a ON a.path = s.path "
            "WHERE a.path IS NULL"
        )
    ]
    spare.db.execute("DETACH DATABASE active")
    made: set[str] = set()
    for rel in changed + [MARKER]:
        _link_into(active_dir, spare_dir, rel, made)
    workspace = Workspace(spare_dir, fresh=False)
    for rel in gone:
        workspace.remove(rel)


def _copy_manifest(source: Path, target: Path) -> None:
    """Replace the target generation's manifest with a copy of the source's."""
    source_db = Manifest(manifest_path(source), readonly=True)
    path = manifest_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    import sqlite3

    copy = sqlite3.connect(path)
    try:
        source_db.db.backup(copy)
    finally:
        copy.close()
        source_db.close()


def merge_folders(target: Path, sources: list[Path]) -> int:
    """Assemble shard outputs into one folder: every file of every source, none twice,
    hard-linked rather than copied where the file system allows (a merged 1M-page site
    then takes no more disk than its shards).

    The generator's bookkeeping (marker, manifest) is left out. The target is replaced in
    one step, like a build's output. Returns the number of files merged."""
    staging = target.parent / f".{target.name}.staging-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    workspace = Workspace(staging, fresh=True)
    try:
        for source in sources:
            if not (source / MARKER).is_file():
                raise OutputError(f"{source} is not a folder built by this generator")
            for rel in _walk_files(source):
                if rel == MARKER:
                    continue
                workspace.link(rel, source / rel)
        workspace.write(MARKER, b"merged by guidegen\n")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if target.exists():
        exchange(staging, target)
        remove_tree_later(staging)
    else:
        os.rename(staging, target)
    return workspace.files_written - 1
