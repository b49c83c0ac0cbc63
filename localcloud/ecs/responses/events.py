"""DescribeInstanceHistoryEvents: the filters in, the system events out."""

from __future__ import annotations

from ...core import action, iso_seconds
from ...errors import InvalidParameter
from ...params import Params
from ..models.events import CYCLE_STATUSES, DEFAULT_CYCLE, EVENT_TYPES, EVENTS_KEY, InstanceEvent
from .common import page

# Numeric codes of the real answers (EventType.Code, EventCycleStatus.Code).
_TYPE_CODES = {"SystemFailure.Delete": 36}
_CYCLE_CODES = {"Scheduled": 1, "Avoided": 2, "Executing": 3, "Executed": 4, "Canceled": 5, "Failed": 6, "Inquiring": 7}


def render_event(event: InstanceEvent) -> dict:
    return {
        "EventId": event["id"],
        "EventPublishTime": iso_seconds(event["published"]),
        "NotBefore": iso_seconds(event["not_before"]),
        "EventFinishTime": iso_seconds(event["finished"]),
        "ResourceType": "instance",
        "ImpactLevel": "",
        "Reason": event["reason"],
        "ReasonCode": "",
        "InstanceId": event["instance_id"],
        "EventType": {"Code": _TYPE_CODES.get(event["event_type"], 0), "Name": event["event_type"]},
        "EventCycleStatus": {"Code": _CYCLE_CODES[event["cycle"]], "Name": event["cycle"]},
        "ExtendedAttribute": {
            "Device": "",
            "DiskId": "",
            "HostId": "",
            "HostType": "",
            "OnlineRepairPolicy": "",
            "Rack": "",
            "PunishType": "",
            "PunishDomain": "",
            "PunishUrl": "",
            "Code": "",
            "CanAccept": "",
            "ResponseResult": "",
            "MetricName": "",
            "MetricValue": "",
            "InactiveDisks": {"InactiveDisk": []},
            "MigrationOptions": {"MigrationOption": []},
        },
    }


def _choices(values: list[str], allowed: tuple[str, ...], param: str) -> list[str]:
    for value in values:
        if value not in allowed:
            raise InvalidParameter(param)
    return values


@action("ecs", "DescribeInstanceHistoryEvents")
def describe_instance_history_events(cloud, p: Params) -> dict:
    region = cloud.region(p)
    events = [e for e in cloud.store.meta(EVENTS_KEY, []) if e["region"] == region]
    # InstanceEventType.N wins over EventType; InstanceEventCycleStatus.N over EventCycleStatus (API docs).
    types = _choices(p.items("InstanceEventType"), EVENT_TYPES, "InstanceEventType.N")
    event_type = p.text("EventType")
    if not types and event_type is not None:
        types = _choices([event_type], EVENT_TYPES, "EventType")
    cycles = _choices(p.items("InstanceEventCycleStatus"), CYCLE_STATUSES, "InstanceEventCycleStatus.N")
    cycle = p.text("EventCycleStatus")
    if not cycles and cycle is not None:
        cycles = _choices([cycle], CYCLE_STATUSES, "EventCycleStatus")
    resource_type = p.text("ResourceType", default="instance")
    if resource_type not in ("instance", "ddh", "managedhost"):
        raise InvalidParameter("ResourceType")
    if resource_type != "instance":
        events = []
    # ResourceId.N takes precedence over InstanceId (API docs).
    instance_id = p.text("InstanceId")
    ids = p.items("ResourceId") or ([instance_id] if instance_id else [])
    if len(ids) > 100:
        raise InvalidParameter("ResourceId.N")
    event_ids = p.items("EventId")
    events = [
        e
        for e in events
        if (not types or e["event_type"] in types)
        and e["cycle"] in (cycles or DEFAULT_CYCLE)
        and (not ids or e["instance_id"] in ids)
        and (not event_ids or e["id"] in event_ids)
    ]
    events.sort(key=lambda e: (-e["published"], e["id"]))  # newest first
    chunk, meta = page(events, p, page_max=100, token_min=10, token_max=100)
    return {**meta, "InstanceSystemEventSet": {"InstanceSystemEventType": [render_event(e) for e in chunk]}}
