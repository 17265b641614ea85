"""Render stage: view models -> HTML strings through the site's Jinja templates.

The environment autoescapes everything and is strict about undefined names. Any template
mistake, at load or at render time, becomes a `SiteError` at `templates/<name>:<line>`
with the offending line. `digest` identifies the templates for page fingerprints. Under a
base_url with a path, every root-relative URL of a rendered page gets that path.
Writes no files.
"""

from __future__ import annotations

import hashlib
import re
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateSyntaxError,
    meta,
    nodes,
    pass_context,
)
from jinja2.exceptions import UndefinedError
from jinja2.ext import Extension
from jinja2.loaders import split_template_path
from jinja2.runtime import Context
from jinja2.utils import missing
from markupsafe import Markup

from .errors import ErrorCollector, SiteError, SourceLocation, did_you_mean
from .hubs import HubPage
from .jinja_env import SandboxedFlatGlobals
from .models import Site
from .pages import GuidePage, PageMeta
from .sources import check_source, source_files, walk_sources

TEMPLATES_DIR = "templates"
REQUIRED_TEMPLATES = ("guide.html", "home.html", "hub.html", "404.html", "redirect.html")

# Federal rules the appeal-rights section cites (official or widely used public sources).
# The section sign is written as &sect;: a page with no other non-ASCII character then
# stays ASCII, which Python encodes to UTF-8 with a copy (0.4 µs) instead of character by
# character (10 µs for a guide).
CITATIONS = {
    "phs_2719": (
        Markup("PHS Act &sect;2719 (42 U.S.C. 300gg-19)"),
        "https://www.law.cornell.edu/uscode/text/42/300gg-19",
    ),
    "cfr_147_136": (
        "45 CFR 147.136",
        "https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-B/part-147/section-147.136",
    ),
    "erisa_503": (
        Markup("ERISA &sect;503 (29 U.S.C. 1133)"),
        "https://www.law.cornell.edu/uscode/text/29/1133",
    ),
    "cfr_2560": (
        "29 CFR 2560.503-1",
        "https://www.ecfr.gov/current/title-29/subtitle-B/chapter-XXV/subchapter-F/part-2560/section-2560.503-1",
    ),
    "part_d": (
        "42 CFR part 423, subpart M (Medicare Part D)",
        "https://www.ecfr.gov/current/title-42/chapter-IV/subchapter-B/part-423/subpart-M",
    ),
    "part_c": (
        "42 CFR part 422, subpart M (Medicare Advantage)",
        "https://www.ecfr.gov/current/title-42/chapter-IV/subchapter-B/part-422/subpart-M",
    ),
    "medicaid": (
        "42 CFR part 438, subpart F (Medicaid managed care)",
        "https://www.ecfr.gov/current/title-42/chapter-IV/subchapter-C/part-438/subpart-F",
    ),
}


class FieldUndefined(StrictUndefined):
    """StrictUndefined whose message names no Python class: "no field 'headng' (did you
    mean 'heading'?)", the suggestion taken from the fields the value really has."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint or self._undefined_obj is missing:
            return str(super()._undefined_message)
        name = str(self._undefined_name)
        hint = did_you_mean(name, _fields(self._undefined_obj))
        return f"no field '{name}'" + (f" ({hint})" if hint else "")


def _fields(value: Any) -> list[str]:
    """The names a template can look up on a value: its keys, or its public attributes."""
    if isinstance(value, Mapping):
        return [str(key) for key in value]
    return [name for name in dir(value) if not name.startswith("_")]


_NO_FIELD = re.compile(r"no field '(?P<name>[^']*)'(?: \((?P<hint>.*)\))?$")
_UNDEFINED_NAME = re.compile(r"'(?P<name>[^']*)' is undefined$")


def _undefined_problem(
    message: str, line: str | None, names: Iterable[str]
) -> tuple[str, str | None] | None:
    """`'page' has no field 'headng'` (the owner read from the template line) or
    `'pag' is undefined`, each with its did-you-mean; None for other messages."""
    field = _NO_FIELD.match(message)
    if field is not None:
        attr = field["name"]
        owner = re.search(
            rf"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*(?:\.\s*{re.escape(attr)}\b|\[\s*['\"]"
            rf"{re.escape(attr)}['\"]\s*\])",
            line or "",
        )
        subject = f"'{owner[1]}'" if owner else "the value"
        return f"{subject} has no field '{attr}'", field["hint"]
    undefined = _UNDEFINED_NAME.match(message)
    if undefined is not None:
        known = sorted(set(names))
        hint = did_you_mean(undefined["name"], known) or f"templates get {', '.join(known)}"
        return f"'{undefined['name']}' is undefined", hint
    return None


def template_error(exc: BaseException, root: Path, names: Iterable[str] = ()) -> SiteError:
    """A template exception as `templates/<name>:<line>: message`, with the line's text;
    `names`: the variables the template was given (for a did-you-mean)."""
    templates = (root / TEMPLATES_DIR).resolve()
    if isinstance(exc, TemplateSyntaxError) and exc.filename:
        path = Path(exc.filename)
        line = exc.lineno or 0
        display = _display(path, templates, root)
        source = _line_text(path, line)
        return SiteError(
            f"template syntax error: {exc.message}", SourceLocation(display, line), None, source
        )
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename)
        if path.suffix in (".html", ".xml", ".txt") and _inside(path, templates):
            display = _display(path, templates, root)
            message = str(getattr(exc, "message", None) or exc)
            text = _line_text(path, frame.lineno or 0)
            found = (
                _undefined_problem(message, text, names)
                if isinstance(exc, UndefinedError)
                else None
            )
            problem, hint = found or (f"template error: {message}", None)
            return SiteError(problem, SourceLocation(display, frame.lineno or 0), hint, text)
    return SiteError(f"template error: {exc}", SourceLocation(TEMPLATES_DIR))


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder)
        return True
    except ValueError:
        return False


def _display(path: Path, templates: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return f"{TEMPLATES_DIR}/{path.name}"


def _line_text(path: Path, line: int) -> str | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return lines[line - 1] if 0 < line <= len(lines) else None


class RootedLoader(FileSystemLoader):
    """templates/ through `sources`: a template (included, extended or rendered) that is a
    link leading out of the site's source folders, or not a regular file, is a SiteError."""

    def __init__(self, root: Path) -> None:
        super().__init__(str(root / TEMPLATES_DIR))
        self.root = root

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = Path(self.searchpath[0], *split_template_path(template))
        if path.exists() or path.is_symlink():
            check_source(path, self.root)
        return super().get_source(environment, template)

    def list_templates(self) -> list[str]:
        folder = Path(self.searchpath[0])
        found = walk_sources(folder, self.root)
        return sorted(p.relative_to(folder).as_posix() for p, problem in found if not problem)


def check_templates(root: Path, env: Environment | None, errors: ErrorCollector) -> None:
    """Every template parses, and the ones the pipeline renders exist."""
    folder = root / TEMPLATES_DIR
    if not folder.is_dir():
        errors.add("the templates folder is missing", SourceLocation(TEMPLATES_DIR))
        return
    source_files(folder, root, errors)
    env = env or Environment(loader=RootedLoader(root), autoescape=True, extensions=[FragmentCache])
    for name in REQUIRED_TEMPLATES:
        if not (folder / name).is_file():
            errors.add(f"required template '{name}' is missing", SourceLocation(TEMPLATES_DIR))
    for name in env.list_templates():
        try:
            env.get_template(name)
        except TemplateSyntaxError as exc:
            errors.add_error(template_error(exc, root))
        except SiteError as error:  # an include that is refused (see RootedLoader)
            errors.add_error(error)
        except UnicodeDecodeError:
            errors.add("template is not valid UTF-8", SourceLocation(f"{TEMPLATES_DIR}/{name}"))


class FragmentCache(Extension):
    """`{% cache "name", key... %}...{% endcache %}`: render a fragment once per key.

    For parts of a page that depend on nothing but the listed keys (and the site-wide
    globals), such as the appeal-rights section every guide shows. The cache lives as long
    as the Renderer, i.e. one build, and holds at most `FRAGMENT_LIMIT` fragments; the
    fingerprint of every page already covers the templates. `Renderer(cache_fragments=False)`
    turns it off, which tests use to show that caching changes no byte."""

    tags = {"cache"}

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.extend(fragment_cache={}, fragment_cache_enabled=True)
        # Called as filters: a template calls a filter directly, where a call to a method
        # goes through `Context.call` (about a microsecond more, eight times a guide).
        environment.filters[_GET] = _fragment_get
        environment.filters[_PUT] = _fragment_put

    def parse(self, parser: Any) -> nodes.Node | list[nodes.Node]:
        # {% set hit = key|get %}{% if hit is not none %}{{ hit }}{% else %}{% set f %}body
        # {% endset %}{{ f|put(key) }}{% endif %}: a hit costs one call and one lookup.
        lineno = next(parser.stream).lineno
        args = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            args.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        key = nodes.Tuple(args, "load", lineno=lineno)
        hit, target = f"_cached_{lineno}", f"_fragment_{lineno}"
        lookup = nodes.Assign(
            nodes.Name(hit, "store"), _filter(key, _GET, [], lineno), lineno=lineno
        )
        capture = nodes.AssignBlock(nodes.Name(target, "store"), None, body, lineno=lineno)
        store = nodes.Output(
            [_filter(nodes.Name(target, "load"), _PUT, [key], lineno)], lineno=lineno
        )
        missed = nodes.Test(nodes.Name(hit, "load"), "none", [], [], None, None, lineno=lineno)
        shown = nodes.Output([nodes.Name(hit, "load")], lineno=lineno)
        return [lookup, nodes.If(missed, [capture, store], [], [shown], lineno=lineno)]


# A root-relative URL in an attribute a browser follows, or in a refresh's target: written by
# templates and write-ups as '/cigna/', served under base_url's path as '/appeals/cigna/'
# (rewritten once a page is rendered, like Hugo's canonifyURLs, so no template can miss it).
_ROOT_RELATIVE = re.compile(
    r"""(\s(?:href|src|action|poster|formaction)=["']?|content=["']?\d+;\s*url=)/(?!/)""",
    re.IGNORECASE,
)

_GET, _PUT = "_fragment_cache_get", "_fragment_cache_put"
# Fragments kept at most; the cache starts again when full. Units run drug by drug, so a
# worker needs a few dozen at a time (a drug's twelve reasons, the site-wide ones), while
# the keys of a whole site can be many: 4,680 drug and reason pairs at 1M guides, or one
# per page if a template keys a fragment by the guide.
FRAGMENT_LIMIT = 512


# Both take the context so that Jinja's optimizer cannot call them while compiling a
# template (it folds filters of constants, such as a fragment's key, into constants).
@pass_context
def _fragment_get(context: Context, key: tuple[Any, ...]) -> Markup | None:
    """The cached fragment, or None when it has not been rendered (or caching is off: then
    nothing is ever stored)."""
    env: Any = context.environment
    found: Markup | None = env.fragment_cache.get(key)
    return found


@pass_context
def _fragment_put(context: Context, fragment: str, key: tuple[Any, ...]) -> Markup:
    env: Any = context.environment
    markup = Markup(fragment)
    if env.fragment_cache_enabled:
        cache = env.fragment_cache
        if len(cache) >= FRAGMENT_LIMIT:
            cache.clear()
        cache[key] = markup
    return markup


def _filter(value: nodes.Expr, name: str, args: list[nodes.Expr], lineno: int) -> nodes.Filter:
    return nodes.Filter(value, name, args, [], None, None, lineno=lineno)


class Renderer:
    """The site's templates, loaded once; renders pages to strings."""

    def __init__(
        self, root: Path, site: Site, asset_url: Callable[[str], str], cache_fragments: bool = True
    ) -> None:
        self.root = root
        self.site = site
        self.env = SandboxedFlatGlobals(
            loader=RootedLoader(root),
            autoescape=True,
            undefined=FieldUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
            cache_size=-1,  # a plain dict: every template stays loaded, looked up without a lock
            extensions=[FragmentCache],
        )
        self.env.fragment_cache_enabled = cache_fragments  # type: ignore[attr-defined]
        self.env.globals.update(site=site, asset=asset_url, citations=CITATIONS)
        self._digests: dict[str, str] = {}
        self._prefix = site.path_prefix

    def digest(self, name: str) -> str:
        """A digest of a template and every template it extends, includes or imports."""
        if name not in self._digests:
            digest = hashlib.sha256()
            for used in sorted(self._closure(name)):
                digest.update(used.encode() + b"\0")
                digest.update(self._source(used).encode("utf-8"))
            self._digests[name] = digest.hexdigest()[:24]
        return self._digests[name]

    def _closure(self, name: str) -> set[str]:
        seen: set[str] = set()
        pending = [name]
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            source = self._source(current)
            for used in meta.find_referenced_templates(self.env.parse(source)):
                if used is not None:
                    pending.append(used)
        return seen

    def _source(self, name: str) -> str:
        """A template's text, read through the loader's checks (see RootedLoader)."""
        loader = self.env.loader
        assert loader is not None
        return loader.get_source(self.env, name)[0]

    def check(self, errors: ErrorCollector) -> None:
        """Load every template (syntax errors with their line) and require the core ones."""
        check_templates(self.root, self.env, errors)

    def render(self, name: str, **context: Any) -> str:
        try:
            html = self.env.get_template(name).render(**context)
        except SiteError:
            raise
        except Exception as exc:  # noqa: BLE001 - templates are inputs: any failure is theirs
            raise template_error(exc, self.root, [*context, *self.env.globals]) from None
        return self._prefixed(html) if self._prefix else html

    def _prefixed(self, html: str) -> str:
        """The page with every root-relative URL it links to under base_url's path."""
        return _ROOT_RELATIVE.sub(lambda m: m.group(1) + self._prefix + "/", html)

    def guide(self, page: GuidePage) -> str:
        return self.render("guide.html", page=page, meta=page.meta)

    def hub(self, hub: HubPage, meta: PageMeta) -> str:
        return self.render("home.html" if hub.kind == "home" else "hub.html", page=hub, meta=meta)

    def not_found(self, meta: PageMeta) -> str:
        return self.render("404.html", meta=meta)

    def redirect(self, target: str, label: str) -> str:
        return self.render("redirect.html", target=target, label=label)
