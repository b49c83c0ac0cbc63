"""CLB billing: the metering method (pay-by-LCU, legacy pay-by-specification) and the internet specification."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import InvalidParameter, MissingParameter
from ..exceptions import InternetSpecDenied, InvalidParameterDetail, OperationNotAllowed
from .base import LB_KIND

if TYPE_CHECKING:
    from ...core import Cloud
    from .load_balancers import LoadBalancer

SPECS = ("slb.s1.small", "slb.s2.small", "slb.s2.medium", "slb.s3.small", "slb.s3.medium", "slb.s3.large")
MAX_BANDWIDTH = 5000  # Mbit/s (ModifyLoadBalancerInternetSpec Bandwidth: 1-5000)


def check_pay_as_you_go(charge: str | None, spec: str | None, internet_charge: str) -> str:
    """The metering method of a new pay-as-you-go instance: pay-by-LCU only. Pay-by-specification
    instances are no longer sold (CreateLoadBalancer page: since 2025-06-01 00:00 UTC+8), and the SDK
    docstring still says an omitted InstanceChargeType means PayBySpec, so that too is refused."""
    if charge in (None, "PayBySpec"):
        given = "InstanceChargeType PayBySpec" if charge else "no InstanceChargeType (the default is PayBySpec)"
        raise OperationNotAllowed(
            reason=f"The request asks for a pay-by-specification instance ({given}"
            + (f", LoadBalancerSpec {spec}" if spec else "")
            + "): pay-by-specification CLB "
            "instances are no longer available for purchase since 2025-06-01; set "
            "InstanceChargeType to PayByCLCU and omit LoadBalancerSpec."
        )
    if spec:
        raise OperationNotAllowed(
            reason=f"LoadBalancerSpec {spec} applies only to pay-by-specification instances, "
            "which are no longer available for purchase; a PayByCLCU instance takes no "
            "LoadBalancerSpec."
        )
    if internet_charge != "paybytraffic":
        # "If PayType is PayOnDemand and InstanceChargeType is PayByCLCU, the only valid value is paybytraffic."
        raise OperationNotAllowed(reason="The InternetChargeType of a pay-by-LCU instance can only be paybytraffic.")
    return "PayByCLCU"


def change_to_pay_by_lcu(cloud: Cloud, lb: LoadBalancer, charge: str, internet_charge: str | None) -> None:
    """ModifyLoadBalancerInstanceChargeType: pay-by-specification -> pay-by-LCU, never back."""
    if charge == "PayBySpec":
        raise OperationNotAllowed(
            reason="The metering method cannot be changed from pay-by-LCU to pay-by-specification."
        )
    if charge != "PayByCLCU":
        raise InvalidParameter("InstanceChargeType")
    if internet_charge not in (None, "paybytraffic"):
        raise InvalidParameterDetail(name="InternetChargeType", detail="a pay-by-LCU instance is billed by traffic.")
    if lb["pay_type"] != "PayOnDemand":
        raise OperationNotAllowed(reason="Only the metering method of a pay-as-you-go instance can be changed.")
    # Already pay-by-LCU: nothing to change (a retry whose first answer was lost succeeds; CHOICES.md).
    lb["instance_charge_type"], lb["spec"], lb["internet_charge_type"] = "PayByCLCU", "", "paybytraffic"
    cloud.store.put(LB_KIND, lb)


def make_pay_by_spec(cloud: Cloud, lb: LoadBalancer, spec: str) -> None:
    """Control API only: the instance becomes one bought before pay-by-specification left sale."""
    if spec not in SPECS:
        raise ValueError(f"spec must be one of {', '.join(SPECS)}")
    if lb["pay_type"] != "PayOnDemand":
        raise ValueError("only a pay-as-you-go instance can be pay-by-specification")
    lb["instance_charge_type"], lb["spec"] = "PayBySpec", spec
    cloud.store.put(LB_KIND, lb)


def modify_internet_spec(cloud: Cloud, lb: LoadBalancer, charge: str | None, bandwidth: int | None) -> None:
    """ModifyLoadBalancerInternetSpec: change InternetChargeType and/or Bandwidth in place.

    Real cloud: a new peak bandwidth of a pay-by-bandwidth instance applies at once; a change of metering
    method applies at 00:00 the next day. localcloud applies both at once (CHOICES.md).
    """
    if lb.get("instance_charge_type") == "PayByCLCU":
        # "Only pay-by-specification instances support this operation" (API page).
        raise InternetSpecDenied(why="only pay-by-specification instances can change their internet specification.")
    if lb["address_type"] != "internet":
        # Internal-facing instances are metered by traffic and cannot change it (API page).
        raise InternetSpecDenied(why="the load balancer is not internet-facing.")
    target = charge or lb["internet_charge_type"]
    if target == "paybybandwidth" and bandwidth is None and lb["internet_charge_type"] != "paybybandwidth":
        raise MissingParameter(name="Bandwidth")
    if charge is not None:
        lb["internet_charge_type"] = charge
    if bandwidth is not None:
        lb["bandwidth"] = bandwidth
    cloud.store.put(LB_KIND, lb)
