"""The state's resource ids by role, typed: what the steps record and forget, and the two marks of a change under
way (the health wait, the vServer group move). Mixed into state.State, which owns the document, its lock and
its writes; the JSON shape is the state file's (one key per role under `resources`):

    vpc, security-group, load-balancer   an id
    vswitch                              {zone: vSwitch id}
    instance                             [instance id, ...], sorted
    data-disk                            {disk id: id of the instance it is attached to, or ""}
    listener                             {"load_balancer": id, "port": n, ...} (steps/load_balancer.py)

An empty role is absent (never `{}` or `[]`). Every change is one locked write of the whole document."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any

from .tags import DATA_DISK, INSTANCE, LISTENER, LOAD_BALANCER, SECURITY_GROUP, VPC, VSWITCH

# Top-level keys beside `resources`: "pending" while a change awaits its health checks (rollout.py), and the
# stack's vServer group with the stage of its move (steps/server_group.py).
HEALTH_KEY = "rollout"
VSERVER_GROUP_KEY = "vserver_group"


class ResourceIds:
    """Typed access to the ids the state holds per role (see the module docstring for the JSON)."""

    data: dict[str, Any]
    _lock: threading.RLock

    def save(self) -> None:  # State's: the atomic write
        raise NotImplementedError

    # any role, as plain JSON (the readers that take a role as a value) ---------------------------------
    def get(self, role: str, default: Any = None) -> Any:
        with self._lock:
            return json.loads(json.dumps(self.data["resources"].get(role, default)))

    def set(self, role: str, value: Any) -> None:
        """Record a role's value, or drop the role when the value is empty."""
        with self._lock:
            if value in (None, [], {}):
                self.data["resources"].pop(role, None)
            else:
                self.data["resources"][role] = value
            self.save()

    def _id(self, role: str) -> str | None:
        with self._lock:
            value = self.data["resources"].get(role)
            return value if isinstance(value, str) and value else None

    def _map(self, role: str) -> dict[str, str]:
        with self._lock:
            value = self.data["resources"].get(role)
            return dict(value) if isinstance(value, dict) else {}

    # one id per stack --------------------------------------------------------------------------------
    def vpc_id(self) -> str | None:
        return self._id(VPC)

    def set_vpc_id(self, vpc_id: str) -> None:
        self.set(VPC, vpc_id)

    def security_group_id(self) -> str | None:
        return self._id(SECURITY_GROUP)

    def set_security_group_id(self, group_id: str) -> None:
        self.set(SECURITY_GROUP, group_id)

    def load_balancer_id(self) -> str | None:
        return self._id(LOAD_BALANCER)

    def set_load_balancer_id(self, lb_id: str) -> None:
        self.set(LOAD_BALANCER, lb_id)

    def forget_load_balancer(self) -> None:
        """The SLB is gone: its id and its listener's entry go, in one write."""
        with self._lock:
            for role in (LOAD_BALANCER, LISTENER):
                self.data["resources"].pop(role, None)
            self.save()

    def listener(self) -> dict[str, Any]:
        """The listener's entry ({} when none is recorded)."""
        with self._lock:
            value = self.data["resources"].get(LISTENER)
            copy: dict[str, Any] = json.loads(json.dumps(value)) if isinstance(value, dict) else {}
            return copy

    def set_listener(self, entry: dict[str, Any]) -> None:
        self.set(LISTENER, entry)

    # what the cloud showed, merged in (reconcile rebuilds a lost state file this way) ---------------------
    def merge_found(
        self,
        singles: dict[str, str],
        listener: dict[str, Any] | None,
        vswitches: dict[str, str],
        instances: Iterable[str],
        disks: dict[str, str],
        spec_hash: str | None = None,
    ) -> bool:
        """Fill in what the state lacks: an id per single role (vpc, security group, load balancer) and the
        listener only where none is recorded; vSwitches and disks merged (the state's entries win); instances
        added. `spec_hash`: also record it (a rebuilt file). One write, only when something is new; True then."""
        with self._lock:
            res = json.loads(json.dumps(self.data["resources"]))
            for role, ident in singles.items():
                if ident and not res.get(role):
                    res[role] = ident
            if listener and not res.get(LISTENER):
                res[LISTENER] = dict(listener)
            if vswitches:
                res[VSWITCH] = {**vswitches, **(res.get(VSWITCH) or {})}
            found = set(instances)
            if found:
                res[INSTANCE] = sorted(set(res.get(INSTANCE) or []) | found)
            if disks:
                res[DATA_DISK] = {**disks, **(res.get(DATA_DISK) or {})}
            if res == self.data["resources"] and spec_hash is None:
                return False
            self.data["resources"] = res
            if spec_hash is not None:
                self.data["spec_hash"] = spec_hash
            self.save()
            return True

    # vSwitches by zone -------------------------------------------------------------------------------
    def vswitch_ids(self) -> dict[str, str]:
        """{zone: vSwitch id}."""
        return self._map(VSWITCH)

    def set_vswitch(self, zone: str, vswitch_id: str) -> None:
        with self._lock:
            ids = self.vswitch_ids()
            ids[zone] = vswitch_id
            self.set(VSWITCH, ids)

    def remove_vswitch(self, zone: str) -> None:
        with self._lock:
            ids = self.vswitch_ids()
            ids.pop(zone, None)
            self.set(VSWITCH, ids)

    # instances ---------------------------------------------------------------------------------------
    def instance_ids(self) -> list[str]:
        with self._lock:
            value = self.data["resources"].get(INSTANCE)
            return [str(i) for i in value] if isinstance(value, list) else []

    def add_instances(self, ids: Iterable[str]) -> None:
        with self._lock:
            self.set(INSTANCE, sorted(set(self.instance_ids()) | set(ids)))

    def remove_instances(self, ids: Iterable[str]) -> None:
        gone = set(ids)
        with self._lock:
            self.set(INSTANCE, [i for i in self.instance_ids() if i not in gone])

    # data disks --------------------------------------------------------------------------------------
    def data_disks(self) -> dict[str, str]:
        """{disk id: id of the instance it is attached to ("" when none)}."""
        return self._map(DATA_DISK)

    def set_data_disks(self, disks: dict[str, str]) -> None:
        """Record these disks (and the instance each is on), keeping the others."""
        with self._lock:
            self.set(DATA_DISK, {**self.data_disks(), **disks})

    def remove_data_disks(self, ids: Iterable[str]) -> None:
        gone = set(ids)
        with self._lock:
            self.set(DATA_DISK, {k: v for k, v in self.data_disks().items() if k not in gone})

    # what the cloud no longer has (steps/identity.py) --------------------------------------------------
    def forget_ids(self, ids: Iterable[str]) -> None:
        """Drop these ids from every role (an SLB takes its listener with it; a disk whose instance is
        dropped goes too), in one write."""
        drop = set(ids)
        with self._lock:
            res = self.data["resources"]
            for role in (VPC, SECURITY_GROUP, LOAD_BALANCER):
                if res.get(role) in drop:
                    res.pop(role)
                    if role == LOAD_BALANCER:
                        res.pop(LISTENER, None)
            if INSTANCE in res:
                res[INSTANCE] = [i for i in res[INSTANCE] if i not in drop]
            for role in (DATA_DISK, VSWITCH):
                if isinstance(res.get(role), dict):
                    res[role] = {k: v for k, v in res[role].items() if k not in drop and v not in drop}
            for role in (INSTANCE, DATA_DISK, VSWITCH):
                if role in res and not res[role]:
                    res.pop(role)
            self.save()

    # marks of a change under way -----------------------------------------------------------------------
    def awaiting_health(self) -> bool:
        """Whether a change awaits its health checks (set before the backends change: rollout.py)."""
        with self._lock:
            return self.data.get(HEALTH_KEY) == "pending"

    def set_awaiting_health(self, pending: bool) -> None:
        with self._lock:
            if pending:
                self.data[HEALTH_KEY] = "pending"
            else:
                self.data.pop(HEALTH_KEY, None)
            self.save()

    def vserver_group(self) -> dict[str, Any] | None:
        """The stack's vServer group entry (id, load balancer, stage), or None."""
        with self._lock:
            entry = self.data.get(VSERVER_GROUP_KEY)
            copy: dict[str, Any] | None = json.loads(json.dumps(entry)) if isinstance(entry, dict) else None
            return copy

    def set_vserver_group(self, entry: dict[str, Any] | None) -> None:
        with self._lock:
            if entry is None:
                self.data.pop(VSERVER_GROUP_KEY, None)
            else:
                self.data[VSERVER_GROUP_KEY] = json.loads(json.dumps(entry))  # what was saved, not the caller's dict
            self.save()
