"""Publishing to object storage behind a CDN (`host: s3`): Amazon S3, Cloudflare R2 or
Google Cloud Storage through their S3 API, with boto3.

A build's change list (`build --changes FILE`, see changes.py) names the files it wrote and
removed; `publish` uploads exactly those from the folder the build wrote, then deletes the
removed ones, so each shard of a sharded build publishes its own files from its own runner
and nothing is ever merged on one machine (shard 1 brings the site-wide files and the
sitemap index). Every object gets its Content-Type and Cache-Control (a year for the
content-hashed assets/, revalidate for the rest); a redirect page at an old URL also gets
`x-amz-website-redirect-location`, which the S3 website endpoint answers with a 301 (and
its body, a page that moves browsers on, still serves where the metadata is ignored).
Folder URLs (`/cigna/`) are `cigna/index.html` objects: the bucket's website configuration
(`configure_website`: index document index.html, error document 404.html) serves them.
Keys carry base_url's path (`appeals/cigna/index.html`).
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .builder import Change
from .changes import Changes
from .errors import SiteError, SourceLocation
from .hostfiles import CACHE_FOREVER, CACHE_SHORT
from .writer import safe_relpath

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DELETE_BATCH = 1_000  # the most one DeleteObjects request takes
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
}


@dataclass
class PublishReport:
    uploaded: int = 0
    bytes: int = 0
    redirects: int = 0
    deleted: int = 0


def content_type(rel: str) -> str:
    suffix = os.path.splitext(rel)[1].lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(rel)[0] or "application/octet-stream"


def cache_control(rel: str) -> str:
    """What `_headers` says on the other hosts: hashed assets forever, pages revalidated."""
    return CACHE_FOREVER if rel.startswith("assets/") else CACHE_SHORT


def make_client(endpoint_url: str | None = None, jobs: int = 16) -> S3Client:
    """An S3 client (credentials from the environment, as boto3 reads them); `endpoint_url`
    for R2 (`https://ACCOUNT.r2.cloudflarestorage.com`), GCS
    (`https://storage.googleapis.com`) or a local server."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 10}, max_pool_connections=jobs)
    return boto3.client("s3", endpoint_url=endpoint_url, config=config)


def publish_changes(
    folder: Path, changes: Changes, bucket: str, client: S3Client, jobs: int = 16
) -> PublishReport:
    """Apply a change list to the bucket: upload, then delete (a page is never missing)."""
    report = PublishReport()
    missing = [c.path for c in changes.put if not (folder / safe_relpath(c.path)).is_file()]
    if missing:
        raise SiteError(
            f"the change list names {len(missing):,} files {folder} does not have "
            f"(first: {missing[0]})",
            SourceLocation(str(folder)),
            "pass the folder the build that wrote the change list built (its --out)",
        )
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for change in pool.map(_uploader(folder, changes.prefix, bucket, client), changes.put):
            report.uploaded += 1
            report.bytes += change.size
            report.redirects += change.redirect is not None
        for batch in _batches([changes.prefix + rel for rel in changes.delete]):
            report.deleted += _delete(client, bucket, batch)
    return report


def _uploader(
    folder: Path, prefix: str, bucket: str, client: S3Client
) -> Callable[[Change], Change]:
    def upload(change: Change) -> Change:
        rel = safe_relpath(change.path)
        extra: dict[str, Any] = {}
        if change.redirect is not None:
            extra["WebsiteRedirectLocation"] = change.redirect
        body = (folder / rel).read_bytes()
        _call(
            client.put_object,
            bucket,
            Bucket=bucket,
            Key=prefix + rel,
            Body=body,
            ContentType=content_type(rel),
            CacheControl=cache_control(rel),
            **extra,
        )
        return change._replace(size=len(body))

    return upload


def _batches(keys: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(keys), DELETE_BATCH):
        yield keys[start : start + DELETE_BATCH]


def _delete(client: S3Client, bucket: str, keys: list[str]) -> int:
    objects: Any = [{"Key": key} for key in keys]
    answer = _call(
        client.delete_objects, bucket, Bucket=bucket, Delete={"Objects": objects, "Quiet": True}
    )
    errors = answer.get("Errors") or []
    if errors:
        first = errors[0]
        raise SiteError(
            f"s3://{bucket}: could not delete {len(errors)} objects "
            f"(first: {first.get('Key')}: {first.get('Message')})",
            hint="check the credentials' permission to delete objects",
        )
    return len(keys)


def _call(method: Callable[..., Any], bucket: str, **arguments: Any) -> Any:
    """A storage request; what the service or the network says becomes a SiteError."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return method(**arguments)
    except ClientError as exc:
        raise SiteError(
            f"s3://{bucket}: {exc.response.get('Error', {}).get('Message', exc)}",
            hint="check the bucket name, the endpoint URL and the credentials "
            "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)",
        ) from None
    except BotoCoreError as exc:
        raise SiteError(
            f"s3://{bucket}: {exc}", hint="check --endpoint-url and the network"
        ) from None


def configure_website(client: S3Client, bucket: str, prefix: str = "") -> None:
    """Serve folder URLs from their index.html and missing pages with 404.html (the S3
    website endpoint; behind another CDN, its edge rule does the same)."""
    _call(
        client.put_bucket_website,
        bucket,
        Bucket=bucket,
        WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "ErrorDocument": {"Key": f"{prefix}404.html"},
        },
    )
