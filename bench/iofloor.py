"""The I/O floor: how long merely writing a built site's bytes to the same paths takes.

Loads every file of a built output into memory first (not timed), then writes them into
an empty folder, creating the same folders, with one writer process and with two; the
better time is the floor a generator is compared with.

    python bench/iofloor.py OUTPUT_DIR SCRATCH_DIR
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sys
import time
from pathlib import Path

FILES: list[tuple[str, bytes]] = []


def load(output: Path) -> int:
    total = 0
    for dirpath, dirnames, filenames in os.walk(output):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            path = os.path.join(dirpath, name)
            data = Path(path).read_bytes()
            FILES.append((os.path.relpath(path, output), data))
            total += len(data)
    FILES.sort()
    return total


def write_range(target: str, start: int, stop: int) -> None:
    made: set[str] = set()
    for rel, data in FILES[start:stop]:
        parent = os.path.dirname(rel)
        if parent and parent not in made:
            os.makedirs(os.path.join(target, parent), exist_ok=True)
            made.add(parent)
        fd = os.open(os.path.join(target, rel), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, data)
        os.close(fd)


def _child(args: tuple[str, int, int]) -> None:
    write_range(*args)


def settle() -> None:
    """Let the disk catch up (dirty pages written, deletions trimmed) before timing."""
    os.sync()
    time.sleep(2)
    os.sync()


def timed_write(target: Path, writers: int) -> float:
    target.mkdir(parents=True)
    settle()
    started = time.perf_counter()
    if writers == 1:
        write_range(str(target), 0, len(FILES))
    else:
        # contiguous halves keep each writer's folders to itself, as a generator's units do
        bounds = [len(FILES) * i // writers for i in range(writers + 1)]
        context = multiprocessing.get_context("fork")
        with context.Pool(writers) as pool:
            pool.map(_child, [(str(target), bounds[i], bounds[i + 1]) for i in range(writers)])
    elapsed = time.perf_counter() - started
    shutil.rmtree(target)
    return elapsed


def main(output: Path, scratch: Path) -> dict[str, float]:
    size = load(output)
    one = timed_write(scratch, 1)
    two = timed_write(scratch, 2)
    return {
        "files": len(FILES),
        "bytes": size,
        "one_writer": one,
        "two_writers": two,
        "floor": min(one, two),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
