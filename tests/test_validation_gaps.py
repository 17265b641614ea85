"""What `build` would fail on, `check` reports first, at the data file's line.

Issue 19 class 7 (values that slipped past the patterns, control characters, prices that
print `$nan`, names equal after Unicode normalisation, slugs too long for a file name) and
issue 20 item 3 (every problem of every stage listed in one run).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, edit, run


def check_errors(site: Path, *args: str) -> list[str]:
    """`build.py check` (or another command) as a user types it, from the site's folder."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *(args or ("check",))],
        cwd=site,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert (result.returncode == 1) == bool(lines), result.stderr + result.stdout
    return lines


def errors_of(site: Path) -> list[str]:
    result = run(site, "check")
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert result.exit_code == (1 if lines else 0), result.output
    return lines


SLUG_LINE = "data/payers.yaml:6: payers[1].slug: "


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            r'"bluebird\n"',
            "ends with a line break (write it on one line; use '>-', not '>' or '|')",
        ),
        (
            r'"bluebird\r"',
            "contains a carriage return (U+000D) at character 9 (keep it on one line)",
        ),
        (
            r'"blue\tbird"',
            "contains a tab (U+0009) at character 5 (delete it; retype the text if pasted)",
        ),
        (
            '" bluebird"',
            "' bluebird' is not a valid slug: use lowercase letters, digits and single hyphens; "
            "try 'bluebird'",
        ),
        (
            r'"blue\0bird"',
            "contains a control character (U+0000) at character 5 "
            "(delete it; retype the text if pasted)",
        ),
        (
            r'"blue\ebird"',
            "contains a control character (U+001B) at character 5 "
            "(delete it; retype the text if pasted)",
        ),
        (
            r'"blue\u202Ebird"',
            "contains the invisible character RIGHT-TO-LEFT OVERRIDE (U+202E) at character 5 "
            "(delete it; retype the text if pasted)",
        ),
        (
            "bluebird-",
            "'bluebird-' is not a valid slug: use lowercase letters, digits and single "
            "hyphens; try 'bluebird'",
        ),
    ],
)
def test_slugs_with_hidden_characters_are_refused(
    mini_site: Path, value: str, message: str
) -> None:
    edit(mini_site / "data/payers.yaml", "- slug: bluebird", f"- slug: {value}")
    assert errors_of(mini_site) == [f"error: {SLUG_LINE}{message}"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("site.language", r'"en-US\n"', "ends with a line break"),
        ("site.language", '"en-US "', "'en-US ' is not a language tag such as 'en-US'"),
        ("site.offer.promo_code", r'"SEO25\n"', "ends with a line break"),
        (
            "site.offer.promo_code",
            r'"SEO\u202E25"',
            "contains the invisible character RIGHT-TO-LEFT OVERRIDE (U+202E) at character 4",
        ),
        ("site.site_name", r'"Test\0Help"', "contains a control character (U+0000)"),
        ("site.site_name", r'"Test\x85Help"', "contains a control character (U+0085)"),
        (
            "site.site_name",
            r'"Test\u2066Help"',
            "contains the invisible character LEFT-TO-RIGHT ISOLATE (U+2066)",
        ),
    ],
)
def test_site_strings_match_whole_and_hold_no_controls(
    mini_site: Path, field: str, value: str, message: str
) -> None:
    key = field.rsplit(".", 1)[1]
    path = mini_site / "data/site.yaml"
    text = path.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.strip().startswith(f"{key}:"))
    edit(path, old, old.split(":")[0] + f": {value}")
    line = 1 + text.splitlines().index(old)
    (error,) = errors_of(mini_site)
    assert error.startswith(f"error: data/site.yaml:{line}: {field}: {message}")


def test_prose_keeps_tabs_and_line_breaks_but_not_other_controls(mini_site: Path) -> None:
    path = mini_site / "data/denial_reasons.yaml"
    edit(
        path,
        "  lead: Show the first-step drugs were tried and failed.",
        '  lead: "Show the first-step drugs\\twere tried.\\nThen appeal."',
    )
    assert errors_of(mini_site) == []
    edit(path, "  lead: Show the use is supported by evidence.", '  lead: "Show the use\\e."')
    assert errors_of(mini_site) == [
        "error: data/denial_reasons.yaml:10: denial_reasons[1].lead: contains a "
        "control character (U+001B) at character 13 (delete it; retype the text if pasted)"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (".nan", "must be a finite number, not nan"),
        (".NaN", "must be a finite number, not nan"),
        (".inf", "must be a finite number, not inf"),
        ("-.inf", "must be a finite number, not -inf"),
        ("1e400", "must be a finite number, not inf"),
        ("-1", "must be more than 0, not -1"),
        ("0", "must be more than 0, not 0"),
        ("1000000", "is 1,000,000; at most 100,000"),
        ("1e9", "is 1,000,000,000.0; at most 100,000"),
        ("2026-01-01", "must be a number, not str"),
        ("1_000", "must be a number, not str"),
        ("yes", "must be a number, not str"),
    ],
)
def test_prices_are_finite_positive_and_bounded(mini_site: Path, value: str, message: str) -> None:
    edit(mini_site / "data/site.yaml", "  list_price: 40", f"  list_price: {value}")
    assert errors_of(mini_site) == [f"error: data/site.yaml:6: site.offer.list_price: {message}"]


@pytest.mark.parametrize("value", ["1e2", "0x40", "0o100", "+50", "99.5", "100000"])
def test_yaml_12_numbers_are_prices(mini_site: Path, value: str) -> None:
    edit(mini_site / "data/site.yaml", "  list_price: 40", f"  list_price: {value}")
    assert errors_of(mini_site) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "base_url",
            "HTTPS://example.test",
            "'HTTPS://example.test' has an upper-case scheme (write https://)",
        ),
        (
            "base_url",
            "https://user:secret@example.test",
            "must not carry a user name or password (remove the part up to '@')",
        ),
        ("base_url", "https://example.test/?a=1", "must not have a query or fragment"),
        (
            "base_url",
            "'https://example .test'",
            "'https://example .test' contains a space (write %20 for a space, or remove it)",
        ),
        (
            "base_url",
            "https://",
            "'https://' is not an absolute http(s) URL (like https://example.com/path)",
        ),
        (
            "base_url",
            "ftp://example.test",
            "'ftp://example.test' is not an absolute http(s) URL (like https://example.com/path)",
        ),
        (
            "checkout_url",
            "https://pay@example.test/start",
            "must not carry a user name or password (remove the part up to '@')",
        ),
        (
            "checkout_url",
            r'"https://example.test/start\n"',
            "ends with a line break (write it on one line; use '>-', not '>' or '|')",
        ),
        (
            "checkout_url",
            r'"https://example.test/st\u202Eart"',
            "contains the invisible "
            "character RIGHT-TO-LEFT OVERRIDE (U+202E) at character 24 "
            "(delete it; retype the text if pasted)",
        ),
        (
            "checkout_url",
            "javascript:alert(1)",
            "'javascript:alert(1)' is not an absolute http(s) URL (like https://example.com/path)",
        ),
    ],
)
def test_urls_are_parsed_and_checked(mini_site: Path, field: str, value: str, message: str) -> None:
    path = mini_site / "data/site.yaml"
    text = path.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.strip().startswith(f"{field}:"))
    edit(path, old, old.split(":")[0] + f": {value}")
    line = 1 + text.splitlines().index(old)
    label = "site.base_url" if field == "base_url" else "site.offer.checkout_url"
    assert errors_of(mini_site) == [f"error: data/site.yaml:{line}: {label}: {message}"]


@pytest.mark.parametrize(
    ("other", "spelling"),
    [
        ("Caf\u00e9 Plans", "Cafe\u0301 Plans"),  # NFC and NFD
        ("Acme Plans", "\uff21\uff43\uff4d\uff45 Plans"),  # ASCII and fullwidth (NFKC)
        ("Stra\u00dfe Health", "STRASSE HEALTH"),  # case folding
        ("Blue  Shield", "Blue Shield"),  # runs of spaces
    ],
)
def test_names_equal_after_normalisation_are_one_name(
    mini_site: Path, other: str, spelling: str
) -> None:
    path = mini_site / "data/payers.yaml"
    edit(path, "  name: Bluebird Plans", f"  name: {other}")
    edit(path, "  name: Cardinal Care", f"  name: {spelling}")
    (error,) = errors_of(mini_site)
    assert error == (
        f"error: data/payers.yaml:8: payer name '{' '.join(spelling.split())}' is also used by "
        "'bluebird' (page titles and links need distinct names)"
    )


def test_distinct_names_that_only_look_alike_pass(mini_site: Path) -> None:
    path = mini_site / "data/payers.yaml"
    edit(path, "  name: Bluebird Plans", "  name: Caf\u00e9 Plans")
    edit(path, "  name: Cardinal Care", "  name: Cafe Plans")  # no accent: another name
    assert errors_of(mini_site) == []


@pytest.mark.parametrize("length", [101, 252, 300])
def test_a_slug_too_long_for_a_file_name_fails_check_at_its_line(
    mini_site: Path, length: int
) -> None:
    slug = ("b" * 40 + "-") * 8
    slug = slug[: length - 1] + "b"
    edit(mini_site / "data/drugs.yaml", "- slug: betamab", f"- slug: {slug}")
    expected = (
        f"error: data/drugs.yaml:9: drugs[1].slug: is {length} characters long; at most 100 "
        "(slugs make URLs and folder names; shorten it)"
    )
    assert check_errors(mini_site) == [expected]
    assert check_errors(mini_site, "build") == [expected]  # the same, before writing
    assert not (mini_site / "output").exists()


def test_long_slugs_fine_alone_but_too_long_together(mini_site: Path) -> None:
    payer, drug = "p" * 95, "d" * 95
    edit(mini_site / "data/payers.yaml", "- slug: bluebird", f"- slug: {payer}")
    edit(mini_site / "data/drugs.yaml", "- slug: betamab", f"- slug: {drug}")
    assert check_errors(mini_site) == [
        f"error: data/drugs.yaml:9: drugs[1].slug: the guide path of '{drug}' with payer "
        f"'{payer}' and reason 'quantity-limits' is 208 characters long; at most 200 "
        "(shorten the drug, payer or reason slug: URLs and output paths are made of them)"
    ]


def test_slugs_at_the_limits_build(mini_site: Path) -> None:
    payer, drug = "p" * 100, "d" * 81  # 100 + 81 + 15 + 3 = 199 characters of path
    edit(mini_site / "data/payers.yaml", "- slug: bluebird", f"- slug: {payer}")
    edit(mini_site / "data/drugs.yaml", "- slug: betamab", f"- slug: {drug}")
    assert check_errors(mini_site) == []
    assert check_errors(mini_site, "build") == []
    assert (mini_site / "output" / payer / drug / "quantity-limits" / "index.html").is_file()


def test_an_alias_makes_paths_too(mini_site: Path) -> None:
    payer, old = "p" * 95, "o" * 95
    edit(mini_site / "data/payers.yaml", "- slug: bluebird", f"- slug: {payer}")
    edit(mini_site / "data/drugs.yaml", "- slug: betamab", f"- slug: betamab\n  aliases: [{old}]")
    (error,) = check_errors(mini_site)
    assert error.startswith(
        f"error: data/drugs.yaml:10: drugs[1].aliases: the guide path of '{old}' with payer"
    )


def test_check_lists_every_problem_at_once(mini_site: Path) -> None:
    drugs = mini_site / "data/drugs.yaml"
    edit(drugs, "  generic_name: alphazumab", "  generic_nmae: alphazumab")  # unknown key
    edit(drugs, "  reasons: [step-therapy, off-label]", "  reasons: [step-therapy, off-lable]")
    edit(drugs, "- slug: gammatide", '- slug: "gammatide\\n"')  # hidden line break
    edit(drugs, "  name: Deltanib", '  name: "Delta\\u202Enib"\n- slug: betamab\n  name: Beta2')
    edit(mini_site / "data/payers.yaml", "  name: Cardinal Care", "  name: ACME health")
    page = mini_site / "content/guides/acme/alphamab/step-therapy.md"
    edit(page, "updated: 2026-11-01", "updated: 2026-13-01\nnoindex: yes")
    edit(page, "---\n## Why", "---\n## Why {{ payr.name }}")
    assert check_errors(mini_site) == [
        "error: content/drugs/alphamab/off-label.md:1: drug 'alphamab' gets no 'off-label' "
        "pages, so this write-up would never be used (add 'off-label' to its reasons in "
        "data/drugs.yaml:1 or remove the file)",
        "error: content/guides/acme/alphamab/step-therapy.md:2: front matter.updated: "
        "'2026-13-01' is not a date of the calendar",
        "error: content/guides/acme/alphamab/step-therapy.md:3: front matter.noindex: must be "
        "true or false, not 'yes'",
        "error: content/guides/acme/alphamab/step-therapy.md:7: unknown variable 'payr' "
        "(did you mean 'payer'?)",
        "error: data/drugs.yaml:3: drugs[0]: unknown key 'generic_nmae' "
        "(did you mean 'generic_name'?)",
        "error: data/drugs.yaml:8: drugs: reasons[1]: unknown denial reason 'off-lable' "
        "(did you mean 'off-label'?)",
        "error: data/drugs.yaml:15: drugs[2].slug: ends with a line break "
        "(write it on one line; use '>-', not '>' or '|')",
        "error: data/drugs.yaml:19: drugs[3].name: contains the invisible character "
        "RIGHT-TO-LEFT OVERRIDE (U+202E) at character 6 (delete it; retype the text if pasted)",
        "error: data/drugs.yaml:20: drugs: slug 'betamab' is used twice (first on line 9) "
        "(give each record its own slug)",
        "error: data/payers.yaml:8: payer name 'ACME health' is also used by 'acme' "
        "(page titles and links need distinct names)",
    ]


def test_a_write_up_reports_its_front_matter_body_and_title_together(mini_site: Path) -> None:
    page = mini_site / "content/drugs/alphamab/off-label.md"
    page.write_text(
        "---\nupdated: 2026-10-01\ntitle: '{{ drug.nmae }} at {{ payer.name }}'\n---\n"
        "# Alphamab off-label\n\nA drug-level write-up for {{ drug.full_name }}.\n",
        encoding="utf-8",
    )
    errors = check_errors(mini_site)
    assert [e.split(" (")[0] for e in errors] == [
        "error: content/drugs/alphamab/off-label.md:3: 'drug' has no field 'nmae'",
        "error: content/drugs/alphamab/off-label.md:5: a level-1 heading in a write-up",
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            '  "pre\\e[31mscriber": x',
            "drugs[0]: unknown key 'pre\\x1b[31mscriber' (did you mean 'prescriber'?)",
        ),
        (
            '  benefit: "med\\e[2J"',
            "drugs[0].benefit: 'med\\x1b[2J' is not one of: pharmacy, medical",
        ),
        ('  benefit: "medical\\0"', "drugs[0].benefit: 'medical\\x00' is not one of:"),
    ],
)
def test_messages_never_echo_control_characters(mini_site: Path, line: str, message: str) -> None:
    edit(mini_site / "data/drugs.yaml", "  benefit: medical", line)
    (error,) = check_errors(mini_site)
    assert error.startswith(f"error: data/drugs.yaml:7: {message}")
    assert "\x1b" not in error and "\x00" not in error


def test_write_ups_are_test_rendered_even_when_a_template_fails(mini_site: Path) -> None:
    edit(mini_site / "templates/guide.html", "{% set guide = page.guide %}", "{% set guide = %}")
    edit(
        mini_site / "content/reasons/quantity-limits.md",
        "{{ drug.name }}{% if",
        "{{ drug.name }} ({{ drug.generic_name }}){% if",
    )
    errors = check_errors(mini_site)
    assert errors[-1] == (
        "error: templates/guide.html:3: template syntax error: Expected an expression, "
        "got 'end of statement block'"
    )
    assert errors[0] == (
        "error: content/reasons/quantity-limits.md:3: prints a field that is empty for this "
        "page (drug 'gammatide', payer 'acme') (wrap optional fields in "
        "{% if drug.generic_name %}...{% endif %})"
    )
    assert len(errors) == 2  # one per write-up (its first failing page), and the template


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("data/drugs.yaml", "  name: Alphamab", "  name: [Alphamab"),
        ("data/payers.yaml", "  name: Acme Health", "  name: {Acme"),
        ("data/denial_reasons.yaml", "- slug: step-therapy", "- slug: [step-therapy"),
    ],
)
def test_a_data_file_that_does_not_parse_is_the_only_error(
    mini_site: Path, file: str, old: str, new: str
) -> None:
    """Write-ups that name its records are not each reported as naming unknown slugs."""
    edit(mini_site / file, old, new)
    errors = check_errors(mini_site)
    assert len(errors) == 1 and errors[0].startswith(f"error: {file}:"), errors
    assert "YAML syntax error" in errors[0]
