"""Load and validate everything a build needs, once: the `LoadedSite`.

Data, write-ups, templates and assets are all read and checked before anything is
rendered, and every problem is reported in one `BuildFailed`: a stage still runs on what
the stages before it could load. Writes nothing.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .assets import Assets, collect_assets
from .content import Content, check_renders, load_content
from .data import SiteData, load_records
from .errors import ErrorCollector
from .hubs import Hubs
from .inputs import content_dates
from .links import LinkGraph
from .matrix import Matrix
from .pages import Facts
from .render import Renderer, check_templates


@dataclass(frozen=True)
class LoadedSite:
    """Every input, validated and compiled: what rendering needs, gathered once."""

    root: Path
    data: SiteData
    content: Content
    matrix: Matrix
    graph: LinkGraph
    hubs: Hubs
    assets: Assets
    renderer: Renderer
    facts: Facts
    dates: dict[str, dt.date] = field(default_factory=dict)  # write-up path -> last commit


def load_site(root: Path, lazy: bool = False) -> LoadedSite:
    """Load and validate data, write-ups, templates and assets; BuildFailed lists every error.

    `lazy` (the preview server) checks the data, the templates and where write-ups are,
    and leaves compiling and checking each write-up to the first page that uses it."""
    errors = ErrorCollector()
    records = load_records(root, errors)  # what loaded: later checks run on it
    data = None if errors else records
    content = load_content(root, records, errors, lazy=lazy)
    assets = collect_assets(root, errors)
    if records is not None:
        _check_names_unique(records, errors)
    if data is None:
        check_templates(root, None, errors)
        errors.raise_if_any()
        raise AssertionError("unreachable: data failed without errors")  # pragma: no cover
    renderer = Renderer(root, data.site, assets.url)
    renderer.check(errors)
    if not lazy:  # the write-ups that compiled, even when others or templates failed
        check_renders(content, data, errors)
    errors.raise_if_any()
    matrix = Matrix(data, content)
    graph, hubs = LinkGraph(matrix), Hubs(matrix)
    dates = content_dates(root)
    return LoadedSite(
        root, data, content, matrix, graph, hubs, assets, renderer, Facts(data), dates
    )


def _check_names_unique(data: SiteData, errors: ErrorCollector) -> None:
    """Display names must tell records apart: titles and link texts are made of them.

    Names are compared as readers see them: Unicode-normalised (NFKC, so a composed 'é'
    and 'e' + accent, or fullwidth and plain letters, are one name) and case-folded."""
    for label, records in (("payer", data.payers), ("drug", data.drugs), ("reason", data.reasons)):
        seen: dict[str, str] = {}
        for record in records:
            key = name_key(record.name)
            if not key:
                continue  # a name with a problem, already reported
            if key in seen:
                errors.add(
                    f"{label} name '{record.name}' is also used by '{seen[key]}'",
                    record.where,
                    "page titles and links need distinct names",
                )
            seen.setdefault(key, record.slug)


def name_key(name: str) -> str:
    """What two names must differ in to be told apart (NFKC, case-folded, spaces joined)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())
