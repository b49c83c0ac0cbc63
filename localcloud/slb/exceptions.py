"""Errors of the SLB / CLB product (2014-05-15): one class per Alibaba code and message the CLB API returns."""

from __future__ import annotations

from ..errors import ApiError


# lookups -----------------------------------------------------------------------------------------
class InvalidLoadBalancerIdNotFound(ApiError):
    code, status = "InvalidLoadBalancerId.NotFound", 404
    template = "The specified LoadBalancerId does not exist."


class InvalidServerIdNotFound(ApiError):
    code, status = "InvalidServerId.NotFound", 404
    template = "The specified ServerId does not exist."


class ListenerNotFound(ApiError):
    code, status = "ListenerNotFound", 404
    template = "You have not created a listener for the specified port of the load balancer."


class ResourceNotExist(ApiError):
    """The attribute APIs' answer for a port without a listener of that protocol (DOCS-SLB common codes;
    Terraform matches this message); also a tag call on a resource type not emulated."""

    code, status = "InvalidParameter", 400
    template = "The specified resource does not exist."


class VServerGroupNotFound(ApiError):
    """An unknown vServer group (Terraform matches the message "The specified VServerGroupId does not exist")."""

    code, status = "InvalidParameter", 404
    template = "The specified VServerGroupId does not exist."


class ReferenceNotFound(ApiError):
    """A listener naming a primary/secondary group, ACL or forward listener, none of which exist here."""

    code, status = "InvalidParameter", 404
    template = "The specified {what} does not exist."


class CheckedListenerNotFound(ApiError):
    code, status = "CheckedListenerNotFound", 404
    template = "No health-checked Listener to the specified port of the Load Balancer."


# parameters --------------------------------------------------------------------------------------
class InvalidParameterDetail(ApiError):
    """`InvalidParameter` with the reason after a colon (the SLB product's spelling)."""

    code, status = "InvalidParameter", 400
    template = 'The specified parameter "{name}" is not valid: {detail}'


class InvalidPort(ApiError):
    code, status = "InvalidParameter", 400
    template = "The specified port is not valid."


class InvalidBandwidth(ApiError):
    code, status = "InvalidParameter", 400
    template = "The specified bandwidth is not valid."


class Ipv6NotOffered(ApiError):
    code, status = "InvalidParameter", 400
    template = "IPv6 instances are not offered in this region."


class InvalidBackendServers(ApiError):
    code, status = "InvalidParameter", 400
    template = "The specified BackendServers is invalid. {detail}"

    def __init__(self, detail: str = ""):
        super().__init__(self.template.format(detail=detail).strip())


class BackendServersMalformed(ApiError):
    code, status = "BackendServersMalformed", 400
    template = "The specified {param} is malformed."


class TooManyBackendServers(ApiError):
    code, status = "TooManyBackendServers", 400
    template = "The total number of input real servers exceeds max supported number: {limit}"


class InvalidWeightMalformed(ApiError):
    code, status = "InvalidWeight.Malformed", 400
    template = "The specified Weight is malformed: it must be an integer from 0 to 100."


class TagCreateCountLimit(ApiError):
    code, status = "TagCreateCountLimit", 400
    template = "The number of tags in one request exceeds 20."


class TagCountLimit(ApiError):
    code, status = "TagCountLimit", 400
    template = "Tags count limit exceeded."


# placement ---------------------------------------------------------------------------------------
class VSwitchIdRequired(ApiError):
    # An internal instance needs a vSwitch: accounts today have no classic network (CHOICES.md).
    code, status = "InvalidParameter", 400
    template = 'The specified parameter "VSwitchId" is required for an intranet instance.'


class VpcSubnetNotExist(ApiError):
    # The documented answer for a missing (or full) subnet (DOCS-SLB common error codes): 400, not 503.
    code, status = "ServiceUnavailable", 400
    template = "The vpc subnet is not exist."


class VSwitchNotInVpc(ApiError):
    code, status = "InvalidParameter", 400
    template = "The specified VSwitchId does not belong to the specified VpcId."


class VpcStatusError(ApiError):
    code, status = "VpcStatusError", 400
    template = "the specified vpc status is creating."


class AddressNotInSubnet(ApiError):
    code, status = "InvalidParameter", 400
    template = "Illegal parameter. The IP address is not in subnet."


class MasterZoneNotVSwitchZone(ApiError):
    code, status = "InvalidParameter", 400
    template = 'The specified parameter "MasterZoneId" must be the zone of the vSwitch.'


class InsufficientCapacity(ApiError):
    code, status = "InsufficientCapacity", 400
    template = "There is no free address left for a load balancer."


# instance state and billing ----------------------------------------------------------------------
class OperationNotAllowed(ApiError):
    """Operation.NotAllowed (400): CreateLoadBalancer's documented code for a charge-type combination that is not
    sold; no page gives the code of the pay-by-specification refusal (CHOICES.md). The message says why."""

    code, status = "Operation.NotAllowed", 400
    template = "{reason}"


class InternetSpecDenied(OperationNotAllowed):
    # ModifyLoadBalancerInternetSpec's documented refusal ("Operation Denied"), with the reason added.
    template = "Operation Denied: {why}"


class ListenerNotAllowed(OperationNotAllowed):
    template = "The specified listener is not allowed to operate."


class DeleteProtectionIsOn(ApiError):
    # DeleteLoadBalancer help page (alibabacloud.com/help/en/server-load-balancer/latest/deleteloadbalancer-2).
    code, status = "OperationDenied.DeleteProtectionIsOn", 400
    template = "The loadbalancer can't be deleted due to DeleteProtection is enabled."


class DeleteProtectionForPrePayInstance(ApiError):
    code, status = "OperationUnsupported.DeleteProtectionForPrePayInstance", 400
    template = "Deletion protection is not supported for subscription instances."


# listeners ---------------------------------------------------------------------------------------
class VServerGroupIdAndMasterSlaveMissMatch(ApiError):
    code, status = "Abs.VServerGroupIdAndMasterSlaveServerGroupId.MissMatch", 400
    template = "The parameters VServerGroupId or MasterSlaveServerGroupId miss match."


class ListenerAlreadyExists(ApiError):
    code, status = "ListenerAlreadyExists", 400
    template = "A listener with the specified port already exists."


class ListenerNumberOverLimit(ApiError):
    code, status = "ListenerNumberOverLimit", 400
    template = "The maximum number of listeners is exceeded."


class ServiceIsConfiguring(ApiError):
    code, status = "ServiceIsConfiguring", 400
    template = "A previous configuration is pending; please try again later."


class ServiceIsStopping(ApiError):
    code, status = "ServiceIsStopping", 409
    template = "The specified Listener is stopping, please retry later."


class ListenerConfiguring(ApiError):
    code, status = "Operation.Deny", 400
    template = "The specified listener is configuring, please try again later."


# backends and vServer groups ---------------------------------------------------------------------
class ObtainIpFail(ApiError):
    # Backends must be running ECS instances (AddBackendServers docstring).
    code, status = "ObtainIpFail", 400
    template = (
        "Failed to obtain the IP address: some of the specified backend servers do not exist or are not " "running."
    )


class InvalidBackendServersInconsistent(ApiError):
    code, status = "InvalidBackendServers.Inconsistent", 400
    template = "The specified backend servers are not in the same VPC as the load balancer."


class BackendServerNumberOverLimit(ApiError):
    code, status = "BackendServerNumberOverLimit", 400
    template = "A vServer group holds at most {limit} backend servers."


class VServerGroupNumberOverLimit(ApiError):
    code, status = "VServerGroupNumberOverLimit", 400
    template = "The number of vServer groups of the load balancer exceeds {limit}."


class BackendServerConfigConflict(ApiError):
    code, status = "BackendServer.configConflict", 400
    template = "The backend server {server_id} with port {port} is already in the vServer group."


class RspoolVipExist(ApiError):
    # DeleteVServerGroup: a group a listener uses cannot be deleted (documented 400 RspoolVipExist).
    code, status = "RspoolVipExist", 400
    template = "there are vips associating with this vServer group."


class VipNotMatchRspool(ApiError):
    # Documented listener error for a group of another instance (CLB common error codes).
    code, status = "VipNotMatchRspool", 400
    template = "The specified VServerGroupId does not belong to the load balancer of the listener."


class NoBackendServerPort(ApiError):
    code, status = "InvalidParameter", 400
    template = "The listener has no BackendServerPort: it cannot leave its vServer group."
