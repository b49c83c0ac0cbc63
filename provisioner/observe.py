"""The observe phase: the stack's whole footprint in one batched snapshot (a handful of Describe calls
by tag, then the group's rules and the SLB's backends and listeners, and, only when the state file lists
ids the tag search missed, one Describe by id per kind), shared by provision, plan, status, teardown and
reconcile."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .resources import Disk, Instance, LoadBalancer, SecurityGroup, Tagged, Vpc, VSwitch
from .steps import disks, identity, instances, load_balancer, security_group, vpc, vswitch
from .steps.common import Context


@dataclass
class Snapshot:
    """Everything tagged for the stack, as the cloud reports it now."""

    vpcs: list[Vpc] = field(default_factory=list)
    vswitches: list[VSwitch] = field(default_factory=list)
    security_groups: list[SecurityGroup] = field(default_factory=list)
    instances: list[Instance] = field(default_factory=list)
    disks: list[Disk] = field(default_factory=list)
    load_balancers: list[LoadBalancer] = field(default_factory=list)
    calls: int = 0
    # Found by the state's ids, not by tag (identity.known_by_id): ours without our tags (listed above too),
    # tagged for another stack (role, id, stack; not listed above), and ids the cloud no longer has.
    untagged: list[tuple[str, Tagged]] = field(default_factory=list)
    foreign: list[tuple[str, str, str]] = field(default_factory=list)
    gone: dict[str, list[str]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(
            (self.vpcs, self.vswitches, self.security_groups, self.instances, self.disks, self.load_balancers)
        )

    def counts(self) -> dict[str, int]:
        return {
            "vpc": len(self.vpcs),
            "vswitch": len(self.vswitches),
            "security-group": len(self.security_groups),
            "instance": len(self.instances),
            "data-disk": len(self.disks),
            "load-balancer": len(self.load_balancers),
        }

    def ids(self) -> list[str]:
        out: list[str] = []
        for group in (self.vpcs, self.vswitches, self.security_groups, self.instances, self.disks, self.load_balancers):
            out += [r.id for r in group]
        return out


def snapshot(ctx: Context, details: bool = True) -> Snapshot:
    """Find every resource of the stack by tag (six Describe calls, run concurrently); with `details`,
    also read the security groups' rules and the SLBs' backends and listeners (three more); then look up
    by id what the state lists and the tags did not show (identity first: tags can be edited)."""
    before = ctx.cloud.stats.total
    with ThreadPoolExecutor(max_workers=6, thread_name_prefix="observe") as pool:
        # One list type per kind: the dict's values differ, Snapshot's fields check them.
        futures: dict[str, Future[Any]] = {
            "vpcs": pool.submit(vpc.find_vpcs, ctx),
            "vswitches": pool.submit(vswitch.find_vswitches, ctx),
            "security_groups": pool.submit(security_group.find_security_groups, ctx),
            "instances": pool.submit(instances.find_instances, ctx),
            "disks": pool.submit(disks.find_disks, ctx),
            "load_balancers": pool.submit(load_balancer.find_load_balancers, ctx),
        }
        snap = Snapshot(**{name: f.result() for name, f in futures.items()})
        if details:
            # Results unused (each read fills its resource in place); only completion (and errors) matter.
            reads: list[Future[Any]] = [pool.submit(security_group.read_rules, ctx, g) for g in snap.security_groups]
            reads += [pool.submit(load_balancer.read_backends, ctx, lb) for lb in snap.load_balancers]
            if snap.load_balancers:
                reads.append(pool.submit(load_balancer.read_listeners, ctx, snap.load_balancers))
            for f in reads:
                f.result()
    identity.known_by_id(ctx, snap, details)
    snap.calls = ctx.cloud.stats.total - before
    return snap
