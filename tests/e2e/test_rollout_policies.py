"""Day 2 end to end, the rollout policies under a steady request stream through the real local balancer:
max_surge 0 / max_unavailable 1 (a fleet at its instance quota: an old instance is drained and deleted before its
replacement is created) and `data_disk.attach: each` (every new instance comes with a disk of its own)."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Stream
from tests.e2e.test_rollout_replace import edit, failed, instances, no_changes
from tests.provisioner.helpers import ServingSampler, problems

pytestmark = pytest.mark.timeout(300)


def fleet(c, rollout: dict, data_disk: dict | None):
    stack = c.stack(count=2)
    edit(stack, lambda d: (d.__setitem__("rollout", rollout), d.__setitem__("data_disk", data_disk)))
    if data_disk is None:
        edit(stack, lambda d: d.pop("data_disk"))
    first = c.cli("provision", stack)
    assert first.exit_code == 0, first.stderr[-3000:]
    return stack, first.doc


def rolled_out_under_a_stream(c, stack: str, endpoint: str, monkeypatch):
    """Change the server env, provision under a stream sampling what serves after each API call; the answers."""
    edit(stack, lambda d: d["serving"].__setitem__("server", {"env": {"MODEL_VERSION": "2"}}))
    sampler = ServingSampler(c.slb, c.control).install(monkeypatch)
    with Stream(endpoint, threads=2) as stream:
        stream.wait_for(20)
        result = c.cli("provision", stack)
        assert result.exit_code == 0, result.stderr[-3000:]
        stream.wait_for(20)
        answers = stream.stop()
    monkeypatch.undo()
    return result, answers, sampler


def test_with_no_surge_an_old_instance_drains_and_leaves_first_and_no_request_fails(cloud, monkeypatch):
    stack, doc = fleet(cloud, {"max_surge": 0, "max_unavailable": 1}, None)
    old = set(doc["instances"])
    result, answers, sampler = rolled_out_under_a_stream(cloud, stack, doc["endpoint"], monkeypatch)
    assert failed(answers) == [], failed(answers)[:3]
    assert max(sampler.instances) == 2  # never above count: a fleet at its quota can roll out
    assert min(sampler.healthy) == 1  # count - max_unavailable, reached and never passed
    new = set(result.doc["instances"])
    assert len(new) == 2 and not (new & old) and set(instances(cloud)) == new
    assert problems(cloud.control, stack, cloud.state) == []
    no_changes(cloud, stack)


def test_an_attach_each_rollout_gives_each_new_instance_its_own_disk_and_no_request_fails(cloud, monkeypatch):
    stack, doc = fleet(cloud, {"max_surge": 1}, {"size_gib": 20, "category": "cloud_essd", "attach": "each"})
    old = set(doc["instances"])
    disks = [d for d in cloud.control.resources()["disk"] if d["type"] == "data"]
    old_disks = {d["id"] for d in disks}
    assert sorted(d["instance_id"] for d in disks) == sorted(old)
    result, answers, sampler = rolled_out_under_a_stream(cloud, stack, doc["endpoint"], monkeypatch)
    assert failed(answers) == [], failed(answers)[:3]
    assert min(sampler.healthy) == 2  # the old ones serve until their replacements do: no disk moves
    new = set(result.doc["instances"])
    assert len(new) == 2 and not (new & old)
    disks = [d for d in cloud.control.resources()["disk"] if d["type"] == "data"]
    assert sorted(d["instance_id"] for d in disks) == sorted(new)  # each new instance has its own, attached
    assert {d["status"] for d in disks} == {"In_use"}  # none left Available: nothing leaked
    assert not ({d["id"] for d in disks} & old_disks)  # the old instances' disks are deleted
    # and its server loads the model from it (the runtime's {model_dir} is the instance's first data disk)
    served_from = {i: w["model_dir"].rsplit("/", 1)[-1] for i, w in instances(cloud).items()}
    assert served_from == {d["instance_id"]: d["id"] for d in disks}
    assert problems(cloud.control, stack, cloud.state) == []
    no_changes(cloud, stack)
