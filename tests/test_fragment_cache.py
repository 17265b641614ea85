"""Fragment caching ({% cache %} in templates) changes no byte of any page."""

from __future__ import annotations

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
