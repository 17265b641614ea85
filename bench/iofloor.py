"""The I/O floor: how long merely writing a built site's bytes to the same paths takes.

Loads every file of a built output into memory first (not timed), then writes them into
an empty folder, creating the same folders, with one writer process and with two; the
better time is the floor a generator is compared with. The writers' CPU time (user and
system) is reported too, and the busy core seconds of the whole machine while they wrote
(bench/machine_cpu.py): on this machine creating files is CPU work in the kernel, and
kernel threads may do some of it for the writers.
Nothing is deleted between the two writes (see `settle`): both copies are removed at the
end, unless `keep` is given.

    python bench/iofloor.py OUTPUT_DIR SCRATCH_DIR [SETTLE_SECONDS [keep]]
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import shutil
import sys
import time
from pathlib import Path

from machine_cpu import busy_seconds

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


def settle(seconds: float) -> None:
    """Wait out recent deletions before timing.

    ext4 without a journal (this machine's root file system) will not reuse an inode freed
    in the last 60 seconds (6 minutes while its inode-table block is still dirty), and
    finding a free inode then scans past every recently freed one: after deleting a built
    site, creating files costs up to 1 ms each instead of ~30 µs for a minute or more.
    `sync` cleans the blocks; the wait ages the deletions out."""
    os.sync()
    time.sleep(seconds)
    os.sync()


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def timed_write(target: Path, writers: int, settle_seconds: float) -> tuple[float, float, float]:
    """(seconds, CPU seconds of the writers (user and system), busy core seconds of the
    whole machine) of one write of the files."""
    target.mkdir(parents=True)
    settle(settle_seconds)
    busy = busy_seconds()
    started = time.perf_counter()
    if writers == 1:
        cpu = _cpu(resource.RUSAGE_SELF)
        write_range(str(target), 0, len(FILES))
        seconds, cpu = time.perf_counter() - started, _cpu(resource.RUSAGE_SELF) - cpu
        return seconds, cpu, busy_seconds() - busy
    # contiguous halves keep each writer's folders to itself, as a generator's units do
    bounds = [len(FILES) * i // writers for i in range(writers + 1)]
    context = multiprocessing.get_context("fork")
    cpu = _cpu(resource.RUSAGE_CHILDREN)
    pool = context.Pool(writers)
    pool.map(_child, [(str(target), bounds[i], bounds[i + 1]) for i in range(writers)])
    pool.close()
    pool.join()  # the workers are reaped: their CPU time is counted
    seconds, cpu = time.perf_counter() - started, _cpu(resource.RUSAGE_CHILDREN) - cpu
    return seconds, cpu, busy_seconds() - busy


def main(
    output: Path, scratch: Path, settle_seconds: float = 2, keep: bool = False
) -> dict[str, float]:
    """`keep`: leave the two copies in `scratch` (the caller deletes them when that cannot
    slow down another timed write)."""
    size = load(output)
    targets = [scratch / f"writers-{n}" for n in (1, 2)]
    try:
        one, one_cpu, one_busy = timed_write(targets[0], 1, settle_seconds)
        two, two_cpu, two_busy = timed_write(targets[1], 2, settle_seconds)
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return {
        "files": len(FILES),
        "bytes": size,
        "one_writer": one,
        "two_writers": two,
        "one_writer_cpu": one_cpu,
        "two_writers_cpu": two_cpu,
        "floor": min(one, two),
        "floor_cpu": one_cpu if one <= two else two_cpu,
        "floor_busy": one_busy if one <= two else two_busy,
    }


if __name__ == "__main__":
    wait = float(sys.argv[3]) if len(sys.argv) > 3 else 2
    keep = len(sys.argv) > 4 and sys.argv[4] == "keep"
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]), wait, keep)))
