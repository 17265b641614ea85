"""Transfer figures of the object-storage path (`host: s3`) at a given size: a clean
publish of a two-shard build, then a one-drug edit (one drug-level write-up changed),
each shard built with `--changes` and published from its own folder, as the workflow
does. The bucket is moto's local S3-compatible server on 127.0.0.1 (tests use the same).

    python bench/publish_s3.py [--guides 100000] [--work bench/work/publish]

Prints the files and bytes uploaded and deleted, per step, and the time each took here.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.synth import write_site  # noqa: E402
from guidegen.changes import read_changes  # noqa: E402
from guidegen.publish import PublishReport, make_client, publish_changes  # noqa: E402

SHARDS = 2


def build(site: Path, shard: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "build.py"),
            "build",
            "--quiet",
            "--out",
            f"shard-{shard}",
            "--shard",
            f"{shard}/{SHARDS}",
            "--changes",
            f"changes-{shard}.jsonl",
        ],
        cwd=site,
        check=True,
    )
    return time.perf_counter() - started


def publish_all(site: Path, bucket: str, endpoint: str) -> tuple[PublishReport, float, float]:
    """Build and publish every shard; the summed report, build seconds, publish seconds."""
    client = make_client(endpoint)
    total = PublishReport()
    build_seconds = publish_seconds = 0.0
    for shard in range(1, SHARDS + 1):
        build_seconds += build(site, shard)
        started = time.perf_counter()
        changes = read_changes(site / f"changes-{shard}.jsonl")
        report = publish_changes(site / f"shard-{shard}", changes, bucket, client)
        publish_seconds += time.perf_counter() - started
        total.uploaded += report.uploaded
        total.bytes += report.bytes
        total.redirects += report.redirects
        total.deleted += report.deleted
    return total, build_seconds, publish_seconds


def edit_one_drug(site: Path) -> str:
    """Add a sentence to the first drug-level write-up; returns its path."""
    writeup = sorted((site / "content/drugs").rglob("*.md"))[0]
    text = writeup.read_text(encoding="utf-8")
    writeup.write_text(text + "\nAsk the plan for the criteria it applied, in writing.\n")
    return str(writeup.relative_to(site))


def line(label: str, report: PublishReport, build_s: float, publish_s: float) -> str:
    return (
        f"{label:<22} {report.uploaded:>9,} files {report.bytes / 1e6:>9.1f} MB uploaded "
        f"({report.redirects:,} redirects), {report.deleted:,} deleted; "
        f"build {build_s:.0f} s, publish {publish_s:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guides", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=ROOT / "bench/work/publish")
    args = parser.parse_args()
    site = args.work / f"site-{args.guides}"
    shape = write_site(args.guides, site)
    (site / "data/site.yaml").write_text(
        (site / "data/site.yaml").read_text(encoding="utf-8") + "host: s3\n", encoding="utf-8"
    )
    print(f"site: {shape}")

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    for name, value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench")):
        os.environ[name] = value
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        make_client(endpoint).create_bucket(Bucket="bench")
        clean = publish_all(site, "bench", endpoint)
        print(line("clean publish", *clean), flush=True)
        edited = edit_one_drug(site)
        edit = publish_all(site, "bench", endpoint)
        print(line("one-drug edit", *edit) + f"  [{edited}]", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
