"""The rollout crash matrix under a request stream: a steady stream of inference requests runs through the stack's
endpoint (localcloud's real local balancer) while the rollout's provision is SIGKILLed by the emulator right after
one of its mutating calls (PUT /_localcloud/kill_after) and while the rerun finishes it. Asserted for every kill
point: the stream saw 0 failed requests, and the rerun converged (exactly the stack, every instance of the new
template, none of the old ones, no duplicate, nothing leaked, the state valid).

tests/provisioner/test_crash_rollout.py kills the rollout after EVERY mutating call with no stream; all of them
under a stream would take minutes (each kill point costs a rollout with real model servers), so this file streams
one kill point per distinct stage, on a 2-instance fleet with no data disk replaced in one batch (max_surge 2):
- a batch (the env changes; five changes chained on one fleet, each from the fleet the previous rerun left):
  killed after RunInstances (k=1: the new ids unknown to the state), after AddBackendServers (k=2: new backends
  not yet healthy), after SetBackendServers weight 0 (k=3: the old ones mid-drain), after RemoveBackendServers
  (k=4: the old ones out of the SLB, still running), after DeleteInstances (k=5);
- serving.port (8080 -> 8081 -> 8082 -> 8083, chained): killed after the listener's switch to the vServer group
  (k=3: old members on 8080 in the group, the default group still holding them), while the old members drain in
  the group (SetVServerGroupAttribute weight 0), and after the last DeleteInstances (the old port still open).
  The stages before the switch (AuthorizeSecurityGroup, CreateVServerGroup) do not touch the data plane; they are
  killed without a stream in test_crash_rollout.py, as are the disk move's DetachDisk and AttachDisk.
Each kill point also checks, from the emulator's counters, that the process died after the stage it names.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter

import pytest

from provisioner.spec import load_stack
from provisioner.state import State
from provisioner.template import TEMPLATE_TAG, template_of
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


def killed_then_rerun(c, stack: str, k: int, expected: dict[str, int]) -> None:
    """Kill the provision of `stack` after its k-th mutating call (which must leave `expected` done), rerun it, and
    check that the rerun converged on the new template."""
    spec = load_stack(stack)
    before = {i["id"] for i in c.control.resources().get("instance", [])}
    c.control.request("POST", "stats/reset")
    proc = spawn(c, stack)
    c.control.request("PUT", "kill_after", {"pid": proc.pid, "mutating_calls": k})
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, f"k={k}: the rollout ended by itself: {err.decode()[-2000:]}"
    assert mutations(c) == Counter(expected), f"k={k}: killed after another stage than the one named"
    State.load(c.state, spec.name)  # never half-written
    rerun = c.cli("provision", stack)
    assert rerun.exit_code == 0, f"k={k}: {rerun.stderr[-3000:]}"
    assert problems(c.control, stack, c.state) == [], f"k={k}"
    instances = c.control.resources()["instance"]
    assert {i["tags"].get(TEMPLATE_TAG) for i in instances} == {template_of(spec).digest}, f"k={k}"
    assert len(instances) == spec.instances.count and not ({i["id"] for i in instances} & before), f"k={k}"
    assert State.load(c.state, spec.name).rollout() is None, f"k={k}: the rollout is not finished"


def serving(c):
    """A 2-instance fleet with no data disk, replaced in one batch (max_surge 2), provisioned; its endpoint."""
    stack = c.stack(count=2)
    edit(stack, lambda d: (d.pop("data_disk"), d.__setitem__("rollout", {"max_surge": 2})))
    first = c.cli("provision", stack)
    assert first.exit_code == 0, first.stderr[-3000:]
    return stack, first.doc["endpoint"]


BATCH = ["RunInstances", "AddBackendServers", "SetBackendServers", "RemoveBackendServers", "DeleteInstances"]


def test_a_rollout_killed_at_each_stage_of_a_batch_and_rerun_never_fails_a_request(cloud):
    stack, endpoint = serving(cloud)
    with Stream(endpoint, threads=2) as stream:
        stream.wait_for(10)
        for k in range(1, len(BATCH) + 1):
            edit(stack, lambda d, k=k: d["serving"].__setitem__("server", {"env": {"MODEL_VERSION": str(k)}}))
            killed_then_rerun(cloud, stack, k, dict.fromkeys(BATCH[:k], 1))
            stream.wait_for(10)
            assert failed(stream.answers) == [], f"k={k}: {failed(stream.answers)[:3]}"
        answers = stream.stop()
    assert failed(answers) == [] and len(answers) > 50


def test_a_port_change_killed_after_the_switch_while_a_member_drains_and_before_the_old_port_closes(cloud):
    stack, endpoint = serving(cloud)

    def port(number: int) -> None:
        edit(stack, lambda d: d["serving"].__setitem__("port", number))

    with Stream(endpoint, threads=2) as stream:
        stream.wait_for(10)
        port(8081)
        bound = {"AuthorizeSecurityGroup": 1, "CreateVServerGroup": 1, "SetLoadBalancerHTTPListenerAttribute": 1}
        killed_then_rerun(cloud, stack, 3, bound)  # the listener serves from the group; old members on 8080
        stream.wait_for(10)
        port(8082)  # the group is in use now: new members join it on 8082, old ones drain there
        group_batch = ["AuthorizeSecurityGroup", "RunInstances", "AddVServerGroupBackendServers"]
        group_batch += ["SetVServerGroupAttribute", "RemoveVServerGroupBackendServers", "DeleteInstances"]
        killed_then_rerun(cloud, stack, 4, dict.fromkeys(group_batch[:4], 1))  # old members at weight 0
        stream.wait_for(10)
        port(8083)
        killed_then_rerun(cloud, stack, 6, dict.fromkeys(group_batch, 1))  # old ones deleted; 8082 still open
        stream.wait_for(10)
        answers = stream.stop()
    assert failed(answers) == [], failed(answers)[:3]
