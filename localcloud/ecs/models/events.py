"""Instance system events: the history kept for DescribeInstanceHistoryEvents (today only SystemFailure.Delete,
recorded when the system fails to create an instance of a RunInstances call and releases it at once)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from ...core import new_id

if TYPE_CHECKING:
    from .instances import Instance

EVENT_TYPES = (
    "SystemMaintenance.Reboot",
    "SystemMaintenance.Redeploy",
    "SystemFailure.Reboot",
    "SystemFailure.Redeploy",
    "SystemFailure.Delete",
    "InstanceFailure.Reboot",
    "InstanceExpiration.Stop",
    "InstanceExpiration.Delete",
    "AccountUnbalanced.Stop",
    "AccountUnbalanced.Delete",
)
CYCLE_STATUSES = ("Scheduled", "Avoided", "Executing", "Executed", "Canceled", "Failed", "Inquiring")
# Without EventCycleStatus/InstanceEventCycleStatus only finished events are listed (API docs).
DEFAULT_CYCLE = ("Avoided", "Executed", "Canceled", "Failed")
EVENTS_KEY = "ecs:instance_events"


class InstanceEvent(TypedDict):
    """A system event, kept in the store's metadata under EVENTS_KEY (history, not a resource)."""

    id: str
    region: str
    instance_id: str
    event_type: str  # one of EVENT_TYPES
    cycle: str  # one of CYCLE_STATUSES
    published: float
    not_before: float
    finished: float
    reason: str
    created: float


def system_failure_delete(cloud, instance: Instance) -> InstanceEvent:
    """Record that the system released `instance` because its creation failed (an Executed event)."""
    now = cloud.clock.now()
    event: InstanceEvent = {
        "id": new_id("e", instance["region"]),
        "region": instance["region"],
        "instance_id": instance["id"],
        "event_type": "SystemFailure.Delete",
        "cycle": "Executed",
        "published": now,
        "not_before": now,
        "finished": now,
        "reason": "The instance failed to be created and was released by the system.",
        "created": now,
    }
    # Kept in the store's metadata, not as a resource: events are history, not something to delete.
    cloud.store.set_meta(EVENTS_KEY, [*list(cloud.store.meta(EVENTS_KEY, [])), event])
    return event
