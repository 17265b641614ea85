"""Checks of one value: slugs, names, prose, prices, URLs, language tags, dates, flags.

Each checker returns None for a good value, or what is wrong (a `Problem` when there is
a hint). The patterns are kept as source text too, so that `editor_schemas.py` gives the
editors' JSON Schemas the very rules `check` applies. No I/O, no knowledge of files.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from typing import Any, NamedTuple

# Pattern sources shared with the JSON Schemas (editor_schemas.py); the validator always
# matches them whole (`re.fullmatch`), the schemas anchor them with ^ and `END`.
END = r"(?![\s\S])"  # the very end: unlike Python's `$`, never before a final newline
# Characters no field may hold: C0 and C1 controls, DEL, bidi embeddings, overrides and
# isolates, line and paragraph separators and the byte-order mark. Prose may hold tabs
# and line breaks; one-line fields may not.
PROSE_CONTROLS = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
LINE_CONTROLS = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
SLUG_PATTERN = r"[a-z0-9]+(-[a-z0-9]+)*"
LANG_PATTERN = r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*"
PROMO_PATTERN = r"[A-Za-z0-9_-]{1,40}"
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_HOST = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*"
URL_PATTERN = rf"https?://{_HOST}(:[0-9]{{1,5}})?([/?#][^\s{LINE_CONTROLS}]*)?"
BASE_URL_PATTERN = rf"https?://{_HOST}(:[0-9]{{1,5}})?(/[^\s?#{LINE_CONTROLS}]*)?"
SLUG_RE = re.compile(SLUG_PATTERN)
LANG_RE = re.compile(LANG_PATTERN)
PROMO_RE = re.compile(PROMO_PATTERN)
URL_RE = re.compile(URL_PATTERN)
BASE_URL_RE = re.compile(BASE_URL_PATTERN)
_PROSE_CONTROL_RE = re.compile(f"[{PROSE_CONTROLS}]")
_LINE_CONTROL_RE = re.compile(f"[{LINE_CONTROLS}]")
MAX_NAME = 120
# Every folder and file name the build makes from a slug (sitemaps/<payer>-12.xml.tmp-<pid>,
# content/.../<reason>.md) stays far under the 255-byte limit of a file name.
MAX_SLUG = 100
MAX_PRICE = 100_000


class Problem(NamedTuple):
    """What is wrong with a value, and how to fix it."""

    message: str
    hint: str | None = None


Checker = Callable[[Any], str | Problem | None]


def slugify(text: str) -> str:
    """A slug suggestion for a hint ('Ocrevus (ocrelizumab)' -> 'ocrevus-ocrelizumab')."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def type_name(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _not_text(value: Any) -> str | None:
    if isinstance(value, str):
        return None
    if value is None:
        return "is empty"
    if isinstance(value, dt.date):
        return f"was read as a date ({value.isoformat()}), not text; put it in quotes"
    if isinstance(value, (bool, int, float)):
        return f"was read as {type_name(value)} ({value!r}), not text; put it in quotes"
    return f"must be text, not {type_name(value)}"


_CHAR_NAMES = {"\t": "a tab", "\n": "a line break", "\r": "a carriage return"}


def control_problem(value: str, prose: bool = False) -> Problem | None:
    """The first character no field may hold (tabs and line breaks only in prose)."""
    found = (_PROSE_CONTROL_RE if prose else _LINE_CONTROL_RE).search(value)
    if found is None:
        return None
    char, at = found.group(), found.start() + 1
    if char == "\n" and at == len(value):
        return Problem("ends with a line break", "write it on one line; use '>-', not '>' or '|'")
    unicode_name = unicodedata.name(char, "")
    name = _CHAR_NAMES.get(char) or (
        f"the invisible character {unicode_name}" if unicode_name else "a control character"
    )
    hint = "keep it on one line" if char in "\n\r" else "delete it; retype the text if pasted"
    return Problem(f"contains {name} (U+{ord(char):04X}) at character {at}", hint)


def shown(value: Any) -> str:
    """A value quoted for a message; escaped when it holds control characters, which
    must never reach the terminal (or the page) as they are."""
    text = str(value)
    return repr(text) if _LINE_CONTROL_RE.search(text) else f"'{text}'"


def _text_problem(value: Any, prose: bool = False) -> str | Problem | None:
    """Not text, or text holding a character no field may hold."""
    return _not_text(value) or control_problem(value, prose)


def check_slug(value: Any) -> str | Problem | None:
    if (problem := _text_problem(value)) is not None:
        return problem
    if not SLUG_RE.fullmatch(value):
        suggestion = slugify(value)
        tail = f"; try '{suggestion}'" if suggestion else ""
        return (
            f"'{value}' is not a valid slug: use lowercase letters, digits and single hyphens{tail}"
        )
    if len(value) > MAX_SLUG:
        return Problem(
            f"is {len(value)} characters long; at most {MAX_SLUG}",
            "slugs make URLs and folder names; shorten it",
        )
    return None


def check_name(value: Any) -> str | Problem | None:
    if (problem := _text_problem(value)) is not None:
        return problem
    if not value.strip():
        return "is empty"
    if len(value) > MAX_NAME:
        return f"is {len(value)} characters long; at most {MAX_NAME}"
    return None


def check_text(value: Any) -> str | Problem | None:
    if (problem := _text_problem(value, prose=True)) is not None:
        return problem
    return "is empty" if not value.strip() else None


def check_number(value: Any) -> str | None:
    """A price: a finite number above 0 and at most MAX_PRICE."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number, not {type_name(value)}"
    if not math.isfinite(value):
        return f"must be a finite number, not {value}"
    if value <= 0:
        return f"must be more than 0, not {value}"
    return f"is {value:,}; at most {MAX_PRICE:,}" if value > MAX_PRICE else None


MAX_SECONDS = 3600


def check_seconds(value: Any) -> str | None:
    """A time limit: a finite number of seconds above 0 and at most MAX_SECONDS."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number of seconds, not {type_name(value)}"
    if not math.isfinite(value) or value <= 0:
        return f"must be more than 0 seconds, not {value}"
    return f"is {value:,} seconds; at most {MAX_SECONDS:,}" if value > MAX_SECONDS else None


def _url_problem(value: Any, pattern: re.Pattern[str]) -> str | Problem | None:
    if (problem := _text_problem(value)) is not None:
        return problem
    if pattern.fullmatch(value):
        return None
    scheme, _, rest = value.partition("://")
    if scheme.lower() in ("http", "https") and scheme not in ("http", "https"):
        return Problem(f"'{value}' has an upper-case scheme", f"write {scheme.lower()}://")
    if "@" in rest.split("/", 1)[0]:
        return Problem("must not carry a user name or password", "remove the part up to '@'")
    if any(char.isspace() for char in value):
        return Problem(f"'{value}' contains a space", "write %20 for a space, or remove it")
    if URL_RE.fullmatch(value):
        return "must not have a query or fragment"
    return Problem(f"'{value}' is not an absolute http(s) URL", "like https://example.com/path")


def check_url(value: Any) -> str | Problem | None:
    return _url_problem(value, URL_RE)


def check_base_url(value: Any) -> str | Problem | None:
    return _url_problem(value, BASE_URL_RE)


def check_language(value: Any) -> str | Problem | None:
    if (problem := _text_problem(value)) is not None:
        return problem
    return None if LANG_RE.fullmatch(value) else f"'{value}' is not a language tag such as 'en-US'"


def check_date(value: Any) -> str | None:
    if isinstance(value, dt.date):
        return None
    if isinstance(value, str) and re.fullmatch(DATE_PATTERN, value):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return f"'{value}' is not a date of the calendar"
        return None
    return f"must be a date like 2026-11-01, not {value!r}"


def check_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, not {value!r}"


def check_promo(value: Any) -> str | Problem | None:
    if (problem := _text_problem(value)) is not None:
        return problem
    return None if PROMO_RE.fullmatch(value) else "use letters, digits, '-' or '_' (at most 40)"


SCALAR_CHECKS: dict[str, Checker] = {
    "slug": check_slug,
    "name": check_name,
    "text": check_text,
    "number": check_number,
    "seconds": check_seconds,
    "url": check_url,
    "base_url": check_base_url,
    "language": check_language,
    "promo": check_promo,
    "date": check_date,
    "bool": check_bool,
}


def as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
