"""Schema checks: every problem collected, with its line and a did-you-mean."""

from __future__ import annotations

from guidegen.errors import ErrorCollector
from guidegen.models import Benefit, ThinPolicy
from guidegen.records import build_drugs, build_payers, build_reasons, build_site
from guidegen.values import slugify
from guidegen.yaml_loader import parse_yaml


def messages(errors: ErrorCollector) -> list[str]:
    return [e.render() for e in errors]


def test_payers_defaults_and_all_errors_at_once() -> None:
    errors = ErrorCollector()
    value = parse_yaml(
        "- slug: cigna\n  name: Cigna\n"
        "- slug: Cigna Two\n  nmae: X\n"
        "- slug: drugs\n  name: Drugs Inc\n",
        "data/payers.yaml",
    )
    payers = build_payers(value, errors)
    assert payers[0].short_name == "Cigna"
    assert messages(errors) == [
        "data/payers.yaml:3: payers[1].slug: 'Cigna Two' is not a valid slug: use lowercase letters, "
        "digits and single hyphens; try 'cigna-two'",
        "data/payers.yaml:3: payers[1]: missing required key 'name' (display name, as in page titles)",
        "data/payers.yaml:4: payers[1]: unknown key 'nmae' (did you mean 'name'?)",
        "data/payers.yaml:5: payers: 'drugs' is reserved for the site's own pages "
        "(reserved: assets, drugs, reasons, search, sitemaps, static)",
    ]


def test_drugs_typed_fields() -> None:
    errors = ErrorCollector()
    value = parse_yaml(
        "- slug: ocrevus\n  name: Ocrevus\n  benefit: medical\n  reasons: [step-therapy]\n"
        "- slug: x\n  name: 12\n  reasons: [step-therapy, step-therapy]\n  benefit: pharmcy\n",
        "data/drugs.yaml",
    )
    drugs = build_drugs(value, ["step-therapy"], errors)
    assert drugs[0].benefit is Benefit.MEDICAL and drugs[0].prescriber == "doctor"
    assert drugs[0].reasons == ("step-therapy",)
    assert messages(errors) == [
        "data/drugs.yaml:6: drugs[1].name: was read as a number (12), not text; put it in quotes",
        "data/drugs.yaml:7: drugs[1].reasons[1]: 'step-therapy' is listed twice",
        "data/drugs.yaml:8: drugs[1].benefit: 'pharmcy' is not one of: pharmacy, medical "
        "(did you mean 'pharmacy'?)",
    ]


def test_reasons_need_lead_and_phrase() -> None:
    errors = ErrorCollector()
    reasons = build_reasons(
        parse_yaml(
            "- slug: a\n  name: A\n  title_phrase: for a\n  lead: Win.\n"
            "- slug: b\n  name: B\n  lead: ''\n",
            "r.yaml",
        ),
        errors,
    )
    assert reasons[0].lead == "Win."
    assert (
        "data/denial_reasons.yaml:5: denial_reasons[1]: missing required key 'title_phrase'"
        in messages(errors)[0]
    )
    assert "data/denial_reasons.yaml:7: denial_reasons[1].lead: is empty" in messages(errors)[1]


def test_site_settings() -> None:
    errors = ErrorCollector()
    site = build_site(
        parse_yaml(
            "base_url: https://x.test/\nsite_name: X\nlanguage: en-US\n"
            "offer: {list_price: 40, first_letter_price: 30, promo_code: SEO25, checkout_url: https://x.test/go}\n",
            "data/site.yaml",
        ),
        errors,
    )
    assert not errors
    assert site is not None
    assert site.base_url == "https://x.test" and site.thin_pages is ThinPolicy.NOINDEX
    assert site.offer.list_price_text == "$40" and site.offer.price(29.5) == "$29.50"
    errors = ErrorCollector()
    build_site(
        parse_yaml(
            "base_url: x.test\nsite_name: X\nlanguage: English\n"
            "offer: {list_price: 20, first_letter_price: 30, promo_code: 'SEO 25', checkout_url: https://x.test/go}\n",
            "data/site.yaml",
        ),
        errors,
    )
    assert messages(errors) == [
        "data/site.yaml:1: site.base_url: 'x.test' is not an absolute http(s) URL "
        "(like https://example.com/path)",
        "data/site.yaml:3: site.language: 'English' is not a language tag such as 'en-US'",
        "data/site.yaml:4: site.offer.promo_code: use letters, digits, '-' or '_' (at most 40)",
    ]


def test_slugify_suggestion() -> None:
    assert slugify("Ocrevus (ocrelizumab)") == "ocrevus-ocrelizumab"
