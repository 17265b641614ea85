"""Load stage: reads data/*.yaml through the YAML loader and validates it into `SiteData`.

Every file is read and checked even when an earlier one fails, so one run reports all
problems. Knows file names, not templates or pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ErrorCollector, SiteError, SourceLocation
from .models import DenialReason, Drug, Payer, Site
from .records import build_drugs, build_payers, build_reasons, build_site
from .schema import DRUG, PAYER, REASON, SITE
from .sources import check_source, source_files
from .yaml_loader import load_yaml_file


@dataclass(frozen=True)
class SiteData:
    """The validated records of a site, in file order."""

    site: Site
    payers: tuple[Payer, ...]
    drugs: tuple[Drug, ...]
    reasons: tuple[DenialReason, ...]
    # kinds ("payer", "drug", "denial reason") whose file could not be read: what names
    # them cannot be checked in this run (no "unknown drug" for every write-up)
    unread: frozenset[str] = frozenset()


def _load(root: Path, display: str, errors: ErrorCollector) -> Any:
    path = root / display
    if not path.exists() and not path.is_symlink():
        errors.add(
            "file is missing",
            SourceLocation(display),
            "every site needs data/site.yaml, payers.yaml, drugs.yaml and denial_reasons.yaml",
        )
        return _MISSING
    try:
        check_source(path, root)
        return load_yaml_file(path, display)
    except SiteError as error:
        errors.add_error(error)
        return _MISSING


_MISSING = object()
DATA_DIR = "data"


def load_site_data(root: Path, errors: ErrorCollector) -> SiteData | None:
    """Read and validate the four data files; None (with errors collected) on any problem.
    Any other file of data/ that may not be read (see `sources`) is reported too."""
    data = load_records(root, errors)
    return None if errors else data


def load_records(root: Path, errors: ErrorCollector) -> SiteData | None:
    """Every record that loaded, even when others have problems (all reported), so that
    later checks (write-ups against slugs, names) still run; None when site.yaml failed.
    Only a run without errors may build from it."""
    source_files(root / DATA_DIR, root, errors)
    raw = {spec.file: _load(root, spec.file, errors) for spec in (SITE, PAYER, DRUG, REASON)}
    site = build_site(raw[SITE.file], errors) if raw[SITE.file] is not _MISSING else None
    payers = build_payers(raw[PAYER.file], errors) if raw[PAYER.file] is not _MISSING else []
    reasons = build_reasons(raw[REASON.file], errors) if raw[REASON.file] is not _MISSING else []
    reason_slugs = [r.slug for r in reasons] if raw[REASON.file] is not _MISSING else []
    payer_slugs = [slug for p in payers for slug in (p.slug, *p.aliases)]
    drugs = (
        build_drugs(raw[DRUG.file], reason_slugs, errors, payer_slugs)
        if raw[DRUG.file] is not _MISSING
        else []
    )
    unread = frozenset(
        kind
        for kind, spec in (("payer", PAYER), ("drug", DRUG), ("denial reason", REASON))
        if raw[spec.file] is _MISSING
    )
    if site is None:
        return None
    return SiteData(site, tuple(payers), tuple(drugs), tuple(reasons), unread)
