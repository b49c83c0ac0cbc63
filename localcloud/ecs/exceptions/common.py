"""ECS errors not tied to one resource: the parameter base class, region, zone and stock, and the VPC
lookups ECS answers in its own words (a vSwitch or VPC named by RunInstances or CreateSecurityGroup)."""

from __future__ import annotations

from ...errors import ApiError


class MalformedParameter(ApiError):
    """Base of the `Invalid*.Malformed`-style codes whose message names the parameter."""

    status = 400
    template = 'The specified parameter "{param}" is not valid.'


class ExclusiveParameters(ApiError):
    code, status = "InvalidParameter", 400
    template = "{first} and {second} cannot be specified together."


class IncorrectVSwitchStatus(ApiError):
    code, status = "IncorrectVSwitchStatus", 400
    template = "The current status of virtual switch does not support this operation."


class IncorrectVpcStatus(ApiError):
    code, status = "IncorrectVpcStatus", 400
    template = "Current VPC status does not support this operation."


class InvalidDescriptionMalformed(MalformedParameter):
    code = "InvalidDescription.Malformed"


class InvalidRegionId(ApiError):
    code, status = "Invalid.RegionId", 404
    template = "The specified RegionId is not valid."


class InvalidVSwitchIdNotFound(ApiError):
    code, status = "InvalidVSwitchId.NotFound", 404
    template = "Specified virtual switch does not exist."


class InvalidVpcIdNotFound(ApiError):
    code, status = "InvalidVpcId.NotFound", 404
    template = "The specified VpcId does not exist."


class InvalidZoneIdNotFound(ApiError):
    code, status = "InvalidZoneId.NotFound", 404
    template = "The specified ZoneId does not exist."


class OperationDeniedNoStock(ApiError):
    code, status = "OperationDenied.NoStock", 403
    template = (
        "The resource is out of stock in the specified zone. Please try other types, or choose other regions "
        "and zones."
    )


class OperationDeniedZoneNotAllowed(ApiError):
    code, status = "OperationDenied.ZoneNotAllowed", 403
    template = "The specified zone is not allowed for the account."
