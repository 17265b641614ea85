"""`new PAYER DRUG REASON`: a write-up to fill in, at content/guides/PAYER/DRUG/REASON.md.

The file gets front matter (title, description, updated, reviewed_by) and the sections a
good write-up has, and starts as `noindex` so an unfinished page never reaches search
results. Unknown slugs are refused with a did-you-mean; an existing file is never
overwritten; a folder on the way that is a file, or a link out of the site, is refused, and
a folder that cannot be written to is one error line.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .data import SiteData
from .errors import SiteError, SourceLocation, did_you_mean, relpath
from .models import DenialReason, Drug, Payer
from .sources import check_source

TEMPLATE = """\
---
title: {title}
description: {description}
updated: {today}
# reviewed_by: who checked the facts, e.g. "Jane Roe, PharmD" (shown as "Last reviewed ... by ...")
# Remove the next line when the write-up is finished: until then the page stays out of search.
noindex: true
---
## Why {payer_short} denies {drug} {phrase}

{{# What {payer_short}'s policy for {drug} asks for, and why requests fail on it. #}}

## What makes this denial appealable

{{# The exception grounds, the rules that apply to this kind of plan, the deadlines. #}}

## Documents to gather

- {{# One line per document, e.g. "Pharmacy claims history for every prior therapy". #}}

## Mapping {payer_short}'s criteria to your records

| Criterion in {payer_short}'s policy | Where your records show it |
|---|---|
| {{# criterion #}} | {{# chart note, date #}} |

## Your next step

{{# The one thing to do first. #}}
"""


def _find(
    kind: str, slug: str, records: tuple[Payer, ...] | tuple[Drug, ...] | tuple[DenialReason, ...]
) -> Payer | Drug | DenialReason:
    for record in records:
        if record.slug == slug:
            return record
    renamed = next((r for r in records if slug in getattr(r, "aliases", ())), None)
    hint = (
        f"'{slug}' was renamed to '{renamed.slug}'"
        if renamed is not None
        else did_you_mean(slug, [r.slug for r in records]) or f"see the {kind}s in data/"
    )
    raise SiteError(f"unknown {kind} '{slug}'", None, hint)


def new_writeup(
    root: Path, data: SiteData, payer: str, drug: str, reason: str, today: dt.date
) -> Path:
    """Create the write-up file; SiteError when a slug is unknown or the file exists."""
    p = _find("payer", payer, data.payers)
    d = _find("drug", drug, data.drugs)
    r = _find("denial reason", reason, data.reasons)
    assert isinstance(p, Payer) and isinstance(d, Drug) and isinstance(r, DenialReason)
    if d.reasons is not None and r.slug not in d.reasons:
        raise SiteError(
            f"drug '{d.slug}' gets no '{r.slug}' pages",
            d.where,
            f"add '{r.slug}' to its reasons first, or pick one of: {', '.join(d.reasons)}",
        )
    rel = f"content/guides/{p.slug}/{d.slug}/{r.slug}.md"
    path = root / rel
    if path.exists() or path.is_symlink():
        raise SiteError("the write-up already exists", SourceLocation(rel), "edit it instead")
    _check_folders(root, path.parent)
    text = TEMPLATE.format(
        title=_yaml(f"{d.name} denied {r.title_phrase} by {p.name}? Appeal guide"),
        description=_yaml(f"How to appeal when {p.short_name} denies {d.name} {r.title_phrase}."),
        today=today.isoformat(),
        payer_short=p.short_name,
        drug=d.name,
        phrase=r.title_phrase,
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:  # "x": never overwrite
            handle.write(text)
    except OSError as exc:
        where = relpath(Path(exc.filename), root) if exc.filename else rel
        raise SiteError(
            f"cannot create the write-up: {exc.strerror}",
            SourceLocation(where),
            "check that content/ is writable and its folders are folders",
        ) from None
    return path


def _check_folders(root: Path, folder: Path) -> None:
    """Every folder on the way to the new file that exists must be a real folder inside the
    site's source folders (a file in its place, or a link out of the site, is refused)."""
    rel = folder.relative_to(root)
    for part in [*reversed(rel.parents), rel][1:]:  # content, content/guides, ...
        path = root / part
        if not path.exists() and not path.is_symlink():
            return
        check_source(path, root)
        if not path.is_dir():
            raise SiteError(
                "is a file where the write-up's folder should be",
                SourceLocation(part.as_posix()),
                "rename or move the file, then run `new` again",
            )


def _yaml(text: str) -> str:
    """A YAML double-quoted scalar (names may contain ':' or '#')."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
