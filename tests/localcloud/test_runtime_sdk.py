"""Local runtime through the official SDKs: RunInstances' UserData runs, the started listener balances."""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
import types
import urllib.error
import urllib.request
from collections import Counter

import pytest
from alibabacloud_ecs20140526 import models as em
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_slb20140515 import models as sm
from alibabacloud_slb20140515.client import Client as SlbClient
from alibabacloud_vpc20160428.client import Client as VpcClient

from localcloud.runtime.testing import demo_user_data
from tests.helpers import REGION, eventually, fresh_runtime, process_gone, sdk_config
from tests.localcloud.helpers import make_network

pytestmark = pytest.mark.timeout(90)
IMAGE = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
TYPE = "ecs.g7.large"


@pytest.fixture
def cloud(runtime_server):
    control = fresh_runtime(runtime_server, 0.05)
    config = sdk_config(runtime_server.url)
    yield types.SimpleNamespace(
        ecs=EcsClient(config),
        vpc=VpcClient(config),
        slb=SlbClient(config),
        control=control,
        runtime=runtime_server.emulator.cloud.runtime,
        data_dir=runtime_server.emulator.data_dir,
    )
    runtime_server.emulator.reset()


def stack(c, amount: int = 3, user_data: str | None = None, health_uri: str = "/health") -> types.SimpleNamespace:
    """VPC, vSwitch, security group, instances with a data disk, an intranet CLB and a started HTTP listener."""
    net = make_network(c.ecs, c.vpc)
    vsw_id = net.vsw_id
    ids = c.ecs.run_instances(
        em.RunInstancesRequest(
            region_id=REGION,
            image_id=IMAGE,
            instance_type=TYPE,
            v_switch_id=vsw_id,
            security_group_id=net.sg_id,
            amount=amount,
            user_data=user_data or demo_user_data(),
            data_disk=[em.RunInstancesRequestDataDisk(size=20, category="cloud_essd")],
        )
    ).body.instance_id_sets.instance_id_set
    lb = c.slb.create_load_balancer(
        sm.CreateLoadBalancerRequest(
            region_id=REGION, instance_charge_type="PayByCLCU", address_type="intranet", v_switch_id=vsw_id
        )
    ).body
    c.slb.create_load_balancer_httplistener(
        sm.CreateLoadBalancerHTTPListenerRequest(
            region_id=REGION,
            load_balancer_id=lb.load_balancer_id,
            listener_port=80,
            backend_server_port=8000,
            bandwidth=-1,
            health_check="on",
            health_check_uri=health_uri,
            health_check_interval=1,
            healthy_threshold=2,
            unhealthy_threshold=2,
            health_check_http_code="http_2xx",
        )
    )
    set_weights(c, lb.load_balancer_id, {i: 100 for i in ids}, add=True)
    c.slb.start_load_balancer_listener(
        sm.StartLoadBalancerListenerRequest(region_id=REGION, load_balancer_id=lb.load_balancer_id, listener_port=80)
    )
    s = types.SimpleNamespace(ids=ids, lb_id=lb.load_balancer_id, address=lb.address, url=None)
    eventually(lambda: set(health(c, s).values()) == {"normal"}, "every backend normal", timeout=60)
    # Port 80 of the address unless another emulator on this machine holds it (then a free port, see CHOICES.md).
    s.url = c.runtime.listener_url(s.lb_id, 80)
    return s


def set_weights(c, lb_id: str, weights: dict[str, int], add: bool = False) -> None:
    servers = json.dumps([{"ServerId": sid, "Weight": str(w), "Type": "ecs"} for sid, w in weights.items()])
    if add:
        c.slb.add_backend_servers(
            sm.AddBackendServersRequest(region_id=REGION, load_balancer_id=lb_id, backend_servers=servers)
        )
    else:
        c.slb.set_backend_servers(
            sm.SetBackendServersRequest(region_id=REGION, load_balancer_id=lb_id, backend_servers=servers)
        )


def health(c, s) -> dict[str, str]:
    rows = c.slb.describe_health_status(
        sm.DescribeHealthStatusRequest(region_id=REGION, load_balancer_id=s.lb_id, listener_port=80)
    ).body.backend_servers.backend_server
    return {row.server_id: row.server_health_status for row in rows}


def workload(c, iid: str) -> dict:
    return next(w for w in c.control.request("GET", "runtime")["instances"] if w["instance_id"] == iid)


def served_by(url: str, n: int) -> Counter:
    seen = Counter()
    for _ in range(n):
        with urllib.request.urlopen(url + "/", timeout=5) as resp:
            seen[json.loads(resp.read())["instance"]] += 1
    return seen


def test_three_instances_behind_the_listener_share_the_requests_evenly(cloud):
    s = stack(cloud)
    listener = cloud.control.request("GET", "runtime")["listeners"][0]
    assert listener["address"] == s.address and s.url.startswith(f"http://{s.address}:")
    assert listener["bound_port"] == 80 or "cannot bind" in listener["note"]
    assert served_by(s.url, 60) == {iid: 20 for iid in s.ids}


def test_model_dir_is_the_instance_data_disk(cloud):
    s = stack(cloud, amount=1)
    disk = cloud.ecs.describe_disks(
        em.DescribeDisksRequest(region_id=REGION, instance_id=s.ids[0], disk_type="data")
    ).body.disks.disk[0]
    assert workload(cloud, s.ids[0])["model_dir"] == os.path.join(cloud.runtime.base_dir, "disks", disk.disk_id)


def test_stop_instance_stops_its_server_and_health_status_turns_abnormal(cloud):
    s = stack(cloud, amount=2)
    pid = workload(cloud, s.ids[0])["pid"]
    cloud.ecs.stop_instance(em.StopInstanceRequest(instance_id=s.ids[0]))
    eventually(lambda: process_gone(pid), "the server to stop")
    eventually(lambda: health(cloud, s)[s.ids[0]] == "abnormal", "DescribeHealthStatus to say abnormal")
    assert served_by(s.url, 4) == {s.ids[1]: 4}
    cloud.ecs.start_instance(em.StartInstanceRequest(instance_id=s.ids[0]))
    eventually(lambda: health(cloud, s)[s.ids[0]] == "normal", "the restarted server to pass")
    assert served_by(s.url, 4) == {s.ids[0]: 2, s.ids[1]: 2}


def test_reboot_instance_restarts_its_server(cloud):
    s = stack(cloud, amount=1)
    before = workload(cloud, s.ids[0])
    cloud.ecs.reboot_instance(em.RebootInstanceRequest(instance_id=s.ids[0]))
    after = eventually(
        lambda: (w := workload(cloud, s.ids[0]))["pid"] != before["pid"] and w["state"] == "running" and w,
        "a new server process",
    )
    assert process_gone(before["pid"]) and after["boot"] == before["boot"] + 1


def test_delete_instance_stops_its_server_and_it_leaves_the_rotation(cloud):
    s = stack(cloud, amount=2)
    pid = workload(cloud, s.ids[0])["pid"]
    cloud.ecs.delete_instance(em.DeleteInstanceRequest(instance_id=s.ids[0], force=True))
    eventually(lambda: process_gone(pid), "the server to stop")
    assert served_by(s.url, 4) == {s.ids[1]: 4}
    eventually(lambda: s.ids[0] not in health(cloud, s), "the released instance to leave the backends")


def test_weight_zero_through_set_backend_servers_drains_at_once(cloud):
    s = stack(cloud, amount=2)
    set_weights(cloud, s.lb_id, {s.ids[0]: 0})
    assert served_by(s.url, 6) == {s.ids[1]: 6}
    set_weights(cloud, s.lb_id, {s.ids[0]: 25, s.ids[1]: 75})
    assert served_by(s.url, 8) == {s.ids[0]: 2, s.ids[1]: 6}


def test_killed_server_is_reported_abnormal_and_skipped(cloud):
    s = stack(cloud, amount=2)
    cloud.control.request("POST", "runtime/kill", {"instance_id": s.ids[1], "signal": "KILL"})
    eventually(lambda: health(cloud, s)[s.ids[1]] == "abnormal", "DescribeHealthStatus to say abnormal")
    assert health(cloud, s)[s.ids[0]] == "normal"
    assert served_by(s.url, 4) == {s.ids[0]: 4}
    assert workload(cloud, s.ids[1])["state"] == "exited"


def test_stopped_listener_closes_the_endpoint_and_reports_unavailable(cloud):
    s = stack(cloud, amount=1)
    cloud.slb.stop_load_balancer_listener(
        sm.StopLoadBalancerListenerRequest(region_id=REGION, load_balancer_id=s.lb_id, listener_port=80)
    )
    eventually(lambda: cloud.runtime.listener_url(s.lb_id, 80) is None, "the balancer to stop")
    assert health(cloud, s) == {s.ids[0]: "unavailable"}
    with pytest.raises(urllib.error.URLError, match="refused"):
        urllib.request.urlopen(s.url + "/", timeout=2)


def test_deleted_load_balancer_closes_the_endpoint(cloud):
    s = stack(cloud, amount=1)
    cloud.slb.delete_load_balancer(sm.DeleteLoadBalancerRequest(region_id=REGION, load_balancer_id=s.lb_id))
    eventually(lambda: cloud.runtime.listener_url(s.lb_id, 80) is None, "the balancer to stop")
    with pytest.raises(urllib.error.URLError, match="refused"):
        urllib.request.urlopen(s.url + "/", timeout=2)


def test_the_default_model_server_serves_inference_through_the_listener(cloud):
    from provisioner.serving import modelserver
    from provisioner.serving.userdata import ServingSettings, build_user_data

    user_data = build_user_data(ServingSettings(), instance_role="model", data_disk=True)
    s = stack(cloud, amount=2, user_data=user_data, health_uri="/v2/health/ready")
    rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]
    body = json.dumps(
        {"inputs": [{"name": "input-0", "shape": [3, 4], "datatype": "FP32", "data": [v for row in rows for v in row]}]}
    ).encode()
    answers, served = [], Counter()
    for _ in range(10):
        req = urllib.request.Request(
            s.url + "/v2/models/iris/infer", data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            served[resp.headers["X-Fleet-Instance"]] += 1
            answers.append(next(o for o in json.loads(resp.read())["outputs"] if o["name"] == "predict")["data"])
    model_dir = workload(cloud, s.ids[0])["model_dir"]
    assert model_dir.startswith(os.path.join(cloud.runtime.base_dir, "disks"))  # the model lives on the data disk
    assert answers == [modelserver.predict(model_dir, rows)] * 10
    assert served == {iid: 5 for iid in s.ids}


def test_a_new_instance_gets_traffic_only_after_its_health_check_passes(cloud):
    s = stack(cloud, amount=1)
    cloud.control.request("PUT", "runtime/config", {"health_interval_scale": 0.5})  # checks every 0.5 s
    vsw = cloud.ecs.describe_instances(em.DescribeInstancesRequest(region_id=REGION)).body.instances.instance[0]
    new = cloud.ecs.run_instances(
        em.RunInstancesRequest(
            region_id=REGION,
            image_id=IMAGE,
            instance_type=TYPE,
            v_switch_id=vsw.vpc_attributes.v_switch_id,
            security_group_id=vsw.security_group_ids.security_group_id[0],
            amount=1,
            user_data=demo_user_data(),
        )
    ).body.instance_id_sets.instance_id_set[0]
    set_weights(cloud, s.lb_id, {new: 100}, add=True)
    assert health(cloud, s)[new] == "abnormal"
    assert served_by(s.url, 4) == {s.ids[0]: 4}
    eventually(lambda: health(cloud, s)[new] == "normal", "the new instance to pass its checks")
    assert served_by(s.url, 4) == {s.ids[0]: 2, new: 2}


def test_failover_under_a_steady_stream_loses_at_most_one_percent(cloud):
    s = stack(cloud)
    cloud.control.request("PUT", "runtime/config", {"health_interval_scale": 0.5})  # the check lags the crash
    host, port = s.url.removeprefix("http://").split(":")
    results: list[tuple[float, int]] = []
    stop_at = time.monotonic() + 4.0

    def client():
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        while time.monotonic() < stop_at:
            try:
                conn.request("GET", "/")
                resp = conn.getresponse()
                resp.read()
                results.append((time.monotonic(), resp.status))
            except (OSError, http.client.HTTPException):
                results.append((time.monotonic(), 0))
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    eventually(lambda: len(results) >= 50, "the stream to flow before the crash")
    cloud.control.request("POST", "runtime/kill", {"instance_id": s.ids[1]})
    out_at = eventually(lambda: health(cloud, s)[s.ids[1]] == "abnormal" and time.monotonic(), "the dead backend out")
    for thread in threads:
        thread.join()
    failed = [t for t, status in results if status != 200]
    assert len(results) > 200
    assert len(failed) <= len(results) / 100
    assert not [t for t in failed if t > out_at]


def test_a_tcp_listener_relays_to_the_backends_with_tcp_health_checks(cloud):
    s = stack(cloud, amount=2)
    cloud.slb.create_load_balancer_tcplistener(
        sm.CreateLoadBalancerTCPListenerRequest(
            region_id=REGION,
            load_balancer_id=s.lb_id,
            listener_port=9000,
            backend_server_port=8000,
            bandwidth=-1,
            health_check_interval=1,
            healthy_threshold=2,
            unhealthy_threshold=2,
        )
    )
    cloud.slb.start_load_balancer_listener(
        sm.StartLoadBalancerListenerRequest(region_id=REGION, load_balancer_id=s.lb_id, listener_port=9000)
    )

    def rows():
        return cloud.slb.describe_health_status(
            sm.DescribeHealthStatusRequest(region_id=REGION, load_balancer_id=s.lb_id, listener_port=9000)
        ).body.backend_servers.backend_server

    eventually(lambda: {r.server_health_status for r in rows()} == {"normal"}, "TCP checks to pass")
    url = cloud.runtime.listener_url(s.lb_id, 9000)
    assert url.startswith(f"tcp://{s.address}:")
    assert served_by(url.replace("tcp://", "http://"), 4) == {iid: 2 for iid in s.ids}
