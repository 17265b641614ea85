"""JSON-LD: spliced-in fragments give the bytes of serializing the whole document at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from jinja2.utils import htmlsafe_json_dumps

from guidegen import jsonld
from guidegen.models import DrugFacts, Link, Offer, Site


def _whole(document: Any) -> str:
    """What the stock way gives: one orjson call, made safe by Jinja."""
    dumps = lambda d: orjson.dumps(d, option=orjson.OPT_SORT_KEYS).decode()  # noqa: E731
    return (
        f'<script type="application/ld+json">{htmlsafe_json_dumps(document, dumps=dumps)}</script>'
    )


def _site(name: str) -> Site:
    offer = Offer(49, 9, "FIRST", "https://pay.example/")
    return Site("https://example.test", name, "en-US", offer)


def test_guide_script_equals_one_serialization_and_stays_safe() -> None:
    site = _site("Help & <Co>")
    crumbs = (Link("/", "Home"), Link("/a/", "A's plan"), Link("/a/x/", "X</script>"))
    for drug in (
        DrugFacts("x", "X</script>", generic_name="x'mab", drug_class="<b>", condition="a&b"),
        DrugFacts("y", "Y", condition=None),  # another drug: its own `about`, not X's
        DrugFacts("x", "X</script>", generic_name="x'mab", drug_class="<b>", condition="a&b"),
    ):
        args = ("https://example.test/a/x/", "Heading <i>", "Desc & more", drug, "A's plan")
        dates = (dt.date(2026, 1, 2), "Team <b>", dt.date(2026, 1, 3))
        made = jsonld.script(site, args[0], crumbs, [jsonld.guide_node(site, *args, *dates)])
        about: list[dict[str, Any]] = [{"@type": "Drug", "name": drug.name}]
        if drug.generic_name:
            about[0]["nonProprietaryName"] = drug.generic_name
        if drug.drug_class:
            about[0]["drugClass"] = {"@type": "DrugClass", "name": drug.drug_class}
        if drug.condition:
            about.append({"@type": "MedicalCondition", "name": drug.condition})
        node = {
            "@type": "MedicalWebPage",
            "@id": f"{args[0]}#webpage",
            "url": args[0],
            "name": args[1],
            "headline": args[1],
            "description": args[2],
            "inLanguage": "en-US",
            "isPartOf": {"@id": "https://example.test/#website"},
            "breadcrumb": {"@id": f"{args[0]}#breadcrumb"},
            "publisher": jsonld.organization(site),
            "about": about,
            "mentions": {"@type": "Organization", "name": args[4]},
            "dateModified": "2026-01-02",
            "reviewedBy": {"@type": "Organization", "name": "Team <b>"},
            "lastReviewed": "2026-01-03",
        }
        items = [
            {"@type": "ListItem", "position": i, "name": c.text, "item": site.absolute(c.url)}
            for i, c in enumerate(crumbs, start=1)
        ]
        breadcrumb = {
            "@type": "BreadcrumbList",
            "@id": f"{args[0]}#breadcrumb",
            "itemListElement": items,
        }
        expected = _whole({"@context": "https://schema.org", "@graph": [node, breadcrumb]})
        assert str(made) == expected
        assert "</script" not in str(made)[len('<script type="application/ld+json">') : -9]


def test_hub_publisher_follows_the_site() -> None:
    for name in ("One", "Two"):  # two sites: each page names its own publisher
        site = _site(name)
        node = jsonld.hub_node(site, "https://example.test/d/", "H", "D", None)
        text = str(jsonld.script(site, "https://example.test/d/", (), [node]))
        assert orjson.loads(text[35:-9])["@graph"][0]["publisher"]["name"] == name
