"""RunInstances and CreateInstance errors: image, instance type, system and data disks, placement in a
vSwitch (private IPs, public IPs), security groups, spot, password and UserData, quotas."""

from __future__ import annotations

from ...errors import ApiError
from .common import MalformedParameter


class CategoryNotSupported(ApiError):
    code, status = "CategoryNotSupported", 403
    template = "The specified zone does not offer the specified disk category."


class InstanceDiskNumberLimitExceed(ApiError):
    code, status = "InstanceDiskNumber.LimitExceed", 400
    template = "The total number of specified disk in an instance exceeds."


class InstanceTypeOffline(ApiError):
    code, status = "InstanceType.Offline", 403
    template = "The specified instance type is offline in the specified zone."


class InvalidDataDiskCategoryValueNotSupported(ApiError):
    code, status = "InvalidDataDiskCategory.ValueNotSupported", 400
    template = 'The specified parameter "DataDisk.{n}.Category" is not valid.'


class InvalidDataDiskSizeValueNotSupported(ApiError):
    code, status = "InvalidDataDiskSize.ValueNotSupported", 400
    template = (
        "The specified DataDisk.{n}.Size beyond the permitted range, or the capacity of snapshot exceeds the "
        "size limit of the specified disk category."
    )


class InvalidDataDiskSnapshotIdNotFound(ApiError):
    code, status = "InvalidDataDiskSnapshotId.NotFound", 404
    template = 'The specified parameter "DataDisk.{n}.SnapshotId" is not valid.'


class InvalidDiskDescriptionMalformed(MalformedParameter):
    code = "InvalidDiskDescription.Malformed"


class InvalidImageFamilyNotFound(ApiError):
    code, status = "InvalidImageFamily.NotFound", 404
    template = "The specified ImageFamily has no available image."


class InvalidImageIdNotFound(ApiError):
    code, status = "InvalidImageId.NotFound", 404
    template = "The specified ImageId does not exist."


class InvalidInstanceType(ApiError):
    code, status = "InvalidInstanceType.ValueNotSupported", 400
    template = "The specified InstanceType beyond the permitted range."


class InvalidInstanceTypeZoneNotSupported(ApiError):
    code, status = "InvalidInstanceType.ZoneNotSupported", 403
    template = "The specified zone does not support this instancetype."


class InvalidInternetChargeTypeValueNotSupported(ApiError):
    code, status = "InvalidInternetChargeType.ValueNotSupported", 400
    template = "The specified InternetChargeType is not valid."


class InvalidInternetMaxBandwidthInMalformed(ApiError):
    code, status = "InvalidInternetMaxBandwidthIn.Malformed", 400
    template = 'The specified parameter "InternetMaxBandwidthIn" is not valid.'


class InvalidMinAmountMalformed(ApiError):
    code, status = "InvalidMinAmount.Malformed", 400
    template = 'The specified parameter "MinAmount" is not valid.'


class InvalidPasswordMalformed(ApiError):
    code, status = "InvalidPassword.Malformed", 400
    template = 'The specified parameter "Password" is not valid.'


class InvalidPasswordParamMismatch(ApiError):
    code, status = "InvalidPasswordParam.Mismatch", 400
    template = "The input password should be null when passwdInherit is true."


class InvalidPrivateIpAddress(ApiError):
    code, status = "InvalidPrivateIpAddress", 400
    template = "Specified private IP address is not in the CIDR block of virtual switch."


class InvalidPrivateIpAddressDuplicated(ApiError):
    code, status = "InvalidPrivateIpAddress.Duplicated", 400
    template = "Specified private IP address is duplicated."


class InvalidPrivateIpAddressMalformed(ApiError):
    code, status = "InvalidPrivateIpAddress.Malformed", 400
    template = "Specified private IP address is malformed."


class InvalidSecurityGroupIdMultiGroupType(ApiError):
    code, status = "InvalidSecurityGroupId.MultiGroupType", 400
    template = "Basic and advanced security groups cannot be used together."


class InvalidSecurityGroupIdNotInSameVpc(ApiError):
    code, status = "InvalidSecurityGroupId.NotInSameVpc", 400
    template = "The specified security groups are not in the same VPC."


class InvalidSpotPrepaid(ApiError):
    code, status = "InvalidSpotPrepaid", 400
    template = "The specified Spot type is not support PrePay Instance."


class InvalidSpotStrategy(ApiError):
    code, status = "InvalidSpotStrategy", 400
    template = "The specified SpotStrategy is not valid."


class InvalidSystemDiskCategoryValueNotSupported(ApiError):
    code, status = "InvalidSystemDiskCategory.ValueNotSupported", 400
    template = 'The specified parameter "SystemDisk.Category" is not valid.'


class InvalidSystemDiskSizeLessThanImageSize(ApiError):
    code, status = "InvalidSystemDiskSize.LessThanImageSize", 404
    template = "The specified parameter SystemDisk.Size is less than the image size."


class InvalidSystemDiskSizeLessThanMinSize(ApiError):
    code, status = "InvalidSystemDiskSize.LessThanMinSize", 404
    template = "The specified parameter SystemDisk.Size is less than the min size."


class InvalidSystemDiskSizeMoreThanMaxSize(ApiError):
    code, status = "InvalidSystemDiskSize.MoreThanMaxSize", 404
    template = "The specified parameter SystemDisk.Size is more than the max size."


class InvalidSystemDiskSizeValueNotSupported(ApiError):
    code, status = "InvalidSystemDiskSize.ValueNotSupported", 400
    template = 'The specified parameter "SystemDisk.Size" is not valid.'


class InvalidUserDataBase64FormatInvalid(ApiError):
    code, status = "InvalidUserData.Base64FormatInvalid", 400
    template = "The specified UserData is not valid."


class InvalidUserDataSizeExceeded(ApiError):
    code, status = "InvalidUserData.SizeExceeded", 400
    template = 'The specified parameter "UserData" exceeds the size.'


class QuotaExceedAfterpayInstance(ApiError):
    code, status = "QuotaExceed.AfterpayInstance", 400
    template = "The maximum number of Pay-As-You-Go instances is exceeded."


class QuotaExceedPublicIp(ApiError):
    code, status = "QuotaExceed.PublicIp", 403
    template = "The public IP address pool is exhausted."


class QuotaExceededPrivateIpAddress(ApiError):
    code, status = "QuotaExceeded.PrivateIpAddress", 400
    template = "Don't have enough private IPs in this switch"


class SecurityGroupVSwitchMismatch(ApiError):
    code, status = "InvalidParameter.Mismatch", 400
    template = "Specified security group and virtual switch are not in the same VPC."


class VSwitchZoneMismatch(ApiError):
    code, status = "InvalidParameter.Mismatch", 400
    template = "Specified virtual switch is not in the specified zone."
