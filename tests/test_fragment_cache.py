"""Fragment caching ({% cache %} in templates) renders a fragment once per key and changes no
byte of any page."""

from __future__ import annotations

from pathlib import Path

import pytest

from guidegen import render
from guidegen.outputs import SiteOutputs
from guidegen.render import Renderer
from guidegen.sitemodel import load_site

from .conftest import ROOT


def test_cached_fragments_render_the_same_bytes() -> None:
    site = load_site(ROOT)
    cached = SiteOutputs(site)
    plain_renderer = Renderer(ROOT, site.data.site, site.assets.url, cache_fragments=False)
    plain = SiteOutputs(type(site)(**{**site.__dict__, "renderer": plain_renderer}))
    keys = list(site.matrix.all_keys())
    assert len(keys) > 3000
    for key in keys:
        assert cached.guide_output(key).make() == plain.guide_output(key).make(), key
    for hub in site.hubs.all():
        assert cached.hub_output(hub, "x").make() == plain.hub_output(hub, "x").make(), hub.url
    assert site.renderer.env.fragment_cache  # type: ignore[attr-defined]


def counting_renderer(root: Path, source: str) -> tuple[Renderer, dict[str, int]]:
    """A renderer of one template `t.html`, whose `count(key)` counts its calls by key."""
    (root / "templates").mkdir()
    (root / "templates" / "t.html").write_text(source, encoding="utf-8")
    renderer = Renderer(root, load_site(ROOT).data.site, lambda path: path)
    calls: dict[str, int] = {}

    def count(key: str) -> str:
        calls[key] = calls.get(key, 0) + 1
        return key

    renderer.env.globals["count"] = count
    return renderer, calls


def test_a_fragment_renders_once_per_key(tmp_path: Path) -> None:
    renderer, calls = counting_renderer(
        tmp_path,
        '{% cache "fixed" %}[{{ count("fixed") }}]{% endcache %}'
        '{% cache "by-who", who %}<{{ count(who) }}>{% endcache %}',
    )
    pages = [renderer.render("t.html", who=who) for who in ("a", "b", "a", "a", "b")]
    assert pages == ["[fixed]<a>", "[fixed]<b>", "[fixed]<a>", "[fixed]<a>", "[fixed]<b>"]
    assert calls == {"fixed": 1, "a": 1, "b": 1}


def test_the_cache_holds_at_most_its_limit_and_starts_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "FRAGMENT_LIMIT", 3)
    renderer, calls = counting_renderer(
        tmp_path, '{% cache "by-who", who %}<{{ count(who) }}>{% endcache %}'
    )
    cache = renderer.env.fragment_cache  # type: ignore[attr-defined]
    sizes = []
    for who in "abcabcd":
        assert renderer.render("t.html", who=who) == f"<{who}>"
        sizes.append(len(cache))
    # a, b and c fill it; their second turn hits; d finds it full, so it starts again
    assert sizes == [1, 2, 3, 3, 3, 3, 1]
    assert calls == {"a": 1, "b": 1, "c": 1, "d": 1}
