"""The check before any create: the image exists (or the family has one), and which of the stack's zones sell
the instance type, the system disk category and the data disk category with stock (DescribeAvailableResource).

Zones that cannot serve the stack are skipped, with the reason, so that nothing is bought in them; when none
can, the run stops before anything is created (exit 1, naming what is missing where). It runs only when the
run may buy instances or disks, so a steady stack costs no extra call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import PrecheckError
from .common import Context, describe_pages, dig

if TYPE_CHECKING:
    from ..observe import Snapshot
    from ..resources import VSwitch

log = logging.getLogger(__name__)
STEP = "precheck"
IN_STOCK = ("WithStock", "ClosedWithStock")  # ClosedWithStock: still sold, stock running low


@dataclass
class Precheck:
    """What the check found: the image to use, the usable zones (stack order) and why others were skipped."""

    image_id: str
    image_family: str | None
    zones: list[str]
    skipped: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "image_id": self.image_id,
            "image_family": self.image_family,
            "zones": list(self.zones),
            "skipped": dict(self.skipped),
        }

    def notes(self) -> list[str]:
        image = f"{self.image_family} -> {self.image_id}" if self.image_family else self.image_id
        out = [f"image: {image}", f"zones that can serve the stack: {', '.join(self.zones)}"]
        out += [f"zone {zone} skipped: {why}" for zone, why in self.skipped.items()]
        return out


def zones_for(ctx: Context) -> list[str]:
    """The zones to create in, in order: those the pre-check kept, else the stack's."""
    pre = getattr(ctx, "precheck", None)
    return list(pre.zones) if pre is not None else list(ctx.spec.zones)


def first_zone(ctx: Context, vswitches: list[VSwitch]) -> str:
    """The zone whose vSwitch a run makes first: the pre-check's first usable zone; when it did not run,
    the first of the stack's zones that has a vSwitch already (an earlier run may have skipped some)."""
    pre: Precheck | None = getattr(ctx, "precheck", None)
    if pre is not None:
        return pre.zones[0]
    have = {s.zone for s in vswitches}
    return next((z for z in ctx.spec.zones if z in have), ctx.spec.zones[0])


def image_of(ctx: Context) -> str:
    """The image id instances get (the family's newest when the stack names a family and it was resolved)."""
    pre = getattr(ctx, "precheck", None)
    return pre.image_id if pre is not None else (ctx.spec.instances.image or ctx.spec.instances.image_family or "")


def needed(ctx: Context, snap: Snapshot) -> bool:
    """Whether this run may buy instances or data disks (only then is the check worth its calls)."""
    from . import disks as disk_step  # disks imports instances, which imports this module

    if ctx.spec.instances.count > len(snap.instances):
        return True
    return ctx.spec.data_disk is not None and bool(disk_step.plan_disks(ctx.spec, snap.instances, snap.disks).create)


def run_if_needed(ctx: Context, snap: Snapshot) -> Precheck | None:
    pre = run(ctx) if needed(ctx, snap) else None
    ctx.precheck = pre
    return pre


def run(ctx: Context) -> Precheck:
    """Resolve the image, then keep the zones that sell everything the stack needs; raise when none does."""
    image_id = resolve_image(ctx)
    zones, skipped = usable_zones(ctx)
    for zone, why in skipped.items():
        log.warning("precheck: skipping zone %s: %s", zone, why)
    if not zones:
        raise PrecheckError(
            "zones",
            "no zone of the stack can serve it (DescribeAvailableResource): "
            + "; ".join(f"{zone}: {why}" for zone, why in skipped.items()),
        )
    return Precheck(image_id, ctx.spec.instances.image_family, zones, skipped)


def resolve_image(ctx: Context) -> str:
    """The exact image id (checked to exist) or the newest Available image of the family (DescribeImages)."""
    spec = ctx.spec.instances
    if spec.image_family:
        items = describe_pages(
            ctx,
            STEP,
            "ecs",
            "DescribeImages",
            {"RegionId": ctx.region, "ImageFamily": spec.image_family, "Status": "Available"},
            ("Images", "Image"),
            100,
        )
        if not items:
            raise PrecheckError(
                "instances.image_family", f"the family {spec.image_family} has no available image in {ctx.region}"
            )
        newest = max(items, key=lambda i: (i.get("CreationTime", ""), i.get("ImageId", "")))
        image_id: str = newest["ImageId"]
        return image_id
    image = spec.image
    if image is None:  # spec.py requires exactly one of the two; this names the field should it not
        raise PrecheckError("instances.image", "give instances.image or instances.image_family")
    items = describe_pages(
        ctx,
        STEP,
        "ecs",
        "DescribeImages",
        {"RegionId": ctx.region, "ImageId": image, "Status": "Available"},
        ("Images", "Image"),
        100,
    )
    if not any(i.get("ImageId") == image for i in items):
        # Public image versions (*_alibase_<date>.vhd) are retired within months; RunInstances would answer
        # InvalidImageId.NotFound after the network, the group and the SLB exist.
        raise PrecheckError(
            "instances.image",
            f"the image {image} does not exist in {ctx.region} (public "
            "image versions are retired; name a family instead, e.g. instances.image_family: "
            "acs:ubuntu_22_04_x64)",
        )
    return image


def usable_zones(ctx: Context) -> tuple[list[str], dict[str, str]]:
    """Zones (stack order) selling the instance type, the system disk and the data disk category, with stock."""
    spec = ctx.spec
    itype = spec.instances.type
    wants = [("InstanceType", itype, {"InstanceType": itype}, f"instance type {itype}")]
    system = spec.instances.system_disk.category
    wants.append(
        ("SystemDisk", system, {"InstanceType": itype, "ResourceType": "instance"}, f"system disk category {system}")
    )
    if spec.data_disk is not None:
        data = spec.data_disk.category
        wants.append(("DataDisk", data, {"ResourceType": "disk"}, f"data disk category {data}"))
    missing: dict[str, list[str]] = {zone: [] for zone in spec.zones}
    for destination, value, extra, what in wants:
        offered = _offered(ctx, destination, extra)
        for zone in spec.zones:
            if destination == "SystemDisk" and missing[zone]:
                continue  # the type is not there: its system disks are not listed either
            status = offered.get(zone, {}).get(value)
            if status is None:
                missing[zone].append(f"{what} is not sold there")
            elif status not in IN_STOCK:
                missing[zone].append(f"{what} has no stock ({status})")
    zones = [z for z in spec.zones if not missing[z]]
    return zones, {z: "; ".join(why) for z, why in missing.items() if why}


def _offered(ctx: Context, destination: str, extra: dict[str, Any]) -> dict[str, dict[str, str]]:
    """zone -> {resource value: StatusCategory} from one DescribeAvailableResource call for the region."""
    body = ctx.call(
        STEP,
        destination,
        "ecs",
        "DescribeAvailableResource",
        {
            "RegionId": ctx.region,
            "DestinationResource": destination,
            "IoOptimized": "optimized",
            "InstanceChargeType": "PostPaid",
            **extra,
        },
    )
    out: dict[str, dict[str, str]] = {}
    for zone in dig(body, ("AvailableZones", "AvailableZone")) or []:
        values = out.setdefault(zone.get("ZoneId", ""), {})
        zone_ok = zone.get("StatusCategory", "WithStock")
        for group in dig(zone, ("AvailableResources", "AvailableResource")) or []:
            for leaf in dig(group, ("SupportedResources", "SupportedResource")) or []:
                status = leaf.get("StatusCategory") or leaf.get("Status") or ""
                # A zone without stock reports its leaves' own status; the worse of the two counts.
                values[leaf.get("Value", "")] = status if zone_ok in IN_STOCK else zone_ok
    return out
