"""RunInstances and CreateInstance: the instance as stored, and its creation with its disks, addresses and tags
(the request's checks: `run_request.py`)."""

from __future__ import annotations

import sys
import uuid
from typing import TypedDict

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:  # python_requires >= 3.10
    from typing_extensions import NotRequired

from ... import catalog
from ...core import new_id
from ...errors import DryRunOperation, InvalidParameter, MissingParameter
from ..exceptions import (
    CategoryNotSupported,
    InvalidInstanceType,
    InvalidMinAmountMalformed,
    OperationDeniedNoStock,
    QuotaExceedAfterpayInstance,
)
from . import disks, events, naming, placement
from .common import check_description
from .run_request import (
    Billing,
    RunRequest,
    billing_of,
    check_password,
    check_user_data,
    check_zone_open,
    check_zone_sells,
    data_disks_of,
    host_names_of,
    resolve_image,
    security_groups_of,
    system_disk_of,
    vswitch_of,
)


class _InstanceBookkeeping(TypedDict, total=False):
    _timeline: list  # pending status steps (localcloud.core.Cloud.schedule)
    _releasing: bool  # DeleteInstance(s) accepted; released when the timeline says so


class Instance(Billing, _InstanceBookkeeping):
    """An instance as kept in the store (kind "instance"); `render_instance` turns it into the API's shape."""

    id: str
    region: str
    zone: str
    instance_type: str
    image_id: str
    vpc_id: str
    vswitch_id: str
    security_group_ids: list[str]
    private_ip: str
    public_ip: str  # "" without one
    user_data: str  # Base64, as given
    host_name: str
    instance_name: str
    name: str
    description: str
    deletion_protection: bool
    status: str  # Pending | Starting | Running | Stopping | Stopped
    created: float
    started: float
    tags: dict[str, str]
    key_pair_name: str
    resource_group_id: str
    stopped_mode: str  # KeepCharging | StopCharging while Stopped, else ""
    eni_id: str
    mac: str
    serial: str
    _order: int
    hpc_cluster_id: str
    deployment_set_id: str
    credit_specification: str
    system_disk_id: NotRequired[str]  # set once the system disk exists


# RunInstances ----------------------------------------------------------------------------------------------
def run_instances(cloud, region: str, req: RunRequest) -> list[str]:
    """Validate everything (including quota and stock), then create Amount instances with their disks."""
    amount = req.amount
    if not 1 <= amount <= 100:
        raise InvalidParameter("Amount")
    if req.min_amount is not None and not 1 <= req.min_amount <= amount:
        raise InvalidMinAmountMalformed()
    itype = req.instance_type
    if itype is None:
        raise MissingParameter(name="InstanceType")
    if catalog.INSTANCE_TYPES.get(itype) is None:
        raise InvalidInstanceType()
    image_id, image = resolve_image(cloud, req.image_id, req.image_family)
    groups = security_groups_of(cloud, region, req)
    vsw = vswitch_of(cloud, region, req, groups)
    zone = vsw["zone"]
    check_zone_open(cloud, zone)
    check_zone_sells(region, zone, itype)
    system = system_disk_of(req.system_disk, image)
    data = data_disks_of(req.data_disks, region)
    sold = catalog.zone_disks(region, zone)
    if any(category not in sold for category in [system["category"]] + [d["category"] for d in data]):
        raise CategoryNotSupported()
    user_data = check_user_data(req.user_data)
    naming.check_instance_name(req.instance_name)
    names = naming.expand(req.instance_name, amount, req.unique_suffix)
    for name in names:
        naming.check_instance_name(name)
    hosts = host_names_of(req)
    check_description(req.description)
    check_password(req.password, req.password_inherit)
    billing = billing_of(req)
    living = sum(1 for i in cloud.store.all("instance") if i["region"] == region)
    if living + amount > cloud.config.instance_quota:
        raise QuotaExceedAfterpayInstance()
    if not cloud.config.has_stock(zone, itype):
        raise OperationDeniedNoStock()
    addresses = placement.private_ips(cloud, vsw, amount, req.private_ip)
    if req.dry_run:
        raise DryRunOperation()

    now = cloud.clock.now()
    ids: list[str] = []
    publics: set[str] = set()
    for index in range(amount):
        iid = new_id("i", region)
        public_ip = ""
        if billing["internet_max_bandwidth_out"] > 0:
            public_ip = placement.public_ip(cloud, publics)
            publics.add(public_ip)
        host_name = hosts[index]
        host = host_name.replace(naming.PLACEHOLDER, iid) if host_name else naming.default_host_name(iid)
        instance: Instance = {
            "id": iid,
            "region": region,
            "zone": zone,
            "instance_type": itype,
            "image_id": image_id,
            "vpc_id": vsw["vpc_id"],
            "vswitch_id": vsw["id"],
            "security_group_ids": [g["id"] for g in groups],
            "private_ip": addresses[index],
            "public_ip": public_ip,
            "user_data": user_data,
            "host_name": host,
            "instance_name": names[index] or iid,
            "name": names[index] or iid,
            "description": req.description or "",
            "deletion_protection": req.deletion_protection,
            "status": "Pending",
            "created": now,
            "started": now,
            "tags": dict(req.tags),
            "key_pair_name": req.key_pair_name,
            "resource_group_id": req.resource_group_id,
            "stopped_mode": "",
            "eni_id": new_id("eni", region),
            "mac": placement.mac(),
            "serial": str(uuid.uuid4()),
            "_order": index,
            "hpc_cluster_id": req.hpc_cluster_id,
            "deployment_set_id": req.deployment_set_id,
            "credit_specification": req.credit_specification,
            **billing,
        }
        system_disk = disks.new_disk(
            cloud,
            region,
            zone,
            category=system["category"],
            size=system["size"],
            disk_type="system",
            status="In_use",
            instance_id=iid,
            device="/dev/xvda",
            delete_with_instance=True,
            portable=False,
            level=system["level"],
            name=system["name"],
            description=system["description"],
            image_id=image_id,
            disk_tags=req.tags,
            order=index * 20,
        )
        instance["system_disk_id"] = system_disk["id"]
        taken: set[str] = {"/dev/xvda"}
        for n, spec_disk in enumerate(data, 1):
            device = spec_disk["device"] if spec_disk["device"] not in ("", *taken) else ""
            device = device or disks.next_device(cloud, iid, taken)
            taken.add(device)
            disks.new_disk(
                cloud,
                region,
                zone,
                category=spec_disk["category"],
                size=spec_disk["size"],
                disk_type="data",
                status="In_use",
                instance_id=iid,
                device=device,
                delete_with_instance=spec_disk["delete_with_instance"],
                level=spec_disk["level"],
                name=spec_disk["name"],
                description=spec_disk["description"],
                disk_tags=req.tags,
                order=index * 20 + n,
                encryption=spec_disk["encryption"],
            )
        cloud.store.put("instance", instance)
        ids.append(iid)
        if _lost(cloud):
            # The system could not create it and released it at once (SystemFailure.Delete): the id is in
            # the answer but never in DescribeInstances (Terraform's ecs_instance_set checks for this event).
            events.system_failure_delete(cloud, instance)
            for disk in disks.attached_disks(cloud, iid):
                cloud.release("disk", disk)  # made for a creation that failed: none is kept (CHOICES.md)
            cloud.release("instance", instance)
            continue
        # Instances start on their own: Pending -> Starting -> Running (RunInstances docs).
        cloud.schedule(
            "instance",
            instance,
            [("instance.pending", "status", "Starting"), ("instance.starting", "status", "Running")],
        )
    return ids


def create_instance(cloud, region: str, req: RunRequest) -> str:
    """CreateInstance: one instance as RunInstances makes it, but Stopped once created (StartInstance starts it)
    and without a public IP even with InternetMaxBandwidthOut > 0 (CreateInstance docs)."""
    instance_id = run_instances(cloud, region, req)[0]
    instance = cloud.store.get("instance", instance_id)
    instance["public_ip"] = ""
    instance["stopped_mode"] = "KeepCharging"
    cloud.schedule("instance", instance, [("instance.pending", "status", "Stopped")])
    return instance_id


def _lost(cloud) -> bool:
    faults = getattr(cloud, "faults", None)
    if faults is None:
        return False
    rate = faults.rate("ecs", "RunInstances", "lose")
    if rate > 0 and faults.coin() < rate:
        faults.count("lose")
        return True
    return False
