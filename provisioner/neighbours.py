"""Resources that are not this stack's but sit in its network (an untagged VM in our vSwitch, another
stack's security group in our VPC): teardown never touches them and keeps the network they need."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .observe import Snapshot
from .steps.common import Context, describe_pages, dig, owned, read_tags
from .tags import TAG_STACK

STEP = "teardown"


def _label(kind: str, item_id: str, tags: dict[str, Any]) -> str:
    stack = tags.get(TAG_STACK)
    return f"{kind} {item_id} ({'stack ' + repr(stack) if stack else 'untagged'})"


def blockers(ctx: Context, snap: Snapshot) -> dict[str, list[str]]:
    """Our VPC, vSwitch or security group id -> the foreign resources that still need it. Four Describe
    calls per VPC of ours, filtered by VpcId: instances, security groups, vSwitches and SLBs."""
    out: dict[str, list[str]] = {}
    ours = {r.id for r in snap.vswitches} | {g.id for g in snap.security_groups}

    def block(resource_id: str, label: str) -> None:
        if label not in out.setdefault(resource_id, []):
            out[resource_id].append(label)

    for vpc in snap.vpcs:
        params = {"RegionId": ctx.region, "VpcId": vpc.id}
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="neighbours") as pool:
            f_inst = pool.submit(
                describe_pages, ctx, STEP, "ecs", "DescribeInstances", params, ("Instances", "Instance"), 100
            )
            f_sg = pool.submit(
                describe_pages,
                ctx,
                STEP,
                "ecs",
                "DescribeSecurityGroups",
                params,
                ("SecurityGroups", "SecurityGroup"),
                50,
            )
            f_vsw = pool.submit(
                describe_pages, ctx, STEP, "vpc", "DescribeVSwitches", params, ("VSwitches", "VSwitch"), 50
            )
            f_lb = pool.submit(
                describe_pages,
                ctx,
                STEP,
                "slb",
                "DescribeLoadBalancers",
                params,
                ("LoadBalancers", "LoadBalancer"),
                100,
            )
        for item in f_inst.result():
            tags = read_tags(item)
            if owned(tags, ctx.spec):
                continue
            label = _label("instance", item.get("InstanceId", ""), tags)
            block(vpc.id, label)
            vsw = dig(item, ("VpcAttributes", "VSwitchId"))
            if vsw in ours:
                block(vsw, label)
            for group in dig(item, ("SecurityGroupIds", "SecurityGroupId")) or []:
                if group in ours:
                    block(group, label)
        for kind, items, key in (
            ("security group", f_sg.result(), "SecurityGroupId"),
            ("vSwitch", f_vsw.result(), "VSwitchId"),
        ):
            for item in items:
                tags = read_tags(item)
                if not owned(tags, ctx.spec):
                    block(vpc.id, _label(kind, item.get(key, ""), tags))
        for item in f_lb.result():
            tags = read_tags(item)
            if owned(tags, ctx.spec):
                continue
            label = _label("SLB", item.get("LoadBalancerId", ""), tags)
            block(vpc.id, label)
            if item.get("VSwitchId") in ours:
                block(item["VSwitchId"], label)
    return out
