"""A second, independent client implementation against localcloud: Alibaba Cloud's Node.js SDKs
(@alicloud/ecs20140526, @alicloud/vpc20160428, @alicloud/openapi-client for SLB, @alicloud/pop-core for the
legacy HMAC-SHA1 signature) take a whole stack through its lifecycle (lifecycle.mjs); we assert on what it saw."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import REGION, sdk_config
from tests.localcloud.helpers import IMAGE, TYPE, ZONE

HERE = Path(__file__).parent
NODE, NPM = shutil.which("node"), shutil.which("npm")

pytestmark = pytest.mark.skipif(NODE is None or NPM is None, reason="node and npm are needed for the Node.js SDKs")


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """The locked npm packages (`make test` installs them; a bare pytest run installs them here the same way)."""
    modules = HERE / "node_modules"
    if not (modules / "@alicloud" / "ecs20140526").is_dir():
        subprocess.run(
            [NPM, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=280, stdout=subprocess.DEVNULL
        )
    return modules


@pytest.fixture(scope="module")
def lifecycle(emulator_server, node_modules) -> dict:
    """One run of lifecycle.mjs against a freshly reset emulator; every test reads its report."""
    emulator = emulator_server
    emulator.emulator.reset()
    cfg = sdk_config(emulator.url)
    env = {
        **os.environ,
        "LOCALCLOUD_ENDPOINT": emulator.url.split("://", 1)[1],
        "REGION": REGION,
        "ZONE": ZONE,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": cfg.access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": cfg.access_key_secret,
        "IMAGE_ID": IMAGE,
        "INSTANCE_TYPE": TYPE,
    }
    done = subprocess.run([NODE, "lifecycle.mjs"], cwd=HERE, env=env, capture_output=True, text=True, timeout=240)
    result = json.loads(done.stdout or "{}")
    assert done.returncode == 0 and "error" not in result, (result, done.stderr[-2000:])
    return result


def test_node_sdks_take_a_stack_through_its_whole_lifecycle(lifecycle):
    assert lifecycle["vpcTokenReplay"] is True
    assert lifecycle["vpcName"] == "conformance-2"
    assert lifecycle["vpcTags"] == [["conformance", "node"]] and lifecycle["vpcTagsNextToken"] == ""
    assert lifecycle["vswitch"] == {"id": True, "zone": ZONE, "cidr": "10.8.1.0/24"}
    assert lifecycle["securityGroup"] == {
        "name": "conformance-web-2",
        "description": "HTTP and SSH in",
        "ports": ["22/22", "80/80"],
        "nextToken": "",
    }
    assert lifecycle["instancesRun"] == 3
    assert lifecycle["instanceAddress"] == {"vpc": True, "inVSwitch": True}
    assert lifecycle["instanceAttribute"]["status"] == "Running"
    assert lifecycle["createInstanceStatus"] == "Stopped"
    assert lifecycle["legacyInstances"] == 3


def test_node_sdks_page_with_page_numbers_and_next_tokens(lifecycle):
    assert lifecycle["instancePages"] == {"totalCount": 3, "sizes": [2, 1], "allSeen": True}
    assert lifecycle["instanceTokenPage"] == {"count": 3, "nextToken": ""}
    assert lifecycle["securityGroupPages"] == [{"count": 1, "lastPage": False}, {"count": 1, "lastPage": True}]
    assert lifecycle["securityGroupPagesCoverBoth"] is True


def test_node_sdks_attach_a_disk_and_serve_through_a_pay_by_lcu_load_balancer(lifecycle):
    assert lifecycle["disk"] == {
        "instance": True,
        "name": "conformance-model",
        "deleteWithInstance": False,
        "device": lifecycle["disk"]["device"],
    }
    assert lifecycle["disk"]["device"].startswith("/dev/")
    assert lifecycle["loadBalancer"] == {
        "chargeType": "PayByCLCU",
        "addressType": "intranet",
        "vSwitch": True,
        "backends": True,
        "listenerStatus": "running",
        "listenerBackendPort": 8080,
        "healthRows": 3,
    }


def test_node_sdks_see_the_documented_error_codes(lifecycle):
    errors = lifecycle["errors"]
    assert errors["badStatus"] == {"code": "InvalidStatus.NotFound", "status": 404}
    assert errors["unknownInstance"] == {"code": "InvalidInstanceId.NotFound", "status": 404}
    assert errors["unknownLoadBalancer"] == {"code": "InvalidLoadBalancerId.NotFound", "status": 404}
    assert errors["badDiskName"] == {"code": "InvalidDiskName.Malformed", "status": 400}
    assert errors["vpcInUse"]["code"].startswith("DependencyViolation")  # the legacy client: code only


def test_node_sdks_leave_nothing_behind(lifecycle):
    assert lifecycle["left"] == {"vpcs": 0, "instances": 0, "disks": 0, "securityGroups": 0, "loadBalancers": 0}
