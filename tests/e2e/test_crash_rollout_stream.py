"""The rollout crash matrix under a request stream: a steady stream of inference requests runs through the stack's
endpoint (localcloud's real local balancer) while the rollout's provision is SIGKILLed by the emulator right after
one of its mutating calls (PUT /_localcloud/kill_after), rerun, killed again at the next stage, and so on, until a
last rerun finishes it. Asserted: the stream saw 0 failed requests across every kill and rerun; after each kill,
no duplicate (at most count + max_surge instances) and the state file whole; at the end, converged (exactly the
stack, every instance of the new template, none of the old ones, nothing leaked, the rollout finished).

tests/provisioner/test_crash_rollout.py kills the rollout after EVERY mutating call, each followed by a clean
rerun, with no stream. Under a stream each kill point costs real model servers' boots, so this file kills one
rollout at each of its stages in turn (each kill's rerun is the run killed at the next stage: the state it starts
from is the one that stage leaves, and it is itself a crash during recovery), on a 2-instance fleet with no data
disk replaced in one batch (max_surge 2):
- a batch (a new server env): killed after RunInstances (its answer lost: the new ids unknown to the state), after
  AddBackendServers (the new backends not yet healthy; the rerun first replays RunInstances with its token),
  after SetBackendServers weight 0 (the old ones mid-drain), after RemoveBackendServers (the old ones out of the
  SLB, still running), after DeleteInstances;
- serving.port 8080 -> 8081: killed after the listener's switch to the vServer group (old members on 8080 in
  the group, the default group still holding them), while the old members drain in the group
  (SetVServerGroupAttribute weight 0), and after the last DeleteInstances (the old port still open).
  The stages before the switch (AuthorizeSecurityGroup, CreateVServerGroup) leave the data plane as it was; they
  are killed without a stream in test_crash_rollout.py, as are the disk move's DetachDisk and AttachDisk.
Each kill also checks, from the emulator's counters, that the process died after the stage it names.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter

import pytest

from provisioner.spec import load_stack
from provisioner.state import State
from provisioner.tags import TAG_TEMPLATE
from provisioner.template import template_of
from tests.e2e.helpers import Stream
from tests.e2e.test_rollout_replace import edit, failed
from tests.provisioner.helpers import ROOT, problems, subprocess_env

pytestmark = pytest.mark.timeout(300)


def spawn(c, stack: str) -> subprocess.Popen:
    """`python -m provisioner provision` as a process of its own (the emulator SIGKILLs it)."""
    args = [sys.executable, "-m", "provisioner", "provision", "--stack", stack, "--endpoint", c.url]
    args += ["--state", c.state, "--json"]
    return subprocess.Popen(args, cwd=ROOT, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def mutations(c) -> Counter:
    """Mutating calls that took effect since the last stats reset, by action."""
    out: Counter = Counter()
    for name, entry in c.control.stats()["actions"].items():
        if entry["mutating"]:
            out[name.split(":", 1)[1]] += entry["calls"] - sum(entry["errors"].values())
    return out


def killed(c, stack: str, k: int, expected: dict[str, int]) -> None:
    """Run the provision of `stack` and have it SIGKILLed after its k-th mutating call, which must leave exactly
    `expected` done in this run; then no duplicate and a whole state file."""
    spec = load_stack(stack)
    c.control.request("POST", "stats/reset")
    proc = spawn(c, stack)
    c.control.request("PUT", "kill_after", {"pid": proc.pid, "mutating_calls": k})
    _, err = proc.communicate(timeout=120)
    stage = "+".join(expected)
    assert proc.returncode == -signal.SIGKILL, f"{stage}: the run ended by itself: {err.decode()[-2000:]}"
    assert mutations(c) == Counter(expected), f"{stage}: killed after another stage than the one named"
    assert len(c.control.resources()["instance"]) <= spec.instances.count + spec.rollout.surge(spec.instances.count)
    State.load(c.state, spec.name)  # never half-written


def finished(c, stack: str, old: set[str]) -> None:
    """The last rerun: exit 0, converged on the new template, none of the old instances left."""
    spec = load_stack(stack)
    rerun = c.cli("provision", stack)
    assert rerun.exit_code == 0, rerun.stderr[-3000:]
    assert problems(c.control, stack, c.state) == []
    instances = c.control.resources()["instance"]
    assert {i["tags"].get(TAG_TEMPLATE) for i in instances} == {template_of(spec).digest}
    assert len(instances) == spec.instances.count and not ({i["id"] for i in instances} & old)
    assert State.load(c.state, spec.name).rollout() is None  # the rollout is finished


def serving(c):
    """A 2-instance fleet with no data disk, replaced in one batch (max_surge 2), provisioned; its endpoint."""
    stack = c.stack(count=2)
    edit(stack, lambda d: (d.pop("data_disk"), d.__setitem__("rollout", {"max_surge": 2})))
    first = c.cli("provision", stack)
    assert first.exit_code == 0, first.stderr[-3000:]
    return stack, first.doc["endpoint"], set(first.doc["instances"])


def test_a_rollout_killed_at_each_stage_of_its_batch_in_turn_never_fails_a_request(cloud):
    stack, endpoint, old = serving(cloud)
    edit(stack, lambda d: d["serving"].__setitem__("server", {"env": {"MODEL_VERSION": "2"}}))
    with Stream(endpoint, threads=2) as stream:
        stream.wait_for(10)
        killed(cloud, stack, 1, {"RunInstances": 1})
        killed(cloud, stack, 2, {"RunInstances": 1, "AddBackendServers": 1})  # the replay returns the same ids
        killed(cloud, stack, 1, {"SetBackendServers": 1})
        killed(cloud, stack, 1, {"RemoveBackendServers": 1})
        killed(cloud, stack, 1, {"DeleteInstances": 1})
        finished(cloud, stack, old)
        stream.wait_for(20)
        answers = stream.stop()
    assert failed(answers) == [], failed(answers)[:3]


def test_a_port_change_killed_after_the_switch_while_old_members_drain_and_before_the_old_port_closes(cloud):
    stack, endpoint, old = serving(cloud)
    edit(stack, lambda d: d["serving"].__setitem__("port", 8081))
    with Stream(endpoint, threads=2) as stream:
        stream.wait_for(10)
        bound = {"AuthorizeSecurityGroup": 1, "CreateVServerGroup": 1, "SetLoadBalancerHTTPListenerAttribute": 1}
        killed(cloud, stack, 3, bound)
        batch = {"RunInstances": 1, "AddVServerGroupBackendServers": 1, "SetVServerGroupAttribute": 1}
        killed(cloud, stack, 3, batch)
        killed(cloud, stack, 2, {"RemoveVServerGroupBackendServers": 1, "DeleteInstances": 1})
        finished(cloud, stack, old)
        stream.wait_for(20)
        answers = stream.stop()
    assert failed(answers) == [], failed(answers)[:3]
