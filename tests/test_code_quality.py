"""The house rules of STYLE.md, enforced: ruff (lint and format) and mypy --strict."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT

CHECKS = {
    "ruff-lint": [sys.executable, "-m", "ruff", "check", "guidegen", "build.py", "tests"],
    "ruff-format": [
        sys.executable,
        "-m",
        "ruff",
        "format",
        "--check",
        "guidegen",
        "build.py",
        "tests",
    ],
    "mypy-strict": [sys.executable, "-m", "mypy"],
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_code_passes(name: str) -> None:
    result = subprocess.run(CHECKS[name], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_modules_stay_small() -> None:
    for path in sorted((ROOT / "guidegen").glob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= 500, f"{path.name} has {lines} lines; split it by stage"
