"""The publishing workflow, parsed with PyYAML and run step by step: the check job decides
the host from data/site.yaml; the build and deploy steps run as the workflow writes them,
on the small test site, up to the point where the network would be needed, with the
pinned Netlify and Cloudflare CLIs checking their arguments (tests/test_publish_s3.py runs
the object-storage path end to end)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import ROOT, edit

WORKFLOW = ROOT / ".github/workflows/publish.yml"
NODE_BIN = ROOT / "node_modules/.bin"
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def workflow() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return data


def step(job: str, name: str) -> dict[str, Any]:
    """The step of a job whose name starts with `name`."""
    found = [s for s in workflow()["jobs"][job]["steps"] if str(s.get("name", "")).startswith(name)]
    assert len(found) == 1, f"{job}: no single step named {name!r}"
    return found[0]


def expand(text: str, values: dict[str, str]) -> str:
    """A workflow expression-substituted as GitHub would, from `values` (each expression
    the steps use must be given: an unknown one fails the test)."""

    def value(match: re.Match[str]) -> str:
        assert match.group(1) in values, f"no value for ${{{{ {match.group(1)} }}}}"
        return values[match.group(1)]

    return _EXPR.sub(value, text)


def pinned(package: str) -> str:
    manifest = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    return str(manifest["devDependencies"][package])


def values(host: str, shard: int = 1, count: int = 2) -> dict[str, str]:
    return {
        "needs.check.outputs.host": host,
        "needs.check.outputs.count": str(count),
        "matrix.shard": str(shard),
        "vars.CF_PAGES_PROJECT": "guides-test",
        "vars.S3_BUCKET": "guides-test",
        "vars.S3_ENDPOINT_URL": "",
        "vars.DEPLOY_HOST": "",
    }


def sh(
    command: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A workflow `run:` line, run in the site's folder as the workflow runs it in the
    checkout's, with `python` the project's interpreter (as setup-python's) and build.py
    the repository's."""
    args = shlex.split(command)
    if args[:2] == ["python", "build.py"]:
        args[:2] = [sys.executable, str(ROOT / "build.py")]
    return subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_jobs_and_the_one_setting_that_decides_the_host() -> None:
    jobs = workflow()["jobs"]
    assert list(jobs) == ["check", "build", "deploy"]
    assert jobs["check"]["outputs"]["host"] == "${{ steps.host.outputs.host }}"
    decide = step("check", "Decide the host")
    assert "python build.py host --expect '${{ vars.DEPLOY_HOST }}'" in decide["run"]
    text = WORKFLOW.read_text(encoding="utf-8")
    # the variable is only ever compared with site.yaml, never used to pick a host itself
    assert text.count("vars.DEPLOY_HOST") == 1
    build = step("build", "Build shard")["run"]
    assert "--host ${{ needs.check.outputs.host }}" in build
    assert "--changes changes-${{ matrix.shard }}.jsonl" in build
    assert jobs["deploy"]["if"] == "${{ needs.check.outputs.host != 's3' }}"
    upload = [s for s in jobs["build"]["steps"] if "upload-artifact" in str(s.get("uses"))]
    assert upload[0]["if"] == "${{ needs.check.outputs.host != 's3' }}"
    assert step("build", "Publish shard")["if"] == "${{ needs.check.outputs.host == 's3' }}"
    assert "merge" not in str(jobs["build"]) and "download-artifact" not in str(jobs["build"])
    assert (
        jobs["build"]["strategy"]["matrix"]["shard"]
        == "${{ fromJSON(needs.check.outputs.shards) }}"
    )


@pytest.mark.parametrize(
    ("site_host", "variable", "status", "shown"),
    [
        ("netlify", "", 0, "netlify\n"),
        ("cloudflare", "", 0, "cloudflare\n"),
        ("s3", "s3", 0, "s3\n"),
        (
            "netlify",
            "cloudflare",
            1,
            "error: data/site.yaml: the workflow deploys to cloudflare, but data/site.yaml "
            "says host: netlify",
        ),
        (
            "s3",
            "netlify",
            1,
            "error: data/site.yaml:14: the workflow deploys to netlify, but data/site.yaml "
            "says host: s3",
        ),
    ],
)
def test_the_check_job_reads_the_host_from_site_yaml(
    mini_site: Path, site_host: str, variable: str, status: int, shown: str
) -> None:
    if site_host != "netlify":
        site_yaml = mini_site / "data/site.yaml"
        site_yaml.write_text(site_yaml.read_text(encoding="utf-8") + f"host: {site_host}\n")
    command = expand(step("check", "Decide the host")["run"], {"vars.DEPLOY_HOST": variable})
    inner = re.search(r"\$\((.*)\)", command).group(1)  # type: ignore[union-attr]
    result = sh(inner, mini_site)
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    if status == 0:
        assert result.stdout == shown
    else:
        assert shown in result.stderr


@pytest.fixture(scope="module")
def built_shards(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The test site with a renamed payer and drug, built as the workflow's build step
    builds it (two shards) and merged as its deploy job merges them, for each rule host."""
    from .conftest import MINI, copy_site, pass_strict

    sites = {}
    for host in ("netlify", "cloudflare"):
        site = pass_strict(copy_site(MINI, tmp_path_factory.mktemp(host) / "site"))
        edit(
            site / "data/drugs.yaml",
            "- slug: betamab\n",
            "- slug: betamab\n  aliases: [beta-old]\n",
        )
        for shard in (1, 2):
            result = sh(expand(step("build", "Build shard")["run"], values(host, shard)), site)
            assert result.returncode == 0, result.stderr
        (site / "shards").mkdir()
        for shard in (1, 2):
            (site / f"shard-{shard}").rename(site / "shards" / f"shard-{shard}")
        merge = expand(step("deploy", "Assemble the shards")["run"], values(host))
        merge = merge.replace("shards/shard-*", "shards/shard-1 shards/shard-2")
        result = sh(merge, site)
        assert result.returncode == 0, result.stderr
        assert "Merged 2 shards" in result.stdout
        sites[host] = site
    return sites


def _cli_env(tmp: Path) -> dict[str, str]:
    """No real credentials, no metrics, config and logs in a temporary folder."""
    return {
        "NETLIFY_AUTH_TOKEN": "test-token",
        "NETLIFY_SITE_ID": "00000000-0000-0000-0000-000000000000",
        "CLOUDFLARE_API_TOKEN": "test-token",
        "CLOUDFLARE_ACCOUNT_ID": "0" * 32,
        "WRANGLER_SEND_METRICS": "false",
        "WRANGLER_HIDE_BANNER": "true",
        "NETLIFY_TELEMETRY_DISABLED": "1",
        "XDG_CONFIG_HOME": str(tmp / "config"),
        "HOME": str(tmp),
    }


def _cli(command: list[str], cwd: Path, tmp: Path) -> tuple[int, str]:
    """Exit status and output (both streams) of a host CLI, offline and without credentials."""
    result = subprocess.run(
        command, cwd=cwd, env={**os.environ, **_cli_env(tmp)}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


def _deploy_command(host: str, package: str, binary: str) -> list[str]:
    """The workflow's deploy command, run with the CLI package.json pins (npx would fetch
    the same version)."""
    name = "Deploy to Netlify" if host == "netlify" else "Deploy to Cloudflare Pages"
    command = expand(step("deploy", name)["run"], values(host))
    npx = f"npx --yes {package}@{pinned(package)} "
    assert command.startswith(npx), f"the workflow's {package} is not the pinned {pinned(package)}"
    return [str(NODE_BIN / binary), *shlex.split(command.removeprefix(npx))]


@pytest.mark.parametrize(
    ("host", "package", "binary", "network_stage", "unknown"),
    [
        ("netlify", "netlify-cli", "netlify", "Project not found", "unknown option '--bogus-flag'"),
        (
            "cloudflare",
            "wrangler",
            "wrangler",
            "Unable to resolve Cloudflare's API hostname",
            "Unknown arguments: bogus-flag",
        ),
    ],
)
def test_the_deploy_commands_pass_the_pinned_clis_argument_checks(
    built_shards: dict[str, Path],
    tmp_path: Path,
    host: str,
    package: str,
    binary: str,
    network_stage: str,
    unknown: str,
) -> None:
    command = _deploy_command(host, package, binary)
    status, output = _cli(command, built_shards[host], tmp_path)
    assert status != 0 and network_stage in output, output  # stopped at the network
    assert "unknown" not in output.lower()
    # the same check catches a flag the CLI does not have (as 17.38.1 lacked --no-build)
    status, output = _cli([*command, "--bogus-flag"], built_shards[host], tmp_path)
    assert status != 0 and unknown in output


def test_every_deploy_flag_is_in_the_pinned_clis_help(tmp_path: Path) -> None:
    for host, package, binary, help_args in (
        ("netlify", "netlify-cli", "netlify", ["deploy", "--help"]),
        ("cloudflare", "wrangler", "wrangler", ["pages", "deploy", "--help"]),
    ):
        command = _deploy_command(host, package, binary)
        _, shown = _cli([command[0], *help_args], tmp_path, tmp_path)
        for flag in (arg for arg in command[1:] if arg.startswith("--")):
            assert re.search(rf"(^|\s){re.escape(flag)}\b", shown), f"{package}: no {flag}"
