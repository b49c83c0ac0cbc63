"""ECS disk errors: CreateDisk, AttachDisk, DetachDisk, ResizeDisk, DeleteDisk, ModifyDiskAttribute, DescribeDisks."""

from __future__ import annotations

from ...errors import ApiError
from .common import MalformedParameter
from .instances import IncorrectInstanceStatus


class BootableAttachNotSupported(ApiError):
    code, status = "InvalidParameter", 400
    template = "The instance already has a system disk; Bootable attach needs an instance without one."


class DiskNotAttachedToInstance(ApiError):
    code, status = "DependencyViolation", 403
    template = "The specified disk has not been attached on the specified instance."


class DiskNotPortable(ApiError):
    code, status = "DiskNotPortable", 403
    template = "The specified disk is not a portable disk."


class DiskStatusNotResizable(ApiError):
    code, status = "OperationDenied", 403
    template = "The status of the disk or the instance that this disk is attaching with does not support the operation."


class DiskTypeNotResizable(ApiError):
    code, status = "OperationDenied", 403
    template = "The type of the disk does not support the operation."


class IncorrectDiskStatus(ApiError):
    code, status = "IncorrectDiskStatus", 403
    template = "The current disk status does not support this operation."


class IncorrectDiskStatusForAttach(ApiError):
    code, status = "IncorrectDiskStatus", 403
    template = "The operation is not supported in this status."


class IncorrectDiskStatusInitializing(ApiError):
    code, status = "IncorrectDiskStatus.Initializing", 403
    template = "The specified disk is being initialized."


class IncorrectInstanceStatusForAttach(IncorrectInstanceStatus):
    status = 400


class InstanceDiskLimitExceeded(ApiError):
    code, status = "InstanceDiskLimitExceeded", 403
    template = "The amount of the disk on instance in question reach its limits"


class InvalidCategoryValueNotSupported(ApiError):
    code, status = "InvalidCategory.ValueNotSupported", 400
    template = "The specified disk category is not supported."


class InvalidDataDiskCategoryNotSupported(ApiError):
    code, status = "InvalidDataDiskCategory.NotSupported", 403
    template = "Specified disk category is not supported."


class InvalidDeviceInUse(ApiError):
    code, status = "InvalidDevice.InUse", 403
    template = "The specified device has been occupied."


class InvalidDeviceMalformed(MalformedParameter):
    code = "InvalidDevice.Malformed"


class InvalidDiskAlreadyDetached(ApiError):
    code, status = "InvalidDisk.AlreadyDetached", 404
    template = "The specified disk has been detached."


class InvalidDiskCategoryValueNotSupported(ApiError):
    code, status = "InvalidDiskCategory.ValueNotSupported", 400
    template = 'The specified parameter "DiskCategory" is not valid.'


class InvalidDiskChargeTypeNotFound(ApiError):
    code, status = "InvalidDiskChargeType.NotFound", 404
    template = "The specified DiskChargeType is not found."


class InvalidDiskIdNotFound(ApiError):
    code, status = "InvalidDiskId.NotFound", 404
    template = "The specified DiskId does not exist."


class InvalidDiskIdsMalformed(ApiError):
    code, status = "InvalidDiskIds.Malformed", 403
    template = "The amount of specified disk Ids exceeds the limit."


class InvalidDiskNameMalformed(MalformedParameter):
    code = "InvalidDiskName.Malformed"


class InvalidDiskSizeTooSmall(ApiError):
    code, status = "InvalidDiskSize.TooSmall", 403
    template = "Specified new disk size is less than the original disk size."


class InvalidDiskTypeValueNotSupported(ApiError):
    code, status = "InvalidDiskType.ValueNotSupported", 400
    template = "The specified disk type is not supported."


class InvalidPerformanceLevelMalformed(ApiError):
    code, status = "InvalidPerformanceLevel.Malformed", 400
    template = 'The specified parameter "PerformanceLevel" is not valid.'


class InvalidSizeValueNotSupported(ApiError):
    code, status = "InvalidSize.ValueNotSupported", 400
    template = 'The specified parameter "Size" is not valid.'


class InvalidSnapshotIdNotFound(ApiError):
    code, status = "InvalidSnapshotId.NotFound", 404
    template = "The specified SnapshotId does not exist."


class InvalidStatusValueNotSupported(ApiError):
    code, status = "InvalidStatus.ValueNotSupported", 400
    template = "The specified disk status is not supported."


class MissingSnapshotIdOrSize(ApiError):
    code, status = "MissingParameter", 400
    template = "The input parameter either SnapshotId or Size should be specified."


class NewSizeAboveMax(ApiError):
    code, status = "InvalidParameter", 403
    template = 'The specified parameter "NewSize" is not valid: at most {high} GiB for {category}.'


class NoAttributeToModify(ApiError):
    code, status = "NoAttributeToModify", 400
    template = "No attribute to be modified in this request."


class ResourcesNotInSameZone(ApiError):
    code, status = "ResourcesNotInSameZone", 403
    template = "The specified instance and disk are not in the same zone."


class ZoneIdWithInstanceId(ApiError):
    code, status = "InvalidParameter", 400
    template = "ZoneId and InstanceId cannot be specified at the same time."
