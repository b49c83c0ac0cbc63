"""Instance system events: the history kept for DescribeInstanceHistoryEvents (today only SystemFailure.Delete,
recorded when the system fails to create an instance of a RunInstances call and releases it at once)."""
from __future__ import annotations

from ...core import new_id

EVENT_TYPES = ("SystemMaintenance.Reboot", "SystemMaintenance.Redeploy", "SystemFailure.Reboot",
               "SystemFailure.Redeploy", "SystemFailure.Delete", "InstanceFailure.Reboot", "InstanceExpiration.Stop",
               "InstanceExpiration.Delete", "AccountUnbalanced.Stop", "AccountUnbalanced.Delete")
CYCLE_STATUSES = ("Scheduled", "Avoided", "Executing", "Executed", "Canceled", "Failed", "Inquiring")
# Without EventCycleStatus/InstanceEventCycleStatus only finished events are listed (API docs).
DEFAULT_CYCLE = ("Avoided", "Executed", "Canceled", "Failed")
EVENTS_KEY = "ecs:instance_events"


def system_failure_delete(cloud, instance: dict) -> dict:
    """Record that the system released `instance` because its creation failed (an Executed event)."""
    now = cloud.clock.now()
    event = {"id": new_id("e", instance["region"]), "region": instance["region"], "instance_id": instance["id"],
             "event_type": "SystemFailure.Delete", "cycle": "Executed", "published": now, "not_before": now,
             "finished": now, "reason": "The instance failed to be created and was released by the system.",
             "created": now}
    # Kept in the store's metadata, not as a resource: events are history, not something to delete.
    cloud.store.set_meta(EVENTS_KEY, list(cloud.store.meta(EVENTS_KEY, [])) + [event])
    return event
