"""The object-storage path end to end, against a local S3-compatible server: moto's
ThreadedMotoServer (PyPI `moto[server]`), on 127.0.0.1 only, started and stopped by this
module. Moto is pure Python (no binary to fetch), starts in about a second in the test's
own process, and implements the S3 REST calls the publish step makes (PutObject with
Content-Type, Cache-Control and x-amz-website-redirect-location, DeleteObjects,
PutBucketWebsite). It does not serve the S3 *website* endpoint, so "the redirect is
answered" is checked as far as S3 takes it: a plain HTTP GET of the old URL's object
(signed, as the bucket is private) returns the x-amz-website-redirect-location header the
website endpoint turns into a 301.

The steps are the workflow's own (build, then publish, per shard, from the site's folder).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import MINI, copy_site, edit, pass_strict
from .sitecheck import is_redirect_page, url_of
from .test_workflow import expand, sh, step, values

SHORT = "public, max-age=0, must-revalidate"
FOREVER = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Credentials for the local server only (and never a real AWS account's)."""
    credentials = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    for name, value in credentials.items():
        monkeypatch.setenv(name, value)
    return credentials


@pytest.fixture
def bucket(endpoint: str, env: dict[str, str]) -> tuple[Any, str]:
    from guidegen.publish import make_client

    client = make_client(endpoint)
    name = f"guides-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return client, name


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The test site for host s3, with a renamed payer (acme-old) and drug (beta-old)."""
    root = copy_site(MINI, tmp_path / "site")
    edit(root / "data/drugs.yaml", "- slug: betamab\n", "- slug: betamab\n  aliases: [beta-old]\n")
    site_yaml = root / "data/site.yaml"
    site_yaml.write_text(site_yaml.read_text(encoding="utf-8") + "host: s3\n", encoding="utf-8")
    return pass_strict(root)  # the workflow builds with --strict


def build_and_publish(site: Path, endpoint: str, bucket: str) -> list[str]:
    """The build job of the workflow, for both shards: build, then publish; its output."""
    shown = []
    for shard in (1, 2):
        given = {**values("s3", shard), "vars.S3_BUCKET": bucket, "vars.S3_ENDPOINT_URL": endpoint}
        built = sh(expand(step("build", "Build shard")["run"], given), site)
        assert built.returncode == 0, built.stderr
        published = sh(expand(step("build", "Publish shard")["run"], given), site)
        assert published.returncode == 0, published.stderr
        shown.append(published.stdout)
    return shown


def files_of(folder: Path) -> dict[str, str]:
    """Every file a host gets (the generator's dotfiles aside), with its digest."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def objects(client: Any, bucket: str) -> dict[str, Any]:
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            found[item["Key"]] = item
    return found


def changes_of(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return lines[0], lines[1:]


def test_two_shards_publish_the_whole_site_with_types_caching_and_redirects(
    site: Path, endpoint: str, bucket: tuple[Any, str]
) -> None:
    client, name = bucket
    shown = build_and_publish(site, endpoint, name)
    shard1, shard2 = files_of(site / "shard-1"), files_of(site / "shard-2")
    assert not set(shard1) & set(shard2)
    stored = objects(client, name)
    assert set(stored) == set(shard1) | set(shard2)
    assert "_redirects" not in stored and "_headers" not in stored  # s3 reads neither
    assert "sitemap.xml" in shard1 and "robots.txt" in shard1  # shard 1: the site-wide files
    for number, files in ((0, shard1), (1, shard2)):
        folder = site / f"shard-{number + 1}"
        redirects = sum(
            1 for rel in files if rel.endswith(".html") and is_redirect_page(folder / rel)
        )
        mb = sum((site / f"shard-{number + 1}" / rel).stat().st_size for rel in files) / 1e6
        assert shown[number] == (
            f"Published to s3://{name}/: {len(files):,} files uploaded ({mb:.1f} MB, "
            f"{redirects:,} redirects), 0 deleted.\n"
        )
    kinds = {
        "index.html": ("text/html; charset=utf-8", SHORT),
        "sitemap.xml": ("application/xml", SHORT),
        "robots.txt": ("text/plain; charset=utf-8", SHORT),
        "404.html": ("text/html; charset=utf-8", SHORT),
    }
    css = next(rel for rel in shard1 if rel.startswith("assets/") and rel.endswith(".css"))
    kinds[css] = ("text/css; charset=utf-8", FOREVER)
    for key, (content_type, cache) in kinds.items():
        head = client.head_object(Bucket=name, Key=key)
        assert (head["ContentType"], head["CacheControl"]) == (content_type, cache), key
        assert "WebsiteRedirectLocation" not in head


def test_old_urls_are_answered_with_the_new_url_in_one_hop(
    site: Path, endpoint: str, bucket: tuple[Any, str]
) -> None:
    client, name = bucket
    build_and_publish(site, endpoint, name)
    old = {
        url_of(site / shard, page)
        for shard in ("shard-1", "shard-2")
        for page in (site / shard).rglob("index.html")
        if is_redirect_page(page)
    }
    assert len(old) == 33 and "/acme-old/beta-old/" in old
    stored = objects(client, name)
    for url in sorted(old):
        key = url.lstrip("/") + "index.html"
        signed = client.generate_presigned_url("get_object", Params={"Bucket": name, "Key": key})
        with urllib.request.urlopen(signed, timeout=10) as response:
            target = response.headers["x-amz-website-redirect-location"]
        assert target is not None and target.endswith("/"), url
        new = target.lstrip("/") + "index.html"
        assert new in stored and "WebsiteRedirectLocation" not in client.head_object(
            Bucket=name, Key=new
        ), f"{url} -> {target}: not one hop to a page"
    head = client.head_object(Bucket=name, Key="acme-old/beta-old/step-therapy/index.html")
    assert head["WebsiteRedirectLocation"] == "/acme/betamab/step-therapy/"


def test_an_edit_uploads_only_what_changed_and_deletes_what_went(
    site: Path, endpoint: str, bucket: tuple[Any, str]
) -> None:
    client, name = bucket
    build_and_publish(site, endpoint, name)
    before = {**files_of(site / "shard-1"), **files_of(site / "shard-2")}
    stamps = {key: item["LastModified"] for key, item in objects(client, name).items()}
    time.sleep(1.1)  # object times have a resolution of a second
    # one drug's write-up changes and the drug's old slug is retired
    edit(site / "content/drugs/alphamab/off-label.md", "\n\n", "\n\nA new first paragraph.\n\n")
    edit(site / "data/drugs.yaml", "  aliases: [beta-old]\n", "")
    shown = build_and_publish(site, endpoint, name)
    after = {**files_of(site / "shard-1"), **files_of(site / "shard-2")}
    changed = {rel for rel in after if before.get(rel) != after[rel]}
    gone = set(before) - set(after)
    assert changed and gone and all("beta-old" in rel for rel in gone)
    listed_put, listed_delete = set(), set()
    for shard in (1, 2):
        header, lines = changes_of(site / f"changes-{shard}.jsonl")
        assert header == {"changes": 1, "prefix": "", "fresh": False}
        listed_put |= {line["put"] for line in lines if "put" in line}
        listed_delete |= {line["delete"] for line in lines if "delete" in line}
    assert (listed_put, listed_delete) == (changed, gone)
    stored = objects(client, name)
    assert set(stored) == set(after)  # removed files deleted, nothing else
    uploaded = {key for key, item in stored.items() if item["LastModified"] != stamps.get(key)}
    assert uploaded == changed
    assert sum(int(text.split(" files uploaded")[0].rsplit(" ", 1)[1]) for text in shown) == len(
        changed
    )
    assert sum(int(text.split(" deleted")[0].rsplit(" ", 1)[1]) for text in shown) == len(gone)


def test_an_unchanged_site_publishes_nothing(
    site: Path, endpoint: str, bucket: tuple[Any, str]
) -> None:
    _, name = bucket
    build_and_publish(site, endpoint, name)
    shown = build_and_publish(site, endpoint, name)
    assert all(" 0 files uploaded (0.0 MB, 0 redirects), 0 deleted." in text for text in shown), (
        shown
    )
    assert changes_of(site / "changes-1.jsonl") == (
        {"changes": 1, "prefix": "", "fresh": False},
        [],
    )


def test_a_clean_build_lists_what_the_last_one_had_and_it_has_not(
    site: Path, endpoint: str, bucket: tuple[Any, str]
) -> None:
    client, name = bucket
    build_and_publish(site, endpoint, name)
    edit(site / "data/drugs.yaml", "  aliases: [beta-old]\n", "")
    given = {**values("s3", 2), "vars.S3_BUCKET": name, "vars.S3_ENDPOINT_URL": endpoint}
    command = expand(step("build", "Build shard")["run"], given) + " --clean"
    assert sh(command, site).returncode == 0
    header, lines = changes_of(site / "changes-2.jsonl")
    assert header["fresh"] is True
    deleted = {line["delete"] for line in lines if "delete" in line}
    assert deleted and all("beta-old" in rel for rel in deleted)
    assert {line["put"] for line in lines if "put" in line} == set(files_of(site / "shard-2"))
    assert sh(expand(step("build", "Publish shard")["run"], given), site).returncode == 0
    assert not deleted & set(objects(client, name))


def test_publish_sets_the_website_documents(
    site: Path, endpoint: str, bucket: tuple[Any, str]
) -> None:
    client, name = bucket
    build_and_publish(site, endpoint, name)
    command = (
        f"python build.py publish --changes changes-1.jsonl --bucket {name} "
        f"--endpoint-url {endpoint} --website shard-1"
    )
    assert sh(command, site).returncode == 0
    website = client.get_bucket_website(Bucket=name)
    assert website["IndexDocument"] == {"Suffix": "index.html"}
    assert website["ErrorDocument"] == {"Key": "404.html"}


@pytest.mark.parametrize(
    ("change_list", "folder", "bucket_name", "shown"),
    [
        ("not json\n", "shard-1", None, "error: {list}:1: not a change list: Expecting value"),
        (
            '{"changes": 2}\n',
            "shard-1",
            None,
            "error: {list}:1: not a change list: not a change list of this version",
        ),
        (
            '{"changes": 1}\n{"put": "x.html"}\n',
            "shard-1",
            None,
            "error: {list}:2: not a change list: 'size'",
        ),
        ("", "shard-1", None, "error: {list}: empty change list (run build --changes)"),
        (None, "shard-2", None, "error: shard-2: the change list names"),
        (
            None,
            "shard-1",
            "no-such-bucket",
            "error: s3://no-such-bucket: The specified bucket does not exist",
        ),
    ],
)
def test_publish_refuses_what_it_cannot_apply(
    site: Path,
    endpoint: str,
    bucket: tuple[Any, str],
    change_list: str | None,
    folder: str,
    bucket_name: str | None,
    shown: str,
) -> None:
    _, name = bucket
    given = {**values("s3", 1), "vars.S3_BUCKET": name, "vars.S3_ENDPOINT_URL": endpoint}
    assert sh(expand(step("build", "Build shard")["run"], given), site).returncode == 0
    given2 = {**values("s3", 2), "vars.S3_BUCKET": name, "vars.S3_ENDPOINT_URL": endpoint}
    assert sh(expand(step("build", "Build shard")["run"], given2), site).returncode == 0
    listed = "changes-1.jsonl"
    if change_list is not None:
        listed = "bad.jsonl"
        (site / listed).write_text(change_list, encoding="utf-8")
    command = (
        f"python build.py publish --changes {listed} --bucket {bucket_name or name} "
        f"--endpoint-url {endpoint} {folder}"
    )
    result = sh(command, site)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert shown.format(list=listed) in result.stderr


def test_a_site_served_under_a_path_is_published_under_it(
    site: Path, endpoint: str, bucket: tuple[Any, str]
) -> None:
    client, name = bucket
    edit(
        site / "data/site.yaml",
        "base_url: https://example.test",
        "base_url: https://example.test/appeals/",
    )
    shown = build_and_publish(site, endpoint, name)
    assert shown[0].startswith(f"Published to s3://{name}/appeals/: ")
    assert changes_of(site / "changes-1.jsonl")[0]["prefix"] == "appeals/"
    stored = objects(client, name)
    expected = {f"appeals/{rel}" for s in ("shard-1", "shard-2") for rel in files_of(site / s)}
    assert set(stored) == expected
    head = client.head_object(Bucket=name, Key="appeals/acme-old/beta-old/step-therapy/index.html")
    assert head["WebsiteRedirectLocation"] == "/appeals/acme/betamab/step-therapy/"
    command = (
        f"python build.py publish --changes changes-1.jsonl --bucket {name} "
        f"--endpoint-url {endpoint} --website shard-1"
    )
    assert sh(command, site).returncode == 0
    assert client.get_bucket_website(Bucket=name)["ErrorDocument"] == {"Key": "appeals/404.html"}
