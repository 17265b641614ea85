"""The publishing workflow: checks, builds in a shard matrix, caches, merges and deploys."""

from __future__ import annotations

import yaml

from .conftest import ROOT


def test_publish_workflow_shape() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/publish.yml").read_text(encoding="utf-8"))
    jobs = workflow["jobs"]
    assert list(jobs) == ["check", "build", "deploy"]
    assert any("build.py check" in str(step.get("run", "")) for step in jobs["check"]["steps"])
    build = jobs["build"]
    assert build["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.check.outputs.shards) }}"
    steps = " ".join(str(step) for step in build["steps"])
    assert "actions/cache" in steps and "--shard ${{ matrix.shard }}" in steps
    deploy = " ".join(str(step) for step in jobs["deploy"]["steps"])
    assert "build.py merge --out site shards/shard-*" in deploy
    assert "netlify-cli" in deploy and "wrangler" in deploy
