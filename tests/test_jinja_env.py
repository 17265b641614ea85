"""The site's Jinja environment prints exactly what stock Jinja prints."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import Environment
from markupsafe import Markup

from guidegen.jinja_env import FlatGlobals, output_escape


class _Html:
    def __html__(self) -> str:
        return "<em>safe</em>"


VALUES: list[Any] = [
    "plain",
    "<script>alert('x') & \"y\"</script>",
    Markup("<b>kept</b>"),
    Markup("<i>") + "<unsafe>",
    42,
    3.5,
    None,
    _Html(),
    ["<a>", Markup("<b>")],
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_printed_value_is_escaped_as_stock_jinja_escapes_it(value: Any) -> None:
    source = (
        "{{ v }}|{{ v }}{{ 'const<' }}|{% macro m(x) %}[{{ x }}]{% endmacro %}{{ m(v) }}"
        "|{% set block %}{{ v }}{% endset %}{{ block }}|{% for i in [1] %}{{ v }}{% endfor %}"
        "|{% autoescape false %}{{ v }}{% endautoescape %}"
    )
    ours = FlatGlobals(autoescape=True).from_string(source).render(v=value)
    stock = Environment(autoescape=True).from_string(source).render(v=value)
    assert ours == stock
    assert output_escape(value) == str(Markup.escape(value))


def test_without_autoescape_nothing_is_escaped() -> None:
    template = FlatGlobals(autoescape=False).from_string("{{ v }}")
    assert template.render(v="<b>") == "<b>"
