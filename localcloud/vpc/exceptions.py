"""Errors of the VPC product (2016-04-28): one class per Alibaba code and message the VPC API returns."""

from __future__ import annotations

from ..errors import ApiError


# lookups ---------------------------------------------------------------------------------------
class InvalidVpcIdNotFound(ApiError):
    code, status = "InvalidVpcId.NotFound", 404
    template = "Specified VPC does not exist."


class InvalidVSwitchIdNotFound(ApiError):
    code, status = "InvalidVSwitchId.NotFound", 404
    template = "VSwitch not exist."


class InvalidZoneIdNotFound(ApiError):
    code, status = "InvalidZoneId.NotFound", 404
    template = "Specified zone does not exist."


class ForbiddenVpcNotFound(ApiError):
    """DescribeVSwitches with a VpcId that does not exist: 400, not 404."""

    code, status = "Forbidden.VpcNotFound", 400
    template = "Specified VPC can not found."


# names and descriptions ------------------------------------------------------------------------
class MalformedText(ApiError):
    """Names and descriptions: 1-128 (names) or 1-256 (descriptions) characters, no http:// or https://."""

    status = 400
    what = ""
    template = "Specified {what} is not valid."

    def __init__(self) -> None:
        super().__init__(what=self.what)


class InvalidVpcNameMalformed(MalformedText):
    code, what = "InvalidVpcName.Malformed", "VPC name"


class InvalidVpcDescriptionMalformed(MalformedText):
    # The documented code carries the typo "Discription".
    code, what = "InvalidVpcDiscription.Malformed", "VPC description"


class InvalidVSwitchNameMalformed(MalformedText):
    code, what = "InvalidVSwitchName.Malformed", "virtual switch name"


class InvalidVSwitchDescriptionMalformed(MalformedText):
    code, what = "InvalidVSwitchDiscription.Malformed", "virtual switch description"


# CIDR blocks -----------------------------------------------------------------------------------
class InvalidVpcCidrBlock(ApiError):
    code, status = "InvalidParameter", 400
    template = "Specified CIDR block is not valid."


class InvalidCidrBlockMalformed(ApiError):
    code, status = "InvalidCidrBlock.Malformed", 400
    template = "Specified CIDR block is not valid."


class InvalidCidrBlockMaskLength(ApiError):
    # The documented code carries the typo "Cirdr".
    code, status = "InvalidCirdrBlock.MaskLength", 400
    template = "Specified CIDR block is not valid ."


class CidrBlockNotInVpc(ApiError):
    code, status = "InvalidParameter", 400
    template = "Specified CIDR block is not valid in VPC."


class InvalidCidrBlockOverlapped(ApiError):
    code, status = "InvalidCidrBlock.Overlapped", 400
    template = "Specified CIDR block overlapped with other subnets."


class InvalidUserCidrQuota(ApiError):
    code, status = "InvalidUserCidr.Quota", 400
    template = "Specified UserCidr number is greater than 3."


class InvalidUserCidrFormat(ApiError):
    code, status = "InvalidParameter", 400
    template = "Specified UserCidr invalid format."


class InvalidUserCidrMalformed(ApiError):
    code, status = "InvalidUserCidr.Malformed", 400
    template = "Specified UserCidr overlapping in of 100.64.0.0/10."


# statuses and dependencies ---------------------------------------------------------------------
class IncorrectVpcStatus(ApiError):
    code, status = "IncorrectVpcStatus", 400
    template = "Current VPC status does not support this operation."


class IncorrectVSwitchStatus(ApiError):
    code, status = "IncorrectVSwitchStatus", 400
    template = "The current virtual switch status does not support this operation."


class VSwitchCreationSimultaneous(ApiError):
    code, status = "IncorrectVSwitchStatus", 400
    template = "VSwitch Creation simultaneously is not supported."


class VSwitchModifyingInVpc(ApiError):
    code, status = "IncorrectVSwitchStatus", 400
    template = "Some virtual switch is modifying within the same VPC."


class OtherSubnetProcessing(ApiError):
    code, status = "OperationDenied.OtherSubnetProcessing", 400
    template = "other subnet is processing."


class QuotaExceededVSwitch(ApiError):
    code, status = "QuotaExceeded.VSwitch", 400
    template = "Virtual switch quota exceeded."


class DependencyViolation(ApiError):
    code, status = "DependencyViolation", 400
    template = "Specified object has dependent resources."


class DependencyViolationVSwitch(DependencyViolation):
    code = "DependencyViolation.VSwitch"


class DependencyViolationInstance(DependencyViolation):
    code = "DependencyViolation.Instance"


class DependencyViolationSecurityGroup(DependencyViolation):
    code = "DependencyViolation.SecurityGroup"
    template = "Specified object has dependent resources (SecurityGroup.)"


# tags (TagResources / UnTagResources / ListTagResources) -----------------------------------------
class MissingTagKey(ApiError):
    code, status = "MissingParam.TagKey", 400
    template = "The param of TagKey is missing."


class IllegalTagKey(ApiError):
    code, status = "IllegalParam.TagKey", 400
    template = "The param of {key} is illegal."


class IllegalTagValue(ApiError):
    code, status = "IllegalParam.TagValue", 400
    template = "The param of {value} is illegal."


class TagKeyDuplicated(ApiError):
    code, status = "Forbidden.TagKey.Duplicated", 400
    template = "The specified tag key already exists."


class SizeLimitExceededTagNum(ApiError):
    code, status = "SizeLimitExceeded.TagNum", 400
    template = "The maximum number of tags is exceeded."


class SizeLimitExceededResourceId(ApiError):
    code, status = "SizeLimitExceeded.ResourceId", 400
    template = "The maximum number of resource IDs is exceeded."


class QuotaExceededTagNum(ApiError):
    code, status = "QuotaExceeded.TagNum", 400
    template = "Custom Tags quota exceeded."


class ResourceNotFound(ApiError):
    code, status = "ResourceNotFound.VPC", 404
    template = "The specified resource of {rid} is not found."


class BothEmptyTagsAndResources(ApiError):
    code, status = "BothEmpty.TagsAndResources", 403
    template = "The specified Tags and ResourcesIds are not allow to both empty."
