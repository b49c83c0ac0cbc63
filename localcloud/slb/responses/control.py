"""SLB routes of the control API: test set-ups the public API can no longer make (a legacy CLB)."""

from __future__ import annotations

from ...control import route
from ..models import billing
from ..models.base import LB_KIND


@route("POST", "/_localcloud/slb/pay_by_spec")
def pay_by_spec(emu, data):
    """`{"load_balancer_id": ID, "spec": "slb.s1.small"}`: the CLB becomes a pay-by-specification instance,
    as one bought before that metering method left sale (2025-06-01); CreateLoadBalancer refuses new ones."""
    lb_id = str(data.get("load_balancer_id") or "")
    with emu.cloud.lock:
        lb = emu.store.get(LB_KIND, lb_id)
        if lb is None:
            return 404, {"error": f"no load balancer {lb_id!r}"}
        billing.make_pay_by_spec(emu.cloud, lb, str(data.get("spec") or "slb.s1.small"))
        emu.store.commit()
    return 200, {"ok": True, "load_balancer_id": lb_id, "instance_charge_type": "PayBySpec"}
