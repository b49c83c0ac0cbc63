"""localcloud throughput: DescribeInstances over 100 instances, RunInstances, and the server's memory."""

from __future__ import annotations

import threading
import time

from .common import REGION, RawClient, baseline, control, cpu_seconds, emulator_process, row, rss_mib, sdk_config


def _clients(url: str):
    from alibabacloud_ecs20140526.client import Client as Ecs
    from alibabacloud_vpc20160428.client import Client as Vpc

    return Ecs(sdk_config(url)), Vpc(sdk_config(url))


def _network(ecs, vpc):
    from alibabacloud_ecs20140526 import models as em
    from alibabacloud_vpc20160428 import models as vm

    vpc_id = vpc.create_vpc(vm.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/8")).body.vpc_id
    vsw = vpc.create_vswitch(
        vm.CreateVSwitchRequest(region_id=REGION, vpc_id=vpc_id, zone_id="cn-hangzhou-i", cidr_block="10.0.0.0/16")
    ).body.v_switch_id
    sg = ecs.create_security_group(
        em.CreateSecurityGroupRequest(region_id=REGION, vpc_id=vpc_id)
    ).body.security_group_id
    return vsw, sg


def _run_request(vsw, sg, amount):
    from alibabacloud_ecs20140526 import models as em

    return em.RunInstancesRequest(
        region_id=REGION,
        image_id="ubuntu_22_04_x64_20G_alibase_20240130.vhd",
        instance_type="ecs.g7.large",
        v_switch_id=vsw,
        security_group_id=sg,
        amount=amount,
        tag=[em.RunInstancesRequestTag(key="bench", value="1")],
    )


def _rate(worker, threads: int, seconds: float) -> tuple[float, int]:
    """Calls per second of `worker()` run in `threads` threads for `seconds`."""
    stop_at = time.monotonic() + seconds
    counts = [0] * threads
    errors = [0] * threads

    def loop(i):
        while time.monotonic() < stop_at:
            try:
                worker()
                counts[i] += 1
            except Exception:  # noqa: BLE001 - counted, reported
                errors[i] += 1

    pool = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    start = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(counts) / (time.monotonic() - start), sum(errors)


def server_cpu_per_call(url: str, pid: int, calls: int = 400) -> float:
    """Milliseconds of the server process's CPU (user + system) per DescribeInstances of 100 instances,
    over `calls` sequential calls from one lean client (the server's whole work: HTTP, signature check,
    filtering, rendering, encoding). The median of 3 rounds."""
    client = RawClient(url)
    params = {"RegionId": REGION, "PageSize": 100}
    for _ in range(20):
        client.call("2014-05-26", "DescribeInstances", params)
    rounds = []
    for _ in range(3):
        before = cpu_seconds(pid)
        for _ in range(calls):
            client.call("2014-05-26", "DescribeInstances", params)
        rounds.append((cpu_seconds(pid) - before) * 1000.0 / calls)
    return sorted(rounds)[1]


def main(seconds: float = 5.0, threads: int = 4) -> None:
    from alibabacloud_ecs20140526 import models as em

    print(f"localcloud emulator (own process, --instant, --no-runtime; client threads: {threads})")
    with emulator_process("--instant", "--no-runtime") as (url, pid):
        control(url, "PUT", "config", {"instance_quota": 100000})
        ecs, vpc = _clients(url)
        vsw, sg = _network(ecs, vpc)
        row("server RSS, empty", f"{rss_mib(pid):.1f}", "MiB")
        ecs.run_instances(_run_request(vsw, sg, 100))
        describe = em.DescribeInstancesRequest(region_id=REGION, page_size=100)
        assert len(ecs.describe_instances(describe).body.instances.instance) == 100
        local = threading.local()

        def describe_call():
            client = getattr(local, "ecs", None) or _clients(url)[0]
            local.ecs = client
            client.describe_instances(describe)

        rate, errs = _rate(describe_call, threads, seconds)
        row("DescribeInstances via the SDK (parses 100 instances)", f"{rate:.0f}", f"req/s ({errs} errors)")

        def raw_describe():
            client = getattr(local, "raw", None) or RawClient(url)
            local.raw = client
            body = client.call("2014-05-26", "DescribeInstances", {"RegionId": REGION, "PageSize": 100})
            assert len(body["Instances"]["Instance"]) == 100

        rate, errs = _rate(raw_describe, threads, seconds)
        row("DescribeInstances, lean signed client (server side)", f"{rate:.0f}", f"req/s ({errs} errors)")
        cpu_ms = server_cpu_per_call(url, pid)
        old = baseline("emulator").get("describe_100_cpu_ms")
        row(
            "server CPU per DescribeInstances of 100 instances",
            f"{cpu_ms:.2f}",
            "ms" + (f" (before: {old:.2f} ms, {cpu_ms / old:.2f}x)" if old else ""),
        )
        row("server RSS with 100 instances", f"{rss_mib(pid):.1f}", "MiB")

        def run_call():
            client = getattr(local, "ecs", None) or _clients(url)[0]
            local.ecs = client
            client.run_instances(_run_request(vsw, sg, 1))

        def raw_run():
            client = getattr(local, "raw", None) or RawClient(url)
            local.raw = client
            client.call(
                "2014-05-26",
                "RunInstances",
                {
                    "RegionId": REGION,
                    "ImageId": "ubuntu_22_04_x64_20G_alibase_20240130.vhd",
                    "InstanceType": "ecs.g7.large",
                    "VSwitchId": vsw,
                    "SecurityGroupId": sg,
                    "Amount": 1,
                },
            )

        rate, errs = _rate(raw_run, threads, seconds)
        row("RunInstances (Amount 1), lean signed client", f"{rate:.0f}", f"req/s ({errs} errors)")
        rate, errs = _rate(run_call, threads, seconds)
        total = control(url, "GET", "stats")["actions"].get("ecs:RunInstances", {}).get("calls", 0)
        row("RunInstances (Amount 1) via the SDK", f"{rate:.0f}", f"req/s ({errs} errors)")
        row("instances held after both runs", str(100 + total))
        row("server RSS after the RunInstances run", f"{rss_mib(pid):.1f}", "MiB")


if __name__ == "__main__":
    main()
