"""Static assets: copied from static/ to assets/ under content-hashed names.

`site.css` becomes `assets/site.3f2a9c1e.css`, so hosts can cache assets forever and a
changed stylesheet gets a new URL. Templates ask for `asset('site.css')`. A file that
may not be read (a link out of the site's source folders, a FIFO: see `sources`) is an
error, never an asset.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ErrorCollector, SourceLocation
from .sources import source_files

STATIC_DIR = "static"
ASSETS_URL = "/assets/"


@dataclass
class Assets:
    """Source files of static/ and the hashed output names they get."""

    files: dict[str, Path] = field(default_factory=dict)  # output rel path -> source
    urls: dict[str, str] = field(default_factory=dict)  # source name -> URL
    digest: str = ""

    def url(self, name: str) -> str:
        try:
            return self.urls[name]
        except KeyError:
            raise KeyError(f"no static file '{name}' in {STATIC_DIR}/") from None


def collect_assets(root: Path, errors: ErrorCollector) -> Assets:
    assets = Assets()
    folder = root / STATIC_DIR
    overall = hashlib.sha256()
    for path in source_files(folder, root, errors):
        if path.name.startswith("."):
            continue
        name = path.relative_to(folder).as_posix()
        if any(c.isspace() for c in name):
            errors.add(
                "asset names must not contain spaces", SourceLocation(f"{STATIC_DIR}/{name}")
            )
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:10]
        stem, dot, suffix = name.rpartition(".")
        hashed = f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"
        assets.files[f"assets/{hashed}"] = path
        assets.urls[name] = f"{ASSETS_URL}{hashed}"
        overall.update(name.encode() + b"\0" + digest.encode())
    assets.digest = overall.hexdigest()[:24]
    return assets
