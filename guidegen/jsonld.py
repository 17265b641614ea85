"""schema.org structured data (JSON-LD) for each kind of page, from its view model.

Every page has a BreadcrumbList; guides are a MedicalWebPage about the drug (and the
condition) with its review dates; hubs are a CollectionPage; the home page describes the
Organization and the WebSite. The JSON is serialized by orjson (compact, keys sorted) and
made safe to sit in a <script> element as Jinja's `htmlsafe_json_dumps` makes it: <, >, &
and ' become \\u escapes, so no name can close the element. Built in Python rather than in
templates: it is data, and this is five times faster per page.

What is the same on many pages (the publisher, a guide's drug and condition) is serialized
once and spliced in as an `orjson.Fragment`: a guide then costs orjson only its own strings.
Object keys are sorted either way, and the escaping runs over the whole text, so the bytes
are those of serializing the whole document at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from markupsafe import Markup

from .models import DrugFacts, Link, Site

Node = dict[str, Any]

# What htmlsafe_json_dumps replaces, and with what. Not that function itself: it replaces
# unconditionally and returns a Markup made through Python, 2.4 us a page more than this.
_UNSAFE = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027"))


def script(
    site: Site, canonical: str, crumbs: Sequence[Link], nodes: Sequence[Node] = ()
) -> Markup:
    """The page's one JSON-LD <script>: its nodes and its BreadcrumbList."""
    breadcrumb = {
        "@type": "BreadcrumbList",
        "@id": f"{canonical}#breadcrumb",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "name": c.text, "item": site.absolute(c.url)}
            for i, c in enumerate(crumbs, start=1)
        ],
    }
    document = {"@context": "https://schema.org", "@graph": [*nodes, breadcrumb]}
    return Markup(f'<script type="application/ld+json">{_dumps(document)}</script>')


def _dumps(document: Any) -> str:
    text = orjson.dumps(document, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    for unsafe, escaped in _UNSAFE:
        if unsafe in text:
            text = text.replace(unsafe, escaped)
    return text


def _fragment(node: Any) -> orjson.Fragment:
    # as a str: the bytes orjson returns keep its whole buffer (kilobytes for a few dozen)
    return orjson.Fragment(orjson.dumps(node, option=orjson.OPT_SORT_KEYS).decode("utf-8"))


class _Memo(dict[Any, tuple[Any, orjson.Fragment]]):
    """Fragments of values seen before, by identity: the site and the records' facts are
    made once per build, and hashing a record by its fields would cost more than it saves.
    Only for such values: a key made anew for each page would never be found again."""

    def get_or_make(self, key: Any, make: Callable[[], Any]) -> orjson.Fragment:
        found = self.get(id(key))
        if found is None or found[0] is not key:
            if len(self) > 4096:
                self.clear()
            found = self[id(key)] = (key, _fragment(make()))
        return found[1]


_PUBLISHERS, _ABOUTS = _Memo(), _Memo()


def organization(site: Site) -> Node:
    home = site.absolute("/")
    return {
        "@type": "Organization",
        "@id": f"{home}#organization",
        "name": site.site_name,
        "url": home,
    }


def website(site: Site) -> Node:
    home = site.absolute("/")
    node: Node = {
        "@type": "WebSite",
        "@id": f"{home}#website",
        "url": home,
        "name": site.site_name,
        "inLanguage": site.language,
        "publisher": {"@id": f"{home}#organization"},
    }
    if site.tagline:
        node["description"] = site.tagline
    return node


def _page(site: Site, kind: str, canonical: str, name: str, description: str) -> Node:
    return {
        "@type": kind,
        "@id": f"{canonical}#webpage",
        "url": canonical,
        "name": name,
        "description": description,
        "inLanguage": site.language,
        "isPartOf": {"@id": site.absolute("/") + "#website"},
        "breadcrumb": {"@id": f"{canonical}#breadcrumb"},
        "publisher": _PUBLISHERS.get_or_make(site, lambda: organization(site)),
    }


def _drug(drug: DrugFacts, with_class: bool) -> Node:
    node: Node = {"@type": "Drug", "name": drug.name}
    if drug.generic_name:
        node["nonProprietaryName"] = drug.generic_name
    if with_class and drug.drug_class:
        node["drugClass"] = {"@type": "DrugClass", "name": drug.drug_class}
    return node


def _about(drug: DrugFacts) -> list[Node]:
    """What a guide is about: the drug, with its class, and the condition it treats."""
    about: list[Node] = [_drug(drug, with_class=True)]
    if drug.condition:
        about.append({"@type": "MedicalCondition", "name": drug.condition})
    return about


def guide_node(
    site: Site,
    canonical: str,
    heading: str,
    description: str,
    drug: DrugFacts,
    payer_name: str,
    updated: dt.date | None,
    reviewed_by: str | None,
    reviewed_on: dt.date | None,
) -> Node:
    """A guide: a MedicalWebPage about the drug and its condition."""
    node = _page(site, "MedicalWebPage", canonical, heading, description)
    node["headline"] = heading
    node["about"] = _ABOUTS.get_or_make(drug, lambda: _about(drug))
    node["mentions"] = {"@type": "Organization", "name": payer_name}
    if updated:
        node["dateModified"] = updated.isoformat()
    if reviewed_by:
        node["reviewedBy"] = {"@type": "Organization", "name": reviewed_by}
        if reviewed_on:
            node["lastReviewed"] = reviewed_on.isoformat()
    return node


def hub_node(
    site: Site, canonical: str, heading: str, description: str, drug: DrugFacts | None
) -> Node:
    """A hub: a CollectionPage, about the drug when it lists one drug's guides."""
    node = _page(site, "CollectionPage", canonical, heading, description)
    if drug is not None:
        node["about"] = _drug(drug, with_class=False)  # a hub's facts are made per hub
    return node
