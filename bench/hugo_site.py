"""Turn a synthetic site folder (bench/synth.py) into a Hugo project that builds the same pages.

    python bench/hugo_site.py SITE_DIR HUGO_DIR
    hugo --minify=false -s HUGO_DIR -d OUT
    python bench/hugo_site.py --compare SITE_DIR/output OUT    # same pages?

The Hugo project is:

- `hugo.toml`: base URL and language from `data/site.yaml`, then bench/hugo/hugo.toml
  (no RSS, no taxonomies, Goldmark set up like our Python-Markdown: no typographer, no
  linkify, no heading ids);
- `data/`: the site's four YAML files as they are, `citations.yaml` (bench/hugo/data) and
  `writeups.json`, every write-up keyed by its path under content/ ("reasons/step-therapy",
  "drugs/<drug>/<reason>", "guides/<payer>/<drug>/<reason>");
- `content/_content.gotmpl` (bench/hugo): the content adapter, which expands payer x drug x
  reason, picks each guide's write-up by the cascade, fills in its variables, and adds the
  guides and hubs (home, payer, payer + drug, drug, reason) with their related links;
- `layouts/` (bench/hugo): the equivalents of our templates;
- `assets/`: our static/ files, fingerprinted by Hugo's pipeline.

Write-ups are Markdown with Jinja tags. This script does what our generator does once per
file (split the front matter, move headings one level down) and turns the Jinja into a flat
list of segments, each a piece of Markdown text or a variable name, guarded by the `if`
conditions around it (`{% if drug.condition %}`, `{% elif drug.benefit == "pharmacy" %}`,
`{% else %}`...). The adapter evaluates the segments for every page, which is the per-page
work of rendering our compiled template, and Hugo renders the resulting Markdown.

`--compare` checks that two builds have the same pages (every index.html and 404.html), the
same guide count, the same sitemap URLs, and that each page says the same thing once markup
details are set aside: the visible text (title included, whitespace collapsed, entities
decoded), the sequence of tags, the links, the meta and link tags, and the parsed JSON-LD;
asset URLs are compared without their content hash (Hugo's is longer).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, nodes

HERE = Path(__file__).resolve().parent
TEMPLATE_DIR = HERE / "hugo"
DATA_FILES = ("site.yaml", "payers.yaml", "drugs.yaml", "denial_reasons.yaml")
MARKER = ".hugo-bench-project"

_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
_HEADING_RE = re.compile(r"^( {0,3})(#{1,5})(?=\s|$)")

Guard = list[Any]  # [field, value or None (truthiness test), negated]
Segment = dict[str, Any]


class UnsupportedTemplate(ValueError):
    """A write-up uses Jinja this converter does not translate."""


def split_front_matter(text: str) -> tuple[str | None, str]:
    """(front matter or None, body), the way guidegen.content splits them."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, text
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :])
    raise ValueError("front matter is not closed")


def shift_headings(body: str) -> str:
    """'## x' -> '### x' outside code fences: the page owns h1 and its section h2s."""
    out, in_fence = [], False
    for line in body.split("\n"):
        if _FENCE_RE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            line = _HEADING_RE.sub(lambda m: m.group(1) + m.group(2) + "#", line, count=1)
        out.append(line)
    return "\n".join(out)


def _field(node: nodes.Node) -> str:
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
        return f"{node.node.name}.{node.attr}"
    raise UnsupportedTemplate(f"expected name.field, got {node!r}")


def _atoms(test: nodes.Node) -> list[Guard]:
    """A condition as a list of guards that must all hold."""
    if isinstance(test, nodes.Getattr):
        return [[_field(test), None, False]]
    if isinstance(test, nodes.Not):
        return [_negate(_atoms(test.node))]
    if isinstance(test, nodes.And):
        return _atoms(test.left) + _atoms(test.right)
    if (
        isinstance(test, nodes.Compare)
        and len(test.ops) == 1
        and test.ops[0].op in ("eq", "ne")
        and isinstance(test.ops[0].expr, nodes.Const)
    ):
        return [[_field(test.expr), test.ops[0].expr.value, test.ops[0].op == "ne"]]
    raise UnsupportedTemplate(f"unsupported condition {test!r}")


def _negate(atoms: list[Guard]) -> Guard:
    if len(atoms) != 1:
        raise UnsupportedTemplate("cannot negate a compound condition")
    field, value, negated = atoms[0]
    return [field, value, not negated]


def _walk(body: list[nodes.Node], guards: list[Guard], out: list[Segment]) -> None:
    for node in body:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    out.append({"g": guards, "t": child.data})
                else:
                    out.append({"g": guards, "v": _field(child)})
        elif isinstance(node, nodes.If):
            earlier: list[Guard] = []  # negations of the branches before this one
            branches = [(node.test, node.body)] + [(e.test, e.body) for e in node.elif_]
            for number, (test, branch) in enumerate(branches, 1):
                atoms = _atoms(test)
                _walk(branch, guards + earlier + atoms, out)
                if number < len(branches) or node.else_:
                    earlier.append(_negate(atoms))
            _walk(node.else_, guards + earlier, out)
        else:
            raise UnsupportedTemplate(f"unsupported tag {type(node).__name__}")


def to_segments(source: str) -> list[Segment]:
    """A Jinja write-up as flat guarded segments; adjacent texts with the same guards merged."""
    raw: list[Segment] = []
    _walk(Environment().parse(source).body, [], raw)
    merged: list[Segment] = []
    for seg in raw:
        last = merged[-1] if merged else None
        if last is not None and "t" in seg and "t" in last and last["g"] == seg["g"]:
            last["t"] += seg["t"]
        else:
            merged.append(dict(seg))
    for seg in merged:
        if not seg["g"]:
            del seg["g"]
    return merged


def bundle_writeups(content: Path) -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    for path in sorted(content.rglob("*.md")):
        key = path.relative_to(content).with_suffix("").as_posix()
        front_text, body = split_front_matter(path.read_text(encoding="utf-8"))
        front = (yaml.safe_load(front_text) if front_text else None) or {}
        updated = front.get("updated")
        try:
            doc = {
                "updated": updated.isoformat() if updated is not None else None,
                "reviewed_by": front.get("reviewed_by"),
                "noindex": front.get("noindex"),
                "title": to_segments(front["title"]) if front.get("title") else None,
                "description": (
                    to_segments(front["description"]) if front.get("description") else None
                ),
                "body": to_segments(shift_headings(body)),
            }
            docs[key] = {k: v for k, v in doc.items() if v is not None}
        except UnsupportedTemplate as exc:
            raise UnsupportedTemplate(f"{path}: {exc}") from None
    return docs


def write_hugo_site(site_dir: Path, hugo_dir: Path) -> None:
    """Write a Hugo project into `hugo_dir` (replaced if it is one we wrote) for `site_dir`."""
    site_dir, hugo_dir = Path(site_dir), Path(hugo_dir)
    if hugo_dir.exists():
        if not (hugo_dir / MARKER).exists() and any(hugo_dir.iterdir()):
            raise SystemExit(f"{hugo_dir} exists and was not written by this script")
        shutil.rmtree(hugo_dir)
    site = yaml.safe_load((site_dir / "data" / "site.yaml").read_text(encoding="utf-8"))
    hugo_dir.mkdir(parents=True)
    (hugo_dir / MARKER).write_text("written by bench/hugo_site.py\n", encoding="utf-8")

    config = (TEMPLATE_DIR / "hugo.toml").read_text(encoding="utf-8")
    head = (
        f"baseURL = {json.dumps(site['base_url'].rstrip('/') + '/')}\n"
        f"locale = {json.dumps(site.get('language', 'en-US'))}\n"
        f"title = {json.dumps(site['site_name'])}\n"
    )
    (hugo_dir / "hugo.toml").write_text(head + config, encoding="utf-8")

    for folder in ("layouts", "content", "data"):
        shutil.copytree(TEMPLATE_DIR / folder, hugo_dir / folder)
    for name in DATA_FILES:
        shutil.copy(site_dir / "data" / name, hugo_dir / "data" / name)
    writeups = bundle_writeups(site_dir / "content")
    (hugo_dir / "data" / "writeups.json").write_text(
        json.dumps(writeups, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    shutil.copytree(site_dir / "static", hugo_dir / "assets")


# Checking the equivalence of two builds ---------------------------------------------------

_ASSET_HASH_RE = re.compile(r"(/assets/[^\"'/]+?)\.[0-9a-f]{10,64}\.")
_LOC_RE = re.compile(r"<loc>([^<]*)</loc>")


class _PageFacts(HTMLParser):
    """What a page says, whitespace and escaping aside: its text (title included), the
    sequence of its tags, its links, its meta and link tags, and its parsed JSON-LD."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []
        self.links: list[str | None] = []
        self.meta: dict[str, str | None] = {}
        self.jsonld: list[Any] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "a":
            self.links.append(a.get("href"))
        elif tag == "meta" and (a.get("name") or a.get("property")):
            self.meta[str(a.get("name") or a.get("property"))] = a.get("content")
        elif tag == "link":
            self.meta[f"link:{a.get('rel')}"] = a.get("href")
        elif tag == "script":
            self._script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = False

    def handle_data(self, data: str) -> None:
        if self._script:
            self.jsonld.append(json.loads(data))
        else:
            self.text.append(data)


def page_facts(path: Path) -> dict[str, Any]:
    parser = _PageFacts()
    parser.feed(_ASSET_HASH_RE.sub(r"\1.", path.read_text(encoding="utf-8")))
    return {
        "text": " ".join(" ".join(parser.text).split()),
        "tags": parser.tags,
        "links": parser.links,
        "meta": parser.meta,
        "jsonld": parser.jsonld,
    }


def _compare_page(pair: tuple[Path, Path]) -> list[str]:
    ours, theirs = page_facts(pair[0]), page_facts(pair[1])
    return [key for key in ours if ours[key] != theirs[key]]


def _guide_sizes(out: Path) -> list[int]:
    """Sizes of the guide pages (/<payer>/<drug>/<reason>/index.html)."""
    return [
        p.stat().st_size
        for p in out.glob("*/*/*/index.html")
        if p.relative_to(out).parts[0] not in ("drugs", "reasons")
    ]


def _sitemap_urls(out: Path) -> set[str]:
    files = [out / "sitemap.xml", *sorted((out / "sitemaps").glob("*.xml"))]
    urls: set[str] = set()
    for path in files:
        if path.is_file():
            urls |= {
                u
                for u in _LOC_RE.findall(path.read_text(encoding="utf-8"))
                if not u.endswith(".xml")
            }
    return urls


def compare_outputs(ours: Path, theirs: Path, jobs: int | None = None) -> bool:
    """Print how the pages of two builds compare; True when every page says the same."""
    pages = sorted(p.relative_to(ours) for p in ours.rglob("index.html"))
    pages.append(Path("404.html"))
    other = {p.relative_to(theirs) for p in theirs.rglob("index.html")} | {Path("404.html")}
    missing = [p for p in pages if p not in other]
    extra = sorted(other - set(pages))
    both = [(ours / p, theirs / p) for p in pages if p in other]
    differ: dict[str, list[str]] = {}
    with ProcessPoolExecutor(jobs) as pool:
        for (path, _), keys in zip(both, pool.map(_compare_page, both, chunksize=256), strict=True):
            for key in keys:
                differ.setdefault(key, []).append(str(path.relative_to(ours)))
    a, b = _guide_sizes(ours), _guide_sizes(theirs)
    print(
        f"pages: ours {len(pages)}, hugo {len(other)}; "
        f"missing in hugo {len(missing)}, extra in hugo {len(extra)}"
    )
    print(
        f"guide pages: ours {len(a)}, hugo {len(b)}; average size ours "
        f"{sum(a) / max(1, len(a)):,.0f} B, hugo {sum(b) / max(1, len(b)):,.0f} B"
    )
    sa, sb = _sitemap_urls(ours), _sitemap_urls(theirs)
    print(f"sitemap URLs: ours {len(sa)}, hugo {len(sb)}, in one only {len(sa ^ sb)}")
    print(f"pages compared (text, tags, links, meta, JSON-LD): {len(both)}")
    for key, where in differ.items():
        print(f"  {len(where)} differ in {key}, e.g. {where[0]}")
    for path in (missing + extra)[:5]:
        print(f"  only in one build: {path}")
    return not (missing or extra or differ or sa ^ sb or len(a) != len(b))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--compare":
        sys.exit(0 if compare_outputs(Path(sys.argv[2]), Path(sys.argv[3])) else 1)
    if len(sys.argv) != 3:
        sys.exit(
            "usage: python bench/hugo_site.py SITE_DIR HUGO_DIR\n"
            "       python bench/hugo_site.py --compare OUR_OUTPUT HUGO_OUTPUT"
        )
    write_hugo_site(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"wrote {sys.argv[2]}")
