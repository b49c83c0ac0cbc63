"""ECS instance errors: status, lifecycle (start, stop, delete, modify), names, and DescribeInstances' filters."""

from __future__ import annotations

from ...errors import ApiError
from .common import MalformedParameter


class IncorrectInstanceStatus(ApiError):
    """Worded as the observed real message; `expected` is the comma separated list of statuses."""

    code, status = "IncorrectInstanceStatus", 403
    template = (
        "The current status of the resource does not support this operation. Status of the specified instance "
        "is {current} but the expected status is in ({expected})."
    )

    def __init__(self, current: str, expected: tuple[str, ...]):
        super().__init__(current=current, expected=", ".join(expected))


class ChargeTypeViolation(ApiError):
    code, status = "ChargeTypeViolation", 403
    template = "The operation is not permitted due to charge type of the instance."


class DryRunSuccess(ApiError):
    """StartInstances/StopInstances/DeleteInstances document `DRYRUN.SUCCESS` instead of DryRunOperation."""

    code, status = "DRYRUN.SUCCESS", 400
    template = "This request is a dryrun request with successful result."


class IncorrectInstanceStatusInitializing(ApiError):
    code, status = "IncorrectInstanceStatus.Initializing", 403
    template = "The specified instance status does not support this operation."


class InstanceSecurityGroupVpcMismatch(ApiError):
    code, status = "InvalidParameter.Mismatch", 400
    template = "Specified security group and instance are not in the same VPC."


class InvalidFilterKeyNotFound(ApiError):
    code, status = "InvalidFilterKey.NotFound", 404
    template = "The specified Filter.N.Key does not exist."


class InvalidFilterValue(ApiError):
    code, status = "InvalidFilterValue", 400
    template = "The specified Filter.N.Value {value!r} is not valid."


class InvalidHostNameMalformed(ApiError):
    code, status = "InvalidHostName.Malformed", 400
    template = 'The specified parameter "{param}" is not valid.'


class InvalidInstanceChargeTypeNotFound(ApiError):
    code, status = "InvalidInstanceChargeType.NotFound", 404
    template = "The InstanceChargeType does not exist in our records."


class InvalidInstanceIdNotFound(ApiError):
    code, status = "InvalidInstanceId.NotFound", 404
    template = "The specified InstanceId does not exist."


class InvalidInstanceIdsNotFound(ApiError):
    code, status = "InvalidInstanceIds.NotFound", 404
    template = "The specified InstanceIds does not exist."


class InvalidInstanceNameCustomMalformed(ApiError):
    code, status = "InvalidInstanceName.CustomMalformed", 400
    template = (
        "Customized section of instance or host name is invalid, please use valid format: [], [,], [m,], "
        "[,n], [m,n]."
    )


class InvalidInstanceNameMalformed(MalformedParameter):
    code = "InvalidInstanceName.Malformed"


class InvalidInternetChargeTypeFilter(ApiError):
    code, status = "InvalidInternetChargeType.ValueNotSupported", 404
    template = "The specified InternetChargeType is not valid."


class InvalidLockReasonNotFound(ApiError):
    code, status = "InvalidLockReason.NotFound", 404
    template = "The specified LockReason is not found."


class InvalidNetworkTypeNotFound(ApiError):
    code, status = "InvalidNetworkType.NotFound", 404
    template = "The specified InstanceNetworkType is not found."


class InvalidOperationDeletionProtection(ApiError):
    code, status = "InvalidOperation.DeletionProtection", 403
    template = "The instance is protected from release; disable DeletionProtection first."


class InvalidStatusNotFound(ApiError):
    code, status = "InvalidStatus.NotFound", 404
    template = "The specified Status is not found."


class TooManyInstanceIds(ApiError):
    code, status = "InvalidParameter", 400
    template = 'The specified parameter "InstanceId.N" is not valid: at most 100 instances.'
