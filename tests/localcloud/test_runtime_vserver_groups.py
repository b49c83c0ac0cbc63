"""Local runtime with vServer groups: members on their own ports, switched and re-weighted under a request stream
with no failed request; GetInstanceConsoleOutput shows what a workload printed."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import types
from collections import Counter

import pytest
import yaml
from alibabacloud_ecs20140526 import models as em
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_slb20140515 import models as sm
from alibabacloud_slb20140515.client import Client as SlbClient
from alibabacloud_vpc20160428.client import Client as VpcClient

from localcloud.runtime.testing import demo_user_data
from tests.helpers import REGION, eventually, fresh_runtime, sdk_config
from tests.localcloud.helpers import make_network

pytestmark = pytest.mark.timeout(120)
IMAGE = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
MAX_REQUESTS = 200_000  # the stream's bound, far above what the test needs


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
    )
    runtime_server.emulator.reset()


def run(c, net, user_data: str, amount: int = 1) -> list[str]:
    return c.ecs.run_instances(
        em.RunInstancesRequest(
            region_id=REGION,
            image_id=IMAGE,
            instance_type="ecs.g7.large",
            v_switch_id=net.vsw_id,
            security_group_id=net.sg_id,
            amount=amount,
            user_data=user_data,
        )
    ).body.instance_id_sets.instance_id_set


def members(*items) -> str:
    return json.dumps([{"ServerId": s, "Port": str(p), "Weight": str(w)} for s, p, w in items])


def health(c, lb_id) -> dict[tuple, str]:
    rows = c.slb.describe_health_status(
        sm.DescribeHealthStatusRequest(region_id=REGION, load_balancer_id=lb_id, listener_port=80)
    ).body.backend_servers.backend_server
    return {(r.server_id, r.port): r.server_health_status for r in rows}


class Stream:
    """GET / through the balancer on one keep-alive connection after another, until stopped (bounded)."""

    def __init__(self, url: str):
        host, port = url.split("://", 1)[1].rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.answers: list[str] = []  # X-Served-By of each answer, in order
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=30)

    def since(self, mark: int) -> Counter:
        """Who answered from answer `mark` on (one client: at most one request is in flight at a time)."""
        return Counter(self.answers[mark:])

    def _run(self):
        conn = None
        while not self._stop.is_set() and len(self.answers) + len(self.failures) < MAX_REQUESTS:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
                conn.request("GET", "/")
                resp = conn.getresponse()
                resp.read()
                if resp.status == 200:
                    self.answers.append(resp.getheader("X-Served-By"))
                else:
                    self.failures.append(f"HTTP {resp.status}")
                if resp.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as err:
                self.failures.append(f"{err.__class__.__name__}: {err}")
                conn = None


def test_a_rollout_to_another_port_through_a_vserver_group_fails_no_request(cloud):
    c = cloud
    net = make_network(c.ecs, c.vpc)
    old = run(c, net, demo_user_data(port=8080, greeting="old"), 2)
    new = run(c, net, demo_user_data(port=8081, greeting="new"), 2)
    lb = c.slb.create_load_balancer(
        sm.CreateLoadBalancerRequest(
            region_id=REGION, address_type="intranet", v_switch_id=net.vsw_id, instance_charge_type="PayByCLCU"
        )
    ).body
    lb_id = lb.load_balancer_id
    c.slb.create_load_balancer_httplistener(
        sm.CreateLoadBalancerHTTPListenerRequest(
            region_id=REGION,
            load_balancer_id=lb_id,
            listener_port=80,
            backend_server_port=8080,
            health_check="on",
            health_check_uri="/health",
            health_check_interval=1,
            healthy_threshold=2,
            unhealthy_threshold=2,
        )
    )
    c.slb.add_backend_servers(
        sm.AddBackendServersRequest(
            region_id=REGION,
            load_balancer_id=lb_id,
            backend_servers=json.dumps([{"ServerId": s, "Weight": "100"} for s in old]),
        )
    )
    c.slb.start_load_balancer_listener(sm.StartLoadBalancerListenerRequest(load_balancer_id=lb_id, listener_port=80))
    eventually(lambda: set(health(c, lb_id).values()) == {"normal"}, "the old fleet healthy", timeout=60)
    url = c.runtime.listener_url(lb_id, 80)

    with Stream(url) as stream:
        eventually(lambda: len(stream.answers) >= 20, "the stream to flow", timeout=30)
        # 1. a group holding the old fleet on 8080; the listener switches to it (same members, same health)
        group = c.slb.create_vserver_group(
            sm.CreateVServerGroupRequest(
                region_id=REGION,
                load_balancer_id=lb_id,
                vserver_group_name="fleet",
                backend_servers=members(*[(s, 8080, 100) for s in old]),
            )
        ).body.vserver_group_id
        for switch in ("on", "off", "on"):  # there and back again: the pairs keep their health
            c.slb.set_load_balancer_httplistener_attribute(
                sm.SetLoadBalancerHTTPListenerAttributeRequest(
                    region_id=REGION,
                    load_balancer_id=lb_id,
                    listener_port=80,
                    vserver_group=switch,
                    vserver_group_id=group if switch == "on" else None,
                )
            )
            wanted = group if switch == "on" else ""
            eventually(
                lambda wanted=wanted: [
                    x for x in c.control.request("GET", "runtime")["listeners"] if x["vserver_group_id"] == wanted
                ],
                f"the balancer to follow VServerGroup={switch}",
            )
            mark = len(stream.answers)
            eventually(lambda mark=mark: len(stream.answers) >= mark + 10, "answers after the switch", timeout=30)
        # 2. the new fleet joins on 8081, one member also on a port where nothing listens
        c.slb.add_vserver_group_backend_servers(
            sm.AddVServerGroupBackendServersRequest(
                region_id=REGION,
                vserver_group_id=group,
                backend_servers=members(*[(s, 8081, 100) for s in new], (new[0], 9999, 100)),
            )
        )
        eventually(
            lambda: all(health(c, lb_id).get((s, 8081)) == "normal" for s in new), "the new fleet healthy", timeout=60
        )
        assert health(c, lb_id)[(new[0], 9999)] == "abnormal"
        mark = len(stream.answers)
        eventually(lambda: set(stream.since(mark)) == set(old + new), "old and new to answer side by side", timeout=30)
        # 3. the old fleet drains (weight 0), then leaves with the dead port
        c.slb.set_vserver_group_attribute(
            sm.SetVServerGroupAttributeRequest(
                region_id=REGION, vserver_group_id=group, backend_servers=members(*[(s, 8080, 0) for s in old])
            )
        )
        mark = len(stream.answers) + 1  # the one request in flight may have been sent to an old member
        eventually(lambda: sum(stream.since(mark).values()) >= 50, "answers after the drain", timeout=30)
        assert set(stream.since(mark)) == set(new)
        c.slb.remove_vserver_group_backend_servers(
            sm.RemoveVServerGroupBackendServersRequest(
                region_id=REGION,
                vserver_group_id=group,
                backend_servers=members(*[(s, 8080, 0) for s in old], (new[0], 9999, 100)),
            )
        )
        mark = len(stream.answers)
        eventually(lambda: sum(stream.since(mark).values()) >= 50, "answers after the removal", timeout=30)

    assert stream.failures == []
    assert set(stream.since(mark)) == set(new)
    assert c.runtime.listener_url(lb_id, 80) == url  # the listening socket was never rebound
    assert set(health(c, lb_id)) == {(s, 8081) for s in new}


def group_listener_stack(c, protocol: str = "http"):
    """Instance A serving on 8080 and B on 8081; a started listener on port 80 created on a group holding A."""
    net = make_network(c.ecs, c.vpc)
    (a,) = run(c, net, demo_user_data(port=8080, greeting="old"))
    (b,) = run(c, net, demo_user_data(port=8081, greeting="new"))
    lb_id = c.slb.create_load_balancer(
        sm.CreateLoadBalancerRequest(
            region_id=REGION, address_type="intranet", v_switch_id=net.vsw_id, instance_charge_type="PayByCLCU"
        )
    ).body.load_balancer_id
    group = c.slb.create_vserver_group(
        sm.CreateVServerGroupRequest(region_id=REGION, load_balancer_id=lb_id, backend_servers=members((a, 8080, 100)))
    ).body.vserver_group_id
    if protocol == "http":
        c.slb.create_load_balancer_httplistener(
            sm.CreateLoadBalancerHTTPListenerRequest(
                region_id=REGION,
                load_balancer_id=lb_id,
                listener_port=80,
                vserver_group_id=group,
                health_check="on",
                health_check_uri="/health",
                health_check_interval=1,
                healthy_threshold=2,
                unhealthy_threshold=2,
            )
        )
    else:
        c.slb.create_load_balancer_tcplistener(
            sm.CreateLoadBalancerTCPListenerRequest(
                region_id=REGION,
                load_balancer_id=lb_id,
                listener_port=80,
                vserver_group_id=group,
                bandwidth=-1,
                health_check_interval=1,
                healthy_threshold=2,
                unhealthy_threshold=2,
            )
        )
    c.slb.start_load_balancer_listener(sm.StartLoadBalancerListenerRequest(load_balancer_id=lb_id, listener_port=80))
    eventually(lambda: health(c, lb_id) == {(a, 8080): "normal"}, "member A healthy", timeout=60)
    return types.SimpleNamespace(a=a, b=b, lb_id=lb_id, group=group, url=c.runtime.listener_url(lb_id, 80))


def served_by(url: str) -> str:
    host, port = url.split("://", 1)[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200
        return resp.getheader("X-Served-By")
    finally:
        conn.close()


def test_a_member_swapped_out_finishes_its_request_in_flight(cloud):
    c = cloud
    s = group_listener_stack(c)
    slow = {}
    host, port = s.url.split("://", 1)[1].rsplit(":", 1)

    def call():
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request("GET", "/slow?s=1")
        resp = conn.getresponse()
        slow.update(status=resp.status, by=resp.getheader("X-Served-By"), body=resp.read())
        conn.close()

    thread = threading.Thread(target=call)
    thread.start()

    def in_flight() -> int:
        listeners = c.control.request("GET", "runtime")["listeners"]
        return sum(b["in_flight"] for x in listeners for b in x["backends"] if b["server_id"] == s.a)

    eventually(lambda: in_flight() == 1, "the slow request to reach A")
    c.slb.modify_vserver_group_backend_servers(
        sm.ModifyVServerGroupBackendServersRequest(
            region_id=REGION,
            vserver_group_id=s.group,
            old_backend_servers=members((s.a, 8080, 100)),
            new_backend_servers=members((s.b, 8081, 100)),
        )
    )
    eventually(lambda: health(c, s.lb_id) == {(s.b, 8081): "normal"}, "member B healthy", timeout=60)
    thread.join(timeout=30)
    assert (slow["status"], slow["by"]) == (200, s.a)
    assert {served_by(s.url) for _ in range(5)} == {s.b}


def test_a_tcp_listener_relays_to_each_member_on_its_port(cloud):
    c = cloud
    s = group_listener_stack(c, protocol="tcp")
    c.slb.add_vserver_group_backend_servers(
        sm.AddVServerGroupBackendServersRequest(
            region_id=REGION, vserver_group_id=s.group, backend_servers=members((s.b, 8081, 100))
        )
    )
    eventually(lambda: set(health(c, s.lb_id).values()) == {"normal"}, "both members healthy", timeout=60)
    url = "http://" + s.url.split("://", 1)[1]
    assert Counter(served_by(url) for _ in range(10)) == {s.a: 5, s.b: 5}


def crashing_user_data() -> str:
    command = [
        "{python}",
        "-c",
        "import sys; print('loading model v2'); "
        "print('fatal: /mnt/model/v2.pkl not found', file=sys.stderr); sys.exit(3)",
    ]
    manifest = {"name": "broken", "command": command, "port": 8000, "health_path": "/health", "env": {}}
    doc = {"write_files": [{"path": "/etc/fleet/workload.json", "content": json.dumps(manifest)}]}
    return base64.b64encode(("#cloud-config\n" + yaml.safe_dump(doc)).encode()).decode()


def test_console_output_shows_why_a_server_exited_at_start(cloud):
    c = cloud
    net = make_network(c.ecs, c.vpc)
    (iid,) = run(c, net, crashing_user_data())

    def output() -> str:
        body = c.ecs.get_instance_console_output(
            em.GetInstanceConsoleOutputRequest(region_id=REGION, instance_id=iid, remove_symbols=True)
        ).body
        return base64.b64decode(body.console_output).decode()

    text = eventually(lambda: "fatal:" in output() and output(), "the workload's error in the console output")
    assert "loading model v2" in text and "fatal: /mnt/model/v2.pkl not found" in text
