"""Helpers of the provisioner tests (fixtures live in conftest.py): stack files derived from stacks/default.yaml,
the environment of a subprocess run, the emulator's resources tagged for a stack, a person at the console (any
ECS, VPC or SLB action through the official SDK clients), and the convergence check of the reconcile, crash,
soak and neighbour tests (exactly what the stack asks for, nothing left over, a valid state; the count of
mutating calls that took effect)."""

from __future__ import annotations

import copy
import importlib
import json
import os
from dataclasses import dataclass

import yaml
from click.testing import CliRunner

from provisioner import TOOL
from provisioner.cli import cli
from provisioner.spec import load_stack
from provisioner.state import State
from provisioner.steps import security_group as sg_step
from tests.helpers import DEFAULT_STACK, REGION, ROOT


@dataclass
class Result:
    """What the in-process CLI run (the `run` fixture) gives back."""

    exit_code: int
    doc: dict | None
    stdout: str
    stderr: str


def cli_invoker(url: str, state: str):
    """invoke(command, stack_path, *extra) -> Result: the CLI in-process with --json against the emulator at `url`,
    keeping its state in `state` (the `run` fixture; a module's shared stack)."""

    def invoke(command: str, stack: str, *extra: str, state_path: str | None = None, as_json: bool = True) -> Result:
        args = [command, "--stack", stack, "--endpoint", url, "--state", state_path or state, *extra]
        if as_json:
            args.append("--json")
        if command == "teardown" and "--yes" not in extra:
            args.append("--yes")
        res = CliRunner().invoke(cli, args, catch_exceptions=False)
        doc = None
        if as_json and res.stdout.strip():
            doc = json.loads(res.stdout)
        return Result(res.exit_code, doc, res.stdout, res.stderr)

    invoke.state_path = state
    return invoke


def load_default() -> dict:
    with open(DEFAULT_STACK, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def merged(base: dict, changes: dict) -> dict:
    """Deep-merge `changes` into a copy of `base`; a value of None deletes the key."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def subprocess_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    return env


def tagged(control, stack_name: str) -> dict[str, list[dict]]:
    """Every resource the emulator holds with this stack's tags, by kind (GET /_localcloud/resources)."""
    out: dict[str, list[dict]] = {}
    for kind, items in control.resources().items():
        mine = [
            o
            for o in items
            if (o.get("tags") or {}).get("fleet:stack") == stack_name
            and (o.get("tags") or {}).get("managed-by") == TOOL
        ]
        if mine:
            out[kind] = mine
    return out


PACKAGES = {"ecs": "alibabacloud_ecs20140526", "vpc": "alibabacloud_vpc20160428", "slb": "alibabacloud_slb20140515"}


class Console:
    def __init__(self, ecs, vpc, slb, control, stack: str = "fleet-default"):
        self.clients = {"ecs": ecs, "vpc": vpc, "slb": slb}
        self.control = control
        self.stack = stack

    def __call__(self, product: str, action: str, **params) -> dict:
        client = self.clients[product]
        models = importlib.import_module(PACKAGES[product] + ".models")
        methods = {
            name.replace("_", "").lower(): name
            for name in dir(client)
            if not name.startswith("_") and not name.endswith(("_async", "_with_options"))
        }
        request = getattr(models, action + "Request")().from_map(params)
        return getattr(client, methods[action.lower()])(request).body.to_map()

    # what the stack has now, by kind (the emulator's own view)
    def mine(self, kind: str) -> list[dict]:
        return tagged(self.control, self.stack).get(kind, [])

    def one(self, kind: str) -> dict:
        [obj] = self.mine(kind)
        return obj

    def holder(self) -> dict:
        [inst] = [i for i in self.mine("instance") if i["tags"].get("fleet:data-disk") == "yes"]
        return inst

    def non_holder(self) -> dict:
        return next(i for i in self.mine("instance") if i["tags"].get("fleet:data-disk") != "yes")

    def data_disk(self) -> dict:
        [disk] = [d for d in self.mine("disk") if d["type"] == "data"]
        return disk

    def delete_instances(self, ids: list[str]) -> None:
        self("ecs", "DeleteInstances", RegionId=REGION, InstanceId=ids, Force=True)
        self("ecs", "DescribeInstances", RegionId=REGION)  # instant mode: released at the next request


ONE_EACH = ("vpc", "vswitch", "security_group", "load_balancer", "listener")


def effective_mutations(stats: dict) -> int:
    """Mutating calls that took effect (errors, drops and faults excluded; commit-then-drop included)."""
    total = 0
    for entry in stats["actions"].values():
        if entry["mutating"]:
            failed = sum(n for code, n in entry["errors"].items() if code != "(commit-dropped)")
            total += entry["calls"] - failed
    return total


def control_has(found: dict, instance_id: str) -> bool:
    """Whether the instance still exists (a released one leaves every vServer group)."""
    return any(o["id"] == instance_id for o in found.get("instance", []))


def problems(control, stack_path: str, state_path: str | None = None, foreign: set[str] = frozenset()) -> list[str]:
    """Everything that keeps the emulator from holding exactly the stack (empty list: converged).
    `foreign`: ids of resources that are not the stack's and must be left as they are."""
    spec = load_stack(stack_path)
    found = {kind: [o for o in items if o["id"] not in foreign] for kind, items in control.resources().items()}
    mine = tagged(control, spec.name)
    out: list[str] = []
    n = spec.instances.count
    data = 0 if spec.data_disk is None else (1 if spec.data_disk.attach == "first" else n)
    want = {
        "vpc": 1,
        "vswitch": 1,
        "security_group": 1,
        "load_balancer": 1,
        "listener": 1,
        "instance": n,
        "disk": n + data,
    }
    have = {kind: len(items) for kind, items in found.items() if items}
    if have.get("vserver_group") == 1:  # a serving.port rollout moved the backends there (server_group.py)
        want["vserver_group"] = 1
    if have != want:
        out.append(f"resources by kind {have}, want {want}")
    for kind, items in found.items():
        for obj in items:
            if obj.get("tags", {}).get("fleet:stack") != spec.name:
                out.append(f"{kind} {obj['id']} lacks the stack's tags: {obj.get('tags')}")
    instances = mine.get("instance", [])
    ids = {i["id"] for i in instances}
    out += [f"instance {i['id']} is {i['status']}" for i in instances if i["status"] != "Running"]
    vsw = [v["id"] for v in mine.get("vswitch", [])]
    groups = [g["id"] for g in mine.get("security_group", [])]
    out += [
        f"instance {i['id']} outside the stack's network"
        for i in instances
        if i["vswitch_id"] not in vsw or not set(i["security_group_ids"]) <= set(groups)
    ]
    disks = [d for d in mine.get("disk", []) if d["type"] == "data"]
    out += [
        f"data disk {d['id']} is {d['status']} on {d['instance_id'] or 'nothing'}"
        for d in disks
        if d["status"] != "In_use" or d["instance_id"] not in ids
    ]
    out += [
        f"data disk {d['id']} has the role {d['tags'].get('fleet:role')!r}"
        for d in disks
        if d["tags"].get("fleet:role") != "data-disk"
    ]
    if spec.data_disk is not None and spec.data_disk.attach == "first" and disks:
        holder = [i["id"] for i in instances if i["tags"].get("fleet:data-disk") == "yes"]
        if [d["instance_id"] for d in disks] != holder:
            out.append(f"the data disk is on {[d['instance_id'] for d in disks]}, the mounting instance is {holder}")
    if spec.data_disk is not None and spec.data_disk.attach == "each":
        on = sorted(d["instance_id"] for d in disks)
        if on != sorted(ids):
            out.append(f"data disks on {on}, instances {sorted(ids)}")
    for lb in mine.get("load_balancer", []):
        if lb["status"] != "active":
            out.append(f"SLB {lb['id']} is {lb['status']}")
        backends = {b["server_id"]: b["weight"] for b in lb["backends"] if b["server_id"] not in foreign}
        bound = [x["vserver_group_id"] for x in mine.get("listener", []) if x.get("vserver_group_id")]
        for group in [g for g in mine.get("vserver_group", []) if g["id"] in bound]:
            # members on the stack's port; the default group holds none of the stack's instances any more
            stale = sorted(b for b in backends if control_has(found, b))  # released ones left every group
            out += [f"default-group backends {stale} beside vServer group {group['id']}"] if stale else []
            live = [m for m in group["backends"] if m["server_id"] in ids or control_has(found, m["server_id"])]
            backends = {m["server_id"]: m["weight"] for m in live if m["port"] == spec.serving.port}
            out += [
                f"vServer group member {m['server_id']}:{m['port']}" for m in live if m["port"] != spec.serving.port
            ]
        if backends != {i: 100 for i in ids}:
            out.append(f"SLB backends {backends}, instances {sorted(ids)}")
    for lst in mine.get("listener", []):
        hc = lst["health_check"]
        port = spec.serving.port if not lst.get("vserver_group_id") else lst["backend_port"]
        if (lst["status"], lst["backend_port"], hc["uri"], hc["healthy_threshold"]) != (
            "running",
            port,
            spec.load_balancer.health_check.uri,
            spec.load_balancer.health_check.healthy_threshold,
        ):
            out.append(f"listener {lst['id']}: {lst['status']} -> {lst['backend_port']}, health check {hc}")
    for group in mine.get("security_group", []):
        rules = {
            (r["ip_protocol"].upper(), r["port_range"], r["source_cidr"])
            for r in group["rules"]
            if r["direction"] == "ingress"
        }
        wanted = {(r.protocol, r.port_range, r.source) for r in sg_step.desired_rules(spec)}
        if rules != wanted:
            out.append(f"ingress rules {sorted(rules)}, want {sorted(wanted)}")
    if state_path is not None:
        out += state_problems(state_path, spec.name, mine)
    return out


def state_problems(state_path: str, stack: str, mine: dict) -> list[str]:
    """The state file loads, and every id it names exists and carries the stack's tags."""
    if not os.path.exists(state_path):
        return ["no state file"]
    state = State.load(state_path, stack)  # raises when the file is not valid
    res = state.data["resources"]
    out = []
    for kind, role in (("vpc", "vpc"), ("security_group", "security-group"), ("load_balancer", "load-balancer")):
        if res.get(role) not in {o["id"] for o in mine.get(kind, [])}:
            out.append(f"state {role} {res.get(role)} is not the cloud's")
    if set(res.get("instance", [])) != {o["id"] for o in mine.get("instance", [])}:
        out.append(f"state instances {res.get('instance')} differ from the cloud's")
    if set((res.get("vswitch") or {}).values()) != {o["id"] for o in mine.get("vswitch", [])}:
        out.append(f"state vswitches {res.get('vswitch')} differ from the cloud's")
    data_disks = {o["id"] for o in mine.get("disk", []) if o["type"] == "data"}
    if set(res.get("data-disk") or {}) != data_disks:
        out.append(f"state data disks {res.get('data-disk')} differ from the cloud's {sorted(data_disks)}")
    if state.data.get("pending"):
        out.append(f"state has unfinished creates {sorted(state.data['pending'])}")
    return out


class ServingSampler:
    """What serves after each API call an in-process provisioner makes (install() wraps Cloud._invoke): the stack's
    backends at weight > 0 that DescribeHealthStatus reports `normal` (through the official SLB SDK), and how many
    instances exist (the emulator's resources). Every change of the fleet follows a call, so the samples see every
    low and high point; nothing depends on timing."""

    def __init__(self, slb, control, listener_port: int = 80):
        self.slb, self.control, self.listener_port = slb, control, listener_port
        self.healthy: list[int] = []
        self.instances: list[int] = []

    def install(self, monkeypatch) -> ServingSampler:
        from provisioner.cloud import Cloud

        original = Cloud._invoke

        def invoke(cloud, step, resource, product, action, method, params):
            try:
                return original(cloud, step, resource, product, action, method, params)
            finally:
                self.sample()

        monkeypatch.setattr(Cloud, "_invoke", invoke)
        return self

    def sample(self) -> None:
        from alibabacloud_slb20140515 import models as sm

        found = self.control.resources()
        self.instances.append(len(found.get("instance", [])))
        listeners = {x["id"]: x for x in found.get("listener", [])}
        serving = 0
        for lb in found.get("load_balancer", []):
            listener = listeners.get(f"{lb['id']}:{self.listener_port}")
            if listener is None:
                continue
            group = next(
                (g for g in found.get("vserver_group", []) if g["id"] == listener.get("vserver_group_id")), None
            )
            members = group["backends"] if group else lb["backends"]
            weight = {(m["server_id"], m.get("port") if group else None): m["weight"] for m in members}
            request = sm.DescribeHealthStatusRequest(
                region_id=REGION, load_balancer_id=lb["id"], listener_port=self.listener_port
            )
            try:
                body = self.slb.describe_health_status(request).body.to_map()
            except Exception:  # noqa: BLE001 - the listener is being created: nothing serves through it yet
                continue
            for server in (body.get("BackendServers") or {}).get("BackendServer") or []:
                key = (server["ServerId"], int(server["Port"]) if group else None)
                serving += server.get("ServerHealthStatus") == "normal" and weight.get(key, 0) > 0
        self.healthy.append(serving)
