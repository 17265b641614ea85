"""Property-based fuzzing: random data files and front matter either build a site whose every
page parses and escapes every value, or fail with file:line errors; never a traceback."""

from __future__ import annotations

import html.parser
import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guidegen.errors import BuildFailed, SiteError
from guidegen.pipeline import BuildOptions, build_site

from .conftest import MINI, copy_site

MARK = "<script>bad()</script>&\"'"  # must never appear unescaped in a page
texts = st.one_of(
    st.text(min_size=0, max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "yes",
            "no",
            "null",
            "1.0",
            "2026-01-01",
            MARK,
            "a: b",
            "- x",
            "{{ drug.name }}",
            "{% if %}",
            "</script>",
            "\t",
            "é",
            "💊",
            "[",
            "&amp;",
        ]
    ),
)
scalars = st.one_of(texts, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=8,
)
slugs = st.one_of(st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4})?", fullmatch=True), texts)


def record(fields: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A record with the usual fields, some broken, some missing, sometimes extra ones."""
    return st.fixed_dictionaries(
        {},
        optional={**fields, "extra": values},
    )


payer = record(
    {
        "slug": slugs,
        "name": st.one_of(texts, scalars),
        "short_name": texts,
        "aliases": st.lists(slugs, max_size=2),
        "description": texts,
    }
)
drug = record(
    {
        "slug": slugs,
        "name": st.one_of(texts, scalars),
        "generic_name": texts,
        "drug_class": texts,
        "condition": texts,
        "prescriber": texts,
        "benefit": st.sampled_from(["medical", "pharmacy", "other"]),
        "reasons": st.lists(st.sampled_from(["step-therapy", "off-label", "nope"]), max_size=2),
    }
)
front_matter = st.one_of(
    st.dictionaries(
        st.sampled_from(["title", "description", "updated", "reviewed_by", "noindex", "typo"]),
        values,
        max_size=4,
    ),
    values,
)


class _Parser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_site_or_errors(root: Path) -> None:
    out = root / "output"
    try:
        build_site(root, out, BuildOptions(jobs=1))
    except BuildFailed as failure:
        assert failure.errors
        for error in failure.errors:
            assert error.location is not None, error.render()
            assert error.location.path, error.render()
        return
    except SiteError as error:  # pragma: no cover - build_site reports through BuildFailed
        raise AssertionError(f"a bare SiteError escaped: {error.render()}") from None
    for page in out.rglob("*.html"):
        source = page.read_text(encoding="utf-8")
        assert "<script>bad()" not in source, f"unescaped value in {page}"
        _Parser().feed(source)  # parses


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payers=st.lists(payer, min_size=0, max_size=3), drugs=st.lists(drug, min_size=0, max_size=3))
def test_random_data_builds_or_reports(
    payers: list[dict[str, Any]], drugs: list[dict[str, Any]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = copy_site(MINI, Path(folder) / "site")
        (root / "data/payers.yaml").write_text(
            yaml.safe_dump(payers, allow_unicode=True), encoding="utf-8"
        )
        (root / "data/drugs.yaml").write_text(
            yaml.safe_dump(drugs, allow_unicode=True), encoding="utf-8"
        )
        check_site_or_errors(root)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front=front_matter, body=texts, raw=st.booleans())
def test_random_front_matter_builds_or_reports(front: Any, body: str, raw: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = copy_site(MINI, Path(folder) / "site")
        page = root / "content/guides/acme/alphamab/step-therapy.md"
        matter = yaml.safe_dump(front, allow_unicode=True) if not raw else json.dumps(front)
        page.write_text(f"---\n{matter}---\n## Heading\n\n{body}\n\nMore text.\n", encoding="utf-8")
        check_site_or_errors(root)


def test_hostile_bytes_in_yaml_are_reported() -> None:
    samples = [
        b"\xff\xfe\x00",
        b"a: b\n\x00",
        b"- slug: [\n" * 3,
        b"&a [*a]",
        b"!!binary 'x'",
        b"\t- x",
    ]
    for data in samples:
        with tempfile.TemporaryDirectory() as folder:
            root = copy_site(MINI, Path(folder) / "site")
            (root / "data/payers.yaml").write_bytes(data)
            check_site_or_errors(root)
