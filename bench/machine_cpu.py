"""How much CPU the whole machine spent: every process and kernel thread, from /proc/stat.

A process's own CPU time (getrusage) leaves out what kernel threads do for it (ext4
allocates blocks and flushes the page cache in kworkers) and what else runs meanwhile.
What decides whether a build fits in a time is whether the machine's cores had room for
it, so the benchmark also counts busy core seconds: user, nice, system, irq and softirq of
all cores; idle, I/O wait and the time the hypervisor gave to other machines (steal) are
left out.

    before = busy_seconds(); ...; spent = busy_seconds() - before
"""

from __future__ import annotations

import os

_TICKS = os.sysconf("SC_CLK_TCK")


def busy_seconds() -> float:
    """Busy core seconds of the machine since boot (0.0 where there is no /proc/stat)."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = handle.readline().split()
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[1:8])
    return (user + nice + system + irq + softirq) / _TICKS
