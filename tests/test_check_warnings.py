"""`check` shows the warnings `build` reports (collapsed, with counts), `--strict` fails on
them in both commands with `error: file: message`, and the shipped sample passes --strict:
run as docs/editors-guide.md says, from the site's folder with the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import ROOT, edit, run, typed

LONG_NAME = "  name: Bluebird Regional Preferred Provider Health Plans"


def warning_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("warning: ")]


@pytest.mark.parametrize("command", [["check", "--strict"], ["build", "--strict"]])
def test_the_untouched_sample_passes_strict(sample_copy: Path, command: list[str]) -> None:
    result = typed(sample_copy, *command)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning" not in result.stderr and "error" not in result.stderr
    assert result.stdout.startswith("OK: " if command[0] == "check" else "Built ")


def test_the_shipped_workflow_checks_and_builds_strictly() -> None:
    workflow = (ROOT / ".github/workflows/publish.yml").read_text(encoding="utf-8")
    assert "run: python build.py check --strict\n" in workflow
    assert "python build.py build --strict --host ${{ needs.check.outputs.host }}\n" in workflow


def test_check_shows_the_warnings_build_reports(mini_site: Path) -> None:
    edit(mini_site / "data/payers.yaml", "  name: Bluebird Plans", LONG_NAME)
    checked = typed(mini_site, "check")
    assert checked.returncode == 0, checked.stderr
    shown = warning_lines(checked.stderr)
    assert (
        "warning: content/reasons/step-therapy.md: the title of /bluebird/alphamab/step-therapy/ "
        "is 73 characters, over 60 (shorten the names, or set title: in its front matter) "
        "(and 10 more like it)"
    ) in shown
    assert "warning: content/drugs/alphamab/off-label.md: only 7 words; a page of its own " in (
        checked.stderr
    )
    assert checked.stdout.endswith(f"; {len(shown)} kinds of warning.\n")
    built = typed(mini_site, "build")
    assert built.returncode == 0
    assert warning_lines(built.stderr) == shown  # the same lines, in the same order


@pytest.mark.parametrize("command", ["check", "build"])
def test_strict_fails_with_file_first_errors_and_writes_nothing(
    mini_site: Path, command: str
) -> None:
    edit(mini_site / "data/payers.yaml", "  name: Bluebird Plans", LONG_NAME)
    result = typed(mini_site, command, "--strict")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert "error: content/drugs/alphamab/off-label.md: only 7 words; a page of its own " in (
        result.stderr
    )
    assert (
        "error: content/reasons/step-therapy.md: the title of /bluebird/alphamab/step-therapy/ "
        "is 73 characters, over 60 (shorten the names, or set title: in its front matter) "
        "(and 10 more like it)"
    ) in errors
    assert "warning:" not in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == f"{len(errors)} errors; nothing was written."
    assert not (mini_site / "output").exists()


def many_warnings(site: Path) -> None:
    """Twelve short write-ups: twelve kinds of warning."""
    combos = [
        (p, d, r)
        for p in ("acme", "bluebird", "cardinal")
        for d in ("betamab", "gammatide")
        for r in ("step-therapy", "quantity-limits")
    ]
    for payer, drug, reason in combos:
        path = site / "content/guides" / payer / drug / f"{reason}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("A short write-up about {{ drug.name }}.\n", encoding="utf-8")


def test_check_lists_ten_kinds_then_says_how_many_more(mini_site: Path) -> None:
    many_warnings(mini_site)
    result = typed(mini_site, "check")
    assert result.returncode == 0, result.stderr
    kinds = len(warning_lines(typed(mini_site, "check", "--verbose").stderr))
    assert kinds >= 13  # twelve short write-ups and the drug-level one
    assert len(warning_lines(result.stderr)) == 10
    assert f"... {kinds - 10} more (--verbose lists them)" in result.stderr.splitlines()
    built = typed(mini_site, "build")
    assert f"... {kinds - 10} more (--verbose lists them)" in built.stderr.splitlines()


def test_check_without_warnings_just_says_ok(mini_site: Path) -> None:
    (mini_site / "content/drugs/alphamab/off-label.md").unlink()
    result = run(mini_site, "check")
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == (
        "OK: 3 payers, 4 drugs, 3 denial reasons, 4 write-ups, 33 guides; 1 kind of warning."
    )
    (mini_site / "content/guides/acme/alphamab/step-therapy.md").unlink()
    result = run(mini_site, "check")
    assert result.exit_code == 0
    assert result.output == "OK: 3 payers, 4 drugs, 3 denial reasons, 3 write-ups, 33 guides.\n"
    assert run(mini_site, "check", "--strict").exit_code == 0
