"""SLB 2014-05-15 ModifyLoadBalancerInternetSpec: the metering method and peak bandwidth of an internet CLB."""
from __future__ import annotations

from ..core import action
from ..errors import CloudError
from ..params import Params
from . import common
from .common import LB_KIND

MAX_BANDWIDTH = 5000        # Mbit/s (ModifyLoadBalancerInternetSpec Bandwidth: 1-5000)


def _denied(why: str) -> CloudError:
    # The page's documented refusal (400 Operation.NotAllowed "Operation Denied"), with the reason added.
    return CloudError("Operation.NotAllowed", f"Operation Denied: {why}", 400)


@action("slb", "ModifyLoadBalancerInternetSpec")
def modify_load_balancer_internet_spec(cloud, p: Params) -> dict:
    """Change InternetChargeType and/or Bandwidth in place.

    Real cloud: a new peak bandwidth of a pay-by-bandwidth instance applies at once; a change of metering
    method applies at 00:00 the next day. localcloud applies both at once (CHOICES.md).
    """
    lb = common.lb_from_params(cloud, p)
    charge = p.text("InternetChargeType", choices=("paybybandwidth", "paybytraffic"))
    bandwidth = p.raw.get("Bandwidth")
    if bandwidth not in (None, ""):
        try:
            bandwidth = int(bandwidth)
        except ValueError:
            bandwidth = 0
        if not 1 <= bandwidth <= MAX_BANDWIDTH:
            raise CloudError("InvalidParameter", "The specified bandwidth is not valid.", 400)
    else:
        bandwidth = None
    p.flag("AutoPay")
    if lb.get("instance_charge_type") == "PayByCLCU":
        # "Only pay-by-specification instances support this operation" (API page).
        raise _denied("only pay-by-specification instances can change their internet specification.")
    if lb["address_type"] != "internet":
        # Internal-facing instances are metered by traffic and cannot change it (API page).
        raise _denied("the load balancer is not internet-facing.")
    target = charge or lb["internet_charge_type"]
    if target == "paybybandwidth" and bandwidth is None and lb["internet_charge_type"] != "paybybandwidth":
        raise CloudError("MissingParameter", 'The input parameter "Bandwidth" that is mandatory for processing '
                                             "this request is not supplied.", 400)
    if charge is not None:
        lb["internet_charge_type"] = charge
    if bandwidth is not None:
        lb["bandwidth"] = bandwidth
    cloud.store.put(LB_KIND, lb)
    return {}
