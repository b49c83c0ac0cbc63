"""Opt-in end to end on a real Alibaba Cloud account: plan (the image family resolved, the zone pre-check),
provision (a pay-by-LCU CLB), check, provision again (no change), tear down. Skipped unless FLEET_E2E_REAL=1 and
credentials are in the environment. It creates billable
resources (pay-as-you-go, for minutes) and always tears them down."""

from __future__ import annotations

import os
import time

import pytest
import yaml
from click.testing import CliRunner

from provisioner.cli import cli
from tests.provisioner.helpers import ROOT

pytestmark = pytest.mark.skipif(
    os.environ.get("FLEET_E2E_REAL") != "1"
    or not (os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID") and os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")),
    reason="real-cloud test: set FLEET_E2E_REAL=1 and ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET to run it",
)


def test_real_cloud_provision_is_idempotent_and_teardown_leaves_nothing(tmp_path):
    with open(os.path.join(ROOT, "stacks", "real-cloud.example.yaml")) as handle:
        data = yaml.safe_load(handle)
    data["name"] = f"fleet-e2e-{int(time.time()) % 100000}"
    data["instances"]["count"] = int(os.environ.get("FLEET_E2E_COUNT", "2"))
    if os.environ.get("FLEET_E2E_REGION"):
        data["region"] = os.environ["FLEET_E2E_REGION"]
        data["zones"] = os.environ["FLEET_E2E_ZONES"].split(",")
    stack = tmp_path / "stack.yaml"
    stack.write_text(yaml.safe_dump(data))
    state = str(tmp_path / "state.json")

    def cli_run(*args):
        import json

        res = CliRunner().invoke(cli, [*args, "--stack", str(stack), "--state", state, "--target", "alibaba", "--json"])
        return res.exit_code, (json.loads(res.stdout) if res.stdout.strip() else {}), res.stderr

    try:
        # plan resolves the image family to today's newest image and runs the DescribeAvailableResource
        # pre-check (no create); provision reports the same resolution.
        code, doc, err = cli_run("plan")
        assert code == 4, err
        assert any(n.startswith(f"image: {data['instances']['image_family']} -> ") for n in doc["notes"]), doc["notes"]
        assert any(n.startswith("zones that can serve the stack: ") for n in doc["notes"]), doc["notes"]
        assert doc["api_calls"]["mutating"] == 0
        code, doc, err = cli_run("provision")
        assert code == 0, err
        assert doc["endpoint"].startswith("http://")
        assert doc["precheck"]["image_id"] and doc["precheck"]["image_family"] == data["instances"]["image_family"]
        assert doc["precheck"]["zones"] and set(doc["precheck"]["zones"]) <= set(data["zones"])
        [lb] = [r for r in doc["resources"] if r["role"] == "load-balancer"]
        assert (lb["action"], lb["billing"]) == ("created", "PayByCLCU")  # pay-by-spec is no longer sold
        code, doc, err = cli_run("provision")
        assert code == 0 and doc["api_calls"]["mutating"] == 0 and doc["api_calls"]["total"] <= 10, doc
        code, doc, err = cli_run("status")
        assert code == 0 and doc["instances"]["running"] == data["instances"]["count"]
        [lb] = [r for r in doc["resources"] if r["role"] == "load-balancer"]
        assert (lb["status"], lb["billing"]) == ("active", "PayByCLCU")
    finally:
        code, doc, err = cli_run("teardown", "--yes")
        assert code == 0, err
    code, doc, err = cli_run("plan")
    assert code == 4 and not any(c["action"] == "delete" for c in doc["changes"])  # nothing of the stack left
