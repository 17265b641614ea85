"""`check`'s promise for write-ups: if `check` passes, every guide renders.

A write-up's output depends only on the page fields it uses (`ContentDoc.uses`), so the
pages a build will render fall into classes of equal values. `check` renders each
write-up, its title and its description once for every distinct set of those values
among the guides that show it: exactly what a build will meet, without rendering a
page twice for the same values. Knows the matrix and the write-ups; writes nothing.
"""

from __future__ import annotations

from typing import Any

from .errors import ErrorCollector, SiteError
from .limits import deadline
from .matrix import Matrix
from .models import Site
from .templating import page_names, writeup_error
from .writeup import ContentDoc


def check_every_writeup_page(matrix: Matrix, site: Site, errors: ErrorCollector) -> int:
    """Render every write-up for each distinct set of values it uses; return how many
    renders that took. A write-up that fails is reported once, at its line, naming
    one drug and payer that fail, and not rendered again."""
    seen: dict[str, set[int]] = {}
    failed: set[str] = set()
    renders = 0
    for key in matrix.all_keys():
        guide = matrix.guide(key)
        doc = guide.doc
        if doc.path in failed:
            continue
        names = page_names(guide.payer, guide.drug, guide.reason, site)
        values = hash(doc.used_values(names))
        done = seen.setdefault(doc.path, set())
        if values in done:
            continue
        done.add(values)
        renders += 1
        error = _render_all(doc, names, site.render_timeout)
        if error is not None:
            errors.add_error(error)
            failed.add(doc.path)
    return renders


def _render_all(doc: ContentDoc, names: dict[str, Any], timeout: float) -> SiteError | None:
    """The first error the write-up's body, title or description raises for one page."""
    try:
        with deadline(timeout):
            doc.render_body(names)
            doc.render_title(names)
            doc.render_description(names)
    except SiteError as error:
        return SiteError(
            f"{error.problem} (drug '{names['drug'].slug}', payer '{names['payer'].slug}')",
            error.location,
            error.hint,
            error.source_line,
        )
    except Exception as exc:  # noqa: BLE001 - a timeout between the three, say
        return writeup_error(exc, doc.path, doc.body_line, names)
    return None
