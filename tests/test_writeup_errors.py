"""Whatever a write-up does at run time ends as `path:line: message`: in `check`, in `build`
(through the process pool), and in the preview; `check` meets every page `build` will;
no write-up or template can hang the build or take the machine's memory."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from guidegen.devserver import Preview
from guidegen.errors import ErrorCollector
from guidegen.sitemodel import load_site
from guidegen.templating import page_names
from guidegen.writeup_check import check_every_writeup_page

from .conftest import edit, run, typed

WRITE_UP = "content/reasons/off-label.md"

# (body, line of the error, what it says): failures that only show when a page renders.
RUNTIME_FAILURES = [
    ("{{ 1/0 }}", 3, "division by zero"),
    ("{{ range(10**9)|list }}", 3, "Range too big"),
    ("{% for i in [1] recursive %}{{ loop([i]) }}{% endfor %}", 3, "recursion too deep"),
    ("{{ 'x' * 10**9 }}", 3, "would make 1,000,000,000 items"),
    ("{{ 2 ** 100000 }}", 3, "number too large to print"),
    ("Intro.\n\n{{ drug.name[40] }}", 5, "has no element 40"),
    ("{{ ''.__class__ }}", 3, "unsafe"),
    ("{{ payer.name|int(1)|string|attr('x') }}", 3, "has no attribute 'x'"),
]
# Failures that stop a write-up from compiling at all, with the line they are reported at.
COMPILE_FAILURES = [
    ("{% if drug.name %}" * 100 + "x" + "{% endif %}" * 100, 3, "blocks nested 13 deep"),
    ("{% for i in drug.name %}" * 21 + "x" + "{% endfor %}" * 21, 3, "blocks nested 13 deep"),
    ("{{ " + "(" * 150 + "1" + ")" * 150 + " }}", 1, "nested too deeply to read"),
    ("{{ " + "[" * 150 + "1" + "]" * 150 + " }}", 1, "nested too deeply to read"),
]


def _write(site: Path, body: str) -> None:
    (site / WRITE_UP).write_text(f"## Angle\n\n{body}\n", encoding="utf-8")


_cli = typed  # the command as an editor types it: from the site's folder, relative paths


@pytest.mark.parametrize(("body", "line", "message"), RUNTIME_FAILURES + COMPILE_FAILURES)
@pytest.mark.parametrize(
    "command", [("check",), ("build", "--jobs", "1"), ("build", "--jobs", "2")]
)
def test_write_up_failures_are_file_line_errors(
    mini_site: Path, body: str, line: int, message: str, command: tuple[str, ...]
) -> None:
    _write(mini_site, body)
    result = _cli(mini_site, *command)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert re.search(rf"^error: {WRITE_UP}:{line}: .*{re.escape(message)}", result.stderr, re.M), (
        result.stderr
    )
    assert result.stderr.count("error: ") == 1  # one error per write-up, not one per page
    assert not (mini_site / "output").exists()


@pytest.mark.parametrize(("body", "line", "message"), RUNTIME_FAILURES + COMPILE_FAILURES[:1])
def test_the_preview_shows_write_up_failures_as_an_error_page(
    mini_site: Path, body: str, line: int, message: str
) -> None:
    _write(mini_site, body)
    preview = Preview(mini_site)
    status: list[str] = []
    page = b"".join(
        preview(
            {"PATH_INFO": "/bluebird/betamab/off-label/"},
            lambda s, headers: status.append(s),  # type: ignore[arg-type, return-value]
        )
    ).decode("utf-8")
    assert status == ["500 Internal Server Error"]
    assert f"{WRITE_UP}:{line}" in page and "Traceback" not in page
    assert message.replace("'", "&#x27;") in page or message in page


def test_a_build_that_meets_a_failure_keeps_the_previous_output(mini_site: Path) -> None:
    assert _cli(mini_site, "build").returncode == 0
    before = {p: p.read_bytes() for p in (mini_site / "output").rglob("*") if p.is_file()}
    _write(mini_site, "{{ 1/0 }}")
    assert _cli(mini_site, "build").returncode == 1
    after = {p: p.read_bytes() for p in (mini_site / "output").rglob("*") if p.is_file()}
    assert after == before


@pytest.mark.parametrize(
    ("body", "fails_for"),
    [
        ("{% if drug.generic_name %}{{ drug.generic_name.split('/')[1] }}{% endif %}", "alphamab"),
        ("{{ 10 / (drug.name|length - 8) if drug.generic_name else '' }}", "alphamab"),
        ("{% if payer.short_name == 'Acme' %}{{ 1/0 }}{% endif %}", "acme"),
        ("{{ payer.name[12] }}", "acme"),  # 'Acme Health' has 11 characters
    ],
)
def test_check_meets_every_page_build_will(mini_site: Path, body: str, fails_for: str) -> None:
    """A failure that only some pages hit, where the pages have the same shape (no field
    empty), so a check of one page per shape would pass."""
    drugs = mini_site / "data/drugs.yaml"
    edit(drugs, "generic_name: alphazumab", "generic_name: alpha")
    edit(drugs, "generic_name: betazumab", "generic_name: beta/zumab")
    edit(
        drugs,
        "  prescriber: neurologist\n- slug: gammatide",
        "  prescriber: neurologist\n  benefit: medical\n- slug: gammatide",
    )
    payers = mini_site / "data/payers.yaml"
    for name, short in (("Bluebird Plans", "Bluebird"), ("Cardinal Care", "Cardinal Care")):
        edit(
            payers, f"name: {name}", f"name: {name}\n  short_name: {short}\n  description: A payer."
        )
    path = mini_site / "content/guides/acme/alphamab/step-therapy.md"
    path.unlink()  # the step-therapy fallback serves every payer of alphamab and betamab
    (mini_site / "content/reasons/step-therapy.md").write_text(
        f"## Angle\n\nFor {{{{ drug.name }}}}: {body}\n", encoding="utf-8"
    )
    site = load_site(mini_site)  # the load's check, one page per shape, finds nothing
    assert {
        tuple(
            f
            for f in ("generic_name", "drug_class", "condition", "prescriber", "benefit")
            if not getattr(d, f)
        )
        for d in site.data.drugs[:2]
    } == {()}
    checked = run(mini_site, "check")
    built = run(mini_site, "build")
    assert checked.exit_code == 1 and built.exit_code == 1, checked.output + built.output
    assert re.search(r"content/reasons/step-therapy\.md:3: ", checked.output), checked.output
    assert fails_for in checked.output


def test_check_renders_each_write_up_once_per_distinct_set_of_values(mini_site: Path) -> None:
    _write(mini_site, "Only the drug: {{ drug.name }}.")  # the same text at every payer
    site = load_site(mini_site)
    expected: dict[str, set[Any]] = {}
    for key in site.matrix.all_keys():
        guide = site.matrix.guide(key)
        names = page_names(guide.payer, guide.drug, guide.reason, site.data.site)
        expected.setdefault(guide.doc.path, set()).add(guide.doc.used_values(names))
    errors = ErrorCollector()
    renders = check_every_writeup_page(site.matrix, site.data.site, errors)
    assert not errors
    assert renders == sum(len(values) for values in expected.values())
    assert renders < site.matrix.count()  # pages that print the same values are not redone


HANGS = [
    "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x",
    "{{ range(100000)|map('string')|join|length * 0 }}{% for i in range(99999) %}"
    "{% for j in range(99999) %}{% endfor %}{% endfor %}",
]


@pytest.mark.parametrize("body", HANGS)
@pytest.mark.parametrize("command", [("check",), ("build",)])
def test_a_write_up_cannot_hang_the_build(
    mini_site: Path, body: str, command: tuple[str, ...]
) -> None:
    edit(
        mini_site / "data/site.yaml",
        "thin_pages: noindex",
        "thin_pages: noindex\nrender_timeout: 1",
    )
    _write(mini_site, body)
    started = time.monotonic()
    result = _cli(mini_site, *command)
    assert time.monotonic() - started < 60
    assert result.returncode == 1
    assert re.search(rf"error: {WRITE_UP}:3: rendering took longer than 1 s", result.stderr), (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_template_cannot_hang_the_build(mini_site: Path) -> None:
    edit(
        mini_site / "data/site.yaml",
        "thin_pages: noindex",
        "thin_pages: noindex\nrender_timeout: 1",
    )
    template = mini_site / "templates/404.html"
    template.write_text(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n"
        + template.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    for command in ("check", "build"):
        result = _cli(mini_site, command)
        assert result.returncode == 1
        assert re.search(r"error: templates/404\.html:1: .*took longer than 1 s", result.stderr), (
            result.stderr
        )


def test_a_write_up_cannot_take_the_machines_memory(mini_site: Path) -> None:
    """Doubling a string 40 times asks for 10 TB, in steps no timer can interrupt."""
    _write(
        mini_site,
        "{% set ns = namespace(s='xxxxxxxxxx') %}{% for i in range(40) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    )
    result = _cli(mini_site, "check", env={"GUIDEGEN_MEMORY_HEADROOM_MB": "1024"})
    assert result.returncode == 1
    assert re.search(rf"error: {WRITE_UP}:3: needs more memory than a page may use", result.stderr)


@pytest.mark.parametrize("value", ["0", "-1", "7200", "'soon'", ".nan"])
def test_render_timeout_is_checked(mini_site: Path, value: str) -> None:
    edit(
        mini_site / "data/site.yaml",
        "thin_pages: noindex",
        f"thin_pages: noindex\nrender_timeout: {value}",
    )
    result = run(mini_site, "check")
    assert result.exit_code == 1
    assert "data/site.yaml:11: site.render_timeout" in result.output, result.output


def test_front_matter_is_plain_text_escaped_once(mini_site: Path) -> None:
    edit(mini_site / "data/payers.yaml", "name: Bluebird Plans", 'name: "Bluebird & Sons"')
    (mini_site / WRITE_UP).write_text(
        "---\ntitle: \"{{ payer.name }} {{ '<b>x</b>'|safe }}\"\n"
        "description: \"{% autoescape false %}{{ '<script>' }}{% endautoescape %} & more\"\n"
        "---\n## Angle\n\nText.\n",
        encoding="utf-8",
    )
    assert run(mini_site, "build").exit_code == 0
    html = (mini_site / "output/bluebird/betamab/off-label/index.html").read_text("utf-8")
    assert "<title>Bluebird &amp; Sons &lt;b&gt;x&lt;/b&gt;</title>" in html
    assert '<meta name="description" content="&lt;script&gt; &amp; more">' in html
