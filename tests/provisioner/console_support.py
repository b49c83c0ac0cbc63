"""A person at the console, for the drift and neighbour tests: any ECS, VPC or SLB action through the
official SDK clients (request models built with from_map, wire-named parameters)."""
from __future__ import annotations

import importlib

from provisioner_support import tagged

REGION = "cn-hangzhou"
PACKAGES = {"ecs": "alibabacloud_ecs20140526", "vpc": "alibabacloud_vpc20160428", "slb": "alibabacloud_slb20140515"}


class Console:
    def __init__(self, ecs, vpc, slb, control, stack: str = "fleet-default"):
        self.clients = {"ecs": ecs, "vpc": vpc, "slb": slb}
        self.control = control
        self.stack = stack

    def __call__(self, product: str, action: str, **params) -> dict:
        client = self.clients[product]
        models = importlib.import_module(PACKAGES[product] + ".models")
        methods = {name.replace("_", "").lower(): name for name in dir(client)
                   if not name.startswith("_") and not name.endswith(("_async", "_with_options"))}
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
        return [i for i in self.mine("instance") if i["tags"].get("fleet:data-disk") != "yes"][0]

    def data_disk(self) -> dict:
        [disk] = [d for d in self.mine("disk") if d["type"] == "data"]
        return disk

    def delete_instances(self, ids: list[str]) -> None:
        self("ecs", "DeleteInstances", RegionId=REGION, InstanceId=ids, Force=True)
        self("ecs", "DescribeInstances", RegionId=REGION)       # instant mode: released at the next request
