"""`new PAYER DRUG REASON`: a write-up to fill in, at content/guides/PAYER/DRUG/REASON.md.

The file gets front matter and the sections a good write-up has, each with a
`{# TODO ... #}` placeholder. It starts as a draft: checked, but not published, so the page
keeps the write-up it had (the drug's or the reason's) until an editor has written this
one and removed `draft: true`; a published write-up with a placeholder left is an error.
Names appear as variables, never as text. Unknown slugs are refused with a did-you-mean;
an existing file is never overwritten; a folder on the way that is a file, or a link out
of the site, is refused, and a folder that cannot be written to is one error line.
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
# A draft is checked but not published: the page keeps the write-up it has now until
# you remove the next line. Fill every {{# TODO ... #}} first; `check` lists those left.
draft: true
updated: {today}
# reviewed_by: who checked the facts, e.g. "Jane Roe, PharmD" (shown as "Last reviewed ... by ...")
# title and description are made from the names unless you set them here.
---
## Why {{{{ payer.short_name }}}} denies {{{{ drug.name }}}} {{{{ reason.title_phrase }}}}

{{# TODO: what {{{{ payer.short_name }}}}'s policy for this drug asks for, and why requests fail on it. #}}

## What makes this denial appealable

{{# TODO: the exception grounds, the rules that apply to this kind of plan, the deadlines. #}}

## Documents to gather

{{# TODO: a list, one document a line, e.g. "- Pharmacy claims history for every prior therapy". #}}

## Mapping {{{{ payer.short_name }}}}'s criteria to your records

{{# TODO: a table with a row per criterion of the policy and where your records show it. #}}

## Your next step

{{# TODO: the one thing to do first. #}}
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
    # Names are written as variables, never as text: the body is a Jinja template, and a
    # name is data (a payer called "Aetna {{ 7*7 }}" must not be evaluated).
    text = TEMPLATE.format(today=today.isoformat())
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
